"""An exact tabular MDP, exact planning on it, and a sampler that steps many seeds at once."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from chapter_code._checks import check_int, check_real

_ROW_TOL = 1e-8


@dataclass(frozen=True, eq=False)
class TabularMDP:
    """A finite MDP given by its exact model.

    ``P[s, a, s']`` is the transition probability, ``gamma`` the discount and ``terminal[s]``
    marks absorbing states whose value is zero. The reward is given either as r(s, a, s'), the
    reward of the transition s -a-> s' (shape (S, A, S); e.g. +1 for arriving at a goal), or as
    r(s, a) when it does not depend on where the move lands (shape (S, A)). After construction
    two views are stored: ``R_transition`` (S, A, S), the reward a sampled transition pays, which
    is what learners see; and ``R`` (S, A), its expectation R(s, a) = Σ_s' P(s, a, s') r(s, a, s'),
    which is what the exact planners use. Rows leaving a terminal state are ignored by the
    planners and the sampler (an episode ends on arrival).
    """

    P: np.ndarray
    R: np.ndarray
    gamma: float
    terminal: np.ndarray
    R_transition: np.ndarray = field(init=False, repr=False)
    _cdf: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        P = np.array(self.P, dtype=float)
        R = np.array(self.R, dtype=float)
        terminal = np.array(self.terminal)
        if P.ndim != 3 or P.shape[0] != P.shape[2]:
            raise ValueError(f"P must have shape (S, A, S), got {P.shape}")
        n_states, n_actions, _ = P.shape
        if R.shape not in ((n_states, n_actions), (n_states, n_actions, n_states)):
            raise ValueError(f"R must have shape (S, A) = {(n_states, n_actions)} or (S, A, S) = "
                             f"{(n_states, n_actions, n_states)}, got {R.shape}")
        if terminal.shape != (n_states,) or terminal.dtype != bool:
            raise ValueError(
                f"terminal must be a bool array of shape (S,) = ({n_states},), "
                f"got dtype {terminal.dtype} shape {terminal.shape}"
            )
        if not np.isfinite(P).all() or (P < 0).any():
            raise ValueError("P must hold finite, non-negative probabilities")
        row_sums = P.sum(axis=2)
        bad = np.argwhere(np.abs(row_sums - 1.0) > _ROW_TOL)
        if bad.size:
            s, a = bad[0]
            raise ValueError(
                f"P[s, a, :] must sum to 1; P[{s}, {a}, :] sums to {row_sums[s, a]:.6g}"
            )
        if not np.isfinite(R).all():
            raise ValueError("R must be finite")
        gamma = check_real("gamma", self.gamma, low=0.0, high=1.0)
        R = np.where(terminal.reshape((-1,) + (1,) * (R.ndim - 1)), 0.0, R)
        if R.ndim == 2:  # r(s, a): every transition of (s, a) pays the same
            R_transition = np.repeat(R[:, :, None], n_states, axis=2)
        else:
            R_transition, R = R, np.einsum("sat,sat->sa", P, R)
        for name, value in (("P", P), ("R", R), ("R_transition", R_transition),
                            ("terminal", terminal)):
            value.setflags(write=False)
            object.__setattr__(self, name, value)
        object.__setattr__(self, "gamma", gamma)
        cdf = np.cumsum(P, axis=2)
        cdf[..., -1] = 1.0  # guard against round-off so every uniform draw maps to a state
        cdf.setflags(write=False)
        object.__setattr__(self, "_cdf", cdf)

    @property
    def n_states(self) -> int:
        """Number of states S."""
        return self.P.shape[0]

    @property
    def n_actions(self) -> int:
        """Number of primitive actions A."""
        return self.P.shape[1]

    def q_from_v(self, V: np.ndarray) -> np.ndarray:
        """One Bellman backup: Q(s, a) = R(s, a) + γ Σ_s' P(s, a, s') V(s'), V = 0 at terminals.

        Shapes: ``V`` (..., S) -> Q (..., S, A); leading dimensions (seeds) broadcast.
        """
        V = np.where(self.terminal, 0.0, np.asarray(V, dtype=float))
        Q = self.R + self.gamma * np.einsum("sat,...t->...sa", self.P, V)
        return np.where(self.terminal[:, None], 0.0, Q)

    def step(
        self, state: np.ndarray, action: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Sample one transition for a batch: returns ``(next_state, reward, terminated)``.

        ``state`` and ``action`` are integer arrays of one shape (e.g. ``(n_seeds,)``); the
        next state is drawn by inverting the CDF of ``P[state, action]`` at one uniform draw
        each; the reward is that transition's ``R_transition[state, action, next_state]``;
        ``terminated`` is ``terminal[next_state]``. All draws come from ``rng``.
        """
        state = np.asarray(state)
        action = np.asarray(action)
        u = rng.random(state.shape)
        next_state = (u[..., None] >= self._cdf[state, action]).sum(axis=-1)
        reward = self.R_transition[state, action, next_state]
        return next_state, reward, self.terminal[next_state]


def value_iteration(
    mdp: TabularMDP, *, tol: float = 1e-10, max_iterations: int = 100_000
) -> tuple[np.ndarray, np.ndarray]:
    """Optimal values by value iteration: V_{k+1}(s) = max_a Q_k(s, a) until sup-change < tol.

    Returns ``(V, Q)`` with shapes (S,) and (S, A). Raises ``RuntimeError`` if ``max_iterations``
    sweeps do not reach ``tol`` (possible with γ = 1 and improper policies).
    """
    check_real("tol", tol, low=0.0, low_open=True)
    check_int("max_iterations", max_iterations, minimum=1)
    V = np.zeros(mdp.n_states)
    for _ in range(max_iterations):
        Q = mdp.q_from_v(V)
        V_new = Q.max(axis=1)
        if np.max(np.abs(V_new - V)) < tol:
            return V_new, mdp.q_from_v(V_new)
        V = V_new
    raise RuntimeError(f"value iteration did not reach tol={tol} in {max_iterations} sweeps")


def policy_evaluation(mdp: TabularMDP, policy: np.ndarray) -> np.ndarray:
    """Exact V^π by a linear solve of (I - γ P_π) V = R_π on the non-terminal states.

    ``policy``: (S, A) action probabilities, or (S,) integer actions. Raises ``ValueError`` if
    the system is singular (with γ = 1, a policy that never reaches a terminal state).
    """
    pi = _as_stochastic_policy(mdp, policy)
    live = ~mdp.terminal
    P_pi = np.einsum("sa,sat->st", pi, mdp.P)[np.ix_(live, live)]
    R_pi = np.einsum("sa,sa->s", pi, mdp.R)[live]
    A = np.eye(int(live.sum())) - mdp.gamma * P_pi
    V = np.zeros(mdp.n_states)
    try:
        V[live] = np.linalg.solve(A, R_pi)
    except np.linalg.LinAlgError as err:
        raise ValueError(
            "policy evaluation is singular: with gamma = 1 the policy must reach a terminal "
            "state from every state"
        ) from err
    return V


def _as_stochastic_policy(mdp: TabularMDP, policy: np.ndarray) -> np.ndarray:
    policy = np.asarray(policy)
    S, A = mdp.n_states, mdp.n_actions
    if policy.shape == (S,) and np.issubdtype(policy.dtype, np.integer):
        if (policy < 0).any() or (policy >= A).any():
            raise ValueError(f"policy actions must lie in [0, {A - 1}]")
        return np.eye(A)[policy]
    if policy.shape != (S, A):
        raise ValueError(f"policy must have shape (S,) of ints or (S, A) = {(S, A)}, got "
                         f"{policy.shape}")
    if (policy < 0).any() or np.abs(policy.sum(axis=1) - 1).max() > _ROW_TOL:
        raise ValueError("policy rows must be probability distributions over actions")
    return policy.astype(float)
