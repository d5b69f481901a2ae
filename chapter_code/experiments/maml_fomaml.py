"""MAML vs first-order MAML on 2D navigation over several training seeds: the same budget,
return after one adaptation step and wall clock per meta-iteration (the chapter claims FOMAML
is within 5% of MAML and 10x faster).

Each seed is one :mod:`maml-nav <chapter_code.experiments.maml_nav>` run of both methods from
the same initialisation, tasks and sampling noise. The return gap is averaged over held-out
goals per seed; the interval is over seeds.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch

from chapter_code._checks import check_int
from chapter_code.experiments import Experiment, Output, ProgressFactory
from chapter_code.experiments.maml_nav import MamlNavConfig
from chapter_code.experiments.maml_nav import run as run_one_seed
from chapter_code.stats import interval_metrics, mean_ci, mean_ci_metrics


@dataclass(frozen=True)
class MamlVsFomamlConfig(MamlNavConfig):
    """The maml-nav options, defaulting to MAML and FOMAML on a shorter shared budget, repeated
    for several training seeds."""

    n_iterations: int = 100
    """meta-iterations (TRPO steps) per method and seed"""
    methods: tuple[str, ...] = ("maml", "fomaml")
    """which of 'maml', 'fomaml', 'pretrained' to train (must include 'maml' and 'fomaml')"""
    n_seeds: int = 3
    """training seeds seed, seed + 1, ...: each its own initialisation, tasks and goals"""

    def __post_init__(self) -> None:
        super().__post_init__()
        if "maml" not in self.methods or "fomaml" not in self.methods:
            raise ValueError(f"methods must include 'maml' and 'fomaml', got {self.methods!r}")
        check_int("n_seeds", self.n_seeds, minimum=2)  # for an interval over seeds


def run(config: MamlVsFomamlConfig, progress: ProgressFactory) -> Output:
    """Both methods for every seed; per-seed means, then means and t-intervals over seeds."""
    per_seed = [run_one_seed(replace(config, seed=config.seed + k), progress)
                for k in range(config.n_seeds)]
    arrays: dict[str, np.ndarray] = {}
    for key in per_seed[0].arrays:
        arrays[key] = np.stack([result.arrays[key] for result in per_seed])
    returns = {m: np.array([r.metrics["return"][m]["mean"] for r in per_seed])
               for m in ("maml", "fomaml")}  # (n_seeds, adaptation steps + 1)
    gap = returns["maml"][:, 1] - returns["fomaml"][:, 1]
    seconds = {m: np.array([r.metrics["seconds_per_iteration"][m] for r in per_seed])
               for m in ("maml", "fomaml")}
    ratio = seconds["maml"] / seconds["fomaml"]
    metrics: dict[str, Any] = {
        "n_seeds": config.n_seeds,
        "return": {method: mean_ci_metrics(values) for method, values in returns.items()},
        "fomaml_gap": {**interval_metrics(mean_ci(gap)),
                       "percent": float(100 * gap.mean() / abs(returns["maml"][:, 1].mean())),
                       "per_seed": gap.tolist()},
        "maml_over_fomaml_seconds": {
            **interval_metrics(mean_ci(ratio)),
            "per_seed": ratio.tolist()},
    }
    metrics["seconds_per_iteration"] = {m: float(s.mean()) for m, s in seconds.items()}
    # torch orders float reductions by its intra-op thread count: same seed, same machine and
    # same thread count give the same numbers
    metrics["torch_threads"] = torch.get_num_threads()
    return Output(metrics, arrays)


EXPERIMENT = Experiment(
    name="maml-vs-fomaml",
    summary="Second-order MAML vs first-order MAML on 2D navigation over training seeds",
    config_type=MamlVsFomamlConfig,
    run=run,
    fingerprint={"n_iterations": 2, "meta_batch": 2, "n_trajectories": 2, "n_eval_tasks": 2,
                 "n_seeds": 2},
)
