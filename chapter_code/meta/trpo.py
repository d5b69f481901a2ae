"""The TRPO update (Schulman et al. 2015, Appendix C) for a dict of parameters.

Maximise the surrogate subject to KL ≤ δ: solve F x = −g by conjugate gradient with
Fisher-vector products F v = ∇(∇KL · v) (+ damping v), scale the step to β = sqrt(2δ / xᵀFx),
then backtrack until the loss decreases and the KL constraint holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from chapter_code._checks import check_int, check_real
from chapter_code.meta.maml import Params


def conjugate_gradient(
    matvec: Callable[[Tensor], Tensor], b: Tensor, iters: int = 10, tol: float = 1e-10
) -> tuple[Tensor, Tensor]:
    """Approximate solution x of A x = b for symmetric positive definite A given by ``matvec``
    (Hestenes & Stiefel 1952), starting from x = 0. Returns ``(x, A x)``: A x is accumulated
    from the products already made (x = Σ α_k p_k, so A x = Σ α_k A p_k), no extra ``matvec``."""
    iters = check_int("iters", iters, minimum=1)
    x = torch.zeros_like(b)
    ax = torch.zeros_like(b)
    r = b.clone()
    p = b.clone()
    rr = r @ r
    for _ in range(iters):
        if rr <= tol:
            break
        ap = matvec(p)
        alpha = rr / (p @ ap)
        x = x + alpha * p
        ax = ax + alpha * ap
        r = r - alpha * ap
        rr_new = r @ r
        p = r + (rr_new / rr) * p
        rr = rr_new
    return x, ax


def flat(tensors: list[Tensor] | tuple[Tensor, ...]) -> Tensor:
    """The tensors' entries in one vector, in order."""
    return torch.cat([t.reshape(-1) for t in tensors])


def hessian_vector_product(value: Tensor, leaves: list[Tensor]) -> Callable[[Tensor], Tensor]:
    """v ↦ ∇²f v for the scalar f = ``value`` with its graph to ``leaves`` (v and the result
    flat over the leaves, in order), by differentiating ∇f · v (Pearlmutter 1994)."""
    grad = flat(torch.autograd.grad(value, leaves, create_graph=True))

    def product(v: Tensor) -> Tensor:
        return flat(torch.autograd.grad(grad @ v, leaves, retain_graph=True))

    return product


def finite_difference_hvp(
    gradient: Callable[[], Tensor], leaves: list[Tensor], *, base_eps: float = 1e-8
) -> Callable[[Tensor], Tensor]:
    """v ↦ (∇f(θ + εv) − ∇f(θ − εv)) / 2ε with ε = ``base_eps`` / ‖θ‖: the symmetric
    finite-difference Hessian-vector product of rllab's TRPO, which Finn et al.'s released
    code used for the MAML trust region (rllab's default ``base_eps`` is 1e-8; the released
    MAML optimiser passes 1). ``gradient()``
    returns the flat ∇f at the leaves' current values; each product shifts the leaves in
    place and restores them."""
    base_eps = check_real("base_eps", base_eps, low=0.0, low_open=True)
    old = [leaf.detach().clone() for leaf in leaves]
    eps = base_eps / (float(flat(old).norm()) + 1e-8)

    def product(v: Tensor) -> Tensor:
        _set(leaves, old, v, eps)
        plus = gradient()
        _set(leaves, old, v, -eps)
        minus = gradient()
        _set(leaves, old, v, 0.0)
        return (plus - minus) / (2 * eps)

    return product


@dataclass(frozen=True)
class TrpoInfo:
    """What one TRPO step did: the loss and KL before/after, and the accepted step fraction
    (0.0 when the line search found no acceptable step and the parameters were kept)."""

    loss_before: float
    loss_after: float
    kl: float
    step_fraction: float


def trpo_step(
    params: Params,
    loss: Tensor,
    kl: Tensor,
    evaluate: Callable[[Params], tuple[Tensor, Tensor]],
    *,
    max_kl: float = 0.01,
    cg_iters: int = 10,
    damping: float = 1e-5,
    backtrack_ratio: float = 0.8,
    max_backtracks: int = 15,
    metric: Callable[[Tensor], Tensor] | None = None,
) -> TrpoInfo:
    """One TRPO update of the leaf tensors ``params``, in place.

    ``loss``: the surrogate loss to minimise at the current ``params``, with its graph to them
    (its gradient is the search direction's right-hand side). ``kl``: a KL from the sampling
    policy at the current ``params``, with its graph; zero with zero gradient there, its
    Hessian is the trust region's metric.
    ``evaluate(params)``: the values ``(loss, kl)`` checked by the line search, called without
    a graph; the step is accepted only if the loss decreases and this KL is at most ``max_kl``.
    ``metric``: v ↦ Av (flat) to use instead of the KL's Hessian, e.g. finite differences
    (:func:`finite_difference_hvp`); ``damping`` is added to either. The step's curvature xᵀAx
    comes from the products conjugate gradient made when A is the exact Hessian, and from a
    fresh product at x with ``metric`` (an approximate product may be poor on CG's short
    vectors and good on the long x: finite differences in float32 are).
    """
    max_kl = check_real("max_kl", max_kl, low=0.0, low_open=True)
    damping = check_real("damping", damping, low=0.0)
    backtrack_ratio = check_real("backtrack_ratio", backtrack_ratio, low=0.0, high=1.0,
                                 low_open=True, high_open=True)
    max_backtracks = check_int("max_backtracks", max_backtracks, minimum=1)
    leaves = list(params.values())
    kl_hessian = hessian_vector_product(kl, leaves) if metric is None else metric
    grad = flat(torch.autograd.grad(loss, leaves, retain_graph=True))

    def fisher_vector(v: Tensor) -> Tensor:
        return kl_hessian(v) + damping * v

    direction, fisher_direction = conjugate_gradient(fisher_vector, -grad, iters=cg_iters)
    if metric is not None:  # an approximate product: measure xᵀAx at x itself, as rllab does
        fisher_direction = fisher_vector(direction)
    curvature = direction @ fisher_direction
    scale = torch.sqrt(2 * max_kl / curvature.clamp(min=1e-12))
    full_step = (scale * direction).detach()
    old = [p.detach().clone() for p in leaves]
    loss_before = float(loss.detach())
    for i in range(max_backtracks):
        fraction = backtrack_ratio**i
        _set(leaves, old, full_step, fraction)
        with torch.no_grad():
            new_loss, new_kl = evaluate(params)
        if float(new_loss) < loss_before and float(new_kl) <= max_kl:
            return TrpoInfo(loss_before, float(new_loss), float(new_kl), fraction)
    _set(leaves, old, full_step, 0.0)
    return TrpoInfo(loss_before, loss_before, 0.0, 0.0)


def _set(leaves: list[Tensor], old: list[Tensor], step: Tensor, fraction: float) -> None:
    """leaves <- old + fraction * step (``step`` flat), without recording a graph; exactly
    old for fraction 0 (0 · inf would be NaN when a degenerate metric overflowed the step)."""
    offset = 0
    with torch.no_grad():
        for leaf, start in zip(leaves, old, strict=True):
            n = leaf.numel()
            leaf.copy_(start if fraction == 0.0
                       else start + fraction * step[offset:offset + n].view_as(leaf))
            offset += n
