"""Reptile against the closed form of k SGD steps on a quadratic, and against plain SGD."""

import pytest
import torch

from chapter_code.meta import adapt, reptile_step
from chapter_code.meta.maml import expand_params

A = torch.tensor([[2.0, 0.5, 0.0], [0.5, 1.0, 0.3], [0.0, 0.3, 1.5]], dtype=torch.float64)
C = torch.tensor([1.0, -1.0, 0.5], dtype=torch.float64)
THETA = torch.tensor([0.3, 0.7, -2.0], dtype=torch.float64)


def quadratic(params):
    d = params["theta"] - C
    return 0.5 * d @ A @ d


@pytest.mark.parametrize("k", [1, 2, 3])
@pytest.mark.parametrize("outer_lr", [1.0, 0.3])
def test_k_step_update_matches_closed_form_on_a_quadratic(k, outer_lr):
    alpha = 0.1
    new = reptile_step({"theta": THETA}, quadratic, inner_lr=alpha, steps=k, outer_lr=outer_lr)
    eye = torch.eye(3, dtype=torch.float64)
    # φ − θ = −[I − (I − αA)^k](θ − c): k gradient steps on ½(θ − c)ᵀA(θ − c)
    phi_minus_theta = -(eye - torch.linalg.matrix_power(eye - alpha * A, k)) @ (THETA - C)
    torch.testing.assert_close(new["theta"], THETA + outer_lr * phi_minus_theta,
                               rtol=1e-12, atol=1e-12)


def test_one_step_with_outer_lr_one_is_one_sgd_step():
    new = reptile_step({"theta": THETA}, quadratic, inner_lr=0.05, steps=1, outer_lr=1.0)
    torch.testing.assert_close(new["theta"], THETA - 0.05 * A @ (THETA - C),
                               rtol=1e-12, atol=1e-12)


def test_batched_tasks_average_the_per_task_updates():
    centres = torch.tensor([[1.0, -1.0, 0.5], [0.0, 2.0, -1.0]], dtype=torch.float64)

    def task_loss(i):
        return lambda p: 0.5 * (p["theta"] - centres[i]) @ A @ (p["theta"] - centres[i])

    def batched_loss(p):  # the sum of the task losses, task i on slice i
        d = p["theta"] - centres
        return 0.5 * torch.einsum("ti,ij,tj->", d, A, d)

    new = reptile_step({"theta": THETA}, batched_loss, inner_lr=0.1, steps=3, outer_lr=0.5,
                       n_tasks=2)
    phis = [adapt({"theta": THETA}, task_loss(i), inner_lr=0.1, steps=3)["theta"]
            for i in range(2)]
    expected = THETA + 0.5 * (torch.stack(phis).mean(0) - THETA)
    torch.testing.assert_close(new["theta"], expected, rtol=1e-12, atol=1e-12)
    assert new["theta"].shape == THETA.shape
    assert expand_params({"theta": THETA}, 2)["theta"].shape == (2, 3)


def test_returns_new_detached_tensors_and_leaves_params_alone():
    theta = THETA.clone().requires_grad_(True)
    new = reptile_step({"theta": theta}, quadratic, inner_lr=0.1, steps=2, outer_lr=1.0)
    assert not new["theta"].requires_grad
    torch.testing.assert_close(theta.detach(), THETA)


@pytest.mark.determinism
def test_same_inputs_same_numbers():
    net = torch.nn.Linear(2, 1)
    torch.nn.init.normal_(net.weight, generator=torch.Generator().manual_seed(0))
    x = torch.randn(8, 2, generator=torch.Generator().manual_seed(1))

    def loss(p):
        return ((x @ p["weight"].T + p["bias"] - x.sum(1, keepdim=True)) ** 2).mean()

    params = dict(net.named_parameters())
    a = reptile_step(params, loss, inner_lr=0.1, steps=5, outer_lr=0.5)
    b = reptile_step(params, loss, inner_lr=0.1, steps=5, outer_lr=0.5)
    for name in a:
        assert torch.equal(a[name], b[name])


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"inner_lr": 0.0}, ValueError, "inner_lr"),
    ({"inner_lr": "0.1"}, TypeError, "inner_lr"),
    ({"steps": 0}, ValueError, "steps"),
    ({"steps": 1.5}, TypeError, "steps"),
    ({"outer_lr": 0.0}, ValueError, "outer_lr"),
    ({"outer_lr": 1.5}, ValueError, "outer_lr"),
    ({"outer_lr": float("nan")}, ValueError, "outer_lr"),
    ({"n_tasks": 0}, ValueError, "n_tasks"),
])
def test_bad_arguments_name_themselves(kwargs, error, match):
    options = {"inner_lr": 0.1, "steps": 1, "outer_lr": 1.0, **kwargs}
    with pytest.raises(error, match=match):
        reptile_step({"theta": THETA}, quadratic, **options)


def test_bad_params_and_loss():
    with pytest.raises(TypeError, match="params"):
        reptile_step({}, quadratic, inner_lr=0.1, steps=1, outer_lr=1.0)
    with pytest.raises(TypeError, match="loss_fn"):
        reptile_step({"theta": THETA}, None, inner_lr=0.1, steps=1, outer_lr=1.0)


@pytest.mark.determinism
def test_first_order_meta_tiny_run_repeats():
    import numpy as np

    from chapter_code import experiments

    config = {"n_iterations": 3, "meta_batch": 3, "n_eval_tasks": 4, "n_finetune_steps": 2,
              "n_seeds": 2, "reptile_steps": 2}
    a = experiments.run("first-order-meta", **config)
    b = experiments.run("first-order-meta", **config)
    assert a.metrics == b.metrics
    for key, value in a.arrays.items():
        np.testing.assert_array_equal(value, b.arrays[key], err_msg=key)
        assert value.shape == (2, 3)
    # paired differences are the per-seed differences of the curves
    np.testing.assert_allclose(
        a.metrics["mse_minus_maml"]["reptile"]["mean"],
        (a.arrays["curve_reptile"] - a.arrays["curve_maml"]).mean(0))


def test_first_order_meta_config_validates():
    from chapter_code.experiments.first_order_meta import FirstOrderMetaConfig

    with pytest.raises(ValueError, match="reptile_outer_lr"):
        FirstOrderMetaConfig(reptile_outer_lr=2.0)
    with pytest.raises(ValueError, match="n_seeds"):
        FirstOrderMetaConfig(n_seeds=1)
    with pytest.raises(TypeError, match="reptile_steps"):
        FirstOrderMetaConfig(reptile_steps=2.5)
