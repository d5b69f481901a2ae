"""The task-breadth experiment: its variance scale against the closed-form integral, its
output shapes, and bad input."""

import numpy as np
import pytest

from chapter_code import experiments
from chapter_code.experiments.task_breadth import zero_predictor_mse
from chapter_code.meta.sinusoid import sample_tasks
from chapter_code.seeding import torch_stream


@pytest.mark.unit
def test_zero_predictor_mse_is_the_closed_form_mean_of_y_squared():
    tasks = sample_tasks(30, torch_stream(5, "eval-tasks"), (1.0, 4.0))
    a, phi, w = (t.double().numpy() for t in tasks)
    # (1/10) ∫_{-5}^{5} sin²(ωx − φ) dx = 1/2 − [sin(2(5ω − φ)) − sin(2(−5ω − φ))] / (40ω)
    mean_sin2 = 0.5 - (np.sin(2 * (5 * w - phi)) - np.sin(2 * (-5 * w - phi))) / (40 * w)
    assert zero_predictor_mse(tasks) == pytest.approx(float(np.mean(a**2 * mean_sin2)), rel=1e-6)


@pytest.mark.unit
def test_the_sinusoid_run_returns_the_tasks_it_evaluated():
    out = experiments.run("sinusoid", n_iterations=1, n_eval_tasks=4, seed=2,
                          frequency_range=(1.0, 3.0))
    expected = sample_tasks(4, torch_stream(2, "eval-tasks"), (1.0, 3.0))
    for got, want in zip(out.objects["eval_tasks"], expected, strict=True):
        np.testing.assert_array_equal(got.numpy(), want.numpy())


@pytest.mark.unit
def test_tiny_run_has_one_curve_per_family_and_seed():
    out = experiments.run("task-breadth", max_frequencies=(1.0, 2.0), n_seeds=2,
                          n_iterations=2, n_eval_tasks=3)
    assert set(out.metrics["max_frequency"]) == {"1", "2"}
    assert out.arrays["2_maml"].shape == (2, 11)
    assert np.all(out.arrays["1_pretrained"] > 0)


@pytest.mark.unit
@pytest.mark.parametrize(("name", "value", "error"), [
    ("max_frequencies", (0.5,), ValueError), ("max_frequencies", [1.0], TypeError),
    ("n_seeds", 1, ValueError)])
def test_bad_config_raises_naming_the_option(name, value, error):
    with pytest.raises(error, match=name):
        experiments.run("task-breadth", **{name: value})
