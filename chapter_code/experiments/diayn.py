"""Skills without rewards in four rooms: DIAYN beside VIC, then the skills reused by a manager.

For each seed, K skills are learned from a fixed start with DIAYN (uniform prior, every state
judged) and with VIC (learned prior, final state judged), both by tabular soft Q-learning
(:func:`chapter_code.skills.train_skills`). Measured: the discriminator's accuracy over
training; the exact I(Z; S) in bits of the learned skills (:func:`exact_mutual_information_bits`
of the exact state distributions), against its ceiling log2 K; and the variational lower bound
E[log2 q(z | s) - log2 p(z)] the skills were trained on. Then each seed's frozen DIAYN skills
become options (policy: the skill's soft policy; initiation: every state; termination: β = 1/H,
a geometric duration of mean H) and SMDP Q-learning over the primitive actions plus these
options learns to reach a goal, compared with flat Q-learning on the same episodes and random
numbers. Eysenbach et al. (2018); Gregor, Rezende & Wierstra (2016).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from chapter_code._checks import check_int, check_real
from chapter_code.envs import four_rooms
from chapter_code.envs.four_rooms import FourRooms, as_cell
from chapter_code.experiments import Experiment, Output, ProgressFactory
from chapter_code.options import Option, primitive_options, q_learning, smdp_q_learning
from chapter_code.seeding import stream
from chapter_code.skills import (
    SkillResult,
    exact_mutual_information_bits,
    log_softmax,
    skill_state_distributions,
    soft_policy,
    train_skills,
)
from chapter_code.stats import ratio_of_means_ci, seed_interval

METHODS = ("diayn", "vic")


@dataclass(frozen=True)
class DiaynConfig:
    """Options of the DIAYN / VIC experiment."""

    n_skills: int = 6
    """K, the number of skills"""
    n_seeds: int = 5
    """independent runs of each method"""
    n_episodes: int = 1500
    """skill-learning episodes per run"""
    horizon: int = 25
    """steps per skill-learning episode (VIC: the skill's length)"""
    start: tuple[int, int] = (3, 6)
    """the start cell (row, col) of every episode: the north hallway"""
    slip: float = 0.1
    """probability that a move goes in one of the other three directions"""
    gamma: float = 0.9
    """discount factor"""
    alpha: float = 0.1
    """soft Q-learning temperature α"""
    goal: tuple[int, int] = (1, 11)
    """goal cell of the downstream task (north-east room's far corner)"""
    downstream_episodes: int = 100
    """episodes of the downstream learners (manager over skills, and flat Q)"""
    seed: int = 0
    """seed of the experiment's random streams"""

    def __post_init__(self) -> None:
        check_int("n_skills", self.n_skills, minimum=2)
        check_int("n_seeds", self.n_seeds, minimum=2)
        check_int("n_episodes", self.n_episodes, minimum=1)
        check_int("horizon", self.horizon, minimum=1)
        for name in ("start", "goal"):
            four_rooms(as_cell(getattr(self, name), name))  # a free cell, else ValueError
        if tuple(self.start) == tuple(self.goal):
            raise ValueError(f"goal must differ from start, got {self.goal}")
        check_real("slip", self.slip, low=0.0, high=1.0)
        check_real("gamma", self.gamma, low=0.0, high=1.0, low_open=True, high_open=True)
        check_real("alpha", self.alpha, low=0.0, low_open=True)
        check_int("downstream_episodes", self.downstream_episodes, minimum=1)
        check_int("seed", self.seed, minimum=0)


def skill_options(mdp: FourRooms, result: SkillResult, horizon: int) -> list[Option]:
    """The frozen skills of ``result`` as options in ``mdp``: π = the skill's soft policy,
    I = the non-terminal states, β = 1/``horizon`` in every state (a Markov stand-in for the
    fixed length the skill was trained with: a geometric duration of that mean)."""
    policy = soft_policy(result.Q, result.alpha)
    live = ~mdp.terminal
    return [Option(name=f"skill{z}", initiation=live.copy(), policy=policy[z],
                   termination=np.full(mdp.n_states, 1.0 / horizon))
            for z in range(policy.shape[0])]


def variational_bound_bits(result: SkillResult, state_given_skill: np.ndarray) -> float:
    """E_z E_{s ~ d_z}[log2 q(z | s) - log2 p(z)], the lower bound on I(Z; S) the skills were
    trained on, under the exact state distributions ``state_given_skill`` (K, S)."""
    log_q = log_softmax(result.logits).T / np.log(2)  # (K, S)
    log_p = np.log2(result.prior)[:, None]
    return float((result.prior[:, None] * state_given_skill * (log_q - log_p)).sum())


def run(config: DiaynConfig, progress: ProgressFactory) -> Output:
    """Learn skills with both methods for every seed; measure them; reuse DIAYN's downstream."""
    mdp = four_rooms(None, slip=config.slip, gamma=config.gamma)
    start = mdp.index[as_cell(config.start, "start")]
    K = config.n_skills
    accuracy = {m: np.zeros((config.n_seeds, config.n_episodes)) for m in METHODS}
    info = {m: np.zeros(config.n_seeds) for m in METHODS}
    bound = {m: np.zeros(config.n_seeds) for m in METHODS}
    priors = np.zeros((config.n_seeds, K))
    final_cells = {m: np.zeros((config.n_seeds, K, 2), dtype=np.int64) for m in METHODS}
    task = four_rooms(config.goal, slip=config.slip, gamma=config.gamma)
    steps = {name: np.zeros((config.n_seeds, config.downstream_episodes), dtype=np.int64)
             for name in ("skills", "flat")}
    objects: dict[str, Any] = {}
    for i in progress(range(config.n_seeds), desc="seeds"):
        for method in METHODS:
            result = train_skills(mdp, K, method=method, n_episodes=config.n_episodes,
                                  horizon=config.horizon, start=start, alpha=config.alpha,
                                  seed=stream(config.seed, f"{method}/{i}"))
            policy = soft_policy(result.Q, config.alpha)
            seen = skill_state_distributions(mdp, policy, start, config.horizon,
                                             final_only=method == "vic")
            final = skill_state_distributions(mdp, policy, start, config.horizon,
                                              final_only=True)
            accuracy[method][i] = result.accuracy
            info[method][i] = exact_mutual_information_bits(result.prior, seen)
            bound[method][i] = variational_bound_bits(result, seen)
            final_cells[method][i] = mdp.cells[final.argmax(axis=1)]
            if method == "vic":
                priors[i] = result.prior
            if i == 0:
                objects[method] = result
            if method == "diayn":
                learner = stream(config.seed, f"downstream/{i}")
                manager = smdp_q_learning(
                    task, [*primitive_options(task), *skill_options(task, result,
                                                                    config.horizon)],
                    n_seeds=1, n_episodes=config.downstream_episodes, start=start,
                    seed=learner)
                steps["skills"][i] = manager.steps[0]
        flat = q_learning(task, n_seeds=1, n_episodes=config.downstream_episodes, start=start,
                          seed=stream(config.seed, f"downstream/{i}"))
        steps["flat"][i] = flat.steps[0]
    window = min(100, config.n_episodes)
    prior_entropy = -(priors * np.log2(np.clip(priors, 1e-300, None))).sum(axis=1)
    ratio, low, high = ratio_of_means_ci(steps["flat"].sum(axis=1), steps["skills"].sum(axis=1),
                                         seed=stream(config.seed, "bootstrap"))
    metrics: dict[str, Any] = {
        "log2_k": float(np.log2(K)),
        "per_method": {m: {
            "final_accuracy": seed_interval(accuracy[m][:, -window:].mean(axis=1)),
            "mutual_information_bits": seed_interval(info[m]),
            "variational_bound_bits": seed_interval(bound[m]),
        } for m in METHODS},
        "vic_prior_entropy_bits": seed_interval(prior_entropy),
        "downstream": {
            "total_steps": {k: seed_interval(v.sum(axis=1)) for k, v in steps.items()},
            "speedup_of_skills_over_flat": {"ratio": round(ratio, 6), "low": round(low, 6),
                                            "high": round(high, 6)},
        },
    }
    arrays: dict[str, np.ndarray] = {f"accuracy_{m}": accuracy[m] for m in METHODS}
    arrays.update({f"info_bits_{m}": info[m] for m in METHODS})
    arrays.update({f"final_cells_{m}": final_cells[m] for m in METHODS})
    arrays["vic_prior"] = priors
    arrays.update({f"downstream_steps_{k}": v for k, v in steps.items()})
    return Output(metrics, arrays, objects)


EXPERIMENT = Experiment(
    name="diayn",
    summary="DIAYN vs VIC skills in four rooms (accuracy, I(Z;S) in bits vs log2 K) and the "
            "DIAYN skills reused by a manager against flat Q-learning",
    config_type=DiaynConfig,
    run=run,
    fingerprint={"n_seeds": 2, "n_episodes": 40, "horizon": 8, "downstream_episodes": 5},
)
