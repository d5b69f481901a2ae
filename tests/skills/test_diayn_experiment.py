"""The diayn experiment: deterministic, its metrics consistent with its arrays, bad configs."""

import numpy as np
import pytest

from chapter_code import experiments
from chapter_code.envs import four_rooms
from chapter_code.experiments.diayn import DiaynConfig, skill_options
from chapter_code.options import option_model
from chapter_code.skills import train_skills


@pytest.mark.determinism
def test_diayn_experiment_is_deterministic_and_consistent():
    small = dict(n_seeds=2, n_episodes=30, horizon=6, downstream_episodes=3)
    first, second = experiments.run("diayn", **small), experiments.run("diayn", **small)
    assert first.metrics == second.metrics
    for key, value in first.arrays.items():
        np.testing.assert_array_equal(value, second.arrays[key])
    info = first.metrics["per_method"]["diayn"]["mutual_information_bits"]["mean"]
    assert info == pytest.approx(first.arrays["info_bits_diayn"].mean(), abs=1e-6)
    assert 0.0 <= first.arrays["info_bits_vic"].min() <= first.metrics["log2_k"]
    np.testing.assert_allclose(first.arrays["vic_prior"].sum(axis=1), 1.0)


@pytest.mark.unit
def test_skill_options_run_for_a_geometric_time_of_mean_h():
    """The expected duration of a skill option, from its exact model with γ = 1 and a reward
    of 1 per step, is H (β = 1/H on every arrival)."""
    mdp = four_rooms(None, slip=0.1, gamma=1.0)
    result = train_skills(mdp, 2, n_episodes=3, horizon=4, start=mdp.index[(3, 3)], seed=0)
    counting = four_rooms(None, slip=0.1, gamma=1.0, step_reward=1.0)
    for option in skill_options(counting, result, horizon=7):
        r, p = option_model(counting, option)
        np.testing.assert_allclose(r, 7.0)
        np.testing.assert_allclose(p.sum(axis=1), 1.0)


@pytest.mark.unit
def test_diayn_config_rejects_bad_values():
    with pytest.raises(ValueError, match="goal must differ from start"):
        DiaynConfig(goal=(3, 6))
    with pytest.raises(ValueError, match="a wall or outside"):
        DiaynConfig(start=(0, 0))
    with pytest.raises(ValueError, match="n_skills must be an integer >= 2"):
        DiaynConfig(n_skills=1)
