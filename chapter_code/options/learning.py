"""Tabular Q-learning over options, every seed stepped together.

Three learners share one loop: flat Q-learning (options = the primitive actions), SMDP
Q-learning (Bradtke & Duff 1995; Sutton, Precup & Singh 1999, eq. 13) and intra-option
Q-learning (Sutton, Precup & Singh 1999, §6, eq. 20). Q has shape (n_seeds, S, O).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from chapter_code._checks import check_choice, check_int, check_real
from chapter_code.envs.tabular import TabularMDP
from chapter_code.options.option import Option, OptionArrays, primitive_options, stack_options
from chapter_code.seeding import SeedLike, as_generator

BEHAVIOURS = ("epsilon-greedy", "uniform-random")


@dataclass(frozen=True)
class LearningResult:
    """Per-episode records for every seed, and the final option values.

    ``steps``, ``returns``, ``decisions``: (n_seeds, n_episodes), the primitive steps, the
    discounted return from the start state, and the number of option choices of each episode.
    ``Q``: (n_seeds, S, O). ``option_names``: the O option names, in order.
    """

    steps: np.ndarray
    returns: np.ndarray
    decisions: np.ndarray
    Q: np.ndarray
    option_names: tuple[str, ...]


def available_max(Q_rows: np.ndarray, initiation: np.ndarray) -> np.ndarray:
    """max over the options that can start in each state: max_{o' : s ∈ I_o'} Q(s, o').

    ``Q_rows`` (n, O) are the rows Q(s_i, ·); ``initiation`` (n, O) says which may start.
    """
    return np.where(initiation, Q_rows, -np.inf).max(axis=1)


def continuation_value(
    Q_next: np.ndarray, beta_next: np.ndarray, initiation_next: np.ndarray
) -> np.ndarray:
    """U(s', o) = (1 - β_o(s')) Q(s', o) + β_o(s') max_o' Q(s', o'), for every option o.

    Sutton, Precup & Singh (1999), eq. 20. Shapes: ``Q_next``, ``beta_next``,
    ``initiation_next`` (n, O) -> (n, O).
    """
    best = available_max(Q_next, initiation_next)[:, None]
    return (1.0 - beta_next) * Q_next + beta_next * best


def q_learning(mdp: TabularMDP, **kwargs: object) -> LearningResult:
    """Flat one-step Q-learning: SMDP Q-learning whose options are the primitive actions."""
    return smdp_q_learning(mdp, primitive_options(mdp), **kwargs)  # type: ignore[arg-type]


def smdp_q_learning(
    mdp: TabularMDP,
    options: Sequence[Option],
    *,
    n_seeds: int,
    n_episodes: int,
    alpha: float = 0.1,
    epsilon: float = 0.1,
    seed: SeedLike = 0,
    start: int | np.ndarray | None = None,
    max_steps: int = 10_000,
    q_init: float = 0.0,
) -> LearningResult:
    """SMDP Q-learning: when option o, started in s, stops in s' after k steps with return G,

        Q(s, o) <- Q(s, o) + α [G + γ^k max_{o'} Q(s', o') - Q(s, o)]

    (the max term is 0 if s' is terminal). Options are chosen ε-greedily among those whose
    initiation set holds the state, ties broken at random. ``start``: a start state, a (S,)
    start distribution, or None for uniform over non-terminal states. An episode is truncated
    (not terminated) after ``max_steps`` primitive steps, and the running option is backed up
    with bootstrapping.
    """
    return _run(mdp, options, "smdp", "epsilon-greedy", n_seeds=n_seeds, n_episodes=n_episodes,
                alpha=alpha, epsilon=epsilon, seed=seed, start=start, max_steps=max_steps,
                q_init=q_init)


def intra_option_q_learning(
    mdp: TabularMDP,
    options: Sequence[Option],
    *,
    n_seeds: int,
    n_episodes: int,
    alpha: float = 0.1,
    epsilon: float = 0.1,
    behaviour: str = "epsilon-greedy",
    seed: SeedLike = 0,
    start: int | np.ndarray | None = None,
    max_steps: int = 10_000,
    q_init: float = 0.0,
) -> LearningResult:
    """Intra-option Q-learning: after every primitive step (s, a, r, s'), for every option o
    that could be running in s,

        Q(s, o) <- Q(s, o) + α ρ_o [r + γ U(s', o) - Q(s, o)],   ρ_o = π_o(a|s) / b(a|s),

    with U from :func:`continuation_value` (0 at terminal s'). For deterministic options
    executed by the agent, ρ_o is 1 for every option that agrees with the action and 0 for the
    rest, which is Sutton, Precup & Singh (1999), eq. 20. ``behaviour``: "epsilon-greedy"
    executes options chosen ε-greedily (then b = π of the running option), "uniform-random"
    takes uniformly random primitive actions and never executes an option (b = 1/A).
    """
    return _run(mdp, options, "intra", behaviour, n_seeds=n_seeds, n_episodes=n_episodes,
                alpha=alpha, epsilon=epsilon, seed=seed, start=start, max_steps=max_steps,
                q_init=q_init)


def _start_distribution(mdp: TabularMDP, start: int | np.ndarray | None) -> np.ndarray:
    live = ~mdp.terminal
    if start is None:
        return live / live.sum()
    if isinstance(start, int | np.integer) and not isinstance(start, bool):
        if not 0 <= start < mdp.n_states or mdp.terminal[start]:
            raise ValueError(f"start must be a non-terminal state in [0, {mdp.n_states}), "
                             f"got {start}")
        return np.eye(mdp.n_states)[start]
    dist = np.asarray(start, dtype=float)
    if dist.shape != (mdp.n_states,) or (dist < 0).any() or abs(dist.sum() - 1) > 1e-8:
        raise ValueError("start must be a state index, a (S,) probability vector, or None")
    if dist[mdp.terminal].any():
        raise ValueError("start distribution must give zero probability to terminal states")
    return dist


def _sample_rows(probs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One index per row of ``probs`` (n, K), drawn by inverse CDF from one uniform each."""
    cdf = np.cumsum(probs, axis=1)
    cdf[:, -1] = 1.0
    return (rng.random(len(probs))[:, None] >= cdf).sum(axis=1)


def _epsilon_greedy(
    Q_rows: np.ndarray, allowed: np.ndarray, epsilon: float, rng: np.random.Generator
) -> np.ndarray:
    """ε-greedy choice among ``allowed`` (n, O) options, greedy ties broken uniformly."""
    q = np.where(allowed, Q_rows, -np.inf)
    best = q == q.max(axis=1, keepdims=True)
    greedy = np.argmax(np.where(best, rng.random(q.shape), -1.0), axis=1)
    uniform = np.argmax(np.where(allowed, rng.random(q.shape), -1.0), axis=1)
    return np.where(rng.random(len(q)) < epsilon, uniform, greedy)


def _run(
    mdp: TabularMDP,
    options: Sequence[Option],
    update: str,
    behaviour: str,
    *,
    n_seeds: int,
    n_episodes: int,
    alpha: float,
    epsilon: float,
    seed: SeedLike,
    start: int | np.ndarray | None,
    max_steps: int,
    q_init: float,
) -> LearningResult:
    if not isinstance(mdp, TabularMDP):
        raise TypeError(f"mdp must be a TabularMDP, got {type(mdp).__name__}")
    opts: OptionArrays = stack_options(mdp, options)
    n_seeds = check_int("n_seeds", n_seeds, minimum=1)
    n_episodes = check_int("n_episodes", n_episodes, minimum=1)
    alpha = check_real("alpha", alpha, low=0.0, high=1.0, low_open=True)
    epsilon = check_real("epsilon", epsilon, low=0.0, high=1.0)
    max_steps = check_int("max_steps", max_steps, minimum=1)
    q_init = check_real("q_init", q_init)
    behaviour = check_choice("behaviour", behaviour, BEHAVIOURS)
    rng = as_generator(seed)
    start_dist = _start_distribution(mdp, start)
    gamma = mdp.gamma
    I, Pi, B = opts.initiation.T, opts.policy, opts.termination.T  # (S, O), (O, S, A), (S, O)
    running = opts.domain.T  # (S, O): where an option may be mid-execution
    random_behaviour = behaviour == "uniform-random"

    Q = np.full((n_seeds, mdp.n_states, len(opts.names)), q_init)
    steps = np.zeros((n_seeds, n_episodes), dtype=np.int64)
    returns = np.zeros((n_seeds, n_episodes))
    decisions = np.zeros((n_seeds, n_episodes), dtype=np.int64)

    seeds = np.arange(n_seeds)
    episode = np.zeros(n_seeds, dtype=np.int64)
    state = _sample_rows(np.tile(start_dist, (n_seeds, 1)), rng)
    option = _epsilon_greedy(Q[seeds, state], I[state], epsilon, rng)
    option_start = state.copy()  # s where the running option began
    option_return = np.zeros(n_seeds)  # G = Σ_j γ^j r_{t+j} since the option began
    option_steps = np.zeros(n_seeds, dtype=np.int64)  # k
    t = np.zeros(n_seeds, dtype=np.int64)
    discount = np.ones(n_seeds)  # γ^t within the episode
    n_decisions = np.full(n_seeds, 0 if random_behaviour else 1, dtype=np.int64)

    active = seeds.copy()
    while active.size:
        i = active
        s, o = state[i], option[i]
        # 1. act: from the running option's policy, or uniformly at random
        if random_behaviour:
            a = rng.integers(mdp.n_actions, size=i.size)
        else:
            a = _sample_rows(Pi[o, s], rng)
        s_next, r, terminated = mdp.step(s, a, rng)
        t[i] += 1
        truncated = ~terminated & (t[i] >= max_steps)
        returns[i, episode[i]] += discount[i] * r
        discount[i] *= gamma

        # 2. intra-option update of every option that could be running in s
        if update == "intra":
            b = 1.0 / mdp.n_actions if random_behaviour else Pi[o, s, a][:, None]
            rho = Pi[:, s, a].T / b * running[s]  # (n, O)
            U = continuation_value(Q[i, s_next], B[s_next], I[s_next])
            U[terminated] = 0.0
            Q_s = Q[i, s]
            Q[i, s] = Q_s + alpha * rho * (r[:, None] + gamma * U - Q_s)

        # 3. the running option accumulates G and k, then stops with probability β(s')
        option_return[i] += gamma ** option_steps[i] * r
        option_steps[i] += 1
        stops = terminated | truncated | (rng.random(i.size) < B[s_next, o])
        if update == "smdp" and stops.any():
            j = i[stops]
            bootstrap = available_max(Q[j, s_next[stops]], I[s_next[stops]])
            bootstrap[terminated[stops]] = 0.0
            target = option_return[j] + gamma ** option_steps[j] * bootstrap
            s0, o0 = option_start[j], option[j]
            Q[j, s0, o0] += alpha * (target - Q[j, s0, o0])

        # 4. episodes that ended are recorded; their seeds restart or retire
        ended = terminated | truncated
        state[i] = s_next
        if ended.any():
            j = i[ended]
            steps[j, episode[j]] = t[j]
            decisions[j, episode[j]] = n_decisions[j]
            episode[j] += 1
            t[j], discount[j], n_decisions[j] = 0, 1.0, 0
            keep = episode[j] < n_episodes
            state[j[keep]] = _sample_rows(np.tile(start_dist, (int(keep.sum()), 1)), rng)
        # 5. seeds whose option stopped (or whose episode restarted) choose a new option;
        #    under uniform-random behaviour no option is ever executed, so none is chosen
        j = i[stops]
        j = j[episode[j] < n_episodes]
        if j.size and not random_behaviour:
            option[j] = _epsilon_greedy(Q[j, state[j]], I[state[j]], epsilon, rng)
            option_start[j] = state[j]
            option_return[j], option_steps[j] = 0.0, 0
            n_decisions[j] += 1
        active = seeds[episode < n_episodes]

    return LearningResult(steps=steps, returns=returns, decisions=decisions, Q=Q,
                          option_names=opts.names)
