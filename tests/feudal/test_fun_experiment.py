"""The fun experiment at a tiny size, its curve binning by hand, and its config checks."""

import numpy as np
import pytest

from chapter_code.experiments import run
from chapter_code.experiments.fun import FunConfig, binned_returns, late_phase, runs_learned


@pytest.mark.unit
def test_binned_returns_by_hand():
    returns = np.array([0.0, 1.0, 0.5, 0.9])
    frames = np.array([10, 40, 60, 100])
    np.testing.assert_array_equal(binned_returns(returns, frames, 100, 2), [0.5, 0.7])
    assert np.isnan(binned_returns(returns[:1], frames[:1], 100, 2)[1])


@pytest.mark.unit
def test_tiny_run_reports_every_method():
    out = run("fun", env_id="MiniGrid-Empty-5x5-v0", methods=("fun", "lstm"), n_frames=320,
              n_envs=2, bins=2)
    assert set(out.metrics["final_return"]) == {"fun", "lstm"}
    assert out.arrays["curve_fun"].shape == (2, 2)


@pytest.mark.unit
def test_workers_do_not_change_the_numbers():
    small = {"env_id": "MiniGrid-Empty-5x5-v0", "methods": ("fun", "lstm"), "n_frames": 320,
             "n_envs": 2, "bins": 2}
    alone, side_by_side = run("fun", **small), run("fun", **small, workers=2)
    assert alone.metrics == side_by_side.metrics
    for key, curve in alone.arrays.items():
        np.testing.assert_array_equal(curve, side_by_side.arrays[key])


@pytest.mark.unit
def test_config_checks():
    with pytest.raises(ValueError, match="methods"):
        FunConfig(methods=("fun", "options"))
    with pytest.raises(ValueError, match="env_id"):
        FunConfig(env_id="CartPole-v1")
    with pytest.raises(ValueError, match="rollout"):
        FunConfig(rollout=10)
    with pytest.raises(ValueError, match="workers"):
        FunConfig(workers=0)


@pytest.mark.unit
def test_late_phase_reads_the_episodes_of_the_last_fifth_only():
    returns = np.array([0.9, 0.0, 0.6, 0.0, 0.3])
    frames = np.array([10, 50, 81, 90, 100])  # of 100 frames: the last three ended after 80
    mean, success = late_phase(returns, frames, 100)
    assert mean == pytest.approx(0.3) and success == pytest.approx(2 / 3)
    assert late_phase(returns, frames, 200) == (0.0, 0.0)  # none ended after frame 160


@pytest.mark.unit
def test_runs_learned_counts_last_bins_above_one_half():
    curves = np.array([[0.0, 0.9], [0.8, 0.4], [0.2, np.nan], [0.1, 0.51]])
    assert runs_learned(curves) == 2
