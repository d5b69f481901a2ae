"""The stochastic decision process of Kulkarni et al. (2016, §4.1, Figure 2), exactly.

Six states s1 … s6 (indices 0 … 5 here), start s2, terminal s1. *Left* moves one state left;
*right* moves one state right with probability 1/2 and one state left otherwise (at s6 a
successful *right* stays in s6: the chain has no s7). Entering s1 ends the episode and pays 1 if
s6 was visited on the way, 0.01 otherwise; every other step pays 0.

The reward depends on the history, so the state s alone is not Markov. Augmenting it with one
bit, v = "s6 has been visited", makes it Markov (:func:`history_augmented_mdp`), and dynamic
programming on the augmented chain gives the optimum (:func:`optimal_return`): go right until
s6, then left, 1/5 · 1 + 4/5 · 0.01 = 0.208 from s2.

Two faces, as elsewhere in the package: the exact model for planning, and a sampler
(:func:`sdp_step`, compiled; :class:`StochasticDecisionProcess`, its Gymnasium face). Every
episode ends: whatever is chosen, each step moves left with probability at least 1/2, so s1
is reached within five steps with probability at least 1/32.

The two-level view of h-DQN (a meta-controller that sees s and picks a goal state, a
controller that sees (s, goal) and acts until the goal or s1 is reached) is evaluated exactly
by :func:`two_level_return`, also under ε-greedy exploration at both levels, and
:func:`best_two_level_policy` finds the best such policy for a given ε.
"""

from __future__ import annotations

import itertools
from typing import Any

import gymnasium
import numba
import numpy as np

from chapter_code._checks import check_int, check_real
from chapter_code.envs.tabular import TabularMDP, value_iteration

N_STATES = 6
"""states s1 … s6, indices 0 … 5."""
START = 1
"""s2, where every episode starts."""
TERMINAL = 0
"""s1, where every episode ends."""
GOAL_STATE = 5
"""s6, whose visit makes the final reward 1."""
LEFT, RIGHT = 0, 1
"""the two actions."""
N_ACTIONS = 2
P_RIGHT = 0.5
"""probability that *right* moves right."""
REWARD_VISITED = 1.0
"""paid on entering s1 after s6 was visited."""
REWARD_NOT_VISITED = 0.01
"""paid on entering s1 without a visit to s6."""
N_GOALS = N_STATES
"""each state is a candidate goal (Kulkarni et al. 2016, §4.1)."""


@numba.njit(cache=True)
def sdp_step(state: int, visited: bool, action: int, u: float) -> tuple[int, bool, float, bool]:
    """One transition of the process (Kulkarni et al. 2016, §4.1): from ``state`` with
    ``action``, ``u`` a uniform draw in [0, 1) deciding whether *right* succeeds (u < 1/2; unused
    for *left*). Returns (next state, visited s6 by then, reward, terminated)."""
    if action == RIGHT and u < P_RIGHT:
        nxt = min(state + 1, N_STATES - 1)
    else:
        nxt = state - 1
    seen = visited or nxt == GOAL_STATE
    if nxt == TERMINAL:
        return nxt, seen, REWARD_VISITED if seen else REWARD_NOT_VISITED, True
    return nxt, seen, 0.0, False


def augmented_index(state: int, visited: bool) -> int:
    """Index of the history-augmented state (s, v) in :func:`history_augmented_mdp`:
    s + 6 v."""
    return int(state) + N_STATES * int(bool(visited))


def history_augmented_mdp(*, gamma: float = 1.0) -> TabularMDP:
    """The process on the Markov state (s, v), v = "s6 visited": 12 states indexed by
    :func:`augmented_index`, both copies of s1 terminal, rewards r(x, a, x') as above.
    Every policy ends its episodes (see the module docstring), so γ = 1 is allowed."""
    gamma = check_real("gamma", gamma, low=0.0, high=1.0, low_open=True)
    S = 2 * N_STATES
    P = np.zeros((S, N_ACTIONS, S))
    R = np.zeros((S, N_ACTIONS, S))
    for s in range(N_STATES):
        for v in (False, True):
            x = augmented_index(s, v)
            if s == TERMINAL:
                P[x, :, x] = 1.0
                continue
            for a in range(N_ACTIONS):
                # u below 1/2 is the success of *right*, above it the failure (left for *left*)
                for u, p in ((0.25, P_RIGHT), (0.75, 1.0 - P_RIGHT)):
                    nxt, seen, r, _ = sdp_step(s, v, a, u)
                    y = augmented_index(nxt, seen)
                    P[x, a, y] += p
                    R[x, a, y] = r
    terminal = np.array([s == TERMINAL for _ in (0, 1) for s in range(N_STATES)])
    return TabularMDP(P=P, R=R, gamma=gamma, terminal=terminal)


def optimal_values(*, gamma: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Optimal values V*(s, v) and Q*(s, v, a) on the augmented chain by value iteration:
    shapes (2, 6) and (2, 6, 2), indexed [v, s] and [v, s, a]."""
    V, Q = value_iteration(history_augmented_mdp(gamma=gamma), tol=1e-14)
    return V.reshape(2, N_STATES), Q.reshape(2, N_STATES, N_ACTIONS)


def optimal_return(*, gamma: float = 1.0) -> float:
    """The optimal expected (γ-discounted) return from s2: V*(s2, v = 0). About 0.208 for
    γ = 1 (= 1/5 + 4/5 · 0.01)."""
    V, _ = optimal_values(gamma=gamma)
    return float(V[0, START])


class StochasticDecisionProcess(gymnasium.Env):  # type: ignore[misc]
    """The process as a Gymnasium environment: observation the state index (0 … 5, s1 … s6;
    the agent is not told whether s6 was visited), actions 0 = left, 1 = right. ``info`` carries
    ``visited`` (whether s6 was visited). One uniform draw from ``np_random`` per *right*, none
    per *left*. No time limit: every episode ends (module docstring)."""

    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(self) -> None:
        self.observation_space = gymnasium.spaces.Discrete(N_STATES)
        self.action_space = gymnasium.spaces.Discrete(N_ACTIONS)
        self.state = START
        self.visited = False

    def reset(self, *, seed: int | None = None,
              options: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
        super().reset(seed=seed)
        self.state, self.visited = START, False
        return self.state, {"visited": self.visited}

    def step(self, action: int) -> tuple[int, float, bool, bool, dict[str, Any]]:
        if action not in (LEFT, RIGHT):
            raise ValueError(f"action must be 0 (left) or 1 (right), got {action!r}")
        if self.state == TERMINAL:
            raise RuntimeError("step called after the episode ended; call reset first")
        u = float(self.np_random.random()) if action == RIGHT else 1.0
        self.state, self.visited, reward, terminated = sdp_step(self.state, self.visited,
                                                                int(action), u)
        return int(self.state), float(reward), bool(terminated), False, {
            "visited": bool(self.visited)}


# ---------------------------------------------------------------------------------------------
# The two-level (meta-controller / controller) view


def goal_reaching_policy(*, gamma: float = 0.99) -> np.ndarray:
    """The controller's optimal policy for the intrinsic reward: π(s, g) = argmax_a Q1*(s, a; g)
    (Kulkarni et al. 2016, eq. 1), Q1* by value iteration on the process with reward 1 on
    arriving at g and the controller's episode ended on arriving at g or s1. Ties go to *left*.
    Returns (6, 6) actions indexed [s, g] (row s1 unused)."""
    gamma = check_real("gamma", gamma, low=0.0, high=1.0, low_open=True)
    policy = np.zeros((N_STATES, N_GOALS), dtype=np.int64)
    reached, ended = N_STATES, N_STATES + 1  # absorbing: goal reached; s1 entered elsewhere
    for g in range(N_GOALS):
        P = np.zeros((N_STATES + 2, N_ACTIONS, N_STATES + 2))
        R = np.zeros((N_STATES + 2, N_ACTIONS, N_STATES + 2))
        P[[reached, ended, TERMINAL], :, ended] = 1.0
        for s in range(1, N_STATES):
            for a in range(N_ACTIONS):
                for u, p in ((0.25, P_RIGHT), (0.75, 1.0 - P_RIGHT)):
                    nxt = sdp_step(s, False, a, u)[0]
                    arrival = reached if nxt == g else ended if nxt == TERMINAL else nxt
                    P[s, a, arrival] += p
                    R[s, a, arrival] = float(nxt == g)
        terminal = np.zeros(N_STATES + 2, dtype=bool)
        terminal[[TERMINAL, reached, ended]] = True
        _, Q = value_iteration(TabularMDP(P=P, R=R, gamma=gamma, terminal=terminal))
        policy[:, g] = Q[:N_STATES].argmax(axis=1)
    return policy


def _check_policies(meta: np.ndarray, controller: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    meta = np.asarray(meta)
    controller = np.asarray(controller)
    if meta.shape[-1:] != (N_STATES,) or not np.issubdtype(meta.dtype, np.integer):
        raise ValueError(f"meta must hold integer goals of shape (..., 6), got {meta.shape}")
    if ((meta < 0) | (meta >= N_GOALS)).any():
        raise ValueError("meta goals must lie in [0, 5]")
    if controller.shape != (N_STATES, N_GOALS) or not np.issubdtype(controller.dtype,
                                                                     np.integer):
        raise ValueError(f"controller must hold integer actions of shape (6, 6), got "
                         f"{controller.shape}")
    if ((controller < 0) | (controller >= N_ACTIONS)).any():
        raise ValueError("controller actions must be 0 (left) or 1 (right)")
    return meta, controller


def _chain_blocks(controller: np.ndarray, epsilon_controller: float
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The linear system of :func:`two_level_return` without the meta-controller's part.

    Unknowns W[x] = W(s, v, g), x = (s - 1) + 5 (v + 2 g) over the live states s2 … s6: the
    expected extrinsic reward still to come while the controller pursues g from (s, v). Then
    W = c + B W + C M, with M[y] = M(s', v') the value of a fresh goal choice at (s', v'),
    y = (s' - 1) + 5 v'. Returns (c, B, C)."""
    n_live = N_STATES - 1
    n_w, n_m = n_live * 2 * N_GOALS, n_live * 2
    c, B, C = np.zeros(n_w), np.zeros((n_w, n_w)), np.zeros((n_w, n_m))
    for s, v, g in itertools.product(range(1, N_STATES), (0, 1), range(N_GOALS)):
        x = (s - 1) + n_live * (v + 2 * g)
        greedy = controller[s, g]
        for a in range(N_ACTIONS):
            pa = epsilon_controller / N_ACTIONS + (1.0 - epsilon_controller) * (a == greedy)
            for u, p in ((0.25, P_RIGHT), (0.75, 1.0 - P_RIGHT)):
                nxt, seen, r, terminated = sdp_step(s, bool(v), a, u)
                w = pa * p
                c[x] += w * r
                if terminated:
                    continue
                if nxt == g:  # goal reached: the meta-controller chooses again
                    C[x, (nxt - 1) + n_live * int(seen)] += w
                else:
                    B[x, (nxt - 1) + n_live * (int(seen) + 2 * g)] += w
    return c, B, C


def _goal_choice(meta: np.ndarray, epsilon_meta: float) -> np.ndarray:
    """The meta-controller's ε-greedy choice as the matrix Mu with M = Mu W: Mu[..., y, x] is
    the probability that at (s', v') of row y the goal of column x is chosen."""
    n_live = N_STATES - 1
    batch = meta.shape[:-1]
    Mu = np.zeros((*batch, 2 * n_live, 2 * n_live * N_GOALS))
    for s, v, g in itertools.product(range(1, N_STATES), (0, 1), range(N_GOALS)):
        y, x = (s - 1) + n_live * v, (s - 1) + n_live * (v + 2 * g)
        Mu[..., y, x] = epsilon_meta / N_GOALS + (1.0 - epsilon_meta) * (meta[..., s] == g)
    return Mu


def two_level_return(meta: np.ndarray, controller: np.ndarray, *, epsilon_meta: float = 0.0,
                     epsilon_controller: float = 0.0) -> np.ndarray:
    """Exact expected (undiscounted) extrinsic return from s2 of the two-level policy: the
    meta-controller picks goal ``meta[s]`` in s (ε_meta-greedy over the 6 goals) at the start
    and whenever the current goal is reached; the controller takes ``controller[s, g]``
    (ε_controller-greedy over the 2 actions) until the goal or s1 is reached (Kulkarni et al.
    2016, Algorithms 1 and 2, with fixed tables). A linear solve over (s, v, g).

    ``meta``: (..., 6) goals (leading dimensions: several meta policies at once);
    ``controller``: (6, 6) actions indexed [s, g]. Returns an array of shape ``meta.shape[:-1]``.
    """
    meta, controller = _check_policies(meta, controller)
    epsilon_meta = check_real("epsilon_meta", epsilon_meta, low=0.0, high=1.0)
    epsilon_controller = check_real("epsilon_controller", epsilon_controller, low=0.0, high=1.0)
    c, B, C = _chain_blocks(controller, epsilon_controller)
    Mu = _goal_choice(meta, epsilon_meta)
    A = np.eye(B.shape[0]) - B - C @ Mu
    W = np.linalg.solve(A, np.broadcast_to(c, (*A.shape[:-1],))[..., None])[..., 0]
    M = np.einsum("...yx,...x->...y", Mu, W)
    return M[..., START - 1]


def best_two_level_policy(*, epsilon_meta: float = 0.0, epsilon_controller: float = 0.0,
                          gamma: float = 0.99, chunk: int = 1296
                          ) -> tuple[np.ndarray, np.ndarray, float]:
    """The two-level policy with the highest exact return under ε-greedy exploration at both
    levels: the controller is the goal-reaching optimum (:func:`goal_reaching_policy`), the
    meta-controller (which sees s only, as in the paper) is searched over all 6^5 choices of a
    goal in s2 … s6. Returns (meta (6,), controller (6, 6), its return); ties (returns within
    1e-12, as after s6 is visited every choice earns 1) go to the first in lexicographic
    order."""
    controller = goal_reaching_policy(gamma=gamma)
    chunk = check_int("chunk", chunk, minimum=1)
    candidates = np.array(list(itertools.product(range(N_GOALS), repeat=N_STATES - 1)))
    metas = np.concatenate([np.zeros((len(candidates), 1), dtype=np.int64), candidates], axis=1)
    values = np.concatenate([
        two_level_return(metas[i:i + chunk], controller, epsilon_meta=epsilon_meta,
                         epsilon_controller=epsilon_controller)
        for i in range(0, len(metas), chunk)])
    best = int(np.flatnonzero(values >= values.max() - 1e-12)[0])
    return metas[best], controller, float(values[best])
