"""The tabular-MDP baselines of Duan et al. (2016), Table 2, for trials of n episodes.

Every baseline plays the same ``trials`` random MDPs (10 states, 5 actions, episodes of 10
steps; :mod:`chapter_code.rl2.tabular_mdps`). Hyper-parameters (ε, BEB's β, UCRL2's width
scale, optimistic PSRL's number of draws) are chosen from the config's grids on separate tasks,
then scored on the evaluation tasks. ``oracle`` is what planning in each task's true model
earns in expectation: the ceiling no learner reaches.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from chapter_code._checks import check_choice, check_int, check_real
from chapter_code.experiments import Experiment, Output, ProgressFactory
from chapter_code.rl2.mdp_baselines import (
    MDPPolicy,
    beb_policy,
    eps_greedy_mdp_policy,
    greedy_mdp_policy,
    play_mdp,
    psrl_policy,
    random_mdp_policy,
    ucrl2_policy,
)
from chapter_code.rl2.tabular_mdps import HORIZON, START_RULES, MDPBatch, plan, sample_mdps
from chapter_code.seeding import stream

BASELINES = ("random", "psrl", "opsrl", "ucrl2", "beb", "eps_greedy", "greedy")


@dataclass(frozen=True)
class MDPBaselinesConfig:
    """One column of Duan et al.'s Table 2 and the tuning grids of its baselines."""

    episodes: int = 10
    """n, episodes (of 10 steps) per trial"""
    trials: int = 1000
    """evaluation MDPs (trials), shared by every baseline"""
    tune_trials: int = 200
    """separate MDPs on which each hyper-parameter is chosen from its grid"""
    epsilon: tuple[float, ...] = (0.0, 0.05, 0.1, 0.2)
    """ε-greedy exploration rates tried"""
    beb_beta: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0)
    """BEB bonus scales β tried"""
    ucrl2_scale: tuple[float, ...] = (0.02, 0.05, 0.1, 0.2)
    """UCRL2 confidence-width scales tried"""
    opsrl_samples: tuple[int, ...] = (2, 5, 10)
    """optimistic PSRL posterior draws tried"""
    start: str = "uniform"
    """where episodes start: a uniformly drawn state, or always state 0 (fixed)"""
    seed: int = 0
    """seed of the tuning and evaluation tasks and of the agents' draws"""

    def __post_init__(self) -> None:
        check_int("episodes", self.episodes, minimum=1)
        check_int("trials", self.trials, minimum=2)
        check_int("tune_trials", self.tune_trials, minimum=1)
        grids = {"epsilon": (self.epsilon, 1.0), "beb_beta": (self.beb_beta, None),
                 "ucrl2_scale": (self.ucrl2_scale, None)}
        for name, (grid, high) in grids.items():
            if not grid:
                raise ValueError(f"{name} needs at least one value")
            for value in grid:
                check_real(name, value, low=0.0, high=high)
        if not self.opsrl_samples:
            raise ValueError("opsrl_samples needs at least one value")
        for value in self.opsrl_samples:
            check_int("opsrl_samples", value, minimum=2)
        check_int("seed", self.seed, minimum=0)
        check_choice("start", self.start, START_RULES)


def score(policy: MDPPolicy, mdps: MDPBatch, n_episodes: int, seed: int,
          stream_name: str, start: str = "uniform") -> np.ndarray:
    """Total reward of each trial, (n_trials,)."""
    return play_mdp(policy, mdps, n_episodes, stream(seed, stream_name),
                    start).sum(axis=(1, 2))


def oracle_value(mdps: MDPBatch, n_episodes: int, start: str = "uniform") -> np.ndarray:
    """n × E_s0[max_a Q_0(s0, a)] of each task under its true model: the mean over uniform
    start states, or the value of state 0 for ``start="fixed"``."""
    start = check_choice("start", start, START_RULES)
    v0 = plan(mdps.P, mdps.mu, HORIZON)[0].max(axis=-1)
    return n_episodes * (v0[:, 0] if start == "fixed" else v0.mean(axis=-1))


def tuned_policies(config: MDPBaselinesConfig) -> dict[str, tuple[MDPPolicy, float]]:
    """For each tuned baseline, the policy of the grid value with the highest mean total reward
    on the tuning tasks, and that value."""
    mdps = sample_mdps(config.tune_trials, stream(config.seed, "tune-tasks"))
    grids: dict[str, tuple[tuple[float, ...], Any]] = {
        "eps_greedy": (config.epsilon, eps_greedy_mdp_policy),
        "beb": (config.beb_beta, beb_policy),
        "ucrl2": (config.ucrl2_scale, ucrl2_policy),
        "opsrl": (tuple(float(j) for j in config.opsrl_samples),
                  lambda j: psrl_policy(int(j)))}
    chosen = {}
    for name, (values, make) in grids.items():
        policies = [make(v) for v in values]
        means = [score(p, mdps, config.episodes, config.seed, f"tune-{name}", config.start).mean()
                 for p in policies]
        best = int(np.argmax(means))
        chosen[name] = (policies[best], values[best])
    return chosen


def run(config: MDPBaselinesConfig, progress: ProgressFactory) -> Output:
    """Tune, then score every baseline on the same evaluation MDPs."""
    start = time.perf_counter()
    tuned = tuned_policies(config)
    policies = {"random": random_mdp_policy(), "psrl": psrl_policy(),
                "greedy": greedy_mdp_policy(), **{k: v[0] for k, v in tuned.items()}}
    mdps = sample_mdps(config.trials, stream(config.seed, "eval-tasks"))
    totals = {name: score(policies[name], mdps, config.episodes, config.seed, f"eval-{name}",
                          config.start)
              for name in progress(BASELINES, desc="baselines")}
    oracle = oracle_value(mdps, config.episodes, config.start)
    metrics: dict[str, Any] = {name: float(totals[name].mean()) for name in BASELINES}
    metrics["stderr"] = {name: float(totals[name].std(ddof=1) / np.sqrt(config.trials))
                         for name in BASELINES}
    metrics["tuned"] = {name: value for name, (_, value) in sorted(tuned.items())}
    metrics["oracle"] = float(oracle.mean())
    metrics["seconds"] = time.perf_counter() - start
    return Output(metrics=metrics, arrays={**totals, "oracle": oracle})


EXPERIMENT = Experiment(
    name="mdp-baselines",
    summary="Duan et al. (2016) Table 2 baselines on random 10-state tabular MDPs, n episodes",
    config_type=MDPBaselinesConfig,
    run=run,
    fingerprint={"trials": 20, "tune_trials": 10},
)
