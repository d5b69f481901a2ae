"""When is a task distribution too broad for MAML? Sinusoid regression (Finn, Abbeel & Levine
2017, §5.1) with the tasks' angular frequency drawn from [1, ω_max] instead of fixed at 1.

For every ω_max and training seed, one :mod:`sinusoid <chapter_code.experiments.sinusoid>` run
trains MAML and the pretrained regressor on the same budget and fine-tunes both on K = 10 points
of held-out tasks of the same family. Errors are reported as the fraction of the tasks' variance
left unexplained: the query MSE divided by the MSE of predicting 0, so that families of
different frequency are on one scale. Intervals are over seeds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from chapter_code._checks import check_int, check_real
from chapter_code.experiments import Experiment, Output, ProgressFactory
from chapter_code.experiments.sinusoid import SinusoidConfig
from chapter_code.experiments.sinusoid import run as run_sinusoid
from chapter_code.meta.sinusoid import X_RANGE, Tasks
from chapter_code.stats import interval_metrics, mean_ci, mean_ci_metrics


@dataclass(frozen=True)
class TaskBreadthConfig:
    """Options of the task-breadth experiment."""

    max_frequencies: tuple[float, ...] = (1.0, 2.0, 4.0)
    """ω_max of each task family, ω ~ U[1, ω_max] (1: the paper's family)"""
    n_seeds: int = 4
    """training seeds seed, seed + 1, ... per family"""
    n_iterations: int = 3000
    """Adam steps of MAML and of the pretrained regressor, per run"""
    n_eval_tasks: int = 200
    """held-out tasks per run"""
    seed: int = 0
    """first training seed"""

    def __post_init__(self) -> None:
        if not isinstance(self.max_frequencies, tuple) or not self.max_frequencies:
            raise TypeError(f"max_frequencies must be a non-empty tuple, got "
                            f"{self.max_frequencies!r}")
        for value in self.max_frequencies:
            check_real("max_frequencies[i]", value, low=1.0)
        check_int("n_seeds", self.n_seeds, minimum=2)  # for an interval over seeds
        check_int("n_iterations", self.n_iterations, minimum=1)
        check_int("n_eval_tasks", self.n_eval_tasks, minimum=2)
        check_int("seed", self.seed, minimum=0)


def zero_predictor_mse(tasks: Tasks, n_grid: int = 10_001) -> float:
    """Mean over ``tasks`` of E_x[y²], x ~ U(X_RANGE): the query MSE of predicting 0, by the
    midpoint rule on ``n_grid`` points."""
    amplitude, phase, frequency = (t.double() for t in tasks)
    low, high = X_RANGE
    x = low + (high - low) * (torch.arange(n_grid, dtype=torch.float64) + 0.5) / n_grid
    y = amplitude[:, None] * torch.sin(frequency[:, None] * x - phase[:, None])
    return float((y**2).mean())


def run(config: TaskBreadthConfig, progress: ProgressFactory) -> Output:
    """One sinusoid run per family and seed; unexplained variance after fine-tuning."""
    seeds = range(config.seed, config.seed + config.n_seeds)
    arrays: dict[str, np.ndarray] = {}
    metrics: dict[str, Any] = {"max_frequency": {}}
    for w in progress(config.max_frequencies, desc="families"):
        # per seed: fraction of variance left after 0..10 steps, averaged over tasks
        left: dict[str, list[np.ndarray]] = {"maml": [], "pretrained": []}
        for seed in seeds:
            run_config = SinusoidConfig(n_iterations=config.n_iterations,
                                        n_eval_tasks=config.n_eval_tasks,
                                        frequency_range=(1.0, w), seed=seed)
            out = run_sinusoid(run_config, progress)
            zero = zero_predictor_mse(out.objects["eval_tasks"])
            for name in left:
                left[name].append(out.arrays[f"curve_{name}"].mean(axis=1) / zero)
        key = f"{w:g}"
        for name, curves in left.items():
            arrays[f"{key}_{name}"] = np.array(curves)  # (n_seeds, n_steps + 1)
        maml_1, pretrained_10 = arrays[f"{key}_maml"][:, 1], arrays[f"{key}_pretrained"][:, -1]
        metrics["max_frequency"][key] = {
            "unexplained": {name: mean_ci_metrics(arrays[f"{key}_{name}"], axis=0)
                            for name in left},
            # paired over seeds: how much more variance pretraining leaves after all its steps
            # than MAML after one
            "pretrained_10_over_maml_1": interval_metrics(mean_ci(pretrained_10 / maml_1)),
        }
    metrics["n_seeds"] = config.n_seeds
    metrics["torch_threads"] = torch.get_num_threads()
    return Output(metrics, arrays)


EXPERIMENT = Experiment(
    name="task-breadth",
    summary="MAML vs pretraining on sinusoid families of growing frequency range",
    config_type=TaskBreadthConfig,
    run=run,
    fingerprint={"max_frequencies": (1.0, 3.0), "n_seeds": 2, "n_iterations": 2,
                 "n_eval_tasks": 2},
)
