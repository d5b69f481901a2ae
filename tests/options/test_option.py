"""Comparing options: options_agree on hand-built options that differ in one part each."""

import numpy as np
import pytest

from chapter_code.envs import four_rooms
from chapter_code.options import Option, hallway_options, options_agree

pytestmark = pytest.mark.unit

I = np.array([True, True, False])
PI = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
BETA = np.array([0.0, 0.5, 1.0])


def _option(name="o", initiation=I, policy=PI, termination=BETA):
    return Option(name, initiation, policy, termination)


def test_options_agree_ignores_the_name_and_the_policy_outside_the_initiation_set():
    other_row = PI.copy()
    other_row[2] = [0.25, 0.75]  # state 2 is outside I
    assert options_agree(_option(), _option("renamed", policy=other_row))
    assert options_agree(_option(), _option())


@pytest.mark.parametrize("part", ["initiation", "policy", "termination"])
def test_options_disagree_when_one_part_differs_where_it_counts(part):
    changed = {"initiation": np.array([True, False, False]),
               "policy": np.array([[1.0, 0.0], [0.5, 0.5], [1.0, 0.0]]),  # state 1 is in I
               "termination": np.array([0.0, 0.5, 0.9])}
    other = _option(**{part: changed[part]})
    assert not options_agree(_option(), other)
    assert not options_agree(other, _option())


def test_a_hallway_option_agrees_only_with_itself():
    options = hallway_options(four_rooms(None))
    for i, a in enumerate(options):
        assert [options_agree(a, b) for b in options] == [j == i for j in range(len(options))]
    first = options[0]
    start = int(np.flatnonzero(first.initiation)[0])
    nudged = first.policy.copy()
    nudged[start] = np.roll(nudged[start], 1)
    assert not np.array_equal(nudged[start], first.policy[start])
    assert not options_agree(first, Option("nudged", first.initiation, nudged,
                                           first.termination))


def test_options_agree_rejects_bad_input():
    with pytest.raises(TypeError, match="a must be an Option"):
        options_agree("o", _option())
    with pytest.raises(TypeError, match="b must be an Option"):
        options_agree(_option(), None)
    three_actions = _option(policy=np.full((3, 3), 1 / 3))
    with pytest.raises(ValueError, match="same"):
        options_agree(_option(), three_actions)
    with pytest.raises(ValueError, match="same"):
        options_agree(_option(), Option("small", np.ones(2, bool), PI[:2], BETA[:2]))
