"""Meta-learning: MAML and first-order MAML (Finn, Abbeel & Levine 2017) for regression and RL,
and Reptile (Nichol, Achiam & Schulman 2018)."""

from chapter_code.meta.diagnostics import finite_difference_metric_error
from chapter_code.meta.maml import adapt, batched_call, expand_params
from chapter_code.meta.maml_rl import (
    RELEASED_BASE_EPS,
    RLLAB_DEFAULT_BASE_EPS,
    MamlRL,
    adaptation_episodes,
)
from chapter_code.meta.plots import adapted_trajectories_figure
from chapter_code.meta.policies import GaussianMLPPolicy
from chapter_code.meta.reptile import reptile_step
from chapter_code.meta.supervised import meta_loss
from chapter_code.meta.trpo import flat, trpo_step

__all__ = [
    "RELEASED_BASE_EPS",
    "RLLAB_DEFAULT_BASE_EPS",
    "GaussianMLPPolicy",
    "MamlRL",
    "adapt",
    "adaptation_episodes",
    "adapted_trajectories_figure",
    "batched_call",
    "expand_params",
    "finite_difference_metric_error",
    "flat",
    "meta_loss",
    "reptile_step",
    "trpo_step",
]
