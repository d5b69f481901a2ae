"""DIAYN's point-environment skills reused downstream: for each seed, the skills of the
``diayn-point`` experiment are frozen and a manager learns, by SMDP Q-learning over a coarse
grid of the box, to reach a goal near the north-east corner. Two managers: one choosing among the
skills alone, as DIAYN's hierarchical experiments do (Eysenbach et al. 2018, §4.4), and one with
the compass moves beside the skills, as options are usually added to primitive actions (and as
the grid experiment does). A flat learner with the compass moves alone learns the same task on
the same budget (:mod:`chapter_code.skills.reuse`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from chapter_code._checks import check_int
from chapter_code.experiments import Experiment, Output, ProgressFactory
from chapter_code.experiments.diayn_point import DiaynPointConfig, train_seed
from chapter_code.seeding import stream
from chapter_code.skills.reuse import (
    COMPASS,
    compass_runner,
    goal_task_q_learning,
    skill_runner,
    with_compass,
)
from chapter_code.stats import interval_metrics, mean_ci, ratio_of_means_ci

LEARNERS = ("skills", "skills_and_moves", "flat")


@dataclass(frozen=True)
class PointSkillReuseConfig(DiaynPointConfig):
    """The diayn-point options for the skills, and the downstream learners' budget."""

    n_seeds: int = 5
    """skill sets (runs of diayn-point), each reused by its own manager"""
    n_episodes: int = 200
    """episodes of each downstream learner"""
    skill_steps: int = 10
    """steps a skill runs once the manager picks it"""
    n_cells: int = 5
    """the learners' state: the cell of an n_cells x n_cells grid over the box"""

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.method != "diayn":
            raise ValueError(f"method must be 'diayn' for the reuse experiment, got "
                             f"{self.method!r}")
        check_int("n_episodes", self.n_episodes, minimum=20)
        check_int("skill_steps", self.skill_steps, minimum=1)
        check_int("n_cells", self.n_cells, minimum=1)


def run(config: PointSkillReuseConfig, progress: ProgressFactory) -> Output:
    """Per seed: DIAYN skills, then the manager and the flat learner on the goal task."""
    torch.set_num_threads(1)  # the same float reductions on every machine
    steps = {name: np.zeros((config.n_seeds, config.n_episodes), dtype=np.int64)
             for name in LEARNERS}
    for i in progress(range(config.n_seeds), desc="seeds"):
        skills = train_seed(config, i)
        skill_run = skill_runner(skills.actor, config.n_skills, config.skill_steps)
        for name, runner, n_actions in (
                ("skills", skill_run, config.n_skills),
                ("skills_and_moves", with_compass(skill_run), len(COMPASS) + config.n_skills),
                ("flat", compass_runner(), len(COMPASS))):
            steps[name][i] = goal_task_q_learning(runner, n_actions,
                                                  n_episodes=config.n_episodes,
                                                  n_cells=config.n_cells,
                                                  rng=stream(config.seed, f"reuse/{i}"))
    metrics: dict[str, Any] = {
        "total_steps": {k: interval_metrics(mean_ci(v.sum(axis=1))) for k, v in steps.items()},
        "last_20_episodes_steps": {k: interval_metrics(mean_ci(v[:, -20:].mean(axis=1)))
                                   for k, v in steps.items()},
        # flat total steps / manager total steps, bootstrap over seeds
        "speedup_over_flat": {k: interval_metrics(ratio_of_means_ci(
            steps["flat"].sum(axis=1), steps[k].sum(axis=1),
            seed=stream(config.seed, f"bootstrap/{k}")), "ratio")
            for k in ("skills", "skills_and_moves")},
    }
    return Output(metrics, {f"steps_{k}": v for k, v in steps.items()})


EXPERIMENT = Experiment(
    name="point-skill-reuse",
    summary="DIAYN point skills as a manager's actions vs flat learning on a goal task",
    config_type=PointSkillReuseConfig,
    run=run,
    fingerprint={"n_seeds": 2, "n_iterations": 40, "n_envs": 4, "horizon": 10, "window": 5,
                 "n_episodes": 20},
)
