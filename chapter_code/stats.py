"""Summaries over seeds: means with confidence intervals."""

from __future__ import annotations

import numpy as np
from scipy import stats as _stats

from chapter_code._checks import check_int, check_real
from chapter_code.seeding import SeedLike, as_generator


def mean_ci(
    samples: np.ndarray, *, axis: int = 0, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and Student-t confidence interval along ``axis`` (seeds): ``(mean, low, high)``."""
    level = check_real("level", level, low=0.0, high=1.0, low_open=True, high_open=True)
    x = np.asarray(samples, dtype=float)
    n = x.shape[axis]
    if n < 2:
        raise ValueError(f"samples need at least 2 entries along axis {axis}, got {n}")
    mean = x.mean(axis=axis)
    half = _stats.t.ppf(0.5 + level / 2, df=n - 1) * x.std(axis=axis, ddof=1) / np.sqrt(n)
    return mean, mean - half, mean + half


def mean_ci_metrics(key: str, samples: np.ndarray, *, axis: int = 0) -> dict[str, list[float]]:
    """:func:`mean_ci` as summary metrics: ``{key: mean, key_low: low, key_high: high}``, each a
    list (one entry per remaining index of ``samples``)."""
    mean, low, high = mean_ci(samples, axis=axis)
    return {key: np.atleast_1d(mean).tolist(), f"{key}_low": np.atleast_1d(low).tolist(),
            f"{key}_high": np.atleast_1d(high).tolist()}


def ratio_of_means_ci(
    numerator: np.ndarray,
    denominator: np.ndarray,
    *,
    level: float = 0.95,
    n_boot: int = 10_000,
    seed: SeedLike = 0,
) -> tuple[float, float, float]:
    """mean(numerator) / mean(denominator) with a percentile bootstrap interval over seeds.

    The two samples are resampled independently (they come from independent seeds).
    """
    level = check_real("level", level, low=0.0, high=1.0, low_open=True, high_open=True)
    n_boot = check_int("n_boot", n_boot, minimum=100)
    num = np.asarray(numerator, dtype=float).ravel()
    den = np.asarray(denominator, dtype=float).ravel()
    if num.size < 2 or den.size < 2:
        raise ValueError("numerator and denominator need at least 2 samples each")
    rng = as_generator(seed)
    boot_num = num[rng.integers(num.size, size=(n_boot, num.size))].mean(axis=1)
    boot_den = den[rng.integers(den.size, size=(n_boot, den.size))].mean(axis=1)
    ratios = boot_num / boot_den
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(ratios, [tail, 100 - tail])
    return float(num.mean() / den.mean()), float(low), float(high)
