"""Global, hierarchical and recursive optimality (Dietterich 2000, §2.4) computed exactly on a
small room with two doors and a back door, whose hierarchy makes all three differ.

Cells: 0 (start) and 1 in the room; 2 and 3 outside the upper and the lower door; 4-7 a long
corridor from 2 to the goal 8; from 3 the goal is one step. Actions: 0 Up, 1 Down, 2 Right;
every step pays -1 (γ = 1). Up from 0 leaves by the upper door (one step); Down, Down leaves
by the lower door (two steps); Right from 0 is a back door straight to cell 3. The hierarchy:
Root -> Exit (Up, Down; ends outside the room), Travel (Right; runs outside the room, ends at
the goal). In each cell the running subtask is fixed (Exit inside, Travel outside), so the
policies the hierarchy allows are exactly those that use Exit's actions inside and Travel's
outside.
"""

from __future__ import annotations

import numpy as np

from chapter_code.envs.tabular import TabularMDP, policy_evaluation, value_iteration
from chapter_code.maxq.hierarchy import CompiledHierarchy, Primitive, Task, compile_hierarchy

UP, DOWN, RIGHT = 0, 1, 2
ROOM = (0, 1)
GOAL = 8


def two_door_room() -> TabularMDP:
    """The room of this module's docstring as an exact model."""
    moves = {0: {UP: 2, DOWN: 1, RIGHT: 3}, 1: {UP: 0, DOWN: 3, RIGHT: 1},
             2: {RIGHT: 4}, 3: {RIGHT: GOAL}, 4: {RIGHT: 5}, 5: {RIGHT: 6}, 6: {RIGHT: 7},
             7: {RIGHT: GOAL}}
    P = np.zeros((9, 3, 9))
    for s in range(9):
        for a in range(3):
            P[s, a, moves.get(s, {}).get(a, s)] = 1.0
    terminal = np.arange(9) == GOAL
    return TabularMDP(P=P, R=np.full((9, 3), -1.0), gamma=1.0, terminal=terminal)


def two_door_hierarchy() -> CompiledHierarchy:
    """Root -> Exit (Up, Down), Travel (Right), as in this module's docstring."""
    tasks: list[Task | Primitive] = [
        Primitive("Up", UP), Primitive("Down", DOWN), Primitive("Right", RIGHT),
        Task("Exit", ("Up", "Down"), terminated=lambda s: s not in ROOM),
        Task("Travel", ("Right",), terminated=lambda s: s in ROOM or s == GOAL),
        Task("Root", ("Exit", "Travel"), terminated=lambda s: s == GOAL),
    ]
    return compile_hierarchy(tasks, "Root", n_states=9, n_actions=3,
                             terminal=np.arange(9) == GOAL, abstraction=False)


def best_value_with_actions(mdp: TabularMDP, allowed: np.ndarray, *, tol: float = 1e-10
                            ) -> np.ndarray:
    """max over the policies that take, in each state s, only actions with ``allowed[s, a]``:
    value iteration with the other actions removed. ``allowed``: (S, A) bool -> V (S,)."""
    allowed = np.asarray(allowed, dtype=bool)
    if allowed.shape != (mdp.n_states, mdp.n_actions):
        raise ValueError(f"allowed must have shape {(mdp.n_states, mdp.n_actions)}, "
                         f"got {allowed.shape}")
    V = np.zeros(mdp.n_states)
    for _ in range(100_000):
        V_new = np.where(allowed, mdp.q_from_v(V), -np.inf).max(axis=1)
        V_new[mdp.terminal] = 0.0
        if np.max(np.abs(V_new - V)) < tol:
            return V_new
        V = V_new
    raise RuntimeError("value iteration did not converge")


def three_optima(start: int = 0) -> dict[str, float]:
    """The value of ``start`` under the globally optimal policy (value iteration), the
    hierarchically optimal one (the best policy the hierarchy allows) and the recursively
    optimal one (Exit and Travel each optimal for their own reward, then Root's best use of
    them)."""
    mdp = two_door_room()
    room = np.isin(np.arange(9), ROOM)
    exit_actions, travel_actions = np.array([1, 1, 0], bool), np.array([0, 0, 1], bool)
    allowed = np.where(room[:, None], exit_actions, travel_actions)
    V_global, _ = value_iteration(mdp)
    V_hier = best_value_with_actions(mdp, allowed)
    # Exit alone: reach any cell outside the room as fast as possible, blind to what follows
    exit_task = TabularMDP(P=mdp.P, R=mdp.R, gamma=1.0, terminal=~room)
    V_exit = best_value_with_actions(exit_task, np.where(room[:, None], exit_actions, True))
    exit_policy = np.where(exit_actions, exit_task.q_from_v(V_exit), -np.inf).argmax(axis=1)
    policy = np.where(room, exit_policy, RIGHT)
    V_rec = policy_evaluation(mdp, policy)
    return {"global": float(V_global[start]), "hierarchical": float(V_hier[start]),
            "recursive": float(V_rec[start])}
