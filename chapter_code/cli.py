"""The ``chapter-code`` command: list experiments, run one, print or save its headline numbers."""

from __future__ import annotations

import argparse
import ast
import dataclasses
import functools
import inspect
import json
import shlex
import sys
import textwrap
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from tqdm.auto import tqdm

from chapter_code import experiments, results
from chapter_code._checks import check_int
from chapter_code.allocator import keep_freed_memory


def _parse_value(text: str, kind: Any) -> Any:
    origin = typing.get_origin(kind)
    if origin is tuple:
        item = typing.get_args(kind)[0]
        return tuple(_parse_value(part, item) for part in text.split(",") if part)
    try:
        return kind(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"expected {kind.__name__}, got {text!r}") from err


def field_docs(config_type: type) -> dict[str, str]:
    """The one-line docstring written under each field of a config dataclass (and of the config
    dataclasses it extends), by field name."""
    docs: dict[str, str] = {}
    for cls in reversed(config_type.__mro__):
        if not dataclasses.is_dataclass(cls):
            continue
        tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
        body = tree.body[0].body if isinstance(tree.body[0], ast.ClassDef) else []
        for node, following in zip(body, body[1:], strict=False):
            if (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
                    and isinstance(following, ast.Expr)
                    and isinstance(following.value, ast.Constant)
                    and isinstance(following.value.value, str)):
                docs[node.target.id] = " ".join(following.value.value.split())
    return docs


def _config_parser(experiment: experiments.Experiment) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"chapter-code run {experiment.name}",
                                     description=experiment.summary)
    hints = typing.get_type_hints(experiment.config_type)
    docs = field_docs(experiment.config_type)
    for field in dataclasses.fields(experiment.config_type):
        kind = hints[field.name]
        flag = f"--{field.name.replace('_', '-')}"
        help_text = f"{docs.get(field.name, '')} (default: {field.default!r})".strip()
        if kind is bool:  # --name / --no-name
            parser.add_argument(flag, dest=field.name, default=argparse.SUPPRESS,
                                action=argparse.BooleanOptionalAction, help=help_text)
        else:
            parser.add_argument(flag, dest=field.name, default=argparse.SUPPRESS,
                                type=functools.partial(_parse_value, kind=kind), help=help_text)
    return parser


def parse_config(name: str, argv: Sequence[str]) -> Any:
    """The config ``chapter-code run NAME ARGV...`` runs: the experiment's options parsed from
    ``argv`` (``--save-as``, ``--json`` and ``--save`` excluded) and checked by its config class."""
    experiment = experiments.get(name)
    return experiment.config_type(**vars(_config_parser(experiment).parse_args(argv)))


def _flag_value(key: str, value: Any) -> str:
    if not isinstance(value, tuple | list):
        return str(value)
    if any(isinstance(item, tuple | list) for item in value):
        raise ValueError(f"options[{key!r}] is a tuple of tuples, which the command line cannot "
                         f"set, got {value!r}")
    return ",".join(str(item) for item in value)


def command_line(name: str, options: Mapping[str, Any], *, save_as: str | None = None,
                 width: int = 88) -> str:
    """The ``chapter-code run`` command that runs experiment ``name`` with ``options`` (option
    -> value, e.g. a saved run's config): flags in the config's field order, then
    ``--save-as``, wrapped at ``width`` characters with backslash continuations."""
    experiment = experiments.get(name)
    fields = [field.name for field in dataclasses.fields(experiment.config_type)]
    unknown = sorted(set(options) - set(fields))
    if unknown:
        raise ValueError(f"options has no field {unknown} of {name}; allowed: {fields}")
    check_int("width", width, minimum=40)
    words = [f"--{key.replace('_', '-')} {shlex.quote(_flag_value(key, options[key]))}"
             if not isinstance(options[key], bool)
             else f"--{'' if options[key] else 'no-'}{key.replace('_', '-')}"
             for key in fields if key in options]
    if save_as is not None:
        words.append(f"--save-as {results.check_name(save_as)}")
    lines = [f"chapter-code run {name}"]
    for word in words:
        if len(lines[-1]) + len(word) + 3 > width:  # room for " " and " \\"
            lines[-1] += " \\"
            lines.append("  " + word)
        else:
            lines[-1] += " " + word
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``chapter-code`` and ``python -m chapter_code``; returns the exit code."""
    parser = argparse.ArgumentParser(prog="chapter-code",
                                     description="Run the book's experiments.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the experiments")
    run_parser = sub.add_parser("run", help="run one experiment", add_help=False,
                                epilog="Experiment options: chapter-code run NAME --help")
    run_parser.add_argument("name", nargs="?", help="an experiment from `chapter-code list`")
    run_parser.add_argument("-h", "--help", action="store_true",
                            help="show this help, or with NAME the experiment's options")
    run_parser.add_argument("--json", action="store_true",
                            help="print the headline metrics as one JSON object on stdout")
    run_parser.add_argument("--save", action="store_true",
                            help="save the summary to results/NAME.json (+ .npz)")
    run_parser.add_argument("--save-as", metavar="RESULT",
                            help="save the summary to results/RESULT.json (+ .npz) instead")
    args, rest = parser.parse_known_args(argv)

    if args.command == "list":
        if rest:
            parser.error(f"unrecognized arguments: {' '.join(rest)}")
        for name, experiment in experiments.registry().items():
            print(f"{name:24s} {experiment.summary}")
        return 0

    if args.name is None:
        if args.help:
            run_parser.print_help()
            return 0
        run_parser.error("the experiment NAME is required (see `chapter-code list`)")
    try:
        experiment = experiments.get(args.name)
    except ValueError as err:
        parser.error(str(err))
    if args.help:
        _config_parser(experiment).print_help()
        return 0
    try:
        config = parse_config(args.name, rest)
    except (TypeError, ValueError) as err:
        print(f"chapter-code run {args.name}: error: {err}", file=sys.stderr)
        return 2

    def progress(iterable: Any = None, **kwargs: Any) -> tqdm:
        return tqdm(iterable, file=sys.stderr, **kwargs)

    # a saved run stores a reduced-size run of the same code, made before the full one
    fingerprint = results.fingerprint(experiment, config) if args.save or args.save_as else None
    keep_freed_memory()  # speed only: large torch tensors reuse freed heap memory
    output = experiment.run(config, progress)
    if args.save or args.save_as:
        path = results.save(args.save_as or args.name, config, output.metrics, output.arrays,
                            experiment=args.name, fingerprint=fingerprint,
                            commits=output.commits)
        print(f"saved {path}", file=sys.stderr)
    if args.json:
        print(json.dumps(results.jsonable(output.metrics), sort_keys=True))
    else:
        for key, value in results.jsonable(output.metrics).items():
            print(f"{key}: {json.dumps(value)}")
    return 0
