"""The why-hierarchy experiment's helpers, and its saved summary regenerated."""

import numpy as np
import pytest

from chapter_code import experiments
from chapter_code.envs import corridor
from chapter_code.experiments.why_hierarchy import (
    WhyHierarchyConfig,
    decision_points,
    log_log_slope,
    steps_to_criterion,
)
from chapter_code.options import landmark_option


@pytest.mark.unit
def test_steps_to_criterion_counts_through_the_first_good_episode():
    steps = np.array([[50, 20, 9, 30], [9, 9, 9, 9]])
    np.testing.assert_array_equal(steps_to_criterion(steps, shortest=8, tolerance=0.25),
                                  [79, 9])
    with pytest.raises(ValueError, match="never met the criterion"):
        steps_to_criterion(np.array([[50, 40]]), shortest=8, tolerance=0.25)


@pytest.mark.unit
def test_log_log_slope_recovers_a_power_law():
    x = np.array([8, 16, 32, 64])
    assert log_log_slope(x, 3.0 * x**2.5) == pytest.approx(2.5)


@pytest.mark.unit
@pytest.mark.parametrize(("length", "spacing"), [(9, 4), (16, 4), (13, 3), (2, 5)])
def test_decision_points_match_executing_the_option(length, spacing):
    """Run the landmark option with the sampler from the start, counting how often it is
    (re)started before the goal: that is the closed form's second number."""
    mdp = corridor(length, gamma=0.9)
    option = landmark_option(mdp, spacing)
    rng = np.random.default_rng(0)
    state, decisions = np.array([0]), 0
    while not mdp.terminal[state[0]]:
        decisions += 1
        while True:
            action = np.array([np.argmax(option.policy[state[0]])])
            state, _, terminated = mdp.step(state, action, rng)
            if terminated[0] or rng.random() < option.termination[state[0]]:
                break
    assert decision_points(length, spacing) == (length - 1, decisions)


@pytest.mark.unit
def test_config_rejects_bad_values():
    with pytest.raises(ValueError, match="strictly increasing"):
        WhyHierarchyConfig(lengths=(16, 8))
    with pytest.raises(ValueError, match="spacing"):
        WhyHierarchyConfig(spacing=1)
    with pytest.raises(TypeError, match="lengths"):
        WhyHierarchyConfig(lengths=[8, 16])


@pytest.mark.determinism
def test_experiment_is_deterministic():
    small = {"lengths": (6, 10), "n_seeds": 4, "n_episodes": 80}
    a = experiments.run("why-hierarchy", **small)
    b = experiments.run("why-hierarchy", **small)
    assert a.metrics == b.metrics
    for key in a.arrays:
        np.testing.assert_array_equal(a.arrays[key], b.arrays[key])
