"""Option values learned off-policy: intra-option Q-learning from uniformly random primitive
behaviour (no option is ever executed) vs SMDP Q-learning that executes randomly chosen
options, both measured by the RMS error to the SMDP value-iteration Q (Sutton, Precup &
Singh 1999, §6)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chapter_code._checks import check_int, check_real
from chapter_code.envs import four_rooms
from chapter_code.envs.four_rooms import G1
from chapter_code.experiments import Experiment, Output, ProgressFactory
from chapter_code.options import (
    hallway_options,
    intra_option_q_learning,
    primitive_options,
    smdp_q_learning,
    smdp_value_iteration,
)


@dataclass(frozen=True)
class IntraOptionConfig:
    """Options of the intra-option learning experiment."""

    goal: tuple[int, int] = G1
    """goal cell (row, col)"""
    n_seeds: int = 20
    """independent learners per method"""
    n_chunks: int = 40
    """points on the error curve"""
    episodes_per_chunk: int = 25
    """intra-option episodes between two measurements of the error"""
    smdp_episodes_per_chunk: int = 250
    """SMDP episodes between two measurements (its episodes are ~10x shorter: similar steps)"""
    alpha: float = 0.025
    """intra-option step size α; its effective step is α ρ = 4 α (ρ = 4 under random moves)"""
    smdp_alpha: float = 0.1
    """SMDP Q-learning step size (no ρ): 0.1 matches the intra-option learner's α ρ"""
    slip: float = 1 / 3
    """probability that a move goes in one of the other three directions"""
    gamma: float = 0.9
    """discount factor"""
    seed: int = 0
    """seed of the experiment's random generator"""

    def __post_init__(self) -> None:
        four_rooms(self.goal)
        check_int("n_seeds", self.n_seeds, minimum=2)
        check_int("n_chunks", self.n_chunks, minimum=1)
        check_int("episodes_per_chunk", self.episodes_per_chunk, minimum=1)
        check_int("smdp_episodes_per_chunk", self.smdp_episodes_per_chunk, minimum=1)
        check_real("alpha", self.alpha, low=0.0, high=0.25, low_open=True)
        check_real("smdp_alpha", self.smdp_alpha, low=0.0, high=1.0, low_open=True)
        check_real("slip", self.slip, low=0.0, high=1.0)
        check_real("gamma", self.gamma, low=0.0, high=1.0, low_open=True, high_open=True)
        check_int("seed", self.seed, minimum=0)


def steps_to_floor(rms: np.ndarray, steps: np.ndarray, *, last: int = 10,
                   within: float = 0.1) -> float:
    """Mean environment steps at which the mean error curve first comes within ``within`` (a
    fraction) of the average of its ``last`` points: where a constant-step learner reaches its
    noise floor. ``rms``, ``steps``: (n_seeds, n_chunks), the error and the cumulative steps."""
    curve, x = np.asarray(rms).mean(axis=0), np.asarray(steps).mean(axis=0)
    last = check_int("last", last, minimum=1)
    if last > curve.size:
        raise ValueError(f"last must be at most the number of points {curve.size}, got {last}")
    within = check_real("within", within, low=0.0)
    return float(x[np.flatnonzero(curve <= (1.0 + within) * curve[-last:].mean())[0]])


def rms_error(Q: np.ndarray, Q_star: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Root-mean-square of Q - Q* over the entries in ``mask``: Q (n_seeds, S, O) -> (n_seeds,)."""
    return np.sqrt(((Q - Q_star)[:, mask] ** 2).mean(axis=1))


def run(config: IntraOptionConfig, progress: ProgressFactory) -> Output:
    """Learn in chunks, measuring after each the RMS error of the hallway options' values."""
    rng = np.random.default_rng(config.seed)
    mdp = four_rooms(config.goal, config.slip, config.gamma)
    options = [*primitive_options(mdp), *hallway_options(mdp)]
    _, Q_star = smdp_value_iteration(mdp, options)
    hallway = np.isfinite(Q_star)
    hallway[:, : mdp.n_actions] = False  # the error of the eight hallway options' values
    Q_star = np.where(np.isfinite(Q_star), Q_star, 0.0)
    learners = {
        "intra": lambda **kw: intra_option_q_learning(mdp, options, behaviour="uniform-random",
                                                      **kw),
        "smdp": lambda **kw: smdp_q_learning(mdp, options, epsilon=1.0, **kw),
    }
    arrays: dict[str, np.ndarray] = {}
    episodes = {"intra": config.episodes_per_chunk, "smdp": config.smdp_episodes_per_chunk}
    alphas = {"intra": config.alpha, "smdp": config.smdp_alpha}
    for name, learn in learners.items():
        Q: float | np.ndarray = 0.0
        errors = np.zeros((config.n_seeds, config.n_chunks))
        steps = np.zeros((config.n_seeds, config.n_chunks))
        for chunk in progress(range(config.n_chunks), desc=name):
            result = learn(n_seeds=config.n_seeds, n_episodes=episodes[name],
                           alpha=alphas[name], seed=rng, q_init=Q)
            Q = result.Q
            errors[:, chunk] = rms_error(result.Q, Q_star, hallway)
            steps[:, chunk] = result.steps.sum(axis=1)
            if name == "intra" and result.decisions.any():
                raise RuntimeError("an option was executed under random behaviour")
        arrays[f"rms_{name}"] = errors
        arrays[f"steps_{name}"] = np.cumsum(steps, axis=1)
    metrics = {name: {
        "final_rms": float(arrays[f"rms_{name}"][:, -1].mean()),
        "total_steps": float(arrays[f"steps_{name}"][:, -1].mean()),
        "steps_to_floor": steps_to_floor(arrays[f"rms_{name}"], arrays[f"steps_{name}"],
                                         last=min(10, config.n_chunks)),
    } for name in learners}
    return Output(metrics, arrays)


EXPERIMENT = Experiment(
    name="intra-option",
    summary="Hallway-option values from random behaviour: intra-option vs SMDP Q-learning",
    config_type=IntraOptionConfig,
    run=run,
)
