"""The transfer experiment: its goal schedule, its config checks and the shape of its metrics."""

import numpy as np
import pytest

from chapter_code import experiments
from chapter_code.envs.four_rooms import G1, room_of
from chapter_code.experiments.option_critic import (
    METHODS,
    NEW_GOALS,
    OptionCriticConfig,
    near_hallways,
    transfer_schedule,
    transfer_tasks,
)
from chapter_code.seeding import stream

RELEASED_GOAL_STATES = [68, 69, 70, 71, 72, 78, 79, 80, 81, 82, 88, 89, 90, 91, 92, 93, 99, 100,
                        101, 102, 103]


@pytest.mark.unit
def test_new_goals_are_the_lower_right_room_and_its_south_hallway():
    """The 21 cells are the released code's states (same row-major numbering of free cells),
    the 20 cells of the lower-right room plus the hallway (10, 6); the first goal is the east
    hallway, state 62 there and here."""
    tasks = transfer_tasks()
    assert [tasks[0].index[g] for g in NEW_GOALS] == RELEASED_GOAL_STATES
    assert tasks[0].index[G1] == 62 and tasks[0].goal == 62
    rooms = [room_of(g) for g in NEW_GOALS]
    assert rooms.count("SE") == 20 and rooms.count(None) == 1
    assert [t.goal for t in tasks[1:]] == RELEASED_GOAL_STATES


@pytest.mark.unit
def test_schedule_moves_the_goal_once_per_run():
    schedule = transfer_schedule(200, 5, 3, stream(0, "goals"))
    assert (schedule[:, :5] == 0).all()
    assert (schedule[:, 5:] == schedule[:, 5:6]).all()
    assert set(np.unique(schedule[:, 5])) == set(range(1, 22))


@pytest.mark.unit
def test_near_hallways_marks_hallways_and_their_neighbours():
    mdp = transfer_tasks()[0]
    near = near_hallways(mdp)
    assert near[mdp.hallways].all()
    assert near.sum() == 4 + 8  # each hallway has two free neighbours, in its two rooms


@pytest.mark.unit
@pytest.mark.parametrize(("field", "value", "error"), [
    ("n_runs", 1, ValueError), ("window", 0, ValueError), ("window", 50, ValueError),
    ("temperature", 0.0, ValueError), ("gamma", 1.0, ValueError), ("max_steps", 1.5, TypeError),
    ("alpha", 0.0, ValueError), ("epsilon", 2.0, ValueError), ("lr_term", -0.1, ValueError),
])
def test_config_refuses_bad_values_by_name(field, value, error):
    kwargs = {"episodes_before": 40, "episodes_after": 40, "window": 20, field: value}
    with pytest.raises(error, match=field):
        OptionCriticConfig(**kwargs)


@pytest.mark.unit
def test_metrics_carry_every_method_and_the_number_of_runs():
    """The CLI's keys: n_runs and each method's mean steps after the move, with paired
    differences that are antisymmetric."""
    out = experiments.run("option-critic", n_runs=3, episodes_before=20, episodes_after=10,
                          window=10, max_steps=200)
    assert out.metrics["n_runs"] == 3
    for method in METHODS:
        entry = out.metrics[method]
        after = entry["steps"]["after_move"]
        assert after["low"] <= after["mean"] <= after["high"]
        assert set(entry["steps"]) == {"first", "before_move", "after_move", "last", "phase_1",
                                       "phase_2"}
        assert out.arrays[f"steps_{method}"].shape == (3, 30)
    a, b = out.metrics["sarsa"]["after_move_minus"]["actor_critic"], \
        out.metrics["actor_critic"]["after_move_minus"]["sarsa"]
    assert a["mean"] == pytest.approx(-b["mean"])
    assert out.arrays["beta_run0_option_critic_8"].shape == (8, 104)
