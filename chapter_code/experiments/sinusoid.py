"""Sinusoid regression (Finn, Abbeel & Levine 2017, §5.1, Fig. 2): MAML vs pretraining.

Both start from the same 40-40 ReLU regressor. MAML meta-trains with one inner step (α = 0.01)
on K = 10 points per task and Adam (β = 0.001) on the post-step loss over meta-batches of
tasks; the pretrained model regresses all tasks jointly with Adam. Both are then fine-tuned on
K points of held-out tasks by plain gradient steps of α and scored on fresh points.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from chapter_code._checks import check_int, check_real
from chapter_code.experiments import Experiment, Output, ProgressFactory
from chapter_code.meta.maml import detached, expand_params
from chapter_code.meta.networks import mlp
from chapter_code.meta.sinusoid import (
    PAPER_FREQUENCY_RANGE,
    Tasks,
    check_frequency_range,
    sample_points,
    sample_tasks,
)
from chapter_code.meta.supervised import adapt_to_tasks, meta_loss, mse_per_task
from chapter_code.seeding import torch_stream
from chapter_code.stats import mean_ci_metrics


@dataclass(frozen=True)
class SinusoidConfig:
    """Options of the sinusoid regression experiment."""

    n_iterations: int = 3000
    """Adam steps of meta-training (MAML) and of joint training (pretrained)"""
    meta_batch: int = 25
    """tasks per Adam step"""
    k: int = 10
    """points per task for the inner step (K-shot)"""
    inner_lr: float = 0.01
    """step size α of the inner gradient steps (training and fine-tuning)"""
    meta_lr: float = 0.001
    """Adam step size β of the outer update"""
    n_finetune_steps: int = 10
    """gradient steps at test time"""
    n_eval_tasks: int = 200
    """held-out tasks"""
    frequency_range: tuple[float, float] = PAPER_FREQUENCY_RANGE
    """range of the tasks' angular frequency ω (the paper's tasks all have ω = 1)"""
    seed: int = 0
    """seed of the initialisation, the tasks and the points"""

    def __post_init__(self) -> None:
        check_int("n_iterations", self.n_iterations, minimum=1)
        check_int("meta_batch", self.meta_batch, minimum=1)
        check_int("k", self.k, minimum=1)
        check_real("inner_lr", self.inner_lr, low=0.0, low_open=True)
        check_real("meta_lr", self.meta_lr, low=0.0, low_open=True)
        check_int("n_finetune_steps", self.n_finetune_steps, minimum=1)
        check_int("n_eval_tasks", self.n_eval_tasks, minimum=2)
        check_frequency_range(self.frequency_range)
        check_int("seed", self.seed, minimum=0)


def finetune_curve(
    model: torch.nn.Module, tasks: Tasks, config: SinusoidConfig,
    generator: torch.Generator,
) -> np.ndarray:
    """Query MSE of every task after 0..n_finetune_steps steps on its K support points,
    (n_steps + 1, n_tasks)."""
    support = sample_points(*tasks, config.k, generator)
    query = sample_points(*tasks, 100, generator)
    params = detached(dict(model.named_parameters()))
    curve = [mse_per_task(model, expand_params(params, len(tasks[0])), *query)]
    for steps in range(1, config.n_finetune_steps + 1):
        adapted = adapt_to_tasks(model, params, support, inner_lr=config.inner_lr,
                                 steps=steps, first_order=True)
        curve.append(mse_per_task(model, adapted, *query))
    return torch.stack(curve).detach().numpy().astype(float)


def run(config: SinusoidConfig, progress: ProgressFactory) -> Output:
    """Train MAML and the pretrained model; compare their fine-tuning curves."""
    generator = torch_stream(config.seed, "train-tasks")
    # both models start from the same weights
    maml = mlp((1, 40, 40, 1), torch_stream(config.seed, "init"))
    pretrained = mlp((1, 40, 40, 1), torch_stream(config.seed, "init"))
    optimizers = {"maml": torch.optim.Adam(maml.parameters(), lr=config.meta_lr),
                  "pretrained": torch.optim.Adam(pretrained.parameters(), lr=config.meta_lr)}
    losses = np.zeros((2, config.n_iterations))
    for i in progress(range(config.n_iterations), desc="sinusoid"):
        tasks = sample_tasks(config.meta_batch, generator, config.frequency_range)
        support = sample_points(*tasks, config.k, generator)
        query = sample_points(*tasks, config.k, generator)
        loss_maml = meta_loss(maml, dict(maml.named_parameters()), support, query,
                              inner_lr=config.inner_lr)
        loss_pre = ((pretrained(support[0]) - support[1]) ** 2).mean()
        for name, loss in (("maml", loss_maml), ("pretrained", loss_pre)):
            optimizers[name].zero_grad()
            loss.backward()
            optimizers[name].step()
        losses[:, i] = loss_maml.item(), loss_pre.item()
    eval_tasks = sample_tasks(config.n_eval_tasks, torch_stream(config.seed, "eval-tasks"),
                              config.frequency_range)
    curves = {name: finetune_curve(model, eval_tasks, config,
                                   torch_stream(config.seed, "finetune-points"))
              for name, model in (("maml", maml), ("pretrained", pretrained))}
    metrics: dict[str, Any] = {
        "mse": {name: mean_ci_metrics(curve, axis=1) for name, curve in curves.items()},
        # the paper's claim: one MAML step beats the pretrained model after all its steps
        "maml_1_beats_pretrained_last": bool(
            curves["maml"][1].mean() < curves["pretrained"][-1].mean()),
    }
    arrays = {"train_loss_maml": losses[0], "train_loss_pretrained": losses[1],
              "curve_maml": curves["maml"], "curve_pretrained": curves["pretrained"]}
    return Output(metrics, arrays, {"maml": maml, "pretrained": pretrained,
                                    "eval_tasks": eval_tasks})


EXPERIMENT = Experiment(
    name="sinusoid",
    summary="MAML vs a pretrained regressor on Finn et al.'s sinusoid tasks (Fig. 2)",
    config_type=SinusoidConfig,
    run=run,
)
