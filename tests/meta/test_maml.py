"""MAML's meta-gradient checked three ways: closed form, finite differences, and `higher`."""

import pytest
import torch

from chapter_code.meta import adapt, batched_call, expand_params
from chapter_code.meta.networks import mlp
from chapter_code.meta.sinusoid import sample_points, sample_tasks
from chapter_code.meta.supervised import meta_loss


def _quadratic_meta_gradient(a, b, alpha, steps, first_order):
    theta = torch.tensor([0.7, -1.3, 2.0], dtype=torch.float64, requires_grad=True)
    adapted = adapt({"theta": theta}, lambda p: 0.5 * (a * p["theta"] ** 2).sum(),
                    inner_lr=alpha, steps=steps, first_order=first_order)
    (grad,) = torch.autograd.grad(0.5 * (b * adapted["theta"] ** 2).sum(), theta)
    return theta.detach(), grad


@pytest.mark.unit
@pytest.mark.parametrize("steps", [1, 2, 3])
def test_quadratic_meta_gradient_matches_closed_form(steps):
    """L_train = ½aθ², L_val = ½bθ'²: θ' = (1 − αa)^n θ, so the MAML meta-gradient is
    b(1 − αa)^{2n} θ and the first-order one is b(1 − αa)^n θ."""
    a = torch.tensor([2.0, 0.5, 3.0], dtype=torch.float64)
    b = torch.tensor([1.5, 4.0, 0.25], dtype=torch.float64)
    alpha = 0.1
    theta, second = _quadratic_meta_gradient(a, b, alpha, steps, first_order=False)
    _, first = _quadratic_meta_gradient(a, b, alpha, steps, first_order=True)
    shrink = (1 - alpha * a) ** steps
    torch.testing.assert_close(second, b * shrink**2 * theta)
    torch.testing.assert_close(first, b * shrink * theta)


def _sinusoid_problem(dtype=torch.float64):
    generator = torch.Generator().manual_seed(3)
    model = mlp((1, 8, 8, 1), generator).to(dtype)
    tasks = sample_tasks(4, generator)
    support = tuple(t.to(dtype) for t in sample_points(*tasks, 5, generator))
    query = tuple(t.to(dtype) for t in sample_points(*tasks, 5, generator))
    return model, support, query


@pytest.mark.unit
@pytest.mark.parametrize("steps", [1, 2])
def test_meta_gradient_matches_finite_differences(steps):
    model, support, query = _sinusoid_problem()
    params = {k: v.detach().clone().requires_grad_(True) for k, v in model.named_parameters()}

    def objective(p, first_order=False):
        return meta_loss(model, p, support, query, inner_lr=0.05, steps=steps,
                         first_order=first_order)

    grads = torch.autograd.grad(objective(params), list(params.values()))
    fo_grads = torch.autograd.grad(objective(params, True), list(params.values()))
    eps = 1e-6
    for (name, value), grad, fo_grad in zip(params.items(), grads, fo_grads, strict=True):
        numeric = torch.zeros_like(value)
        for i in range(value.numel()):
            shifted = {k: v.detach().clone() for k, v in params.items()}
            shifted[name].view(-1)[i] += eps
            plus = objective(shifted).item()
            shifted[name].view(-1)[i] -= 2 * eps
            minus = objective(shifted).item()
            numeric.view(-1)[i] = (plus - minus) / (2 * eps)
        torch.testing.assert_close(grad, numeric, rtol=1e-5, atol=1e-7)
        if name == "0.weight":  # the first-order gradient is a different quantity
            assert not torch.allclose(fo_grad, numeric, rtol=1e-3, atol=1e-6)


@pytest.mark.unit
@pytest.mark.parametrize("first_order", [False, True])
def test_meta_gradient_matches_higher(first_order):
    """An independent implementation: `higher`'s differentiable SGD, one task at a time. Without
    tracked higher-order gradients, `higher` detaches the fast weights, so FOMAML's gradient is
    the gradient with respect to the final fast weights."""
    higher = pytest.importorskip("higher")
    model, support, query = _sinusoid_problem()
    params = dict(model.named_parameters())
    ours = torch.autograd.grad(
        meta_loss(model, params, support, query, inner_lr=0.05, steps=2,
                  first_order=first_order), list(params.values()))

    inner = torch.optim.SGD(model.parameters(), lr=0.05)
    n_tasks = support[0].shape[0]
    theirs = [torch.zeros_like(p) for p in params.values()]
    for i in range(n_tasks):
        with higher.innerloop_ctx(model, inner, copy_initial_weights=False,
                                  track_higher_grads=not first_order) as (fmodel, diffopt):
            for _ in range(2):
                diffopt.step(((fmodel(support[0][i]) - support[1][i]) ** 2).mean())
            loss = ((fmodel(query[0][i]) - query[1][i]) ** 2).mean() / n_tasks
            wrt = list(fmodel.parameters()) if first_order else list(params.values())
            for total, grad in zip(theirs, torch.autograd.grad(loss, wrt), strict=True):
                total += grad
    for a, b in zip(ours, theirs, strict=True):
        torch.testing.assert_close(a, b)


@pytest.mark.unit
def test_batched_call_equals_a_loop_over_tasks():
    model, support, _ = _sinusoid_problem()
    params = dict(model.named_parameters())
    batched = batched_call(model, expand_params(params, 4), support[0])
    looped = torch.stack([model(x) for x in support[0]])
    torch.testing.assert_close(batched, looped)


@pytest.mark.unit
def test_adapt_rejects_bad_arguments():
    params = {"w": torch.ones(2, requires_grad=True)}

    def loss(p):
        return (p["w"] ** 2).sum()

    with pytest.raises(ValueError, match="inner_lr"):
        adapt(params, loss, inner_lr=0.0)
    with pytest.raises(ValueError, match="inner_lr"):
        adapt(params, loss, inner_lr=-0.1)
    with pytest.raises(ValueError, match="steps"):
        adapt(params, loss, inner_lr=0.1, steps=0)
    with pytest.raises(TypeError, match="steps"):
        adapt(params, loss, inner_lr=0.1, steps=1.5)
    with pytest.raises(TypeError, match="params"):
        adapt({"w": [1.0, 2.0]}, loss, inner_lr=0.1)
    with pytest.raises(TypeError, match="params"):
        adapt([torch.ones(2)], loss, inner_lr=0.1)
    with pytest.raises(TypeError, match="loss_fn"):
        adapt(params, None, inner_lr=0.1)
    with pytest.raises(ValueError, match="scalar"):
        adapt(params, lambda p: p["w"] * 2, inner_lr=0.1)
    with pytest.raises(TypeError, match="first_order"):
        adapt(params, loss, inner_lr=0.1, first_order=1)


@pytest.mark.unit
def test_adapt_takes_plain_gradient_steps_and_leaves_params_alone():
    w = torch.tensor([1.0, -2.0])
    adapted = adapt({"w": w}, lambda p: (p["w"] ** 2).sum(), inner_lr=0.25, steps=2)
    torch.testing.assert_close(adapted["w"].detach(), w * 0.25)  # (1 - 2α)^2 = 1/4
    torch.testing.assert_close(w, torch.tensor([1.0, -2.0]))


@pytest.mark.unit
def test_adapt_under_no_grad_gives_the_same_per_task_values():
    """Views made under no_grad claim requires_grad; adapt must not let the tasks' gradients
    mix through their shared base."""
    model, support, _ = _sinusoid_problem()
    params = dict(model.named_parameters())

    def loss(p):
        return ((batched_call(model, p, support[0]) - support[1]) ** 2).mean((1, 2)).sum()

    tracked = adapt(expand_params(params, 4), loss, inner_lr=0.05)
    with torch.no_grad():
        untracked = adapt(expand_params(params, 4), loss, inner_lr=0.05)
    for k in tracked:
        torch.testing.assert_close(tracked[k].detach(), untracked[k])


@pytest.mark.unit
def test_experiment_configs_reject_bad_values():
    from chapter_code.experiments.maml_fomaml import MamlVsFomamlConfig
    from chapter_code.experiments.maml_nav import MamlNavConfig
    from chapter_code.experiments.sinusoid import SinusoidConfig

    with pytest.raises(ValueError, match="methods"):
        MamlNavConfig(methods=("reptile",))
    with pytest.raises(ValueError, match="outer"):
        MamlVsFomamlConfig(outer="sgd")
    with pytest.raises(ValueError, match="inner_lr"):
        SinusoidConfig(inner_lr=-1.0)
    with pytest.raises(ValueError, match="methods"):
        MamlVsFomamlConfig(methods=("maml", "pretrained"))
    with pytest.raises(ValueError, match="n_seeds"):
        MamlVsFomamlConfig(n_seeds=1)
    assert MamlVsFomamlConfig().methods == ("maml", "fomaml")
