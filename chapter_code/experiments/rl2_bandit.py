"""RL² on k-armed Bernoulli bandits (Duan et al. 2016, §3.1, Table 1): train, then score.

A GRU policy is trained with PPO on trials of n pulls in freshly drawn bandits
(:mod:`chapter_code.rl2.ppo`), then run once in each of ``eval_trials`` new bandits. Besides
the mean total reward it reports how often, at each step of the trial, the policy pulls the
arm of each rank (best, second, ...), the picture of exploration turning into exploitation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from chapter_code._checks import check_int
from chapter_code.experiments import Experiment, Output, ProgressFactory
from chapter_code.rl2.bandits import BanditTrials, check_bandit_shape
from chapter_code.rl2.ppo import PPOConfig, evaluate, train_rl2


@dataclass(frozen=True)
class RL2BanditConfig(PPOConfig):
    """PPO's options plus the bandit cell and the evaluation size."""

    arms: int = 5
    """k, arms per bandit"""
    pulls: int = 10
    """n, pulls per trial"""
    reward_scale: float = 1.0
    """rewards are multiplied by this in PPO's targets only; with n ≥ 100 pulls use about 10/n
    (as the saved runs do), or the value loss crowds out the policy's gradient"""
    eval_trials: int = 2000
    """fresh bandits the trained policy is scored on"""

    def __post_init__(self) -> None:
        super().__post_init__()
        check_bandit_shape(self.arms, self.pulls)
        check_int("eval_trials", self.eval_trials, minimum=2)


def rank_frequencies(means: np.ndarray, actions: np.ndarray) -> np.ndarray:
    """Fraction of trials pulling the arm of each rank at each step, (T, k); rank 0 is the best
    arm. ``means``: (N, k), ``actions``: (T, N)."""
    ranks = np.argsort(np.argsort(-means, axis=1), axis=1)  # rank of every arm in its task
    pulled = np.take_along_axis(ranks, actions.T, axis=1)  # (N, T)
    k = means.shape[1]
    return np.stack([(pulled == r).mean(axis=0) for r in range(k)], axis=1)


def hidden_projection(hidden: np.ndarray, n_tasks: int) -> np.ndarray:
    """The GRU states of the first ``n_tasks`` trials at every step, projected on the two
    principal axes of their states at the last step: (T, n_tasks, 2). ``hidden``: (T, N, H)."""
    states = hidden[:, :n_tasks]
    final = states[-1] - states[-1].mean(axis=0)
    _, _, axes = np.linalg.svd(final, full_matrices=False)
    return (states - states[-1].mean(axis=0)) @ axes[:2].T


def run(config: RL2BanditConfig, progress: ProgressFactory) -> Output:
    """Train RL² on the (k, n) cell and score it on fresh bandits."""
    torch.set_num_threads(1)  # the same float reductions on every machine
    env = BanditTrials(config.arms, config.pulls)
    training = train_rl2(env, config, progress)
    draws, trial = evaluate(training.policy, env, config.eval_trials, config.seed)
    totals = trial.rewards.sum(axis=0)
    metrics: dict[str, Any] = {
        "rl2": float(totals.mean()),
        "stderr": float(totals.std(ddof=1) / np.sqrt(config.eval_trials)),
        "train_seconds": training.seconds,
        "env_steps": config.iterations * config.tasks_per_batch * config.pulls,
    }
    return Output(metrics=metrics,
                  arrays={**training.record(), "totals": totals,
                          "rank_frequencies": rank_frequencies(draws["means"], trial.actions),
                          "hidden_pcs": hidden_projection(trial.hidden.numpy(), 500),
                          "best_arm": draws["means"][:500].argmax(axis=1)},
                  objects={"policy": training.policy, "trajectory": trial},
                  commits=tuple(training.commits))


EXPERIMENT = Experiment(
    name="rl2-bandit",
    summary="RL² (GRU + PPO) on k-armed Bernoulli bandits, n pulls per trial (Table 1)",
    config_type=RL2BanditConfig,
    run=run,
    fingerprint={"iterations": 2, "tasks_per_batch": 16, "minibatches": 2, "eval_trials": 20},
)
