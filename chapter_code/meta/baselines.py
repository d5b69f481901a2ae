"""The linear feature baseline of Duan et al. (2016) used by Finn et al. (2017) for RL.

Per task, a ridge regression of the discounted return-to-go on the features
φ(s, t) = [s, s², t/100, (t/100)², (t/100)³, 1] of every visited step.
"""

from __future__ import annotations

import torch
from torch import Tensor

from chapter_code._checks import check_real


def discounted_returns(reward: Tensor, gamma: float) -> Tensor:
    """Return-to-go R_t = Σ_{k≥t} γ^{k−t} r_k along the last axis (steps after an episode ends
    must carry reward 0). ``reward``: (..., T); returns (..., T)."""
    gamma = check_real("gamma", gamma, low=0.0, high=1.0)
    horizon = reward.shape[-1]
    t = torch.arange(horizon, dtype=reward.dtype)
    lag = t[None, :] - t[:, None]  # lag[t, k] = k - t
    discount = torch.where(lag >= 0, gamma ** lag.clamp(min=0), torch.zeros(()))
    return reward @ discount.T


def baseline_features(obs: Tensor) -> Tensor:
    """φ(s, t) for every step: ``obs`` (..., T, d) -> (..., T, 2d + 4)."""
    horizon = obs.shape[-2]
    s = obs.clamp(-10.0, 10.0)
    t = (torch.arange(horizon, dtype=obs.dtype) / 100.0)[:, None].expand(*obs.shape[:-1], 1)
    return torch.cat([s, s**2, t, t**2, t**3, torch.ones_like(t)], dim=-1)


def linear_baseline(obs: Tensor, returns: Tensor, mask: Tensor, reg: float = 1e-5) -> Tensor:
    """Fitted values b(s_t) of every task's own linear baseline.

    ``obs`` (n_tasks, n_traj, T, d); ``returns`` and ``mask`` (n_tasks, n_traj, T). Solves
    (Φᵀ M Φ + reg I) w = Φᵀ M R per task in float64 and returns Φ w, shaped like ``returns``.
    """
    reg = check_real("reg", reg, low=0.0, low_open=True)
    if returns.shape != mask.shape or obs.shape[:-1] != returns.shape or obs.ndim != 4:
        raise ValueError(f"need obs (n_tasks, n_traj, T, d) and returns/mask (n_tasks, n_traj, "
                         f"T); got {tuple(obs.shape)}, {tuple(returns.shape)}, "
                         f"{tuple(mask.shape)}")
    phi = baseline_features(obs).double().flatten(1, 2)  # (n_tasks, n_traj * T, F)
    weight = mask.double().flatten(1, 2)[..., None]
    target = returns.double().flatten(1, 2)[..., None]
    gram = phi.transpose(1, 2) @ (weight * phi)
    eye = torch.eye(phi.shape[-1], dtype=torch.float64)
    coef = torch.linalg.solve(gram + reg * eye, phi.transpose(1, 2) @ (weight * target))
    return (phi @ coef).reshape(returns.shape).to(returns.dtype)
