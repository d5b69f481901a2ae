"""h-DQN on Kulkarni et al.'s (2016, §4.1) stochastic decision process: tabular two-level
Q-learning and flat Q-learning over many seeds, the greedy return of what they learned beside
their return while still exploring, the exact optimum and the exact return of the best
two-level policy under the final exploration rate; the goals the meta-controller chooses over
training (the paper's Figure 4); a step-size sweep that includes the paper's 0.00025; and the
network version (small MLPs, replay)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from chapter_code._checks import check_int, check_real
from chapter_code.experiments import Experiment, Output, ProgressFactory
from chapter_code.feudal import (
    best_two_level_policy,
    evaluate_hdqn,
    evaluate_q_learning,
    greedy_hdqn_return,
    greedy_q_learning_return,
    optimal_return,
    train_hdqn,
    train_q_learning,
)
from chapter_code.feudal.hdqn import NetworkResult, train_hdqn_network
from chapter_code.seeding import stream
from chapter_code.stats import seed_interval

PAPER = {"hdqn_training_return": 0.13, "q_learning_return": 0.01}
"""Kulkarni et al. (2016, §4.1, Figure 3): h-DQN "around 0.13", Q-learning 0.01; both read off
curves measured while still exploring (ε annealed to 0.1)."""


@dataclass(frozen=True)
class HdqnConfig:
    """Options of the h-DQN experiment."""

    n_seeds: int = 20
    """independent learners per method"""
    n_episodes: int = 40_000
    """training episodes per learner (about 150,000 steps for h-DQN: ε is at its floor for the
    last two thirds)"""
    alpha: float = 0.003
    """step size of the tabular updates"""
    gamma: float = 0.99
    """discount of both levels' targets"""
    epsilon_start: float = 1.0
    """exploration rate at the start, both levels"""
    epsilon_end: float = 0.1
    """exploration rate after annealing, both levels"""
    anneal_steps: int = 50_000
    """environment steps over which ε falls linearly from start to end"""
    eval_episodes: int = 2000
    """greedy evaluation episodes per learner"""
    window: int = 1000
    """episodes per point of the curves (the paper's Figure 4 averages over 1000)"""
    step_sizes: tuple[float, ...] = (0.00025, 0.003, 0.1)
    """step sizes of the sensitivity sweep (0.00025 is the paper's learning rate)"""
    network_seeds: int = 5
    """learners of the network version (0: skip it)"""
    network_steps: int = 60_000
    """environment steps per network learner"""
    network_lr: float = 0.00025
    """RMSprop learning rate of the network version (the paper's)"""
    seed: int = 0
    """seed of the experiment's random streams"""

    def __post_init__(self) -> None:
        check_int("n_seeds", self.n_seeds, minimum=2)
        check_int("n_episodes", self.n_episodes, minimum=10)
        check_real("alpha", self.alpha, low=0.0, high=1.0, low_open=True)
        check_real("gamma", self.gamma, low=0.0, high=1.0, low_open=True)
        check_real("epsilon_start", self.epsilon_start, low=0.0, high=1.0)
        check_real("epsilon_end", self.epsilon_end, low=0.0, high=1.0)
        check_int("anneal_steps", self.anneal_steps, minimum=0)
        check_int("eval_episodes", self.eval_episodes, minimum=1)
        check_int("window", self.window, minimum=1)
        if self.n_episodes % self.window:
            raise ValueError(f"n_episodes must be a multiple of window = {self.window}, got "
                             f"{self.n_episodes}")
        if not isinstance(self.step_sizes, tuple):
            raise TypeError(f"step_sizes must be a tuple of floats, got {self.step_sizes!r}")
        for alpha in self.step_sizes:
            check_real("step_sizes[i]", alpha, low=0.0, high=1.0, low_open=True)
        check_int("network_seeds", self.network_seeds, minimum=0)
        if self.network_seeds == 1:
            raise ValueError("network_seeds must be 0 (skip) or at least 2 (for an interval)")
        check_int("network_steps", self.network_steps, minimum=1)
        check_real("network_lr", self.network_lr, low=0.0, low_open=True)
        check_int("seed", self.seed, minimum=0)


def windowed(values: np.ndarray, window: int) -> np.ndarray:
    """Means over consecutive windows of ``window`` episodes along axis 1:
    (n_seeds, n_episodes, ...) -> (n_seeds, n_episodes // window, ...)."""
    n_seeds, n_episodes = values.shape[:2]
    if n_episodes % window:
        raise ValueError(f"the episode count {n_episodes} must be a multiple of window {window}")
    return values.reshape(n_seeds, n_episodes // window, window, *values.shape[2:]).mean(axis=2)


def _learn(config: HdqnConfig, alpha: float, name: str) -> dict[str, Any]:
    """Both learners at step size ``alpha``, their greedy evaluations and training returns."""
    kwargs: dict[str, Any] = {
        "n_seeds": config.n_seeds, "n_episodes": config.n_episodes, "alpha": alpha,
        "gamma": config.gamma, "epsilon_start": config.epsilon_start,
        "epsilon_end": config.epsilon_end, "anneal_steps": config.anneal_steps}
    hdqn = train_hdqn(seed=stream(config.seed, f"hdqn-{name}"), **kwargs)
    flat = train_q_learning(seed=stream(config.seed, f"flat-{name}"), **kwargs)
    last = config.n_episodes - config.n_episodes // 10
    return {
        "hdqn": hdqn, "flat": flat,
        "hdqn_greedy": evaluate_hdqn(hdqn, n_episodes=config.eval_episodes,
                                     seed=stream(config.seed, f"eval-hdqn-{name}")),
        "hdqn_exact": greedy_hdqn_return(hdqn),
        "flat_greedy": evaluate_q_learning(flat, n_episodes=config.eval_episodes,
                                           seed=stream(config.seed, f"eval-flat-{name}")),
        "flat_exact": greedy_q_learning_return(flat),
        "hdqn_training": hdqn.returns[:, last:].mean(axis=1),
        "flat_training": flat.returns[:, last:].mean(axis=1),
    }


def _network(config: HdqnConfig) -> tuple[dict[str, Any], NetworkResult]:
    """The network version, on one torch thread (its float reductions then do not depend on
    the machine, and its tiny operations run several times faster than on two)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        result = train_hdqn_network(
            n_seeds=config.network_seeds, n_steps=config.network_steps, seed=config.seed,
            lr=config.network_lr, gamma=config.gamma, epsilon_start=config.epsilon_start,
            epsilon_end=config.epsilon_end, anneal_steps=config.anneal_steps)
    finally:
        torch.set_num_threads(threads)
    exact = greedy_hdqn_return(result.as_tables())
    training = np.array([r[:n][-max(n // 10, 1):].mean()
                         for r, n in zip(result.returns, result.episodes, strict=True)])
    metrics = {"hdqn_return": seed_interval(exact), "hdqn_training_return": seed_interval(training),
               "optimal_fraction": float(np.mean(np.abs(exact - optimal_return()) < 1e-9)),
               "n_seeds": config.network_seeds, "steps": config.network_steps,
               "lr": config.network_lr}
    return metrics, result


def run(config: HdqnConfig, progress: ProgressFactory) -> Output:
    """Train both learners at the main step size and at each step size of the sweep, evaluate
    their greedy policies (Monte-Carlo and exact), and train the network version."""
    main = _learn(config, config.alpha, "main")
    ceiling = best_two_level_policy(epsilon_meta=config.epsilon_end,
                                    epsilon_controller=config.epsilon_end, gamma=config.gamma)
    optimum = optimal_return()
    hdqn, flat = main["hdqn"], main["flat"]
    metrics: dict[str, Any] = {
        "hdqn_return": round(float(main["hdqn_greedy"].mean()), 6),
        "hdqn_training_return": round(float(main["hdqn_training"].mean()), 6),
        "q_learning_return": round(float(main["flat_greedy"].mean()), 6),
        "optimal_return": round(optimum, 6),
        "n_seeds": config.n_seeds,
        "intervals": {
            "hdqn_return": seed_interval(main["hdqn_greedy"]),
            "hdqn_training_return": seed_interval(main["hdqn_training"]),
            "q_learning_return": seed_interval(main["flat_greedy"]),
            "q_learning_training_return": seed_interval(main["flat_training"]),
        },
        "exact": {
            "hdqn_return": round(float(main["hdqn_exact"].mean()), 6),
            "q_learning_return": round(float(main["flat_exact"].mean()), 6),
            "hdqn_optimal_fraction": float(np.mean(np.abs(main["hdqn_exact"] - optimum) < 1e-9)),
            "exploring_optimum": round(ceiling[2], 6),
            "exploring_optimum_meta": ceiling[0].tolist(),
        },
        "steps_per_learner": {"hdqn": float(hdqn.lengths.sum(axis=1).mean()),
                              "q_learning": float(flat.lengths.sum(axis=1).mean())},
        "paper": dict(PAPER),
        "step_size_sweep": [],
    }
    for alpha in progress(config.step_sizes, desc="step sizes"):
        found = _learn(config, alpha, f"alpha-{alpha}")
        metrics["step_size_sweep"].append({
            "alpha": alpha,
            "hdqn_return": seed_interval(found["hdqn_exact"]),
            "hdqn_training_return": seed_interval(found["hdqn_training"]),
            "q_learning_return": seed_interval(found["flat_exact"]),
        })
    arrays = {
        "hdqn_curve": windowed(hdqn.returns, config.window),
        "q_learning_curve": windowed(flat.returns, config.window),
        "goal_counts": windowed(hdqn.goals.astype(float), config.window),
        "visits": windowed(hdqn.visits.astype(float), config.window),
        "hdqn_greedy": main["hdqn_greedy"],
        "q_learning_greedy": main["flat_greedy"],
    }
    objects: dict[str, Any] = {"hdqn": hdqn, "q_learning": flat}
    if config.network_seeds:
        metrics["network"], network = _network(config)
        objects["network"] = network
    return Output(metrics, arrays, objects)


EXPERIMENT = Experiment(
    name="hdqn",
    summary="Kulkarni et al. (2016): h-DQN vs Q-learning on the stochastic decision process",
    config_type=HdqnConfig,
    run=run,
    fingerprint={"n_seeds": 2, "n_episodes": 2000, "eval_episodes": 100,
                 "step_sizes": (0.1,), "network_seeds": 2, "network_steps": 300},
)
