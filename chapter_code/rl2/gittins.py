"""The finite-horizon Gittins index of a Bernoulli arm with a uniform Beta prior.

An arm with s successes and f failures has posterior Beta(s + 1, f + 1). With h pulls left,
offer the player a choice, at every remaining step, between pulling the arm and retiring for
good with a fixed payment λ per remaining step. The arm's index is the payment λ at which the
player is indifferent at the start (the retirement calibration of Gittins & Jones 1974 and
Whittle 1980, applied to a finite horizon as in Niño-Mora 2011, "Computing a classic index for
finite-horizon bandits", INFORMS J. Computing 23(2)). With V_λ(s, f, 0) = 0,

    C_λ(s, f, h) = p (1 + V_λ(s + 1, f, h − 1)) + (1 − p) V_λ(s, f + 1, h − 1),   p = (s+1)/(s+f+2)
    V_λ(s, f, h) = max(λ h, C_λ(s, f, h)),

and the index G(s, f, h) is the root in λ of D(λ) = C_λ(s, f, h) − λ h. D is convex and
strictly decreasing in λ (V_λ is a maximum of functions linear in λ), so the root is bracketed
on a grid of λ values and found by the chord between the bracketing points.

One backward pass serves every state at once: along any path s + f + h stays constant, so the
states split into layers m = s + f + h, each a triangle solved by one backward sweep per λ.
The cost is about n³/6 × (grid size) operations for horizon n.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from chapter_code._checks import check_int


@numba.njit(cache=True)
def continuation_value(p: float, v_success: float, v_failure: float) -> float:
    """C = p (1 + V(s + 1, f)) + (1 − p) V(s, f + 1): pull once more, then act optimally."""
    return p * (1.0 + v_success) + (1.0 - p) * v_failure


@numba.njit(cache=True)
def _offsets(n: int) -> np.ndarray:
    """Start of the block of remaining-pulls h (1..n) in the packed table; block h holds
    (n − h + 1)² entries, (s, f) at s (n − h + 1) + f."""
    offsets = np.zeros(n + 2, dtype=np.int64)
    for h in range(1, n + 1):
        offsets[h + 1] = offsets[h] + (n - h + 1) ** 2
    return offsets


@numba.njit(cache=True)
def index_table(n: int, lambdas: np.ndarray) -> np.ndarray:
    """The Gittins index of every state (s successes, f failures, h pulls left) of an n-pull
    trial, packed as :func:`_offsets` lays it out, by retirement calibration on the ascending
    grid ``lambdas`` (module docstring): the kernel behind :func:`gittins_table`."""
    offsets = _offsets(n)
    table = np.full(offsets[n + 1], np.nan)
    for m in range(1, n + 1):  # the layer s + f + h = m
        value = np.zeros((m + 1, m + 1))  # V_λ(s, f, m − s − f); zero where h = 0
        previous = np.zeros((m + 1, m + 1))  # D at the previous λ
        found = np.zeros((m + 1, m + 1), dtype=np.bool_)
        for g in range(lambdas.size):
            lam = lambdas[g]
            for total in range(m - 1, -1, -1):  # s + f = total, h = m − total >= 1
                h = m - total
                for s in range(total + 1):
                    f = total - s
                    p = (s + 1.0) / (total + 2.0)
                    cont = continuation_value(p, value[s + 1, f], value[s, f + 1])
                    retire = lam * h
                    value[s, f] = max(retire, cont)
                    d = cont - retire
                    if not found[s, f] and d <= 0.0:
                        found[s, f] = True
                        if g == 0:
                            root = lam
                        else:  # chord between the bracketing grid points
                            low = lambdas[g - 1]
                            root = low + (lam - low) * previous[s, f] / (previous[s, f] - d)
                        table[offsets[h] + s * (n - h + 1) + f] = root
                    previous[s, f] = d
    return table


@dataclass(frozen=True)
class GittinsTable:
    """Finite-horizon Gittins indices G(s, f, h) for every state of an n-pull trial
    (s + f + h <= n, h >= 1), packed; read them with :meth:`index`."""

    n_pulls: int
    values: np.ndarray
    offsets: np.ndarray

    def index(self, successes: np.ndarray, failures: np.ndarray, remaining: int) -> np.ndarray:
        """G(s, f, h) elementwise for integer arrays of counts with h = ``remaining`` pulls
        left (the current one included)."""
        h = check_int("remaining", remaining, minimum=1)
        s = np.asarray(successes, dtype=np.int64)
        f = np.asarray(failures, dtype=np.int64)
        if h > self.n_pulls or np.any(s < 0) or np.any(f < 0) or np.any(s + f + h > self.n_pulls):
            raise ValueError(f"need s, f >= 0 and s + f + remaining <= {self.n_pulls}, got "
                             f"remaining={h}, max s + f = {int((s + f).max())}")
        width = self.n_pulls - h + 1
        return self.values[self.offsets[h] + s * width + f]


def gittins_table(n_pulls: int, grid_size: int = 401) -> GittinsTable:
    """The finite-horizon Gittins index of every state of an ``n_pulls``-pull trial under the
    uniform prior, by retirement calibration (see the module docstring) on ``grid_size``
    evenly spaced λ in [0, 1] with the chord inside the bracket. Each root is exact up to the
    chord's error; it is within 5e-5 of a bisection to machine precision on every state the
    tests check (n <= 12, grid 401; 6e-4 with grid 101)."""
    n = check_int("n_pulls", n_pulls, minimum=1)
    grid_size = check_int("grid_size", grid_size, minimum=3)
    lambdas = np.linspace(0.0, 1.0, grid_size)
    return GittinsTable(n_pulls=n, values=index_table(n, lambdas), offsets=_offsets(n))
