"""Plots of the HIRO notebook: the U maze the agent and the subgoals are drawn in."""

from __future__ import annotations

from matplotlib import patches
from matplotlib.axes import Axes

from chapter_code._checks import check_real
from chapter_code.hiro.pointmaze import GOAL_RADIUS, GOAL_XY, START_XY, U_MAZE, cell_xy


def draw_maze(ax: Axes, scale: float = 1.0) -> None:
    """Draw the walls of ``U_MAZE`` (grey cells), the start and the goal with its success
    radius on ``ax``, in the env's (x, y) coordinates, cells of side ``scale`` (the point
    maze's 1, the ant maze's 4)."""
    check_real("scale", scale, low=0.0, low_open=True)
    for row, cells in enumerate(U_MAZE):
        for col, wall in enumerate(cells):
            if wall:
                x, y = cell_xy(row, col)
                ax.add_patch(patches.Rectangle((scale * (x - 0.5), scale * (y - 0.5)), scale,
                                               scale, color="0.75"))
    goal = (scale * GOAL_XY[0], scale * GOAL_XY[1])
    ax.add_patch(patches.Circle(goal, GOAL_RADIUS, color="C2", alpha=0.3))
    ax.plot(scale * START_XY[0], scale * START_XY[1], "o", color="C0", label="start")
    ax.plot(*goal, "*", color="C2", ms=12, label="goal")
    half = scale * len(U_MAZE) / 2
    ax.set(xlim=(-half, half), ylim=(-half, half), aspect="equal", xlabel="x", ylabel="y")
