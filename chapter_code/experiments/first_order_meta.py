"""MAML, first-order MAML and Reptile on Finn et al.'s sinusoid tasks, same budget, several seeds.

For every training seed the three methods start from the same 40-40 ReLU regressor and see the
same meta-batches of tasks (K support and K query points each). MAML and FOMAML take Adam steps
(β) on the post-step query loss, with and without the second-order term
(:func:`chapter_code.meta.supervised.meta_loss`); Reptile (Nichol, Achiam & Schulman 2018,
Algorithm 2) takes k SGD steps on each task's 2K points and moves θ a fraction ε of the way to
their mean (:func:`chapter_code.meta.reptile.reptile_step`). Then each fine-tunes on K points
of held-out tasks by plain gradient steps of α, as in :mod:`the sinusoid experiment
<chapter_code.experiments.sinusoid>`; the MSE is averaged over tasks per seed and the interval
is over seeds, also for the paired per-seed differences to MAML.

Reptile's defaults follow Nichol et al.'s sinusoid demonstration in spirit (several inner SGD
steps, outer step ε = 1 on the mean over the meta-batch), not to the letter: the budget here
is a few hundred outer steps, where theirs is tens of thousands.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch

from chapter_code._checks import check_int, check_real
from chapter_code.experiments import Experiment, Output, ProgressFactory
from chapter_code.experiments.sinusoid import SinusoidConfig, finetune_curve
from chapter_code.meta.maml import Params
from chapter_code.meta.networks import mlp
from chapter_code.meta.reptile import reptile_step
from chapter_code.meta.sinusoid import sample_points, sample_tasks
from chapter_code.meta.supervised import meta_loss, mse_per_task
from chapter_code.seeding import torch_stream
from chapter_code.stats import mean_ci_metrics

METHODS = ("maml", "fomaml", "reptile")


@dataclass(frozen=True)
class FirstOrderMetaConfig(SinusoidConfig):
    """The sinusoid options on a shorter shared budget, plus Reptile's and the seeds'."""

    n_iterations: int = 400
    """outer steps per method and seed (Adam for MAML and FOMAML, Reptile's θ update)"""
    n_eval_tasks: int = 100
    """held-out tasks per seed"""
    reptile_steps: int = 10
    """Reptile's inner SGD steps k on each task's support and query points"""
    reptile_inner_lr: float = 0.01
    """Reptile's inner SGD step size"""
    reptile_outer_lr: float = 1.0
    """Reptile's outer step size ε: θ ← θ + ε mean_i(φ_i − θ)"""
    n_seeds: int = 5
    """training seeds seed, seed + 1, ...: each its own initialisation, tasks and test tasks"""

    def __post_init__(self) -> None:
        super().__post_init__()
        check_int("reptile_steps", self.reptile_steps, minimum=1)
        check_real("reptile_inner_lr", self.reptile_inner_lr, low=0.0, low_open=True)
        check_real("reptile_outer_lr", self.reptile_outer_lr, low=0.0, high=1.0, low_open=True)
        check_int("n_seeds", self.n_seeds, minimum=2)


def summed_mse(
    model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor
) -> Callable[[Params], torch.Tensor]:
    """The loss Σ_i MSE_i of task-batched parameters on every task's points ``x[i], y[i]``."""
    return lambda params: mse_per_task(model, params, x, y).sum()


def train_one_seed(config: FirstOrderMetaConfig, seed: int) -> dict[str, torch.nn.Module]:
    """The three methods trained from seed ``seed``'s initialisation on the same tasks."""
    models: dict[str, torch.nn.Module] = {
        name: mlp((1, 40, 40, 1), torch_stream(seed, "init")) for name in METHODS}
    optimizers = {name: torch.optim.Adam(models[name].parameters(), lr=config.meta_lr)
                  for name in ("maml", "fomaml")}
    generator = torch_stream(seed, "train-tasks")
    reptile = models["reptile"]
    for _ in range(config.n_iterations):
        tasks = sample_tasks(config.meta_batch, generator)
        support = sample_points(*tasks, config.k, generator)
        query = sample_points(*tasks, config.k, generator)
        for name, optimizer in optimizers.items():
            model = models[name]
            loss = meta_loss(model, dict(model.named_parameters()), support, query,
                             inner_lr=config.inner_lr, first_order=name == "fomaml")
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        x, y = (torch.cat(pair, dim=1) for pair in zip(support, query, strict=True))
        new = reptile_step(dict(reptile.named_parameters()),
                           summed_mse(reptile, x, y),
                           inner_lr=config.reptile_inner_lr, steps=config.reptile_steps,
                           outer_lr=config.reptile_outer_lr, n_tasks=config.meta_batch)
        with torch.no_grad():
            for name, param in reptile.named_parameters():
                param.copy_(new[name])
    return models


def run(config: FirstOrderMetaConfig, progress: ProgressFactory) -> Output:
    """Train the three methods for every seed; compare their fine-tuning curves over seeds."""
    # per method, per seed: the MSE averaged over held-out tasks, (n_finetune_steps + 1,)
    curves: dict[str, list[np.ndarray]] = {name: [] for name in METHODS}
    for seed in progress(range(config.seed, config.seed + config.n_seeds), desc="seeds"):
        models = train_one_seed(config, seed)
        eval_tasks = sample_tasks(config.n_eval_tasks,
                                  torch_stream(seed, "eval-tasks"))
        for name, model in models.items():
            curve = finetune_curve(model, eval_tasks, replace(config, seed=seed),
                                   torch_stream(seed, "finetune-points"))
            curves[name].append(curve.mean(axis=1))
    arrays = {f"curve_{name}": np.array(curves[name]) for name in METHODS}  # (n_seeds, steps+1)
    metrics: dict[str, Any] = {
        "mse": {name: mean_ci_metrics(arrays[f"curve_{name}"], axis=0) for name in METHODS},
        # paired over seeds: same initialisation and tasks
        "mse_minus_maml": {name: mean_ci_metrics(arrays[f"curve_{name}"] - arrays["curve_maml"],
                                                 axis=0) for name in ("fomaml", "reptile")},
    }
    return Output(metrics, arrays)


EXPERIMENT = Experiment(
    name="first-order-meta",
    summary="MAML vs FOMAML vs Reptile on sinusoid regression: MSE after 1 and 10 steps",
    config_type=FirstOrderMetaConfig,
    run=run,
)
