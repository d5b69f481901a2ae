"""Planning with options: synchronous SMDP value iteration over option models."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

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

    The backup of synchronous value iteration over options, Sutton, Precup & Singh (1999), eq. 13.
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
    *,
    boundary: Mapping[int, float] | None = None,
    models: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Synchronous SMDP value iteration: V_{k+1}(s) = max_{o : s ∈ I_o} Q_k(s, o), V_0 = 0.

    Q_k from :func:`smdp_backup`; terminal states keep V = 0 (arrival rewards are in R).
    ``boundary``: states whose value is known and held fixed, {state: value} (V_0 takes these
    values, and no sweep changes them). This is how Sutton, Precup & Singh (1999, §3.1) plan
    to a goal G: option models made for the grid without a goal, and V(G) = 1 throughout.
    ``models``: the options' models ``(r, p)`` of :func:`option_models`, computed once and
    reused (for instance for many goals); by default they are computed here.
    ``iterations=None``: sweep until the sup-change is below ``tol``; ``iterations=k``:
    return exactly V_k and the Q_k with V_k = max_o Q_k (off the boundary). Returns ``(V, Q)``,
    shapes (S,) and (S, O), Q = -inf where an option cannot start (every option at a terminal
    state).
    """
    opts = stack_options(mdp, options)
    if iterations is not None:
        iterations = check_int("iterations", iterations, minimum=1)
    tol = check_real("tol", tol, low=0.0, low_open=True)
    max_iterations = check_int("max_iterations", max_iterations, minimum=1)
    fixed = np.zeros(mdp.n_states, dtype=bool)
    V = np.zeros(mdp.n_states)
    for state, value in (boundary or {}).items():
        if not isinstance(state, int | np.integer) or not 0 <= state < mdp.n_states:
            raise ValueError(f"boundary keys must be states in [0, {mdp.n_states}), got {state!r}")
        fixed[state], V[state] = True, check_real(f"boundary[{state}]", value)
    r, p = option_models(mdp, options) if models is None else models
    if r.shape != opts.initiation.shape or p.shape != (*opts.initiation.shape, mdp.n_states):
        raise ValueError(f"models must be (r, p) with shapes (O, S) = {opts.initiation.shape} and "
                         f"(O, S, S), got {r.shape} and {p.shape}")
    live = ~mdp.terminal
    for k in range(iterations or max_iterations):
        Q = smdp_backup(V, r, p, opts.initiation)
        V_new = np.where(fixed, V, np.where(live, Q.max(axis=1), 0.0))
        change = np.max(np.abs(V_new - V))
        V = V_new
        if iterations is None and change < tol:
            return V, smdp_backup(V, r, p, opts.initiation)
        if iterations is not None and k + 1 == iterations:
            return V, Q
    raise RuntimeError(f"SMDP value iteration did not reach tol={tol} in {max_iterations} sweeps")


def epsilon_greedy_probabilities(Q: np.ndarray, initiation: np.ndarray, epsilon: float
                                 ) -> np.ndarray:
    """μ(o | s) of ε-greedy option choice: ε spread uniformly over the options that can start,
    1 - ε spread uniformly over the greedy ones (ties share). Shapes: Q, initiation (S, O)."""
    epsilon = check_real("epsilon", epsilon, low=0.0, high=1.0)
    allowed = initiation.astype(float)
    n_allowed = np.maximum(allowed.sum(axis=1, keepdims=True), 1.0)
    q = np.where(initiation, Q, -np.inf)
    greedy = (q == q.max(axis=1, keepdims=True)) & initiation
    n_greedy = np.maximum(greedy.sum(axis=1, keepdims=True), 1)
    return epsilon * allowed / n_allowed + (1 - epsilon) * greedy / n_greedy


def expected_episode_steps(
    mdp: TabularMDP, options: Sequence[Option], Q: np.ndarray, epsilon: float
) -> np.ndarray:
    """Expected primitive steps to a terminal state when options are chosen ε-greedily
    w.r.t. ``Q`` (S, O) at every decision point, from each state (S,).

    A linear solve on the chain over (state, running option): T(s, o) = 1 + Σ_s' P_π_o(s, s')
    [β_o(s') Σ_o' μ(o'|s') T(s', o') + (1 - β_o(s')) T(s', o)], T = 0 at terminal states, and
    the start value is Σ_o μ(o|s) T(s, o). Raises ``ValueError`` if the policy can run forever.
    """
    opts = stack_options(mdp, options)
    S, O = mdp.n_states, len(opts.names)
    Q = np.asarray(Q, dtype=float)
    if Q.shape != (S, O):
        raise ValueError(f"Q must have shape (S, O) = {(S, O)}, got {Q.shape}")
    live = ~mdp.terminal
    mu = epsilon_greedy_probabilities(np.where(live[:, None], Q, 0.0),
                                      opts.initiation.T & live[:, None], epsilon)  # (S, O)
    P_pi = np.einsum("osa,sat->ost", opts.policy, mdp.P) * live[None, None, :]  # (O, S, S')
    beta = np.where(live, opts.termination, 1.0)  # (O, S')
    # M[(s, o), (s', o')] = P_π_o(s, s') [β_o(s') μ(o'|s') + (1 - β_o(s')) 1{o' = o}]
    M = np.einsum("ost,ot,tp->sotp", P_pi, beta, mu)
    M += np.einsum("ost,ot,op->sotp", P_pi, 1.0 - beta, np.eye(O))
    M = M.reshape(S * O, S * O)
    try:
        T = np.linalg.solve(np.eye(S * O) - M, np.ones(S * O)).reshape(S, O)
    except np.linalg.LinAlgError as err:
        raise ValueError("the ε-greedy option policy does not reach a terminal state from "
                         "every state") from err
    return np.where(live, (mu * T).sum(axis=1), 0.0)
