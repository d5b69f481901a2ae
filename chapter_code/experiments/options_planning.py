"""Planning with options in four rooms (Sutton, Precup & Singh 1999, §3, Figs. 5-6): value
maps after each sweep of SMDP value iteration, and an interactive map of option values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from chapter_code._checks import check_int, check_real
from chapter_code.envs import four_rooms
from chapter_code.envs.four_rooms import G2, FourRooms
from chapter_code.options import (
    Option,
    hallway_options,
    primitive_options,
    smdp_value_iteration,
)
from chapter_code.plotting import new_figure, value_map


def values_after_sweeps(
    mdp: FourRooms,
    options: Sequence[Option],
    sweeps: Sequence[int],
    *,
    boundary: Mapping[int, float] | None = None,
) -> np.ndarray:
    """V_k of SMDP value iteration for each k in ``sweeps`` (k = 0 gives V_0: zero, or the
    ``boundary`` values): shape (len(sweeps), S)."""
    out = np.zeros((len(sweeps), mdp.n_states))
    for state, value in (boundary or {}).items():
        out[:, state] = value
    for i, k in enumerate(sweeps):
        k = check_int("sweeps[i]", k, minimum=0)
        if k:
            out[i] = smdp_value_iteration(mdp, options, iterations=k, boundary=boundary)[0]
    return out


def paper_planning_setup(
    goal: tuple[int, int], slip: float = 1 / 3, gamma: float = 0.9
) -> tuple[FourRooms, dict[int, float]]:
    """Sutton, Precup & Singh's (1999, §3.1) planning set-up: the grid without a goal (the
    option models are made "assuming there is no goal state") and the boundary condition
    V(goal) = 1, the goal's correct value, held fixed. Returns ``(grid, boundary)`` for
    :func:`smdp_value_iteration`."""
    grid = four_rooms(None, slip, gamma)
    if goal not in grid.index:
        raise ValueError(f"goal must be a free cell of the 13 x 13 map, got {goal!r}")
    return grid, {grid.index[goal]: 1.0}


def hallway_options_stopping_in_room(mdp: FourRooms, termination: float) -> list[Option]:
    """Hallway options that also stop with probability ``termination`` in every cell of their
    room (β = termination inside the room, 1 outside it as before)."""
    termination = check_real("termination", termination, low=0.0, high=1.0)
    return [Option(o.name, o.initiation, o.policy,
                   np.where(o.termination < 1.0, termination, 1.0)) for o in hallway_options(mdp)]


def greedy_first_actions(options: Sequence[Option], Q: np.ndarray) -> np.ndarray:
    """The primitive action each state's greedy option takes first (argmax of its policy);
    -1 where no option can start. Shapes: Q (S, O) -> (S,)."""
    best = np.argmax(Q, axis=1)
    policy = np.stack([o.policy for o in options])  # (O, S, A)
    first = policy[best, np.arange(Q.shape[0])].argmax(axis=1)
    return np.where(np.isfinite(Q).any(axis=1), first, -1)


def option_values_figure(
    goal: tuple[int, int] = G2, termination: float = 0.0, slip: float = 1 / 3
) -> Figure:
    """The widget's figure: V = max_o Q(s, o) over primitives ∪ hallway options (with
    per-step termination probability ``termination``) for ``goal`` (row, col), with the
    greedy option's first move drawn at every cell."""
    mdp = four_rooms(goal, slip)
    options = [*primitive_options(mdp), *hallway_options_stopping_in_room(mdp, termination)]
    V, Q = smdp_value_iteration(mdp, options)
    fig, ax = new_figure(figsize=(4.2, 4.0))
    image = value_map(ax, mdp, V, vmax=1.0, arrows=greedy_first_actions(options, Q),
                      title=f"goal {goal}, β inside rooms = {termination:.2f}")
    fig.colorbar(image, ax=ax, shrink=0.8, label="V(s) = max_o Q(s, o)")
    return fig
