"""Sutton, Precup & Singh's (1999) four-rooms gridworld: an exact model and a Gymnasium env."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from numbers import Integral
from typing import Any

import gymnasium
import numpy as np

from chapter_code._checks import check_real
from chapter_code.envs.tabular import TabularMDP

LAYOUT = (
    "#############",
    "#     #     #",
    "#     #     #",
    "#           #",
    "#     #     #",
    "#     #     #",
    "## ####     #",
    "#     ### ###",
    "#     #     #",
    "#     #     #",
    "#           #",
    "#     #     #",
    "#############",
)
"""The 13 x 13 map, walls (#) included: 104 free cells, 4 hallways."""

UP, DOWN, LEFT, RIGHT = 0, 1, 2, 3
MOVES = ((-1, 0), (1, 0), (0, -1), (0, 1))
"""(row, col) displacement of each action, in action order."""

HALLWAY_CELLS = ((3, 6), (6, 2), (7, 9), (10, 6))
"""The hallways: north-west/north-east, north-west/south-west, north-east/south-east,
south-west/south-east."""

ROOM_HALLWAYS = {
    "NW": ((3, 6), (6, 2)),
    "NE": ((3, 6), (7, 9)),
    "SW": ((6, 2), (10, 6)),
    "SE": ((7, 9), (10, 6)),
}
"""The two hallways of each room."""

G1 = (7, 9)
"""The hallway goal of Sutton, Precup & Singh's planning figure (east hallway)."""

G2 = (9, 9)
"""A goal in the middle of the south-east room, reachable by no hallway option."""

ENV_ID = "chapter_code/FourRooms-v0"


def room_of(cell: tuple[int, int]) -> str | None:
    """The room ("NW", "NE", "SW", "SE") holding a free, non-hallway cell; None for hallways."""
    if cell in HALLWAY_CELLS:
        return None
    row, col = cell
    north = row < 6 or (row == 6 and col > 6)
    return ("N" if north else "S") + ("W" if col < 6 else "E")


def as_cell(value: Any, name: str = "cell") -> tuple[int, int]:
    """``value`` as a (row, col) tuple: any pair of integers (tuple, list, NumPy array, such as
    a row of ``FourRooms.cells``); ``TypeError`` naming ``name`` for anything else."""
    pair = np.asarray(value) if not isinstance(value, str) else None
    if (pair is None or pair.shape != (2,) or not np.issubdtype(pair.dtype, np.integer)
            or isinstance(value, bool)):
        raise TypeError(f"{name} must be a (row, col) pair of integers, got {value!r}")
    return int(pair[0]), int(pair[1])


class FourRooms(TabularMDP):
    """The four-rooms MDP: states are the free cells in row-major order.

    Actions ``UP, DOWN, LEFT, RIGHT``. A move goes the intended way with probability
    1 - ``slip`` and each other way with probability ``slip`` / 3; moving into a wall stays
    put. The transition that arrives at ``goal`` pays +1 and ends the episode (the goal is
    terminal); every transition also pays ``step_reward``. (Sutton, Precup & Singh instead make
    the goal a state from which every action pays +1 and ends the episode, so their values are
    ours times γ.) Attributes: ``cells`` (S, 2) the (row, col) of each
    state, ``index`` cell -> state, ``hallways`` (4,) their states, ``goal`` a state or None,
    ``slip``.
    """

    cells: np.ndarray
    index: dict[tuple[int, int], int]
    hallways: np.ndarray
    goal: int | None
    slip: float

    def __init__(
        self,
        goal: tuple[int, int] | Sequence[int] | np.ndarray | None = None,
        *,
        slip: float = 1 / 3,
        gamma: float = 0.9,
        step_reward: float = 0.0,
    ) -> None:
        slip = check_real("slip", slip, low=0.0, high=1.0)
        step_reward = check_real("step_reward", step_reward)
        cells = [(r, c) for r, line in enumerate(LAYOUT) for c, ch in enumerate(line) if ch == " "]
        index = {cell: s for s, cell in enumerate(cells)}
        goal_state = None
        if goal is not None:
            goal = as_cell(goal, "goal")
            if goal not in index:
                raise ValueError(f"goal must be a free cell of the 13 x 13 map, got {goal} "
                                 "(a wall or outside the grid)")
            goal_state = index[goal]
        n = len(cells)
        P = np.zeros((n, 4, n))
        for s, (r, c) in enumerate(cells):
            for a in range(4):
                for d, (dr, dc) in enumerate(MOVES):
                    prob = 1.0 - slip if d == a else slip / 3.0
                    P[s, a, index.get((r + dr, c + dc), s)] += prob
        terminal = np.zeros(n, dtype=bool)
        R = np.full((n, 4, n), step_reward)  # r(s, a, s'): paid by the sampled transition
        if goal_state is not None:
            terminal[goal_state] = True
            R[:, :, goal_state] += 1.0
            P[goal_state] = 0.0
            P[goal_state, :, goal_state] = 1.0
        super().__init__(P=P, R=R, gamma=gamma, terminal=terminal)
        cell_array = np.array(cells)
        cell_array.setflags(write=False)
        object.__setattr__(self, "cells", cell_array)
        object.__setattr__(self, "index", index)
        hallways = np.array([index[h] for h in HALLWAY_CELLS])
        hallways.setflags(write=False)
        object.__setattr__(self, "hallways", hallways)
        object.__setattr__(self, "goal", goal_state)
        object.__setattr__(self, "slip", slip)

    def distances(self, target: int) -> np.ndarray:
        """Shortest-path length (deterministic moves) from every state to state ``target``."""
        dist = np.full(self.n_states, -1)
        dist[target] = 0
        frontier = [target]
        while frontier:
            nxt = []
            for s in frontier:
                r, c = self.cells[s]
                for dr, dc in MOVES:
                    t = self.index.get((int(r + dr), int(c + dc)))
                    if t is not None and dist[t] < 0:
                        dist[t] = dist[s] + 1
                        nxt.append(t)
            frontier = nxt
        return dist


def four_rooms(
    goal: tuple[int, int] | Sequence[int] | np.ndarray | None = None,
    slip: float = 1 / 3,
    gamma: float = 0.9,
    *,
    step_reward: float = 0.0,
) -> FourRooms:
    """Build the four-rooms MDP (see :class:`FourRooms`); Sutton, Precup & Singh (1999), Fig. 2."""
    return FourRooms(goal, slip=slip, gamma=gamma, step_reward=step_reward)


def room_names(mdp: FourRooms, states: Iterable[int]) -> set[str]:
    """The rooms ("NW", "NE", "SW", "SE") that the given states of ``mdp`` lie in, by
    :func:`room_of` of each state's cell; hallways belong to no room and add nothing.

    ``states``: state indices of ``mdp`` (any iterable of integers, such as a set from
    :func:`chapter_code.options.normalized_cut_clusters`).
    """
    if not isinstance(mdp, FourRooms):
        raise TypeError(f"mdp must be a FourRooms, got {type(mdp).__name__}")
    if isinstance(states, str | bytes) or not isinstance(states, Iterable):
        raise TypeError(f"states must be an iterable of state indices, got {states!r}")
    names: set[str] = set()
    for s in states:
        if isinstance(s, bool) or not isinstance(s, Integral):
            raise TypeError(f"states must hold integers, got {type(s).__name__} {s!r}")
        if not 0 <= s < mdp.n_states:
            raise ValueError(f"states must lie in [0, {mdp.n_states}), got {s}")
        room = room_of(as_cell(mdp.cells[s]))
        if room is not None:
            names.add(room)
    return names


class FourRoomsEnv(gymnasium.Env):
    """Gymnasium face of :class:`FourRooms`: observation = state index, start uniform over
    the non-goal cells, ``terminated`` on reaching the goal (time limits via ``make``)."""

    metadata: dict[str, Any] = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(
        self,
        goal: tuple[int, int] = G1,
        slip: float = 1 / 3,
        gamma: float = 0.9,
        render_mode: str | None = None,
    ) -> None:
        self.mdp = four_rooms(goal, slip, gamma)
        if render_mode not in (None, "ansi"):
            raise ValueError(f"render_mode must be None or 'ansi', got {render_mode!r}")
        self.render_mode = render_mode
        self.observation_space = gymnasium.spaces.Discrete(self.mdp.n_states)
        self.action_space = gymnasium.spaces.Discrete(4)
        live = ~self.mdp.terminal
        self._start_cdf = np.cumsum(live / live.sum())
        self._start_cdf[-1] = 1.0
        self._state = int(np.flatnonzero(live)[0])

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        """Start in a uniformly random non-goal cell (one uniform draw, inverted through the
        start distribution's CDF, as the compiled learners draw it)."""
        super().reset(seed=seed)
        u = self.np_random.random()
        self._state = int(np.searchsorted(self._start_cdf, u, side="right"))
        return self._state, {}

    def step(self, action: int) -> tuple[int, float, bool, bool, dict[str, Any]]:
        """One move, sampled by :meth:`TabularMDP.step` from ``self.np_random``; the reward is
        +1 on arrival at the goal."""
        if not self.action_space.contains(action):
            raise ValueError(f"action must be in {{0, 1, 2, 3}}, got {action!r}")
        s_next, reward, terminated = self.mdp.step(np.array([self._state]), np.array([action]),
                                                   self.np_random)
        self._state = int(s_next[0])
        return self._state, float(reward[0]), bool(terminated[0]), False, {}

    def render(self) -> str | None:
        """The map as text: A = agent, G = goal."""
        if self.render_mode != "ansi":
            return None
        rows = [list(line) for line in LAYOUT]
        for mark, s in (("G", self.mdp.goal), ("A", self._state)):
            if s is not None:
                r, c = self.mdp.cells[s]
                rows[r][c] = mark
        return "\n".join("".join(row) for row in rows)


if ENV_ID not in gymnasium.registry:
    gymnasium.register(id=ENV_ID, entry_point="chapter_code.envs.four_rooms:FourRoomsEnv",
                       max_episode_steps=1000)
