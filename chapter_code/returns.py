"""Returns of a few steps: the quantity an SMDP backup uses for an option that ran k steps."""

from __future__ import annotations

import numpy as np

from chapter_code._checks import check_real


def n_step_return(
    rewards: np.ndarray, bootstrap: np.ndarray, terminated: np.ndarray, gamma: float
) -> np.ndarray:
    """G = Σ_{j<k} γ^j r_j + γ^k (1 - terminated) · bootstrap, for a batch of k-step segments.

    The cumulative discounted reward of an option (Sutton, Precup & Singh 1999, eq. 6) followed
    by the discounted value of where the option stopped: the target of SMDP Q-learning (§3.2).
    Shapes: ``rewards`` (..., k); ``bootstrap`` and ``terminated`` (...).
    ``bootstrap`` is the value estimate at the segment's last state (e.g. max_o Q(s_k, o)); it
    is ignored where ``terminated`` is true.
    """
    gamma = check_real("gamma", gamma, low=0.0, high=1.0)
    rewards = np.asarray(rewards, dtype=float)
    bootstrap = np.asarray(bootstrap, dtype=float)
    terminated = np.asarray(terminated)
    if rewards.ndim < 1 or rewards.shape[-1] < 1:
        raise ValueError(f"rewards must have shape (..., k) with k >= 1, got {rewards.shape}")
    if bootstrap.shape != rewards.shape[:-1] or terminated.shape != rewards.shape[:-1]:
        raise ValueError(
            f"bootstrap and terminated must have shape rewards.shape[:-1] = {rewards.shape[:-1]}, "
            f"got {bootstrap.shape} and {terminated.shape}"
        )
    if terminated.dtype != bool:
        raise TypeError(f"terminated must be a bool array, got dtype {terminated.dtype}")
    k = rewards.shape[-1]
    discounts = gamma ** np.arange(k)
    tail = np.where(terminated, 0.0, bootstrap)
    return rewards @ discounts + gamma**k * tail
