"""The four-rooms experiments and the exact ε-greedy episode length behind their criterion."""

import numpy as np
import pytest

from chapter_code import experiments
from chapter_code.envs import four_rooms
from chapter_code.envs.four_rooms import G1, G2
from chapter_code.experiments.four_rooms import FourRoomsConfig, episodes_to_criterion
from chapter_code.experiments.options_planning import option_values_figure
from chapter_code.options import (
    hallway_options,
    primitive_options,
    smdp_q_learning,
    smdp_value_iteration,
)
from chapter_code.options.planning import expected_episode_steps


@pytest.mark.unit
def test_expected_steps_equal_a_direct_solve_and_a_simulation():
    mdp = four_rooms(G2)
    prims = primitive_options(mdp)
    _, Q = smdp_value_iteration(mdp, prims)
    live = ~mdp.terminal
    T = expected_episode_steps(mdp, prims, Q, 0.0)
    greedy = np.argmax(np.where(live[:, None], Q, 0.0), axis=1)
    P = mdp.P[np.arange(mdp.n_states), greedy][np.ix_(live, live)]
    np.testing.assert_allclose(T[live], np.linalg.solve(np.eye(live.sum()) - P, np.ones(103)))
    options = [*prims, *hallway_options(mdp)]
    _, Q = smdp_value_iteration(mdp, options)
    T = expected_episode_steps(mdp, options, Q, 0.1)
    frozen = np.broadcast_to(np.where(np.isfinite(Q), Q, 0.0), (20, *Q.shape)).copy()
    run = smdp_q_learning(mdp, options, n_seeds=20, n_episodes=300, alpha=1e-12, epsilon=0.1,
                          q_init=frozen, seed=0)
    assert run.steps.mean() == pytest.approx(T[live].mean(), rel=0.03)


@pytest.mark.unit
def test_episodes_to_criterion():
    steps = np.array([[40, 30, 20, 10, 10], [40, 30, 20, 10, 10]])
    assert episodes_to_criterion(steps, 10.0, 0.0, 1) == 4
    assert episodes_to_criterion(steps, 10.0, 0.0, 2) == 5
    assert episodes_to_criterion(steps, 5.0, 0.1, 1) is None


@pytest.mark.learns
def test_four_rooms_experiment_small():
    out = experiments.run("four-rooms", goals=(G1,), n_seeds=10, n_episodes=400, n_boot=200)
    entry = out.metrics["per_goal"][0]
    first_10 = entry["first_10_episodes_steps"]
    assert first_10["flat"] > 3 * first_10["intra"]
    assert entry["reference_steps"]["flat"] > entry["optimal_steps"]
    for fast in ("smdp", "intra"):
        speedup = entry["speedup_over_flat"][fast]
        for cost in ("episodes", "steps"):
            assert set(speedup[cost]) == {"ratio", "low", "high"}


@pytest.mark.unit
def test_configs_validate():
    with pytest.raises(ValueError, match="goal"):
        FourRoomsConfig(goals=((0, 0),))
    with pytest.raises(ValueError, match="n_seeds"):
        FourRoomsConfig(n_seeds=1)
    with pytest.raises(ValueError, match="alpha"):
        experiments.run("intra-option", alpha=0.5)


@pytest.mark.determinism
def test_intra_option_experiment_is_deterministic_and_learns():
    a = experiments.run("intra-option", n_seeds=3, n_chunks=4)
    b = experiments.run("intra-option", n_seeds=3, n_chunks=4)
    np.testing.assert_array_equal(a.arrays["rms_intra"], b.arrays["rms_intra"])
    assert (np.diff(a.arrays["rms_intra"].mean(axis=0)[:2]) < 0).all()
    assert a.metrics == b.metrics and set(a.metrics) == {"intra", "smdp"}


@pytest.mark.unit
def test_widget_figure_and_termination_validation():
    fig = option_values_figure(G2, termination=0.5)
    assert len(fig.axes) == 2
    with pytest.raises(ValueError, match="termination"):
        option_values_figure(G2, termination=1.5)
    with pytest.raises(ValueError, match="goal"):
        option_values_figure((0, 0))


@pytest.mark.unit
def test_paper_figure_6_experiment_runs_its_setup_and_repeats():
    from chapter_code.experiments.four_rooms_paper import PAPER_ALPHAS
    a = experiments.run("four-rooms-paper", n_seeds=3, n_episodes=30, final_window=10)
    b = experiments.run("four-rooms-paper", n_seeds=3, n_episodes=30, final_window=10)
    assert a.metrics == b.metrics
    assert set(a.metrics) == {"G1", "G2"}
    for goal, per_set in a.metrics.items():
        assert set(per_set) == {"A", "H", "A+H"}
        for name, entry in per_set.items():
            assert entry["alpha"] == PAPER_ALPHAS[goal, name]
            final = entry["final_steps"]
            assert final["low"] <= final["mean"] <= final["high"]
    with pytest.raises(ValueError, match="final_window"):
        experiments.run("four-rooms-paper", n_episodes=10, final_window=20)


@pytest.mark.unit
def test_steps_to_floor_finds_the_first_point_within_the_tolerance_of_the_tail():
    from chapter_code.experiments.intra_option import steps_to_floor
    rms = np.array([[1.0, 0.5, 0.12, 0.105, 0.1, 0.1], [1.0, 0.5, 0.12, 0.095, 0.1, 0.1]])
    steps = np.array([[10, 20, 30, 40, 50, 60], [10, 20, 30, 40, 50, 60]], dtype=float)
    # mean curve [1, .5, .12, .1, .1, .1]; tail of 3 averages 0.1; within 10% first at index 3
    assert steps_to_floor(rms, steps, last=3) == 40.0
    assert steps_to_floor(rms, steps, last=3, within=0.25) == 30.0
    with pytest.raises(ValueError, match="last"):
        steps_to_floor(rms, steps, last=7)
