"""Policies over options, their exact values, and interrupting options (Sutton, Precup & Singh
1999, §§2-4)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from chapter_code.envs.tabular import TabularMDP
from chapter_code.options.option import Option, stack_options
from chapter_code.options.planning import option_models

_TOL = 1e-12


def greedy_option_policy(Q: np.ndarray) -> np.ndarray:
    """μ(s, o): all probability on the first maximising option of each row of ``Q`` (S, O)
    (-inf marks options that cannot start); rows with no startable option are zero."""
    Q = np.asarray(Q, dtype=float)
    mu = np.zeros_like(Q)
    startable = np.isfinite(Q).any(axis=1)
    mu[np.flatnonzero(startable), np.argmax(Q[startable], axis=1)] = 1.0
    return mu


def option_policy_value(mdp: TabularMDP, options: Sequence[Option], mu: np.ndarray) -> np.ndarray:
    """V^μ of a Markov policy over options μ (S, O), exactly: the solution of the Bellman
    equation V(s) = Σ_o μ(s, o) [r^o_s + Σ_s' p^o_ss' V(s')] (Sutton, Precup & Singh 1999,
    eq. 8), with V = 0 at terminal states. ``ValueError`` if μ picks an option that cannot start,
    or if the policy never reaches a terminal state with γ = 1."""
    opts = stack_options(mdp, options)
    mu = np.asarray(mu, dtype=float)
    if mu.shape != opts.initiation.T.shape:
        raise ValueError(f"mu must have shape (S, O) = {opts.initiation.T.shape}, got {mu.shape}")
    live = ~mdp.terminal
    if (mu < 0).any() or np.abs(mu[live].sum(axis=1) - 1).max() > 1e-9:
        raise ValueError("mu rows must be probability distributions over options (live states)")
    if (mu[live] > 0)[~opts.initiation.T[live]].any():
        raise ValueError("mu gives probability to an option outside its initiation set")
    r, p = option_models(mdp, options)  # (O, S), (O, S, S)
    R_mu = np.einsum("so,os->s", mu, r)
    P_mu = np.einsum("so,ost->st", mu, p)
    A = np.eye(int(live.sum())) - P_mu[np.ix_(live, live)]
    V = np.zeros(mdp.n_states)
    try:
        V[live] = np.linalg.solve(A, R_mu[live])
    except np.linalg.LinAlgError as err:
        raise ValueError("the policy over options never reaches a terminal state") from err
    return V


def interrupted_options(options: Sequence[Option], Q: np.ndarray, V: np.ndarray) -> list[Option]:
    """Each option o changed to o', which also stops wherever continuing looks worse than
    choosing again: β'(s) = 1 if Q(s, o) < V(s), else β(s) (Sutton, Precup & Singh 1999, §4,
    Theorem 2). ``Q`` (S, O) are the values of continuing (-inf where o cannot be valued),
    ``V`` (S,) the values of choosing anew; the comparison is made in the states of o's
    initiation set, where Q(s, o) is defined."""
    Q = np.asarray(Q, dtype=float)
    V = np.asarray(V, dtype=float)
    if Q.shape != (V.shape[0], len(options)):
        raise ValueError(f"Q must have shape (S, O) = {(V.shape[0], len(options))}, got {Q.shape}")
    out = []
    for k, o in enumerate(options):
        worse = o.initiation & (Q[:, k] < V - _TOL)
        out.append(Option(f"{o.name} (interrupted)", o.initiation, o.policy,
                          np.where(worse, 1.0, o.termination)))
    return out
