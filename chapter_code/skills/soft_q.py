"""Discrete soft Q-learning: the maximum-entropy value, policy and one-step target.

Maximum-entropy RL adds the policy's entropy, weighted by a temperature α, to every reward.
Its optimal action values satisfy a soft Bellman equation whose "max" is a log-sum-exp
(Haarnoja, Tang, Abbeel & Levine 2017, "Reinforcement learning with deep energy-based
policies", the soft value and soft Q-iteration, specialised here to finitely many actions):

    V(s) = α log Σ_a exp(Q(s, a) / α),     π(a | s) = exp((Q(s, a) - V(s)) / α),
    Q(s, a) <- Q(s, a) + lr [r + γ V(s') - Q(s, a)]   (V(s') = 0 if s' is terminal).

As α -> 0 the soft value becomes max_a Q and the policy greedy: Q-learning.
"""

from __future__ import annotations

import numpy as np

from chapter_code._checks import check_real


def _alpha(alpha: float) -> float:
    return check_real("alpha", alpha, low=0.0, low_open=True)


def soft_value(q: np.ndarray, alpha: float) -> np.ndarray:
    """V = α log Σ_a exp(Q(·, a) / α) over the last axis (computed stably). Shapes:
    ``q`` (..., A) -> (...)."""
    alpha = _alpha(alpha)
    q = np.asarray(q, dtype=float)
    top = q.max(axis=-1)
    return top + alpha * np.log(np.exp((q - top[..., None]) / alpha).sum(axis=-1))


def soft_policy(q: np.ndarray, alpha: float) -> np.ndarray:
    """π(a | s) = exp((Q(s, a) - V(s)) / α), the Boltzmann policy of the soft values.
    Shapes: ``q`` (..., A) -> (..., A), rows summing to 1."""
    alpha = _alpha(alpha)
    q = np.asarray(q, dtype=float)
    return np.exp((q - soft_value(q, alpha)[..., None]) / alpha)


def soft_q_target(reward: float, gamma: float, v_next: float, terminated: bool) -> float:
    """The one-step soft target y = r + γ V(s'), with V(s') = 0 when s' is terminal (a time
    limit truncates and still bootstraps)."""
    gamma = check_real("gamma", gamma, low=0.0, high=1.0)
    return float(reward) + (0.0 if terminated else gamma * float(v_next))


def soft_q_update(q: float, target: float, lr: float) -> float:
    """Q(s, a) + lr (y - Q(s, a)): one step of soft Q-learning toward the target y."""
    lr = check_real("lr", lr, low=0.0, high=1.0, low_open=True)
    return float(q) + lr * (float(target) - float(q))
