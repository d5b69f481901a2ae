"""Figures of the MAML notebook: sampled navigation trajectories before and after adaptation."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
from matplotlib.figure import Figure
from torch import Tensor, nn

from chapter_code._checks import check_int, check_real
from chapter_code.meta.maml_rl import adaptation_episodes
from chapter_code.plotting import PALETTE, new_figure


def adapted_trajectories_figure(
    policy: nn.Module,
    params: Mapping[str, Tensor],
    goals: Tensor,
    *,
    inner_lr: float = 0.1,
    steps: int = 1,
    n_trajectories: int = 20,
    n_shown: int = 5,
    seed: int = 0,
) -> Figure:
    """One panel per goal: ``n_shown`` sampled trajectories of the shared policy (grey) and of
    the policy after ``steps`` policy-gradient steps of size ``inner_lr`` (colour); the star
    is the goal. Positions in the plane's units."""
    inner_lr = check_real("inner_lr", inner_lr, low=0.0, low_open=True)
    steps = check_int("steps", steps, minimum=1)
    n_shown = check_int("n_shown", n_shown, minimum=1)
    episodes = adaptation_episodes(policy, params, goals, inner_lrs=(inner_lr,) * steps,
                                   n_trajectories=n_trajectories,
                                   generator=torch.Generator().manual_seed(seed))
    fig, axes = new_figure(ncols=len(goals), sharex=True, sharey=True,
                           figsize=(3.0 * len(goals), 3.3))
    axes = np.atleast_1d(axes)
    for i, ax in enumerate(axes):
        for ep, color, label in ((episodes[0], "#999999", "before"),
                                 (episodes[-1], PALETTE[i % len(PALETTE)],
                                  f"after {steps} step(s)")):
            for n in range(min(n_shown, ep.obs.shape[1])):
                valid = ep.mask[i, n] > 0
                path = ep.obs[i, n][valid].numpy()
                ax.plot(path[:, 0], path[:, 1], color=color, lw=0.9, alpha=0.8,
                        label=label if n == 0 else None)
        ax.plot(*goals[i].numpy(), marker="*", color="black", ms=12, ls="none", label="goal")
        ax.set_xlim(-0.8, 0.8)
        ax.set_ylim(-0.8, 0.8)
        ax.set_aspect("equal")
        ax.set_xlabel("x position")
        after = episodes[-1].returns[i].mean().item()
        ax.set_title(f"return {episodes[0].returns[i].mean().item():.1f} → {after:.1f}")
    axes[0].set_ylabel("y position")
    axes[0].legend(loc="lower left", fontsize=8)
    return fig
