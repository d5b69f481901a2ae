"""Option-critic's objective and its two gradient theorems, computed exactly on a small MDP.

For softmax intra-option policies π_ω = softmax(θ_ω / T), sigmoid terminations β_ω = σ(ϑ_ω)
and a fixed policy over options π_Ω, the option values solve a linear system on the augmented
(state, option) chain of Bacon, Harb & Precup (2017), eq. 4. From the solution follow Q_U
(eq. 2), U (eq. 3), V_Ω and A_Ω, and the gradients of Theorem 1 (intra-option policy gradient)
and Theorem 2 (termination gradient) in the form the theorems state them: discounted
occupancies μ_Ω times local terms. The tests hold these against finite differences of the
objective itself.

The termination regulariser ξ enters as a cost ξ paid each time an option ends:
U(ω, s') = (1 - β) Q_Ω(s', ω) + β (V_Ω(s') - ξ). Its termination gradient is then exactly
-∂β/∂ϑ (A_Ω + ξ), the regularised update of the paper's ALE section.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from chapter_code._checks import check_array, check_int, check_real
from chapter_code.envs.tabular import TabularMDP
from chapter_code.option_critic.tabular import sigmoid as _sigmoid_scalar


def central_differences(
    f: Callable[[np.ndarray], float], x: np.ndarray, step: float = 1e-6
) -> np.ndarray:
    """The gradient of the scalar function ``f`` at ``x`` by central differences,
    (f(x + h e_i) - f(x - h e_i)) / 2h for every entry i of ``x`` (h = ``step``): the
    independent computation the two theorems are checked against."""
    x = np.asarray(x, dtype=float)
    step = check_real("step", step, low=0.0, low_open=True)
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[idx] += step
        down[idx] -= step
        grad[idx] = (f(up) - f(down)) / (2 * step)
    return grad


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.vectorize(_sigmoid_scalar, otypes=[float])(x)


def _softmax_rows(theta: np.ndarray, temperature: float) -> np.ndarray:
    z = theta / temperature
    z = np.exp(z - z.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


@dataclass(frozen=True)
class OptionValues:
    """Exact values of a set of options under a policy over options.

    ``Q_Omega`` (S, O), ``Q_U`` (S, O, A), ``U`` (S, O) (U[s', ω] = U(ω, s'), 0 at terminal
    s'), ``V_Omega`` (S,), ``A_Omega`` (S, O); the policies ``pi`` (O, S, A), terminations
    ``beta`` (O, S); ``chain`` (S·O, S·O), the discounted augmented transition matrix
    γ P(s', ω' | s, ω) of eq. 4 (index s·O + ω), zero out of terminal states.
    """

    Q_Omega: np.ndarray
    Q_U: np.ndarray
    U: np.ndarray
    V_Omega: np.ndarray
    A_Omega: np.ndarray
    pi: np.ndarray
    beta: np.ndarray
    chain: np.ndarray


def _check(mdp: TabularMDP, theta: np.ndarray, vartheta: np.ndarray, pi_omega: np.ndarray,
           temperature: float, xi: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if not isinstance(mdp, TabularMDP):
        raise TypeError(f"mdp must be a TabularMDP, got {type(mdp).__name__}")
    theta = np.asarray(theta, dtype=float)
    if theta.ndim != 3:
        raise ValueError(f"theta must have shape (O, S, A), got {theta.shape}")
    O, S, A = theta.shape
    if (S, A) != (mdp.n_states, mdp.n_actions):
        raise ValueError(f"theta must have shape (O, S, A) = (O, {mdp.n_states}, "
                         f"{mdp.n_actions}), got {theta.shape}")
    vartheta = check_array("vartheta", vartheta, (O, S), dtype=float)
    pi_omega = check_array("pi_omega", pi_omega, (S, O), dtype=float)
    if (pi_omega < 0).any() or np.abs(pi_omega.sum(axis=1) - 1).max() > 1e-8:
        raise ValueError("pi_omega rows must be probability distributions over options")
    check_real("temperature", temperature, low=0.0, low_open=True)
    check_real("xi", xi)
    return theta, vartheta, pi_omega


def option_values(mdp: TabularMDP, theta: np.ndarray, vartheta: np.ndarray,
                  pi_omega: np.ndarray, *, temperature: float = 1.0,
                  xi: float = 0.0) -> OptionValues:
    """Exact Q_Ω, Q_U, U, V_Ω, A_Ω by one linear solve (eqs. 1-4).

    Q_Ω(s, ω) = Σ_a π_ω(a|s) Q_U(s, ω, a) (eq. 1), Q_U(s, ω, a) = R(s, a) + γ Σ_s' P(s'|s, a)
    U(ω, s') (eq. 2), U(ω, s') = (1 - β_ω(s')) Q_Ω(s', ω) + β_ω(s') (V_Ω(s') - ξ) (eq. 3 with
    the switching cost ξ), V_Ω(s) = Σ_ω π_Ω(ω|s) Q_Ω(s, ω); U = 0 at terminal states. Shapes:
    ``theta`` (O, S, A) softmax preferences, ``vartheta`` (O, S) termination logits,
    ``pi_omega`` (S, O).
    """
    theta, vartheta, pi_omega = _check(mdp, theta, vartheta, pi_omega, temperature, xi)
    O, S, A = theta.shape
    pi = _softmax_rows(theta, temperature)  # (O, S, A)
    beta = _sigmoid(vartheta)  # (O, S)
    live = (~mdp.terminal).astype(float)
    # next-state distribution of (s, ω): Σ_a π_ω(a|s) P(s'|s, a), as (S, O, S')
    next_state = np.einsum("osa,sat->sot", pi, mdp.P) * live[:, None, None]
    # option in s' given ω was running: (1 - β_ω(s')) 1[ω' = ω] + β_ω(s') π_Ω(ω'|s'), (O, S', O')
    stay = (1 - beta)[:, :, None] * np.eye(O)[:, None, :]
    switch = beta[:, :, None] * pi_omega[None, :, :]
    chain = mdp.gamma * np.einsum("sot,otp->sotp", next_state * live[None, None, :],
                                  stay + switch).reshape(S * O, S * O)
    reward = np.einsum("osa,sa->so", pi, mdp.R)
    cost = mdp.gamma * xi * np.einsum("sot,ot->so", next_state, beta * live[None, :])
    q = np.linalg.solve(np.eye(S * O) - chain, (reward - cost).reshape(-1))
    Q_Omega = q.reshape(S, O) * live[:, None]
    V = (pi_omega * Q_Omega).sum(axis=1)
    U = ((1 - beta.T) * Q_Omega + beta.T * (V[:, None] - xi)) * live[:, None]
    Q_U = (mdp.R[:, None, :] + mdp.gamma * np.einsum("sat,to->soa", mdp.P, U)) * live[:, None,
                                                                                   None]
    return OptionValues(Q_Omega=Q_Omega, Q_U=Q_U, U=U, V_Omega=V, A_Omega=Q_Omega - V[:, None],
                        pi=pi, beta=beta, chain=chain)


def _start(mdp: TabularMDP, state: int, option: int, n_options: int) -> int:
    state = check_int("state", state, minimum=0)
    option = check_int("option", option, minimum=0)
    if state >= mdp.n_states or mdp.terminal[state]:
        raise ValueError(f"state must be a non-terminal state in [0, {mdp.n_states}), got "
                         f"{state}")
    if option >= n_options:
        raise ValueError(f"option must lie in [0, {n_options - 1}], got {option}")
    return state * n_options + option


def intra_option_policy_gradient(mdp: TabularMDP, theta: np.ndarray, vartheta: np.ndarray,
                                 pi_omega: np.ndarray, state: int, option: int, *,
                                 temperature: float = 1.0, xi: float = 0.0) -> np.ndarray:
    """∂Q_Ω(s_0, ω_0)/∂θ by Theorem 1: Σ_{s,ω} μ_Ω(s, ω | s_0, ω_0) Σ_a ∂π_ω(a|s)/∂θ
    Q_U(s, ω, a), with μ_Ω = Σ_t γ^t P(s_t = s, ω_t = ω | s_0, ω_0) the discounted occupancy
    of the augmented chain (eq. 4), here a row of (I - γ P)^-1. For the softmax,
    Σ_a ∂π(a)/∂θ_b Q_U(a) = π(b) (Q_U(b) - Q_Ω) / T. Returns (O, S, A), like ``theta``."""
    values = option_values(mdp, theta, vartheta, pi_omega, temperature=temperature, xi=xi)
    O, S, A = values.pi.shape
    start = _start(mdp, state, option, O)
    mu = np.linalg.solve((np.eye(S * O) - values.chain).T, np.eye(S * O)[start]).reshape(S, O)
    local = values.pi * (values.Q_U.transpose(1, 0, 2) - values.Q_Omega.T[:, :, None])
    return mu.T[:, :, None] * local / temperature


def termination_gradient(mdp: TabularMDP, theta: np.ndarray, vartheta: np.ndarray,
                         pi_omega: np.ndarray, state: int, option: int, *,
                         temperature: float = 1.0, xi: float = 0.0) -> np.ndarray:
    """∂U(ω_0, s_1)/∂ϑ by Theorem 2: -Σ_{s',ω} μ_Ω(s', ω | s_1, ω_0) ∂β_ω(s')/∂ϑ
    (A_Ω(s', ω) + ξ), with μ_Ω = Σ_t γ^t P(s_{t+1} = s', ω_t = ω | s_1, ω_0), the occupancy
    of the chain shifted by one step (the paper's appendix): from (s_{t+1}, ω_t) it picks
    ω_{t+1} (continue or switch in s_{t+1}), then acts with it. For the sigmoid,
    ∂β/∂ϑ = β (1 - β). ``state``: s_1 (non-terminal), ``option``: ω_0. Returns (O, S)."""
    values = option_values(mdp, theta, vartheta, pi_omega, temperature=temperature, xi=xi)
    O, S, A = values.pi.shape
    start = _start(mdp, state, option, O)
    live = (~mdp.terminal).astype(float)
    stay = (1 - values.beta)[:, :, None] * np.eye(O)[:, None, :]
    switch = values.beta[:, :, None] * pi_omega[None, :, :]
    pick = (stay + switch).transpose(1, 0, 2) * live[:, None, None]  # (S, O_prev, O_next)
    next_state = np.einsum("osa,sat->sot", values.pi, mdp.P)  # (S, O_next, S')
    shifted = mdp.gamma * np.einsum("spo,sot->spto", pick, next_state).reshape(S * O, S * O)
    mu = np.linalg.solve((np.eye(S * O) - shifted).T, np.eye(S * O)[start]).reshape(S, O)
    dbeta = values.beta * (1 - values.beta)  # (O, S)
    return -(mu.T * dbeta * (values.A_Omega.T + xi)) * live[None, :]
