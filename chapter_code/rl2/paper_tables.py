"""The paper's Tables 1 and 2 beside our saved runs: what the book's RL² notebook compares.

The numbers are transcribed from Duan, Schulman, Chen, Bartlett, Sutskever & Abbeel (2016),
"RL²: Fast reinforcement learning via slow reinforcement learning" (arXiv:1611.02779):
Table 1, the total reward of a trial on Bernoulli bandits for n pulls and k arms, and Table 2,
the total reward of a trial of n episodes on random tabular MDPs. The paper reports each
number to one decimal and gives no standard errors.

Our side comes from saved runs (:mod:`chapter_code.results`) of the ``bandit-baselines``,
``mdp-baselines``, ``rl2-bandit`` and ``rl2-mdp`` experiments: a baseline run holds
``metrics[name]`` (mean total reward) and ``metrics["stderr"][name]`` for every baseline, an
RL² run holds ``metrics["rl2"]`` and the scalar ``metrics["stderr"]``. The functions below
turn them into the notebook's comparison tables ("ours ± se (paper)"), the distance from the
paper in standard errors (:func:`chapter_code.stats.z_from_reported`), and one row per
(table, cell, method) for the claims the notebook asserts.

pandas (an extra of the book and test installs) is imported only by the functions that build
tables, so importing :mod:`chapter_code.rl2` does not need it.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from chapter_code import results
from chapter_code._checks import check_int, check_real
from chapter_code.stats import z_from_reported

if TYPE_CHECKING:
    import pandas as pd

BANDIT_COLUMNS: tuple[str, ...] = (
    "random", "gittins", "ts", "ots", "ucb1", "eps_greedy", "greedy", "rl2")
"""the methods of Table 1, in the paper's column order."""

PAPER_BANDITS: dict[tuple[int, int], dict[str, float]] = {
    cell: dict(zip(BANDIT_COLUMNS, row, strict=True)) for cell, row in {
        (10, 5): (5.0, 6.6, 5.7, 6.5, 6.7, 6.6, 6.6, 6.7),
        (10, 10): (5.0, 6.6, 5.5, 6.2, 6.7, 6.6, 6.6, 6.7),
        (10, 50): (5.1, 6.5, 5.2, 5.5, 6.6, 6.5, 6.5, 6.8),
        (100, 5): (49.9, 78.3, 74.7, 77.9, 78.0, 75.4, 74.8, 78.7),
        (100, 10): (49.9, 82.8, 76.7, 81.4, 82.4, 77.4, 77.1, 83.5),
        (100, 50): (49.8, 85.2, 64.5, 67.7, 84.3, 78.3, 78.0, 84.9),
        (500, 5): (249.8, 405.8, 402.0, 406.7, 405.8, 388.2, 380.6, 401.6),
        (500, 10): (249.0, 437.8, 429.5, 438.9, 437.1, 408.0, 395.0, 432.5),
        (500, 50): (249.6, 463.7, 427.2, 437.6, 457.6, 413.6, 402.8, 438.9),
    }.items()}
"""Duan et al. (2016), Table 1: (n pulls, k arms) -> method -> mean total reward of a trial."""

MDP_COLUMNS: tuple[str, ...] = (
    "random", "psrl", "opsrl", "ucrl2", "beb", "eps_greedy", "greedy", "rl2")
"""the methods of Table 2, in the paper's column order."""

PAPER_MDPS: dict[int, dict[str, float]] = {
    n: dict(zip(MDP_COLUMNS, row, strict=True)) for n, row in {
        10: (100.1, 138.1, 144.1, 146.6, 150.2, 132.8, 134.8, 156.2),
        25: (250.2, 408.8, 425.2, 424.1, 427.8, 377.3, 368.8, 445.7),
        50: (499.7, 904.4, 930.7, 918.9, 917.8, 823.3, 769.3, 936.1),
        75: (749.9, 1417.1, 1449.2, 1427.6, 1422.6, 1293.9, 1172.9, 1428.8),
        100: (999.4, 1939.5, 1973.9, 1942.1, 1935.1, 1778.2, 1578.5, 1913.7),
    }.items()}
"""Duan et al. (2016), Table 2: n episodes -> method -> mean total reward of a trial."""

BANDIT_LABELS: dict[str, str] = {
    "random": "Random", "gittins": "Gittins", "ts": "TS", "ots": "OTS", "ucb1": "UCB1",
    "eps_greedy": "ε-greedy", "greedy": "greedy", "rl2": "RL²"}
"""column headings of the bandit comparison table, as the paper prints them."""

MDP_LABELS: dict[str, str] = {
    "random": "Random", "psrl": "PSRL", "opsrl": "OPSRL", "ucrl2": "UCRL2", "beb": "BEB",
    "eps_greedy": "ε-greedy", "greedy": "greedy", "rl2": "RL²", "oracle": "oracle"}
"""column headings of the MDP comparison table; ``oracle`` (planning in the true model) is
ours, not the paper's."""


class SavedRun(Protocol):
    """What the tables read from a run: its ``metrics`` (a :class:`chapter_code.results.Summary`
    is one)."""

    @property
    def metrics(self) -> Mapping[str, Any]: ...


def _baselines(columns: Sequence[str]) -> tuple[str, ...]:
    return tuple(name for name in columns if name != "rl2")


def _check_cell(name: str, cell: Hashable, table: Mapping[Any, Any]) -> None:
    try:
        known = cell in table
    except TypeError:  # an unhashable cell
        known = False
    if not known:
        raise ValueError(f"{name} must be one of the paper's cells {list(table)}, got {cell!r}")


def _check_run(name: str, run: object, methods: Sequence[str]) -> Mapping[str, Any]:
    """``run.metrics`` after checking it holds a mean and a standard error for ``methods``."""
    metrics = getattr(run, "metrics", None)
    if not isinstance(metrics, Mapping):
        raise TypeError(f"{name} must be a saved run with a metrics mapping, "
                        f"got {type(run).__name__}")
    stderr = metrics.get("stderr")
    missing = [method for method in methods
               if method not in metrics or not isinstance(stderr, Mapping)
               or method not in stderr]
    if missing:
        raise ValueError(f"{name} must hold metrics[method] and metrics['stderr'][method] for "
                         f"{list(methods)}; missing {missing}")
    return metrics


def _check_rl2_run(name: str, run: object) -> Mapping[str, Any]:
    metrics = getattr(run, "metrics", None)
    if not isinstance(metrics, Mapping) or "rl2" not in metrics or "stderr" not in metrics:
        raise ValueError(f"{name} must be None or a saved RL² run whose metrics hold 'rl2' and "
                         f"'stderr', got {type(run).__name__}")
    return metrics


def saved_run(name: str, directory: Path | str | None = None) -> results.Summary | None:
    """The saved result ``name`` (:func:`chapter_code.results.load`), or ``None`` where no run
    of that name was saved in ``directory`` (default: the repository's ``results/``)."""
    folder = Path(directory) if directory is not None else results.RESULTS_DIR
    return results.load(name, folder) if (folder / f"{name}.json").is_file() else None


EVALUATION_OPTIONS: tuple[str, ...] = ("seed", "eval_trials", "arms", "pulls", "episodes", "start")
"""the options that fix where a saved RL² run was scored: :func:`chapter_code.rl2.ppo.evaluate`
draws the tasks and the action uniforms from the run's seed, so two runs of one experiment that
agree on all of these were scored on the same tasks with the same draws."""


def same_evaluation(run: object, reference: object) -> bool:
    """Whether two saved RL² runs were scored on the same tasks with the same action draws: the
    same experiment, the same :data:`EVALUATION_OPTIONS` (seed and evaluation size required),
    and both saved their per-task ``totals``. ``ValueError`` if they claim the same bandits but
    the best arms they saved differ."""
    return _paired_totals(run, reference) is not None


def _paired_totals(run: object, reference: object) -> tuple[np.ndarray, np.ndarray] | None:
    """Both runs' per-task totals where :func:`same_evaluation` holds, else ``None``."""
    ours, theirs = (getattr(r, "config", None) for r in (run, reference))
    saved = [getattr(r, "arrays", None) for r in (run, reference)]
    arrays = [found for found in saved if isinstance(found, Mapping) and "totals" in found]
    if not (isinstance(ours, Mapping) and isinstance(theirs, Mapping) and len(arrays) == 2):
        return None
    if not (getattr(run, "experiment", None) == getattr(reference, "experiment", None)
            and all(key in ours and key in theirs for key in ("seed", "eval_trials"))
            and all(ours.get(key) == theirs.get(key) for key in EVALUATION_OPTIONS)):
        return None
    totals = [np.asarray(found["totals"], dtype=np.float64) for found in arrays]
    if any(t.shape != (ours["eval_trials"],) for t in totals):
        return None
    if all("best_arm" in found for found in arrays) \
            and not np.array_equal(arrays[0]["best_arm"], arrays[1]["best_arm"]):
        raise ValueError("run and reference share their evaluation options but saved different "
                         "best arms: they were not scored on the same bandits")
    return totals[0], totals[1]


TRAINING_OPTIONS: tuple[str, ...] = ("seed", "tasks_per_batch", "arms", "pulls", "episodes",
                                     "start")
"""the options that fix a run's training tasks and action draws (stream "rl2-train" of the
seed, ``tasks_per_batch`` tasks per iteration): runs agreeing on them train on the same trials."""


def paired_curve_gap(run: results.Summary, reference: results.Summary) -> np.ndarray:
    """``run``'s training curve minus ``reference``'s over the iterations both made: each
    iteration's batch holds the same tasks and action draws in both, so the difference is
    paired. ``ValueError`` unless both come from one experiment and agree on
    :data:`TRAINING_OPTIONS`."""
    ours, theirs = run.config, reference.config
    if not (run.experiment == reference.experiment
            and all(ours.get(key) == theirs.get(key) for key in TRAINING_OPTIONS)):
        raise ValueError(f"run and reference must come from one experiment and agree on "
                         f"{list(TRAINING_OPTIONS)} for their curves to pair")
    curves = [np.asarray(r.arrays["curve"], dtype=np.float64) for r in (run, reference)]
    size = min(c.size for c in curves)
    return curves[0][:size] - curves[1][:size]


def rl2_difference(run: SavedRun, reference: SavedRun) -> tuple[float, float]:
    """``run``'s RL² score minus ``reference``'s, and the standard error of that difference.
    Scored on the same tasks (:func:`same_evaluation`), the runs are paired: the error is that
    of the mean of the per-task differences d_i, √(Var(d) / N). Otherwise they are independent
    samples: √(se² + se_ref²)."""
    ours = _check_rl2_run("run", run)
    theirs = _check_rl2_run("reference", reference)
    difference = float(ours["rl2"]) - float(theirs["rl2"])
    paired = _paired_totals(run, reference)
    if paired is not None:
        d = paired[0] - paired[1]
        return difference, float(d.std(ddof=1) / math.sqrt(d.size))
    return difference, math.hypot(float(ours["stderr"]), float(theirs["stderr"]))


def random_to_greedy(score: float, baselines: SavedRun) -> float:
    """How far ``score`` lies from the random baseline toward greedy, both read from a baseline
    run: (score − random) / (greedy − random), so 0 is random's score and 1 greedy's."""
    score = check_real("score", score)
    metrics = _check_run("baselines", baselines, ("random", "greedy"))
    return (score - metrics["random"]) / (metrics["greedy"] - metrics["random"])


def table_entry(mean: float, se: float, paper: float, digits: int) -> str:
    """One cell of a comparison table: ``"mean ± se (paper)"``, ours to ``digits`` decimals,
    the paper's number as transcribed."""
    mean = check_real("mean", mean)
    se = check_real("se", se, low=0.0)
    check_real("paper", paper)
    digits = check_int("digits", digits, minimum=0)
    return f"{mean:.{digits}f} ± {se:.{digits}f} ({paper})"


def _rl2_entry(rl2_run: SavedRun | None, paper: float, digits: int) -> str:
    if rl2_run is None:
        return f"not trained yet ({paper})"
    metrics = _check_rl2_run("rl2_run", rl2_run)
    return table_entry(metrics["rl2"], metrics["stderr"], paper, digits)


def bandit_row(cell: tuple[int, int], run: SavedRun, rl2_run: SavedRun | None) -> dict[str, str]:
    """The row of Table 1 for ``cell`` = (n pulls, k arms): every baseline of ``run`` and RL²
    of ``rl2_run`` (``None``: not trained) as ``"ours ± se (paper)"``, two decimals for n = 10
    and one otherwise; keyed by :data:`BANDIT_COLUMNS`."""
    _check_cell("cell", cell, PAPER_BANDITS)
    paper = PAPER_BANDITS[cell]
    baselines = _baselines(BANDIT_COLUMNS)
    metrics = _check_run("run", run, baselines)
    digits = 2 if cell[0] == 10 else 1
    row = {name: table_entry(metrics[name], metrics["stderr"][name], paper[name], digits)
           for name in baselines}
    row["rl2"] = _rl2_entry(rl2_run, paper["rl2"], digits)
    return row


def mdp_row(n: int, run: SavedRun, rl2_run: SavedRun | None) -> dict[str, str]:
    """The row of Table 2 for ``n`` episodes: every baseline of ``run`` and RL² of ``rl2_run``
    (``None``: not trained) as ``"ours ± se (paper)"`` to one decimal, keyed by
    :data:`MDP_COLUMNS`, then ``"oracle"``, the run's value of planning in the true model."""
    _check_cell("n", n, PAPER_MDPS)
    paper = PAPER_MDPS[n]
    baselines = _baselines(MDP_COLUMNS)
    metrics = _check_run("run", run, baselines)
    if "oracle" not in metrics:
        raise ValueError("run must hold metrics['oracle'], the value of planning in the true "
                         "model (an mdp-baselines run)")
    row = {name: table_entry(metrics[name], metrics["stderr"][name], paper[name], 1)
           for name in baselines}
    row["rl2"] = _rl2_entry(rl2_run, paper["rl2"], 1)
    row["oracle"] = f"{metrics['oracle']:.1f}"
    return row


def bandit_table(runs: Mapping[tuple[int, int], SavedRun],
                 rl2_runs: Mapping[tuple[int, int], SavedRun | None]) -> pd.DataFrame:
    """Table 1, ours beside the paper's: one :func:`bandit_row` per cell of ``runs`` (in its
    order), indexed ``"n=…, k=…"``, columns headed by :data:`BANDIT_LABELS`; a cell missing
    from ``rl2_runs`` counts as not trained."""
    import pandas as pd

    table = pd.DataFrame({f"n={n}, k={k}": bandit_row((n, k), run, rl2_runs.get((n, k)))
                          for (n, k), run in runs.items()}).T
    return table.rename(columns=BANDIT_LABELS)


def mdp_table(runs: Mapping[int, SavedRun],
              rl2_runs: Mapping[int, SavedRun | None]) -> pd.DataFrame:
    """Table 2, ours beside the paper's: one :func:`mdp_row` per ``n`` of ``runs`` (in its
    order), indexed ``"n=…"``, columns headed by :data:`MDP_LABELS`; an ``n`` missing from
    ``rl2_runs`` counts as not trained."""
    import pandas as pd

    table = pd.DataFrame({f"n={n}": mdp_row(n, run, rl2_runs.get(n))
                          for n, run in runs.items()}).T
    return table.rename(columns=MDP_LABELS)


def z_scores(runs: Mapping[Any, SavedRun], paper_table: Mapping[Any, Mapping[str, float]],
             names: Sequence[str]) -> pd.DataFrame:
    """How many standard errors each of our baselines lies from the paper's number
    (:func:`chapter_code.stats.z_from_reported`): one row per cell of ``runs`` (its keys, in
    its order), one column per method in ``names``."""
    import pandas as pd

    out = {}
    for cell, run in runs.items():
        _check_cell("runs", cell, paper_table)
        metrics = _check_run(f"runs[{cell!r}]", run, names)
        out[cell] = {name: float(z_from_reported(metrics[name], metrics["stderr"][name],
                                                 paper_table[cell][name])) for name in names}
    return pd.DataFrame(out).T


def claim_rows(bandit_runs: Mapping[tuple[int, int], SavedRun],
               mdp_runs: Mapping[int, SavedRun]) -> pd.DataFrame:
    """One row per (table, cell, method) of every baseline in both tables: columns ``table``
    ("bandits" or "MDPs"), ``cell`` ("n=…, k=…" or "n=…"), ``method``, ``ours``, ``se`` (our
    standard error) and ``paper``."""
    import pandas as pd

    rows = []
    for (n, k), run in bandit_runs.items():
        _check_cell("bandit_runs", (n, k), PAPER_BANDITS)
        metrics = _check_run(f"bandit_runs[{(n, k)!r}]", run, _baselines(BANDIT_COLUMNS))
        for name in _baselines(BANDIT_COLUMNS):
            rows.append(("bandits", f"n={n}, k={k}", name, metrics[name],
                         metrics["stderr"][name], PAPER_BANDITS[(n, k)][name]))
    for n, run in mdp_runs.items():
        _check_cell("mdp_runs", n, PAPER_MDPS)
        metrics = _check_run(f"mdp_runs[{n!r}]", run, _baselines(MDP_COLUMNS))
        for name in _baselines(MDP_COLUMNS):
            rows.append(("MDPs", f"n={n}", name, metrics[name], metrics["stderr"][name],
                         PAPER_MDPS[n][name]))
    return pd.DataFrame(rows, columns=["table", "cell", "method", "ours", "se", "paper"])
