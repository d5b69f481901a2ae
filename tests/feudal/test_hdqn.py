"""Tabular h-DQN and flat Q-learning on the stochastic decision process: the updates by hand,
the compiled loops against the plain reference on the same random numbers, the exact greedy
return against Monte-Carlo, learning thresholds, determinism and clear errors."""

import numpy as np
import pytest

from chapter_code.feudal.hdqn import (
    annealed_epsilon,
    epsilon_greedy,
    evaluate_hdqn,
    evaluate_q_learning,
    greedy_hdqn_return,
    greedy_q_learning_return,
    intrinsic_reward,
    q_learning_target,
    q_update,
    train_hdqn,
    train_q_learning,
)
from chapter_code.feudal.reference import reference_hdqn, reference_q_learning
from chapter_code.feudal.sdp import best_two_level_policy, optimal_return
from chapter_code.seeding import stream

FIELDS_HDQN = ("Q1", "Q2", "returns", "lengths", "visits", "goals")
FIELDS_FLAT = ("Q", "returns", "lengths", "visits")


@pytest.mark.unit
def test_updates_by_hand():
    assert intrinsic_reward(3, 3) == 1.0 and intrinsic_reward(2, 3) == 0.0
    assert q_learning_target(0.5, 0.9, 2.0, False) == pytest.approx(0.5 + 0.9 * 2.0)
    assert q_learning_target(0.5, 0.9, 2.0, True) == 0.5
    assert q_update(1.0, 3.0, 0.25) == 1.5
    assert annealed_epsilon(0, 1.0, 0.1, 50_000) == 1.0
    assert annealed_epsilon(25_000, 1.0, 0.1, 50_000) == pytest.approx(0.55)
    assert annealed_epsilon(60_000, 1.0, 0.1, 50_000) == 0.1
    assert annealed_epsilon(5, 1.0, 0.1, 0) == 0.1


@pytest.mark.unit
def test_epsilon_greedy():
    rng = stream(0, "eps")
    assert epsilon_greedy(np.array([0.0, 2.0, 2.0]), 0.0, rng) == 1  # first of the ties
    picks = np.array([epsilon_greedy(np.array([5.0, 0.0, 0.0]), 1.0, rng) for _ in range(6000)])
    np.testing.assert_allclose(np.bincount(picks, minlength=3) / 6000, 1 / 3, atol=0.03)
    picks = np.array([epsilon_greedy(np.array([5.0, 0.0]), 0.2, rng) for _ in range(6000)])
    assert (picks == 1).mean() == pytest.approx(0.1, abs=0.02)  # ε / 2 explores to action 1


@pytest.mark.unit
@pytest.mark.parametrize("alpha", [0.1, 0.5])
def test_compiled_hdqn_matches_reference(alpha):
    kwargs = {"alpha": alpha, "gamma": 0.9, "anneal_steps": 2000}
    fast = train_hdqn(n_seeds=3, n_episodes=600, seed=stream(4, "x"), **kwargs)
    rng = stream(4, "x")
    slow = [reference_hdqn(n_episodes=600, rng=rng, **kwargs) for _ in range(3)]
    for name in FIELDS_HDQN:
        np.testing.assert_array_equal(getattr(fast, name),
                                      np.concatenate([getattr(r, name) for r in slow]))
    assert fast.goals.sum() > 600 and fast.visits[:, :, 5].sum() > 0  # s6 was reached


@pytest.mark.unit
def test_compiled_q_learning_matches_reference():
    kwargs = {"alpha": 0.2, "gamma": 0.95, "anneal_steps": 1000}
    fast = train_q_learning(n_seeds=2, n_episodes=800, seed=stream(5, "x"), **kwargs)
    rng = stream(5, "x")
    slow = [reference_q_learning(n_episodes=800, rng=rng, **kwargs) for _ in range(2)]
    for name in FIELDS_FLAT:
        np.testing.assert_array_equal(getattr(fast, name),
                                      np.concatenate([getattr(r, name) for r in slow]))


@pytest.mark.determinism
def test_same_seed_same_tables():
    a = train_hdqn(n_seeds=2, n_episodes=500, seed=3)
    b = train_hdqn(n_seeds=2, n_episodes=500, seed=3)
    c = train_hdqn(n_seeds=2, n_episodes=500, seed=4)
    np.testing.assert_array_equal(a.Q1, b.Q1)
    np.testing.assert_array_equal(a.returns, b.returns)
    assert not np.array_equal(a.Q1, c.Q1)


@pytest.mark.unit
def test_exact_greedy_return_matches_monte_carlo():
    result = train_hdqn(n_seeds=4, n_episodes=3000, seed=stream(0, "learn"), alpha=0.05,
                        anneal_steps=5000)
    exact = greedy_hdqn_return(result)
    mc = evaluate_hdqn(result, n_episodes=20_000, seed=stream(0, "eval"))
    np.testing.assert_allclose(mc, exact, atol=0.012)  # ~4 standard errors of 20,000 episodes
    flat = train_q_learning(n_seeds=4, n_episodes=3000, seed=stream(0, "flat"), alpha=0.3,
                            anneal_steps=5000)
    np.testing.assert_allclose(evaluate_q_learning(flat, n_episodes=20_000, seed=1),
                               greedy_q_learning_return(flat), atol=0.012)


@pytest.mark.learns
def test_hdqn_learns_the_optimum_and_flat_q_learning_stays_at_the_trap():
    """With a small step size h-DQN's greedy policy reaches the optimum 0.208 on every seed
    while flat Q-learning's stays at the 0.01 of going straight left (the paper's Figure 3);
    the training return at ε = 0.1 cannot exceed the best two-level policy's exact return."""
    kwargs = {"n_seeds": 10, "n_episodes": 40_000, "alpha": 0.003}
    hdqn = train_hdqn(seed=stream(0, "hdqn"), **kwargs)
    flat = train_q_learning(seed=stream(0, "flat"), **kwargs)
    np.testing.assert_allclose(greedy_hdqn_return(hdqn), optimal_return(), atol=1e-9)
    np.testing.assert_allclose(greedy_q_learning_return(flat), 0.01, atol=1e-9)
    assert (hdqn.lengths.sum(axis=1) > 50_000).all()  # ε is at its floor of 0.1 at the end
    last = hdqn.returns[:, -4000:]
    ceiling = best_two_level_policy(epsilon_meta=0.1, epsilon_controller=0.1)[2]
    assert last.mean() < ceiling + 3 * last.std() / np.sqrt(last.size)
    assert last.mean() > 0.13  # and the learner earns most of it


@pytest.mark.unit
def test_bad_input():
    with pytest.raises(ValueError, match="n_seeds"):
        train_hdqn(n_seeds=0, n_episodes=10, seed=0)
    with pytest.raises(ValueError, match="alpha"):
        train_hdqn(n_seeds=1, n_episodes=10, seed=0, alpha=0.0)
    with pytest.raises(ValueError, match="epsilon_end"):
        train_q_learning(n_seeds=1, n_episodes=10, seed=0, epsilon_end=1.2)
    with pytest.raises(TypeError, match="n_episodes"):
        train_q_learning(n_seeds=1, n_episodes=2.5, seed=0)
    with pytest.raises(ValueError, match="Q1"):
        train_hdqn(n_seeds=2, n_episodes=10, seed=0, Q1=np.zeros((1, 6, 6, 2)))
    with pytest.raises(TypeError, match="learn"):
        train_hdqn(n_seeds=1, n_episodes=10, seed=0, learn=1)
    with pytest.raises(TypeError, match="result"):
        greedy_hdqn_return(train_q_learning(n_seeds=1, n_episodes=5, seed=0))
    with pytest.raises(TypeError, match="rng"):
        reference_hdqn(n_episodes=5, rng=0)
