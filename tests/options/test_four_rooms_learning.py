"""SMDP and intra-option Q-learning in four rooms converge to the SMDP value-iteration Q."""

import numpy as np
import pytest

from chapter_code.envs import four_rooms
from chapter_code.envs.four_rooms import G1
from chapter_code.options import (
    continuation,
    continuation_value,
    hallway_options,
    intra_option_q_learning,
    intra_option_q_update,
    primitive_options,
    q_learning,
    smdp_q_learning,
    smdp_q_update,
    smdp_value_iteration,
)


def options_and_target(slip):
    mdp = four_rooms(G1, slip=slip)
    options = [*primitive_options(mdp), *hallway_options(mdp)]
    _, Q_star = smdp_value_iteration(mdp, options)
    return mdp, options, Q_star, np.isfinite(Q_star)


@pytest.mark.learns
def test_intra_option_from_random_behaviour_is_exact_when_deterministic():
    """Uniform behaviour: ρ = 4 for every option that agrees with the action, so α = 1/4 sets
    each value to its target; in a deterministic world the values reach Q* exactly, although
    no option is ever executed."""
    mdp, options, Q_star, can_start = options_and_target(0.0)
    result = intra_option_q_learning(mdp, options, n_seeds=3, n_episodes=300, alpha=0.25,
                                     behaviour="uniform-random", seed=0)
    assert (result.decisions == 0).all()
    for Q in result.Q:
        np.testing.assert_allclose(Q[can_start], Q_star[can_start], atol=1e-9)


@pytest.mark.learns
def test_smdp_q_learning_is_exact_when_deterministic():
    mdp, options, Q_star, can_start = options_and_target(0.0)
    result = smdp_q_learning(mdp, options, n_seeds=3, n_episodes=2000, alpha=1.0, epsilon=1.0,
                             seed=1)
    for Q in result.Q:
        np.testing.assert_allclose(Q[can_start], Q_star[can_start], atol=1e-9)


@pytest.mark.learns
@pytest.mark.parametrize("learner", ["intra", "smdp"])
def test_learners_converge_with_slip(learner):
    """Slip 1/3: with a small constant step size the mean over seeds comes within 0.05 of Q*
    everywhere, and within 0.02 on average (the residual is the step size's noise)."""
    mdp, options, Q_star, can_start = options_and_target(1 / 3)
    if learner == "intra":
        result = intra_option_q_learning(mdp, options, n_seeds=8, n_episodes=1500, alpha=0.005,
                                         behaviour="uniform-random", seed=2)
    else:
        result = smdp_q_learning(mdp, options, n_seeds=8, n_episodes=20000, alpha=0.05,
                                 epsilon=1.0, seed=3)
    error = np.abs(result.Q.mean(axis=0)[can_start] - Q_star[can_start])
    assert error.max() < 0.05 and error.mean() < 0.02, (error.max(), error.mean())


@pytest.mark.unit
def test_continuation_value_is_eq_20():
    Q_next = np.array([[0.5, 0.2, 0.9]])
    beta = np.array([[0.0, 1.0, 0.5]])
    initiation = np.array([[True, True, False]])
    # max over options that can start: 0.5 (the third cannot start in s')
    np.testing.assert_allclose(continuation_value(Q_next, beta, initiation),
                               [[0.5, 0.5, 0.5 * 0.9 + 0.5 * 0.5]])


@pytest.mark.unit
def test_update_functions_are_their_equations():
    """The functions the compiled loops call, on numbers worked by hand."""
    assert continuation(0.5, 0.25, 0.9) == pytest.approx(0.75 * 0.5 + 0.25 * 0.9)
    np.testing.assert_allclose(continuation(np.array([0.5, 0.2]), np.array([0.0, 1.0]), 0.9),
                               [0.5, 0.9])
    # SMDP: α [G + γ^k bootstrap - q]; α = 1 lands on the target
    assert smdp_q_update(0.2, 0.5, 0.81, 1.0, 1.0) == pytest.approx(0.5 + 0.81)
    assert smdp_q_update(0.2, 0.5, 0.81, 1.0, 0.5) == pytest.approx(0.2 + 0.5 * (1.31 - 0.2))
    # intra-option: α ρ [r + γ U - q]; α ρ = 1 lands on the target
    assert intra_option_q_update(0.2, 1.0, 0.9, 0.5, 0.25, 4.0) == pytest.approx(1.45)
    assert intra_option_q_update(0.2, 1.0, 0.9, 0.5, 0.1, 0.0) == 0.2


@pytest.mark.unit
def test_episodes_never_end_at_a_hallway():
    """Hallways start options (unlike the chapter's listing), so greedy episodes run to the
    goal from everywhere: with ε = 0 and Q = Q* (SMDP value iteration), started in each
    hallway, every episode ends by reaching the goal (return γ^(k-1)), never by a cut."""
    mdp, options, Q_star, can_start = options_and_target(1 / 3)
    q_init = np.broadcast_to(np.where(can_start, Q_star, 0.0), (4, *Q_star.shape)).copy()
    for hallway in mdp.hallways:
        if hallway == mdp.goal:
            continue
        result = smdp_q_learning(mdp, options, n_seeds=4, n_episodes=50, epsilon=0.0,
                                 alpha=1e-9, start=int(hallway), q_init=q_init, seed=4,
                                 max_steps=5000)
        assert (result.steps < 5000).all()
        np.testing.assert_allclose(result.returns, mdp.gamma ** (result.steps - 1.0), rtol=1e-12)


@pytest.mark.determinism
@pytest.mark.parametrize("learner", [q_learning, smdp_q_learning, intra_option_q_learning])
def test_same_seed_same_curves_in_four_rooms(learner):
    mdp = four_rooms(G1)
    args = () if learner is q_learning else ([*primitive_options(mdp), *hallway_options(mdp)],)
    a = learner(mdp, *args, n_seeds=4, n_episodes=30, seed=11)
    b = learner(mdp, *args, n_seeds=4, n_episodes=30, seed=11)
    c = learner(mdp, *args, n_seeds=4, n_episodes=30, seed=12)
    np.testing.assert_array_equal(a.steps, b.steps)
    np.testing.assert_array_equal(a.Q, b.Q)
    assert not np.array_equal(a.steps, c.steps)


@pytest.mark.determinism
def test_continuing_from_q_init_equals_one_long_run():
    """Learning in two chunks (the second starting from the first's Q with the same generator)
    gives exactly the single run: the basis of learning curves of the Q error."""
    mdp = four_rooms(G1)
    options = [*primitive_options(mdp), *hallway_options(mdp)]
    whole = intra_option_q_learning(mdp, options, n_seeds=1, n_episodes=20, seed=5)
    rng = np.random.default_rng(5)
    first = intra_option_q_learning(mdp, options, n_seeds=1, n_episodes=8, seed=rng)
    second = intra_option_q_learning(mdp, options, n_seeds=1, n_episodes=12, seed=rng,
                                     q_init=first.Q)
    np.testing.assert_array_equal(second.Q, whole.Q)
    np.testing.assert_array_equal(np.hstack([first.steps, second.steps]), whole.steps)


@pytest.mark.unit
def test_q_init_array_must_match():
    mdp = four_rooms(G1)
    with pytest.raises(ValueError, match="q_init"):
        q_learning(mdp, n_seeds=2, n_episodes=1, q_init=np.zeros((2, 3, 4)))
