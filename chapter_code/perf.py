"""The speed ratios the benchmark scripts saved: every ratio in ``benchmarks/results/*.json``.

Each script in ``benchmarks/`` times two implementations in the same run and writes a JSON file
whose ratios (speed-ups over a reference, cost ratios between methods) are what the book quotes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

BENCHMARK_RESULTS = Path(__file__).resolve().parent.parent / "benchmarks" / "results"


def numeric_leaves(tree: Any, prefix: str = "") -> Iterator[tuple[str, float]]:
    """Every number in a nested dict as ``(dotted.path, value)`` (booleans left out)."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from numeric_leaves(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(tree, int | float) and not isinstance(tree, bool):
        yield prefix, float(tree)


def is_ratio(path: str) -> bool:
    """Whether a dotted path names a ratio: under ``ratios``, called ``ratio`` or
    ``ratio_*``, a ``cost_per_step*`` or an ``*_over_*`` quantity (targets are not ratios)."""
    last = path.split(".")[-1]
    if "target" in path:
        return False
    return (path.startswith("ratios.") or last == "ratio" or last.startswith("ratio_")
            or last.startswith("cost_per_step") or "_over_" in last)


def saved_ratios(directory: Path | str | None = None) -> list[tuple[str, str, float]]:
    """``(benchmark script, quantity, ratio)`` for every ratio saved in ``directory``
    (default ``benchmarks/results``), files in name order."""
    folder = Path(directory) if directory is not None else BENCHMARK_RESULTS
    if not folder.is_dir():
        raise ValueError(f"directory {folder} does not exist")
    return [(f"benchmarks/{path.stem}.py", name, value)
            for path in sorted(folder.glob("*.json"))
            for name, value in numeric_leaves(json.loads(path.read_text())) if is_ratio(name)]


def write_report(path: Path | str, report: dict[str, Any]) -> None:
    """Save a benchmark's ``report`` as JSON at ``path`` (folders created) and print its
    ratios, one ``quantity: value`` per line."""
    if not isinstance(report, dict):
        raise TypeError(f"report must be a dict, got {type(report).__name__}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    for name, value in numeric_leaves(report):
        if is_ratio(name):
            print(f"{name}: {value:.3g}")
