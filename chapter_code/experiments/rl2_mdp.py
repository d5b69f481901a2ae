"""RL² on random tabular MDPs (Duan et al. 2016, §3.2, Table 2): train, then score.

A GRU policy is trained with PPO on trials of n episodes (10 steps each) in freshly drawn
MDPs (:mod:`chapter_code.rl2.tabular_mdps`), then run once in each of ``eval_trials`` new
MDPs; reported is the mean total reward of a trial and, per episode of the trial, the mean
episode reward (how much the agent gains from the episodes it has already seen).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from chapter_code._checks import check_choice, check_int
from chapter_code.experiments import Experiment, Output, ProgressFactory
from chapter_code.rl2.ppo import PPOConfig, evaluate, train_rl2
from chapter_code.rl2.tabular_mdps import HORIZON, START_RULES, MDPTrials


@dataclass(frozen=True)
class RL2MDPConfig(PPOConfig):
    """PPO's options plus the number of episodes per trial and the evaluation size."""

    episodes: int = 10
    """n, episodes of 10 steps per trial"""
    reward_scale: float = 0.1
    """rewards are multiplied by this in PPO's targets only (returns of ~100 per trial)"""
    eval_trials: int = 1000
    """fresh MDPs the trained policy is scored on"""
    start: str = "uniform"
    """where episodes start: a uniformly drawn state, or always state 0 (fixed)"""

    def __post_init__(self) -> None:
        super().__post_init__()
        check_int("episodes", self.episodes, minimum=1)
        check_int("eval_trials", self.eval_trials, minimum=2)
        check_choice("start", self.start, START_RULES)


def run(config: RL2MDPConfig, progress: ProgressFactory) -> Output:
    """Train RL² on trials of n episodes and score it on fresh MDPs."""
    torch.set_num_threads(1)  # the same float reductions on every machine
    env = MDPTrials(config.episodes, config.start)
    training = train_rl2(env, config, progress)
    _, trial = evaluate(training.policy, env, config.eval_trials, config.seed)
    totals = trial.rewards.sum(axis=0)
    per_episode = trial.rewards.reshape(config.episodes, HORIZON, -1).sum(axis=1).mean(axis=1)
    metrics: dict[str, Any] = {
        "rl2": float(totals.mean()),
        "stderr": float(totals.std(ddof=1) / np.sqrt(config.eval_trials)),
        "train_seconds": training.seconds,
        "env_steps": config.iterations * config.tasks_per_batch * env.trial_length,
    }
    return Output(metrics=metrics,
                  arrays={**training.record(), "totals": totals, "episode_reward": per_episode},
                  objects={"policy": training.policy, "trajectory": trial},
                  commits=tuple(training.commits))


EXPERIMENT = Experiment(
    name="rl2-mdp",
    summary="RL² (GRU + PPO) on random 10-state tabular MDPs, n episodes per trial (Table 2)",
    config_type=RL2MDPConfig,
    run=run,
    fingerprint={"iterations": 2, "tasks_per_batch": 8, "minibatches": 2, "eval_trials": 10},
)
