"""The maze figure draws one grey square per wall cell of the map, where the env puts it."""

import pytest
from matplotlib import patches

from chapter_code.hiro import U_MAZE, cell_xy, draw_maze
from chapter_code.plotting import new_figure


@pytest.mark.unit
def test_draw_maze_places_a_unit_square_on_every_wall_cell():
    fig, ax = new_figure()
    draw_maze(ax)
    squares = {(p.get_x() + 0.5, p.get_y() + 0.5) for p in ax.patches
               if isinstance(p, patches.Rectangle)}
    walls = {cell_xy(r, c) for r, row in enumerate(U_MAZE) for c, w in enumerate(row) if w}
    assert squares == walls and len(walls) == 18  # the border and the U's middle wall
    assert ax.get_xlim() == (-2.5, 2.5)


@pytest.mark.unit
def test_the_ant_maze_is_the_same_map_in_cells_of_four():
    fig, ax = new_figure()
    draw_maze(ax, scale=4.0)
    squares = {(p.get_x() + 2, p.get_y() + 2, p.get_width()) for p in ax.patches
               if isinstance(p, patches.Rectangle)}
    walls = {(4 * x, 4 * y, 4.0) for x, y in (cell_xy(r, c) for r, row in enumerate(U_MAZE)
                                              for c, w in enumerate(row) if w)}
    assert squares == walls and ax.get_xlim() == (-10.0, 10.0)
    markers = {line.get_label(): tuple(line.get_xydata()[0]) for line in ax.lines}
    assert markers == {"start": (-4.0, -4.0), "goal": (-4.0, 4.0)}
    with pytest.raises(ValueError, match="scale"):
        draw_maze(ax, scale=0.0)
