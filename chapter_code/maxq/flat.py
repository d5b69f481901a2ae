"""Flat Q-learning on the same simulator as MAXQ-Q: the baseline of Dietterich's (2000) Taxi
experiments.

It reuses the update of :func:`chapter_code.options.learning.smdp_q_update` with k = 1 (one-step
Q-learning) and steps the :class:`~chapter_code.maxq.learning.Simulator` with the same draws as
MAXQ-Q, so both see one environment, fickle passenger included. (The episode-budgeted
:func:`chapter_code.options.q_learning` runs on an exact :class:`TabularMDP`, which cannot hold
the fickle passenger's hidden once-per-episode switch.)
"""

from __future__ import annotations

import numba
import numpy as np

from chapter_code._checks import check_int, check_real
from chapter_code.maxq.learning import (
    MaxqResult,
    Simulator,
    _reset,
    _step,
    exploration_rate,
)
from chapter_code.options.learning import smdp_q_update
from chapter_code.seeding import SeedLike, as_generator


@numba.njit(cache=True)
def _greedy(q: np.ndarray) -> int:
    """argmax_a q[a], ties to the first action (ordered, as MAXQ-Q breaks them)."""
    choice = 0
    for a in range(1, q.shape[0]):
        if q[a] > q[choice]:
            choice = a
    return choice


@numba.njit(cache=True)
def _flat_q_loop(Q, sim, alpha, epsilon, decay, gamma, n_steps, rng, ends, returns,
                 episodes):  # pragma: no cover
    """One-step Q-learning for every seed in turn, ``n_steps`` primitive steps each; a time
    limit truncates (the last update bootstraps from s'); the budget cuts the last episode.
    The n-th choice in s explores with :func:`exploration_rate` (epsilon, decay, n)."""
    n_actions = Q.shape[2]
    choices = np.zeros(Q.shape[1], dtype=np.int64)
    for seed in range(Q.shape[0]):
        Qi = Q[seed]
        choices[:] = 0
        total, n = 0, 0
        while total < n_steps:
            s, fickle_step = _reset(sim, rng)
            t, G = 0, 0.0
            cut = False
            while True:
                eps = exploration_rate(epsilon, decay, choices[s])
                choices[s] += 1
                if rng.random() < eps:
                    a = min(int(rng.random() * n_actions), n_actions - 1)
                else:
                    a = _greedy(Qi[s])
                s_next, r, terminated, fickle_step = _step(sim, s, a, fickle_step, rng)
                t += 1
                total += 1
                G += r
                bootstrap = 0.0 if terminated else Qi[s_next].max()
                Qi[s, a] = smdp_q_update(Qi[s, a], r, gamma, bootstrap, alpha)
                s = s_next
                if terminated or t >= sim.max_steps or total >= n_steps:
                    cut = not terminated and total >= n_steps
                    break
            if cut and n > 0:
                break
            returns[seed, n] = G
            ends[seed, n] = total
            n += 1
        episodes[seed] = n


def flat_q_learning(
    sim: Simulator,
    *,
    n_seeds: int,
    n_steps: int,
    alpha: float = 0.25,
    epsilon: float = 0.1,
    epsilon_decay: float = 0.0,
    gamma: float = 1.0,
    seed: SeedLike = 0,
) -> tuple[np.ndarray, MaxqResult]:
    """Flat Q-learning, ε-greedy with ties to the first action, for ``n_seeds`` learners of
    ``n_steps`` primitive steps; the n-th choice in state s explores with probability
    ε / (1 + epsilon_decay · n), as MAXQ-Q's tasks do. Returns Q (n_seeds, S, A) and the
    episodes as a :class:`MaxqResult` (its tables empty)."""
    if not isinstance(sim, Simulator):
        raise TypeError(f"sim must be a Simulator, got {type(sim).__name__}")
    n_seeds = check_int("n_seeds", n_seeds, minimum=1)
    n_steps = check_int("n_steps", n_steps, minimum=1)
    alpha = check_real("alpha", alpha, low=0.0, high=1.0, low_open=True)
    epsilon = check_real("epsilon", epsilon, low=0.0, high=1.0)
    epsilon_decay = check_real("epsilon_decay", epsilon_decay, low=0.0)
    gamma = check_real("gamma", gamma, low=0.0, high=1.0, low_open=True)
    Q = np.zeros((n_seeds,) + sim.succ.shape[:2])
    ends = np.zeros((n_seeds, n_steps), dtype=np.int64)
    returns = np.zeros((n_seeds, n_steps))
    episodes = np.zeros(n_seeds, dtype=np.int64)
    _flat_q_loop(Q, sim, alpha, epsilon, epsilon_decay, gamma, n_steps, as_generator(seed), ends,
                 returns, episodes)
    width = int(episodes.max())
    empty = np.zeros((n_seeds, 0))
    return Q, MaxqResult(empty, empty, empty, ends[:, :width], returns[:, :width], episodes)
