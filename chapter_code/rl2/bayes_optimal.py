"""Exact values of bandit policies under the task distribution, by dynamic programming over
Beta posteriors: the Bayes-optimal ceiling, and the value of any count-based policy.

With arm means ~ U(0, 1) i.i.d., what an agent knows after some pulls is summed up by each
arm's (s_i, f_i): the next pull of arm i pays 1 with probability p_i = (s_i + 1)/(s_i + f_i + 2)
and moves the counts. The Bayes-optimal expected total reward over h remaining pulls is the
Bellman recursion on these belief states (Bellman 1956; Gittins 1979, §1):

    V(x, 0) = 0,
    V(x, h) = max_i [ p_i (1 + V(x + e_i^s, h − 1)) + (1 − p_i) V(x + e_i^f, h − 1) ].

The arms are exchangeable, so a belief state is the sorted tuple of (s_i, f_i) pairs. The number
of states grows fast with k and n: k <= 5 with n <= 10 takes seconds.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from chapter_code.rl2.bandit_baselines import BanditPolicy, action_probabilities
from chapter_code.rl2.bandits import check_bandit_shape

Belief = tuple[tuple[int, int], ...]


def _successors(state: Belief, arm: int) -> tuple[float, Belief, Belief]:
    """p of a success on ``arm``, and the sorted belief states after a success and a failure."""
    s, f = state[arm]
    p = (s + 1.0) / (s + f + 2.0)
    win = tuple(sorted(state[:arm] + ((s + 1, f),) + state[arm + 1:]))
    lose = tuple(sorted(state[:arm] + ((s, f + 1),) + state[arm + 1:]))
    return p, win, lose


def bayes_optimal_value(n_arms: int, n_pulls: int) -> float:
    """max over policies of E[Σ_t r_t] for k = ``n_arms`` Bernoulli arms with U(0, 1) means and
    n = ``n_pulls`` pulls: the Bellman recursion of the module docstring from the prior."""
    k, n = check_bandit_shape(n_arms, n_pulls)

    @cache
    def value(state: Belief, h: int) -> float:
        if h == 0:
            return 0.0
        best = -np.inf
        for arm in range(k):
            if arm > 0 and state[arm] == state[arm - 1]:
                continue  # an identical arm was already tried
            p, win, lose = _successors(state, arm)
            best = max(best, p * (1.0 + value(win, h - 1)) + (1.0 - p) * value(lose, h - 1))
        return best

    return value(((0, 0),) * k, n)


def policy_value(policy: BanditPolicy, n_arms: int, n_pulls: int) -> float:
    """E[Σ_t r_t] of ``policy`` under the task distribution, exactly: the same recursion with
    the maximum replaced by the policy's action distribution
    (:func:`chapter_code.rl2.bandit_baselines.action_probabilities`). The policy must treat
    arms alike (every baseline here does), so sorted belief states suffice."""
    k, n = check_bandit_shape(n_arms, n_pulls)

    @cache
    def value(state: Belief, h: int) -> float:
        if h == 0:
            return 0.0
        counts = np.array(state, dtype=float)
        probs = action_probabilities(policy, counts[None, :, 0], counts[None, :, 1],
                                     n - h + 1, n)[0]
        total = 0.0
        for arm in np.flatnonzero(probs):
            p, win, lose = _successors(state, int(arm))
            total += probs[arm] * (p * (1.0 + value(win, h - 1)) + (1.0 - p) * value(lose, h - 1))
        return total

    return value(((0, 0),) * k, n)
