"""h-DQN on the stochastic decision process (Kulkarni et al. 2016): a meta-controller that
chooses goals and a controller that learns to reach them from an intrinsic reward.

Tabular first, as in the paper's §4.1 ("without the deep neural networks"): the controller's
Q1(s, a; g) and the meta-controller's Q2(s, g) are tables, each learned by Q-learning toward the
targets of the paper's eqs. 1-3 (:func:`q_learning_target`, :func:`q_update`); the internal
critic pays 1 when the goal is reached (:func:`intrinsic_reward`); both levels choose ε-greedily
(Algorithm 2, :func:`epsilon_greedy`), ε annealed linearly from 1 to 0.1 over the first 50,000
steps (:func:`annealed_epsilon`). Flat Q-learning on the same state is the paper's baseline.

The loops are compiled with numba and step every seed in turn from one generator;
:mod:`chapter_code.feudal.reference` is their plain twin, tested to produce the same tables from
the same random numbers. The network version with replay is
:mod:`chapter_code.feudal.hdqn_net`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numba
import numpy as np

from chapter_code._checks import check_int, check_real
from chapter_code.envs.tabular import policy_evaluation
from chapter_code.feudal.sdp import (
    N_ACTIONS,
    N_GOALS,
    N_STATES,
    RIGHT,
    START,
    augmented_index,
    history_augmented_mdp,
    sdp_step,
    two_level_return,
)
from chapter_code.seeding import SeedLike, as_generator

# ---------------------------------------------------------------------------------------------
# The updates, one function each (compiled, callable from Python)


@numba.njit(cache=True)
def intrinsic_reward(next_state: int, goal: int) -> float:
    """The internal critic's reward r(s, a, s'; g): 1 if the step reached the goal state g,
    else 0 (Kulkarni et al. 2016, §4.1: "a positive intrinsic reward if and only if it reaches
    the corresponding state")."""
    return 1.0 if next_state == goal else 0.0


@numba.njit(cache=True)
def q_learning_target(reward: float, gamma: float, q_next_max: float, ends: bool) -> float:
    """y = r + γ max_a' Q(s', a'), or y = r where the learner's episode ends in s'.

    The controller's target (Kulkarni et al. 2016, eq. 3: y_1 = r + γ max_a' Q1(s', a'; g), r
    intrinsic; it ends when g is reached or the episode ends) and the meta-controller's
    (eq. 2: F + γ max_g' Q2(s_{t+N}, g'), F the extrinsic reward summed over the N steps the
    goal was pursued; the paper discounts this transition once, by γ, not by γ^N)."""
    return reward if ends else reward + gamma * q_next_max


@numba.njit(cache=True)
def q_update(q: float, target: float, alpha: float) -> float:
    """Q <- Q + α (y - Q): one tabular Q-learning step toward the target y (the tabular form of
    the gradient step on the loss of Kulkarni et al. 2016, eqs. 3-4)."""
    return q + alpha * (target - q)


@numba.njit(cache=True)
def annealed_epsilon(step: int, start: float, end: float, anneal_steps: int) -> float:
    """ε after ``step`` environment steps, annealed linearly from ``start`` to ``end`` over
    ``anneal_steps`` steps and constant after (Kulkarni et al. 2016, §4.1: "all ε parameters
    are annealed from 1 to 0.1 over 50,000 steps")."""
    if anneal_steps <= 0 or step >= anneal_steps:
        return end
    return start + (end - start) * step / anneal_steps


@numba.njit(cache=True)
def epsilon_greedy(q_row: np.ndarray, epsilon: float, rng: np.random.Generator) -> int:
    """Algorithm 2 of Kulkarni et al. (2016): with probability ε a uniformly random index of
    ``q_row``, else argmax (the first on ties). Draws one uniform number, and a second when it
    explores."""
    n = q_row.shape[0]
    if rng.random() < epsilon:
        return min(int(rng.random() * n), n - 1)
    return int(np.argmax(q_row))


# ---------------------------------------------------------------------------------------------
# The compiled loops


class _Schedule(NamedTuple):
    """Step size ``alpha``, discount ``gamma``, ε from ``epsilon_start`` to ``epsilon_end`` over
    ``anneal_steps`` environment steps, and ``learn`` (False: act, change nothing)."""

    alpha: float
    gamma: float
    epsilon_start: float
    epsilon_end: float
    anneal_steps: int
    learn: bool


@numba.njit(cache=True)
def _hdqn_loop(Q1, Q2, schedule, rng, returns, lengths, visits, goals):  # pragma: no cover
    """Two-level Q-learning for every seed in turn (rows of Q1, Q2 updated in place), one
    episode after another (Kulkarni et al. 2016, Algorithm 1 with tabular estimators).

    Each episode starts in s2; the meta-controller picks g ε-greedily from Q2(s, ·); the
    controller acts ε-greedily on Q1(s, ·; g) until g is reached or s1 ends the episode, each
    step updating Q1 toward r + γ max Q1(s', ·; g); then Q2(s0, g) moves toward
    F + γ max Q2(s', ·) and, unless the episode ended, a new goal is picked in s'. ε is
    :func:`annealed_epsilon` of the seed's step count at each choice. Records per episode: the
    extrinsic return, its length, the visits to each state and the goals chosen."""
    alpha, gamma = schedule.alpha, schedule.gamma
    for i in range(Q1.shape[0]):
        q1, q2 = Q1[i], Q2[i]
        t = 0
        for ep in range(returns.shape[1]):
            s, visited, done = START, False, False
            eps = annealed_epsilon(t, schedule.epsilon_start, schedule.epsilon_end,
                                   schedule.anneal_steps)
            g = epsilon_greedy(q2[s], eps, rng)
            goals[i, ep, g] += 1
            while not done:
                s0, F = s, 0.0
                while True:
                    eps = annealed_epsilon(t, schedule.epsilon_start, schedule.epsilon_end,
                                           schedule.anneal_steps)
                    a = epsilon_greedy(q1[s, g], eps, rng)
                    u = rng.random() if a == RIGHT else 1.0
                    s_next, visited, f, done = sdp_step(s, visited, a, u)
                    reached = s_next == g
                    if schedule.learn:
                        y1 = q_learning_target(intrinsic_reward(s_next, g), gamma,
                                               np.max(q1[s_next, g]), done or reached)
                        q1[s, g, a] = q_update(q1[s, g, a], y1, alpha)
                    F += f
                    returns[i, ep] += f
                    lengths[i, ep] += 1
                    visits[i, ep, s_next] += 1
                    t += 1
                    s = s_next
                    if done or reached:
                        break
                if schedule.learn:
                    y2 = q_learning_target(F, gamma, np.max(q2[s]), done)
                    q2[s0, g] = q_update(q2[s0, g], y2, alpha)
                if not done:
                    eps = annealed_epsilon(t, schedule.epsilon_start, schedule.epsilon_end,
                                           schedule.anneal_steps)
                    g = epsilon_greedy(q2[s], eps, rng)
                    goals[i, ep, g] += 1


@numba.njit(cache=True)
def _flat_loop(Q, schedule, rng, returns, lengths, visits):  # pragma: no cover
    """Flat Q-learning on the state s for every seed in turn, the paper's baseline: ε-greedy on
    Q(s, ·) (ε annealed as for h-DQN), Q(s, a) toward r + γ max Q(s', ·), extrinsic r."""
    for i in range(Q.shape[0]):
        q = Q[i]
        t = 0
        for ep in range(returns.shape[1]):
            s, visited, done = START, False, False
            while not done:
                eps = annealed_epsilon(t, schedule.epsilon_start, schedule.epsilon_end,
                                       schedule.anneal_steps)
                a = epsilon_greedy(q[s], eps, rng)
                u = rng.random() if a == RIGHT else 1.0
                s_next, visited, f, done = sdp_step(s, visited, a, u)
                if schedule.learn:
                    y = q_learning_target(f, schedule.gamma, np.max(q[s_next]), done)
                    q[s, a] = q_update(q[s, a], y, schedule.alpha)
                returns[i, ep] += f
                lengths[i, ep] += 1
                visits[i, ep, s_next] += 1
                t += 1
                s = s_next


# ---------------------------------------------------------------------------------------------
# The public learners


@dataclass(frozen=True)
class HdqnResult:
    """Tables and per-episode records of a two-level learner, for ``n_seeds`` seeds.

    ``Q1`` (n_seeds, 6, 6, 2): the controller's Q1(s, a; g) indexed [seed, s, g, a]; ``Q2``
    (n_seeds, 6, 6): the meta-controller's Q2(s, g). Per episode (n_seeds, n_episodes):
    ``returns`` (extrinsic, undiscounted), ``lengths`` (steps); ``visits`` (…, 6): arrivals in
    each state; ``goals`` (…, 6): how often each goal was chosen."""

    Q1: np.ndarray
    Q2: np.ndarray
    returns: np.ndarray
    lengths: np.ndarray
    visits: np.ndarray
    goals: np.ndarray


@dataclass(frozen=True)
class FlatResult:
    """Flat Q-learning's table ``Q`` (n_seeds, 6, 2) and its per-episode ``returns``,
    ``lengths`` (n_seeds, n_episodes) and ``visits`` (n_seeds, n_episodes, 6)."""

    Q: np.ndarray
    returns: np.ndarray
    lengths: np.ndarray
    visits: np.ndarray


def _schedule(alpha: float, gamma: float, epsilon_start: float, epsilon_end: float,
              anneal_steps: int, learn: bool) -> _Schedule:
    return _Schedule(
        check_real("alpha", alpha, low=0.0, high=1.0, low_open=True),
        check_real("gamma", gamma, low=0.0, high=1.0, low_open=True),
        check_real("epsilon_start", epsilon_start, low=0.0, high=1.0),
        check_real("epsilon_end", epsilon_end, low=0.0, high=1.0),
        check_int("anneal_steps", anneal_steps, minimum=0),
        learn,
    )


def _initial(name: str, given: np.ndarray | None, shape: tuple[int, ...]) -> np.ndarray:
    """A float copy of the ``given`` table of ``shape``, or zeros."""
    if given is None:
        return np.zeros(shape)
    table = np.array(given, dtype=float)
    if table.shape != shape or not np.isfinite(table).all():
        raise ValueError(f"{name} must be a finite array of shape {shape}, got {table.shape}")
    return table


def train_hdqn(*, n_seeds: int, n_episodes: int, seed: SeedLike, alpha: float = 0.1,
               gamma: float = 0.99, epsilon_start: float = 1.0, epsilon_end: float = 0.1,
               anneal_steps: int = 50_000, Q1: np.ndarray | None = None,
               Q2: np.ndarray | None = None, learn: bool = True) -> HdqnResult:
    """Tabular h-DQN (Kulkarni et al. 2016, Algorithm 1 with tables for Q1 and Q2) on the
    stochastic decision process, ``n_episodes`` episodes for each of ``n_seeds`` learners,
    all random numbers from ``seed`` (an int or a Generator, consumed seed after seed).
    ``Q1``/``Q2``: initial tables (default zeros); ``learn=False`` only acts (with ε from the
    schedule; ε = 0 throughout is greedy evaluation, :func:`evaluate_hdqn`)."""
    n_seeds = check_int("n_seeds", n_seeds, minimum=1)
    n_episodes = check_int("n_episodes", n_episodes, minimum=1)
    if not isinstance(learn, bool):
        raise TypeError(f"learn must be a bool, got {learn!r}")
    schedule = _schedule(alpha, gamma, epsilon_start, epsilon_end, anneal_steps, learn)
    rng = as_generator(seed)
    q1 = _initial("Q1", Q1, (n_seeds, N_STATES, N_GOALS, N_ACTIONS))
    q2 = _initial("Q2", Q2, (n_seeds, N_STATES, N_GOALS))
    returns = np.zeros((n_seeds, n_episodes))
    lengths = np.zeros((n_seeds, n_episodes), dtype=np.int64)
    visits = np.zeros((n_seeds, n_episodes, N_STATES), dtype=np.int64)
    goals = np.zeros((n_seeds, n_episodes, N_GOALS), dtype=np.int64)
    _hdqn_loop(q1, q2, schedule, rng, returns, lengths, visits, goals)
    return HdqnResult(q1, q2, returns, lengths, visits, goals)


def train_q_learning(*, n_seeds: int, n_episodes: int, seed: SeedLike, alpha: float = 0.1,
                     gamma: float = 0.99, epsilon_start: float = 1.0, epsilon_end: float = 0.1,
                     anneal_steps: int = 50_000, Q: np.ndarray | None = None,
                     learn: bool = True) -> FlatResult:
    """Flat Q-learning on the observed state s (the paper's baseline, no intrinsic reward), with
    the same schedule and conventions as :func:`train_hdqn`."""
    n_seeds = check_int("n_seeds", n_seeds, minimum=1)
    n_episodes = check_int("n_episodes", n_episodes, minimum=1)
    if not isinstance(learn, bool):
        raise TypeError(f"learn must be a bool, got {learn!r}")
    schedule = _schedule(alpha, gamma, epsilon_start, epsilon_end, anneal_steps, learn)
    rng = as_generator(seed)
    q = _initial("Q", Q, (n_seeds, N_STATES, N_ACTIONS))
    returns = np.zeros((n_seeds, n_episodes))
    lengths = np.zeros((n_seeds, n_episodes), dtype=np.int64)
    visits = np.zeros((n_seeds, n_episodes, N_STATES), dtype=np.int64)
    _flat_loop(q, schedule, rng, returns, lengths, visits)
    return FlatResult(q, returns, lengths, visits)


def evaluate_hdqn(result: HdqnResult, *, n_episodes: int, seed: SeedLike) -> np.ndarray:
    """Mean extrinsic return of ``n_episodes`` greedy episodes (ε = 0 at both levels, tables
    frozen) of each seed's learned h-DQN: (n_seeds,)."""
    if not isinstance(result, HdqnResult):
        raise TypeError(f"result must be an HdqnResult, got {type(result).__name__}")
    run = train_hdqn(n_seeds=result.Q1.shape[0], n_episodes=n_episodes, seed=seed,
                     epsilon_start=0.0, epsilon_end=0.0, anneal_steps=0, Q1=result.Q1,
                     Q2=result.Q2, learn=False)
    return run.returns.mean(axis=1)


def evaluate_q_learning(result: FlatResult, *, n_episodes: int, seed: SeedLike) -> np.ndarray:
    """Mean extrinsic return of ``n_episodes`` greedy episodes of each seed's flat learner:
    (n_seeds,)."""
    if not isinstance(result, FlatResult):
        raise TypeError(f"result must be a FlatResult, got {type(result).__name__}")
    run = train_q_learning(n_seeds=result.Q.shape[0], n_episodes=n_episodes, seed=seed,
                           epsilon_start=0.0, epsilon_end=0.0, anneal_steps=0, Q=result.Q,
                           learn=False)
    return run.returns.mean(axis=1)


def greedy_hdqn_return(result: HdqnResult) -> np.ndarray:
    """Exact expected return of each seed's greedy two-level policy (meta argmax_g Q2(s, g),
    controller argmax_a Q1(s, a; g), first on ties), by
    :func:`chapter_code.feudal.sdp.two_level_return`: (n_seeds,)."""
    if not isinstance(result, HdqnResult):
        raise TypeError(f"result must be an HdqnResult, got {type(result).__name__}")
    meta = result.Q2.argmax(axis=2)
    return np.array([float(two_level_return(meta[i], result.Q1[i].argmax(axis=2)))
                     for i in range(meta.shape[0])])


def greedy_q_learning_return(result: FlatResult) -> np.ndarray:
    """Exact expected return of each seed's greedy flat policy argmax_a Q(s, a) (first on ties),
    by a linear solve on the history-augmented chain: (n_seeds,)."""
    if not isinstance(result, FlatResult):
        raise TypeError(f"result must be a FlatResult, got {type(result).__name__}")
    mdp = history_augmented_mdp()
    start = augmented_index(START, False)
    out = []
    for q in result.Q:
        policy = np.tile(q.argmax(axis=1), 2)  # the same action whether or not s6 was visited
        out.append(policy_evaluation(mdp, policy)[start])
    return np.array(out)

