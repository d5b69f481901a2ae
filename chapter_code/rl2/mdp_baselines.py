"""The tabular-MDP baselines of Duan et al. (2016), Table 2, for many tasks at once.

Every baseline counts what it has seen, n(s, a), the transitions n(s, a, s') and the summed
rewards, and at the start of each episode turns those into a T-step action-value function
Q_t(s, a) by finite-horizon planning (:func:`chapter_code.rl2.tabular_mdps.plan`); inside the
episode it acts greedily on Q_t (ties at random), ε-greedy also flipping an ε-coin. The
baselines differ in the model they plan in:

- greedy: the empirical (maximum-likelihood) model p̂ = n(s,a,·) / n(s,a), r̂ = Σ r / n(s,a),
  unvisited pairs with uniform transitions and reward 0 (our reading; it reproduces Duan et
  al.'s greedy and ε-greedy rows, where planning in the posterior mean scores far higher);
- PSRL (Strens 2000; Osband, Russo & Van Roy 2013, Algorithm 1): one MDP drawn from the
  posterior;
- optimistic PSRL: ``n_samples`` posterior draws, acting on the largest of their Q values
  (our reading of an optimistic variant; one draw is PSRL);
- BEB (Kolter & Ng 2009, eq. 2): the posterior mean under the task prior, P̄ = (1 + n(s,a,·)) /
  (S + n(s,a)), r̄ = (1 + Σ r) / (1 + n(s,a)) (Dirichlet(1) and N(1, 1) priors, unit reward
  noise), with the bonus β / (1 + n(s,a)) added to
  each reward;
- UCRL2 (Jaksch, Ortner & Auer 2010, Fig. 1, eqs. 3-4), episodic: the best MDP within L1
  balls around the empirical transitions and intervals around the empirical rewards, found by
  extended value iteration with the inner maximum of their Fig. 2 (:func:`optimistic_transition`),
  the confidence widths scaled by a tuned constant;
- random: uniformly random actions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from chapter_code._checks import check_choice, check_int, check_real
from chapter_code.rl2.bandit_baselines import argmax_random_ties
from chapter_code.rl2.bandits import check_rng
from chapter_code.rl2.tabular_mdps import (
    HORIZON,
    START_RULES,
    MDPBatch,
    initial_states,
    plan,
    sample_dirichlet_rows,
    step,
)


@dataclass
class Counts:
    """What an agent has seen in each task: ``visits`` n(s, a) (n_tasks, S, A), ``transitions``
    n(s, a, s') (n_tasks, S, A, S), ``reward_sums`` Σ r (n_tasks, S, A), and ``steps`` taken."""

    visits: np.ndarray
    transitions: np.ndarray
    reward_sums: np.ndarray
    steps: int = 0

    @classmethod
    def empty(cls, n_tasks: int, n_states: int, n_actions: int) -> Counts:
        """No data yet."""
        return cls(np.zeros((n_tasks, n_states, n_actions)),
                   np.zeros((n_tasks, n_states, n_actions, n_states)),
                   np.zeros((n_tasks, n_states, n_actions)))

    def record(self, states: np.ndarray, actions: np.ndarray, rewards: np.ndarray,
               next_states: np.ndarray) -> None:
        """Add one transition per task."""
        rows = np.arange(states.size)
        self.visits[rows, states, actions] += 1.0
        self.transitions[rows, states, actions, next_states] += 1.0
        self.reward_sums[rows, states, actions] += rewards
        self.steps += 1


def posterior_mean_model(counts: Counts) -> tuple[np.ndarray, np.ndarray]:
    """(P̄, r̄): the posterior mean of the transitions under Dirichlet(1) and of the mean
    rewards under the N(1, 1) prior with unit noise, (n_tasks, S, A, S) and (n_tasks, S, A)."""
    n_states = counts.transitions.shape[-1]
    P = (1.0 + counts.transitions) / (n_states + counts.visits[..., None])
    r = (1.0 + counts.reward_sums) / (1.0 + counts.visits)
    return P, r


def empirical_model(counts: Counts) -> tuple[np.ndarray, np.ndarray]:
    """(p̂, r̂): the maximum-likelihood transitions and mean rewards; an unvisited pair gets
    uniform transitions and reward 0."""
    n = np.maximum(counts.visits, 1.0)
    n_states = counts.transitions.shape[-1]
    seen = counts.visits[..., None] > 0
    return (np.where(seen, counts.transitions / n[..., None], 1.0 / n_states),
            counts.reward_sums / n)


def posterior_sample_model(counts: Counts, rng: np.random.Generator,
                           n_samples: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """``n_samples`` MDPs from the posterior: rows ~ Dirichlet(1 + n(s, a, ·)), means ~
    N(r̄, 1 / (1 + n(s, a))); shapes (n_samples, n_tasks, S, A, S) and (n_samples, n_tasks, S, A)."""
    alpha = np.broadcast_to(1.0 + counts.transitions, (n_samples, *counts.transitions.shape))
    P = sample_dirichlet_rows(alpha, rng)
    _, r_mean = posterior_mean_model(counts)
    r = r_mean + rng.standard_normal((n_samples, *r_mean.shape)) / np.sqrt(1.0 + counts.visits)
    return P, r


def beb_bonus(visits: np.ndarray, beta: float) -> np.ndarray:
    """β / (1 + n(s, a)): the Bayesian exploration bonus (Kolter & Ng 2009, eq. 2)."""
    return beta / (1.0 + visits)


def ucrl2_widths(counts: Counts, n_actions: int, delta: float, scale: float
                 ) -> tuple[np.ndarray, np.ndarray]:
    """UCRL2's confidence radii at step t (Jaksch et al. 2010, eqs. 3 and 4), times ``scale``:
    transitions ‖p − p̂‖₁ <= √(14 S log(2 A t / δ) / max(1, n)), rewards |r − r̂| <=
    √(7 log(2 S A t / δ) / (2 max(1, n))). Shapes (n_tasks, S, A)."""
    n_states = counts.transitions.shape[-1]
    t = max(counts.steps, 1)
    n = np.maximum(counts.visits, 1.0)
    d_p = scale * np.sqrt(14.0 * n_states * np.log(2.0 * n_actions * t / delta) / n)
    d_r = scale * np.sqrt(3.5 * np.log(2.0 * n_states * n_actions * t / delta) / n)
    return d_p, d_r


def optimistic_transition(p_hat: np.ndarray, v: np.ndarray, radius: np.ndarray) -> np.ndarray:
    """argmax_p Σ_s' p(s') v(s') over distributions with ‖p − p̂‖₁ <= radius (Jaksch et al.
    2010, Fig. 2): move up to radius/2 of mass onto the best next state, taking it from the
    worst states first. ``p_hat``: (..., S), ``v``: broadcastable to it, ``radius``: (...)."""
    v = np.broadcast_to(v, p_hat.shape)
    order = np.argsort(-v, axis=-1, kind="stable")  # best state first
    p = np.take_along_axis(p_hat, order, axis=-1).copy()
    p[..., 0] = np.minimum(1.0, p[..., 0] + radius / 2.0)
    excess = p.sum(axis=-1) - 1.0  # mass to remove, from the worst state upwards
    worst_first = p[..., :0:-1]
    before = np.cumsum(worst_first, axis=-1) - worst_first
    worst_first -= np.clip(excess[..., None] - before, 0.0, worst_first)
    p[..., :0:-1] = worst_first
    out = np.empty_like(p)
    np.put_along_axis(out, order, p, axis=-1)
    return out


def extended_value_iteration(p_hat: np.ndarray, r_hat: np.ndarray, d_p: np.ndarray,
                             d_r: np.ndarray, horizon: int) -> np.ndarray:
    """Optimistic finite-horizon Q: the backup of :func:`plan` with r̂ + d_r and, at every step,
    the transition of :func:`optimistic_transition` for the next step's values (Jaksch et al.
    2010, §3.1.2, on a finite horizon). Shapes as :func:`plan`."""
    q = np.empty((horizon, *r_hat.shape))
    v = np.zeros(r_hat.shape[:-1])
    for t in range(horizon - 1, -1, -1):
        p = optimistic_transition(p_hat, v[..., None, None, :], d_p)
        q[t] = r_hat + d_r + (p * v[..., None, None, :]).sum(axis=-1)
        v = q[t].max(axis=-1)
    return q


# planner(counts, rng) -> Q (T, n_tasks, S, A), called at the start of every episode
Planner = Callable[[Counts, np.random.Generator], np.ndarray]


@dataclass(frozen=True)
class MDPPolicy:
    """Act greedily on the planner's Q_t (ties at random), except a uniformly random action
    with probability ``epsilon``."""

    name: str
    planner: Planner
    epsilon: float = 0.0
    params: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_real("epsilon", self.epsilon, low=0.0, high=1.0)


def _zero_planner(counts: Counts, rng: np.random.Generator) -> np.ndarray:
    return np.zeros((HORIZON, *counts.visits.shape))


def _empirical_planner(counts: Counts, rng: np.random.Generator) -> np.ndarray:
    return plan(*empirical_model(counts), HORIZON)


def random_mdp_policy() -> MDPPolicy:
    """Uniformly random actions."""
    return MDPPolicy("random", _zero_planner, epsilon=1.0)


def greedy_mdp_policy() -> MDPPolicy:
    """Plan in the empirical model."""
    return MDPPolicy("greedy", _empirical_planner)


def eps_greedy_mdp_policy(epsilon: float) -> MDPPolicy:
    """Greedy in the empirical model, random actions with probability ``epsilon``."""
    return MDPPolicy("eps_greedy", _empirical_planner, epsilon=epsilon, params={"epsilon": epsilon})


def psrl_policy(n_samples: int = 1) -> MDPPolicy:
    """PSRL (``n_samples = 1``) or optimistic PSRL: plan in each of ``n_samples`` posterior
    draws and act on the largest Q."""
    n_samples = check_int("n_samples", n_samples, minimum=1)

    def planner(counts: Counts, rng: np.random.Generator) -> np.ndarray:
        P, r = posterior_sample_model(counts, rng, n_samples)
        return plan(P, r, HORIZON).max(axis=1)

    if n_samples == 1:
        return MDPPolicy("psrl", planner)
    return MDPPolicy("opsrl", planner, params={"n_samples": n_samples})


def beb_policy(beta: float) -> MDPPolicy:
    """BEB: plan in the posterior mean with reward bonus β / (1 + n(s, a))."""
    beta = check_real("beta", beta, low=0.0)

    def planner(counts: Counts, rng: np.random.Generator) -> np.ndarray:
        P, r = posterior_mean_model(counts)
        return plan(P, r + beb_bonus(counts.visits, beta), HORIZON)

    return MDPPolicy("beb", planner, params={"beta": beta})


def ucrl2_policy(scale: float, delta: float = 0.05) -> MDPPolicy:
    """UCRL2 with confidence widths times ``scale`` at confidence δ = ``delta``."""
    scale = check_real("scale", scale, low=0.0)
    delta = check_real("delta", delta, low=0.0, high=1.0, low_open=True, high_open=True)

    def planner(counts: Counts, rng: np.random.Generator) -> np.ndarray:
        p_hat, r_hat = empirical_model(counts)
        d_p, d_r = ucrl2_widths(counts, counts.visits.shape[-1], delta, scale)
        return extended_value_iteration(p_hat, r_hat, d_p, d_r, HORIZON)

    return MDPPolicy("ucrl2", planner, params={"scale": scale})


def play_mdp(policy: MDPPolicy, mdps: MDPBatch, n_episodes: int,
             rng: np.random.Generator, start: str = "uniform") -> np.ndarray:
    """Run ``policy`` for ``n_episodes`` episodes of T steps on every task at once, each episode
    starting by the rule ``start`` (:data:`chapter_code.rl2.tabular_mdps.START_RULES`); returns
    the rewards (n_tasks, n_episodes, T). Per episode the draws are: the planner's, the start
    states (drawn under either rule); per step: ε-coins, random actions, tie-breaking uniforms,
    reward noise and transition uniforms (n_tasks each)."""
    n_episodes = check_int("n_episodes", n_episodes, minimum=1)
    start = check_choice("start", start, START_RULES)
    rng = check_rng(rng)
    n_tasks, n_states, n_actions = mdps.mu.shape
    counts = Counts.empty(n_tasks, n_states, n_actions)
    rewards = np.empty((n_tasks, n_episodes, HORIZON))
    rows = np.arange(n_tasks)
    for episode in range(n_episodes):
        q = policy.planner(counts, rng)
        states = initial_states(n_tasks, n_states, rng.random(size=(n_tasks,)), start)
        for t in range(HORIZON):
            explore = rng.random(size=(n_tasks,)) < policy.epsilon
            random_action = rng.integers(n_actions, size=n_tasks)
            greedy = argmax_random_ties(q[t, rows, states], rng.random(size=(n_tasks,)))
            actions = np.where(explore, random_action, greedy)
            reward, next_states = step(mdps, states, actions, rng.standard_normal(size=(n_tasks,)),
                                       rng.random(size=(n_tasks,)))
            counts.record(states, actions, reward, next_states)
            rewards[:, episode, t] = reward
            states = next_states
    return rewards
