"""Tabular Q-learning over options for many seeds at once, in one numba-compiled loop.

Three learners share one loop: flat Q-learning (options = the primitive actions), SMDP
Q-learning (Bradtke & Duff 1995; Sutton, Precup & Singh 1999, eq. 13) and intra-option
Q-learning (Sutton, Precup & Singh 1999, §6, eq. 20). Q has shape (n_seeds, S, O).
All randomness comes from one seeded ``numpy.random.Generator``, drawn inside the compiled
loop (seeds run one after another), so a seed gives the same curves on every run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numba
import numpy as np

from chapter_code._checks import check_array, check_choice, check_int, check_real
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
    q_init: float | np.ndarray = 0.0,
) -> LearningResult:
    """SMDP Q-learning: when option o, started in s, stops in s' after k steps with return G,

        Q(s, o) <- Q(s, o) + α [G + γ^k max_{o'} Q(s', o') - Q(s, o)]

    (the max term is 0 if s' is terminal). Options are chosen ε-greedily among those whose
    initiation set holds the state, ties broken at random. ``start``: a start state, a (S,)
    start distribution, or None for uniform over non-terminal states. An episode is truncated
    (not terminated) after ``max_steps`` primitive steps; the running option has not stopped
    then, so its update bootstraps with its continuation value U(s', o) of
    :func:`continuation_value` instead of the max. ``q_init``: the initial value of every
    entry, or an (n_seeds, S, O) array to continue learning from (with the same generator,
    chunks equal one long run).
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
    q_init: float | np.ndarray = 0.0,
) -> LearningResult:
    """Intra-option Q-learning: after every primitive step (s, a, r, s'), for every option o
    that could be running in s,

        Q(s, o) <- Q(s, o) + α ρ_o [r + γ U(s', o) - Q(s, o)],   ρ_o = π_o(a|s) / b(a|s),

    with U from :func:`continuation_value` (0 at terminal s'). For deterministic options
    executed by the agent, ρ_o is 1 for every option that agrees with the action and 0 for the
    rest, which is Sutton, Precup & Singh (1999), eq. 20. ``behaviour``: "epsilon-greedy"
    executes options chosen ε-greedily (then b = π of the running option), "uniform-random"
    takes uniformly random primitive actions and never executes an option (b = 1/A). The
    effective step α ρ_o must not exceed 1 (a larger one overshoots the target), so α above
    1 / max ρ raises ``ValueError``: with uniformly random behaviour and deterministic options
    max ρ = A, hence α ≤ 1/A.
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


def _max_importance_ratio(opts: OptionArrays, behaviour: str) -> float:
    """The largest ρ_o = π_o(a|s) / b(a|s) the intra-option update can meet: b = 1/A under
    uniformly random behaviour, b = π of the running option o' under ε-greedy execution."""
    policy = np.where(opts.domain[:, :, None], opts.policy, 0.0)  # (O, S, A), 0 off the domain
    if behaviour == "uniform-random":
        return float(policy.max() * policy.shape[2])
    ratio = np.divide(policy[:, None], policy[None, :], out=np.zeros(
        (policy.shape[0],) * 2 + policy.shape[1:]), where=policy[None, :] > 0)  # (O, O', S, A)
    return float(ratio.max())


def _sparse_transitions(mdp: TabularMDP) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Successor lists of every (s, a): ``succ`` (S, A, K) states, ``cdf`` (S, A, K) their
    cumulative probabilities and ``reward`` (S, A, K) the reward r(s, a, s') each transition
    pays; K = the largest number of successors (padding repeats the last)."""
    K = int((mdp.P > 0).sum(axis=2).max())
    order = np.argsort(-mdp.P, axis=2, kind="stable")[:, :, :K]
    succ = np.sort(order, axis=2)
    probs = np.take_along_axis(mdp.P, succ, axis=2)
    cdf = np.cumsum(probs, axis=2)
    cdf[..., -1] = 1.0  # round-off guard: every uniform draw maps to a successor
    reward = np.take_along_axis(mdp.R_transition, succ, axis=2)
    return succ, cdf, reward


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
    q_init: float | np.ndarray,
) -> LearningResult:
    if not isinstance(mdp, TabularMDP):
        raise TypeError(f"mdp must be a TabularMDP, got {type(mdp).__name__}")
    opts: OptionArrays = stack_options(mdp, options)
    n_seeds = check_int("n_seeds", n_seeds, minimum=1)
    n_episodes = check_int("n_episodes", n_episodes, minimum=1)
    alpha = check_real("alpha", alpha, low=0.0, high=1.0, low_open=True)
    epsilon = check_real("epsilon", epsilon, low=0.0, high=1.0)
    max_steps = check_int("max_steps", max_steps, minimum=1)
    behaviour = check_choice("behaviour", behaviour, BEHAVIOURS)
    if update == "intra":
        rho_max = _max_importance_ratio(opts, behaviour)
        if alpha * rho_max > 1.0:
            raise ValueError(
                f"alpha must be at most 1 / max ρ = {1.0 / rho_max:.6g} for intra-option "
                f"learning with {behaviour} behaviour (max ρ = π_o(a|s) / b(a|s) = "
                f"{rho_max:.6g}, so the step α ρ would exceed 1), got {alpha}")
    shape = (n_seeds, mdp.n_states, len(opts.names))
    if isinstance(q_init, np.ndarray):
        Q = check_array("q_init", q_init, shape, dtype=float).copy()
        if not np.isfinite(Q).all():
            raise ValueError("q_init must be finite")
    else:
        Q = np.full(shape, check_real("q_init", q_init))
    rng = as_generator(seed)
    start_cdf = np.cumsum(_start_distribution(mdp, start))
    start_cdf[-1] = 1.0
    succ, succ_cdf, succ_reward = _sparse_transitions(mdp)
    policy_cdf = np.cumsum(opts.policy, axis=2)
    policy_cdf[..., -1] = 1.0
    steps = np.zeros((n_seeds, n_episodes), dtype=np.int64)
    returns = np.zeros((n_seeds, n_episodes))
    decisions = np.zeros((n_seeds, n_episodes), dtype=np.int64)
    _learn(
        Q, succ, succ_cdf, succ_reward, mdp.terminal, mdp.gamma,
        np.ascontiguousarray(opts.initiation.T), opts.policy, policy_cdf,
        np.ascontiguousarray(opts.termination.T), np.ascontiguousarray(opts.domain.T),
        start_cdf, update == "intra", behaviour == "uniform-random",
        n_episodes, alpha, epsilon, max_steps, rng, steps, returns, decisions,
    )
    return LearningResult(steps=steps, returns=returns, decisions=decisions, Q=Q,
                          option_names=opts.names)


@numba.njit(cache=True)
def _draw(cdf: np.ndarray, rng: np.random.Generator) -> int:
    """Inverse-CDF draw of one index from a cumulative distribution whose last entry is 1."""
    u = rng.random()
    j = 0
    while u >= cdf[j]:
        j += 1
    return j


@numba.njit(cache=True)
def _best(q: np.ndarray, allowed: np.ndarray) -> float:
    """max_{o : allowed[o]} q[o] (-inf if nothing is allowed)."""
    best = -np.inf
    for o in range(q.shape[0]):
        if allowed[o] and q[o] > best:
            best = q[o]
    return best


@numba.njit(cache=True)
def _continuation(q_next: float, beta_next: float, best_next: float) -> float:
    """U(s', o) = (1 - β_o(s')) Q(s', o) + β_o(s') max_o' Q(s', o') for one option (eq. 20);
    the compiled twin of :func:`continuation_value`, tested against it."""
    return (1.0 - beta_next) * q_next + beta_next * best_next


@numba.njit(cache=True)
def _epsilon_greedy_choice(
    q: np.ndarray, allowed: np.ndarray, epsilon: float, rng: np.random.Generator
) -> int:
    """ε-greedy choice among the allowed options, greedy ties broken uniformly (reservoir)."""
    explore = rng.random() < epsilon
    best = _best(q, allowed)
    choice, ties = -1, 0
    for o in range(q.shape[0]):
        if allowed[o] and (explore or q[o] == best):
            ties += 1
            if rng.random() * ties < 1.0:
                choice = o
    return choice


@numba.njit(cache=True)
def _learn(Q, succ, succ_cdf, succ_reward, terminal, gamma, I, Pi, Pi_cdf, B, running, start_cdf,
           intra, random_behaviour, n_episodes, alpha, epsilon, max_steps, rng,
           steps, returns, decisions):  # pragma: no cover - compiled
    """The learners' shared loop, one seed after another; Q (n_seeds, S, O) is updated in
    place and the per-episode records are written into ``steps``, ``returns``, ``decisions``.

    1. act with the running option's policy (or uniformly at random); 2. intra-option update
    of every option consistent with the action; 3. the running option accumulates its return
    G and duration k and stops with probability β(s'), when the SMDP update is applied;
    4. the episode ends on a terminal state or after ``max_steps`` steps (truncation
    bootstraps); 5. a stopped option is replaced by an ε-greedy choice.
    """
    n_seeds, _, n_options = Q.shape
    n_actions = succ.shape[1]
    for i in range(n_seeds):
        Qi = Q[i]
        for episode in range(n_episodes):
            s = _draw(start_cdf, rng)
            t, discount, n_decisions = 0, 1.0, 0
            o, s0, G, gamma_k = 0, s, 0.0, 1.0
            if not random_behaviour:
                o = _epsilon_greedy_choice(Qi[s], I[s], epsilon, rng)
                n_decisions = 1
            while True:
                # 1. act
                if random_behaviour:
                    a = min(int(rng.random() * n_actions), n_actions - 1)
                else:
                    a = _draw(Pi_cdf[o, s], rng)
                j = _draw(succ_cdf[s, a], rng)
                s_next, r = succ[s, a, j], succ_reward[s, a, j]
                terminated = terminal[s_next]
                t += 1
                truncated = not terminated and t >= max_steps
                returns[i, episode] += discount * r
                discount *= gamma
                # 2. intra-option update: ρ_o = π_o(a|s) / b(a|s), eq. 20
                if intra:
                    b = 1.0 / n_actions if random_behaviour else Pi[o, s, a]
                    best_next = 0.0 if terminated else _best(Qi[s_next], I[s_next])
                    for u in range(n_options):
                        if running[s, u] and Pi[u, s, a] > 0.0:
                            U = 0.0 if terminated else _continuation(
                                Qi[s_next, u], B[s_next, u], best_next)
                            rho = Pi[u, s, a] / b
                            Qi[s, u] += alpha * rho * (r + gamma * U - Qi[s, u])
                # 3. the running option's return, duration and termination
                stops = False
                if not random_behaviour:
                    G += gamma_k * r
                    gamma_k *= gamma
                    stops = terminated or truncated or rng.random() < B[s_next, o]
                    if stops and not intra:
                        # SMDP update (eq. 13); a truncated option has not stopped, so it
                        # bootstraps with its continuation value U(s', o) (eq. 20)
                        best_next = 0.0 if terminated else _best(Qi[s_next], I[s_next])
                        if terminated:
                            bootstrap = 0.0
                        elif truncated:
                            bootstrap = _continuation(Qi[s_next, o], B[s_next, o], best_next)
                        else:
                            bootstrap = best_next
                        Qi[s0, o] += alpha * (G + gamma_k * bootstrap - Qi[s0, o])
                s = s_next
                # 4. end of episode
                if terminated or truncated:
                    steps[i, episode] = t
                    decisions[i, episode] = n_decisions
                    break
                # 5. a new option
                if stops:
                    o = _epsilon_greedy_choice(Qi[s], I[s], epsilon, rng)
                    s0, G, gamma_k = s, 0.0, 1.0
                    n_decisions += 1
