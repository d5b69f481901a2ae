"""Exact option models: the reward and discounted-termination model of an option."""

from __future__ import annotations

import numpy as np

from chapter_code.envs.tabular import TabularMDP
from chapter_code.options.option import Option


def _check_fits(mdp: TabularMDP, option: Option) -> None:
    if not isinstance(mdp, TabularMDP):
        raise TypeError(f"mdp must be a TabularMDP, got {type(mdp).__name__}")
    if not isinstance(option, Option):
        raise TypeError(f"option must be an Option, got {type(option).__name__}")
    if option.policy.shape != (mdp.n_states, mdp.n_actions):
        raise ValueError(f"option {option.name!r} has policy shape {option.policy.shape}, but "
                         f"the MDP has (S, A) = {(mdp.n_states, mdp.n_actions)}")


def option_step_model(mdp: TabularMDP, option: Option) -> tuple[np.ndarray, np.ndarray,
                                                                  np.ndarray]:
    """One step of an option: ``(R_π, P_π, β)`` with R_π(s) = Σ_a π(a|s) R(s, a) (S,),
    P_π(s, s') = Σ_a π(a|s) P(s, a, s') (S, S), and β (S,) set to 1 at terminal states
    (the episode, hence the option, ends there)."""
    _check_fits(mdp, option)
    R_pi = np.einsum("sa,sa->s", option.policy, mdp.R)
    P_pi = np.einsum("sa,sat->st", option.policy, mdp.P)
    beta = np.where(mdp.terminal, 1.0, option.termination)
    return R_pi, P_pi, beta


def option_model(mdp: TabularMDP, option: Option) -> tuple[np.ndarray, np.ndarray]:
    """The option's exact model ``(r, p)`` (Sutton, Precup & Singh 1999, eqs. 6 and 7).

    r(s) = E[r_1 + γ r_2 + ... + γ^(k-1) r_k] and p(s, s') = Σ_k γ^k Pr(τ = k, s_τ = s') for
    the option started in s. Both satisfy one-step recursions,

        r = R_π + γ P_π (1 - β) r,      p = γ P_π diag(β) + γ P_π diag(1 - β) p,

    solved exactly with one linear solve of (I - γ P_π diag(1 - β)). Rows outside the
    initiation set (and at terminal states) are zero. Shapes: r (S,), p (S, S).
    """
    R_pi, P_pi, beta = option_step_model(mdp, option)
    gamma = mdp.gamma
    A = np.eye(mdp.n_states) - gamma * P_pi * (1.0 - beta)[None, :]
    rhs = np.column_stack([R_pi, gamma * P_pi * beta[None, :]])
    try:
        sol = np.linalg.solve(A, rhs)
    except np.linalg.LinAlgError as err:
        raise ValueError(f"option {option.name!r} may run forever with gamma = 1: its model is "
                         "undefined") from err
    starts = option.initiation & ~mdp.terminal
    r = np.where(starts, sol[:, 0], 0.0)
    p = np.where(starts[:, None], sol[:, 1:], 0.0)
    return r, p
