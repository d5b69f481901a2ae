"""Random tabular MDPs and their baselines against exact planning, a linear program, closed
forms and Monte Carlo."""

import itertools

import numpy as np
import pytest
from scipy.optimize import linprog

from chapter_code import experiments
from chapter_code.experiments.mdp_baselines import BASELINES, MDPBaselinesConfig, oracle_value
from chapter_code.rl2.mdp_baselines import (
    Counts,
    MDPPolicy,
    beb_policy,
    eps_greedy_mdp_policy,
    greedy_mdp_policy,
    optimistic_transition,
    play_mdp,
    posterior_mean_model,
    posterior_sample_model,
    psrl_policy,
    random_mdp_policy,
    ucrl2_policy,
)
from chapter_code.rl2.tabular_mdps import (
    HORIZON,
    MDPBatch,
    initial_states,
    plan,
    sample_mdps,
    step,
)


@pytest.mark.unit
def test_plan_equals_the_best_of_all_deterministic_markov_policies():
    rng = np.random.default_rng(0)
    mdps = sample_mdps(1, rng, n_states=2, n_actions=2)
    P, r, T = mdps.P[0], mdps.mu[0], 3
    q = plan(P, r, T)
    best = -np.inf
    for choice in itertools.product(range(2), repeat=2 * T):  # a_t(s) for every t, s
        pi = np.array(choice).reshape(T, 2)
        dist, total = np.full(2, 0.5), 0.0
        for t in range(T):  # forward: state distribution times reward, then transition
            total += dist @ r[np.arange(2), pi[t]]
            dist = dist @ P[np.arange(2), pi[t]]
        best = max(best, total)
    assert q[0].max(axis=-1).mean() == pytest.approx(best, abs=1e-12)


@pytest.mark.unit
def test_optimistic_transition_solves_the_linear_program():
    rng = np.random.default_rng(1)
    for _ in range(20):
        p_hat = rng.dirichlet(np.ones(6))
        v = rng.normal(size=6)
        radius = rng.uniform(0.0, 2.5)
        p = optimistic_transition(p_hat, v, np.array(radius))
        # max v·p s.t. Σp = 1, p >= 0, Σ|p - p_hat| <= radius; variables (p, u), u >= |p - p_hat|
        eye, zeros, ones = np.eye(6), np.zeros((1, 6)), np.ones((1, 6))
        res = linprog(np.concatenate([-v, np.zeros(6)]),
                      A_ub=np.block([[eye, -eye], [-eye, -eye], [zeros, ones]]),
                      b_ub=np.concatenate([p_hat, -p_hat, [radius]]),
                      A_eq=np.concatenate([np.ones(6), np.zeros(6)])[None], b_eq=[1.0],
                      bounds=[(0, None)] * 12)
        assert p.min() >= -1e-12 and p.sum() == pytest.approx(1.0)
        assert np.abs(p - p_hat).sum() <= radius + 1e-9
        assert p @ v == pytest.approx(-res.fun, abs=1e-8)


@pytest.mark.unit
def test_step_samples_next_states_with_the_transition_probabilities():
    mdps = sample_mdps(1, np.random.default_rng(2))
    batch = MDPBatch(np.repeat(mdps.P, 50_000, axis=0), np.repeat(mdps.mu, 50_000, axis=0))
    rng = np.random.default_rng(3)
    states, actions = np.full(50_000, 4), np.full(50_000, 2)
    reward, nxt = step(batch, states, actions, rng.standard_normal(50_000), rng.random(50_000))
    freq = np.bincount(nxt, minlength=10) / 50_000
    np.testing.assert_allclose(freq, mdps.P[0, 4, 2], atol=0.01)
    assert reward.mean() == pytest.approx(mdps.mu[0, 4, 2], abs=0.03)


@pytest.mark.learns
def test_random_policy_earns_the_prior_mean_reward_of_one_per_step():
    mdps = sample_mdps(4000, np.random.default_rng(4))
    totals = play_mdp(random_mdp_policy(), mdps, 3, np.random.default_rng(5)).sum(axis=(1, 2))
    assert abs(totals.mean() - 3 * HORIZON) < 4 * totals.std() / np.sqrt(totals.size)


@pytest.mark.unit
def test_posterior_draws_average_to_the_posterior_mean():
    counts = Counts.empty(1, 3, 2)
    rng = np.random.default_rng(6)
    for _ in range(5):
        counts.record(rng.integers(3, size=1), rng.integers(2, size=1), rng.normal(size=1),
                      rng.integers(3, size=1))
    P, r = posterior_sample_model(counts, rng, n_samples=40_000)
    P_mean, r_mean = posterior_mean_model(counts)
    np.testing.assert_allclose(P.mean(axis=0), P_mean, atol=0.01)
    np.testing.assert_allclose(r.mean(axis=0), r_mean, atol=0.02)


@pytest.mark.learns
def test_no_baseline_beats_the_true_model_and_psrl_regret_per_episode_falls():
    mdps = sample_mdps(300, np.random.default_rng(7))
    oracle = plan(mdps.P, mdps.mu, HORIZON)[0].max(axis=-1).mean(axis=-1)  # per episode
    regrets = []
    for n in (2, 8, 32):
        totals = play_mdp(psrl_policy(), mdps, n, np.random.default_rng(n)).sum(axis=(1, 2))
        regrets.append((n * oracle - totals).mean() / n)
    assert regrets[0] > regrets[1] > regrets[2] > 0
    for policy in (greedy_mdp_policy(), beb_policy(1.0), ucrl2_policy(0.05), psrl_policy(3)):
        totals = play_mdp(policy, mdps, 4, np.random.default_rng(9)).sum(axis=(1, 2))
        assert (totals - 4 * oracle).mean() < 3 * totals.std() / np.sqrt(totals.size)


@pytest.mark.determinism
def test_same_seed_same_rewards():
    mdps = sample_mdps(20, np.random.default_rng(10))
    for policy in (eps_greedy_mdp_policy(0.1), psrl_policy(2)):
        a = play_mdp(policy, mdps, 3, np.random.default_rng(11))
        b = play_mdp(policy, mdps, 3, np.random.default_rng(11))
        np.testing.assert_array_equal(a, b)


@pytest.mark.unit
def test_mdp_baselines_experiment_reports_every_baseline_below_the_oracle():
    out = experiments.run("mdp-baselines", episodes=2, trials=40, tune_trials=5,
                          epsilon=(0.1,), beb_beta=(1.0,), ucrl2_scale=(0.05,), opsrl_samples=(2,))
    assert set(BASELINES) <= set(out.metrics)
    for name in BASELINES:
        assert out.metrics[name] < out.metrics["oracle"] + 3 * out.metrics["stderr"][name]
    assert out.metrics["tuned"] == {"beb": 1.0, "eps_greedy": 0.1, "opsrl": 2.0, "ucrl2": 0.05}


@pytest.mark.unit
def test_bad_input_raises_naming_the_argument():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="n_tasks"):
        sample_mdps(0, rng)
    with pytest.raises(ValueError, match="n_episodes"):
        play_mdp(greedy_mdp_policy(), sample_mdps(2, rng), 0, rng)
    with pytest.raises(ValueError, match="epsilon"):
        MDPPolicy("x", lambda c, g: np.zeros(1), epsilon=-0.1)
    with pytest.raises(ValueError, match="episodes"):
        MDPBaselinesConfig(episodes=0)
    with pytest.raises(ValueError, match="opsrl_samples"):
        MDPBaselinesConfig(opsrl_samples=(1,))
    with pytest.raises(TypeError, match="rng"):
        play_mdp(greedy_mdp_policy(), sample_mdps(2, rng), 1, 3)  # type: ignore[arg-type]


@pytest.mark.unit
def test_extended_value_iteration_with_no_slack_is_plain_planning_and_grows_with_it():
    from chapter_code.rl2.mdp_baselines import extended_value_iteration

    mdps = sample_mdps(3, np.random.default_rng(12))
    zero = np.zeros(mdps.mu.shape)
    q = extended_value_iteration(mdps.P, mdps.mu, zero, zero, HORIZON)
    np.testing.assert_allclose(q, plan(mdps.P, mdps.mu, HORIZON), atol=1e-12)
    wider = extended_value_iteration(mdps.P, mdps.mu, zero + 0.3, zero + 0.1, HORIZON)
    assert np.all(wider >= q - 1e-12)
    # with radius 2 every row may move all its mass to the best next state
    best = extended_value_iteration(mdps.P, mdps.mu, zero + 2.0, zero, 2)
    v1 = mdps.mu.max(axis=-1)
    np.testing.assert_allclose(best[0], mdps.mu + v1.max(axis=-1)[:, None, None], atol=1e-12)


def _self_loop_mdps(n_tasks: int) -> MDPBatch:
    """Tasks that never leave their state, with mean reward μ(s, a) = s + a."""
    n_states, n_actions = 10, 5
    P = np.broadcast_to(np.eye(n_states)[None, :, None, :], (n_tasks, n_states, n_actions,
                                                              n_states)).copy()
    mu = np.add.outer(np.arange(n_states), np.arange(n_actions)).astype(float)
    return MDPBatch(P=P, mu=np.broadcast_to(mu, (n_tasks, n_states, n_actions)).copy())


@pytest.mark.unit
def test_fixed_start_begins_every_episode_in_state_zero():
    """In self-loop MDPs with μ(s, a) = s + a a random policy earns s + 2 per step plus noise, so
    its mean reward is 2 when every episode starts in state 0 and 4.5 + 2 from uniform starts."""
    mdps = _self_loop_mdps(2000)
    fixed = play_mdp(random_mdp_policy(), mdps, 2, np.random.default_rng(0), start="fixed")
    uniform = play_mdp(random_mdp_policy(), mdps, 2, np.random.default_rng(0))
    assert abs(fixed.mean() - 2.0) < 0.05 and abs(uniform.mean() - 6.5) < 0.1
    assert initial_states(3, 10, np.array([0.95, 0.5, 0.0]), "fixed").tolist() == [0, 0, 0]
    with pytest.raises(ValueError, match="start"):
        play_mdp(random_mdp_policy(), mdps, 1, np.random.default_rng(0), start="random")


@pytest.mark.unit
def test_oracle_value_of_self_loop_mdps_in_closed_form():
    """Staying in s and taking the best action a = 4 earns T (s + 4) per episode: 40 from
    state 0, and T (4.5 + 4) = 85 averaged over uniform starts."""
    mdps = _self_loop_mdps(2)
    np.testing.assert_allclose(oracle_value(mdps, 3, "fixed"), 3 * HORIZON * 4.0)
    np.testing.assert_allclose(oracle_value(mdps, 3), 3 * HORIZON * 8.5)
