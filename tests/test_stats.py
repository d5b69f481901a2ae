"""The equivalence test (TOST) against scipy's one-sided t-tests and its interval form."""

import numpy as np
import pytest
from scipy import stats

from chapter_code.stats import permutation_p, tost


@pytest.mark.unit
@pytest.mark.parametrize("shift", [0.0, 0.3, -0.8, 2.0])
def test_tost_p_values_are_scipys_one_sided_t_tests(shift):
    x = np.random.default_rng(2).normal(shift, 1.0, size=12)
    result = tost(x, 1.0)
    lower = stats.ttest_1samp(x, -1.0, alternative="greater").pvalue
    upper = stats.ttest_1samp(x, 1.0, alternative="less").pvalue
    assert (result.p_lower, result.p_upper) == pytest.approx((lower, upper), rel=1e-10)
    assert result.p_value == pytest.approx(max(lower, upper), rel=1e-10)
    low, high = stats.t.interval(0.90, 11, loc=x.mean(), scale=stats.sem(x))
    assert (result.ci_low, result.ci_high) == pytest.approx((low, high))
    assert result.equivalent == (-1.0 < low and high < 1.0)


@pytest.mark.unit
def test_tost_decides_by_the_data_not_by_a_point_estimate():
    """A mean of exactly 0 with a wide spread is not shown equivalent; the same mean with a
    small spread is; no spread at all decides by the mean alone."""
    wide = np.array([-3.0, 3.0, -2.0, 2.0])
    narrow = wide / 100
    assert not tost(wide, 0.5).equivalent and tost(narrow, 0.5).equivalent
    assert tost(np.full(3, 0.2), 0.5).equivalent and not tost(np.full(3, 0.7), 0.5).equivalent


@pytest.mark.unit
def test_tost_rejects_bad_input():
    with pytest.raises(ValueError, match="margin"):
        tost(np.ones(3), 0.0)
    with pytest.raises(ValueError, match="margin"):
        tost(np.ones(3), float("inf"))
    with pytest.raises(ValueError, match="alpha"):
        tost(np.ones(3), 1.0, alpha=0.5)
    with pytest.raises(ValueError, match="samples"):
        tost(np.ones((2, 2)), 1.0)
    with pytest.raises(ValueError, match="samples"):
        tost(np.array([1.0]), 1.0)
    with pytest.raises(TypeError, match="margin"):
        tost(np.ones(3), "1")


@pytest.mark.unit
def test_format_interval_writes_point_and_bounds():
    from chapter_code.stats import format_interval

    assert format_interval({"mean": 1.23456, "low": 1.0, "high": 1.5}) == "1.23 [1.00, 1.50]"
    assert format_interval({"ratio": 2.0, "low": 1.5, "high": 2.5}, 1) == "2.0 [1.5, 2.5]"
    entry = {"mean": [0.0, 3.14159], "low": [0.0, 3.0], "high": [0.0, 3.3]}
    assert format_interval(entry, 3, index=1) == "3.142 [3.000, 3.300]"
    with pytest.raises(ValueError, match="entry"):
        format_interval({"mean": 1.0, "low": 0.0})
    with pytest.raises(ValueError, match="digits"):
        format_interval({"mean": 1.0, "low": 0.0, "high": 2.0}, -1)


@pytest.mark.unit
def test_format_interval_writes_a_unit_after_the_point_only():
    from chapter_code.stats import format_interval

    speedup = {"ratio": 0.6789, "low": 0.46, "high": 1.4321}
    assert format_interval(speedup, 1, unit="x") == "0.7x [0.5, 1.4]"
    entry = {"mean": [1.0, 12.345], "low": [0.0, 10.0], "high": [2.0, 15.6]}
    assert format_interval(entry, 0, index=1, unit=" steps") == "12 steps [10, 16]"
    assert format_interval(entry, 1, index=0, unit="") == "1.0 [0.0, 2.0]"
    with pytest.raises(TypeError, match="unit must be a str"):
        format_interval(speedup, 1, unit=1)


@pytest.mark.unit
def test_seed_interval_is_the_hand_computed_t_interval_rounded():
    from chapter_code.stats import seed_interval

    # mean 2, sample standard deviation 1, n = 3: half-width t_{0.975, 2} / sqrt(3)
    half = 4.302652729749462 / np.sqrt(3.0)
    entry = seed_interval(np.array([1.0, 2.0, 3.0]))
    assert entry == {"mean": 2.0, "low": round(2.0 - half, 6), "high": round(2.0 + half, 6)}
    assert seed_interval([1.0, 2.0, 3.0], digits=1) == {"mean": 2.0, "low": -0.5, "high": 4.5}
    with pytest.raises(ValueError, match="1-d"):
        seed_interval(np.ones((3, 2)))
    with pytest.raises(ValueError, match="digits"):
        seed_interval(np.ones(3), digits=-1)


@pytest.mark.unit
def test_z_from_reported_widens_the_standard_error_by_the_rounding():
    from chapter_code.stats import z_from_reported

    assert z_from_reported(6.59, 0.05, 6.7) == pytest.approx(-0.11 / np.sqrt(0.005))
    np.testing.assert_allclose(z_from_reported([1.0, 3.0], [0.3, 0.0], [1.0, 2.0], 0.4),
                               [0.0, 2.5])
    with pytest.raises(ValueError, match="rounding"):
        z_from_reported(1.0, 0.1, 1.0, -0.1)


def test_permutation_p_is_scipys_exact_test_and_fishers_for_binary_data():
    gen = np.random.default_rng(0)
    a, b = gen.normal(0.5, 1, 5), gen.normal(0, 1, 6)
    exact = stats.permutation_test(
        (a, b), lambda x, y: x.mean() - y.mean(), permutation_type="independent",
        alternative="greater", n_resamples=np.inf).pvalue
    assert permutation_p(a, b) == pytest.approx(exact, abs=1e-12)
    # 4 of 5 successes against 0 of 5: Fisher's exact test, one-sided, is 6 / 252
    hits, misses = np.array([1.0, 1, 0, 1, 1]), np.zeros(5)
    fisher = stats.fisher_exact([[4, 1], [0, 5]], alternative="greater").pvalue
    assert permutation_p(hits, misses) == pytest.approx(fisher) == pytest.approx(6 / 252)
    assert permutation_p(misses, hits) == 1.0


def test_permutation_p_bad_input():
    with pytest.raises(ValueError, match="non-empty 1-d"):
        permutation_p(np.zeros((2, 2)), np.zeros(2))
    with pytest.raises(ValueError, match="at most 20"):
        permutation_p(np.zeros(11), np.zeros(11))
