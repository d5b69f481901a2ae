"""Small experiment summaries on disk: ``results/NAME.json`` (+ ``results/NAME.npz`` for arrays).

The JSON file holds the config, the seed, the package version and the scalar metrics; arrays
go into the NPZ beside it. Notebooks load these instead of re-running long experiments.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import numpy as np

import chapter_code

RESULTS_DIR = Path(__file__).resolve().parent.parent / "results"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


@dataclasses.dataclass(frozen=True)
class Summary:
    """A saved result: ``name``, ``config`` (dict), ``metrics`` (JSON scalars/lists),
    ``arrays`` (name -> ndarray) and the ``version`` of chapter_code that wrote it."""

    name: str
    config: dict[str, Any]
    metrics: dict[str, Any]
    arrays: dict[str, np.ndarray]
    version: str


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"name must match {_NAME.pattern} (lower-case, no slashes), got {name!r}")
    return name


def jsonable(value: Any) -> Any:
    """``value`` with dataclasses, tuples and NumPy scalars/arrays turned into JSON types."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return jsonable(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def save(
    name: str,
    config: Any,
    metrics: dict[str, Any],
    arrays: dict[str, np.ndarray] | None = None,
    directory: Path | str | None = None,
    *,
    experiment: str | None = None,
) -> Path:
    """Write a summary; returns the JSON path. ``config`` may be a dataclass or a dict.
    ``experiment``: the experiment that produced it, when ``name`` is not that experiment's."""
    name = _check_name(name)
    folder = Path(directory) if directory is not None else RESULTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    payload = {
        "name": name,
        "experiment": _check_name(experiment) if experiment is not None else name,
        "version": chapter_code.__version__,
        "config": jsonable(config),
        "metrics": jsonable(metrics),
        "arrays": sorted(arrays) if arrays else [],
    }
    path = folder / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")
    if arrays:
        stored: dict[str, Any] = {k: np.asarray(v) for k, v in arrays.items()}
        np.savez_compressed(folder / f"{name}.npz", **stored)
    return path


def load(name: str, directory: Path | str | None = None) -> Summary:
    """Read a summary written by :func:`save`; ``FileNotFoundError`` names the run command."""
    name = _check_name(name)
    folder = Path(directory) if directory is not None else RESULTS_DIR
    path = folder / f"{name}.json"
    if not path.is_file():
        raise FileNotFoundError(f"no saved result {path}; create it with `chapter-code run {name}`")
    payload = json.loads(path.read_text())
    arrays: dict[str, np.ndarray] = {}
    if payload["arrays"]:
        with np.load(folder / f"{name}.npz") as data:
            arrays = {k: data[k] for k in payload["arrays"]}
    return Summary(name=payload["name"], config=payload["config"], metrics=payload["metrics"],
                   arrays=arrays, version=payload["version"])
