"""A one-dimensional corridor: the smallest task whose difficulty is its horizon."""

from __future__ import annotations

import numpy as np

from chapter_code._checks import check_int, check_real
from chapter_code.envs.tabular import TabularMDP

LEFT, RIGHT = 0, 1


class Corridor(TabularMDP):
    """Cells 0..length-1; the agent starts at cell 0 and the right end is a terminal goal.

    Actions: ``LEFT`` (0) and ``RIGHT`` (1). A move succeeds with probability 1 - slip and
    otherwise goes the other way; bumping the left wall stays put. Arriving at the goal pays +1;
    every other transition pays 0. Attributes: ``length``, ``start`` (state 0), ``goal``.
    """

    length: int
    start: int
    goal: int

    def __init__(self, length: int, *, slip: float = 0.0, gamma: float = 0.99) -> None:
        length = check_int("length", length, minimum=2)
        slip = check_real("slip", slip, low=0.0, high=1.0, high_open=True)
        goal = length - 1
        P = np.zeros((length, 2, length))
        for s in range(length):
            left, right = max(s - 1, 0), min(s + 1, goal)
            P[s, LEFT, left] += 1 - slip
            P[s, LEFT, right] += slip
            P[s, RIGHT, right] += 1 - slip
            P[s, RIGHT, left] += slip
        R = np.zeros((length, 2, length))  # r(s, a, s'): +1 for the move that arrives at the goal
        R[:, :, goal] = 1.0
        terminal = np.zeros(length, dtype=bool)
        terminal[goal] = True
        super().__init__(P=P, R=R, gamma=gamma, terminal=terminal)
        object.__setattr__(self, "length", length)
        object.__setattr__(self, "start", 0)
        object.__setattr__(self, "goal", goal)


def corridor(length: int, *, slip: float = 0.0, gamma: float = 0.99) -> Corridor:
    """Build a :class:`Corridor` of ``length`` cells (see its docstring)."""
    return Corridor(length, slip=slip, gamma=gamma)
