"""The MAML experiments run end to end on tiny budgets and repeat exactly."""

import numpy as np
import pytest

from chapter_code import experiments
from chapter_code.experiments.maml_nav import saved_params


def _untimed(metrics: dict) -> dict:
    return {k: v for k, v in metrics.items() if "seconds" not in k}  # wall clock differs


TINY = {"n_iterations": 2, "meta_batch": 2, "n_trajectories": 2, "n_eval_tasks": 2}


@pytest.mark.determinism
def test_maml_vs_fomaml_tiny_run_repeats_and_reports_both():
    a = experiments.run("maml-vs-fomaml", **TINY)
    b = experiments.run("maml-vs-fomaml", **TINY)
    assert _untimed(a.metrics) == _untimed(b.metrics)
    assert len(a.metrics["fomaml_gap"]["per_seed"]) == 3
    seed_arrays = {k: v[1] for k, v in a.arrays.items()}  # the second seed's run
    one_seed = experiments.run("maml-nav", **TINY, seed=1, methods=("maml", "fomaml"))
    for key, value in one_seed.arrays.items():
        if not key.endswith("seconds"):
            np.testing.assert_array_equal(seed_arrays[key], value, err_msg=key)
    params = saved_params(seed_arrays, "fomaml")
    assert set(params) == {"log_std", "mean.0.weight", "mean.0.bias", "mean.2.weight",
                           "mean.2.bias", "mean.4.weight", "mean.4.bias"}
    with pytest.raises(ValueError, match="pretrained"):
        saved_params(a.arrays, "pretrained")


@pytest.mark.determinism
def test_sinusoid_tiny_run_repeats():
    config = {"n_iterations": 5, "n_eval_tasks": 4, "n_finetune_steps": 2}
    a = experiments.run("sinusoid", **config)
    b = experiments.run("sinusoid", **config)
    assert _untimed(a.metrics) == _untimed(b.metrics)
    np.testing.assert_array_equal(a.arrays["curve_maml"], b.arrays["curve_maml"])
