"""Tabular option-critic (Bacon, Harb & Precup 2017, Algorithm 1) and its two flat baselines.

The updates are small named functions, in the order of Algorithm 1:

- :func:`option_evaluation`: the critic. Q_U(s, ω, a) and Q_Ω(s, ω) move towards the one-step
  intra-option target r + γ U(ω, s'), with U of eq. 3 computed by
  :func:`chapter_code.options.continuation` (the greedy policy over options makes V_Ω a max);
- :func:`intra_option_policy_step`: a step along the intra-option policy gradient of
  Theorem 1 for a softmax (Boltzmann) policy, with Q_Ω(s, ω) as a baseline;
- :func:`termination_gradient_step`: a step along the termination gradient of Theorem 2 /
  eq. 5 for a sigmoid termination, -∂β/∂ϑ (Q_Ω(s', ω) - V_Ω(s') + ξ), with the regulariser ξ
  of the paper's ALE section.

:func:`option_critic`, :func:`actor_critic` (the paper's AC-PG) and :func:`sarsa` are
compiled (numba) episode loops that call exactly these functions, for many independent runs
at once (one run after another, all random numbers from one seeded generator). Each run
follows a *schedule* of tasks, one per episode (the transfer experiment moves the goal after
1000 episodes). :mod:`chapter_code.option_critic.reference` is the plain-Python twin of the
option-critic loop, tested to agree with it step for step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numba
import numpy as np

from chapter_code._checks import check_int, check_real
from chapter_code.envs.tabular import TabularMDP
from chapter_code.options.learning import (
    SampledModel,
    continuation,
    draw_index,
    epsilon_greedy_choice,
    intra_option_q_update,
    sample_transition,
    sparse_transitions,
)
from chapter_code.seeding import SeedLike, as_generator

# ---------------------------------------------------------------------------------------------
# The parametrisations: sigmoid terminations, softmax (Boltzmann) policies


@numba.njit(cache=True)
def sigmoid(logit: float) -> float:
    """β = σ(ϑ) = 1 / (1 + exp(-ϑ)), the termination probability of a sigmoid termination
    with logit ϑ (computed without overflow for large |ϑ|)."""
    if logit >= 0.0:
        return 1.0 / (1.0 + np.exp(-logit))
    z = np.exp(logit)
    return z / (1.0 + z)


@numba.njit(cache=True)
def softmax(preferences: np.ndarray, temperature: float) -> np.ndarray:
    """π(a) = exp(θ_a / T) / Σ_b exp(θ_b / T), the Boltzmann distribution of the preferences θ
    (A,) at temperature T."""
    z = preferences / temperature
    z = np.exp(z - z.max())
    return z / z.sum()


# ---------------------------------------------------------------------------------------------
# The updates of Algorithm 1, one function each (compiled, and callable from Python)


@numba.njit(cache=True)
def option_evaluation(Q_U: np.ndarray, Q_Omega: np.ndarray, s: int, o: int, a: int, r: float,
                      gamma: float, U: float, alpha: float) -> None:
    """Options evaluation (Algorithm 1, step 1), in place: with δ = r + γ U(ω, s') - Q,

        Q_U(s, ω, a) <- Q_U(s, ω, a) + α δ,    Q_Ω(s, ω) <- Q_Ω(s, ω) + α δ,

    each with its own Q. U(ω, s') = (1 - β_ω(s')) Q_Ω(s', ω) + β_ω(s') max_ω' Q_Ω(s', ω')
    (eq. 3 with the greedy policy over options; 0 at a terminal s'). Q_Ω is learned by
    intra-option Q-learning for the running option, as in the authors' released code (the
    paper's Q_Ω = Σ_a π_ω(a|s) Q_U(s, ω, a), eq. 1, holds in expectation). Shapes: ``Q_U``
    (S, O, A), ``Q_Omega`` (S, O)."""
    Q_U[s, o, a] = intra_option_q_update(Q_U[s, o, a], r, gamma, U, alpha, 1.0)
    Q_Omega[s, o] = intra_option_q_update(Q_Omega[s, o], r, gamma, U, alpha, 1.0)


@numba.njit(cache=True)
def intra_option_policy_step(preferences: np.ndarray, action: int, q_u: float, baseline: float,
                             lr: float, temperature: float) -> np.ndarray:
    """θ + α_θ (Q_U(s, ω, a) - b) ∂log π_ω,θ(a|s)/∂θ: one sample of Theorem 1's intra-option
    policy gradient at (s, ω, a), as in Algorithm 1, step 2, with the baseline b = Q_Ω(s, ω)
    of the paper's ALE section (b = 0: no baseline). For the softmax policy
    π = softmax(θ / T), ∂log π(a)/∂θ = (e_a - π) / T. ``preferences``: θ_{ω, s} (A,);
    returns the new row."""
    pi = softmax(preferences, temperature)
    scale = lr * (q_u - baseline) / temperature
    out = preferences - scale * pi
    out[action] += scale
    return out


@numba.njit(cache=True)
def termination_gradient_step(logit: float, q_option: float, v: float, xi: float,
                              lr: float) -> float:
    """ϑ - α_ϑ ∂β_ω,ϑ(s')/∂ϑ (Q_Ω(s', ω) - V_Ω(s') + ξ): one sample of the termination gradient
    (Theorem 2, eq. 5; Algorithm 1, step 2), for the sigmoid termination β = σ(ϑ), whose
    derivative is β (1 - β). ξ ≥ 0 is the regulariser of the paper's ALE section (the
    advantage A_Ω + ξ): options whose value is within ξ of the best keep running. ``logit``:
    ϑ_ω(s'); ``q_option``: Q_Ω(s', ω); ``v``: V_Ω(s') = max_ω' Q_Ω(s', ω')."""
    beta = sigmoid(logit)
    return logit - lr * beta * (1.0 - beta) * (q_option - v + xi)


class Hyper(NamedTuple):
    """The learning rates and constants of one learner: critic step ``alpha``, intra-option
    policy step ``lr_intra``, termination step ``lr_term``, ``temperature`` T of the softmax
    policies, regulariser ``xi``, ``baseline`` (subtract Q_Ω(s, ω) in the policy step),
    ``epsilon`` of the ε-greedy policy over options, discount ``gamma``."""

    alpha: float
    lr_intra: float
    lr_term: float
    temperature: float
    xi: float
    baseline: bool
    epsilon: float
    gamma: float


@numba.njit(cache=True)
def option_critic_update(Q_U: np.ndarray, Q_Omega: np.ndarray, theta: np.ndarray,
                         vartheta: np.ndarray, s: int, o: int, a: int, r: float, s_next: int,
                         terminated: bool, hyper: Hyper) -> None:
    """One transition (s, ω, a, r, s') of Algorithm 1, in place: :func:`option_evaluation`,
    then :func:`intra_option_policy_step` at (s, ω, a), then (s' non-terminal)
    :func:`termination_gradient_step` at (s', ω). Shapes: ``Q_U`` (S, O, A), ``Q_Omega``
    (S, O), ``theta`` (O, S, A) preferences, ``vartheta`` (O, S) termination logits."""
    if terminated:
        U = 0.0
    else:
        U = continuation(Q_Omega[s_next, o], sigmoid(vartheta[o, s_next]), Q_Omega[s_next].max())
    option_evaluation(Q_U, Q_Omega, s, o, a, r, hyper.gamma, U, hyper.alpha)
    baseline = Q_Omega[s, o] if hyper.baseline else 0.0
    theta[o, s] = intra_option_policy_step(theta[o, s], a, Q_U[s, o, a], baseline,
                                           hyper.lr_intra, hyper.temperature)
    if not terminated:
        vartheta[o, s_next] = termination_gradient_step(
            vartheta[o, s_next], Q_Omega[s_next, o], Q_Omega[s_next].max(), hyper.xi,
            hyper.lr_term)


@numba.njit(cache=True)
def actor_critic_update(Q: np.ndarray, V: np.ndarray, theta: np.ndarray, s: int, a: int,
                        r: float, s_next: int, terminated: bool, hyper: Hyper) -> None:
    """One transition of the flat actor-critic (the paper's AC-PG), in place: Q(s, a) and V(s)
    move towards r + γ V(s') (0 at a terminal s'), then θ_s takes
    :func:`intra_option_policy_step` with Q(s, a) and baseline V(s). Option-critic with one
    option is this learner (U(ω, s') = V(s') whatever β). Shapes: ``Q`` (S, A), ``V`` (S,),
    ``theta`` (S, A)."""
    U = 0.0 if terminated else V[s_next]
    Q[s, a] = intra_option_q_update(Q[s, a], r, hyper.gamma, U, hyper.alpha, 1.0)
    V[s] = intra_option_q_update(V[s], r, hyper.gamma, U, hyper.alpha, 1.0)
    baseline = V[s] if hyper.baseline else 0.0
    theta[s] = intra_option_policy_step(theta[s], a, Q[s, a], baseline, hyper.lr_intra,
                                        hyper.temperature)


# ---------------------------------------------------------------------------------------------
# The tasks as the compiled loops sample them


class _Tasks(NamedTuple):
    """Several MDPs on one state space, stacked: successor lists ``succ``, cumulative
    probabilities ``cdf`` and rewards ``reward`` (n_tasks, S, A, K); ``terminal`` (n_tasks, S);
    ``start_cdf`` (n_tasks, S), uniform over each task's non-terminal states."""

    succ: np.ndarray
    cdf: np.ndarray
    reward: np.ndarray
    terminal: np.ndarray
    start_cdf: np.ndarray


def _stack_tasks(tasks: Sequence[TabularMDP]) -> tuple[_Tasks, float]:
    """The tasks' sparse transitions padded to one K (repeating the last successor, whose
    cumulative probability is 1), and their common discount."""
    sparse = [sparse_transitions(mdp) for mdp in tasks]
    K = max(succ.shape[2] for succ, _, _ in sparse)

    def pad(x: np.ndarray) -> np.ndarray:
        return np.concatenate([x] + [x[..., -1:]] * (K - x.shape[2]), axis=2)

    succ, cdf, reward = (np.stack([pad(parts[i]) for parts in sparse]) for i in range(3))
    terminal = np.stack([mdp.terminal for mdp in tasks])
    live = ~terminal
    start_cdf = np.cumsum(live / live.sum(axis=1, keepdims=True), axis=1)
    start_cdf[:, -1] = 1.0
    return _Tasks(succ, cdf, reward, terminal, start_cdf), float(tasks[0].gamma)


def _check_tasks(tasks: TabularMDP | Sequence[TabularMDP]) -> list[TabularMDP]:
    if isinstance(tasks, TabularMDP):
        return [tasks]
    if isinstance(tasks, str) or not isinstance(tasks, Sequence) or not tasks:
        raise TypeError(f"tasks must be a TabularMDP or a non-empty sequence of them, got "
                        f"{type(tasks).__name__}")
    for mdp in tasks:
        if not isinstance(mdp, TabularMDP):
            raise TypeError(f"tasks must hold TabularMDPs, got {type(mdp).__name__}")
    first = tasks[0]
    for mdp in tasks[1:]:
        if mdp.P.shape != first.P.shape or mdp.gamma != first.gamma:
            raise ValueError("tasks must share the state and action sets and gamma; got shapes "
                             f"{first.P.shape} and {mdp.P.shape}, gammas {first.gamma} and "
                             f"{mdp.gamma}")
    return list(tasks)


def _check_schedule(schedule: object, n_tasks: int) -> np.ndarray:
    arr = np.asarray(schedule)
    if arr.ndim != 2 or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(f"schedule must be a (n_runs, n_episodes) array of task indices, got "
                         f"shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"schedule must hold integer task indices, got dtype {arr.dtype}")
    if (arr < 0).any() or (arr >= n_tasks).any():
        raise ValueError(f"schedule entries must lie in [0, {n_tasks - 1}] (one per task), got "
                         f"values in [{arr.min()}, {arr.max()}]")
    return np.ascontiguousarray(arr, dtype=np.int64)


@dataclass(frozen=True)
class TabularResult:
    """What a learner returns. ``steps`` (n_runs, n_episodes): primitive steps of each
    episode; ``switches`` (n_runs, n_episodes): option terminations inside each episode (0 for
    the flat learners); ``tables``: the learned arrays by name, each with a leading run axis
    (option-critic: ``Q_U`` (n, S, O, A), ``Q_Omega`` (n, S, O), ``theta`` (n, O, S, A),
    ``vartheta`` (n, O, S); actor-critic: ``Q``, ``V``, ``theta``; SARSA: ``Q``)."""

    steps: np.ndarray
    switches: np.ndarray
    tables: dict[str, np.ndarray]


def check_hyper_parameters(*, alpha: float, lr_intra: float, lr_term: float,
                           temperature: float, xi: float, baseline: bool, epsilon: float,
                           gamma: float) -> Hyper:
    """The learners' settings checked (``ValueError``/``TypeError`` naming the argument) and
    bundled as a :class:`Hyper`: ``alpha`` in (0, 1], ``lr_intra`` and ``lr_term`` ≥ 0,
    ``temperature`` > 0, ``xi`` real, ``baseline`` a bool, ``epsilon`` and ``gamma`` in [0, 1].
    Experiments call it to validate their configs."""
    if not isinstance(baseline, bool):
        raise TypeError(f"baseline must be a bool, got {baseline!r}")
    return Hyper(alpha=check_real("alpha", alpha, low=0.0, high=1.0, low_open=True),
                 lr_intra=check_real("lr_intra", lr_intra, low=0.0),
                 lr_term=check_real("lr_term", lr_term, low=0.0),
                 temperature=check_real("temperature", temperature, low=0.0, low_open=True),
                 xi=check_real("xi", xi),
                 baseline=baseline,
                 epsilon=check_real("epsilon", epsilon, low=0.0, high=1.0),
                 gamma=check_real("gamma", gamma, low=0.0, high=1.0))


def option_critic(
    tasks: TabularMDP | Sequence[TabularMDP],
    schedule: np.ndarray,
    *,
    n_options: int,
    alpha: float = 0.5,
    lr_intra: float = 0.0025,
    lr_term: float = 0.25,
    temperature: float = 0.01,
    xi: float = 0.0,
    baseline: bool = True,
    epsilon: float = 0.01,
    termination_init: float = 0.0,
    max_steps: int = 1000,
    seed: SeedLike = 0,
) -> TabularResult:
    """Option-critic with tabular intra-option Q-learning (Bacon, Harb & Precup 2017,
    Algorithm 1) for ``schedule.shape[0]`` independent runs.

    Run i's episode e is played in ``tasks[schedule[i, e]]``, from a uniformly random
    non-terminal state. An option ω is chosen ε-greedily on Q_Ω (ties broken at random); each
    step draws a ~ π_ω(·|s) = softmax(θ_{ω,s} / T), samples (s', r) from the task, applies
    :func:`option_critic_update`, and (s' non-terminal) ends ω with probability
    β_ω(s') = σ(ϑ_ω(s')), choosing again ε-greedily in s'. An episode is truncated (not
    terminated) after ``max_steps``. All tables start at zero, the termination logits at
    ``termination_init`` (0: β = 1/2). With one option there is nothing to choose and ending
    it changes nothing, so no random number is drawn for either. Defaults: the authors'
    released command for four rooms (see the module of the transfer experiment).
    """
    task_list = _check_tasks(tasks)
    schedule = _check_schedule(schedule, len(task_list))
    n_options = check_int("n_options", n_options, minimum=1)
    max_steps = check_int("max_steps", max_steps, minimum=1)
    termination_init = check_real("termination_init", termination_init)
    stacked, gamma = _stack_tasks(task_list)
    hyper = check_hyper_parameters(alpha=alpha, lr_intra=lr_intra, lr_term=lr_term,
                                   temperature=temperature, xi=xi, baseline=baseline,
                                   epsilon=epsilon, gamma=gamma)
    n_runs, n_episodes = schedule.shape
    S, A = task_list[0].n_states, task_list[0].n_actions
    Q_U = np.zeros((n_runs, S, n_options, A))
    Q_Omega = np.zeros((n_runs, S, n_options))
    theta = np.zeros((n_runs, n_options, S, A))
    vartheta = np.full((n_runs, n_options, S), termination_init)
    steps = np.zeros((n_runs, n_episodes), dtype=np.int64)
    switches = np.zeros((n_runs, n_episodes), dtype=np.int64)
    _option_critic_loop(Q_U, Q_Omega, theta, vartheta, stacked, schedule, hyper, max_steps,
                        as_generator(seed), steps, switches)
    return TabularResult(steps=steps, switches=switches,
                         tables={"Q_U": Q_U, "Q_Omega": Q_Omega, "theta": theta,
                                 "vartheta": vartheta})


def actor_critic(
    tasks: TabularMDP | Sequence[TabularMDP],
    schedule: np.ndarray,
    *,
    alpha: float = 0.5,
    lr_intra: float = 0.0025,
    temperature: float = 0.01,
    baseline: bool = True,
    max_steps: int = 1000,
    seed: SeedLike = 0,
) -> TabularResult:
    """The flat actor-critic with a Boltzmann policy (the paper's AC-PG baseline): each step
    draws a ~ softmax(θ_s / T) and applies :func:`actor_critic_update`. Episodes, schedule and
    truncation as in :func:`option_critic`; all tables start at zero."""
    task_list = _check_tasks(tasks)
    schedule = _check_schedule(schedule, len(task_list))
    max_steps = check_int("max_steps", max_steps, minimum=1)
    stacked, gamma = _stack_tasks(task_list)
    hyper = check_hyper_parameters(alpha=alpha, lr_intra=lr_intra, lr_term=0.0,
                                   temperature=temperature, xi=0.0, baseline=baseline,
                                   epsilon=0.0, gamma=gamma)
    n_runs, n_episodes = schedule.shape
    S, A = task_list[0].n_states, task_list[0].n_actions
    Q, V, theta = np.zeros((n_runs, S, A)), np.zeros((n_runs, S)), np.zeros((n_runs, S, A))
    steps = np.zeros((n_runs, n_episodes), dtype=np.int64)
    _actor_critic_loop(Q, V, theta, stacked, schedule, hyper, max_steps, as_generator(seed),
                       steps)
    return TabularResult(steps=steps, switches=np.zeros_like(steps),
                         tables={"Q": Q, "V": V, "theta": theta})


def sarsa(
    tasks: TabularMDP | Sequence[TabularMDP],
    schedule: np.ndarray,
    *,
    alpha: float = 0.5,
    temperature: float = 0.01,
    max_steps: int = 1000,
    seed: SeedLike = 0,
) -> TabularResult:
    """SARSA(0) with Boltzmann exploration, no eligibility traces (the paper's baseline):
    a ~ softmax(Q(s, ·) / T), then Q(s, a) <- Q(s, a) + α [r + γ Q(s', a') - Q(s, a)] with a'
    drawn in s' the same way (0 at a terminal s'). Episodes as in :func:`option_critic`."""
    task_list = _check_tasks(tasks)
    schedule = _check_schedule(schedule, len(task_list))
    max_steps = check_int("max_steps", max_steps, minimum=1)
    stacked, gamma = _stack_tasks(task_list)
    hyper = check_hyper_parameters(alpha=alpha, lr_intra=0.0, lr_term=0.0,
                                   temperature=temperature, xi=0.0, baseline=False,
                                   epsilon=0.0, gamma=gamma)
    n_runs, n_episodes = schedule.shape
    S, A = task_list[0].n_states, task_list[0].n_actions
    Q = np.zeros((n_runs, S, A))
    steps = np.zeros((n_runs, n_episodes), dtype=np.int64)
    _sarsa_loop(Q, stacked, schedule, hyper, max_steps, as_generator(seed), steps)
    return TabularResult(steps=steps, switches=np.zeros_like(steps), tables={"Q": Q})


# ---------------------------------------------------------------------------------------------
# The compiled episode loops


@numba.njit(cache=True)
def _task(tasks: _Tasks, k: int, gamma: float) -> SampledModel:
    """Task k as the sampler of :mod:`chapter_code.options.learning` reads it."""
    return SampledModel(tasks.succ[k], tasks.cdf[k], tasks.reward[k], tasks.terminal[k], gamma)


@numba.njit(cache=True)
def _boltzmann_draw(preferences: np.ndarray, temperature: float,
                    rng: np.random.Generator) -> int:
    """One action drawn from softmax(preferences / T) by inverting its CDF at one uniform."""
    cdf = np.cumsum(softmax(preferences, temperature))
    cdf[-1] = 1.0
    return draw_index(cdf, rng)


@numba.njit(cache=True)
def _choose_option(q: np.ndarray, epsilon: float, rng: np.random.Generator) -> int:
    """ε-greedy choice over all options (every option may start everywhere); with a single
    option, that option, without a draw."""
    if q.shape[0] == 1:
        return 0
    return epsilon_greedy_choice(q, np.ones(q.shape[0], dtype=np.bool_), epsilon, rng)


@numba.njit(cache=True)
def _option_critic_loop(Q_U, Q_Omega, theta, vartheta, tasks, schedule, hyper, max_steps, rng,
                        steps, switches):  # pragma: no cover
    """Algorithm 1 for every run in turn; the tables (leading run axis) are updated in place."""
    n_options = Q_Omega.shape[2]
    for i in range(schedule.shape[0]):
        for episode in range(schedule.shape[1]):
            k = schedule[i, episode]
            model = _task(tasks, k, hyper.gamma)
            s = draw_index(tasks.start_cdf[k], rng)
            o = _choose_option(Q_Omega[i, s], hyper.epsilon, rng)
            t = 0
            while True:
                a = _boltzmann_draw(theta[i, o, s], hyper.temperature, rng)
                s_next, r, terminated = sample_transition(model, s, a, rng)
                t += 1
                option_critic_update(Q_U[i], Q_Omega[i], theta[i], vartheta[i], s, o, a, r,
                                     s_next, terminated, hyper)
                s = s_next
                if terminated or t >= max_steps:
                    steps[i, episode] = t
                    break
                if n_options > 1 and rng.random() < sigmoid(vartheta[i, o, s]):
                    o = _choose_option(Q_Omega[i, s], hyper.epsilon, rng)
                    switches[i, episode] += 1


@numba.njit(cache=True)
def _actor_critic_loop(Q, V, theta, tasks, schedule, hyper, max_steps, rng,
                       steps):  # pragma: no cover
    """The flat actor-critic for every run in turn; tables updated in place."""
    for i in range(schedule.shape[0]):
        for episode in range(schedule.shape[1]):
            k = schedule[i, episode]
            model = _task(tasks, k, hyper.gamma)
            s = draw_index(tasks.start_cdf[k], rng)
            t = 0
            while True:
                a = _boltzmann_draw(theta[i, s], hyper.temperature, rng)
                s_next, r, terminated = sample_transition(model, s, a, rng)
                t += 1
                actor_critic_update(Q[i], V[i], theta[i], s, a, r, s_next, terminated, hyper)
                s = s_next
                if terminated or t >= max_steps:
                    steps[i, episode] = t
                    break


@numba.njit(cache=True)
def _sarsa_loop(Q, tasks, schedule, hyper, max_steps, rng, steps):  # pragma: no cover
    """SARSA(0) with Boltzmann exploration for every run in turn; Q updated in place. Its
    update is the one-step TD step of :func:`intra_option_q_update` with U = Q(s', a')."""
    for i in range(schedule.shape[0]):
        for episode in range(schedule.shape[1]):
            k = schedule[i, episode]
            model = _task(tasks, k, hyper.gamma)
            s = draw_index(tasks.start_cdf[k], rng)
            a = _boltzmann_draw(Q[i, s], hyper.temperature, rng)
            t = 0
            while True:
                s_next, r, terminated = sample_transition(model, s, a, rng)
                t += 1
                a_next = 0
                U = 0.0
                if not terminated:
                    a_next = _boltzmann_draw(Q[i, s_next], hyper.temperature, rng)
                    U = Q[i, s_next, a_next]
                Q[i, s, a] = intra_option_q_update(Q[i, s, a], r, hyper.gamma, U, hyper.alpha,
                                                   1.0)
                s, a = s_next, a_next
                if terminated or t >= max_steps:
                    steps[i, episode] = t
                    break
