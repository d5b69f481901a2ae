"""Plots of the HIRO notebook: the U maze the ball and the subgoals are drawn in."""

from __future__ import annotations

from matplotlib import patches
from matplotlib.axes import Axes

from chapter_code.hiro.pointmaze import GOAL_RADIUS, GOAL_XY, START_XY, U_MAZE, cell_xy


def draw_maze(ax: Axes) -> None:
    """Draw the walls of ``U_MAZE`` (grey cells), the start and the goal with its success
    radius on ``ax``, in the env's (x, y) coordinates."""
    for row, cells in enumerate(U_MAZE):
        for col, wall in enumerate(cells):
            if wall:
                x, y = cell_xy(row, col)
                ax.add_patch(patches.Rectangle((x - 0.5, y - 0.5), 1, 1, color="0.75"))
    ax.add_patch(patches.Circle(GOAL_XY, GOAL_RADIUS, color="C2", alpha=0.3))
    ax.plot(*START_XY, "o", color="C0", label="start")
    ax.plot(*GOAL_XY, "*", color="C2", ms=12, label="goal")
    half = len(U_MAZE) / 2
    ax.set(xlim=(-half, half), ylim=(-half, half), aspect="equal", xlabel="x", ylabel="y")
