"""Tabular Q-learning over options for many seeds at once, compiled with numba.

Three learners: flat Q-learning (SMDP Q-learning whose options are the primitive actions),
SMDP Q-learning (Bradtke & Duff 1995; Sutton, Precup & Singh 1999, §3.2) and intra-option
Q-learning (Sutton, Precup & Singh 1999, §6). Each update is a small named function,
:func:`smdp_q_update`, :func:`intra_option_q_update` (eq. 21) and :func:`continuation`; the
compiled episode loops call exactly these functions, and the book shows them. Q has shape
(n_seeds, S, O). All randomness comes from one seeded ``numpy.random.Generator``, drawn inside
the compiled loops (seeds run one after another), so a seed gives the same curves on every
run. :mod:`chapter_code.options.reference` is the plain-Python twin, tested to agree exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

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


# ---------------------------------------------------------------------------------------------
# The updates, one function each (scalars in, scalar out; compiled, and callable from Python)


@numba.vectorize(["float64(float64, float64, float64)"], cache=True)
def continuation(q_next: float, beta_next: float, best_next: float) -> float:
    """U(s', o) = (1 - β_o(s')) Q(s', o) + β_o(s') max_o' Q(s', o'): the value of being in s'
    with option o running (it continues with probability 1 - β, or stops and the best option
    that can start in s' takes over). Sutton, Precup & Singh (1999), §6, with eq. 21. A NumPy ufunc:
    scalars or broadcasting arrays."""
    return (1.0 - beta_next) * q_next + beta_next * best_next


@numba.njit(cache=True)
def smdp_q_update(q: float, G: float, gamma_k: float, bootstrap: float, alpha: float) -> float:
    """SMDP Q-learning: Q(s, o) + α [G + γ^k max_o' Q(s', o') - Q(s, o)] after option o,
    started in s, stopped in s' after k steps with discounted return G (Sutton, Precup & Singh
    1999, §3.2). ``bootstrap`` is max_o' Q(s', o') (0 at a terminal s'; U(s', o) when the
    episode was truncated and o never stopped)."""
    return q + alpha * (G + gamma_k * bootstrap - q)


@numba.njit(cache=True)
def intra_option_q_update(q: float, r: float, gamma: float, U: float, alpha: float,
                          rho: float) -> float:
    """Intra-option Q-learning: Q(s, o) + α ρ [r + γ U(s', o) - Q(s, o)] after a primitive
    step (s, a, r, s') consistent with o, with ρ = π_o(a|s) / b(a|s) (Sutton, Precup & Singh
    1999, §6, eq. 21, which has ρ = 1: their options are deterministic, and an option is updated
    when its action is the one taken; ρ generalises this to stochastic options and behaviour)."""
    return q + alpha * rho * (r + gamma * U - q)


def available_max(Q_rows: np.ndarray, initiation: np.ndarray) -> np.ndarray:
    """max over the options that can start in each state: max_{o' : s ∈ I_o'} Q(s, o').

    ``Q_rows`` (n, O) are the rows Q(s_i, ·); ``initiation`` (n, O) says which may start.
    """
    return np.where(initiation, Q_rows, -np.inf).max(axis=1)


def continuation_value(
    Q_next: np.ndarray, beta_next: np.ndarray, initiation_next: np.ndarray
) -> np.ndarray:
    """U(s', o) of :func:`continuation` for every option o of a batch of next states, the max
    taken over the options that can start in s'. Shapes: ``Q_next``, ``beta_next``,
    ``initiation_next`` (n, O) -> (n, O)."""
    return continuation(Q_next, beta_next, available_max(Q_next, initiation_next)[:, None])


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
    rest, which is Sutton, Precup & Singh (1999), eq. 21. ``behaviour``: "epsilon-greedy"
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


def sparse_transitions(mdp: TabularMDP) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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


class SampledModel(NamedTuple):
    """The MDP as the compiled loops sample it: successor lists ``succ``, their cumulative
    probabilities ``cdf`` and rewards ``reward`` (S, A, K), ``terminal`` (S,), ``gamma``."""

    succ: np.ndarray
    cdf: np.ndarray
    reward: np.ndarray
    terminal: np.ndarray
    gamma: float


class _Options(NamedTuple):
    """The options, state-major for the loops: ``initiation``, ``termination`` β and
    ``running`` (may be running) (S, O); ``policy`` π and its ``policy_cdf`` (O, S, A)."""

    initiation: np.ndarray
    termination: np.ndarray
    running: np.ndarray
    policy: np.ndarray
    policy_cdf: np.ndarray


class _Settings(NamedTuple):
    """Step size ``alpha``, exploration ``epsilon``, ``max_steps`` per episode, ``n_episodes``
    and the cumulative start distribution ``start_cdf`` (S,)."""

    alpha: float
    epsilon: float
    max_steps: int
    n_episodes: int
    start_cdf: np.ndarray


class _Records(NamedTuple):
    """Per-episode ``steps``, ``returns``, ``decisions`` (n_seeds, n_episodes), written in place."""

    steps: np.ndarray
    returns: np.ndarray
    decisions: np.ndarray


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
    start_cdf = np.cumsum(_start_distribution(mdp, start))
    start_cdf[-1] = 1.0
    policy_cdf = np.cumsum(opts.policy, axis=2)
    policy_cdf[..., -1] = 1.0
    model = SampledModel(*sparse_transitions(mdp), mdp.terminal, mdp.gamma)
    tables = _Options(np.ascontiguousarray(opts.initiation.T),
                      np.ascontiguousarray(opts.termination.T),
                      np.ascontiguousarray(opts.domain.T), opts.policy, policy_cdf)
    settings = _Settings(alpha, epsilon, max_steps, n_episodes, start_cdf)
    records = _Records(np.zeros((n_seeds, n_episodes), dtype=np.int64),
                       np.zeros((n_seeds, n_episodes)),
                       np.zeros((n_seeds, n_episodes), dtype=np.int64))
    rng = as_generator(seed)
    if update == "smdp":
        _smdp_q_learning_loop(Q, model, tables, settings, rng, records)
    else:
        _intra_option_loop(Q, model, tables, settings, behaviour == "uniform-random", rng,
                           records)
    return LearningResult(steps=records.steps, returns=records.returns,
                          decisions=records.decisions, Q=Q, option_names=opts.names)


@numba.njit(cache=True)
def draw_index(cdf: np.ndarray, rng: np.random.Generator) -> int:
    """Inverse-CDF draw of one index from a cumulative distribution whose last entry is 1."""
    u = rng.random()
    j = 0
    while u >= cdf[j]:
        j += 1
    return j


@numba.njit(cache=True)
def sample_transition(
    model: SampledModel, s: int, a: int, rng: np.random.Generator
) -> tuple[int, float, bool]:
    """One environment step from (s, a): the sampled s', the reward r(s, a, s') that
    transition pays, and whether s' is terminal."""
    j = draw_index(model.cdf[s, a], rng)
    s_next = model.succ[s, a, j]
    return s_next, model.reward[s, a, j], model.terminal[s_next]


@numba.njit(cache=True)
def _best(q: np.ndarray, allowed: np.ndarray) -> float:
    """max_{o : allowed[o]} q[o] (-inf if nothing is allowed)."""
    best = -np.inf
    for o in range(q.shape[0]):
        if allowed[o] and q[o] > best:
            best = q[o]
    return best


@numba.njit(cache=True)
def epsilon_greedy_choice(
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
def _record(records: _Records, i: int, episode: int, steps: int, decisions: int) -> None:
    """Write an ended episode's length and number of option choices."""
    records.steps[i, episode] = steps
    records.decisions[i, episode] = decisions


@numba.njit(cache=True)
def _smdp_q_learning_loop(Q, model, opts, settings, rng, records):  # pragma: no cover
    """SMDP Q-learning, one seed after another; Q (n_seeds, S, O) is updated in place.

    Each episode: choose o ε-greedily in s; run it, accumulating its return G and discount
    γ^k, until it stops in s' (probability β_o(s') on each arrival), the episode terminates,
    or it is truncated; then apply :func:`smdp_q_update` to Q(s, o) and choose again in s'.
    """
    gamma = model.gamma
    for i in range(Q.shape[0]):
        Qi = Q[i]
        for episode in range(settings.n_episodes):
            s = draw_index(settings.start_cdf, rng)
            o = epsilon_greedy_choice(Qi[s], opts.initiation[s], settings.epsilon, rng)
            s0, G, gamma_k = s, 0.0, 1.0
            t, discount, n_decisions = 0, 1.0, 1
            while True:
                a = draw_index(opts.policy_cdf[o, s], rng)
                s_next, r, terminated = sample_transition(model, s, a, rng)
                t += 1
                truncated = not terminated and t >= settings.max_steps
                records.returns[i, episode] += discount * r
                discount *= gamma
                G += gamma_k * r
                gamma_k *= gamma
                stops = terminated or truncated or rng.random() < opts.termination[s_next, o]
                if stops:
                    best_next = 0.0 if terminated else _best(Qi[s_next], opts.initiation[s_next])
                    if terminated:
                        bootstrap = 0.0
                    elif truncated:  # o has not stopped: it continues from s' (U of §6)
                        bootstrap = continuation(Qi[s_next, o], opts.termination[s_next, o],
                                                 best_next)
                    else:
                        bootstrap = best_next
                    Qi[s0, o] = smdp_q_update(Qi[s0, o], G, gamma_k, bootstrap, settings.alpha)
                s = s_next
                if terminated or truncated:
                    _record(records, i, episode, t, n_decisions)
                    break
                if stops:
                    o = epsilon_greedy_choice(Qi[s], opts.initiation[s], settings.epsilon, rng)
                    s0, G, gamma_k = s, 0.0, 1.0
                    n_decisions += 1


@numba.njit(cache=True)
def _intra_option_loop(Q, model, opts, settings, random_behaviour, rng,
                       records):  # pragma: no cover
    """Intra-option Q-learning, one seed after another; Q (n_seeds, S, O) updated in place.

    Each step (s, a, r, s'): every option u that may be running in s and whose policy can take
    a gets :func:`intra_option_q_update` with U from :func:`continuation` (0 at a terminal s')
    and ρ = π_u(a|s) / b(a|s). Behaviour b: the running option's policy (options chosen
    ε-greedily when one stops) or, with ``random_behaviour``, a uniformly random action
    (b = 1/A; no option is ever executed).
    """
    gamma = model.gamma
    n_actions = model.succ.shape[1]
    n_options = Q.shape[2]
    for i in range(Q.shape[0]):
        Qi = Q[i]
        for episode in range(settings.n_episodes):
            s = draw_index(settings.start_cdf, rng)
            o, n_decisions = 0, 0
            if not random_behaviour:
                o = epsilon_greedy_choice(Qi[s], opts.initiation[s], settings.epsilon, rng)
                n_decisions = 1
            t, discount = 0, 1.0
            while True:
                if random_behaviour:
                    a = min(int(rng.random() * n_actions), n_actions - 1)
                    b = 1.0 / n_actions
                else:
                    a = draw_index(opts.policy_cdf[o, s], rng)
                    b = opts.policy[o, s, a]
                s_next, r, terminated = sample_transition(model, s, a, rng)
                t += 1
                truncated = not terminated and t >= settings.max_steps
                records.returns[i, episode] += discount * r
                discount *= gamma
                best_next = 0.0 if terminated else _best(Qi[s_next], opts.initiation[s_next])
                for u in range(n_options):
                    if opts.running[s, u] and opts.policy[u, s, a] > 0.0:
                        U = 0.0 if terminated else continuation(
                            Qi[s_next, u], opts.termination[s_next, u], best_next)
                        rho = opts.policy[u, s, a] / b
                        Qi[s, u] = intra_option_q_update(Qi[s, u], r, gamma, U, settings.alpha,
                                                         rho)
                stops = not random_behaviour and (
                    terminated or truncated or rng.random() < opts.termination[s_next, o])
                s = s_next
                if terminated or truncated:
                    _record(records, i, episode, t, n_decisions)
                    break
                if stops:
                    o = epsilon_greedy_choice(Qi[s], opts.initiation[s], settings.epsilon, rng)
                    n_decisions += 1
