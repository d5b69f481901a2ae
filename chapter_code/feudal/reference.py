"""Plain-Python twins of the compiled tabular learners of :mod:`chapter_code.feudal.hdqn`.

Slow and readable: one seed, Algorithm 1 of Kulkarni et al. (2016) written out as nested loops,
the process stepped through its Gymnasium face (:class:`StochasticDecisionProcess`). They draw
their random numbers in the same order as the compiled loops (the env's ``np_random`` is the
same generator), so from the same generator the two produce the same tables; the tests hold them
to that.
"""

from __future__ import annotations

import numpy as np

from chapter_code._checks import check_int, check_real
from chapter_code.feudal.hdqn import (
    FlatResult,
    HdqnResult,
    annealed_epsilon,
    epsilon_greedy,
    intrinsic_reward,
    q_learning_target,
    q_update,
)
from chapter_code.feudal.sdp import N_ACTIONS, N_GOALS, N_STATES, StochasticDecisionProcess


def _check(n_episodes: int, alpha: float, gamma: float, epsilon_start: float,
           epsilon_end: float, anneal_steps: int, rng: np.random.Generator) -> None:
    check_int("n_episodes", n_episodes, minimum=1)
    check_real("alpha", alpha, low=0.0, high=1.0, low_open=True)
    check_real("gamma", gamma, low=0.0, high=1.0, low_open=True)
    check_real("epsilon_start", epsilon_start, low=0.0, high=1.0)
    check_real("epsilon_end", epsilon_end, low=0.0, high=1.0)
    check_int("anneal_steps", anneal_steps, minimum=0)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")


def reference_hdqn(*, n_episodes: int, rng: np.random.Generator, alpha: float = 0.1,
                   gamma: float = 0.99, epsilon_start: float = 1.0, epsilon_end: float = 0.1,
                   anneal_steps: int = 50_000) -> HdqnResult:
    """Tabular h-DQN for one seed (Kulkarni et al. 2016, Algorithm 1, tables for Q1 and Q2);
    returns an :class:`HdqnResult` with one seed."""
    _check(n_episodes, alpha, gamma, epsilon_start, epsilon_end, anneal_steps, rng)
    env = StochasticDecisionProcess()
    env.np_random = rng
    Q1 = np.zeros((N_STATES, N_GOALS, N_ACTIONS))  # Q1(s, a; g), indexed [s, g, a]
    Q2 = np.zeros((N_STATES, N_GOALS))  # Q2(s, g)
    returns, lengths = np.zeros(n_episodes), np.zeros(n_episodes, dtype=np.int64)
    visits = np.zeros((n_episodes, N_STATES), dtype=np.int64)
    goals = np.zeros((n_episodes, N_GOALS), dtype=np.int64)
    t = 0

    def epsilon() -> float:
        return annealed_epsilon(t, epsilon_start, epsilon_end, anneal_steps)

    for episode in range(n_episodes):
        s, _ = env.reset()
        g = epsilon_greedy(Q2[s], epsilon(), rng)
        goals[episode, g] += 1
        terminated = False
        while not terminated:
            F, s0 = 0.0, s
            while True:  # the controller pursues g
                a = epsilon_greedy(Q1[s, g], epsilon(), rng)
                s_next, f, terminated, _, _ = env.step(a)
                r = intrinsic_reward(s_next, g)  # the internal critic
                reached = s_next == g
                target = q_learning_target(r, gamma, Q1[s_next, g].max(), terminated or reached)
                Q1[s, g, a] = q_update(Q1[s, g, a], target, alpha)
                F += f
                returns[episode] += f
                lengths[episode] += 1
                visits[episode, s_next] += 1
                t += 1
                s = s_next
                if terminated or reached:
                    break
            target = q_learning_target(F, gamma, Q2[s].max(), terminated)
            Q2[s0, g] = q_update(Q2[s0, g], target, alpha)
            if not terminated:
                g = epsilon_greedy(Q2[s], epsilon(), rng)
                goals[episode, g] += 1
    return HdqnResult(Q1[None], Q2[None], returns[None], lengths[None], visits[None],
                      goals[None])


def reference_q_learning(*, n_episodes: int, rng: np.random.Generator, alpha: float = 0.1,
                         gamma: float = 0.99, epsilon_start: float = 1.0,
                         epsilon_end: float = 0.1, anneal_steps: int = 50_000) -> FlatResult:
    """Flat Q-learning on the observed state for one seed; a :class:`FlatResult` with one
    seed."""
    _check(n_episodes, alpha, gamma, epsilon_start, epsilon_end, anneal_steps, rng)
    env = StochasticDecisionProcess()
    env.np_random = rng
    Q = np.zeros((N_STATES, N_ACTIONS))
    returns, lengths = np.zeros(n_episodes), np.zeros(n_episodes, dtype=np.int64)
    visits = np.zeros((n_episodes, N_STATES), dtype=np.int64)
    t = 0
    for episode in range(n_episodes):
        s, _ = env.reset()
        terminated = False
        while not terminated:
            a = epsilon_greedy(Q[s], annealed_epsilon(t, epsilon_start, epsilon_end,
                                                      anneal_steps), rng)
            s_next, f, terminated, _, _ = env.step(a)
            Q[s, a] = q_update(Q[s, a], q_learning_target(f, gamma, Q[s_next].max(),
                                                          terminated), alpha)
            returns[episode] += f
            lengths[episode] += 1
            visits[episode, s_next] += 1
            t += 1
            s = s_next
    return FlatResult(Q[None], returns[None], lengths[None], visits[None])
