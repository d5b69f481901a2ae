"""The maxq-taxi experiment: its config, its command line and the metrics it prints."""

import json

import numpy as np
import pytest

from chapter_code.cli import main
from chapter_code.experiments.maxq_taxi import (
    METHODS,
    MaxqTaxiConfig,
    binned_returns,
    learning_curves,
)

pytestmark = pytest.mark.unit

SMALL = ["--steps", "3000", "--n-seeds", "2"]


def _json(capsys, *args):
    assert main(["run", "maxq-taxi", "--json", *SMALL, *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_cli_prints_nested_metrics(capsys):
    metrics = _json(capsys)
    assert metrics["values_stored"] == 616 and metrics["steps"] == 3000
    assert metrics["start_states"] == 300 and metrics["optimal_mean_return"] == 7.93
    m = metrics["mean_return"]
    assert m["low"] <= m["mean"] <= m["high"]


def test_cli_bool_options_are_flags(capsys):
    metrics = _json(capsys, "--no-abstraction", "--fickle", "--rainy")
    assert metrics["values_stored"] == 14_000
    assert "optimal_mean_return" not in metrics  # the model has no fickle passenger


def test_cli_runs_are_deterministic(capsys):
    assert _json(capsys, "--rainy") == _json(capsys, "--rainy")


@pytest.mark.parametrize(("argv", "message"), [
    (["--fickle", "maybe"], "unrecognized arguments: maybe"),
    (["--steps", "0"], "steps must be an integer >= 1"),
    (["--n-seeds", "1"], "n_seeds must be an integer >= 2"),
    (["--alpha", "1.5"], "alpha must lie in"),
    (["--epsilon-decay", "-1"], "epsilon_decay must lie in"),
])
def test_bad_options_exit_non_zero_with_a_message(argv, message, capsys):
    try:
        code = main(["run", "maxq-taxi", *argv])
    except SystemExit as exit_:
        code = exit_.code
    assert code != 0
    assert message in capsys.readouterr().err


def test_config_rejects_non_bool_flags():
    with pytest.raises(TypeError, match="fickle must be a bool"):
        MaxqTaxiConfig(fickle=1)


def test_binned_returns_by_hand():
    ends = np.array([[3, 5, 12, 0]])
    returns = np.array([[-10.0, -2.0, 4.0, 99.0]])
    got = binned_returns(ends, returns, np.array([3]), np.array([1, 6, 11, 16]))
    assert np.array_equal(got, [[-6.0, np.nan, 4.0]], equal_nan=True)


def test_learning_curves_have_one_row_per_seed_and_one_column_per_bin():
    curves = learning_curves(fickle=True, rainy=True, n_seeds=2, steps=4000, bin_size=1000)
    assert set(curves) == set(METHODS)
    assert all(c.shape == (2, 4) for c in curves.values())
    with pytest.raises(ValueError, match="multiple of bin_size"):
        learning_curves(fickle=False, rainy=False, n_seeds=2, steps=4000, bin_size=3000)


@pytest.mark.learns
def test_abstraction_learns_faster_than_flat_q_and_than_no_abstraction_on_noisy_taxi():
    """Dietterich's (2000, §7) ordering early in learning, with 95% intervals over 20 trials:
    at 20,000 steps MAXQ-Q with abstraction is ahead of both flat Q and MAXQ-Q without it."""
    from chapter_code.stats import mean_ci

    curves = learning_curves(fickle=True, rainy=True, n_seeds=20, steps=20_000, bin_size=5000)
    _, low_abs, _ = mean_ci(curves["maxq-abstraction"][:, -1:])
    for other in ("flat-q", "maxq-no-abstraction"):
        _, _, high = mean_ci(curves[other][:, -1:])
        assert low_abs[0] > high[0], other
