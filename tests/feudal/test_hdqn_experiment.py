"""The hdqn experiment: the metrics the command line prints, at reduced size, and its config
checks."""

import numpy as np
import pytest

from chapter_code.experiments import get, run
from chapter_code.experiments.hdqn import HdqnConfig, windowed


@pytest.mark.unit
def test_windowed_means():
    x = np.arange(12.0).reshape(1, 12)
    np.testing.assert_array_equal(windowed(x, 4), [[1.5, 5.5, 9.5]])
    with pytest.raises(ValueError, match="multiple"):
        windowed(x, 5)


@pytest.mark.learns
def test_reduced_run_prints_the_issue_metrics():
    out = run("hdqn", n_seeds=4, n_episodes=40_000, eval_episodes=500, step_sizes=(),
              network_seeds=2, network_steps=200)
    m = out.metrics
    for key in ("hdqn_return", "hdqn_training_return", "q_learning_return", "optimal_return",
                "n_seeds"):
        assert key in m
    assert m["n_seeds"] == 4
    assert m["optimal_return"] == pytest.approx(0.208)
    assert m["exact"]["hdqn_return"] == pytest.approx(0.208)  # every seed's greedy policy
    assert abs(m["hdqn_return"] - 0.208) < 0.03  # Monte-Carlo of the same policies
    assert m["q_learning_return"] == pytest.approx(0.01)
    assert m["hdqn_training_return"] < m["exact"]["exploring_optimum"] + 0.01
    assert out.arrays["goal_counts"].shape == (4, 40, 6)
    assert m["network"]["n_seeds"] == 2


@pytest.mark.unit
def test_config_checks():
    with pytest.raises(ValueError, match="multiple of window"):
        HdqnConfig(n_episodes=1500)
    with pytest.raises(ValueError, match="network_seeds"):
        HdqnConfig(network_seeds=1)
    with pytest.raises(TypeError, match="step_sizes"):
        HdqnConfig(step_sizes=[0.1])
    with pytest.raises(ValueError, match="alpha"):
        HdqnConfig(alpha=2.0)
    assert get("hdqn").fingerprint is not None
