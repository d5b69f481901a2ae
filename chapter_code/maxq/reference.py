"""A plain-Python twin of the compiled MAXQ-Q learner, acting in a Gymnasium env.

Slow and readable: one seed, one recursive call per task as in Dietterich's (2000) Table 4, the
environment stepped through its Gymnasium interface. It draws its random numbers in the same
order as :func:`chapter_code.maxq.learning.maxq_q_learning`, so from the same generator the two
produce the same values; the tests hold them to that.
"""

from __future__ import annotations

from typing import Any

import gymnasium
import numpy as np

from chapter_code._checks import check_int, check_real
from chapter_code.maxq.hierarchy import CompiledHierarchy
from chapter_code.maxq.learning import (
    MaxqResult,
    completion_target,
    completion_update,
    exploration_rate,
    primitive_value_update,
)


class _Truncated(Exception):
    """The episode hit its time limit (or the step budget): running subtasks are abandoned."""


def reference_maxq_q(
    env: gymnasium.Env,
    hierarchy: CompiledHierarchy,
    *,
    n_steps: int,
    rng: np.random.Generator,
    alpha: float = 0.25,
    epsilon: float = 0.1,
    epsilon_decay: float = 0.0,
    gamma: float = 1.0,
) -> MaxqResult:
    """MAXQ-Q for one seed and ``n_steps`` primitive steps in ``env`` (its ``np_random`` is
    replaced by ``rng``); task i's n-th choice in state s explores with probability
    ε / (1 + epsilon_decay · n). Returns a :class:`MaxqResult` with one seed."""
    n_steps = check_int("n_steps", n_steps, minimum=1)
    alpha = check_real("alpha", alpha, low=0.0, high=1.0, low_open=True)
    epsilon = check_real("epsilon", epsilon, low=0.0, high=1.0)
    epsilon_decay = check_real("epsilon_decay", epsilon_decay, low=0.0)
    gamma = check_real("gamma", gamma, low=0.0, high=1.0, low_open=True)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    g = hierarchy.graph
    C = np.zeros(hierarchy.n_c)
    Ct = np.zeros(hierarchy.n_c)
    V = np.zeros(hierarchy.n_v)
    env.unwrapped.np_random = rng

    def c_of(table: np.ndarray, i: int, k: int, s: int) -> float:
        j = g.c_index[i, k, s]
        return 0.0 if j < 0 else float(table[j])

    def can_run(i: int, k: int, s: int) -> bool:
        a = g.child[i, k, s]
        return bool(a >= 0 and not g.terminated[a, s])

    def slots(i: int, s: int) -> list[int]:
        return [k for k in range(g.n_slots[i]) if can_run(i, k, s)]

    def value(i: int, s: int) -> float:  # V(i, s) = max_a [V(a, s) + C(i, s, a)]
        if g.action[i] >= 0:
            return float(V[g.v_index[i, s]])
        if g.terminated[i, s] or not slots(i, s):
            return 0.0
        return max(value(g.child[i, k, s], s) + c_of(C, i, k, s) for k in slots(i, s))

    def greedy(i: int, s: int) -> int:  # argmax_a [C̃(i, s, a) + V(a, s)], first on ties
        best, choice = -np.inf, -1
        for k in slots(i, s):
            q = c_of(Ct, i, k, s) + value(g.child[i, k, s], s)
            if choice < 0 or q > best:
                best, choice = q, k
        return choice

    choices: dict[tuple[int, int], int] = {}  # n_i(s): earlier choices of task i in state s

    def choose(i: int, s: int) -> int:
        n = choices.get((i, s), 0)
        choices[(i, s)] = n + 1
        if rng.random() < exploration_rate(epsilon, epsilon_decay, n):
            allowed = slots(i, s)
            return allowed[min(int(rng.random() * len(allowed)), len(allowed) - 1)]
        return greedy(i, s)

    state: dict[str, Any] = {"total": 0, "G": 0.0, "terminated": False}

    def maxq_q(path: list[int], s: int) -> tuple[list[int], int]:
        """Run the task at the end of ``path`` (the root first) from s until it or an ancestor
        ends; return the states it passed, most recent first, and the state it ended in."""
        i = path[-1]
        seq: list[int] = []
        while True:
            k = choose(i, s)
            a = int(g.child[i, k, s])
            if g.action[a] >= 0:
                s_next, reward, terminated, truncated, _ = env.step(int(g.action[a]))
                r = float(reward)
                state["total"] += 1
                state["G"] += r
                V[g.v_index[a, s]] = primitive_value_update(V[g.v_index[a, s]], r, alpha)
                state["terminated"] = bool(terminated)
                if not terminated and (truncated or state["total"] >= n_steps):
                    raise _Truncated
                child_seq = [s]
            else:
                child_seq, s_next = maxq_q([*path, a], s)
            s_next = int(s_next)
            ended = state["terminated"] or any(g.terminated[n, s_next] for n in path)
            own = state["terminated"] or bool(g.terminated[i, s_next])
            child_ended = g.action[a] >= 0 or state["terminated"] or bool(g.terminated[a, s_next])
            if child_ended:
                update(i, k, child_seq, s_next, own)
            seq = child_seq + seq
            s = s_next
            if ended:
                return seq, s

    def update(i: int, k: int, child_seq: list[int], s_next: int, own: bool) -> None:
        """Move C̃(i, s, k) and C(i, s, k) of every state s the child passed (most recent
        first, N = 1, 2, ...) toward their targets; toward R̃_i(s') and 0 if i ended in s'."""
        if own:
            pseudo, c_next, ct_next, v_next = float(g.pseudo[i, s_next]), 0.0, 0.0, 0.0
        else:
            pseudo = 0.0
            a_star = greedy(i, s_next)
            c_next, ct_next = c_of(C, i, a_star, s_next), c_of(Ct, i, a_star, s_next)
            v_next = value(g.child[i, a_star, s_next], s_next)
        gamma_n = 1.0
        for s_visited in child_seq:  # N = 1, 2, ...: gamma_n = γ^N
            gamma_n *= gamma
            j = g.c_index[i, k, s_visited]
            if j >= 0:
                Ct[j] = completion_update(Ct[j], completion_target(
                    gamma_n, pseudo, ct_next, v_next), alpha)
                C[j] = completion_update(C[j], completion_target(
                    gamma_n, 0.0, c_next, v_next), alpha)

    ends: list[int] = []
    returns: list[float] = []
    while state["total"] < n_steps:
        s, _ = env.reset()
        state["G"], state["terminated"] = 0.0, False
        try:
            maxq_q([0], int(s))
        except _Truncated:
            if state["total"] >= n_steps and returns:
                break
        returns.append(state["G"])
        ends.append(state["total"])
    return MaxqResult(C[None], Ct[None], V[None], np.array([ends]), np.array([returns]),
                      np.array([len(returns)]))
