"""HIRO on the U-shaped mazes (Nachum et al. 2018, §5): HIRO, HIRO without the off-policy
correction and flat TD3 on the same budget, success rate (the agent within 0.45 of the goal at
the end of a noise-free episode) over training, with 95% intervals over seeds. The point maze
runs in its torch twin or in MuJoCo; the ant maze, the paper's own task, in MuJoCo."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from chapter_code._checks import check_choice, check_int, check_real
from chapter_code.experiments import Experiment, Output, ProgressFactory
from chapter_code.hiro.agent import (
    POINT_MAZES,
    HiroConfig,
    TrainResult,
    rollout_gymnasium,
    train_flat,
    train_hiro,
)
from chapter_code.hiro.pointmaze import GOAL_RADIUS, GOAL_XY, REWARDS, make_gymnasium_maze
from chapter_code.parallel import map_jobs
from chapter_code.seeding import stream
from chapter_code.stats import seed_interval

METHODS = ("hiro", "no_correction", "flat")
"""HIRO with the off-policy correction, without it, and flat TD3."""


@dataclass(frozen=True)
class HiroExperimentConfig:
    """Options of the HIRO maze experiment."""

    n_seeds: int = 5
    """independent learners per method (trained together, batched)"""
    env_steps: int = 100_000
    """environment steps each learner takes"""
    n_envs: int = 4
    """mazes each learner steps in parallel"""
    c: int = 10
    """steps between manager decisions"""
    max_steps: int = 300
    """episode length in steps (the paper's ant maze: 500)"""
    goal_high: float = 0.5
    """goals (changes of position) lie in [-goal_high, goal_high]², in the maze's units (cells of
    side 1 in the point maze, 4 in the ant maze)"""
    warmup: int = 5_000
    """random steps per learner before learning"""
    eval_every: int = 10_000
    """environment steps between evaluations"""
    n_eval: int = 10
    """noise-free evaluation episodes per learner and evaluation"""
    reward_type: str = "distance"
    """maze reward: distance (-||xy - goal||, the paper's), dense (exp of minus it) or sparse"""
    train_goals: str = "uniform"
    """training episodes' maze goal: uniform over the maze (the paper's) or fixed at the far end"""
    env: str = "torch"
    """train and evaluate in the point maze's torch twin (torch), the real MuJoCo
    PointMaze_UMaze-v3, or the real AntMaze_UMaze-v5"""
    n_real: int = 3
    """episodes of each trained HIRO learner run in the real PointMaze_UMaze-v3 (0: none; point
    mazes only)"""
    seed: int = 0
    """seed of the experiment's random streams"""
    workers: int = 1
    """processes training the methods side by side (the numbers do not depend on it)"""

    def __post_init__(self) -> None:
        check_int("n_seeds", self.n_seeds, minimum=2)
        check_int("workers", self.workers, minimum=1)
        check_int("n_real", self.n_real, minimum=0)
        check_choice("reward_type", self.reward_type, REWARDS)
        check_real("goal_high", self.goal_high, low=0.0, low_open=True)
        check_int("seed", self.seed, minimum=0)
        self.learner_config()
        if self.n_real and self.env not in POINT_MAZES:
            raise ValueError(f"n_real must be 0 unless env is a point maze, one of "
                             f"{POINT_MAZES} (it runs learners in PointMaze_UMaze-v3), got "
                             f"{self.n_real} with env {self.env!r}")

    def learner_config(self) -> HiroConfig:
        """The learner's own config (which validates the rest)."""
        return HiroConfig(n_learners=self.n_seeds, n_envs=self.n_envs,
                          env_steps=self.env_steps, c=self.c, max_steps=self.max_steps,
                          goal_high=self.goal_high,
                          warmup=self.warmup, eval_every=self.eval_every, n_eval=self.n_eval,
                          reward_type=self.reward_type, train_goals=self.train_goals,
                          env=self.env)


def _seed(config: HiroExperimentConfig, method: str) -> int:
    """The seed of ``method``'s named stream."""
    return int(stream(config.seed, method).integers(2**31))


def train(config: HiroExperimentConfig, method: str) -> TrainResult:
    """Train ``config.n_seeds`` learners of ``method`` (one of :data:`METHODS`)."""
    check_choice("method", method, METHODS)
    learner = config.learner_config()
    if method == "flat":
        return train_flat(learner, seed=_seed(config, method))
    return train_hiro(learner, seed=_seed(config, method), correction=method == "hiro",
                      record=method == "hiro")


def _timed(config: HiroExperimentConfig, method: str) -> tuple[TrainResult, float]:
    """:func:`train` on one torch thread, and its wall-clock seconds."""
    torch.set_num_threads(1)
    start = time.perf_counter()
    result = train(config, method)
    return result, time.perf_counter() - start


def real_env_distances(result: TrainResult, n_episodes: int, seed: int) -> np.ndarray:
    """Final distance to the goal of ``n_episodes`` noise-free episodes of every trained HIRO
    learner in the real ``PointMaze_UMaze-v3`` (MuJoCo): (n_learners, n_episodes)."""
    if result.agent is None:
        raise ValueError("result must come from train_hiro (it has no HIRO agent)")
    env = make_gymnasium_maze("PointMaze_UMaze-v3", continuing_task=False,
                              max_episode_steps=result.config.max_steps)
    seeds = stream(seed, "real-env").integers(2**31, size=n_episodes)
    out = np.empty((result.config.n_learners, n_episodes))
    for i in range(result.config.n_learners):
        for k, s in enumerate(seeds):
            end = rollout_gymnasium(result.agent, env, i, seed=int(s))[-1]
            out[i, k] = np.linalg.norm(end - np.asarray(GOAL_XY))
    return out


def run(config: HiroExperimentConfig, progress: ProgressFactory) -> Output:
    """Train the three methods in turn; final success and final distance to the goal with a
    95% t-interval over seeds, and their curves; in a point maze with ``n_real`` > 0 the trained
    HIRO learners also run in the real PointMaze_UMaze-v3. With ``workers`` > 1 the methods
    train in that many processes at once. Wall-clock seconds go into ``objects`` (they vary from
    run to run)."""
    torch.set_num_threads(1)
    metrics: dict[str, Any] = {"final_success": {}, "final_distance": {},
                               "env_steps": config.env_steps, "n_seeds": config.n_seeds}
    arrays: dict[str, np.ndarray] = {}
    objects: dict[str, Any] = {"seconds": {}}
    trained = map_jobs(_timed, [(config, method) for method in METHODS], config.workers,
                       progress, "methods")
    for method, (result, seconds) in zip(METHODS, trained, strict=True):
        objects["seconds"][method] = seconds
        objects[method] = result
        metrics["final_success"][method] = seed_interval(result.success[:, -1])
        metrics["final_distance"][method] = seed_interval(result.distance[:, -1])
        arrays[f"success_{method}"] = result.success
        arrays[f"distance_{method}"] = result.distance
        arrays["eval_steps"] = result.eval_steps
        if result.trace is not None:
            arrays["trace_positions"] = result.trace["positions"][0].numpy()
            arrays["trace_subgoals"] = result.trace["subgoals"][0].numpy()
        if method == "hiro" and config.n_real:
            real = real_env_distances(result, config.n_real, config.seed)
            arrays["real_distance_hiro"] = real
            metrics["real_env_hiro"] = {
                "final_distance": seed_interval(real.mean(axis=1)),
                "success": seed_interval((real <= GOAL_RADIUS).mean(axis=1))}
    final_means = {m: metrics["final_success"][m]["mean"] for m in METHODS}
    metrics.update(success_hiro=final_means["hiro"],
                   success_no_correction=final_means["no_correction"],
                   success_flat=final_means["flat"])
    return Output(metrics, arrays, objects)


def _fingerprint(config: Mapping[str, Any]) -> dict[str, Any]:
    """A few seconds of the same code path: one real-env episode per learner where the
    config's maze allows it."""
    return {"n_seeds": 2, "env_steps": 300, "n_envs": 2, "warmup": 100, "eval_every": 150,
            "n_eval": 2, "n_real": 1 if config.get("env", "torch") in POINT_MAZES else 0}


EXPERIMENT = Experiment(
    name="hiro",
    summary="Nachum et al. (2018): HIRO vs no correction vs flat TD3 on the U mazes",
    config_type=HiroExperimentConfig,
    run=run,
    fingerprint=_fingerprint,
)
