"""The bandit baselines of Duan et al. (2016), Table 1, on one (k arms, n pulls) cell.

Each baseline is rolled out on the same ``trials`` bandits (arm means ~ U(0, 1)); a baseline
with a hyper-parameter (UCB1's c, ε-greedy's ε, optimistic Thompson sampling's number of
draws) is tuned first, on separate tasks, over the grid in the config, and the best value is
then scored on the evaluation tasks, as Duan et al. tune theirs. For k <= 5 and n <= 10 the
exact values of the Bayes-optimal policy and of every count-based baseline are added (dynamic
programming over Beta posteriors, :mod:`chapter_code.rl2.bayes_optimal`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from chapter_code._checks import check_int, check_real
from chapter_code.experiments import Experiment, Output, ProgressFactory
from chapter_code.rl2.bandit_baselines import (
    BanditPolicy,
    eps_greedy_policy,
    gittins_policy,
    greedy_policy,
    optimistic_thompson_policy,
    play_bandit,
    random_policy,
    thompson_policy,
    ucb1_policy,
)
from chapter_code.rl2.bandits import check_bandit_shape, sample_bandits
from chapter_code.rl2.bayes_optimal import bayes_optimal_value, policy_value
from chapter_code.rl2.gittins import gittins_table
from chapter_code.seeding import stream

BASELINES = ("random", "gittins", "ts", "ots", "ucb1", "eps_greedy", "greedy")


@dataclass(frozen=True)
class BanditBaselinesConfig:
    """One cell of Duan et al.'s Table 1 and the tuning grids of its baselines."""

    arms: int = 5
    """k, arms per bandit (at least 2)"""
    pulls: int = 100
    """n, pulls per trial"""
    trials: int = 1000
    """evaluation bandits (trials), shared by every baseline"""
    tune_trials: int = 500
    """separate bandits on which each hyper-parameter is chosen from its grid"""
    ucb1_c: tuple[float, ...] = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4)
    """UCB1 exploration constants c tried"""
    epsilon: tuple[float, ...] = (0.0, 0.01, 0.02, 0.05, 0.1)
    """ε-greedy exploration rates tried"""
    ots_samples: tuple[int, ...] = (1, 2, 4, 8, 16)
    """optimistic Thompson sampling: posterior draws per step (the most probable is kept), tried"""
    gittins_grid: int = 401
    """λ grid points of the Gittins index calibration"""
    seed: int = 0
    """seed of the tuning and evaluation tasks and of the policies' draws"""

    def __post_init__(self) -> None:
        check_bandit_shape(self.arms, self.pulls)
        check_int("trials", self.trials, minimum=2)
        check_int("tune_trials", self.tune_trials, minimum=1)
        for name, grid in (("ucb1_c", self.ucb1_c), ("epsilon", self.epsilon)):
            if not grid:
                raise ValueError(f"{name} needs at least one value")
            for value in grid:
                check_real(name, value, low=0.0, high=None if name == "ucb1_c" else 1.0)
        if not self.ots_samples:
            raise ValueError("ots_samples needs at least one value")
        for value in self.ots_samples:
            check_int("ots_samples", value, minimum=1)
        check_int("gittins_grid", self.gittins_grid, minimum=3)
        check_int("seed", self.seed, minimum=0)


def score(policy: BanditPolicy, means: np.ndarray, n_pulls: int, seed: int,
          stream_name: str) -> np.ndarray:
    """Total reward of each trial of ``policy`` on ``means``, (n_trials,)."""
    _, rewards = play_bandit(policy, means, n_pulls, stream(seed, stream_name))
    return rewards.sum(axis=1)


def tuned_policies(config: BanditBaselinesConfig) -> dict[str, tuple[BanditPolicy, float]]:
    """For each tuned baseline, the policy with the grid value of highest mean total reward on
    the tuning tasks, and that value."""
    means = sample_bandits(config.tune_trials, config.arms, stream(config.seed, "tune-tasks"))
    grids = {"ucb1": [ucb1_policy(c) for c in config.ucb1_c],
             "eps_greedy": [eps_greedy_policy(e) for e in config.epsilon],
             "ots": [optimistic_thompson_policy(j) for j in config.ots_samples]}
    values = {"ucb1": config.ucb1_c, "eps_greedy": config.epsilon, "ots": config.ots_samples}
    chosen = {}
    for name, policies in grids.items():
        means_per = [score(p, means, config.pulls, config.seed, f"tune-{name}").mean()
                     for p in policies]
        best = int(np.argmax(means_per))
        chosen[name] = (policies[best], float(values[name][best]))
    return chosen


def run(config: BanditBaselinesConfig, progress: ProgressFactory) -> Output:
    """Tune, then score every baseline on the same evaluation bandits."""
    start = time.perf_counter()
    tuned = tuned_policies(config)
    policies = {"random": random_policy(),
                "gittins": gittins_policy(gittins_table(config.pulls, config.gittins_grid)),
                "ts": thompson_policy(), "ots": tuned["ots"][0], "ucb1": tuned["ucb1"][0],
                "eps_greedy": tuned["eps_greedy"][0], "greedy": greedy_policy()}
    means = sample_bandits(config.trials, config.arms, stream(config.seed, "eval-tasks"))
    totals = {name: score(policies[name], means, config.pulls, config.seed, f"eval-{name}")
              for name in progress(BASELINES, desc="baselines")}
    metrics: dict[str, Any] = {name: float(totals[name].mean()) for name in BASELINES}
    metrics["stderr"] = {name: float(totals[name].std(ddof=1) / np.sqrt(config.trials))
                         for name in BASELINES}
    metrics["tuned"] = {name: value for name, (_, value) in sorted(tuned.items())}
    if config.arms <= 5 and config.pulls <= 10:
        metrics["exact"] = {"bayes_optimal": bayes_optimal_value(config.arms, config.pulls)}
        metrics["exact"].update({name: policy_value(policies[name], config.arms, config.pulls)
                                 for name in BASELINES if not policies[name].randomized})
    metrics["seconds"] = time.perf_counter() - start
    return Output(metrics=metrics, arrays={name: totals[name] for name in BASELINES})


EXPERIMENT = Experiment(
    name="bandit-baselines",
    summary="Duan et al. (2016) Table 1 baselines on k-armed Bernoulli bandits, n pulls",
    config_type=BanditBaselinesConfig,
    run=run,
    fingerprint={"trials": 50, "tune_trials": 20, "gittins_grid": 21},
)
