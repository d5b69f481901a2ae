"""The chapter-code command line: list, run with --json, clear errors on bad input."""

import dataclasses
import json
import shlex
import subprocess
import sys

import pytest

from chapter_code import experiments
from chapter_code.cli import command_line, field_docs, main, parse_config

SMALL = ["--lengths", "4,6", "--n-seeds", "4", "--n-episodes", "60"]


@pytest.mark.unit
def test_list_names_every_registered_experiment(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in experiments.registry():
        assert name in out


@pytest.mark.unit
def test_run_json_prints_one_object_on_stdout(capsys):
    assert main(["run", "why-hierarchy", "--json", *SMALL]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert [row["length"] for row in metrics["per_length"]] == [4, 6]
    assert {"slope", "speedup_longest", "per_length"} <= metrics.keys()
    assert set(metrics["slope"]) == {"flat", "option"}


@pytest.mark.unit
def test_console_script_and_module_entry_point_agree():
    """`python -m chapter_code` and the `chapter-code` script run the same, deterministically."""
    args = ["run", "why-hierarchy", "--json", *SMALL]
    a = subprocess.run([sys.executable, "-m", "chapter_code", *args], capture_output=True,
                       text=True, check=True)
    b = subprocess.run(["chapter-code", *args], capture_output=True, text=True, check=True)
    assert json.loads(a.stdout) == json.loads(b.stdout)


@pytest.mark.unit
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "no-such-experiment"], "unknown experiment 'no-such-experiment'"),
        (["run", "why-hierarchy", "--alpha", "2"], "alpha must lie in (0, 1]"),
        (["run", "why-hierarchy", "--alpha", "fast"], "expected float"),
        (["run", "why-hierarchy", "--no-such-option", "1"], "unrecognized arguments"),
        (["frobnicate"], "invalid choice"),
        (["run"], "the experiment NAME is required"),
    ],
)
def test_bad_input_exits_non_zero_with_a_message(argv, message, capsys):
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = exit_.code
    assert code != 0
    assert message in capsys.readouterr().err


@pytest.mark.unit
def test_help_of_an_experiment_lists_its_config_fields(capsys):
    assert main(["run", "why-hierarchy", "--help"]) == 0
    out = capsys.readouterr().out
    for option in ("--lengths", "--n-seeds", "--seed", "--tolerance"):
        assert option in out
    assert "distance between landmarks" in out  # the field's docstring line
    assert main(["run", "--help"]) == 0
    assert "NAME" in capsys.readouterr().out


@pytest.mark.unit
def test_every_config_field_of_every_experiment_has_a_docstring_line():
    for name, experiment in experiments.registry().items():
        fields = {f.name for f in dataclasses.fields(experiment.config_type)}
        missing = fields - set(field_docs(experiment.config_type))
        assert not missing, f"{name}: config fields without a docstring line: {missing}"


@pytest.mark.unit
def test_run_rejects_unknown_overrides_from_python():
    with pytest.raises(ValueError, match="unknown option"):
        experiments.run("why-hierarchy", speed=3)


@pytest.mark.unit
def test_save_as_writes_the_summary_under_another_name(monkeypatch, tmp_path, capsys):
    from chapter_code import results

    monkeypatch.setattr(results, "RESULTS_DIR", tmp_path)
    assert main(["run", "why-hierarchy", "--save-as", "corridors-small", *SMALL]) == 0
    summary = results.load("corridors-small")
    assert summary.config["lengths"] == [4, 6]
    assert not (tmp_path / "why-hierarchy.json").exists()
    payload = json.loads((tmp_path / "corridors-small.json").read_text())
    assert payload["experiment"] == "why-hierarchy"


def parsed_config(name, command):
    """The config ``chapter-code run`` builds from a printed (wrapped) command line."""
    words = shlex.split(command.replace("\\\n", " "))
    assert words[:3] == ["chapter-code", "run", name]
    flags = words[3:]
    save_as = None
    if "--save-as" in flags:  # an option of `run`, not of the experiment's config
        at = flags.index("--save-as")
        save_as = flags[at + 1]
        del flags[at:at + 2]
    return parse_config(name, flags), save_as


@pytest.mark.unit
@pytest.mark.parametrize("name", sorted(experiments.registry()))
def test_command_line_parses_back_to_the_config_it_prints(name):
    config = experiments.get(name).config_type()
    options = {key: value for key, value in dataclasses.asdict(config).items()
               if not (isinstance(value, tuple) and value and isinstance(value[0], tuple))}
    command = command_line(name, options, width=60)
    assert all(len(line) <= 60 for line in command.splitlines()
               if " " in line.strip())  # only a single over-long flag may overrun
    assert parsed_config(name, command) == (config, None)


@pytest.mark.unit
def test_command_line_prints_changed_flags_tuples_and_booleans():
    options = {"rainy": True, "fickle": False, "seed": 3}
    command = command_line("maxq-taxi", options, save_as="taxi-rainy")
    assert command == "chapter-code run maxq-taxi --no-fickle --rainy --seed 3 --save-as taxi-rainy"
    config, save_as = parsed_config("maxq-taxi", command)
    assert (config.rainy, config.fickle, config.seed, save_as) == (True, False, 3, "taxi-rainy")
    config, _ = parsed_config("why-hierarchy", command_line("why-hierarchy", {"lengths": (4, 6)}))
    assert config.lengths == (4, 6)


@pytest.mark.unit
def test_command_line_rejects_bad_input():
    with pytest.raises(ValueError, match=r"no field \['speed'\] of why-hierarchy; allowed"):
        command_line("why-hierarchy", {"speed": 3})
    with pytest.raises(ValueError, match="unknown experiment|no experiment"):
        command_line("no-such-experiment", {})
    with pytest.raises(ValueError, match=r"options\['goals'\] is a tuple of tuples"):
        command_line("four-rooms", {"goals": ((1, 2), (3, 4))})
    with pytest.raises(ValueError, match="width"):
        command_line("why-hierarchy", {}, width=10)
    with pytest.raises(ValueError, match="name must match"):
        command_line("why-hierarchy", {}, save_as="Results/x")


@pytest.mark.unit
def test_parse_config_builds_the_config_the_run_uses():
    config = parse_config("why-hierarchy", ["--lengths", "4,6", "--n-seeds", "4"])
    assert config == experiments.get("why-hierarchy").config_type(lengths=(4, 6), n_seeds=4)
    with pytest.raises(ValueError, match="no-such-experiment"):
        parse_config("no-such-experiment", [])
    with pytest.raises(ValueError, match="n_seeds"):
        parse_config("why-hierarchy", ["--n-seeds", "0"])
