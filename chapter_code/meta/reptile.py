"""Reptile (Nichol, Achiam & Schulman 2018): first-order meta-learning by moving towards φ.

Nichol et al. 2018, Algorithm 1 (one task) and Algorithm 2 (a batch of n tasks):

    φ_i = U^k_{τ_i}(θ)                     (k steps of SGD on task τ_i, from θ)
    θ ← θ + ε (1/n) Σ_i (φ_i − θ)

No gradient flows through the inner steps: φ − θ is built from first-order gradients only. To
leading order in α its expectation (their §5.1) is the joint-training gradient plus a term
−(α/2) ∇(ḡ_i · ḡ_j) that increases the inner product of the gradients of different minibatches
of a task: the generalisation term MAML's meta-gradient also contains.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import torch
from torch import Tensor

from chapter_code._checks import check_int, check_real
from chapter_code.meta.maml import Params, adapt, check_params, expand_params


def reptile_step(
    params: Mapping[str, Tensor],
    loss_fn: Callable[[Params], Tensor],
    *,
    inner_lr: float,
    steps: int,
    outer_lr: float,
    n_tasks: int | None = None,
) -> Params:
    """One Reptile update θ + ε(φ − θ) (Nichol et al. 2018, Algorithm 1; Algorithm 2 batched).

    φ = :func:`~chapter_code.meta.maml.adapt` (``steps`` = k SGD steps of size ``inner_lr`` = α
    on ``loss_fn``) from θ = ``params``; ``outer_lr`` = ε ∈ (0, 1] interpolates towards φ.

    ``n_tasks=None``: ``loss_fn`` gets θ-shaped parameters (one task). ``n_tasks=n``: ``loss_fn``
    gets parameters with a leading task dimension of size n (:func:`expand_params`) and returns
    the *sum* of the n task losses; φ_i are adapted at once and θ moves by ε · mean_i(φ_i − θ).

    Returns new detached tensors name -> tensor of θ's shapes; ``params`` are not modified.
    """
    params = check_params(params)
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable, got {type(loss_fn).__name__}")
    inner_lr = check_real("inner_lr", inner_lr, low=0.0, low_open=True)
    steps = check_int("steps", steps, minimum=1)
    outer_lr = check_real("outer_lr", outer_lr, low=0.0, high=1.0, low_open=True)
    if n_tasks is not None:
        n_tasks = check_int("n_tasks", n_tasks, minimum=1)
    theta = {k: v.detach() for k, v in params.items()}
    start = theta if n_tasks is None else expand_params(theta, n_tasks)
    with torch.no_grad():  # first order: adapt takes the inner gradients, builds no graph
        phi = adapt(start, loss_fn, inner_lr=inner_lr, steps=steps, first_order=True)
        if n_tasks is not None:
            phi = {k: v.mean(dim=0) for k, v in phi.items()}
        return {k: theta[k] + outer_lr * (phi[k] - theta[k]) for k in theta}
