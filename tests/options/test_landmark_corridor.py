"""The vectorised learners on the corridor, where the SMDP fixed point has a closed form."""

import numpy as np
import pytest

from chapter_code.envs import corridor, value_iteration
from chapter_code.envs.corridor import LEFT, RIGHT
from chapter_code.options import (
    Option,
    intra_option_q_learning,
    landmark_option,
    primitive_options,
    q_learning,
    smdp_q_learning,
)

GAMMA = 0.9


def closed_form_q(length: int) -> np.ndarray:
    """Q*(s, ·) for [LEFT, RIGHT, landmark option] in a deterministic corridor.

    V*(s) = γ^(goal - s - 1); walking right to the next landmark loses nothing, so
    Q*(s, option) = V*(s); Q*(s, LEFT) = γ V*(max(s - 1, 0)); Q*(s, RIGHT) = V*(s).
    """
    goal = length - 1
    s = np.arange(goal)
    V = GAMMA ** (goal - s - 1.0)
    Q = np.zeros((length, 3))
    Q[s, LEFT] = GAMMA * V[np.maximum(s - 1, 0)]
    Q[s, RIGHT] = V
    Q[s, 2] = V
    return Q


@pytest.mark.learns
def test_flat_q_learning_converges_to_value_iteration():
    mdp = corridor(6, gamma=GAMMA, slip=0.2)
    _, Q_star = value_iteration(mdp)
    result = q_learning(mdp, n_seeds=8, n_episodes=3000, alpha=0.05, epsilon=0.5, seed=0)
    np.testing.assert_allclose(result.Q.mean(axis=0)[:5], Q_star[:5], atol=0.03)


@pytest.mark.learns
def test_smdp_q_learning_converges_to_closed_form():
    mdp = corridor(9, gamma=GAMMA)
    options = [*primitive_options(mdp), landmark_option(mdp, 3)]
    # deterministic corridor: with α = 1 each update sets Q to its target, so Q reaches the
    # fixed point exactly once every pair has been updated often enough
    result = smdp_q_learning(mdp, options, n_seeds=4, n_episodes=400, alpha=1.0, epsilon=0.6,
                             seed=1)
    np.testing.assert_allclose(result.Q[:, :8], np.broadcast_to(closed_form_q(9)[:8],
                                                                  (4, 8, 3)), atol=1e-6)


@pytest.mark.learns
@pytest.mark.parametrize(("behaviour", "alpha"), [("epsilon-greedy", 1.0), ("uniform-random", 0.5)])
def test_intra_option_q_learning_converges_to_closed_form(behaviour, alpha):
    """α ρ = 1 for the options that agree with the action (ρ = 1 when the agent executes
    deterministic options, ρ = A = 2 under uniform-random behaviour): exact targets again."""
    mdp = corridor(9, gamma=GAMMA)
    options = [*primitive_options(mdp), landmark_option(mdp, 3)]
    result = intra_option_q_learning(mdp, options, n_seeds=4, n_episodes=300, alpha=alpha,
                                     epsilon=0.6, behaviour=behaviour, seed=2)
    np.testing.assert_allclose(result.Q[:, :8], np.broadcast_to(closed_form_q(9)[:8],
                                                                  (4, 8, 3)), atol=1e-6)


@pytest.mark.unit
def test_intra_option_learns_the_option_without_executing_it():
    """With uniformly random primitive behaviour the option never runs, yet its values are
    learned from the steps that agree with it; its row differs from the initial value."""
    mdp = corridor(5, gamma=GAMMA)
    options = [*primitive_options(mdp), landmark_option(mdp, 2)]
    result = intra_option_q_learning(mdp, options, n_seeds=2, n_episodes=50,
                                     behaviour="uniform-random", seed=3)
    assert (result.decisions == 0).all()  # no option is ever chosen
    assert (result.Q[:, :4, 2] > 0).all()


@pytest.mark.unit
def test_episode_bookkeeping_on_a_two_cell_corridor():
    """From cell 0 of a 2-cell corridor, RIGHT reaches the goal in one step (return 1)."""
    mdp = corridor(2, gamma=GAMMA)
    right_only = Option("right", ~mdp.terminal, np.tile([0.0, 1.0], (2, 1)), np.ones(2))
    result = smdp_q_learning(mdp, [right_only], n_seeds=3, n_episodes=5, alpha=1.0, seed=0)
    assert (result.steps == 1).all() and (result.returns == 1.0).all()
    np.testing.assert_allclose(result.Q[:, 0, 0], 1.0)


@pytest.mark.unit
def test_truncation_is_not_termination():
    """An episode cut by max_steps bootstraps: the option's value keeps its discounted future."""
    mdp = corridor(5, gamma=GAMMA)
    stay = Option("left", ~mdp.terminal, np.tile([1.0, 0.0], (5, 1)), np.ones(5))
    result = smdp_q_learning(mdp, [stay], n_seeds=1, n_episodes=3, max_steps=4, alpha=1.0,
                             start=0, seed=0)
    assert (result.steps == 4).all() and (result.returns == 0).all()
    assert result.Q[0, 0, 0] == 0.0  # 0 + γ · Q(0, left) with Q = 0: no terminal shortcut


@pytest.mark.unit
def test_a_truncated_option_bootstraps_with_its_continuation_value():
    """Cut by max_steps while the landmark option is still running, the SMDP update's target
    is G + γ^k U(s', o), U = (1 - β(s')) Q(s', o) + β(s') max_o' Q(s', o') (eq. 20), not the
    max: from cell 0 with landmarks every 4 cells, one step reaches cell 1 (β = 0)."""
    mdp = corridor(8, gamma=GAMMA)
    option = landmark_option(mdp, 4)
    options = [*primitive_options(mdp), option]
    q_init = np.zeros((1, 8, 3))
    q_init[0, 1] = [0.2, 0.9, 0.5]  # at s' = 1: Q(s', o) = 0.5, max = 0.9
    only_option = np.array([[False, False, True]] * 8)
    q_init[0][~only_option] = -10.0  # make the option the greedy choice everywhere...
    q_init[0, 1] = [0.2, 0.9, 0.5]  # ...except the values read at s' = 1
    result = smdp_q_learning(mdp, options, n_seeds=1, n_episodes=1, max_steps=1, alpha=1.0,
                             epsilon=0.0, start=0, q_init=q_init, seed=0)
    assert result.steps[0, 0] == 1
    assert result.Q[0, 0, 2] == pytest.approx(GAMMA * 0.5)  # U(1, o) = Q(1, o): β(1) = 0
    assert result.Q[0, 0, 2] != pytest.approx(GAMMA * 0.9)


@pytest.mark.determinism
def test_same_seed_same_curves():
    mdp = corridor(12, gamma=GAMMA, slip=0.1)
    options = [*primitive_options(mdp), landmark_option(mdp, 4)]
    a = smdp_q_learning(mdp, options, n_seeds=5, n_episodes=20, seed=7)
    b = smdp_q_learning(mdp, options, n_seeds=5, n_episodes=20, seed=7)
    c = smdp_q_learning(mdp, options, n_seeds=5, n_episodes=20, seed=8)
    np.testing.assert_array_equal(a.steps, b.steps)
    np.testing.assert_array_equal(a.Q, b.Q)
    assert not np.array_equal(a.steps, c.steps)


@pytest.mark.unit
def test_vectorised_seeds_equal_separate_runs_in_distribution():
    """Seeds are independent learners: 200 seeds together give the same mean first-episode
    length as the hitting time of a random walk that stays put at the left wall:
    E[T] = n (n + 1) for n = L - 1 cells to cross."""
    mdp = corridor(6, gamma=GAMMA)
    result = q_learning(mdp, n_seeds=4000, n_episodes=1, start=0, epsilon=1.0, seed=4)
    assert result.steps[:, 0].mean() == pytest.approx(30.0, rel=0.05)


@pytest.mark.unit
def test_learners_reject_bad_arguments():
    mdp = corridor(4)
    opts = primitive_options(mdp)
    with pytest.raises(ValueError, match="alpha"):
        smdp_q_learning(mdp, opts, n_seeds=1, n_episodes=1, alpha=0.0)
    with pytest.raises(ValueError, match="epsilon"):
        smdp_q_learning(mdp, opts, n_seeds=1, n_episodes=1, epsilon=1.5)
    with pytest.raises(ValueError, match="n_seeds"):
        smdp_q_learning(mdp, opts, n_seeds=0, n_episodes=1)
    with pytest.raises(ValueError, match="behaviour"):
        intra_option_q_learning(mdp, opts, n_seeds=1, n_episodes=1, behaviour="greedy")
    with pytest.raises(ValueError, match="start"):
        smdp_q_learning(mdp, opts, n_seeds=1, n_episodes=1, start=3)
    only_start = Option("o", np.array([True, False, False, False]),
                        np.tile([0.0, 1.0], (4, 1)), np.ones(4))
    with pytest.raises(ValueError, match="cover every non-terminal state"):
        smdp_q_learning(mdp, [only_start], n_seeds=1, n_episodes=1)


@pytest.mark.unit
@pytest.mark.parametrize(
    ("policy", "termination", "message"),
    [
        (np.full((3, 2), 0.6), np.ones(3), "policy rows"),
        (np.tile([0.0, 1.0], (3, 1)), np.full(3, 1.5), "termination"),
        (np.tile([0.0, 1.0], (3, 1)), np.ones(4), "termination must have shape"),
    ],
)
def test_option_validation(policy, termination, message):
    with pytest.raises(ValueError, match=message):
        Option("bad", np.ones(3, dtype=bool), policy, termination)
