"""DIAYN (Eysenbach et al. 2018), or VIC (Gregor et al. 2016) with ``--method vic``, with soft
actor-critic on the 2D point environment: K skills learned from the centre of the unit box with
no reward; the discriminator's accuracy during training, the pseudo-reward's mean (the bound of
I(S; Z) the skills are trained on, in bits, against log2 K), the entropy of the skill prior
(log2 K for DIAYN's fixed uniform prior) and the final runs of every skill, over seeds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from chapter_code._checks import check_choice, check_int, check_real
from chapter_code.experiments import Experiment, Output, ProgressFactory
from chapter_code.skills.diayn import METHODS
from chapter_code.skills.sac import PointSkills, train_point_skills
from chapter_code.stats import seed_interval


@dataclass(frozen=True)
class DiaynPointConfig:
    """Options of the DIAYN point-environment experiment."""

    n_skills: int = 6
    """K, the number of skills"""
    method: str = "diayn"
    """'diayn' (uniform prior, every state pays) or 'vic' (learned prior, the final state pays)"""
    n_seeds: int = 3
    """independent runs"""
    n_iterations: int = 3000
    """environment steps of the batch of episodes (one update each after warm-up)"""
    n_envs: int = 8
    """episodes stepped together"""
    horizon: int = 50
    """steps per episode"""
    alpha: float = 0.1
    """SAC temperature, fixed as in DIAYN"""
    lr: float = 3e-3
    """Adam step size of every network"""
    window: int = 200
    """updates over which the final accuracy and reward are averaged"""
    seed: int = 0
    """seed of the experiment's random streams"""

    def __post_init__(self) -> None:
        check_int("n_skills", self.n_skills, minimum=2)
        check_choice("method", self.method, METHODS)
        check_int("n_seeds", self.n_seeds, minimum=2)
        check_int("n_iterations", self.n_iterations, minimum=1)
        check_int("n_envs", self.n_envs, minimum=1)
        check_int("horizon", self.horizon, minimum=1)
        check_real("alpha", self.alpha, low=0.0)
        check_real("lr", self.lr, low=0.0, low_open=True)
        check_int("window", self.window, minimum=1)
        check_int("seed", self.seed, minimum=0)


def train_seed(config: DiaynPointConfig, i: int) -> PointSkills:
    """The skills of run ``i`` (seed ``config.seed * 1000 + i``)."""
    return train_point_skills(config.n_skills, method=config.method,
                              n_iterations=config.n_iterations,
                              n_envs=config.n_envs, horizon=config.horizon,
                              alpha=config.alpha, lr=config.lr,
                              warmup=min(1000, config.n_iterations * config.n_envs),
                              batch_size=min(128, config.n_iterations * config.n_envs),
                              seed=config.seed * 1000 + i)


def run(config: DiaynPointConfig, progress: ProgressFactory) -> Output:
    """Train the skills once per seed; summarise accuracy, reward bound, prior and end points."""
    torch.set_num_threads(1)  # the same float reductions on every machine
    accuracy, reward, paths, priors = [], [], [], []
    for i in progress(range(config.n_seeds), desc="seeds"):
        result = train_seed(config, i)
        accuracy.append(result.accuracy)
        reward.append(result.reward)
        paths.append(result.paths)
        priors.append(result.prior)
    acc, rew = np.stack(accuracy), np.stack(reward)
    window = min(config.window, acc.shape[1])
    ends = np.stack(paths)[:, :, :, -1]  # (n_seeds, K, n_paths, 2)
    spread = np.linalg.norm(ends.mean(axis=2) - 0.5, axis=-1).mean(axis=1)  # from the centre
    metrics: dict[str, Any] = {
        "log2_k": float(np.log2(config.n_skills)),
        "final_accuracy": seed_interval(acc[:, -window:].mean(axis=1)),
        "reward_bound_bits": seed_interval(rew[:, -window:].mean(axis=1) / np.log(2)),
        "mean_end_distance_from_centre": seed_interval(spread),
        "prior_entropy_bits": seed_interval(np.array([-(p * np.log2(p)).sum() for p in priors])),
    }
    return Output(metrics, {"accuracy": acc, "reward": rew, "paths": np.stack(paths),
                            "prior": np.stack(priors)})


EXPERIMENT = Experiment(
    name="diayn-point",
    summary="DIAYN or VIC with SAC on the 2D point environment: skills' runs, discriminator "
            "accuracy, the reward's bound on I(S; Z) in bits vs log2 K",
    config_type=DiaynPointConfig,
    run=run,
    fingerprint={"n_seeds": 2, "n_iterations": 40, "n_envs": 4, "horizon": 10, "window": 5},
)
