"""Saving and loading experiment summaries."""

import dataclasses
import json
import platform

import numpy as np
import pytest
import torch

import chapter_code
from chapter_code import experiments, results
from chapter_code.experiments.maml_nav import MamlNavConfig
from chapter_code.experiments.why_hierarchy import WhyHierarchyConfig


@pytest.mark.unit
def test_round_trip_keeps_config_metrics_arrays_and_version(tmp_path):
    config = WhyHierarchyConfig(lengths=(4, 8), n_seeds=3)
    arrays = {"curve": np.arange(6).reshape(2, 3), "x": np.linspace(0, 1, 4)}
    path = results.save("demo", config, {"speedup": np.float64(2.5), "n": np.int64(3)},
                        arrays, directory=tmp_path)
    payload = json.loads(path.read_text())
    assert payload["version"] == chapter_code.__version__
    loaded = results.load("demo", directory=tmp_path)
    assert loaded.config["lengths"] == [4, 8] and loaded.config["n_seeds"] == 3
    assert loaded.metrics == {"speedup": 2.5, "n": 3}
    for key, value in arrays.items():
        np.testing.assert_array_equal(loaded.arrays[key], value)


@pytest.mark.unit
def test_a_summary_keeps_the_commits_of_a_resumed_run(tmp_path, monkeypatch):
    monkeypatch.setattr(results, "git_commit", lambda: "c3")
    results.save("one-part", WhyHierarchyConfig(), {"n": 1}, directory=tmp_path)
    results.save("resumed", WhyHierarchyConfig(), {"n": 1}, directory=tmp_path,
                 commits=("c1", "c2", "c3"))
    assert results.load("one-part", directory=tmp_path).commits == ("c3",)
    assert results.load("resumed", directory=tmp_path).commits == ("c1", "c2", "c3")


@pytest.mark.unit
def test_changed_options_fills_an_older_run_with_the_option_defaults(tmp_path):
    newer = dataclasses.asdict(WhyHierarchyConfig(n_seeds=5))
    older = {k: v for k, v in dataclasses.asdict(WhyHierarchyConfig()).items() if k != "seed"}
    results.save("newer", newer, {}, directory=tmp_path, experiment="why-hierarchy")
    results.save("older", older, {}, directory=tmp_path, experiment="why-hierarchy")
    results.save("other", {}, {}, directory=tmp_path, experiment="sinusoid")
    newer_run, older_run = (results.load(n, directory=tmp_path) for n in ("newer", "older"))
    assert older_run.experiment == "why-hierarchy"
    # "seed" is missing from the older run and counts at its default; tuples meet JSON lists
    assert results.changed_options(newer_run, older_run) == {"n_seeds"}
    assert results.changed_options(older_run, older_run) == set()
    moved = results.load("newer", directory=tmp_path)
    moved.config["seed"] = WhyHierarchyConfig().seed + 1
    assert results.changed_options(moved, older_run) == {"n_seeds", "seed"}
    with pytest.raises(ValueError, match="one experiment"):
        results.changed_options(newer_run, results.load("other", directory=tmp_path))


@pytest.mark.unit
def test_changed_options_leaves_out_bookkeeping_options(tmp_path):
    from chapter_code.experiments.rl2_bandit import RL2BanditConfig

    assert results.bookkeeping(RL2BanditConfig) == ("checkpoint", "checkpoint_every")
    assert results.bookkeeping(WhyHierarchyConfig) == ()
    assert results.without_bookkeeping({"checkpoint": "x.pt", "lr": 1e-3}, RL2BanditConfig) == {
        "lr": 1e-3}
    plain = dataclasses.asdict(RL2BanditConfig())
    resumable = {**plain, "checkpoint": "results/checkpoints/x.pt", "checkpoint_every": 5,
                 "lr": 1e-3}
    results.save("plain", plain, {}, directory=tmp_path, experiment="rl2-bandit")
    results.save("resumable", resumable, {}, directory=tmp_path, experiment="rl2-bandit")
    runs = [results.load(n, directory=tmp_path) for n in ("resumable", "plain")]
    assert results.changed_options(*runs) == {"lr"}


@pytest.mark.unit
def test_missing_result_names_the_command(tmp_path):
    with pytest.raises(FileNotFoundError, match="chapter-code run nothing-here"):
        results.load("nothing-here", directory=tmp_path)


@pytest.mark.unit
@pytest.mark.parametrize("name", ["../escape", "Upper", "", "a/b"])
def test_bad_names_are_rejected(name, tmp_path):
    with pytest.raises(ValueError, match="name must match"):
        results.save(name, {}, {}, directory=tmp_path)


@pytest.mark.determinism
def test_a_saved_run_stores_a_fingerprint_that_detects_a_changed_result(tmp_path):
    """maml-nav defines a fingerprint: saving a (tiny) run with it stores the reduced-size
    run's numbers and the commit; rerunning it agrees, and a changed number is reported."""
    config = MamlNavConfig(n_iterations=2, meta_batch=2, n_trajectories=2, n_eval_tasks=2,
                           methods=("maml",))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the fingerprint runs: float reductions follow the threads
    try:
        output = experiments.run("maml-nav", **dataclasses.asdict(config))
    finally:
        torch.set_num_threads(threads)
    path = results.save("tiny-nav", config, output.metrics, output.arrays,
                        directory=tmp_path, experiment="maml-nav",
                        fingerprint=results.fingerprint("maml-nav", config))
    payload = json.loads(path.read_text())
    stored = payload["fingerprint"]
    assert stored["config"]["n_iterations"] == 2 and "git_commit" in payload
    assert "maml_seconds" not in stored["arrays"] and "maml_after" in stored["arrays"]
    assert stored["metrics"]["return"]["maml"]["mean"] == pytest.approx(
        output.metrics["return"]["maml"]["mean"], rel=1e-5)
    assert "seconds_per_iteration" not in stored["metrics"]
    assert results.stale_fingerprint("tiny-nav", tmp_path) == []
    # an option added after the save is absent from both stored configs and takes its default
    del payload["config"]["seed"], stored["config"]["seed"]
    path.write_text(json.dumps(payload))
    assert results.stale_fingerprint("tiny-nav", tmp_path) == []
    stored["config"]["n_eval_tasks"] += 1
    path.write_text(json.dumps(payload))
    assert results.stale_fingerprint("tiny-nav", tmp_path) == ["config"]
    stored["config"]["n_eval_tasks"] -= 1
    stored["metrics"]["return"]["maml"]["mean"][1] += 1e-3
    stored["arrays"]["maml_param_log_std"]["sum"] *= 1.001
    path.write_text(json.dumps(payload))
    assert sorted(results.stale_fingerprint("tiny-nav", tmp_path)) == [
        "arrays/maml_param_log_std/sum", "metrics/return/maml/mean[1]"]
    # a fingerprint recorded on this processor model is the one compared here
    recorded = results.record_processor_fingerprint("tiny-nav", tmp_path)
    assert recorded["processor"] == results.processor()
    assert results.stale_fingerprint("tiny-nav", tmp_path) == []
    payload = json.loads(path.read_text())
    payload["processor_fingerprints"][results.processor()]["metrics"]["oracle_return"] += 1.0
    path.write_text(json.dumps(payload))
    stale = results.stale_fingerprint("tiny-nav", tmp_path)
    assert stale == ["metrics/oracle_return"]
    del payload["fingerprint"], payload["processor_fingerprints"]
    path.write_text(json.dumps(payload))
    with pytest.raises(ValueError, match="no fingerprint"):
        results.stale_fingerprint("tiny-nav", tmp_path)


@pytest.mark.unit
def test_the_processor_model_names_the_architecture():
    assert results.processor().startswith(platform.machine())


@pytest.mark.unit
def test_digest_entries_near_zero_are_compared_at_the_arrays_scale():
    digests = {"h": results.array_digest(np.array([3.0, -4.0, 1e-4, 0.0]))}  # rms 2.5
    assert results._scale(digests, "arrays/h/sample[2]") == pytest.approx(np.sqrt(25 + 1e-8) / 2)
    assert results._scale(digests, "arrays/h/sum") == pytest.approx(np.sqrt(25 + 1e-8))
    assert results._scale(digests, "arrays/h/norm") == 0.0
    # 1e-4 → 1.1e-4 is a 10% change of the entry but 1e-6 of the array's scale
    assert results._close(1.1e-4, 1e-4, 1e-5, results._scale(digests, "arrays/h/sample[2]"))
    assert not results._close(1.1e-4, 1e-4, 1e-5)
    assert not results._close(2e-4, 1e-4, 1e-5, results._scale(digests, "arrays/h/sample[2]"))


@pytest.mark.unit
def test_array_digest_names_shape_sum_norm_and_spread_entries():
    digest = results.array_digest(np.arange(20.0).reshape(4, 5))
    assert digest["shape"] == [4, 5] and digest["sum"] == 190.0
    assert digest["norm"] == pytest.approx(np.sqrt((np.arange(20.0) ** 2).sum()))
    assert digest["sample"][0] == 0.0 and digest["sample"][-1] == 19.0
    assert len(digest["sample"]) == 8
