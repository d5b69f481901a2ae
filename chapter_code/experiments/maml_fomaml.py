"""MAML vs first-order MAML on 2D navigation: the same budget, return after one step and wall
clock per meta-iteration (the chapter claims FOMAML is within 5% of MAML and 10x faster)."""

from __future__ import annotations

from dataclasses import dataclass

from chapter_code.experiments import Experiment
from chapter_code.experiments.maml_nav import MamlNavConfig, run


@dataclass(frozen=True)
class MamlVsFomamlConfig(MamlNavConfig):
    """The maml-nav options, defaulting to MAML and FOMAML on a shorter shared budget."""

    n_iterations: int = 100
    """meta-iterations (TRPO steps) per method"""
    methods: tuple[str, ...] = ("maml", "fomaml")
    """which of 'maml', 'fomaml', 'pretrained' to train"""


EXPERIMENT = Experiment(
    name="maml-vs-fomaml",
    summary="Second-order MAML vs first-order MAML on 2D navigation: return and wall clock",
    config_type=MamlVsFomamlConfig,
    run=run,
)
