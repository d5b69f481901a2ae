"""MAXQ-Q on Gymnasium's Taxi-v4 (Dietterich 2000, §3.1 and §7.2): learn with or without state
abstraction, then measure the greedy hierarchical policy's mean return over the start states;
and the learning curves of MAXQ-Q with and without abstraction beside flat Q-learning."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gymnasium
import numpy as np

from chapter_code._checks import check_int, check_real
from chapter_code.envs import TabularMDP, from_gymnasium, value_iteration
from chapter_code.experiments import Experiment, Output, ProgressFactory
from chapter_code.maxq import (
    greedy_returns,
    maxq_q_learning,
    simulator,
    taxi_hierarchy,
    taxi_start_states,
)
from chapter_code.maxq.flat import flat_q_learning
from chapter_code.seeding import stream
from chapter_code.stats import mean_ci

METHODS = ("maxq-abstraction", "maxq-no-abstraction", "flat-q")
"""the three learners of the learning curves."""


def make_env(*, fickle: bool, rainy: bool) -> gymnasium.Env:
    """``gymnasium.make("Taxi-v4")`` with the fickle passenger and the rainy moves on or off."""
    if not isinstance(fickle, bool) or not isinstance(rainy, bool):
        raise TypeError(f"fickle and rainy must be bools, got {fickle!r} and {rainy!r}")
    return gymnasium.make("Taxi-v4", is_rainy=rainy, fickle_passenger=fickle)


def optimal_mean_return(env: gymnasium.Env) -> float:
    """The optimal expected return averaged over the 300 start states, by value iteration on the
    env's exact model (γ = 1). Valid without the fickle passenger, whom the model lacks."""
    V, _ = value_iteration(from_gymnasium(env, gamma=1.0))
    return float(V[taxi_start_states()].mean())


def flat_greedy_returns(mdp: TabularMDP, Q: np.ndarray, starts: np.ndarray, *,
                        max_steps: int = 200) -> np.ndarray:
    """The return of the greedy policy argmax_a Q(s, a) (first action on ties) from each start
    state of a deterministic model, cut after ``max_steps``: (n_seeds, len(starts)) for Q of
    shape (n_seeds, S, A)."""
    if not np.all((mdp.P == 0) | (mdp.P == 1)):
        raise ValueError("mdp must be deterministic (every P[s, a] a single successor)")
    successor = mdp.P.argmax(axis=2)
    out = np.zeros((Q.shape[0], len(starts)))
    for i in range(Q.shape[0]):
        policy = Q[i].argmax(axis=1)
        for j, s in enumerate(starts):
            for _ in range(max_steps):
                a = policy[s]
                out[i, j] += mdp.R_transition[s, a, successor[s, a]]
                s = successor[s, a]
                if mdp.terminal[s]:
                    break
    return out


def binned_returns(ends: np.ndarray, returns: np.ndarray, episodes: np.ndarray,
                   edges: np.ndarray) -> np.ndarray:
    """Mean online return of the episodes that ended in each bin of primitive steps
    [edges[b], edges[b + 1]), per seed: (n_seeds, len(edges) - 1), NaN where none ended."""
    out = np.full((ends.shape[0], len(edges) - 1), np.nan)
    for i in range(ends.shape[0]):
        n = int(episodes[i])
        which = np.digitize(ends[i, :n], edges) - 1
        for b in range(len(edges) - 1):
            chosen = returns[i, :n][which == b]
            if chosen.size:
                out[i, b] = chosen.mean()
    return out


def learning_curves(*, fickle: bool, rainy: bool, n_seeds: int, steps: int, bin_size: int,
                    alpha: float = 0.25, epsilon: float = 1.0, epsilon_decay: float = 1.0,
                    seed: int = 0) -> dict[str, np.ndarray]:
    """Online returns binned every ``bin_size`` primitive steps, (n_seeds, steps // bin_size),
    for each method of :data:`METHODS`, each from its own named random stream of ``seed``; all
    explore with the same schedule ε / (1 + epsilon_decay · n), n the choices made before in
    that state (by that task, for MAXQ-Q)."""
    steps = check_int("steps", steps, minimum=1)
    bin_size = check_int("bin_size", bin_size, minimum=1)
    if steps % bin_size:
        raise ValueError(f"steps must be a multiple of bin_size = {bin_size}, got {steps}")
    sim = simulator(make_env(fickle=fickle, rainy=rainy))
    edges = np.arange(0, steps + 1, bin_size) + 1
    edges[-1] = steps + 1
    curves = {}
    for method in METHODS:
        rng = stream(seed, method)
        if method == "flat-q":
            _, result = flat_q_learning(sim, n_seeds=n_seeds, n_steps=steps, alpha=alpha,
                                        epsilon=epsilon, epsilon_decay=epsilon_decay,
                                        seed=rng)
        else:
            hierarchy = taxi_hierarchy(abstraction=method == "maxq-abstraction")
            result = maxq_q_learning(hierarchy, sim, n_seeds=n_seeds, n_steps=steps,
                                     alpha=alpha, epsilon=epsilon,
                                     epsilon_decay=epsilon_decay, seed=rng)
        curves[method] = binned_returns(result.ends, result.returns, result.count, edges)
    return curves


@dataclass(frozen=True)
class MaxqTaxiConfig:
    """Options of the MAXQ Taxi experiment."""

    abstraction: bool = True
    """use Dietterich's state abstraction (false: one value per state and child)"""
    fickle: bool = False
    """the passenger may change destination once after the taxi moves off with them"""
    rainy: bool = False
    """a move goes sideways with probability 0.2"""
    steps: int = 100_000
    """primitive steps each learner takes"""
    n_seeds: int = 10
    """independent learners"""
    alpha: float = 0.25
    """step size of every V and C update"""
    epsilon: float = 1.0
    """initial exploration rate ε of the ε-greedy choice in every task"""
    epsilon_decay: float = 1.0
    """task i's n-th choice in state s explores with probability ε / (1 + epsilon_decay · n):
    ordered GLIE for > 0 (default: ε_n = 1 / (n + 1)); 0 keeps ε constant"""
    seed: int = 0
    """seed of the experiment's random streams"""

    def __post_init__(self) -> None:
        for name in ("abstraction", "fickle", "rainy"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"{name} must be a bool, got {getattr(self, name)!r}")
        check_int("steps", self.steps, minimum=1)
        check_int("n_seeds", self.n_seeds, minimum=2)
        check_real("alpha", self.alpha, low=0.0, high=1.0, low_open=True)
        check_real("epsilon", self.epsilon, low=0.0, high=1.0)
        check_real("epsilon_decay", self.epsilon_decay, low=0.0)
        check_int("seed", self.seed, minimum=0)


def run(config: MaxqTaxiConfig, progress: ProgressFactory) -> Output:
    """Learn, then run the greedy hierarchical policy once from each of the 300 start states
    (the episodes are random when the taxi is rainy or fickle); the mean return with a 95%
    interval over learners, the values stored, and the optimum where the model has it."""
    env = make_env(fickle=config.fickle, rainy=config.rainy)
    sim = simulator(env)
    hierarchy = taxi_hierarchy(abstraction=config.abstraction)
    result = maxq_q_learning(hierarchy, sim, n_seeds=config.n_seeds, n_steps=config.steps,
                             alpha=config.alpha, epsilon=config.epsilon,
                             epsilon_decay=config.epsilon_decay,
                             seed=stream(config.seed, "learn"))
    starts = taxi_start_states()
    greedy = greedy_returns(hierarchy, sim, (result.C, result.Ct, result.V), starts,
                            seed=stream(config.seed, "evaluate"))
    mean, low, high = mean_ci(greedy.mean(axis=1))
    metrics: dict[str, Any] = {
        "mean_return": {"mean": round(float(mean), 6), "low": round(float(low), 6),
                        "high": round(float(high), 6)},
        "values_stored": hierarchy.values_stored,
        "steps": config.steps,
        "start_states": int(starts.size),
    }
    if not config.fickle:
        metrics["optimal_mean_return"] = round(optimal_mean_return(env), 6)
    return Output(metrics, {"greedy_returns": greedy})


EXPERIMENT = Experiment(
    name="maxq-taxi",
    summary="Dietterich (2000): MAXQ-Q on Taxi-v4, greedy return over the 300 start states",
    config_type=MaxqTaxiConfig,
    run=run,
)
