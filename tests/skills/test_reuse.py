"""The downstream point task: cells, the goal, the discounted cost in closed form, runners
stepping the real dynamics, and SMDP Q-learning finding the straight route."""

import numpy as np
import pytest

from chapter_code.skills.reuse import (
    COMPASS,
    GOAL,
    cell_of,
    compass_runner,
    discounted_cost,
    goal_task_q_learning,
    reached,
    run_moves,
    with_compass,
)


@pytest.mark.unit
def test_cells_goal_and_cost():
    assert cell_of(np.array([0.0, 0.0]), 5) == 0 and cell_of(np.array([1.0, 1.0]), 5) == 24
    assert cell_of(np.array([0.45, 0.95]), 5) == 2 * 5 + 4
    assert reached(np.array(GOAL)) and not reached(np.array([0.5, 0.5]))
    gamma = 0.9
    assert discounted_cost(3, gamma) == pytest.approx(-(1 + gamma + gamma**2))
    assert discounted_cost(4, 1.0) == -4.0


@pytest.mark.unit
def test_a_diagonal_option_reaches_the_goal_in_three_steps():
    # from the centre, +0.1 in x and y per step: (0.8, 0.8) after 3 steps, 0.07 from the goal
    run = run_moves(lambda state, a: np.array([1.0, 1.0], dtype=np.float32), 10)
    state, k, done = run(np.array([0.5, 0.5], dtype=np.float32), 0, 100)
    assert (k, done) == (3, True) and np.allclose(state, [0.8, 0.8])
    state, k, done = run(np.array([0.5, 0.5], dtype=np.float32), 0, 2)  # the budget ends first
    assert (k, done) == (2, False)


@pytest.mark.unit
def test_compass_and_manager_actions_map_as_documented():
    diagonal = int(np.flatnonzero((COMPASS == [1, 1]).all(axis=1))[0])
    start = np.array([0.5, 0.5], dtype=np.float32)
    assert np.allclose(compass_runner()(start, diagonal, 100)[0], [0.6, 0.6])
    skill = run_moves(lambda state, z: np.array([-1.0, 0.0], dtype=np.float32), 10)
    manager = with_compass(skill)
    assert np.allclose(manager(start, diagonal, 100)[0], [0.6, 0.6])
    assert np.allclose(manager(start, len(COMPASS), 100)[0], [0.0, 0.5])  # skill 0: 10 left


@pytest.mark.unit
def test_flat_learner_ends_on_the_shortest_route():
    steps = goal_task_q_learning(compass_runner(), len(COMPASS), n_episodes=300, epsilon=0.05,
                            rng=np.random.default_rng(0))
    assert steps[0] > 3 and np.median(steps[-50:]) == 3  # 3 diagonal moves is optimal


@pytest.mark.unit
def test_bad_input_raises_naming_the_argument():
    with pytest.raises(ValueError, match="n_episodes"):
        goal_task_q_learning(compass_runner(), 8, n_episodes=0, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="gamma"):
        goal_task_q_learning(compass_runner(), 8, n_episodes=5, gamma=0.0,
                        rng=np.random.default_rng(0))


@pytest.mark.unit
def test_reuse_experiment_needs_diayn_skills():
    from chapter_code import experiments

    with pytest.raises(ValueError, match="method"):
        experiments.run("point-skill-reuse", method="vic")
