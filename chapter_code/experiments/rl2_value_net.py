"""Does RL²'s value head need a recurrent network of its own? Random tabular MDPs, over seeds.

Duan et al. (2016, Fig. 1) draw one GRU whose state feeds the policy; their released code fits
the value function as a second GRU fed the same inputs. This experiment trains RL² on trials of
n episodes (:mod:`chapter_code.experiments.rl2_mdp`) with both value networks, ``n_seeds``
training seeds each (seeds ``seed``, ``seed + 1``, ...; the same seed draws the same training
MDPs for both), scores every trained policy on the same fresh MDPs, and reports each value
network's mean score with a 95% interval over seeds and the interval of the paired difference
(separate − shared).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from chapter_code._checks import check_int
from chapter_code.experiments import Experiment, Output, ProgressFactory
from chapter_code.experiments.rl2_mdp import RL2MDPConfig
from chapter_code.parallel import map_jobs
from chapter_code.rl2.agent import VALUE_NETS
from chapter_code.rl2.ppo import evaluate, train_rl2
from chapter_code.rl2.tabular_mdps import MDPTrials
from chapter_code.stats import seed_interval


@dataclass(frozen=True)
class ValueNetConfig:
    """The rl2-mdp options that matter here, the number of training seeds and workers."""

    episodes: int = RL2MDPConfig.episodes
    """n, episodes of 10 steps per trial"""
    iterations: int = RL2MDPConfig.iterations
    """PPO iterations of every training run"""
    tasks_per_batch: int = 128
    """tasks (trials) per iteration"""
    reward_scale: float = RL2MDPConfig.reward_scale
    """rewards are multiplied by this in PPO's targets only"""
    lam: float = RL2MDPConfig.lam
    """GAE λ"""
    entropy_coef: float = RL2MDPConfig.entropy_coef
    """entropy bonus weight"""
    eval_trials: int = RL2MDPConfig.eval_trials
    """fresh MDPs every trained policy is scored on (the same ones for every run)"""
    n_seeds: int = 3
    """training seeds per value network"""
    seed: int = 0
    """the first training seed"""
    workers: int = 1
    """training runs at once, one process and one torch thread each"""

    def __post_init__(self) -> None:
        self.run_config("shared", self.seed)  # the learner's own checks
        check_int("n_seeds", self.n_seeds, minimum=2)
        check_int("workers", self.workers, minimum=1)

    def run_config(self, value_net: str, seed: int) -> RL2MDPConfig:
        """The rl2-mdp configuration of one training run."""
        return RL2MDPConfig(episodes=self.episodes, iterations=self.iterations,
                            tasks_per_batch=self.tasks_per_batch,
                            reward_scale=self.reward_scale, lam=self.lam,
                            entropy_coef=self.entropy_coef, eval_trials=self.eval_trials,
                            seed=seed, value_net=value_net)


def train_one(config: ValueNetConfig, value_net: str, seed: int) -> tuple[float, float]:
    """One training run on one torch thread, scored on the evaluation MDPs of ``config.seed``:
    (mean total reward of a trial, training seconds)."""
    torch.set_num_threads(1)
    env = MDPTrials(config.episodes)
    training = train_rl2(env, config.run_config(value_net, seed))
    _, trial = evaluate(training.policy, env, config.eval_trials, config.seed)
    return float(trial.rewards.sum(axis=0).mean()), training.seconds


def run(config: ValueNetConfig, progress: ProgressFactory) -> Output:
    """Train both value networks over ``n_seeds`` seeds; compare their scores."""
    jobs = [(value_net, config.seed + i) for value_net in VALUE_NETS
            for i in range(config.n_seeds)]
    done = map_jobs(train_one, [(config, *job) for job in jobs], config.workers, progress, "runs")
    scores = {v: np.array([d[0] for (net, _), d in zip(jobs, done, strict=True) if net == v])
              for v in VALUE_NETS}
    metrics: dict[str, Any] = {
        "score": {v: seed_interval(s) for v, s in scores.items()},
        "per_seed": {v: s.tolist() for v, s in scores.items()},
        "difference": seed_interval(scores["separate"] - scores["shared"]),
        "train_seconds": {v: [d[1] for (net, _), d in zip(jobs, done, strict=True) if net == v]
                          for v in VALUE_NETS},
    }
    return Output(metrics)


EXPERIMENT = Experiment(
    name="rl2-value-net",
    summary="RL² on random MDPs: a shared vs a separate recurrent value network, over seeds",
    config_type=ValueNetConfig,
    run=run,
    fingerprint={"iterations": 2, "tasks_per_batch": 8, "eval_trials": 10, "n_seeds": 2},
)
