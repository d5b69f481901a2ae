"""Why hierarchy: flat Q-learning's cost grows with the horizon; one extended action cuts it.

Corridors of growing length, start at the left end, +1 at the right end. A flat Q-learner
(primitive moves only) is compared with SMDP Q-learning over the primitives plus a single
option, "walk right to the next landmark" (landmarks every ``spacing`` cells). Both run
``n_seeds`` seeds at once. The cost to learn is the number of environment steps taken before
the first episode whose length is within ``tolerance`` of the shortest path.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chapter_code._checks import check_int, check_real
from chapter_code.envs import corridor
from chapter_code.experiments import Experiment, Output, ProgressFactory
from chapter_code.options import landmark_option, primitive_options, smdp_q_learning
from chapter_code.stats import interval_metrics, mean_ci, ratio_of_means_ci


@dataclass(frozen=True)
class WhyHierarchyConfig:
    """Options of the why-hierarchy experiment."""

    lengths: tuple[int, ...] = (8, 16, 32, 64)
    """corridor lengths (cells); the shortest path from start to goal is length - 1 steps"""
    spacing: int = 4
    """distance between landmarks, where the extended action stops"""
    n_seeds: int = 100
    """independent learners per corridor and method, stepped together"""
    n_episodes: int = 150
    """episodes per learner"""
    alpha: float = 0.5
    """step size of the Q update"""
    epsilon: float = 0.1
    """exploration rate of ε-greedy option choice"""
    gamma: float = 0.99
    """discount factor"""
    tolerance: float = 0.25
    """an episode counts as learned when its length is at most (1 + tolerance) x shortest"""
    seed: int = 0
    """seed of the experiment's random generator"""

    def __post_init__(self) -> None:
        if not isinstance(self.lengths, tuple) or not self.lengths:
            raise TypeError(f"lengths must be a non-empty tuple of ints, got {self.lengths!r}")
        for length in self.lengths:
            check_int("lengths[i]", length, minimum=2)
        if list(self.lengths) != sorted(set(self.lengths)):
            raise ValueError(f"lengths must be strictly increasing, got {self.lengths}")
        check_int("spacing", self.spacing, minimum=2)
        check_int("n_seeds", self.n_seeds, minimum=2)
        check_int("n_episodes", self.n_episodes, minimum=1)
        check_real("alpha", self.alpha, low=0.0, high=1.0, low_open=True)
        check_real("epsilon", self.epsilon, low=0.0, high=1.0)
        check_real("gamma", self.gamma, low=0.0, high=1.0, low_open=True)
        check_real("tolerance", self.tolerance, low=0.0)
        check_int("seed", self.seed, minimum=0)


def steps_to_criterion(episode_steps: np.ndarray, shortest: int, tolerance: float) -> np.ndarray:
    """Environment steps taken before the first episode of length <= (1 + tolerance) * shortest.

    ``episode_steps``: (n_seeds, n_episodes). The counted steps include that first good
    episode. A seed that never meets the criterion raises ``ValueError`` (run more episodes).
    """
    good = episode_steps <= (1.0 + tolerance) * shortest
    if not good.any(axis=1).all():
        raise ValueError(
            f"{int((~good.any(axis=1)).sum())} seed(s) never met the criterion; "
            "increase n_episodes"
        )
    first = good.argmax(axis=1)
    cumulative = np.cumsum(episode_steps, axis=1)
    return cumulative[np.arange(len(first)), first]


def decision_points(length: int, spacing: int) -> tuple[int, int]:
    """Decisions per episode of the optimal policy from the left end: ``(flat, with_option)``.

    Flat: one per cell, ``length - 1``. With the landmark option: one per landmark segment,
    ceil((length - 1) / spacing), since each run of the option ends at the next landmark.
    """
    length = check_int("length", length, minimum=2)
    spacing = check_int("spacing", spacing, minimum=1)
    return length - 1, -(-(length - 1) // spacing)


def log_log_slope(x: np.ndarray, y: np.ndarray) -> float:
    """Least-squares slope of log y against log x: the exponent p in y ∝ x^p."""
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def run(config: WhyHierarchyConfig, progress: ProgressFactory) -> Output:
    """Learn every corridor with both methods; return per-length costs and headline metrics."""
    rng = np.random.default_rng(config.seed)
    n_lengths = len(config.lengths)
    cost = {m: np.zeros((n_lengths, config.n_seeds)) for m in ("flat", "option")}
    decisions = {m: np.zeros(n_lengths) for m in ("flat", "option")}
    curves: dict[str, np.ndarray] = {}
    for k, length in enumerate(progress(config.lengths, desc="corridors")):
        mdp = corridor(length, gamma=config.gamma)
        option_sets = {
            "flat": primitive_options(mdp),
            "option": [*primitive_options(mdp), landmark_option(mdp, config.spacing)],
        }
        for method, options in option_sets.items():
            result = smdp_q_learning(
                mdp, options, n_seeds=config.n_seeds, n_episodes=config.n_episodes,
                alpha=config.alpha, epsilon=config.epsilon, seed=rng, start=mdp.start,
                max_steps=200 * length * length,
            )
            cost[method][k] = steps_to_criterion(result.steps, length - 1, config.tolerance)
            decisions[method][k] = result.decisions[:, -10:].mean()
            if length == config.lengths[-1]:
                curves[f"steps_{method}"] = result.steps
    lengths = np.array(config.lengths)
    per_length = []
    for k, length in enumerate(config.lengths):
        per_length.append({
            "length": int(length),
            "steps": {m: float(mean_ci(cost[m][k])[0]) for m in ("flat", "option")},
            "speedup": interval_metrics(ratio_of_means_ci(
                cost["flat"][k], cost["option"][k], seed=config.seed), "ratio"),
            "decisions": {m: float(decisions[m][k]) for m in ("flat", "option")},
        })
    metrics = {
        "slope": {m: log_log_slope(lengths, cost[m].mean(axis=1)) for m in ("flat", "option")},
        "speedup_longest": per_length[-1]["speedup"],
        "per_length": per_length,
    }
    arrays = {"lengths": lengths, "cost_flat": cost["flat"], "cost_option": cost["option"],
              **curves}
    return Output(metrics, arrays)


EXPERIMENT = Experiment(
    name="why-hierarchy",
    summary="Flat Q-learning vs one temporally extended action on corridors of growing length",
    config_type=WhyHierarchyConfig,
    run=run,
)
