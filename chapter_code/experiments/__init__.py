"""Experiments behind the notebooks, one module each, found by name.

Each module defines ``EXPERIMENT = Experiment(...)``: a frozen, validated config dataclass and a
``run(config, progress) -> Output``: nested ``metrics`` (printed by ``chapter-code run NAME
--json``), ``arrays`` (saved to ``results/`` beside them) and in-memory ``objects`` (trained
models a notebook may draw; never saved).
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tqdm.auto import tqdm

ProgressFactory = Callable[..., tqdm]


@dataclass(frozen=True)
class Output:
    """What an experiment returns.

    ``metrics``: a tree of dicts (string keys) and lists whose leaves are numbers, strings or
    booleans, nested by what they describe (``metrics["per_goal"]["G1"]["speedup"]["smdp"]``)
    rather than by keys built from strings. ``arrays``: name -> array, saved beside the
    metrics. ``objects``: anything else a notebook may use from a live run (trained models);
    never saved. ``commits``: the commit of the code that ran each part of a run resumed from a
    checkpoint, oldest first (empty: the run is all the saving code's).
    """

    metrics: dict[str, Any]
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    objects: dict[str, Any] = field(default_factory=dict)
    commits: tuple[str | None, ...] = ()


@dataclass(frozen=True)
class Experiment:
    """A named, runnable experiment: ``config_type`` is a frozen dataclass of its options.

    ``fingerprint``: config overrides of a reduced-size run (seconds) of the same code path, or
    a function from the full run's config (as stored: a dict) to them; a saved full run stores
    that run's numbers beside its own (:func:`chapter_code.results.save`) so a test can tell
    whether the code still produces them. ``None``: no fingerprint (the experiment is cheap
    enough to regenerate in full).
    """

    name: str
    summary: str
    config_type: type
    run: Callable[[Any, ProgressFactory], Output]
    fingerprint: (Mapping[str, Any] | Callable[[Mapping[str, Any]], Mapping[str, Any]]
                  | None) = None


def _silent_progress(iterable: Any = None, **kwargs: Any) -> tqdm:
    return tqdm(iterable, disable=True, **kwargs)


def registry() -> dict[str, Experiment]:
    """Every experiment in this package, by name (modules defining ``EXPERIMENT``)."""
    found: dict[str, Experiment] = {}
    for module_info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        experiment = getattr(module, "EXPERIMENT", None)
        if isinstance(experiment, Experiment):
            found[experiment.name] = experiment
    return dict(sorted(found.items()))


def get(name: str) -> Experiment:
    """The experiment called ``name``; ``ValueError`` lists the known names otherwise."""
    experiments = registry()
    if name not in experiments:
        raise ValueError(f"unknown experiment {name!r}; known: {', '.join(experiments)}")
    return experiments[name]


def run(name: str, progress: ProgressFactory | None = None, **overrides: Any) -> Output:
    """Run experiment ``name`` with its default config updated by ``overrides``."""
    experiment = get(name)
    fields = {f.name for f in dataclasses.fields(experiment.config_type)}
    unknown = sorted(set(overrides) - fields)
    if unknown:
        raise ValueError(f"unknown option(s) {unknown} for {name!r}; allowed: {sorted(fields)}")
    config = experiment.config_type(**overrides)
    return experiment.run(config, progress or _silent_progress)
