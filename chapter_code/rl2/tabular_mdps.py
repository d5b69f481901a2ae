"""Random tabular MDPs as a task distribution (Duan et al. 2016, §3.2), many tasks at once.

A task has S = 10 states and A = 5 actions; each row P(· | s, a) ~ Dirichlet(1, ..., 1) (flat),
and the reward of (s, a) is Normal(μ_{s,a}, 1) with μ_{s,a} ~ Normal(1, 1). An episode lasts
T = 10 steps; a trial is n episodes of the same task. The paper does not say where an episode
starts: ``start="uniform"`` draws the state uniformly, ``start="fixed"`` always uses state 0, as
the authors' released experiment code does. Shapes carry a leading
task dimension: ``P`` is (n_tasks, S, A, S), ``mu`` (n_tasks, S, A).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chapter_code._checks import check_choice, check_int
from chapter_code.rl2.bandits import check_rng

N_STATES = 10
N_ACTIONS = 5
HORIZON = 10
START_RULES = ("uniform", "fixed")
"""where an episode starts: a uniformly drawn state, or always state 0"""


@dataclass(frozen=True)
class MDPBatch:
    """Tasks: transition probabilities ``P`` (n_tasks, S, A, S) and mean rewards ``mu``
    (n_tasks, S, A); rewards are ``mu`` plus unit-variance Gaussian noise."""

    P: np.ndarray
    mu: np.ndarray

    @property
    def n_tasks(self) -> int:
        """Number of tasks in the batch."""
        return int(self.mu.shape[0])

    def task(self, i: int) -> MDPBatch:
        """The batch of the single task ``i``."""
        return MDPBatch(self.P[i:i + 1], self.mu[i:i + 1])


def sample_dirichlet_rows(alpha: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One Dirichlet(α) draw per row of the last axis of ``alpha``, by normalising independent
    Gamma(α_j, 1) draws."""
    gammas = rng.gamma(alpha)
    return gammas / gammas.sum(axis=-1, keepdims=True)


def sample_mdps(n_tasks: int, rng: np.random.Generator, n_states: int = N_STATES,
                n_actions: int = N_ACTIONS) -> MDPBatch:
    """``n_tasks`` MDPs from the prior of Duan et al. (2016, §3.2): flat-Dirichlet rows,
    μ ~ N(1, 1)."""
    n_tasks = check_int("n_tasks", n_tasks, minimum=1)
    n_states = check_int("n_states", n_states, minimum=2)
    n_actions = check_int("n_actions", n_actions, minimum=2)
    rng = check_rng(rng)
    P = sample_dirichlet_rows(np.ones((n_tasks, n_states, n_actions, n_states)), rng)
    mu = rng.normal(1.0, 1.0, size=(n_tasks, n_states, n_actions))
    return MDPBatch(P=P, mu=mu)


def initial_states(n_tasks: int, n_states: int, uniforms: np.ndarray,
                   start: str = "uniform") -> np.ndarray:
    """Start states (n_tasks,): drawn uniformly from ``uniforms`` in [0, 1) (``start="uniform"``),
    or state 0 for every task (``"fixed"``; the uniforms are then unused)."""
    start = check_choice("start", start, START_RULES)
    if start == "fixed":
        return np.zeros(n_tasks, dtype=np.int64)
    return np.minimum((uniforms * n_states).astype(np.int64), n_states - 1)


def step(mdps: MDPBatch, states: np.ndarray, actions: np.ndarray, noise: np.ndarray,
         uniforms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One step in every task: reward μ(s, a) + noise and the next state drawn from P(· | s, a)
    by inverting its CDF at ``uniforms``. All arguments after ``mdps`` are (n_tasks,)."""
    rows = np.arange(mdps.n_tasks)
    reward = mdps.mu[rows, states, actions] + noise
    cdf = np.cumsum(mdps.P[rows, states, actions], axis=-1)
    next_state = np.minimum((cdf < uniforms[:, None]).sum(axis=-1), cdf.shape[-1] - 1)
    return reward, next_state


def plan(P: np.ndarray, r: np.ndarray, horizon: int) -> np.ndarray:
    """Q_t(s, a) = r(s, a) + Σ_s' P(s' | s, a) max_a' Q_{t+1}(s', a'), Q_horizon = 0: the
    finite-horizon Bellman backup (Puterman 1994, §4.5) of every task at once.
    ``P``: (..., S, A, S), ``r``: (..., S, A) -> Q: (horizon, ..., S, A), Q[t] for step t."""
    horizon = check_int("horizon", horizon, minimum=1)
    q = np.empty((horizon, *r.shape))
    v = np.zeros(r.shape[:-1])
    for t in range(horizon - 1, -1, -1):
        q[t] = r + np.einsum("...sax,...x->...sa", P, v)
        v = q[t].max(axis=-1)
    return q


class MDPTrials:
    """Random MDPs as RL² sees them: a trial is ``n_episodes`` episodes of T = 10 steps in one
    task; the observation is the state, ``done`` = 1 on the last step of each episode, and
    every episode starts by the rule ``start`` (:data:`START_RULES`). All random numbers of a
    trial are drawn up front (:meth:`draw`) with a leading task dimension."""

    n_obs = N_STATES
    n_actions = N_ACTIONS

    def __init__(self, n_episodes: int, start: str = "uniform") -> None:
        self.n_episodes = check_int("n_episodes", n_episodes, minimum=1)
        self.start_rule = check_choice("start", start, START_RULES)
        self.trial_length = self.n_episodes * HORIZON

    def draw(self, n_tasks: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Tasks (``P``, ``mu``) and the noise of ``n_tasks`` trials: start uniforms (n_tasks,
        n_episodes), reward noise and transition uniforms (n_tasks, n · T)."""
        mdps = sample_mdps(n_tasks, rng)
        return {"P": mdps.P, "mu": mdps.mu,
                "start_uniforms": rng.random((n_tasks, self.n_episodes)),
                "reward_noise": rng.standard_normal((n_tasks, self.trial_length)),
                "next_uniforms": rng.random((n_tasks, self.trial_length))}

    def start(self, draws: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """(state, observation) at the start of the trial, each (n_tasks,)."""
        state = initial_states(draws["mu"].shape[0], N_STATES, draws["start_uniforms"][:, 0],
                               self.start_rule)
        return state, state

    def transition(self, draws: dict[str, np.ndarray], t: int, state: np.ndarray,
                   actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Step t (0-based) of every trial: (next state, next observation, reward, done); after
        the last step of an episode the next state is the next episode's start."""
        mdps = MDPBatch(draws["P"], draws["mu"])
        reward, next_state = step(mdps, state, actions, draws["reward_noise"][:, t],
                                  draws["next_uniforms"][:, t])
        done = (t + 1) % HORIZON == 0
        if done and (t + 1) < self.trial_length:
            episode = (t + 1) // HORIZON
            next_state = initial_states(state.size, N_STATES, draws["start_uniforms"][:, episode],
                                        self.start_rule)
        return next_state, next_state, reward, np.full(state.size, float(done))
