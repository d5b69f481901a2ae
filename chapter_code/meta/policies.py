"""The Gaussian MLP policy of Finn et al. (2017) §5.3: mean from a 100-100 ReLU MLP, a learned
state-independent log standard deviation."""

from __future__ import annotations

import math
from collections.abc import Mapping

import torch
from torch import Tensor, nn

from chapter_code._checks import check_int, check_real
from chapter_code.meta.maml import batched_call, check_params
from chapter_code.meta.networks import check_generator, mlp

LOG_2PI = math.log(2 * math.pi)


class GaussianMLPPolicy(nn.Module):
    """π(a | s) = N(μ_θ(s), diag σ²): ``forward(obs)`` returns ``(mean, log_std)``, both
    shaped like the actions (..., action_dim)."""

    def __init__(
        self,
        obs_dim: int,
        action_dim: int,
        generator: torch.Generator,
        *,
        hidden: tuple[int, ...] = (100, 100),
        init_std: float = 1.0,
    ) -> None:
        super().__init__()
        obs_dim = check_int("obs_dim", obs_dim, minimum=1)
        action_dim = check_int("action_dim", action_dim, minimum=1)
        init_std = check_real("init_std", init_std, low=0.0, low_open=True)
        self.mean = mlp((obs_dim, *hidden, action_dim), check_generator(generator))
        self.log_std = nn.Parameter(torch.full((action_dim,), math.log(init_std)))

    def forward(self, obs: Tensor) -> tuple[Tensor, Tensor]:
        mean = self.mean(obs)
        return mean, self.log_std.expand_as(mean)

    def task_forward(self, params: Mapping[str, Tensor], obs: Tensor) -> tuple[Tensor, Tensor]:
        """:meth:`forward` with task i's parameters on task i's observations, for every task
        at once: ``params`` name -> (n_tasks, ...), ``obs`` (n_tasks, ..., obs_dim).

        Explicit batched matrix products over the task dimension (``torch.baddbmm``): the same
        function as :func:`~chapter_code.meta.maml.batched_call`, much cheaper per call than
        ``vmap``.
        """
        params = check_params(params)
        x = obs.reshape(obs.shape[0], -1, obs.shape[-1])
        for name, layer in self.mean.named_children():
            if isinstance(layer, nn.Linear):
                x = torch.baddbmm(params[f"mean.{name}.bias"][:, None, :], x,
                                  params[f"mean.{name}.weight"].transpose(1, 2))
            else:
                x = layer(x)
        mean = x.reshape(*obs.shape[:-1], x.shape[-1])
        log_std = params["log_std"].reshape(obs.shape[0], *[1] * (mean.ndim - 2), -1)
        return mean, log_std.expand_as(mean)


def gaussian_log_prob(mean: Tensor, log_std: Tensor, action: Tensor) -> Tensor:
    """log N(a; μ, diag σ²), summed over the last (action) dimension."""
    z = (action - mean) * torch.exp(-log_std)
    return (-0.5 * z**2 - log_std - 0.5 * LOG_2PI).sum(-1)


def gaussian_kl(mean_p: Tensor, log_std_p: Tensor, mean_q: Tensor, log_std_q: Tensor) -> Tensor:
    """KL(N(μ_p, σ_p²) ‖ N(μ_q, σ_q²)) of diagonal Gaussians, summed over the last dimension."""
    var_p, var_q = torch.exp(2 * log_std_p), torch.exp(2 * log_std_q)
    kl = log_std_q - log_std_p + (var_p + (mean_p - mean_q) ** 2) / (2 * var_q) - 0.5
    return kl.sum(-1)


def task_policy(
    policy: nn.Module, params: Mapping[str, Tensor], obs: Tensor
) -> tuple[Tensor, Tensor]:
    """``(mean, log_std)`` of π_{θ_i} on task i's observations for every task i at once:
    ``params`` name -> (n_tasks, ...), ``obs`` (n_tasks, ..., obs_dim).

    A policy that defines its own batched ``task_forward(params, obs)`` (as
    :class:`GaussianMLPPolicy` does) is evaluated with it; any other goes through the generic
    :func:`~chapter_code.meta.maml.batched_call` (``torch.func.vmap``).
    """
    task_forward = getattr(policy, "task_forward", None)
    if callable(task_forward):
        return task_forward(params, obs)
    mean, log_std = batched_call(policy, params, obs)
    return mean, log_std


def task_log_prob(
    policy: nn.Module, params: Mapping[str, Tensor], obs: Tensor, action: Tensor
) -> Tensor:
    """log π_{θ_i}(a | s) for every task i at once: ``params`` name -> (n_tasks, ...), ``obs``
    and ``action`` (n_tasks, ..., dim); returns (n_tasks, ...)."""
    mean, log_std = task_policy(policy, params, obs)
    return gaussian_log_prob(mean, log_std, action)
