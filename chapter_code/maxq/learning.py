"""MAXQ-Q learning (Dietterich 2000, §4.5, Table 4), compiled with numba, for many seeds.

The value of a task hierarchy is decomposed: a leaf's V(a, s) is the expected reward of one
action, learned from the sampled rewards; a composite task's value is never stored, it is
computed recursively, V(i, s) = max_a [V(a, s) + C(i, s, a)] (:func:`value`); and the completion
function C(i, s, a), the value of finishing task i after its child a ends, is learned from each
observed end of a child (:func:`completion_target`, :func:`completion_update`). Inside task i
the child is chosen with the pseudo-reward-augmented C̃(i, s, a) (:func:`best_child`).

Each update is a small named function; the compiled loop :func:`_maxq_q_loop` calls exactly these
functions. :mod:`chapter_code.maxq.reference` is the plain recursive twin, stepping a Gymnasium
env, tested to produce the same values from the same random numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numba
import numpy as np

from chapter_code._checks import check_int, check_real
from chapter_code.envs.tabular import TabularMDP
from chapter_code.maxq.hierarchy import CompiledHierarchy, Graph
from chapter_code.options.learning import sparse_transitions
from chapter_code.seeding import SeedLike, as_generator

# ---------------------------------------------------------------------------------------------
# The updates and the decomposition, one function each (compiled, callable from Python)


@numba.njit(cache=True)
def primitive_value_update(v: float, r: float, alpha: float) -> float:
    """V(a, s) <- (1 - α) V(a, s) + α r: a leaf's value moves toward the reward it was paid
    (Dietterich 2000, Table 4, the primitive branch of MAXQ-Q)."""
    return (1.0 - alpha) * v + alpha * r


@numba.njit(cache=True)
def completion_target(gamma_n: float, pseudo: float, c_next: float, v_next: float) -> float:
    """γ^N [R̃_i(s') + C(i, s', a*) + V(a*, s')]: what completing task i is worth after child a
    ended in s' after N steps, a* the child chosen in s' (Dietterich 2000, Table 4; with the
    pseudo-reward R̃_i for C̃, with ``pseudo = 0`` for C). Both C and V are evaluated at s'."""
    return gamma_n * (pseudo + c_next + v_next)


@numba.njit(cache=True)
def completion_update(c: float, target: float, alpha: float) -> float:
    """C(i, s, a) <- (1 - α) C(i, s, a) + α target (Dietterich 2000, Table 4)."""
    return (1.0 - alpha) * c + alpha * target


@numba.njit(cache=True)
def exploration_rate(epsilon: float, decay: float, n: int) -> float:
    """ε_n = ε / (1 + decay · n): the exploration rate of a task's n-th choice (n = 0, 1, ...)
    in a state, ε-greedy GLIE in the count (Singh, Jaakkola, Littman & Szepesvári 2000,
    *Machine Learning* 38; their example ε_t(s) = c / n_t(s) is the case of large n).

    With ``decay > 0`` it falls to 0 (greedy in the limit) while Σ_n ε_n diverges, so each
    child keeps being tried infinitely often in every state visited infinitely often; the
    greedy part breaks ties in the children's fixed order, which makes the policy the ordered
    GLIE policy of Dietterich's (2000) convergence theorem for MAXQ-Q. ``decay = 0`` keeps ε
    constant (not GLIE)."""
    return epsilon / (1.0 + decay * n)


@numba.njit(cache=True, inline="always")
def _stored(C: np.ndarray, c_index: np.ndarray, i: int, k: int, s: int) -> float:
    """C[c_index[i, k, s]], or 0 where the index is -1 (known to be zero)."""
    j = c_index[i, k, s]
    return 0.0 if j < 0 else C[j]


@numba.njit(cache=True, inline="always")
def _slot_runs(child: np.ndarray, terminated: np.ndarray, i: int, k: int, s: int) -> bool:
    """Slot k of node i names a child that has not ended in s."""
    a = child[i, k, s]
    return a >= 0 and not terminated[a, s]


@numba.njit(cache=True, inline="always")
def completion(C: np.ndarray, graph: Graph, i: int, k: int, s: int) -> float:
    """C(i, s, k) of child slot k of node i, read through the abstraction (0 where the
    hierarchy knows it is zero). ``C``: the flat table of one seed."""
    return _stored(C, graph.c_index, i, k, s)


@numba.njit(cache=True, inline="always")
def runnable(graph: Graph, i: int, k: int, s: int) -> bool:
    """Whether slot k of node i may be invoked in s: it names a child that has not terminated."""
    return _slot_runs(graph.child, graph.terminated, i, k, s)


@numba.njit(cache=True, inline="always")
def _tree_value(child: np.ndarray, terminated: np.ndarray, c_index: np.ndarray,
                action: np.ndarray, v_index: np.ndarray, n_slots: np.ndarray,
                order: np.ndarray, n_order: np.ndarray, C: np.ndarray, V: np.ndarray, i: int,
                s: int, work: np.ndarray) -> float:
    """:func:`value` on the hierarchy's tables passed one by one (as the compiled loop passes
    them: reading them from a bundled :class:`Graph` in these inlined helpers cost the loop
    about half its speed)."""
    for j in range(n_order[i]):
        n = order[i, j]
        if action[n] >= 0:
            work[n] = V[v_index[n, s]]
        elif terminated[n, s]:
            work[n] = 0.0
        else:
            best = -np.inf
            for k in range(n_slots[n]):
                if _slot_runs(child, terminated, n, k, s):
                    q = work[child[n, k, s]] + _stored(C, c_index, n, k, s)
                    if q > best:
                        best = q
            work[n] = best if best > -np.inf else 0.0
    return work[i]


@numba.njit(cache=True, inline="always")
def value(graph: Graph, C: np.ndarray, V: np.ndarray, i: int, s: int,
          work: np.ndarray) -> float:
    """V(i, s): a leaf's stored value, or for a composite task
    max_a [V(a, s) + C(i, s, a)] over the children that can run in s (Dietterich 2000,
    eqs. 13-14; never stored), 0 where i has ended. The recursion is evaluated
    bottom-up over i's descendants (children before parents) into ``work`` (N,), a scratch
    array, so that the compiled loop makes no recursive calls (:func:`_tree_value`)."""
    return _tree_value(graph.child, graph.terminated, graph.c_index, graph.action,
                       graph.v_index, graph.n_slots, graph.order, graph.n_order, C, V, i, s,
                       work)


@numba.njit(cache=True, inline="always")
def q_value(graph: Graph, C: np.ndarray, V: np.ndarray, i: int, k: int, s: int,
            work: np.ndarray) -> float:
    """Q(i, s, a) = V(a, s) + C(i, s, a), a the child in slot k (Dietterich 2000, eq. 10)."""
    return value(graph, C, V, graph.child[i, k, s], s, work) + completion(C, graph, i, k, s)


@numba.njit(cache=True, inline="always")
def _best_slot(child: np.ndarray, terminated: np.ndarray, c_index: np.ndarray,
               action: np.ndarray, v_index: np.ndarray, n_slots: np.ndarray, order: np.ndarray,
               n_order: np.ndarray, Ct: np.ndarray, C: np.ndarray, V: np.ndarray, i: int,
               s: int, work: np.ndarray) -> int:
    """:func:`best_child` on the hierarchy's tables passed one by one."""
    best, choice = -np.inf, -1
    for k in range(n_slots[i]):
        if _slot_runs(child, terminated, i, k, s):
            a = child[i, k, s]
            v = V[v_index[a, s]] if action[a] >= 0 else _tree_value(
                child, terminated, c_index, action, v_index, n_slots, order, n_order, C, V, a,
                s, work)
            q = _stored(Ct, c_index, i, k, s) + v
            if choice < 0 or q > best:
                best, choice = q, k
    return choice


@numba.njit(cache=True, inline="always")
def best_child(graph: Graph, Ct: np.ndarray, C: np.ndarray, V: np.ndarray, i: int,
               s: int, work: np.ndarray) -> int:
    """a* = argmax_a [C̃(i, s, a) + V(a, s)] over the slots that can run in s, ties to the first
    slot (an ordered greedy choice; Dietterich 2000, Table 4). -1 if none can run
    (:func:`_best_slot`)."""
    return _best_slot(graph.child, graph.terminated, graph.c_index, graph.action,
                      graph.v_index, graph.n_slots, graph.order, graph.n_order, Ct, C, V, i,
                      s, work)


# ---------------------------------------------------------------------------------------------
# The environment as the compiled loop samples it


class Simulator(NamedTuple):
    """A toy-text environment as the loop steps it, in Gymnasium's own order of draws.

    ``succ``, ``cdf``, ``reward``, ``done`` (S, A, K): the listed outcomes of each (s, a), their
    cumulative probabilities (padded with 2.0), rewards and termination flags. ``start_cdf``
    (S,): the cumulative start distribution. ``fickle``, ``fickle_probability``: Gymnasium
    Taxi's fickle passenger (with that probability per episode, the passenger once picks a new
    destination the first time the taxi moves with them aboard). ``max_steps``: the time limit.
    """

    succ: np.ndarray
    cdf: np.ndarray
    reward: np.ndarray
    done: np.ndarray
    start_cdf: np.ndarray
    fickle: bool
    fickle_probability: float
    max_steps: int


def simulator(env: Any, *, max_steps: int | None = None) -> Simulator:
    """The :class:`Simulator` of a Gymnasium toy-text env (``unwrapped.P`` and
    ``initial_state_distrib``; Taxi's ``fickle_passenger`` is honoured). ``max_steps``: the time
    limit (default: the env's, else 10,000)."""
    base = getattr(env, "unwrapped", env)
    model = getattr(base, "P", None)
    start = getattr(base, "initial_state_distrib", None)
    if not isinstance(model, dict) or start is None:
        raise TypeError("env must be a Gymnasium toy-text env with unwrapped.P and "
                        f"unwrapped.initial_state_distrib, got {type(env).__name__}")
    if max_steps is None:
        spec = getattr(env, "spec", None)
        max_steps = getattr(spec, "max_episode_steps", None) or 10_000
    max_steps = check_int("max_steps", max_steps, minimum=1)
    outcomes = [[model[s][a] for a in range(len(model[s]))] for s in range(len(model))]
    fickle = bool(getattr(base, "fickle_passenger", False))
    return Simulator(*_outcome_tables(outcomes), np.cumsum(np.asarray(start, dtype=float)),
                     fickle, float(getattr(base, "fickle_probability", 0.0)), max_steps)


def simulator_from_mdp(mdp: TabularMDP, start: int, *, max_steps: int = 10_000) -> Simulator:
    """The :class:`Simulator` of a :class:`TabularMDP` started in state ``start``: the successor
    tables the options learners sample (:func:`~chapter_code.options.learning.sparse_transitions`,
    successors in state order), rewards r(s, a, s'), done where s' is terminal."""
    if not isinstance(mdp, TabularMDP):
        raise TypeError(f"mdp must be a TabularMDP, got {type(mdp).__name__}")
    start = check_int("start", start, minimum=0)
    if start >= mdp.n_states or mdp.terminal[start]:
        raise ValueError(f"start must be a non-terminal state in [0, {mdp.n_states}), got {start}")
    succ, cdf, reward = sparse_transitions(mdp)
    start_cdf = np.zeros(mdp.n_states)
    start_cdf[start:] = 1.0
    return Simulator(succ, cdf, reward, mdp.terminal[succ], start_cdf, False, 0.0,
                     check_int("max_steps", max_steps, minimum=1))


def _outcome_tables(
    outcomes: list[list[list[tuple[float, int, float, bool]]]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``outcomes[s][a]``, a list of (probability, s', reward, done) in sampling order, as the
    padded tables ``succ``, ``cdf``, ``reward``, ``done`` (S, A, K) of a :class:`Simulator`
    (padding: cdf 2, never drawn)."""
    S, A = len(outcomes), len(outcomes[0])
    K = max(len(outcomes[s][a]) for s in range(S) for a in range(A))
    succ = np.zeros((S, A, K), dtype=np.int64)
    cdf = np.full((S, A, K), 2.0)
    reward = np.zeros((S, A, K))
    done = np.zeros((S, A, K), dtype=bool)
    for s in range(S):
        for a in range(A):
            listed = outcomes[s][a]
            cdf[s, a, :len(listed)] = np.cumsum(np.asarray([o[0] for o in listed], dtype=float))
            for j, (_, s_next, r, d) in enumerate(listed):
                succ[s, a, j], reward[s, a, j], done[s, a, j] = s_next, r, d
    return succ, cdf, reward, done


@numba.njit(cache=True, inline="always")
def _categorical(cdf: np.ndarray, u: float) -> int:
    """The first index whose cumulative probability exceeds u (0 if none), as Gymnasium's
    ``categorical_sample`` picks it."""
    for j in range(cdf.shape[0]):
        if cdf[j] > u:
            return j
    return 0


@numba.njit(cache=True, inline="always")
def _reset(sim: Simulator, rng: np.random.Generator) -> tuple[int, bool]:
    """A start state, and whether this episode's passenger is fickle (Gymnasium's draws)."""
    s = _categorical(sim.start_cdf, rng.random())
    fickle_step = False
    if sim.fickle:
        fickle_step = rng.random() < sim.fickle_probability
    return s, fickle_step


@numba.njit(cache=True, inline="always")
def _step(sim: Simulator, s: int, a: int, fickle_step: bool,
          rng: np.random.Generator) -> tuple[int, float, bool, bool]:
    """One Gymnasium step from s with action a: (s', r, terminated, fickle_step after it)."""
    j = _categorical(sim.cdf[s, a], rng.random())
    s_next, r, terminated = sim.succ[s, a, j], sim.reward[s, a, j], sim.done[s, a, j]
    if fickle_step:  # Taxi: state = ((row * 5 + col) * 5 + passenger) * 4 + destination
        dest, place = s % 4, s // 4
        passenger, cell = place % 5, place // 5
        if passenger == 4 and s_next // 20 != cell:
            fickle_step = False
            k = rng.integers(0, 3)
            new_dest = k if k < dest else k + 1
            s_next = s_next - s_next % 4 + new_dest
    return s_next, r, terminated, fickle_step


# ---------------------------------------------------------------------------------------------
# MAXQ-Q


class _Settings(NamedTuple):
    """Step size ``alpha``, exploration ``epsilon`` and its ``decay`` (:func:`exploration_rate`),
    discount ``gamma``, the budget of primitive steps ``n_steps`` per seed, and ``learn`` (False:
    act greedily, change nothing)."""

    alpha: float
    epsilon: float
    decay: float
    gamma: float
    n_steps: int
    learn: bool


class _Records(NamedTuple):
    """Per episode: ``ends`` (the seed's primitive-step count when it ended), ``returns``
    (undiscounted) and ``episodes`` (episodes per seed), written in place."""

    ends: np.ndarray
    returns: np.ndarray
    episodes: np.ndarray


@numba.njit(cache=True)
def _maxq_q_loop(C, Ct, V, graph, sim, settings, rng, records):  # pragma: no cover
    """MAXQ-Q for every seed in turn (rows of C, C̃, V updated in place), until each seed has
    taken ``n_steps`` primitive steps (the last episode is cut there).

    Each episode: from the root, choose slots ε-greedily (ε from :func:`exploration_rate` of
    the number of earlier choices of that task in that state; the greedy slot from
    :func:`_best_slot`) down to a leaf; take its action,
    update V(a, s) (:func:`primitive_value_update`); then, going up, every node whose child
    ended updates C and C̃ over the states that child passed (:func:`completion_target`,
    :func:`completion_update`), and
    itself ends if its own or an ancestor's termination predicate holds in s'. When an
    ancestor's predicate ends the tasks below it, a node updates C only for a child that ended
    by its own predicate (Dietterich 2000, §4.2, on ancestor termination), toward 0 if its own
    predicate holds too. A time limit truncates: the running subtasks are abandoned without a
    completion update.
    """
    # the hierarchy's tables as locals, passed one by one to the inlined helpers
    child, action, v_index, terminated_at = (graph.child, graph.action, graph.v_index,
                                             graph.terminated)
    c_index, n_slots, order, n_order = graph.c_index, graph.n_slots, graph.order, graph.n_order
    pseudo_reward = graph.pseudo
    depth_max = child.shape[0]
    stack = np.zeros(depth_max, dtype=np.int64)
    slot = np.zeros(depth_max, dtype=np.int64)
    start = np.zeros(depth_max, dtype=np.int64)
    seq = np.zeros(sim.max_steps, dtype=np.int64)
    work = np.zeros(depth_max)
    choices = np.zeros(terminated_at.shape, dtype=np.int64)  # n_i(s): choices of i in s
    for seed in range(C.shape[0]):
        Ci, Cti, Vi = C[seed], Ct[seed], V[seed]
        choices[:] = 0
        total = 0
        n_episodes = 0
        while total < settings.n_steps:
            s, fickle_step = _reset(sim, rng)
            t, G = 0, 0.0
            depth = 0
            stack[0] = 0
            cut = False
            while True:
                i = stack[depth]
                epsilon = exploration_rate(settings.epsilon, settings.decay, choices[i, s])
                choices[i, s] += 1
                # ε-greedy over the slots that can run (the reference's draws): with
                # probability ε a uniformly random one, else the ordered greedy child
                k = -1
                if rng.random() < epsilon:
                    n = 0
                    for kk in range(n_slots[i]):
                        if _slot_runs(child, terminated_at, i, kk, s):
                            n += 1
                    pick = min(int(rng.random() * n), n - 1)
                    for kk in range(n_slots[i]):
                        if _slot_runs(child, terminated_at, i, kk, s):
                            if pick == 0:
                                k = kk
                                break
                            pick -= 1
                else:
                    k = _best_slot(child, terminated_at, c_index, action, v_index, n_slots,
                                   order, n_order, Cti, Ci, Vi, i, s, work)
                slot[depth], start[depth] = k, t
                a = child[i, k, s]
                if action[a] < 0:  # a composite child: descend
                    depth += 1
                    stack[depth] = a
                    continue
                s_next, r, terminated, fickle_step = _step(sim, s, action[a], fickle_step, rng)
                seq[t] = s
                t += 1
                total += 1
                G += r
                if settings.learn:
                    j = v_index[a, s]
                    Vi[j] = primitive_value_update(Vi[j], r, settings.alpha)
                truncated = not terminated and (t >= sim.max_steps or total >= settings.n_steps)
                if truncated:
                    cut = total >= settings.n_steps
                    break
                # the highest node on the stack that has ended in s' (ending all below it)
                top = depth + 1
                for d in range(depth + 1):
                    if terminated or terminated_at[stack[d], s_next]:
                        top = d
                        break
                for d in range(depth, -1, -1):
                    # node d updates C(i, ·, child) if the child ended by its own predicate (a
                    # leaf always does); an interrupted child teaches its parent nothing
                    child_ended = d == depth or terminated or terminated_at[stack[d + 1],
                                                                            s_next]
                    if settings.learn and child_ended:
                        own = terminated or terminated_at[stack[d], s_next]
                        # move C̃(i, s, k) and C(i, s, k) of every state s the child passed,
                        # most recent first with N = 1, 2, ..., toward their targets
                        # (all-states updating, Dietterich 2000, Table 4)
                        ii, kk = stack[d], slot[d]
                        if own:
                            pseudo, c_next, ct_next, v_next = (pseudo_reward[ii, s_next], 0.0,
                                                               0.0, 0.0)
                        else:
                            pseudo = 0.0
                            a_star = _best_slot(child, terminated_at, c_index, action, v_index,
                                                n_slots, order, n_order, Cti, Ci, Vi, ii,
                                                s_next, work)
                            c_next = _stored(Ci, c_index, ii, a_star, s_next)
                            ct_next = _stored(Cti, c_index, ii, a_star, s_next)
                            v_next = _tree_value(child, terminated_at, c_index, action,
                                                 v_index, n_slots, order, n_order, Ci, Vi,
                                                 child[ii, a_star, s_next], s_next, work)
                        gamma_n = 1.0
                        for jj in range(t - 1, start[d] - 1, -1):
                            gamma_n *= settings.gamma
                            idx = c_index[ii, kk, seq[jj]]
                            if idx >= 0:
                                Cti[idx] = completion_update(Cti[idx], completion_target(
                                    gamma_n, pseudo, ct_next, v_next), settings.alpha)
                                Ci[idx] = completion_update(Ci[idx], completion_target(
                                    gamma_n, 0.0, c_next, v_next), settings.alpha)
                    if d < top:
                        break
                s = s_next
                if top == 0:
                    break
                depth = top - 1  # the lowest node still running chooses again in s'
            if cut and n_episodes > 0:
                break
            if n_episodes < records.returns.shape[1]:
                records.returns[seed, n_episodes] = G
                records.ends[seed, n_episodes] = total
            n_episodes += 1
        records.episodes[seed] = min(n_episodes, records.returns.shape[1])


@dataclass(frozen=True)
class MaxqResult:
    """The learned tables and the episodes of every seed.

    ``C``, ``Ct`` (n_seeds, n_c): the completion functions C and C̃; ``V`` (n_seeds, n_v): the
    leaf values. ``ends``, ``returns`` (n_seeds, max_episodes): the primitive-step count at which
    each episode ended and its undiscounted return; ``count`` (n_seeds,): episodes recorded.
    """

    C: np.ndarray
    Ct: np.ndarray
    V: np.ndarray
    ends: np.ndarray
    returns: np.ndarray
    count: np.ndarray


def maxq_q_learning(
    hierarchy: CompiledHierarchy,
    sim: Simulator,
    *,
    n_seeds: int,
    n_steps: int,
    alpha: float = 0.25,
    epsilon: float = 0.1,
    epsilon_decay: float = 0.0,
    gamma: float = 1.0,
    seed: SeedLike = 0,
    tables: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    learn: bool = True,
) -> MaxqResult:
    """MAXQ-Q learning (Dietterich 2000, Table 4) of ``hierarchy`` in ``sim`` for ``n_seeds``
    independent learners of ``n_steps`` primitive steps each (seeds run one after another from
    one generator). Children are chosen ε-greedily, greedy ties to the first slot (ordered);
task i's n-th choice in state s explores with probability
``exploration_rate(epsilon, epsilon_decay, n)`` = ε / (1 + decay · n): GLIE for
``epsilon_decay > 0``, a constant ε for 0. ``tables``:
    (C, C̃, V) to start from (copied); ``learn=False`` runs the greedy policy of ``tables``
    (with ε) and changes nothing. An episode cut by the step budget is not recorded (unless it
    is a seed's only one).
    """
    if not isinstance(hierarchy, CompiledHierarchy):
        raise TypeError(f"hierarchy must be a CompiledHierarchy, got {type(hierarchy).__name__}")
    if not isinstance(sim, Simulator):
        raise TypeError(f"sim must be a Simulator, got {type(sim).__name__}")
    n_seeds = check_int("n_seeds", n_seeds, minimum=1)
    n_steps = check_int("n_steps", n_steps, minimum=1)
    alpha = check_real("alpha", alpha, low=0.0, high=1.0, low_open=True)
    epsilon = check_real("epsilon", epsilon, low=0.0, high=1.0)
    epsilon_decay = check_real("epsilon_decay", epsilon_decay, low=0.0)
    gamma = check_real("gamma", gamma, low=0.0, high=1.0, low_open=True)
    n_states = hierarchy.graph.terminated.shape[1]
    if sim.succ.shape[0] != n_states:
        raise ValueError(f"sim has {sim.succ.shape[0]} states, the hierarchy {n_states}")
    if tables is None:
        C = np.zeros((n_seeds, hierarchy.n_c))
        Ct = np.zeros((n_seeds, hierarchy.n_c))
        V = np.zeros((n_seeds, hierarchy.n_v))
    else:
        shapes = ((n_seeds, hierarchy.n_c),) * 2 + ((n_seeds, hierarchy.n_v),)
        if len(tables) != 3 or any(np.shape(t) != sh for t, sh in zip(tables, shapes,
                                                                        strict=True)):
            raise ValueError(f"tables must be (C, C̃, V) of shapes {shapes}")
        C, Ct, V = (np.array(t, dtype=float) for t in tables)
    max_episodes = n_steps  # every episode takes at least one step
    records = _Records(np.zeros((n_seeds, max_episodes), dtype=np.int64),
                       np.zeros((n_seeds, max_episodes)), np.zeros(n_seeds, dtype=np.int64))
    settings = _Settings(alpha, epsilon, epsilon_decay, gamma, n_steps, bool(learn))
    _maxq_q_loop(C, Ct, V, hierarchy.graph, sim, settings, as_generator(seed), records)
    width = int(records.episodes.max())
    return MaxqResult(C, Ct, V, records.ends[:, :width], records.returns[:, :width],
                      records.episodes)


def greedy_returns(
    hierarchy: CompiledHierarchy, sim: Simulator, tables: tuple[np.ndarray, np.ndarray, np.ndarray],
    starts: np.ndarray, *, seed: SeedLike = 0,
) -> np.ndarray:
    """The undiscounted return of one greedy episode (ε = 0, no learning) from each state in
    ``starts``, for every seed's tables: shape (n_seeds, len(starts)). ``tables``: (C, C̃, V)
    with a leading seed dimension, as :class:`MaxqResult` holds them."""
    starts = np.asarray(starts, dtype=np.int64)
    C = np.asarray(tables[0])
    out = np.zeros((C.shape[0], starts.size))
    rng = as_generator(seed)
    for j, s0 in enumerate(starts):
        start_cdf = np.zeros(sim.succ.shape[0])
        start_cdf[s0:] = 1.0
        one = sim._replace(start_cdf=start_cdf)
        result = maxq_q_learning(hierarchy, one, n_seeds=C.shape[0], n_steps=sim.max_steps,
                                 epsilon=0.0, seed=rng, tables=tables, learn=False)
        out[:, j] = result.returns[:, 0]
    return out


def decomposition(hierarchy: CompiledHierarchy, C: np.ndarray, Ct: np.ndarray, V: np.ndarray,
                  state: int) -> list[tuple[str, str, float]]:
    """The greedy path from the root to a leaf in ``state`` and the terms that add up to
    V(root, s) (Dietterich 2000, eq. 12): ``(task, child, C(task, s, child))`` for each
    composite task on the path, then ``(leaf, "", V(leaf, s))``. ``C``, ``Ct``, ``V``: one
    seed's tables."""
    g = hierarchy.graph
    work = np.zeros(len(hierarchy.names))
    terms: list[tuple[str, str, float]] = []
    i = 0
    while g.action[i] < 0:
        k = int(best_child(g, Ct, C, V, i, state, work))
        if k < 0:
            raise ValueError(f"no child of {hierarchy.names[i]} can run in state {state}")
        a = int(g.child[i, k, state])
        terms.append((hierarchy.names[i], hierarchy.names[a], float(completion(C, g, i, k,
                                                                                 state))))
        i = a
    terms.append((hierarchy.names[i], "", float(V[g.v_index[i, state]])))
    return terms
