"""Summaries over seeds: means with confidence intervals, an exact permutation test, and an
equivalence test."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

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


def interval_metrics(
    interval: tuple[Any, Any, Any], estimate: str = "mean"
) -> dict[str, float]:
    """An interval ``(estimate, low, high)`` as a metrics entry ``{estimate: ..., "low": ...,
    "high": ...}``; ``estimate`` names the point estimate (``"mean"``, ``"ratio"``)."""
    point, low, high = (float(v) for v in interval)
    return {estimate: point, "low": low, "high": high}


def seed_interval(samples: np.ndarray, digits: int = 6) -> dict[str, float]:
    """:func:`mean_ci` of a 1-d sample over seeds as a metrics entry ``{"mean", "low", "high"}``,
    each rounded to ``digits`` decimals so that saved results print alike on every machine."""
    digits = check_int("digits", digits, minimum=0)
    x = np.asarray(samples, dtype=float)
    if x.ndim != 1:
        raise ValueError(f"samples must be a 1-d array (one value per seed), got shape {x.shape}")
    return {k: round(v, digits) for k, v in interval_metrics(mean_ci(x)).items()}


def mean_ci_metrics(samples: np.ndarray, *, axis: int = 0) -> dict[str, list[float]]:
    """:func:`mean_ci` as a metrics entry, ``{"mean": ..., "low": ..., "high": ...}``, each a
    list (one entry per remaining index of ``samples``)."""
    mean, low, high = mean_ci(samples, axis=axis)
    return {"mean": np.atleast_1d(mean).tolist(), "low": np.atleast_1d(low).tolist(),
            "high": np.atleast_1d(high).tolist()}


def permutation_p(a: np.ndarray, b: np.ndarray) -> float:
    """Exact one-sided p-value that mean(a) > mean(b) by chance: the share of all
    C(n_a + n_b, n_a) ways to split the pooled values into groups of the two sizes whose mean
    difference is at least the observed one (ties count). For a few seeds per method."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.ndim != 1 or b.ndim != 1 or a.size < 1 or b.size < 1:
        raise ValueError(f"a and b must be non-empty 1-d arrays, got shapes {a.shape} and "
                         f"{b.shape}")
    pooled, n = np.concatenate([a, b]), a.size
    if pooled.size > 20:
        raise ValueError(f"at most 20 values in all for an exact enumeration, got {pooled.size}")
    observed = a.mean() - b.mean()
    total = pooled.sum()
    count = splits = 0
    for chosen in itertools.combinations(range(pooled.size), n):
        first = pooled[list(chosen)].sum()
        splits += 1
        count += first / n - (total - first) / b.size >= observed - 1e-12
    return count / splits


def z_from_reported(ours: Any, stderr: Any, reported: Any, rounding: float = 0.05) -> Any:
    """How many standard errors our mean lies from a number a paper reported:
    (ours - reported) / sqrt(stderr² + rounding²), the standard error widened by the reported
    number's rounding (0.05 for one decimal). Scalars or arrays, elementwise."""
    rounding = check_real("rounding", rounding, low=0.0)
    return (np.asarray(ours, dtype=float) - np.asarray(reported, dtype=float)) / np.hypot(
        np.asarray(stderr, dtype=float), rounding)


def format_interval(
    entry: dict[str, Any], digits: int = 2, *, index: int | None = None, unit: str = ""
) -> str:
    """An interval entry ``{"mean"|"ratio", "low", "high"}`` as ``"point [low, high]"`` with
    ``digits`` decimals; ``index`` picks one position of an entry whose values are lists;
    ``unit`` is written right after the point (``unit="x"``: ``"2.0x [1.5, 2.5]"``)."""
    digits = check_int("digits", digits, minimum=0)
    if not isinstance(unit, str):
        raise TypeError(f"unit must be a str, got {type(unit).__name__} {unit!r}")
    point_key = "ratio" if "ratio" in entry else "mean"
    missing = {point_key, "low", "high"} - set(entry)
    if missing:
        raise ValueError(f"entry must have keys 'mean' (or 'ratio'), 'low' and 'high'; "
                         f"missing {sorted(missing)}")
    values = [entry[key] for key in (point_key, "low", "high")]
    if index is not None:
        values = [value[index] for value in values]
    point, low, high = (float(value) for value in values)
    return f"{point:.{digits}f}{unit} [{low:.{digits}f}, {high:.{digits}f}]"


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


@dataclass(frozen=True)
class TostResult:
    """Two one-sided t-tests of a mean against the margin (−margin, margin): ``p_lower`` tests
    H0 μ ≤ −margin, ``p_upper`` tests H0 μ ≥ margin; ``p_value`` is the larger. ``ci_low``,
    ``ci_high``: the (1 − 2α) t-interval of the mean, inside (−margin, margin) exactly when
    ``equivalent`` (p_value < α)."""

    mean: float
    margin: float
    p_lower: float
    p_upper: float
    p_value: float
    ci_low: float
    ci_high: float
    alpha: float

    @property
    def equivalent(self) -> bool:
        """Whether both null hypotheses are rejected at level α: |μ| < margin is shown."""
        return self.p_value < self.alpha


def tost(samples: np.ndarray, margin: float, *, alpha: float = 0.05) -> TostResult:
    """Equivalence test of the mean of ``samples`` (1-D, e.g. one paired difference per seed)
    with zero within ±``margin``: two one-sided Student-t tests (Schuirmann 1987), each at
    level ``alpha``, df = n − 1.

    t_lower = (x̄ + margin) / se, p_lower = P(T > t_lower); t_upper = (x̄ − margin) / se,
    p_upper = P(T < t_upper); se = s / √n.
    """
    margin = check_real("margin", margin, low=0.0, low_open=True)
    if not np.isfinite(margin):
        raise ValueError(f"margin must be finite, got {margin!r}")
    alpha = check_real("alpha", alpha, low=0.0, high=0.5, low_open=True, high_open=True)
    x = np.asarray(samples, dtype=float)
    if x.ndim != 1 or x.size < 2 or not np.isfinite(x).all():
        raise ValueError(f"samples must be a 1-D array of at least 2 finite values, got {x!r}")
    n, mean = x.size, float(x.mean())
    se = float(x.std(ddof=1) / np.sqrt(n))
    if se == 0.0:  # no spread: the mean is known exactly
        p_lower = 0.0 if mean > -margin else 1.0
        p_upper = 0.0 if mean < margin else 1.0
        half = 0.0
    else:
        p_lower = float(_stats.t.sf((mean + margin) / se, df=n - 1))
        p_upper = float(_stats.t.cdf((mean - margin) / se, df=n - 1))
        half = float(_stats.t.ppf(1 - alpha, df=n - 1) * se)
    return TostResult(mean=mean, margin=margin, p_lower=p_lower, p_upper=p_upper,
                      p_value=max(p_lower, p_upper), ci_low=mean - half, ci_high=mean + half,
                      alpha=alpha)
