"""FeUdal Networks (Vezhnevets et al. 2017) against a flat LSTM actor-critic with the same A2C
budget on a MiniGrid task, over seeds, with the paper's two ablations available (goals trained
end to end without the transition policy gradient; no dilation)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from chapter_code._checks import check_int, check_real
from chapter_code.experiments import Experiment, Output, ProgressFactory
from chapter_code.feudal.fun import METHODS, train_a2c
from chapter_code.parallel import map_jobs
from chapter_code.stats import seed_interval


@dataclass(frozen=True)
class FunConfig:
    """Options of the FuN experiment."""

    env_id: str = "MiniGrid-DoorKey-5x5-v0"
    """the Gymnasium id of the MiniGrid task"""
    methods: tuple[str, ...] = ("fun", "lstm")
    """agents to train (fun, fun-no-tpg, fun-no-dilation, lstm)"""
    n_seeds: int = 2
    """independent runs per agent"""
    n_frames: int = 400_000
    """environment steps per run, over all environments"""
    n_envs: int = 16
    """environments stepped together"""
    rollout: int = 20
    """steps per environment between updates"""
    lr: float = 1e-3
    """Adam step size"""
    alpha: float = 0.0
    """weight of the intrinsic reward in the worker's return (on DoorKey-5x5, 0 and 0.01 learned
    on the most seeds of a sweep over 0, 0.01, 0.05, 0.1, 0.5; the paper tunes it in [0, 1])"""
    bins: int = 15
    """points of the learning curves (frames split evenly)"""
    seed: int = 0
    """seed of the first run; run i uses seed + i"""
    workers: int = 1
    """processes training runs side by side (the numbers do not depend on it)"""

    def __post_init__(self) -> None:
        if not isinstance(self.env_id, str) or not self.env_id.startswith("MiniGrid-"):
            raise ValueError(f"env_id must name a MiniGrid environment, got {self.env_id!r}")
        if not isinstance(self.methods, tuple) or not self.methods:
            raise TypeError(f"methods must be a non-empty tuple, got {self.methods!r}")
        for method in self.methods:
            if method not in METHODS:
                raise ValueError(f"methods must be among {METHODS}, got {method!r}")
        check_int("n_seeds", self.n_seeds, minimum=2)
        check_int("n_frames", self.n_frames, minimum=1)
        check_int("n_envs", self.n_envs, minimum=1)
        check_int("rollout", self.rollout, minimum=11)
        check_real("lr", self.lr, low=0.0, low_open=True)
        check_real("alpha", self.alpha, low=0.0, high=1.0)
        check_int("bins", self.bins, minimum=1)
        check_int("seed", self.seed, minimum=0)
        check_int("workers", self.workers, minimum=1)


def binned_returns(returns: np.ndarray, frames: np.ndarray, n_frames: int,
                   bins: int) -> np.ndarray:
    """Mean return of the episodes that ended in each of ``bins`` equal spans of frames,
    NaN where none ended: (bins,)."""
    edges = np.linspace(0, n_frames, bins + 1)
    which = np.clip(np.searchsorted(edges, frames, side="left") - 1, 0, bins - 1)
    out = np.full(bins, np.nan)
    for b in range(bins):
        chosen = returns[which == b]
        if chosen.size:
            out[b] = chosen.mean()
    return out


LEARNED_RETURN = 0.5
"""a run learned the task when the mean return of its last bin exceeds this (MiniGrid pays
1 − 0.9 t/T for reaching the goal at step t of at most T)."""


def late_phase(returns: np.ndarray, frames: np.ndarray, n_frames: int) -> tuple[float, float]:
    """Mean return and share of successful episodes (return > 0) over the episodes that ended
    in the last fifth of ``n_frames`` frames; (0, 0) if none did."""
    late = returns[frames > 0.8 * n_frames]
    if not late.size:
        return 0.0, 0.0
    return float(late.mean()), float((late > 0).mean())


def runs_learned(curves: np.ndarray) -> int:
    """How many runs, the rows of binned learning curves (seeds, bins), end above
    :data:`LEARNED_RETURN` (a last bin with no episode, NaN, does not count)."""
    return int((curves[:, -1] > LEARNED_RETURN).sum())


def train_one(config: FunConfig, method: str, seed: int) -> tuple[np.ndarray, float, float]:
    """One run of ``method`` on one torch thread: its binned learning curve, and its mean
    return and share of successful episodes over the last fifth of the frames."""
    torch.set_num_threads(1)
    result = train_a2c(config.env_id, method, n_envs=config.n_envs, n_frames=config.n_frames,
                       seed=seed, rollout=config.rollout, lr=config.lr, alpha=config.alpha)
    return (binned_returns(result.returns, result.frames, config.n_frames, config.bins),
            *late_phase(result.returns, result.frames, config.n_frames))


def run(config: FunConfig, progress: ProgressFactory) -> Output:
    """Train every agent ``n_seeds`` times (one torch thread each; with ``workers`` > 1, that
    many runs at once); report the mean return and the share of successful episodes over the
    last fifth of the frames, with 95% intervals."""
    jobs = [(method, config.seed + i) for method in config.methods
            for i in range(config.n_seeds)]
    done = map_jobs(train_one, [(config, *job) for job in jobs], config.workers, progress, "runs")
    by_method = {m: [d for (method, _), d in zip(jobs, done, strict=True) if method == m]
                 for m in config.methods}
    metrics: dict[str, Any] = {
        "env_id": config.env_id, "n_seeds": config.n_seeds, "n_frames": config.n_frames,
        "final_return": {m: seed_interval(np.array([d[1] for d in runs]))
                         for m, runs in by_method.items()},
        "final_success": {m: seed_interval(np.array([d[2] for d in runs]))
                          for m, runs in by_method.items()},
    }
    arrays = {f"curve_{m.replace('-', '_')}": np.array([d[0] for d in runs])
              for m, runs in by_method.items()}
    return Output(metrics, arrays)


EXPERIMENT = Experiment(
    name="fun",
    summary="Vezhnevets et al. (2017): FuN vs a flat LSTM actor-critic on MiniGrid",
    config_type=FunConfig,
    run=run,
    fingerprint={"n_frames": 320, "n_envs": 2, "bins": 2},
)
