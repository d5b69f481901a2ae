"""Option-critic's transfer experiment on four rooms (Bacon, Harb & Precup 2017, Figures 2-3).

The goal sits in the east hallway for the first episodes, then moves to a random cell of the
lower-right room (one cell per run, from the 21 of the authors' released code: the room's 20
cells and its south hallway). Option-critic with 4 and 8 options learns beside the flat
actor-critic (AC-PG) and SARSA(0), each run of each learner on the same goal schedule, so
differences are paired by run. Reported: steps per episode (mean and 95% interval over runs)
in the windows that matter, the learning curves, and the learned termination probabilities.

Hyper-parameters follow the command the authors published with their four-rooms code (the
``fourrooms`` folder of https://github.com/jeanharb/option_critic, where it is averaged over
100 runs): γ = 0.99, critic rate 0.5, intra-option and termination rates 0.25, ε = 0.01 for
the policy over options, the baseline Q_Ω in the intra-option gradient, at most 1000 steps
per episode; and the code's default temperature 0.01 for every Boltzmann policy (the paper's
text says 0.001). The released intra-option step omits the factor 1/T of ∂log π/∂θ, so its
rate 0.25 is our ``lr_intra`` = 0.25 T. SARSA's rate is not given; it uses the critic's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from chapter_code._checks import check_int, check_real
from chapter_code.envs.four_rooms import G1, HALLWAY_CELLS, MOVES, FourRooms, four_rooms
from chapter_code.experiments import Experiment, Output, ProgressFactory
from chapter_code.option_critic import (
    actor_critic,
    check_hyper_parameters,
    option_critic,
    sarsa,
    sigmoid,
)
from chapter_code.seeding import stream
from chapter_code.stats import interval_metrics, mean_ci

NEW_GOALS = ((8, 7), (8, 8), (8, 9), (8, 10), (8, 11), (9, 7), (9, 8), (9, 9), (9, 10), (9, 11),
             (10, 6), (10, 7), (10, 8), (10, 9), (10, 10), (10, 11),
             (11, 7), (11, 8), (11, 9), (11, 10), (11, 11))
"""Where the goal may move: the lower-right room and its south hallway (the released code's
states 68-72, 78-82, 88-93, 99-103, which are these cells in our numbering too)."""

METHODS = ("option_critic_4", "option_critic_8", "actor_critic", "sarsa")
"""The learners compared, as named in the metrics."""


@dataclass(frozen=True)
class OptionCriticConfig:
    """Options of the option-critic transfer experiment."""

    n_runs: int = 350
    """independent runs of each learner (the paper's Figure 2 averages 350)"""
    episodes_before: int = 1000
    """episodes with the goal in the east hallway"""
    episodes_after: int = 1000
    """episodes after the goal has moved"""
    window: int = 100
    """episodes averaged right after the move (and at the ends of both phases)"""
    slip: float = 1 / 3
    """probability that a move goes in one of the three other directions"""
    gamma: float = 0.99
    """discount factor"""
    alpha: float = 0.5
    """critic step size (Q_U, Q_Ω; actor-critic's Q, V; SARSA's Q)"""
    lr_intra: float = 0.0025
    """intra-option (and actor-critic) policy step on ∂log π/∂θ: the released 0.25 times T"""
    lr_term: float = 0.25
    """termination step size"""
    epsilon: float = 0.01
    """exploration of the ε-greedy policy over options"""
    temperature: float = 0.01
    """temperature T of every Boltzmann policy"""
    xi: float = 0.0
    """termination regulariser ξ (the paper uses 0.01 in the ALE only)"""
    max_steps: int = 1000
    """an episode is truncated after this many steps"""
    seed: int = 0
    """seed of the experiment's random streams"""

    def __post_init__(self) -> None:
        check_int("n_runs", self.n_runs, minimum=2)
        check_int("episodes_before", self.episodes_before, minimum=1)
        check_int("episodes_after", self.episodes_after, minimum=1)
        window = check_int("window", self.window, minimum=1)
        if window > min(self.episodes_before, self.episodes_after):
            raise ValueError(f"window must be at most episodes_before and episodes_after "
                             f"({self.episodes_before}, {self.episodes_after}), got {window}")
        check_real("slip", self.slip, low=0.0, high=1.0)
        check_real("gamma", self.gamma, low=0.0, high=1.0, high_open=True)
        check_hyper_parameters(alpha=self.alpha, lr_intra=self.lr_intra, lr_term=self.lr_term,
                               temperature=self.temperature, xi=self.xi, baseline=True,
                               epsilon=self.epsilon, gamma=self.gamma)
        check_int("max_steps", self.max_steps, minimum=1)
        check_int("seed", self.seed, minimum=0)


def transfer_tasks(slip: float = 1 / 3, gamma: float = 0.99) -> list[FourRooms]:
    """Task 0: the goal in the east hallway G1; task k ≥ 1: the goal at ``NEW_GOALS[k - 1]``."""
    return [four_rooms(goal, slip, gamma) for goal in (G1, *NEW_GOALS)]


def transfer_schedule(n_runs: int, episodes_before: int, episodes_after: int,
                      rng: np.random.Generator) -> np.ndarray:
    """(n_runs, episodes_before + episodes_after) task indices: 0 before the move, then one
    new goal per run, uniform over :data:`NEW_GOALS`."""
    schedule = np.zeros((n_runs, episodes_before + episodes_after), dtype=np.int64)
    schedule[:, episodes_before:] = rng.integers(1, len(NEW_GOALS) + 1, size=n_runs)[:, None]
    return schedule


def near_hallways(mdp: FourRooms) -> np.ndarray:
    """Boolean (S,): the four hallways of ``mdp`` and the cells next to them."""
    near = np.zeros(mdp.n_states, dtype=bool)
    for row, col in HALLWAY_CELLS:
        for dr, dc in ((0, 0), *MOVES):
            s = mdp.index.get((row + dr, col + dc))
            if s is not None:
                near[s] = True
    return near


def run(config: OptionCriticConfig, progress: ProgressFactory) -> Output:
    """Train the four learners on the same goal schedules and summarise steps per episode."""
    tasks = transfer_tasks(config.slip, config.gamma)
    schedule = transfer_schedule(config.n_runs, config.episodes_before, config.episodes_after,
                                 stream(config.seed, "goals"))
    results = {}
    for method in progress(METHODS, desc="learners"):
        rng = stream(config.seed, method)
        if method.startswith("option_critic"):
            results[method] = option_critic(
                tasks, schedule, n_options=int(method.rsplit("_", 1)[1]), alpha=config.alpha,
                lr_intra=config.lr_intra, lr_term=config.lr_term,
                temperature=config.temperature, xi=config.xi, epsilon=config.epsilon,
                max_steps=config.max_steps, seed=rng)
        elif method == "actor_critic":
            results[method] = actor_critic(tasks, schedule, alpha=config.alpha,
                                           lr_intra=config.lr_intra,
                                           temperature=config.temperature,
                                           max_steps=config.max_steps, seed=rng)
        else:
            results[method] = sarsa(tasks, schedule, alpha=config.alpha,
                                    temperature=config.temperature, max_steps=config.max_steps,
                                    seed=rng)
    before, w = config.episodes_before, config.window
    windows = {"first": slice(0, w), "before_move": slice(before - w, before),
               "after_move": slice(before, before + w), "last": slice(-w, None),
               "phase_1": slice(0, before), "phase_2": slice(before, None)}
    near = near_hallways(tasks[0])
    metrics: dict[str, Any] = {"n_runs": config.n_runs}
    arrays: dict[str, np.ndarray] = {"new_goal": schedule[:, -1] - 1}
    for method, result in results.items():
        steps = result.steps.astype(float)
        entry: dict[str, Any] = {"steps": {
            name: interval_metrics(mean_ci(steps[:, cut].mean(axis=1)))
            for name, cut in windows.items()}}
        after = steps[:, windows["after_move"]].mean(axis=1)
        entry["after_move_minus"] = {
            other: interval_metrics(mean_ci(
                after - results[other].steps[:, windows["after_move"]].mean(axis=1)))
            for other in METHODS if other != method}
        mean, low, high = mean_ci(steps)
        arrays[f"steps_{method}"] = np.stack([mean, low, high])
        if method.startswith("option_critic"):
            beta = np.vectorize(sigmoid)(result.tables["vartheta"])  # (n_runs, O, S)
            per_state = beta.mean(axis=1)
            entry["beta_near_minus_far"] = interval_metrics(mean_ci(
                per_state[:, near].mean(axis=1) - per_state[:, ~near].mean(axis=1)))
            duration = steps[:, -w:] / (result.switches[:, -w:] + 1)
            entry["option_duration_last"] = interval_metrics(mean_ci(duration.mean(axis=1)))
            arrays[f"beta_mean_{method}"] = per_state.mean(axis=0)
            arrays[f"beta_run0_{method}"] = beta[0]
        metrics[method] = entry
    return Output(metrics=metrics, arrays=arrays, objects={"results": results, "tasks": tasks})


EXPERIMENT = Experiment(
    name="option-critic",
    summary="Bacon, Harb & Precup (2017): option-critic (4, 8 options) vs actor-critic and "
            "SARSA(0) on four rooms when the goal moves after 1000 episodes",
    config_type=OptionCriticConfig,
    run=run,
    fingerprint={"n_runs": 4, "episodes_before": 40, "episodes_after": 20, "window": 20},
)
