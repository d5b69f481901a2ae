"""Planning with options: synchronous SMDP value iteration over option models."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from chapter_code._checks import check_int, check_real
from chapter_code.envs.tabular import TabularMDP
from chapter_code.options.models import option_model
from chapter_code.options.option import Option, stack_options


def option_models(mdp: TabularMDP, options: Sequence[Option]) -> tuple[np.ndarray, np.ndarray]:
    """Stacked exact models of ``options``: r (O, S) and p (O, S, S); see ``option_model``."""
    models = [option_model(mdp, o) for o in options]
    return np.stack([r for r, _ in models]), np.stack([p for _, p in models])


def smdp_backup(V: np.ndarray, r: np.ndarray, p: np.ndarray, initiation: np.ndarray) -> np.ndarray:
    """Q(s, o) = r_o(s) + Σ_s' p_o(s, s') V(s'), and -inf where o cannot start in s.

    Sutton, Precup & Singh (1999), eq. 9 (the Bellman optimality backup over options).
    Shapes: V (S,), r (O, S), p (O, S, S), initiation (O, S) -> Q (S, O).
    """
    Q = (r + p @ V).T
    return np.where(initiation.T, Q, -np.inf)


def smdp_value_iteration(
    mdp: TabularMDP,
    options: Sequence[Option],
    iterations: int | None = None,
    tol: float = 1e-10,
    max_iterations: int = 100_000,
) -> tuple[np.ndarray, np.ndarray]:
    """Synchronous SMDP value iteration: V_{k+1}(s) = max_{o : s ∈ I_o} Q_k(s, o), V_0 = 0.

    Q_k from :func:`smdp_backup`; terminal states keep V = 0 (arrival rewards are in R).
    ``iterations=None``: sweep until the sup-change is below ``tol``; ``iterations=k``:
    return exactly V_k and the Q_k with V_k = max_o Q_k. Returns ``(V, Q)``, shapes (S,) and
    (S, O), Q = -inf where an option cannot start (every option at a terminal state).
    """
    opts = stack_options(mdp, options)
    if iterations is not None:
        iterations = check_int("iterations", iterations, minimum=1)
    tol = check_real("tol", tol, low=0.0, low_open=True)
    max_iterations = check_int("max_iterations", max_iterations, minimum=1)
    r, p = option_models(mdp, options)
    live = ~mdp.terminal
    V = np.zeros(mdp.n_states)
    for k in range(iterations or max_iterations):
        Q = smdp_backup(V, r, p, opts.initiation)
        V_new = np.where(live, Q.max(axis=1), 0.0)
        change = np.max(np.abs(V_new - V))
        V = V_new
        if iterations is None and change < tol:
            return V, smdp_backup(V, r, p, opts.initiation)
        if iterations is not None and k + 1 == iterations:
            return V, Q
    raise RuntimeError(f"SMDP value iteration did not reach tol={tol} in {max_iterations} sweeps")
