"""The rl2-bandit, rl2-mdp and rl2-value-net experiments at toy size: what they report and
their checks."""

import numpy as np
import pytest

from chapter_code import experiments
from chapter_code.experiments.rl2_bandit import RL2BanditConfig, rank_frequencies
from chapter_code.experiments.rl2_mdp import RL2MDPConfig
from chapter_code.experiments.rl2_value_net import ValueNetConfig


@pytest.mark.unit
def test_rank_frequencies_count_pulls_of_each_arm_rank():
    means = np.array([[0.1, 0.9, 0.5], [0.8, 0.2, 0.3]])
    actions = np.array([[1, 0], [2, 2]])  # (T=2, N=2)
    freq = rank_frequencies(means, actions)
    np.testing.assert_array_equal(freq, [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


@pytest.mark.unit
def test_rl2_bandit_reports_score_curve_and_pull_frequencies():
    out = experiments.run("rl2-bandit", arms=3, pulls=4, iterations=2, tasks_per_batch=8,
                          minibatches=2, hidden=8, eval_trials=30)
    assert 0 <= out.metrics["rl2"] <= 4 and out.metrics["stderr"] > 0
    assert out.arrays["curve"].shape == (2,)
    np.testing.assert_allclose(out.arrays["rank_frequencies"].sum(axis=1), 1.0)


@pytest.mark.unit
def test_rl2_mdp_reports_per_episode_rewards():
    out = experiments.run("rl2-mdp", episodes=2, iterations=1, tasks_per_batch=4,
                          minibatches=2, hidden=8, eval_trials=10)
    assert out.arrays["episode_reward"].shape == (2,)
    assert out.metrics["rl2"] == pytest.approx(out.arrays["episode_reward"].sum())


@pytest.mark.unit
def test_bad_configs_raise():
    with pytest.raises(ValueError, match="arms"):
        RL2BanditConfig(arms=1)
    with pytest.raises(ValueError, match="pulls"):
        RL2BanditConfig(pulls=0)
    with pytest.raises(ValueError, match="episodes"):
        RL2MDPConfig(episodes=0)


@pytest.mark.unit
def test_hidden_projection_uses_the_principal_axes_of_the_last_step():
    from chapter_code.experiments.rl2_bandit import hidden_projection

    rng = np.random.default_rng(0)
    hidden = rng.normal(size=(3, 50, 4)) * np.array([5.0, 1.0, 0.2, 0.1])
    pcs = hidden_projection(hidden, 40)
    assert pcs.shape == (3, 40, 2)
    np.testing.assert_allclose(pcs[-1].mean(axis=0), 0.0, atol=1e-12)
    var = pcs[-1].var(axis=0)
    assert var[0] > var[1]
    # the leading axis is (up to sign) the high-variance coordinate
    corr = np.corrcoef(pcs[-1, :, 0], hidden[-1, :40, 0])[0, 1]
    assert abs(corr) > 0.95


VALUE_NET_TOY = dict(episodes=2, iterations=1, tasks_per_batch=4, eval_trials=10)


@pytest.mark.unit
def test_value_net_study_reruns_rl2_mdp_per_seed_and_pairs_the_seeds():
    out = experiments.run("rl2-value-net", **VALUE_NET_TOY, n_seeds=2)
    for value_net in ("shared", "separate"):
        # the first seed's run is exactly rl2-mdp's, evaluated on the same MDPs
        alone = experiments.run("rl2-mdp", **VALUE_NET_TOY, value_net=value_net)
        assert out.metrics["per_seed"][value_net][0] == alone.metrics["rl2"]
    shared = np.array(out.metrics["per_seed"]["shared"])
    separate = np.array(out.metrics["per_seed"]["separate"])
    assert shared.shape == (2,) and not np.array_equal(shared, separate)
    # intervals are stored rounded to 6 decimals (stats.seed_interval)
    assert out.metrics["difference"]["mean"] == pytest.approx((separate - shared).mean(), abs=5e-7)
    assert out.metrics["score"]["shared"]["mean"] == pytest.approx(shared.mean(), abs=5e-7)


@pytest.mark.unit
def test_value_net_study_workers_do_not_change_the_numbers():
    alone = experiments.run("rl2-value-net", **VALUE_NET_TOY, n_seeds=2)
    side_by_side = experiments.run("rl2-value-net", **VALUE_NET_TOY, n_seeds=2, workers=2)
    assert alone.metrics["per_seed"] == side_by_side.metrics["per_seed"]


@pytest.mark.unit
def test_value_net_study_bad_configs_raise():
    with pytest.raises(ValueError, match="n_seeds"):
        ValueNetConfig(n_seeds=1)
    with pytest.raises(ValueError, match="workers"):
        ValueNetConfig(workers=0)
    with pytest.raises(ValueError, match="episodes"):
        ValueNetConfig(episodes=0)
