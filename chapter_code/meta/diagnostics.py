"""Diagnostics of MAML-RL's trust region, used by the book to check the released code's
finite-difference metric products against the exact ones; not part of the algorithm."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from chapter_code._checks import check_real
from chapter_code.meta.maml_rl import MamlRL
from chapter_code.meta.trpo import finite_difference_hvp, flat, hessian_vector_product


def finite_difference_metric_error(
    learner: MamlRL, goals: Tensor, generator: torch.Generator, base_eps: Sequence[float]
) -> list[float]:
    """Relative error ‖H̃v − Hv‖ / ‖Hv‖ of rllab's finite-difference products H̃v
    (:func:`~chapter_code.meta.trpo.finite_difference_hvp`, one per ``base_eps``) against the
    exact products Hv of the paper's metric JᵀFJ (the KL's Hessian in θ through the
    adaptation), at the learner's θ on one meta-batch, for v the surrogate's gradient (the
    first direction conjugate gradient multiplies). Computed in the policy's dtype."""
    if not isinstance(learner, MamlRL):
        raise TypeError(f"learner must be a MamlRL, got {type(learner).__name__}")
    base_eps = [check_real(f"base_eps[{j}]", eps, low=0.0, low_open=True)
                for j, eps in enumerate(base_eps)]
    objective = learner.outer_objective(goals, generator)
    leaves = list(learner.params.values())
    v = flat(torch.autograd.grad(objective.loss, leaves))
    exact = hessian_vector_product(objective.evaluate(learner.params)[1], leaves)(v)
    kl_gradient = learner.kl_gradient(objective)
    errors = []
    for eps in base_eps:
        approx = finite_difference_hvp(kl_gradient, leaves, base_eps=eps)(v)
        errors.append(float((approx - exact).norm() / exact.norm()))
    return errors
