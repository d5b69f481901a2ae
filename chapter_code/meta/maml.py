"""MAML's inner loop: differentiable gradient steps on a dict of parameters.

Finn, Abbeel & Levine (2017), §2.2: the inner step θ' = θ − α ∇_θ L_train(θ). Repeating it
``steps`` times and evaluating L_val(θ') gives the meta-objective min_θ Σ_i L_i(θ'_i), which
the meta-update of their eq. 1 descends. Its gradient with respect to θ is

    ∇_θ L_val(θ') = (I − α ∇²L_train(θ)) ∇L_val(θ')          (one step)

whose Hessian term comes from back-propagating through the inner gradient. First-order MAML
(FOMAML, Finn et al. 2017 §5.2) drops it by treating ∇L_train as a constant: ∇L_val(θ').

Tasks are batched, not looped: give every parameter a leading task dimension
(:func:`expand_params`), evaluate the model per task with :func:`batched_call` (``torch.func``
``vmap`` of ``functional_call``) and let ``loss_fn`` return the *sum* of the task losses. The
tasks' parameters are separate tensor slices, so the gradient of the sum with respect to slice
``i`` is task ``i``'s own gradient and one ``adapt`` call adapts every task at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import torch
from torch import Tensor, nn
from torch.func import functional_call, vmap

from chapter_code._checks import check_int, check_real

Params = dict[str, Tensor]


def check_params(params: object) -> Params:
    """Return ``params`` as a dict if it maps names to floating-point tensors, else raise."""
    if not isinstance(params, Mapping) or not params:
        raise TypeError(f"params must be a non-empty dict name -> Tensor, got {type(params)}")
    for name, value in params.items():
        if not isinstance(value, Tensor):
            raise TypeError(f"params[{name!r}] must be a torch.Tensor, got {type(value).__name__}")
        if not value.is_floating_point():
            raise TypeError(f"params[{name!r}] must be floating point, got {value.dtype}")
    return dict(params)


def adapt(
    params: Mapping[str, Tensor],
    loss_fn: Callable[[Params], Tensor],
    *,
    inner_lr: float,
    steps: int = 1,
    first_order: bool = False,
) -> Params:
    """Take ``steps`` gradient steps θ ← θ − α ∇L(θ) on ``loss_fn`` (Finn et al. 2017, §2.2,
    Algorithm 1 line 6).

    ``params``: name -> tensor (e.g. ``dict(model.named_parameters())``, or with a leading task
    dimension from :func:`expand_params`). ``loss_fn(params)`` returns a scalar.

    With ``first_order=False`` every inner gradient is built with ``create_graph=True``: the
    result is a differentiable function of ``params`` and back-propagating a loss of it yields
    the exact second-order meta-gradient. With ``first_order=True`` the inner gradients are
    constants and the back-propagated gradient is FOMAML's. Tensors that do not require grad,
    and every tensor when called under ``torch.no_grad``, are adapted from a detached copy:
    the values are the same, the result just has no graph back to them.
    """
    params = check_params(params)
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable, got {type(loss_fn).__name__}")
    inner_lr = check_real("inner_lr", inner_lr, low=0.0, low_open=True)
    steps = check_int("steps", steps, minimum=1)
    if not isinstance(first_order, bool):
        raise TypeError(f"first_order must be a bool, got {first_order!r}")
    # under no_grad (or for constants) adapt detached copies: views made in no_grad mode
    # claim requires_grad but would route the gradient to their base, mixing the tasks
    tracked = torch.is_grad_enabled()
    current = {k: v if tracked and v.requires_grad else v.detach().requires_grad_(True)
               for k, v in params.items()}
    with torch.enable_grad():
        for _ in range(steps):
            loss = loss_fn(current)
            if not isinstance(loss, Tensor) or loss.ndim != 0:
                raise ValueError("loss_fn must return a scalar tensor")
            grads = torch.autograd.grad(loss, list(current.values()),
                                        create_graph=tracked and not first_order,
                                        materialize_grads=True)
            current = {k: v - inner_lr * g for (k, v), g in zip(current.items(), grads,
                                                                 strict=True)}
    return current


def expand_params(params: Mapping[str, Tensor], n_tasks: int) -> Params:
    """Give every parameter a leading task dimension of size ``n_tasks`` (a view, no copy).

    Back-propagating through the views sums the tasks' gradients into the shared θ, as the
    meta-update of Σ_i L_i(θ'_i) requires (Finn et al. 2017, eq. 1).
    """
    params = check_params(params)
    n_tasks = check_int("n_tasks", n_tasks, minimum=1)
    return {k: v.expand(n_tasks, *v.shape) for k, v in params.items()}


def detached(params: Mapping[str, Tensor]) -> Params:
    """The same values without a graph (e.g. to sample with adapted parameters)."""
    return {k: v.detach() for k, v in check_params(params).items()}


def batched_call(model: nn.Module, params: Mapping[str, Tensor], *inputs: Tensor) -> Tensor:
    """``model`` run with task ``i``'s parameters on task ``i``'s inputs, for every task at once.

    ``params``: name -> (n_tasks, *shape); ``inputs``: each (n_tasks, ...). Returns the stacked
    outputs (n_tasks, ...), computed with ``vmap(functional_call)``.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    params = check_params(params)

    def call(task_params: Params, *task_inputs: Tensor) -> Tensor:
        return functional_call(model, task_params, task_inputs)

    return vmap(call)(params, *inputs)
