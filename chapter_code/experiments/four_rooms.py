"""The four-rooms learning experiment, done right: flat Q vs SMDP Q (A ∪ H) vs intra-option Q.

A fixed goal, a uniformly random start, ε-greedy choice, many seeds. Learning speed is the
number of episodes until the seeds' mean episode length (smoothed over ``window`` episodes)
first comes within ``tolerance`` of one target shared by every method: the expected episode
length of the optimal policy (``reference="optimal"``). The alternative
``reference="own-epsilon-greedy"`` judges each method against its own ε-greedy optimum, a
different target per method that favours the methods whose exploration costs more. Both are
exact, from :func:`chapter_code.options.planning.expected_episode_steps`; intervals by
bootstrapping seeds. Sutton, Precup & Singh (1999), §§3.2, 5.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from chapter_code._checks import check_choice, check_int, check_real
from chapter_code.envs import four_rooms
from chapter_code.envs.four_rooms import G1, G2
from chapter_code.experiments import Experiment, Output, ProgressFactory
from chapter_code.options import (
    LearningResult,
    hallway_options,
    intra_option_q_learning,
    primitive_options,
    q_learning,
    smdp_q_learning,
    smdp_value_iteration,
)
from chapter_code.options.planning import expected_episode_steps
from chapter_code.plotting import moving_average

METHODS = ("flat", "smdp", "intra")
"""flat Q-learning over A; SMDP Q-learning over A ∪ H; intra-option Q-learning over A ∪ H."""

REFERENCES = ("optimal", "own-epsilon-greedy")
"""the criterion's target: the optimal policy's episode length for every method, or each
method's own ε-greedy optimum."""


@dataclass(frozen=True)
class FourRoomsConfig:
    """Options of the four-rooms experiment."""

    goals: tuple[tuple[int, int], ...] = (G1, G2)
    """goal cells (row, col), one fixed goal per run: the east hallway and mid south-east room"""
    n_seeds: int = 50
    """independent learners per method and goal"""
    n_episodes: int = 1000
    """episodes per learner"""
    alpha: float = 0.1
    """step size"""
    epsilon: float = 0.1
    """exploration rate of ε-greedy option choice"""
    slip: float = 1 / 3
    """probability that a move goes in one of the other three directions"""
    gamma: float = 0.9
    """discount factor"""
    window: int = 20
    """episodes in the moving average the criterion is applied to"""
    tolerance: float = 0.5
    """learned when the smoothed mean length is within this fraction of the reference length"""
    reference: str = "optimal"
    """the reference length: 'optimal' (one target for all) or 'own-epsilon-greedy'"""
    n_boot: int = 2000
    """bootstrap resamples of the seeds for the intervals"""
    seed: int = 0
    """seed of the experiment's random generator"""

    def __post_init__(self) -> None:
        if not isinstance(self.goals, tuple) or not self.goals:
            raise TypeError(f"goals must be a non-empty tuple of (row, col), got {self.goals!r}")
        for goal in self.goals:
            four_rooms(goal)  # raises ValueError naming the goal if it is not a free cell
        check_int("n_seeds", self.n_seeds, minimum=2)
        check_int("n_episodes", self.n_episodes, minimum=1)
        check_real("alpha", self.alpha, low=0.0, high=1.0, low_open=True)
        check_real("epsilon", self.epsilon, low=0.0, high=1.0)
        check_real("slip", self.slip, low=0.0, high=1.0)
        check_real("gamma", self.gamma, low=0.0, high=1.0, low_open=True, high_open=True)
        check_int("window", self.window, minimum=1)
        check_real("tolerance", self.tolerance, low=0.0)
        check_choice("reference", self.reference, REFERENCES)
        check_int("n_boot", self.n_boot, minimum=100)
        check_int("seed", self.seed, minimum=0)


def episodes_to_criterion(
    steps: np.ndarray, reference: float, tolerance: float, window: int
) -> int | None:
    """First episode (1-based) at which the ``window``-episode moving average of the mean over
    seeds of ``steps`` (n_seeds, n_episodes) is at most (1 + tolerance) * reference; None if
    it never is."""
    curve = moving_average(np.asarray(steps, dtype=float).mean(axis=0), window)
    hits = np.flatnonzero(curve <= (1.0 + tolerance) * reference)
    return int(hits[0]) + 1 if hits.size else None


def bootstrap_speedup(
    slow: np.ndarray, fast: np.ndarray, references: tuple[float, float], config: FourRoomsConfig,
    rng: np.random.Generator,
) -> dict[str, Any]:
    """Ratio of episodes (and of environment steps) to criterion, ``slow`` over ``fast``, with
    a 95% percentile interval from resampling the seeds of each method independently."""
    def cost(steps: np.ndarray, reference: float) -> tuple[float, float]:
        n = episodes_to_criterion(steps, reference, config.tolerance, config.window)
        if n is None:
            return np.nan, np.nan
        return float(n), float(steps[:, :n].sum(axis=1).mean())

    point = [cost(slow, references[0]), cost(fast, references[1])]
    boot = np.empty((config.n_boot, 2))
    for b in range(config.n_boot):
        s = cost(slow[rng.integers(len(slow), size=len(slow))], references[0])
        f = cost(fast[rng.integers(len(fast), size=len(fast))], references[1])
        boot[b] = np.divide(s, f)
    low, high = np.nanpercentile(boot, [2.5, 97.5], axis=0) if np.isfinite(boot).any() else (
        [np.nan] * 2, [np.nan] * 2)

    def finite(x: float) -> float | None:
        return float(x) if np.isfinite(x) else None

    return {
        "episodes": {"ratio": finite(point[0][0] / point[1][0]), "low": finite(low[0]),
                     "high": finite(high[0])},
        "steps": {"ratio": finite(point[0][1] / point[1][1]), "low": finite(low[1]),
                  "high": finite(high[1])},
        "unfinished_resamples": float(np.mean(~np.isfinite(boot[:, 0]))),
    }


def run(config: FourRoomsConfig, progress: ProgressFactory) -> Output:
    """Learn each goal with the three methods; return criteria, speed-ups and the curves."""
    rng = np.random.default_rng(config.seed)
    per_goal: list[dict[str, Any]] = []
    arrays: dict[str, np.ndarray] = {}
    for g, goal in enumerate(progress(config.goals, desc="goals")):
        mdp = four_rooms(goal, config.slip, config.gamma)
        option_sets = {"flat": primitive_options(mdp),
                       "smdp": [*primitive_options(mdp), *hallway_options(mdp)]}
        option_sets["intra"] = option_sets["smdp"]
        learners: dict[str, Callable[..., LearningResult]] = {
            "flat": lambda m, o, **kw: q_learning(m, **kw),
            "smdp": smdp_q_learning, "intra": intra_option_q_learning}
        steps: dict[str, np.ndarray] = {}
        reference: dict[str, float] = {}
        live = ~mdp.terminal
        for method in METHODS:
            result = learners[method](
                mdp, option_sets[method], n_seeds=config.n_seeds,
                n_episodes=config.n_episodes, alpha=config.alpha, epsilon=config.epsilon,
                seed=rng)
            steps[method] = result.steps
            arrays[f"steps_{method}_{g}"] = result.steps
            _, Q_star = smdp_value_iteration(mdp, option_sets[method])
            T = expected_episode_steps(mdp, option_sets[method], Q_star, config.epsilon)
            reference[method] = float(T[live].mean())
        T_greedy = expected_episode_steps(mdp, option_sets["flat"],
                                          smdp_value_iteration(mdp, option_sets["flat"])[1], 0.0)
        optimal = float(T_greedy[live].mean())
        target = {m: optimal if config.reference == "optimal" else reference[m] for m in METHODS}
        entry: dict[str, Any] = {
            "goal": list(goal),
            "optimal_steps": optimal,
            "reference_steps": reference,
            "episodes_to_criterion": {m: episodes_to_criterion(
                steps[m], target[m], config.tolerance, config.window) for m in METHODS},
            "first_10_episodes_steps": {m: float(steps[m][:, :10].mean()) for m in METHODS},
            "speedup_over_flat": {fast: bootstrap_speedup(
                steps["flat"], steps[fast], (target["flat"], target[fast]), config, rng)
                for fast in ("smdp", "intra")},
        }
        per_goal.append(entry)
    return Output({"per_goal": per_goal}, arrays)


EXPERIMENT = Experiment(
    name="four-rooms",
    summary="Four rooms: flat Q vs SMDP Q over A ∪ H vs intra-option Q, speed-up to criterion",
    config_type=FourRoomsConfig,
    run=run,
)
