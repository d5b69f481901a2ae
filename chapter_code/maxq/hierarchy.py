"""Task hierarchies for MAXQ (Dietterich 2000, §3): primitive and composite tasks, parameterised
tasks, termination predicates, pseudo-rewards and per-node state abstraction.

A hierarchy is written as a few :class:`Primitive` and :class:`Task` objects and compiled, for a
finite state space, into the integer tables the learners read (:class:`CompiledHierarchy`):
which child a node invokes in each state, which nodes have terminated, and where each value
C(i, s, a) and V(a, s) is stored. State abstraction decides that last table: two states that a
node's abstraction maps to the same key share one stored value.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from chapter_code._checks import check_int

ZERO = "zero"
"""An abstraction value meaning "C(i, s, a) = 0 here, nothing stored" (Dietterich's termination
condition: a child whose end always ends its parent leaves nothing to complete)."""


@dataclass(frozen=True)
class Primitive:
    """A primitive task: one environment action. ``abstraction``: state -> the variables its
    expected reward V(a, s) depends on (leaf irrelevance, Dietterich 2000, §5.1); ``None`` stores
    one value per state."""

    name: str
    action: int
    abstraction: Callable[[int], Hashable] | None = None


@dataclass(frozen=True)
class Child:
    """A child slot of a composite task. ``task`` names a task; if that task is parameterised,
    ``bind`` maps the state to the parameter value (Get invokes Navigate(t) with t bound to the
    passenger's location). ``label`` names the slot (default: ``task``)."""

    task: str
    bind: Callable[[int], Hashable] | None = None
    label: str = ""

    @property
    def key(self) -> str:
        """The slot's name inside its parent."""
        return self.label or self.task


@dataclass(frozen=True)
class Task:
    """A composite task i: its children (slots), its termination predicate T_i(s), its
    pseudo-reward R̃_i(s') paid when it terminates in s', and its state abstraction.

    With ``params`` the task is a family i(t), one instance per value t; then ``terminated``,
    ``pseudo_reward`` and the abstractions take ``(state, t)``. ``abstraction`` maps a child
    slot's key to a function state -> the variables C(i, s, a) may depend on (or :data:`ZERO`);
    slots not named store one value per state.
    """

    name: str
    children: Sequence[Child | str]
    terminated: Callable[..., bool]
    pseudo_reward: Callable[..., float] | None = None
    abstraction: Mapping[str, Callable[..., Hashable]] = field(default_factory=dict)
    params: tuple[Hashable, ...] | None = None

    def slots(self) -> tuple[Child, ...]:
        """The children as :class:`Child` slots, in order."""
        return tuple(c if isinstance(c, Child) else Child(c) for c in self.children)


class Graph(NamedTuple):
    """The compiled hierarchy as the learners read it (N nodes, K slots, S states).

    ``action`` (N,): the primitive action of a leaf, -1 for composite nodes. ``n_slots`` (N,).
    ``child`` (N, K, S): the node slot k of node i invokes in state s (-1: none). ``terminated``
    (N, S): T_i(s), true at terminal states of the MDP too. ``pseudo`` (N, S): R̃_i(s).
    ``c_index`` (N, K, S): where C(i, s, k) is stored (-1: known to be zero). ``v_index``
    (N, S): where a leaf's V(a, s) is stored (-1 for composite nodes). ``order`` (N, N) and
    ``n_order`` (N,): node i and its descendants, children before parents (-1 padded). The
    root is node 0.
    """

    action: np.ndarray
    n_slots: np.ndarray
    child: np.ndarray
    terminated: np.ndarray
    pseudo: np.ndarray
    c_index: np.ndarray
    v_index: np.ndarray
    order: np.ndarray
    n_order: np.ndarray


@dataclass(frozen=True, eq=False)
class CompiledHierarchy:
    """A hierarchy compiled for S states: node names, slot names, the :class:`Graph` tables,
    and the numbers of stored completion values ``n_c`` and leaf values ``n_v``."""

    names: tuple[str, ...]
    slot_names: tuple[tuple[str, ...], ...]
    graph: Graph
    n_c: int
    n_v: int
    abstraction: bool

    @property
    def values_stored(self) -> int:
        """The number of values MAXQ stores: every C(i, s, a) plus every leaf V(a, s)."""
        return self.n_c + self.n_v

    def node(self, name: str) -> int:
        """The index of the node called ``name`` (e.g. ``"Navigate(2)"``)."""
        if name not in self.names:
            raise ValueError(f"unknown node {name!r}; nodes: {', '.join(self.names)}")
        return self.names.index(name)


def instance_name(task: str, param: Hashable) -> str:
    """The node name of instance t of a parameterised task: ``Navigate(2)``."""
    return f"{task}({param})"


def _check_structure(tasks: Mapping[str, Task | Primitive], root: str) -> None:
    """Raise ``ValueError`` for an unknown root or child, a task without children, or a cycle."""
    if root not in tasks or not isinstance(tasks[root], Task):
        raise ValueError(f"root must name a composite task, got {root!r}")
    for name, task in tasks.items():
        if isinstance(task, Primitive):
            continue
        slots = task.slots()
        if not slots:
            raise ValueError(f"composite task {name!r} has no children")
        keys = [c.key for c in slots]
        if len(set(keys)) != len(keys):
            raise ValueError(f"task {name!r} has two child slots with one name: {keys}")
        for c in slots:
            if c.task not in tasks:
                raise ValueError(f"task {name!r} has unknown child {c.task!r}")
            target = tasks[c.task]
            parameterised = isinstance(target, Task) and target.params is not None
            if parameterised and c.bind is None:
                raise ValueError(f"task {name!r} invokes parameterised {c.task!r} without bind")
            if c.bind is not None and not parameterised:
                raise ValueError(f"task {name!r} binds a parameter of {c.task!r}, which has none")
        unknown = sorted(set(task.abstraction) - set(keys))
        if unknown:
            raise ValueError(f"task {name!r} abstracts unknown child slot(s) {unknown}")
    colour: dict[str, int] = {}

    def visit(name: str, path: list[str]) -> None:
        colour[name] = 1
        task = tasks[name]
        if isinstance(task, Task):
            for c in task.slots():
                if colour.get(c.task) == 1:
                    cycle = " -> ".join([*path[path.index(c.task):], c.task])
                    raise ValueError(f"the hierarchy has a cycle: {cycle}")
                if c.task not in colour:
                    visit(c.task, [*path, c.task])
        colour[name] = 2

    for name in tasks:
        if name not in colour:
            visit(name, [name])


def compile_hierarchy(
    tasks: Sequence[Task | Primitive],
    root: str,
    *,
    n_states: int,
    n_actions: int,
    terminal: np.ndarray | None = None,
    abstraction: bool = True,
) -> CompiledHierarchy:
    """Compile ``tasks`` (with root ``root``) for states 0..n_states-1 into a
    :class:`CompiledHierarchy`.

    ``terminal`` (S,) marks terminal states of the MDP (every task has ended there). With
    ``abstraction=False`` every C(i, s, a) and V(a, s) has its own entry for every state (a table
    per node and child, as Dietterich counts them). With ``abstraction=True`` a node's entries are
    shared between states its abstraction maps to one key; keys are enumerated over the states
    where the node has not terminated (where its values can be read), leaves over all states.
    Raises ``ValueError`` for an ill-formed hierarchy (see :func:`_check_structure`).
    """
    n_states = check_int("n_states", n_states, minimum=1)
    n_actions = check_int("n_actions", n_actions, minimum=1)
    if not isinstance(abstraction, bool):
        raise TypeError(f"abstraction must be a bool, got {type(abstraction).__name__}")
    terminal = (np.zeros(n_states, dtype=bool) if terminal is None
                else np.asarray(terminal, dtype=bool))
    if terminal.shape != (n_states,):
        raise ValueError(f"terminal must have shape ({n_states},), got {terminal.shape}")
    by_name: dict[str, Task | Primitive] = {}
    for task in tasks:
        if not isinstance(task, Task | Primitive):
            raise TypeError(f"tasks must be Task or Primitive objects, got {type(task).__name__}")
        if task.name in by_name:
            raise ValueError(f"two tasks are called {task.name!r}")
        by_name[task.name] = task
        if isinstance(task, Primitive) and not 0 <= task.action < n_actions:
            raise ValueError(f"primitive {task.name!r} has action {task.action}, "
                             f"allowed 0..{n_actions - 1}")
    _check_structure(by_name, root)

    # expand parameterised tasks into instances, reachable from the root, root first
    instances: list[tuple[str, Task | Primitive, Any]] = []
    index: dict[str, int] = {}

    def add(name: str, task: Task | Primitive, param: Any) -> None:
        if name not in index:
            index[name] = len(instances)
            instances.append((name, task, param))

    add(root, by_name[root], None)
    i = 0
    while i < len(instances):
        _, task, _ = instances[i]
        if isinstance(task, Task):
            for c in task.slots():
                target = by_name[c.task]
                if isinstance(target, Task) and target.params is not None:
                    for t in target.params:
                        add(instance_name(c.task, t), target, t)
                else:
                    add(c.task, target, None)
        i += 1

    states = range(n_states)
    N = len(instances)
    K = max((len(t.slots()) for _, t, _ in instances if isinstance(t, Task)), default=1)
    action = np.full(N, -1, dtype=np.int64)
    n_slots = np.zeros(N, dtype=np.int64)
    child = np.full((N, K, n_states), -1, dtype=np.int64)
    done = np.zeros((N, n_states), dtype=bool)
    pseudo = np.zeros((N, n_states))
    c_index = np.full((N, K, n_states), -1, dtype=np.int64)
    v_index = np.full((N, n_states), -1, dtype=np.int64)
    slot_names: list[tuple[str, ...]] = []
    n_c = n_v = 0

    def call(f: Callable[..., Any], s: int, param: Any) -> Any:
        return f(s) if param is None else f(s, param)

    for n, (_, task, param) in enumerate(instances):
        if isinstance(task, Primitive):
            action[n] = task.action
            slot_names.append(())
            keys: dict[Hashable, int] = {}
            for s in states:
                key = s if not abstraction or task.abstraction is None else task.abstraction(s)
                v_index[n, s] = keys.setdefault(key, n_v + len(keys))
            n_v += len(keys)
            continue
        slots = task.slots()
        n_slots[n] = len(slots)
        slot_names.append(tuple(c.key for c in slots))
        for s in states:
            done[n, s] = terminal[s] or bool(call(task.terminated, s, param))
            if task.pseudo_reward is not None:
                pseudo[n, s] = float(call(task.pseudo_reward, s, param))
        for k, c in enumerate(slots):
            abstract = task.abstraction.get(c.key) if abstraction else None
            keys = {}
            for s in states:
                if done[n, s]:
                    if abstract is None:  # a dense table still has the entry
                        c_index[n, k, s] = n_c + len(keys)
                        keys[("state", s)] = 0
                    continue
                name = c.task if c.bind is None else instance_name(c.task, c.bind(s))
                if name not in index:
                    raise ValueError(f"task {task.name!r} binds {c.task!r} to {name!r}, which "
                                     f"is not an instance of it")
                child[n, k, s] = index[name]
                key = ("state", s) if abstract is None else call(abstract, s, param)
                if key == ZERO:
                    continue
                c_index[n, k, s] = keys.setdefault(key, n_c + len(keys))
            n_c += len(keys)
    for n in range(N):  # a primitive can always run; a composite child ends where it is done
        if action[n] >= 0:
            done[n] = terminal
    order = np.full((N, N), -1, dtype=np.int64)
    n_order = np.zeros(N, dtype=np.int64)
    below = [sorted({int(c) for c in np.unique(child[n]) if c >= 0}) for n in range(N)]
    for n in range(N):  # post-order walk: every child before its parent
        seen: list[int] = []

        def walk(m: int, seen: list[int] = seen) -> None:
            for c in below[m]:
                if c not in seen:
                    walk(c)
            if m not in seen:
                seen.append(m)

        walk(n)
        order[n, :len(seen)] = seen
        n_order[n] = len(seen)
    graph = Graph(action, n_slots, child, done, pseudo, c_index, v_index, order, n_order)
    return CompiledHierarchy(tuple(name for name, _, _ in instances), tuple(slot_names), graph,
                             n_c, n_v, abstraction)
