"""Sutton, Precup & Singh's (1999) Figure 6, in their set-up: SMDP Q-learning in four rooms with
the option sets A, H and A ∪ H, the goal at G1 or G2, every episode starting in the upper-left
corner, ε-greedy choice with ε = 0.1, and the step sizes of the figure's caption (α = 1/8,
except 1/16 for H at G1 and 1/4 for A ∪ H at G2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from chapter_code._checks import check_int, check_real
from chapter_code.envs import four_rooms
from chapter_code.envs.four_rooms import G1, G2
from chapter_code.experiments import Experiment, Output, ProgressFactory
from chapter_code.options import hallway_options, primitive_options, smdp_q_learning
from chapter_code.stats import interval_metrics, mean_ci

OPTION_SETS = ("A", "H", "A+H")
"""the primitive moves, the eight hallway options, and both."""

PAPER_ALPHAS = {("G1", "A"): 1 / 8, ("G1", "H"): 1 / 16, ("G1", "A+H"): 1 / 8,
                ("G2", "A"): 1 / 8, ("G2", "H"): 1 / 8, ("G2", "A+H"): 1 / 4}
"""step sizes of the paper's Fig. 6 caption, "optimized to the nearest power of 2"."""

START = (1, 1)
"""the upper-left corner, the start of every episode."""


@dataclass(frozen=True)
class FourRoomsPaperConfig:
    """Options of the Figure 6 reproduction."""

    n_seeds: int = 30
    """independent learners per goal and option set"""
    n_episodes: int = 10_000
    """episodes per learner"""
    final_window: int = 1000
    """the last episodes averaged for the long-run comparison"""
    epsilon: float = 0.1
    """exploration rate of ε-greedy option choice"""
    slip: float = 1 / 3
    """probability that a move goes in one of the other three directions"""
    gamma: float = 0.9
    """discount factor"""
    seed: int = 0
    """seed of the experiment's random generator"""

    def __post_init__(self) -> None:
        check_int("n_seeds", self.n_seeds, minimum=2)
        check_int("n_episodes", self.n_episodes, minimum=1)
        check_int("final_window", self.final_window, minimum=1)
        if self.final_window > self.n_episodes:
            raise ValueError(f"final_window must be at most n_episodes = {self.n_episodes}, "
                             f"got {self.final_window}")
        check_real("epsilon", self.epsilon, low=0.0, high=1.0)
        check_real("slip", self.slip, low=0.0, high=1.0)
        check_real("gamma", self.gamma, low=0.0, high=1.0, low_open=True, high_open=True)
        check_int("seed", self.seed, minimum=0)


def run(config: FourRoomsPaperConfig, progress: ProgressFactory) -> Output:
    """Learn every (goal, option set) pair; return steps per episode, the first episode's mean
    length, and the mean length over the last ``final_window`` episodes with a 95% interval
    over seeds."""
    rng = np.random.default_rng(config.seed)
    arrays: dict[str, np.ndarray] = {}
    metrics: dict[str, dict[str, Any]] = {}
    for goal_name, goal in progress((("G1", G1), ("G2", G2)), desc="goals"):
        mdp = four_rooms(goal, config.slip, config.gamma)
        sets = {"A": primitive_options(mdp), "H": hallway_options(mdp)}
        sets["A+H"] = [*sets["A"], *sets["H"]]
        for name in OPTION_SETS:
            result = smdp_q_learning(
                mdp, sets[name], n_seeds=config.n_seeds, n_episodes=config.n_episodes,
                alpha=PAPER_ALPHAS[goal_name, name], epsilon=config.epsilon,
                start=mdp.index[START], seed=rng)
            arrays[f"steps_{goal_name}_{name}"] = result.steps
            metrics.setdefault(goal_name, {})[name] = {
                "alpha": PAPER_ALPHAS[goal_name, name],
                "first_episode_steps": float(result.steps[:, 0].mean()),
                "final_steps": interval_metrics(
                    mean_ci(result.steps[:, -config.final_window:].mean(axis=1))),
            }
    return Output(metrics, arrays)


EXPERIMENT = Experiment(
    name="four-rooms-paper",
    summary="Sutton, Precup & Singh (1999) Fig. 6: SMDP Q-learning with A, H, A ∪ H, their set-up",
    config_type=FourRoomsPaperConfig,
    run=run,
)
