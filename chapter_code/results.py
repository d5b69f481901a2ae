"""Small experiment summaries on disk: ``results/NAME.json`` (+ ``results/NAME.npz`` for arrays).

The JSON file holds the config, the seed, the package version, the git commit and the scalar
metrics; arrays go into the NPZ beside it. Notebooks load these instead of re-running long
experiments. An experiment that defines a ``fingerprint`` (a reduced-size config) also has
that small run made and stored with the summary, so a test can rerun it with today's code and
tell a stale summary from a current one (:func:`stale_fingerprint`).

Same seed, same code and same processor give the same numbers; another processor model may
not, because NumPy and torch choose vector kernels by CPU and kernels of different widths sum
in different orders (a few training steps can amplify the last bit into a different run). So
a fingerprint belongs to the processor model that made it (:func:`processor`), and a summary
may hold fingerprints made on other models by :func:`record_processor_fingerprint`.
"""

from __future__ import annotations

import dataclasses
import json
import platform
import re
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

import chapter_code

if TYPE_CHECKING:
    from chapter_code.experiments import Experiment

RESULTS_DIR = Path(__file__).resolve().parent.parent / "results"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


@dataclasses.dataclass(frozen=True)
class Summary:
    """A saved result: ``name``, ``config`` (dict), ``metrics`` (JSON scalars/lists),
    ``arrays`` (name -> ndarray), the ``version`` of chapter_code that wrote it, the
    ``experiment`` that produced it (its name, unless saved under another) and the
    ``commits`` of the code that ran it (more than one for a run resumed by newer code)."""

    name: str
    config: dict[str, Any]
    metrics: dict[str, Any]
    arrays: dict[str, np.ndarray]
    version: str
    experiment: str = ""
    commits: tuple[str | None, ...] = ()


def check_name(name: str) -> str:
    """``name`` if it can name a saved run (lower-case letters, digits, ".", "_", "-"; no
    slashes), else ``ValueError``."""
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


def git_commit() -> str | None:
    """The commit of the source tree ``chapter_code`` is imported from, with ``+dirty`` when
    files under ``chapter_code/`` differ from it; ``None`` outside a git checkout."""
    root = Path(chapter_code.__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], check=True,
                              capture_output=True, text=True).stdout.strip()
        changed = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--",
                                  "chapter_code"], check=True, capture_output=True,
                                 text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("+dirty" if changed else "")


def config_kwargs(stored: Mapping[str, Any]) -> dict[str, Any]:
    """A config stored as JSON back as keyword arguments of its dataclass (lists -> tuples)."""
    return {key: tuple(value) if isinstance(value, list) else value
            for key, value in stored.items()}


def _untimed(key: str) -> bool:
    return "seconds" not in key  # wall-clock numbers differ from run to run


def _without_timings(tree: Any) -> Any:
    """``tree`` without the dict entries, at any depth, whose key names a wall-clock time."""
    if isinstance(tree, dict):
        return {k: _without_timings(v) for k, v in tree.items() if _untimed(k)}
    return tree


def array_digest(value: np.ndarray) -> dict[str, Any]:
    """A few numbers that stand for an array: its shape, sum, Euclidean norm and up to 8
    entries evenly spaced through its flattened values."""
    flat = np.asarray(value, dtype=float).ravel()
    picks = np.unique(np.linspace(0, flat.size - 1, num=min(8, flat.size)).astype(int))
    return {"shape": list(np.shape(value)), "sum": float(flat.sum()),
            "norm": float(np.linalg.norm(flat)), "sample": flat[picks].tolist()}


def processor() -> str:
    """The processor model this process runs on, e.g. ``"x86_64 GenuineIntel family 6 model
    106"`` (Linux's /proc/cpuinfo), or the architecture and ``platform.processor()``
    elsewhere: what, besides the code and the seed, decides a run's float results."""
    fields: dict[str, str] = {}
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            key, _, value = (part.strip() for part in line.partition(":"))
            fields.setdefault(key, value)
    if all(fields.get(key) for key in ("vendor_id", "cpu family", "model")):
        return (f"{platform.machine()} {fields['vendor_id']} family {fields['cpu family']} "
                f"model {fields['model']}")
    return f"{platform.machine()} {platform.processor() or 'unknown'}".strip()


def fingerprint(experiment: str | Experiment, config: Any, *, full: bool = False
                ) -> dict[str, Any] | None:
    """The reduced-size run that stands for a full run of ``experiment`` (an experiment or its
    name) with ``config``: the config updated by the experiment's ``fingerprint`` overrides
    (``full``: the config itself, for an experiment that runs in seconds), run now with one
    torch intra-op thread (restored afterwards); returns that config, its metrics and a digest
    of each array (wall-clock timings left out), the commit that ran it and the
    :func:`processor`. ``None`` if the experiment defines no fingerprint and ``full`` is
    false. Make it before the full run (as ``chapter-code run --save`` does), so both come
    from the same loaded code."""
    import torch

    from chapter_code import experiments

    found = experiments.get(experiment) if isinstance(experiment, str) else experiment
    if found.fingerprint is None and not full:
        return None
    full_config = jsonable(config)
    overrides = ({} if full or found.fingerprint is None else
                 found.fingerprint(full_config) if callable(found.fingerprint)
                 else found.fingerprint)
    # bookkeeping options take their defaults: a fingerprint never touches the run's checkpoint
    reduced = without_bookkeeping({**full_config, **jsonable(dict(overrides))}, found.config_type)
    reduced_config = found.config_type(**config_kwargs(reduced))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # float reductions are ordered by the thread count
    try:
        output = found.run(reduced_config, _silent)
    finally:
        torch.set_num_threads(threads)
    return {
        "config": jsonable(reduced_config),
        "metrics": _without_timings(jsonable(output.metrics)),
        "arrays": {k: array_digest(v) for k, v in sorted(output.arrays.items()) if _untimed(k)},
        "git_commit": git_commit(),
        "processor": processor(),
        "full": full,
    }


def _silent(iterable: Any = None, **kwargs: Any) -> Any:
    return iterable


def _summary_file(name: str, directory: Path | str | None) -> tuple[Path, dict[str, Any]]:
    """The JSON file of summary ``name`` in ``directory`` (default ``results/``) and its
    contents."""
    folder = Path(directory) if directory is not None else RESULTS_DIR
    path = folder / f"{check_name(name)}.json"
    return path, json.loads(path.read_text())


def stale_fingerprint(
    name: str, directory: Path | str | None = None, *, rtol: float = 1e-5
) -> list[str]:
    """Where today's code disagrees with the fingerprint stored in summary ``name``: the
    fingerprint run is made again and every metric and array digest compared to relative
    tolerance ``rtol``; returns the differing entries (empty: the summary is current). The
    fingerprint compared is the one recorded on this :func:`processor` model if the summary
    holds one, else the one saved with it. Config options the summary predates are left out of
    the comparison: they take their defaults. ``ValueError`` if the summary stores no
    fingerprint."""
    _, payload = _summary_file(name, directory)
    stored = payload.get("processor_fingerprints", {}).get(processor(), payload.get("fingerprint"))
    if stored is None:
        raise ValueError(f"summary {name!r} stores no fingerprint; rerun it with "
                         f"`chapter-code run {payload.get('experiment', name)} --save`")
    fresh = fingerprint(payload.get("experiment", name), payload["config"],
                        full=stored.get("full", False))
    if fresh is None:
        return ["the experiment no longer defines a fingerprint"]
    # an option added since the save runs at its default, which the rerun below checks
    # reproduces the stored numbers
    fresh_config = {k: v for k, v in fresh["config"].items() if k in stored["config"]}
    differences = [] if fresh_config == stored["config"] else ["config"]
    for part in ("metrics", "arrays"):
        old, new = _flat(stored[part], part), _flat(fresh[part], part)
        differences += sorted(set(old) ^ set(new))
        differences += [key for key in sorted(set(old) & set(new))
                        if not _close(old[key], new[key], rtol,
                                      _scale(stored[part], key) if part == "arrays" else 0.0)]
    made_on = stored.get("processor", "a processor model not recorded")
    if differences and made_on != fresh["processor"]:
        differences.append(f"(the fingerprint was made on {made_on}, this is "
                           f"{fresh['processor']}: if the code is unchanged, see "
                           f"record_processor_fingerprint)")
    return differences


def record_processor_fingerprint(name: str, directory: Path | str | None = None, *,
                                 full: bool = False) -> dict[str, Any]:
    """Make summary ``name``'s fingerprint run on this :func:`processor` model and store it in
    the summary beside the others (``full``: the whole saved config, for an experiment that
    runs in seconds and defines no reduced size); returns it. Only for code that still passes
    the summary's fingerprint on the model that made it: the record vouches for nothing else."""
    path, payload = _summary_file(name, directory)
    made = fingerprint(payload.get("experiment", name), payload["config"], full=full)
    if made is None:
        raise ValueError(f"experiment {payload.get('experiment', name)!r} defines no "
                         f"fingerprint; pass full=True to fingerprint the whole run")
    payload.setdefault("processor_fingerprints", {})[made["processor"]] = jsonable(made)
    path.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")
    return made


def _flat(tree: Any, prefix: str) -> dict[str, Any]:
    """Nested dicts and lists as one dict path -> leaf."""
    if isinstance(tree, dict):
        return {k: v for key, value in tree.items()
                for k, v in _flat(value, f"{prefix}/{key}").items()}
    if isinstance(tree, list):
        return {k: v for i, value in enumerate(tree)
                for k, v in _flat(value, f"{prefix}[{i}]").items()}
    return {prefix: tree}


def _scale(digests: Mapping[str, Any], key: str) -> float:
    """The scale an entry of an array digest ("arrays/NAME/sample[i]" or ".../sum") is compared
    at: a sampled entry near zero at the array's root mean square, a sum near zero (a centred
    array's) at its norm, the size of the summed rounding errors; 0 for other entries."""
    parts = key.split("/")
    digest = digests.get(parts[1]) if len(parts) == 3 else None
    if not isinstance(digest, Mapping) or not digest.get("shape"):
        return 0.0
    norm = float(digest["norm"])
    if parts[2] == "sum":
        return norm
    return norm / np.sqrt(np.prod(digest["shape"])) if parts[2].startswith("sample") else 0.0


def _close(a: Any, b: Any, rtol: float, scale: float = 0.0) -> bool:
    """a equals b (not numbers), or |a − b| ≤ rtol · (|b| + scale)."""
    if isinstance(a, bool) or isinstance(b, bool) or not isinstance(a, int | float) \
            or not isinstance(b, int | float):
        return bool(a == b)
    return bool(np.isclose(a, b, rtol=rtol, atol=max(1e-12, rtol * scale), equal_nan=True))


def save(
    name: str,
    config: Any,
    metrics: dict[str, Any],
    arrays: dict[str, np.ndarray] | None = None,
    directory: Path | str | None = None,
    *,
    experiment: str | None = None,
    fingerprint: Mapping[str, Any] | None = None,
    commits: Sequence[str | None] = (),
) -> Path:
    """Write a summary; returns the JSON path. ``config`` may be a dataclass or a dict.
    ``experiment``: the experiment that produced it, when ``name`` is not that experiment's.
    ``fingerprint``: the experiment's :func:`fingerprint` run, stored with the summary.
    ``commits``: the commits of the code that ran each part of a resumed run (the saving
    code's, ``git_commit``, is stored as well). A
    config dataclass's :func:`bookkeeping` options are not stored: they never change the
    numbers, and a stored checkpoint file would be read by a rerun of the config."""
    name = check_name(name)
    folder = Path(directory) if directory is not None else RESULTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    payload = {
        "name": name,
        "experiment": check_name(experiment) if experiment is not None else name,
        "version": chapter_code.__version__,
        "git_commit": git_commit(),
        "config": without_bookkeeping(jsonable(config), type(config)),
        "metrics": jsonable(metrics),
        "arrays": sorted(arrays) if arrays else [],
    }
    if fingerprint is not None:
        payload["fingerprint"] = jsonable(dict(fingerprint))
    if commits:
        payload["git_commits"] = list(commits)
    path = folder / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")
    if arrays:
        stored: dict[str, Any] = {k: np.asarray(v) for k, v in arrays.items()}
        np.savez_compressed(folder / f"{name}.npz", **stored)
    return path


def load(name: str, directory: Path | str | None = None) -> Summary:
    """Read a summary written by :func:`save`; ``FileNotFoundError`` names the run command."""
    name = check_name(name)
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
                   arrays=arrays, version=payload["version"],
                   experiment=payload.get("experiment", payload["name"]),
                   commits=tuple(payload.get("git_commits", [payload.get("git_commit")])))


def bookkeeping(config_type: type) -> tuple[str, ...]:
    """The options of a config class that change how a run is carried out, never its numbers
    (its ``BOOKKEEPING`` class attribute, e.g. a checkpoint file): a fingerprint run takes their
    defaults, and :func:`changed_options` leaves them out."""
    return tuple(getattr(config_type, "BOOKKEEPING", ()))


def without_bookkeeping(options: Mapping[str, Any], config_type: type) -> dict[str, Any]:
    """``options`` less the :func:`bookkeeping` options of ``config_type``."""
    return {k: v for k, v in options.items() if k not in bookkeeping(config_type)}


def changed_options(run: Summary, reference: Summary) -> set[str]:
    """The options whose values differ between two saved runs of one experiment, leaving out
    :func:`bookkeeping` ones. An option missing from a run's config (the run predates it)
    counts at the option's default, the value that reproduces the older behaviour."""
    if run.experiment != reference.experiment:
        raise ValueError(f"run and reference must come from one experiment, got "
                         f"{run.experiment!r} and {reference.experiment!r}")
    from chapter_code import experiments

    config_type = experiments.get(run.experiment).config_type
    defaults = {field.name: jsonable(field.default) for field in dataclasses.fields(config_type)
                if field.default is not dataclasses.MISSING}
    ours = without_bookkeeping({**defaults, **run.config}, config_type)
    theirs = without_bookkeeping({**defaults, **reference.config}, config_type)
    return {key for key in ours.keys() | theirs.keys() if ours.get(key) != theirs.get(key)}
