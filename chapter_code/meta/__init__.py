"""Meta-learning: MAML and first-order MAML (Finn, Abbeel & Levine 2017) for regression and RL,
and Reptile (Nichol, Achiam & Schulman 2018)."""

from chapter_code.meta.maml import adapt, batched_call, expand_params
from chapter_code.meta.reptile import reptile_step

__all__ = ["adapt", "batched_call", "expand_params", "reptile_step"]
