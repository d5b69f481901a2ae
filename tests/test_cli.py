"""The chapter-code command line: list, run with --json, clear errors on bad input."""

import dataclasses
import json
import subprocess
import sys

import pytest

from chapter_code import experiments
from chapter_code.cli import field_docs, main

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
