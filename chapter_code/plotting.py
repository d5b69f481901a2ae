"""One figure style for the whole book, and learning curves with confidence bands over seeds."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from chapter_code.stats import mean_ci

PALETTE = ("#1b6ca8", "#d1495b", "#2e933c", "#edae49", "#6a4c93", "#00798c", "#555555")

BOOK_STYLE: dict[str, Any] = {
    "figure.figsize": (6.4, 3.6),
    "figure.dpi": 110,
    "savefig.dpi": 110,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.frameon": False,
    "axes.prop_cycle": cycler(color=PALETTE),
    "image.cmap": "viridis",
}


def use_book_style() -> None:
    """Apply the book's matplotlib style (fonts, colours, grid) to every later figure."""
    plt.style.use(BOOK_STYLE)


def new_figure(ncols: int = 1, nrows: int = 1, **kwargs: Any) -> tuple[Figure, Any]:
    """A figure in the book's style; returns ``(fig, axes)`` as ``plt.subplots`` does."""
    use_book_style()
    width, height = BOOK_STYLE["figure.figsize"]
    kwargs.setdefault("figsize", (width * ncols ** 0.85, height * nrows ** 0.9))
    kwargs.setdefault("layout", "constrained")
    return plt.subplots(nrows, ncols, **kwargs)


def curve_with_band(
    ax: Axes,
    x: np.ndarray,
    samples: np.ndarray,
    *,
    label: str,
    level: float = 0.95,
    color: str | None = None,
) -> None:
    """Plot the mean over seeds of ``samples`` (n_seeds, T) against ``x`` (T,) with its
    ``level`` Student-t confidence band."""
    samples = np.asarray(samples, dtype=float)
    if samples.ndim != 2 or samples.shape[1] != len(x):
        raise ValueError(f"samples must have shape (n_seeds, len(x)) = (*, {len(x)}), "
                         f"got {samples.shape}")
    mean, low, high = mean_ci(samples, axis=0, level=level)
    (line,) = ax.plot(x, mean, label=label, color=color, lw=1.6)
    ax.fill_between(x, low, high, color=line.get_color(), alpha=0.2, lw=0)


def moving_average(y: np.ndarray, window: int) -> np.ndarray:
    """Trailing moving average along the last axis (the first ``window - 1`` points average
    what exists so far), for smoothing per-episode curves before plotting."""
    y = np.asarray(y, dtype=float)
    if not isinstance(window, int) or window < 1:
        raise ValueError(f"window must be a positive int, got {window!r}")
    c = np.cumsum(y, axis=-1)
    out = c.copy()
    out[..., window:] = c[..., window:] - c[..., :-window]
    counts = np.minimum(np.arange(1, y.shape[-1] + 1), window)
    return out / counts


def value_map(
    ax: Axes,
    mdp: Any,
    V: np.ndarray,
    *,
    title: str | None = None,
    vmin: float = 0.0,
    vmax: float | None = None,
    arrows: np.ndarray | None = None,
) -> Any:
    """Draw state values ``V`` (S,) of a grid MDP with ``cells`` (S, 2) (e.g. four rooms) as a
    heat map; walls are blank, the goal is marked G. ``arrows`` (S,): an action per state
    (0 up, 1 down, 2 left, 3 right; -1 for none) drawn as arrows. Returns the image."""
    cells = np.asarray(mdp.cells)
    V = np.asarray(V, dtype=float)
    if V.shape != (len(cells),):
        raise ValueError(f"V must have shape (S,) = ({len(cells)},), got {V.shape}")
    grid = np.full(tuple(cells.max(axis=0) + 2), np.nan)
    grid[cells[:, 0], cells[:, 1]] = V
    image = ax.imshow(grid, vmin=vmin, vmax=vmax if vmax is not None else max(V.max(), vmin),
                      cmap="viridis")
    ax.set_axis_off()
    if getattr(mdp, "goal", None) is not None:
        r, c = cells[mdp.goal]
        ax.text(c, r, "G", ha="center", va="center", color="#d1495b", fontweight="bold")
    if arrows is not None:
        moves = np.array([(-1.0, 0.0), (1.0, 0.0), (0.0, -1.0), (0.0, 1.0)])  # (row, col)
        shown = np.flatnonzero(np.asarray(arrows) >= 0)
        d = moves[np.asarray(arrows)[shown]] * 0.6
        ax.quiver(cells[shown, 1] - d[:, 1] / 2, cells[shown, 0] - d[:, 0] / 2, d[:, 1],
                  d[:, 0], angles="xy", scale_units="xy", scale=1, color="white", width=0.006)
    if title:
        ax.set_title(title)
    return image
