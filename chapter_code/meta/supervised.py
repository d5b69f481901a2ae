"""MAML for supervised tasks (Finn et al. 2017, Algorithm 2), batched over tasks.

Every task i has a support set (x_i, y_i) for the inner step and a query set for the
meta-objective Σ_i L(f_{θ'_i}; query_i), θ'_i = θ − α ∇_θ L(f_θ; support_i).
"""

from __future__ import annotations

from collections.abc import Mapping

from torch import Tensor, nn

from chapter_code.meta.maml import Params, adapt, batched_call, expand_params


def mse_per_task(model: nn.Module, params: Mapping[str, Tensor], x: Tensor, y: Tensor) -> Tensor:
    """Mean squared error of every task, (n_tasks,): task i's ``params`` on x[i], y[i]."""
    prediction = batched_call(model, params, x)
    return ((prediction - y) ** 2).flatten(1).mean(dim=1)


def adapt_to_tasks(
    model: nn.Module,
    params: Mapping[str, Tensor],
    support: tuple[Tensor, Tensor],
    *,
    inner_lr: float,
    steps: int = 1,
    first_order: bool = False,
) -> Params:
    """θ'_i for every task (leading task dimension), ``steps`` MSE gradient steps on its support.

    ``params`` are the shared θ (no task dimension); ``support`` = (x, y), each (n_tasks, K, d).
    """
    x, y = support
    batched = expand_params(params, x.shape[0])
    return adapt(batched, lambda p: mse_per_task(model, p, x, y).sum(),
                 inner_lr=inner_lr, steps=steps, first_order=first_order)


def meta_loss(
    model: nn.Module,
    params: Mapping[str, Tensor],
    support: tuple[Tensor, Tensor],
    query: tuple[Tensor, Tensor],
    *,
    inner_lr: float,
    steps: int = 1,
    first_order: bool = False,
) -> Tensor:
    """The MAML objective (1/n) Σ_i MSE(θ'_i; query_i), differentiable in ``params``."""
    adapted = adapt_to_tasks(model, params, support, inner_lr=inner_lr, steps=steps,
                             first_order=first_order)
    return mse_per_task(model, adapted, *query).mean()
