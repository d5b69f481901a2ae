"""DIAYN and VIC: the pseudo-reward at its extremes, soft Q-learning's value, policy and target
by hand, the discriminator's gradient by finite differences, VIC's prior by numerical
maximisation, the exact I(Z; S) against sampling, determinism, learning, and bad input."""

import numpy as np
import pytest
from scipy.optimize import minimize

from chapter_code.envs import four_rooms
from chapter_code.skills import (
    best_prior,
    diayn_reward,
    discriminator_step,
    exact_mutual_information_bits,
    log_softmax,
    sample_skill_paths,
    skill_state_distributions,
    soft_policy,
    soft_q_target,
    soft_q_update,
    soft_value,
    train_skills,
)


@pytest.mark.unit
@pytest.mark.parametrize("K", [2, 4, 10])
def test_diayn_reward_is_log_k_for_a_perfect_discriminator_and_0_for_a_uniform_one(K):
    prior = np.full(K, 1.0 / K)
    for z in range(K):
        assert diayn_reward(np.eye(K)[z], z, prior) == pytest.approx(np.log(K), abs=1e-12)
        assert diayn_reward(prior, z, prior) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.unit
def test_diayn_reward_by_hand_with_a_skewed_prior():
    assert diayn_reward(np.array([0.5, 0.5]), 0, np.array([0.25, 0.75])) == pytest.approx(
        np.log(2.0))


@pytest.mark.unit
def test_soft_value_policy_and_target_by_hand():
    q = np.array([0.0, np.log(3.0)])
    assert soft_value(q, 1.0) == pytest.approx(np.log(4.0))  # log(e^0 + e^log 3)
    np.testing.assert_allclose(soft_policy(q, 1.0), [0.25, 0.75])
    assert soft_value(q, 0.5) == pytest.approx(0.5 * np.log(1 + 9))  # α log Σ exp(q / α)
    assert soft_value(np.array([1.0, 2.0]), 1e-4) == pytest.approx(2.0, abs=1e-3)  # -> max
    assert soft_q_target(1.0, 0.9, np.log(4.0), False) == pytest.approx(1 + 0.9 * np.log(4))
    assert soft_q_target(1.0, 0.9, 123.0, True) == 1.0
    assert soft_q_update(1.0, 3.0, 0.25) == pytest.approx(1.5)


@pytest.mark.unit
def test_soft_policy_rows_are_distributions_and_value_is_stable():
    rng = np.random.default_rng(0)
    q = rng.normal(size=(5, 4)) * 100
    pi = soft_policy(q, 0.3)
    np.testing.assert_allclose(pi.sum(axis=1), 1.0)
    assert np.isfinite(soft_value(q, 0.3)).all()
    # V = E_π[Q] + α H(π), the maximum-entropy identity
    entropy = -(pi * np.log(np.clip(pi, 1e-300, None))).sum(axis=1)
    np.testing.assert_allclose(soft_value(q, 0.3), (pi * q).sum(axis=1) + 0.3 * entropy)


@pytest.mark.unit
def test_discriminator_step_is_the_gradient_of_log_q():
    rng = np.random.default_rng(1)
    logits, z, eps = rng.normal(size=5), 3, 1e-6
    step = discriminator_step(logits, z, 1.0) - logits
    numeric = np.array([(log_softmax(logits + eps * e)[z] - log_softmax(logits - eps * e)[z])
                        / (2 * eps) for e in np.eye(5)])
    np.testing.assert_allclose(step, numeric, atol=1e-8)


@pytest.mark.unit
def test_best_prior_maximises_the_bound_numerically():
    a = np.array([-0.1, -2.0, -0.5, -3.0])

    def negative_bound(x):
        p = np.exp(log_softmax(x))
        return -(p * (a - np.log(p))).sum()

    numeric = np.exp(log_softmax(minimize(negative_bound, np.zeros(4), tol=1e-12).x))
    np.testing.assert_allclose(best_prior(a), numeric, atol=1e-5)
    p = best_prior(a)
    assert (p * (a - np.log(p))).sum() == pytest.approx(np.log(np.exp(a).sum()))


@pytest.mark.unit
def test_exact_state_distributions_against_sampling():
    mdp = four_rooms(None, slip=0.2)
    rng = np.random.default_rng(2)
    policy = rng.dirichlet(np.ones(4), size=(2, mdp.n_states))
    start, horizon = mdp.index[(3, 3)], 6
    exact = skill_state_distributions(mdp, policy, start, horizon, final_only=True)
    n = 20_000
    counts = np.zeros((2, mdp.n_states))
    for z in range(2):
        s = np.full(n, start)
        for _ in range(horizon):
            cdf = np.cumsum(policy[z, s], axis=1)
            a = np.minimum((rng.random(n)[:, None] > cdf).sum(axis=1), 3)
            s, _, _ = mdp.step(s, a, rng)
        counts[z] = np.bincount(s, minlength=mdp.n_states) / n
    np.testing.assert_allclose(counts, exact, atol=0.015)


@pytest.mark.unit
def test_mutual_information_by_hand_and_its_bounds():
    # two skills, each always in its own state: 1 bit; identical skills: 0 bits
    assert exact_mutual_information_bits(np.array([0.5, 0.5]), np.eye(2)) == pytest.approx(1.0)
    same = np.array([[0.3, 0.7], [0.3, 0.7]])
    assert exact_mutual_information_bits(np.array([0.5, 0.5]), same) == pytest.approx(0.0)
    rng = np.random.default_rng(3)
    d = rng.dirichlet(np.ones(6), size=4)
    prior = rng.dirichlet(np.ones(4))
    info = exact_mutual_information_bits(prior, d)
    assert 0.0 <= info <= np.log2(4)
    # Barber & Agakov: any discriminator q gives E[log2 q(z|s) - log2 p(z)] <= I(Z; S)
    q = np.exp(log_softmax(rng.normal(size=(6, 4))))
    bound = (prior[:, None] * d * (np.log2(q.T) - np.log2(prior)[:, None])).sum()
    assert bound <= info + 1e-12


@pytest.mark.determinism
@pytest.mark.parametrize("method", ["diayn", "vic"])
def test_training_is_deterministic(method):
    mdp = four_rooms(None, slip=0.1)
    kwargs = dict(method=method, n_episodes=30, horizon=8, start=mdp.index[(3, 3)], seed=4)
    a, b = train_skills(mdp, 3, **kwargs), train_skills(mdp, 3, **kwargs)
    for field in ("Q", "logits", "prior", "skills", "accuracy", "reward"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    c = train_skills(mdp, 3, **{**kwargs, "seed": 5})
    assert not np.array_equal(a.Q, c.Q)


@pytest.mark.learns
@pytest.mark.parametrize("method", ["diayn", "vic"])
def test_four_skills_become_distinguishable(method):
    mdp = four_rooms(None, slip=0.1)
    start = mdp.index[(3, 3)]
    result = train_skills(mdp, 4, method=method, n_episodes=1500, horizon=20, start=start,
                          seed=0)
    assert result.accuracy[-200:].mean() > 0.8
    d = skill_state_distributions(mdp, soft_policy(result.Q, result.alpha), start, 20,
                                  final_only=method == "vic")
    assert exact_mutual_information_bits(result.prior, d) > 1.3  # of log2 4 = 2 bits
    if method == "diayn":
        np.testing.assert_array_equal(result.prior, np.full(4, 0.25))


@pytest.mark.unit
def test_bad_input_raises_clear_errors():
    mdp = four_rooms(None)
    with pytest.raises(ValueError, match="q must be a 1-D probability vector"):
        diayn_reward(np.array([0.5, 0.6]), 0, np.array([0.5, 0.5]))
    with pytest.raises(ValueError, match="prior must give every skill positive"):
        diayn_reward(np.array([0.5, 0.5]), 0, np.array([1.0, 0.0]))
    with pytest.raises(ValueError, match="skill must lie in"):
        diayn_reward(np.array([0.5, 0.5]), 2, np.array([0.5, 0.5]))
    with pytest.raises(ValueError, match="alpha must lie in"):
        soft_value(np.zeros(3), 0.0)
    with pytest.raises(ValueError, match="gamma must lie in"):
        soft_q_target(0.0, 1.5, 0.0, False)
    with pytest.raises(ValueError, match="n_skills must be an integer >= 2"):
        train_skills(mdp, 1)
    with pytest.raises(ValueError, match="method must be one of"):
        train_skills(mdp, 2, method="vice")
    with pytest.raises(ValueError, match="start must be a non-terminal state"):
        train_skills(mdp, 2, start=10_000)
    with pytest.raises(TypeError, match="mdp must be a TabularMDP"):
        train_skills("four rooms", 2)
    with pytest.raises(ValueError, match="policy must have shape"):
        skill_state_distributions(mdp, np.ones((2, 3, 4)), 0, 3, final_only=True)
    with pytest.raises(ValueError, match="state_given_skill must be"):
        exact_mutual_information_bits(np.array([0.5, 0.5]), np.ones((2, 3)))


@pytest.mark.unit
def test_sampled_skill_paths_follow_the_dynamics_and_match_the_exact_distribution():
    mdp = four_rooms(None, slip=0.2)
    start = mdp.index[(3, 3)]
    result = train_skills(mdp, 2, n_episodes=20, horizon=5, start=start, seed=6)
    paths = sample_skill_paths(mdp, result, start, 5, 4000, seed=7)
    assert paths.shape == (2, 4000, 6) and (paths[:, :, 0] == start).all()
    for s, t in zip(paths[:, :, :-1].ravel(), paths[:, :, 1:].ravel(), strict=True):
        assert mdp.P[s, :, t].max() > 0
    exact = skill_state_distributions(mdp, soft_policy(result.Q, result.alpha), start, 5,
                                      final_only=True)
    empirical = np.stack([np.bincount(paths[z, :, -1], minlength=mdp.n_states) / 4000
                          for z in range(2)])
    np.testing.assert_allclose(empirical, exact, atol=0.03)
