"""The hiro experiment: its command line, its metrics and its determinism."""

import json

import pytest

from chapter_code.cli import main
from chapter_code.experiments.hiro import METHODS, HiroExperimentConfig

pytestmark = pytest.mark.unit

SMALL = ["--n-seeds", "2", "--env-steps", "200", "--n-envs", "2", "--warmup", "60",
         "--eval-every", "100", "--n-eval", "2", "--n-real", "2"]


def _json(capsys):
    assert main(["run", "hiro", "--json", *SMALL]) == 0
    return json.loads(capsys.readouterr().out)


def test_cli_prints_the_issues_metrics_and_is_deterministic(capsys):
    metrics = _json(capsys)
    assert metrics["env_steps"] == 200 and metrics["n_seeds"] == 2
    for method in METHODS:
        for key in ("final_success", "final_distance"):
            m = metrics[key][method]
            assert m["low"] <= m["mean"] <= m["high"]
        assert 0 <= metrics["final_success"][method]["mean"] <= 1
    assert metrics["success_hiro"] == metrics["final_success"]["hiro"]["mean"]
    assert metrics["success_no_correction"] == metrics["final_success"]["no_correction"]["mean"]
    assert metrics["success_flat"] == metrics["final_success"]["flat"]["mean"]
    # the farthest free point, the far corner, is 3.39 from the goal
    assert 0 < metrics["final_distance"]["flat"]["mean"] < 3.4
    real = metrics["real_env_hiro"]
    assert real["final_distance"]["low"] <= real["final_distance"]["mean"] < 3.4
    assert 0 <= real["success"]["mean"] <= 1
    assert _json(capsys) == metrics


def test_the_ant_maze_runs_from_the_command_line(capsys):
    """--env AntMaze_UMaze-v5: the three methods in the real ant maze, distances in its units
    (the ant starts 8 from the far end of the U)."""
    assert main(["run", "hiro", "--json", *SMALL[:-2], "--n-real", "0", "--env-steps", "100",
                 "--max-steps", "50", "--env", "AntMaze_UMaze-v5", "--goal-high", "2"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert "real_env_hiro" not in metrics
    for method in METHODS:
        assert 4 < metrics["final_distance"][method]["mean"] < 12


def test_methods_trained_in_parallel_processes_give_the_same_numbers(capsys):
    assert main(["run", "hiro", "--json", *SMALL, "--n-real", "0", "--workers", "2"]) == 0
    parallel = json.loads(capsys.readouterr().out)
    assert main(["run", "hiro", "--json", *SMALL, "--n-real", "0"]) == 0
    assert json.loads(capsys.readouterr().out) == parallel


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"n_seeds": 1}, ValueError, "n_seeds must be"),
    ({"reward_type": "exp"}, ValueError, "reward_type"),
    ({"c": 7}, ValueError, "multiple of c"),
    ({"env_steps": 10}, ValueError, "env_steps must be"),
    ({"n_real": -1}, ValueError, "n_real must be"),
    ({"workers": 0}, ValueError, "workers must be"),
    ({"train_goals": "grid"}, ValueError, "train_goals"),
    ({"env": "AntMaze_UMaze-v5"}, ValueError, "n_real must be 0 unless env is a point maze"),
    ({"env": "AntMaze_UMaze-v5", "n_real": 0, "max_steps": 505}, ValueError, "multiple of c"),
])
def test_bad_config(kwargs, error, match):
    with pytest.raises(error, match=match):
        HiroExperimentConfig(**kwargs)


def test_the_fingerprint_replays_in_the_real_point_maze_only_for_point_maze_runs():
    from chapter_code.experiments import get

    fingerprint = get("hiro").fingerprint
    assert fingerprint({"env": "torch", "n_real": 3})["n_real"] == 1
    assert fingerprint({"env": "PointMaze_UMaze-v3", "n_real": 0})["n_real"] == 1
    assert fingerprint({"env": "AntMaze_UMaze-v5", "n_real": 0})["n_real"] == 0
    HiroExperimentConfig(**{**vars(HiroExperimentConfig(env="AntMaze_UMaze-v5", n_real=0)),
                            **fingerprint({"env": "AntMaze_UMaze-v5"})})
