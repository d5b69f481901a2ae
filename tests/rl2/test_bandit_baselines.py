"""Bandit baselines against exact values: closed forms, dynamic programming over Beta
posteriors, a bisection of the Gittins calibration, and Monte Carlo of the batched rollout."""

from functools import cache

import numpy as np
import pytest

from chapter_code.rl2.bandit_baselines import (
    action_probabilities,
    argmax_random_ties,
    eps_greedy_policy,
    gittins_policy,
    greedy_policy,
    optimistic_thompson_index,
    optimistic_thompson_policy,
    play_bandit,
    random_policy,
    thompson_policy,
    ucb1_policy,
)
from chapter_code.rl2.bandits import expected_total_reward, posterior_mean, pull, sample_bandits
from chapter_code.rl2.bayes_optimal import bayes_optimal_value, policy_value
from chapter_code.rl2.gittins import gittins_table


def bisected_gittins(s: int, f: int, h: int) -> float:
    """The finite-horizon Gittins index by bisection on λ, each λ solved by plain recursion."""

    def excess(lam: float) -> float:
        @cache
        def value(s: int, f: int, h: int) -> float:
            if h == 0:
                return 0.0
            p = (s + 1) / (s + f + 2)
            return max(lam * h, p * (1 + value(s + 1, f, h - 1)) + (1 - p) * value(s, f + 1, h - 1))

        p = (s + 1) / (s + f + 2)
        return p * (1 + value(s + 1, f, h - 1)) + (1 - p) * value(s, f + 1, h - 1) - lam * h

    low, high = 0.0, 1.0
    for _ in range(50):
        mid = (low + high) / 2
        low, high = (mid, high) if excess(mid) > 0 else (low, mid)
    return (low + high) / 2


@pytest.mark.unit
def test_gittins_table_matches_bisection_on_every_state_of_a_12_pull_trial():
    n = 12
    table = gittins_table(n)
    for h in range(1, n + 1):
        for s in range(n - h + 1):
            for f in range(n - h + 1 - s):
                got = table.index(np.array(s), np.array(f), h)
                assert got == pytest.approx(bisected_gittins(s, f, h), abs=5e-5), (s, f, h)


@pytest.mark.unit
def test_gittins_index_with_one_pull_left_is_the_posterior_mean():
    table = gittins_table(8)
    s, f = np.meshgrid(np.arange(8), np.arange(8), indexing="ij")
    keep = s + f <= 7
    got = table.index(s[keep], f[keep], 1)
    np.testing.assert_allclose(got, posterior_mean(s[keep], f[keep]), atol=5e-5)


@pytest.mark.unit
def test_gittins_index_lies_between_the_posterior_mean_and_one_and_grows_with_horizon():
    table = gittins_table(20)
    for s, f in [(0, 0), (2, 1), (1, 4)]:
        values = [float(table.index(np.array(s), np.array(f), h)) for h in range(1, 21 - s - f)]
        assert np.all(np.diff(values) >= -1e-4)
        assert values[0] == pytest.approx((s + 1) / (s + f + 2), abs=5e-5)
        assert values[-1] < 1


@pytest.mark.unit
def test_random_and_greedy_have_their_closed_form_values():
    # random: every pull pays the prior mean 1/2
    assert policy_value(random_policy(), 3, 7) == pytest.approx(3.5, abs=1e-12)
    # greedy, n = 2: after a win the pulled arm's mean is 2/3 (stay), after a loss 1/3 (switch
    # to a fresh arm at 1/2): 1/2 + 1/2 · 2/3 + 1/2 · 1/2 = 13/12
    assert policy_value(greedy_policy(), 4, 2) == pytest.approx(13 / 12, abs=1e-12)


@pytest.mark.unit
def test_bayes_optimal_value_of_one_arm_pair_by_hand_and_an_upper_bound():
    # n = 1: any arm pays 1/2; n = 2: greedy's 13/12 is optimal (no later pull to learn for)
    assert bayes_optimal_value(2, 1) == pytest.approx(0.5)
    assert bayes_optimal_value(2, 2) == pytest.approx(13 / 12)
    for k, n in [(2, 6), (3, 5)]:
        best = bayes_optimal_value(k, n)
        assert best <= n * k / (k + 1) + 1e-12  # the value of knowing the means: E[max_i μ_i]
        for policy in (random_policy(), greedy_policy(), ucb1_policy(0.2), eps_greedy_policy(0.1)):
            assert policy_value(policy, k, n) <= best + 1e-12


@pytest.mark.unit
@pytest.mark.parametrize("k,n", [(2, 8), (2, 10), (3, 8)])
def test_finite_horizon_gittins_is_within_half_a_percent_of_bayes_optimal(k, n):
    """The index policy is not exactly optimal for a finite horizon; on small problems its
    exact value is at most the DP optimum and very close to it."""
    gittins = policy_value(gittins_policy(gittins_table(n)), k, n)
    best = bayes_optimal_value(k, n)
    assert gittins <= best + 1e-9
    assert gittins >= 0.995 * best


@pytest.mark.learns
@pytest.mark.parametrize("make", [greedy_policy, lambda: ucb1_policy(0.2),
                                  lambda: eps_greedy_policy(0.05), random_policy],
                         ids=["greedy", "ucb1", "eps_greedy", "random"])
def test_batched_rollout_averages_to_the_exact_policy_value(make):
    policy, k, n, trials = make(), 3, 6, 40_000
    means = sample_bandits(trials, k, np.random.default_rng(1))
    arms, rewards = play_bandit(policy, means, n, np.random.default_rng(2))
    totals = expected_total_reward(means, arms)  # lower variance than the sampled rewards
    exact = policy_value(policy, k, n)
    assert abs(totals.mean() - exact) < 4 * totals.std() / np.sqrt(trials)
    assert abs(rewards.sum(axis=1).mean() - exact) < 4 * rewards.sum(axis=1).std() / np.sqrt(trials)


@pytest.mark.learns
@pytest.mark.parametrize("make", [lambda: ucb1_policy(0.2), thompson_policy],
                         ids=["ucb1", "ts"])
def test_per_pull_regret_falls_with_the_horizon(make):
    """Bayesian regret per pull, (n E[max μ] − E[Σ r]) / n, shrinks as n grows."""
    regrets = []
    for n in (10, 50, 200):
        means = sample_bandits(2000, 5, np.random.default_rng(n))
        arms, _ = play_bandit(make(), means, n, np.random.default_rng(n + 1))
        regrets.append((n * means.max(axis=1) - expected_total_reward(means, arms)).mean() / n)
    assert regrets[0] > regrets[1] > regrets[2]


@pytest.mark.unit
def test_action_probabilities_mix_argmax_ties_and_epsilon():
    s = np.array([[1.0, 1.0, 0.0]])
    f = np.array([[0.0, 0.0, 1.0]])
    probs = action_probabilities(eps_greedy_policy(0.3), s, f, 3, 5)
    np.testing.assert_allclose(probs, [[0.35 + 0.1, 0.35 + 0.1, 0.1]])
    with pytest.raises(ValueError, match="ts"):
        action_probabilities(thompson_policy(), s, f, 3, 5)


@pytest.mark.unit
def test_random_tie_breaking_is_uniform_over_the_tied_arms():
    index = np.tile([0.2, 0.7, 0.7, 0.1, 0.7], (30_000, 1))
    arms = argmax_random_ties(index, np.random.default_rng(0).random(30_000))
    freq = np.bincount(arms, minlength=5) / 30_000
    np.testing.assert_allclose(freq, [0, 1 / 3, 1 / 3, 0, 1 / 3], atol=0.015)


@pytest.mark.unit
def test_pull_pays_one_below_the_mean():
    means = np.array([[0.2, 0.9], [0.5, 0.1]])
    rewards = pull(means, np.array([1, 0]), np.array([0.85, 0.6]))
    np.testing.assert_array_equal(rewards, [1.0, 0.0])


@pytest.mark.unit
def test_optimistic_thompson_with_one_draw_is_thompson_sampling():
    successes = np.array([[2.0, 0.0, 5.0], [1.0, 1.0, 0.0]])
    failures = np.array([[1.0, 3.0, 0.0], [0.0, 4.0, 2.0]])
    ots = optimistic_thompson_index(1)(successes, failures, 1, 10, np.random.default_rng(7))
    ts = thompson_policy().index(successes, failures, 1, 10, np.random.default_rng(7))
    np.testing.assert_array_equal(ots, ts)


@pytest.mark.unit
def test_optimistic_thompson_keeps_the_draw_of_largest_posterior_density():
    """Against scipy's Beta log-densities of the same draws, task by task."""
    from scipy.stats import beta

    successes = np.array([[2.0, 0.0, 5.0], [1.0, 1.0, 0.0], [0.0, 0.0, 0.0]])
    failures = np.array([[1.0, 3.0, 0.0], [0.0, 4.0, 2.0], [0.0, 0.0, 0.0]])
    chosen = optimistic_thompson_index(5)(successes, failures, 1, 10, np.random.default_rng(8))
    draws = np.random.default_rng(8).beta(successes + 1, failures + 1, size=(5, 3, 3))
    for task in range(3):
        density = beta.logpdf(draws[:, task], successes[task] + 1, failures[task] + 1).sum(-1)
        np.testing.assert_array_equal(chosen[task], draws[density.argmax(), task])


@pytest.mark.determinism
def test_same_generator_seed_gives_the_same_rollout():
    means = sample_bandits(50, 4, np.random.default_rng(3))
    first = play_bandit(optimistic_thompson_policy(3), means, 20, np.random.default_rng(4))
    second = play_bandit(optimistic_thompson_policy(3), means, 20, np.random.default_rng(4))
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.unit
def test_bad_input_raises_naming_the_argument():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="n_arms"):
        sample_bandits(3, 1, rng)
    with pytest.raises(ValueError, match="n_pulls"):
        play_bandit(greedy_policy(), np.full((2, 3), 0.5), 0, rng)
    with pytest.raises(ValueError, match="means"):
        play_bandit(greedy_policy(), np.full((2, 1), 0.5), 3, rng)
    with pytest.raises(ValueError, match="n_arms"):
        bayes_optimal_value(1, 3)
    with pytest.raises(ValueError, match="n_pulls"):
        gittins_table(0)
    with pytest.raises(ValueError, match="epsilon"):
        eps_greedy_policy(1.5)
    with pytest.raises(TypeError, match="rng"):
        sample_bandits(3, 2, 0)  # type: ignore[arg-type]
