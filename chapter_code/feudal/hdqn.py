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
the same random numbers.

The paper's network version (small MLPs Q1(s, a; g; θ1) and Q2(s, g; θ2) on one-hot inputs,
disjoint replay memories D1 and D2, minibatch gradient steps on the losses of eqs. 3-4 with the
target computed from the parameters before the step) is :func:`train_hdqn_network`, batched
over seeds: every seed's networks are slices of one stacked tensor (:class:`BatchedMLP`) and
every seed's process advances one step per iteration.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numba
import numpy as np
import torch
from torch import Tensor

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
from chapter_code.seeding import SeedLike, as_generator, stream, torch_stream

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



# ---------------------------------------------------------------------------------------------
# The network version: small MLPs, replay, batched over seeds


class BatchedMLP(torch.nn.Module):
    """``n_seeds`` independent one-hidden-layer ReLU MLPs held as stacked tensors:
    x (n_seeds, B, n_in) -> (n_seeds, B, n_out), seed i's slice computed by seed i's weights
    only. Initialised as PyTorch's ``Linear``, U(±1/sqrt(fan_in)), from ``generator``."""

    W1: torch.nn.Parameter
    b1: torch.nn.Parameter
    W2: torch.nn.Parameter
    b2: torch.nn.Parameter

    def __init__(self, n_seeds: int, n_in: int, n_hidden: int, n_out: int,
                 generator: torch.Generator) -> None:
        super().__init__()
        shapes = {"W1": (n_seeds, n_in, n_hidden), "b1": (n_seeds, 1, n_hidden),
                  "W2": (n_seeds, n_hidden, n_out), "b2": (n_seeds, 1, n_out)}
        fan_in = {"W1": n_in, "b1": n_in, "W2": n_hidden, "b2": n_hidden}
        for name, shape in shapes.items():
            bound = 1.0 / math.sqrt(fan_in[name])
            value = (2 * torch.rand(shape, generator=generator) - 1) * bound
            self.register_parameter(name, torch.nn.Parameter(value))

    def forward(self, x: Tensor) -> Tensor:
        hidden = torch.relu(torch.baddbmm(self.b1, x, self.W1))
        return torch.baddbmm(self.b2, hidden, self.W2)


@numba.njit(cache=True)
def _step_all(states, visited, actions, u):  # pragma: no cover
    """:func:`sdp_step` for every seed: (next states, visited, rewards, terminated)."""
    n = states.shape[0]
    nxt = np.empty(n, dtype=np.int64)
    seen = np.empty(n, dtype=np.bool_)
    reward = np.empty(n)
    done = np.empty(n, dtype=np.bool_)
    for i in range(n):
        nxt[i], seen[i], reward[i], done[i] = sdp_step(states[i], visited[i], actions[i], u[i])
    return nxt, seen, reward, done


_EYE = torch.eye(max(N_STATES, N_GOALS))


def _one_hot(index: Tensor, n: int) -> Tensor:
    return _EYE[index, :n]


def _controller_input(state: Tensor, goal: Tensor) -> Tensor:
    """[one-hot s, one-hot g]: the controller's input (the paper's {s, g})."""
    return torch.cat([_one_hot(state, N_STATES), _one_hot(goal, N_GOALS)], dim=-1)


def _choose(q: np.ndarray, epsilon: float, rng: np.random.Generator) -> np.ndarray:
    """ε-greedy choice for each row of ``q`` (n_seeds, n): explore with probability ε to a
    uniform index, else argmax (first on ties): Kulkarni et al. (2016), Algorithm 2."""
    explore = rng.random(q.shape[0]) < epsilon
    random = np.minimum((rng.random(q.shape[0]) * q.shape[1]).astype(np.int64), q.shape[1] - 1)
    return np.where(explore, random, q.argmax(axis=1))


class _Replay:
    """A replay memory for every seed: circular buffers of fields (n_seeds, capacity)."""

    def __init__(self, n_seeds: int, capacity: int, fields: dict[str, type]) -> None:
        self.data: dict[str, np.ndarray] = {
            k: np.zeros((n_seeds, capacity), dtype=d) for k, d in fields.items()}
        self.size = np.zeros(n_seeds, dtype=np.int64)
        self.head = np.zeros(n_seeds, dtype=np.int64)
        self.capacity = capacity

    def add(self, where: np.ndarray, **values: np.ndarray) -> None:
        """Append one transition for each seed in ``where`` (bool mask)."""
        seeds = np.flatnonzero(where)
        cols = self.head[seeds]
        for k, v in values.items():
            self.data[k][seeds, cols] = v[seeds]
        self.head[seeds] = (cols + 1) % self.capacity
        self.size[seeds] = np.minimum(self.size[seeds] + 1, self.capacity)

    def sample(self, batch: int, generator: torch.Generator) -> dict[str, Tensor]:
        """``batch`` uniform draws (with replacement) from each seed's memory."""
        u = torch.rand((len(self.size), batch), generator=generator).numpy()
        cols = np.minimum((u * self.size[:, None]).astype(np.int64), self.size[:, None] - 1)
        rows = np.arange(len(self.size))[:, None]
        return {k: torch.from_numpy(v[rows, cols]) for k, v in self.data.items()}


def dqn_loss(q_taken: Tensor, reward: Tensor, q_next_max: Tensor, ends: Tensor,
             gamma: float) -> Tensor:
    """Σ_seeds mean_batch (y - Q(s, a; θ_i))², y = r + γ max_a' Q(s', a'; θ_{i-1}) (r where the
    learner's episode ends): the loss of Kulkarni et al. (2016), eq. 3 (eq. 4 its gradient),
    for each seed's minibatch, summed so that each seed's parameters get their own gradient.
    ``q_next_max`` must carry no gradient (the previous parameters are held fixed). Shapes:
    (n_seeds, batch)."""
    target = reward + gamma * q_next_max * (~ends).to(reward.dtype)
    return ((target - q_taken) ** 2).mean(dim=1).sum()


@dataclass(frozen=True)
class NetworkResult:
    """What :func:`train_hdqn_network` learned: the networks' values on every input,
    ``Q1`` (n_seeds, 6, 6, 2) indexed [seed, s, g, a] and ``Q2`` (n_seeds, 6, 6), so that the
    greedy policy is evaluated exactly (:func:`greedy_hdqn_return` on
    :meth:`as_tables`); ``returns`` (n_seeds, max_episodes): each finished episode's extrinsic
    return, NaN past a seed's last; ``episodes`` (n_seeds,): how many finished."""

    Q1: np.ndarray
    Q2: np.ndarray
    returns: np.ndarray
    episodes: np.ndarray

    def as_tables(self) -> HdqnResult:
        """The values as an :class:`HdqnResult` (records empty)."""
        n = self.Q1.shape[0]
        empty = np.zeros((n, 0), dtype=np.int64)
        return HdqnResult(self.Q1, self.Q2, np.zeros((n, 0)), empty,
                          np.zeros((n, 0, N_STATES), dtype=np.int64),
                          np.zeros((n, 0, N_GOALS), dtype=np.int64))


def train_hdqn_network(*, n_seeds: int, n_steps: int, seed: int, hidden: int = 32,
                       lr: float = 0.00025, gamma: float = 0.99, batch: int = 32,
                       capacity: int = 20_000, epsilon_start: float = 1.0,
                       epsilon_end: float = 0.1, anneal_steps: int = 50_000) -> NetworkResult:
    """h-DQN with networks (Kulkarni et al. 2016, Algorithms 1-3) on the stochastic decision
    process, ``n_steps`` environment steps for each of ``n_seeds`` learners stepped together.

    Q2(s, g; θ2): an MLP on one-hot s; Q1(s, a; g; θ1): an MLP on [one-hot s, one-hot g];
    ``hidden`` ReLU units each. Each step: a goal where one is needed (ε-greedy on Q2), an
    action (ε-greedy on Q1), the transition (s, g, a, r, s') into D1, and (s0, g, F, s') into
    D2 when the goal is reached or the episode ends; then one RMSprop step (learning rate
    ``lr``, the paper's 0.00025) on :func:`dqn_loss` for each of Q1 and Q2 from a minibatch of
    ``batch`` transitions of each memory (``capacity`` each). ε annealed as
    :func:`annealed_epsilon` at both levels. Random numbers: NumPy stream ``"act"`` and torch
    streams ``"init"``, ``"replay"`` of ``seed``."""
    n_seeds = check_int("n_seeds", n_seeds, minimum=1)
    n_steps = check_int("n_steps", n_steps, minimum=1)
    seed = check_int("seed", seed, minimum=0)
    hidden = check_int("hidden", hidden, minimum=1)
    batch = check_int("batch", batch, minimum=1)
    capacity = check_int("capacity", capacity, minimum=1)
    lr = check_real("lr", lr, low=0.0, low_open=True)
    schedule = _schedule(0.5, gamma, epsilon_start, epsilon_end, anneal_steps, True)
    rng = stream(seed, "act")
    init, replay_gen = torch_stream(seed, "init"), torch_stream(seed, "replay")
    meta = BatchedMLP(n_seeds, N_STATES, hidden, N_GOALS, init)
    controller = BatchedMLP(n_seeds, N_STATES + N_GOALS, hidden, N_ACTIONS, init)
    # RMSprop acts element by element: one optimiser over both networks is the same as two
    optimizer = torch.optim.RMSprop([*controller.parameters(), *meta.parameters()], lr=lr,
                                    foreach=True)
    d1 = _Replay(n_seeds, capacity, {"s": np.int64, "g": np.int64, "a": np.int64,
                                     "r": np.float32, "s_next": np.int64, "ends": np.bool_})
    d2 = _Replay(n_seeds, capacity, {"s": np.int64, "g": np.int64, "F": np.float32,
                                     "s_next": np.int64, "ends": np.bool_})
    state = np.full(n_seeds, START, dtype=np.int64)
    visited = np.zeros(n_seeds, dtype=bool)
    goal = np.zeros(n_seeds, dtype=np.int64)
    need_goal = np.ones(n_seeds, dtype=bool)
    s0 = state.copy()
    F = np.zeros(n_seeds)
    G = np.zeros(n_seeds)
    finished: list[list[float]] = [[] for _ in range(n_seeds)]
    for t in range(n_steps):
        eps = annealed_epsilon(t, schedule.epsilon_start, schedule.epsilon_end,
                               schedule.anneal_steps)
        with torch.no_grad():
            q2 = meta(_one_hot(torch.as_tensor(state), N_STATES)[:, None])[:, 0].numpy()
        goal = np.where(need_goal, _choose(q2, eps, rng), goal)
        s0 = np.where(need_goal, state, s0)
        need_goal[:] = False
        with torch.no_grad():
            q1 = controller(_controller_input(torch.as_tensor(state),
                                              torch.as_tensor(goal))[:, None])[:, 0].numpy()
        action = _choose(q1, eps, rng)
        s_next, visited, f, done = _step_all(state, visited, action, rng.random(n_seeds))
        reached = s_next == goal
        d1.add(np.ones(n_seeds, dtype=bool), s=state, g=goal, a=action,
               r=(s_next == goal).astype(np.float64), s_next=s_next, ends=done | reached)
        F += f
        G += f
        d2.add(done | reached, s=s0, g=goal, F=F, s_next=s_next, ends=done)
        for i in np.flatnonzero(done):
            finished[i].append(float(G[i]))
        F[done | reached] = 0.0
        G[done] = 0.0
        need_goal = done | reached
        state = np.where(done, START, s_next)
        visited[done] = False
        _gradient_step(controller, meta, optimizer, d1, d2, batch, replay_gen, schedule.gamma)
    with torch.no_grad():
        s_all = torch.arange(N_STATES).repeat_interleave(N_GOALS)
        g_all = torch.arange(N_GOALS).repeat(N_STATES)
        inputs = _controller_input(s_all, g_all).expand(n_seeds, -1, -1)
        Q1 = controller(inputs).reshape(n_seeds, N_STATES, N_GOALS, N_ACTIONS).numpy()
        Q2 = meta(torch.eye(N_STATES).expand(n_seeds, -1, -1)).numpy()
    longest = max(len(r) for r in finished) if any(finished) else 0
    returns = np.full((n_seeds, longest), np.nan)
    for k, seed_returns in enumerate(finished):
        returns[k, :len(seed_returns)] = seed_returns
    return NetworkResult(Q1.astype(float), Q2.astype(float), returns,
                         np.array([len(r) for r in finished]))


def _gradient_step(controller: BatchedMLP, meta: BatchedMLP, optimizer: torch.optim.Optimizer,
                   d1: _Replay, d2: _Replay, batch: int, generator: torch.Generator,
                   gamma: float) -> None:
    """One minibatch step on each level's :func:`dqn_loss`, L1 from D1 and L2 from D2, for a
    memory once every seed's holds ``batch`` transitions (Algorithm 3, updateParams)."""
    loss = torch.zeros(())
    if d1.size.min() >= batch:
        b = d1.sample(batch, generator)
        q = controller(_controller_input(b["s"], b["g"]))
        with torch.no_grad():
            q_next = controller(_controller_input(b["s_next"], b["g"])).max(dim=2).values
        taken = torch.gather(q, 2, b["a"][..., None])[..., 0]
        loss = loss + dqn_loss(taken, b["r"], q_next, b["ends"], gamma)
    if d2.size.min() >= batch:
        b = d2.sample(batch, generator)
        q = meta(_one_hot(b["s"], N_STATES))
        with torch.no_grad():
            q_next = meta(_one_hot(b["s_next"], N_STATES)).max(dim=2).values
        taken = torch.gather(q, 2, b["g"][..., None])[..., 0]
        loss = loss + dqn_loss(taken, b["F"], q_next, b["ends"], gamma)
    if loss.requires_grad:
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
