"""Option-critic with a shared encoder on CartPole-v1 (Bacon, Harb & Precup 2017, ALE section,
on feature observations) against the flat one-step actor-critic, same network and budget."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from chapter_code._checks import check_int
from chapter_code.experiments import Experiment, Output, ProgressFactory
from chapter_code.option_critic.deep import compare_on_cartpole


@dataclass(frozen=True)
class OptionCriticDeepConfig:
    """Options of the deep option-critic comparison."""

    n_seeds: int = 5
    """independent runs of each learner"""
    n_updates: int = 10_000
    """Adam steps, each on one transition of each of 8 CartPole copies"""
    n_options: int = 4
    """options of the option-critic learner (the flat actor-critic has one)"""
    seed: int = 0
    """seed of the experiment's random streams"""

    def __post_init__(self) -> None:
        check_int("n_seeds", self.n_seeds, minimum=2)
        check_int("n_updates", self.n_updates, minimum=1)
        check_int("n_options", self.n_options, minimum=2)
        check_int("seed", self.seed, minimum=0)


def run(config: OptionCriticDeepConfig, progress: ProgressFactory) -> Output:
    """Train both learners on every seed; mean return of the last 50 episodes with intervals."""
    torch.set_num_threads(1)
    metrics = compare_on_cartpole(n_seeds=config.n_seeds, n_updates=config.n_updates,
                                  n_options=config.n_options, seed=config.seed)
    return Output(metrics={"n_seeds": config.n_seeds, **metrics})


EXPERIMENT = Experiment(
    name="option-critic-deep",
    summary="Bacon, Harb & Precup (2017): shared-encoder option-critic vs flat actor-critic "
            "on CartPole-v1",
    config_type=OptionCriticDeepConfig,
    run=run,
    fingerprint={"n_seeds": 2, "n_updates": 50},
)
