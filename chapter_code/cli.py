"""The ``chapter-code`` command: list experiments, run one, print or save its headline numbers."""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import sys
import typing
from collections.abc import Sequence
from typing import Any

from tqdm.auto import tqdm

from chapter_code import experiments, results


def _parse_value(text: str, kind: Any) -> Any:
    origin = typing.get_origin(kind)
    if origin is tuple:
        item = typing.get_args(kind)[0]
        return tuple(_parse_value(part, item) for part in text.split(",") if part)
    if kind is bool:
        if text.lower() not in ("true", "false", "1", "0"):
            raise argparse.ArgumentTypeError(f"expected true/false, got {text!r}")
        return text.lower() in ("true", "1")
    try:
        return kind(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"expected {kind.__name__}, got {text!r}") from err


def _config_parser(experiment: experiments.Experiment) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"chapter-code run {experiment.name}",
                                     description=experiment.summary)
    hints = typing.get_type_hints(experiment.config_type)
    for field in dataclasses.fields(experiment.config_type):
        kind = hints[field.name]
        parser.add_argument(
            f"--{field.name.replace('_', '-')}", dest=field.name, default=argparse.SUPPRESS,
            type=functools.partial(_parse_value, kind=kind),
            help=f"default: {field.default!r}",
        )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``chapter-code`` and ``python -m chapter_code``; returns the exit code."""
    parser = argparse.ArgumentParser(prog="chapter-code",
                                     description="Run the book's experiments.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the experiments")
    run_parser = sub.add_parser("run", help="run one experiment",
                                epilog="Experiment options: chapter-code run NAME --help")
    run_parser.add_argument("name")
    run_parser.add_argument("--json", action="store_true",
                            help="print the headline metrics as one JSON object on stdout")
    run_parser.add_argument("--save", action="store_true",
                            help="save the summary to results/NAME.json (+ .npz)")
    args, rest = parser.parse_known_args(argv)

    if args.command == "list":
        if rest:
            parser.error(f"unrecognized arguments: {' '.join(rest)}")
        for name, experiment in experiments.registry().items():
            print(f"{name:24s} {experiment.summary}")
        return 0

    try:
        experiment = experiments.get(args.name)
    except ValueError as err:
        parser.error(str(err))
    overrides = vars(_config_parser(experiment).parse_args(rest))
    try:
        config = experiment.config_type(**overrides)
    except (TypeError, ValueError) as err:
        print(f"chapter-code run {args.name}: error: {err}", file=sys.stderr)
        return 2

    def progress(iterable: Any = None, **kwargs: Any) -> tqdm:
        return tqdm(iterable, file=sys.stderr, **kwargs)

    output = experiment.run(config, progress)
    if args.save:
        path = results.save(args.name, config, output["metrics"], output.get("arrays"))
        print(f"saved {path}", file=sys.stderr)
    if args.json:
        print(json.dumps(output["metrics"], sort_keys=True))
    else:
        for key, value in output["metrics"].items():
            print(f"{key}: {value}")
    return 0
