"""Confidence intervals and the plotting helpers."""

import numpy as np
import pytest
from scipy import stats

from chapter_code.plotting import curve_with_band, moving_average, new_figure
from chapter_code.stats import mean_ci, mean_ci_metrics, ratio_of_means_ci


@pytest.mark.unit
def test_mean_ci_matches_scipy_t_interval():
    x = np.random.default_rng(0).normal(3.0, 2.0, size=(25, 4))
    mean, low, high = mean_ci(x)
    for k in range(4):
        lo, hi = stats.t.interval(0.95, 24, loc=x[:, k].mean(), scale=stats.sem(x[:, k]))
        assert (low[k], high[k]) == pytest.approx((lo, hi))
    np.testing.assert_allclose(mean, x.mean(axis=0))
    metrics = mean_ci_metrics(x.T, axis=1)
    assert metrics == {"mean": mean.tolist(), "low": low.tolist(), "high": high.tolist()}
    assert mean_ci_metrics(x[:, 0])["mean"] == [pytest.approx(x[:, 0].mean())]


@pytest.mark.unit
def test_mean_ci_covers_the_true_mean_about_95_percent_of_the_time():
    rng = np.random.default_rng(1)
    draws = rng.exponential(1.0, size=(2000, 30))
    _, low, high = mean_ci(draws, axis=1)
    coverage = np.mean((low <= 1.0) & (1.0 <= high))
    assert 0.91 < coverage < 0.97


@pytest.mark.unit
def test_ratio_ci_contains_the_true_ratio_and_is_deterministic():
    rng = np.random.default_rng(2)
    num, den = rng.normal(30, 3, 200), rng.normal(10, 1, 200)
    ratio, low, high = ratio_of_means_ci(num, den, seed=0)
    assert low < 3.0 < high and low < ratio < high
    assert ratio_of_means_ci(num, den, seed=0) == (ratio, low, high)
    with pytest.raises(ValueError, match="level"):
        ratio_of_means_ci(num, den, level=1.0)


@pytest.mark.unit
def test_moving_average_against_a_loop():
    y = np.random.default_rng(3).normal(size=(2, 17))
    expected = np.array([[y[r, max(0, t - 4): t + 1].mean() for t in range(17)] for r in range(2)])
    np.testing.assert_allclose(moving_average(y, 5), expected)


@pytest.mark.unit
def test_curve_with_band_draws_mean_and_checks_shapes():
    fig, ax = new_figure()
    samples = np.random.default_rng(4).normal(size=(10, 5))
    curve_with_band(ax, np.arange(5), samples, label="demo")
    np.testing.assert_allclose(ax.lines[0].get_ydata(), samples.mean(axis=0))
    with pytest.raises(ValueError, match="samples must have shape"):
        curve_with_band(ax, np.arange(4), samples, label="bad")
