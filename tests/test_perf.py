"""Reading the benchmark ratios back from their saved files."""

import json

import pytest

from chapter_code.perf import is_ratio, numeric_leaves, saved_ratios


@pytest.mark.unit
def test_numeric_leaves_flattens_nested_numbers_and_skips_booleans():
    tree = {"a": 1, "b": {"c": 2.5, "d": True, "e": "text"}, "f": [1, 2]}
    assert list(numeric_leaves(tree)) == [("a", 1.0), ("b.c", 2.5)]


@pytest.mark.unit
def test_is_ratio_names():
    assert is_ratio("ratios.higher_over_ours") and is_ratio("results.mdp_n10.ratio")
    assert is_ratio("ratio_fast_vs_reference") and is_ratio("cost_per_step_maxq_vs_flat_q")
    assert not is_ratio("timings.ours.seconds_per_iteration")  # "iteration" holds "ratio"
    assert not is_ratio("target_ratio_at_least")


@pytest.mark.unit
def test_saved_ratios_reads_a_directory(tmp_path):
    (tmp_path / "b_speed.json").write_text(json.dumps({"ratios": {"x_over_y": 3.0}, "n": 5}))
    (tmp_path / "a_speed.json").write_text(json.dumps({"ratio_fast_vs_reference": 2.0}))
    assert saved_ratios(tmp_path) == [("benchmarks/a_speed.py", "ratio_fast_vs_reference", 2.0),
                                      ("benchmarks/b_speed.py", "ratios.x_over_y", 3.0)]
    with pytest.raises(ValueError, match="does not exist"):
        saved_ratios(tmp_path / "missing")


@pytest.mark.unit
def test_the_repository_benchmarks_all_save_positive_ratios():
    rows = saved_ratios()
    assert rows and all(value > 0 for _, _, value in rows)


@pytest.mark.unit
def test_write_report_saves_json_and_prints_the_ratios(tmp_path, capsys):
    from chapter_code.perf import write_report

    path = tmp_path / "sub" / "bench.json"
    write_report(path, {"ratio_fast_vs_slow": 12.5, "targets": {"ratio_at_least": 10},
                        "steps_per_s": {"fast": 100.0}})
    assert json.loads(path.read_text())["steps_per_s"] == {"fast": 100.0}
    assert capsys.readouterr().out == "ratio_fast_vs_slow: 12.5\n"
    with pytest.raises(TypeError, match="report"):
        write_report(path, [1, 2])
