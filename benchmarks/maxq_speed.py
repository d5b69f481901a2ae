"""Primitive steps per second of MAXQ-Q on Taxi-v4 (rainy, fickle passenger), all timed in one
run: the plain recursive reference (:func:`chapter_code.maxq.reference.reference_maxq_q`,
stepping the Gymnasium env, tested to agree with the compiled loop exactly); the compiled
MAXQ-Q with and without state abstraction; flat Q-learning compiled on the same simulator; the
package's episode-budgeted :func:`chapter_code.options.q_learning` on the env's exact model
(rainy, not fickle); and, to see what the decomposition itself costs, MAXQ-Q on a one-level
hierarchy (Root over the six actions), which learns what flat Q learns with two tables, and
the same loop acting at random without learning or evaluating any value (its bookkeeping and
the environment alone).

Run: ``python benchmarks/maxq_speed.py``; writes benchmarks/results/maxq_speed.json.
Targets: the compiled loop at least 50x the reference; MAXQ-Q's cost per primitive step at most
3x flat Q-learning's.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import gymnasium
import numpy as np

from chapter_code.envs import from_gymnasium
from chapter_code.maxq import (
    Primitive,
    Task,
    compile_hierarchy,
    maxq_q_learning,
    simulator,
    taxi_hierarchy,
)
from chapter_code.maxq.flat import flat_q_learning
from chapter_code.maxq.reference import reference_maxq_q
from chapter_code.options import q_learning
from chapter_code.perf import write_report

N_SEEDS, N_STEPS = 50, 40_000
N_REFERENCE_STEPS = 20_000
OUT = Path(__file__).resolve().parent / "results" / "maxq_speed.json"


def one_level_hierarchy():
    """Root -> the six primitive actions: MAXQ-Q's bookkeeping with nothing to decompose."""
    names = ("South", "North", "East", "West", "Pickup", "Putdown")
    tasks = [Primitive(n, a) for a, n in enumerate(names)]
    terminal = np.array([s // 4 % 5 == s % 4 for s in range(500)])
    tasks.append(Task("Root", names, terminated=lambda s: bool(terminal[s])))
    return compile_hierarchy(tasks, "Root", n_states=500, n_actions=6, terminal=terminal,
                             abstraction=False)


def timed(fn: Callable[[], int], repeats: int = 3) -> tuple[int, float]:
    """The steps fn takes and its best wall time over ``repeats`` runs (the machine is shared)."""
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        steps = fn()
        best = min(best, time.perf_counter() - start)
    return steps, float(best)


def main() -> None:
    env = gymnasium.make("Taxi-v4", is_rainy=True, fickle_passenger=True)
    sim = simulator(env)
    abstract, dense, one_level = taxi_hierarchy(), taxi_hierarchy(abstraction=False), \
        one_level_hierarchy()
    mdp = from_gymnasium(gymnasium.make("Taxi-v4", is_rainy=True), gamma=1.0)
    for h in (abstract, dense, one_level):  # compile (or load the numba cache) first
        maxq_q_learning(h, sim, n_seeds=1, n_steps=100)
    flat_q_learning(sim, n_seeds=1, n_steps=100)
    q_learning(mdp, n_seeds=1, n_episodes=1, max_steps=200)

    def maxq(h) -> Callable[[], int]:
        return lambda: N_SEEDS * N_STEPS + 0 * maxq_q_learning(
            h, sim, n_seeds=N_SEEDS, n_steps=N_STEPS, seed=0).C.size

    def reference() -> int:
        reference_maxq_q(gymnasium.make("Taxi-v4", is_rainy=True, fickle_passenger=True),
                         abstract, n_steps=N_REFERENCE_STEPS, rng=np.random.default_rng(0))
        return N_REFERENCE_STEPS

    runs: dict[str, Callable[[], int]] = {
        "reference_maxq_q": reference,
        "maxq_q_abstraction": maxq(abstract),
        "maxq_q_no_abstraction": maxq(dense),
        "maxq_q_one_level": maxq(one_level),
        "maxq_one_level_acting_only": lambda: N_SEEDS * N_STEPS + 0 * maxq_q_learning(
            one_level, sim, n_seeds=N_SEEDS, n_steps=N_STEPS, epsilon=1.0, learn=False,
            seed=0).C.size,
        "flat_q": lambda: N_SEEDS * N_STEPS + 0 * flat_q_learning(
            sim, n_seeds=N_SEEDS, n_steps=N_STEPS, seed=0)[0].size,
        "options_q_learning_model": lambda: int(q_learning(
            mdp, n_seeds=N_SEEDS, n_episodes=200, max_steps=200, alpha=0.25,
            seed=0).steps.sum()),
    }
    rates = {}
    for name, fn in runs.items():
        steps, seconds = timed(fn, repeats=1 if name == "reference_maxq_q" else 3)
        rates[name] = steps / seconds
        print(f"{name:26s} {steps:>10d} steps in {seconds:6.2f} s: {rates[name]:>12,.0f} steps/s")
    report = {
        "setup": {"env": "Taxi-v4, is_rainy=True, fickle_passenger=True", "n_seeds": N_SEEDS,
                  "n_steps": N_STEPS, "reference_steps": N_REFERENCE_STEPS,
                  "alpha": 0.25, "epsilon": 0.1, "epsilon_decay": 0.0,
                  "timing": "best of 3 (reference: 1)"},
        "steps_per_s": rates,
        "ratio_fast_vs_reference": rates["maxq_q_abstraction"] / rates["reference_maxq_q"],
        "cost_per_step_maxq_vs_flat_q": rates["flat_q"] / rates["maxq_q_abstraction"],
        "cost_per_step_maxq_no_abstraction_vs_flat_q": (rates["flat_q"]
                                                        / rates["maxq_q_no_abstraction"]),
        "cost_per_step_one_level_maxq_vs_flat_q": rates["flat_q"] / rates["maxq_q_one_level"],
        "cost_per_step_acting_only_vs_flat_q": rates["flat_q"]
        / rates["maxq_one_level_acting_only"],
        "targets": {"fast_vs_reference_at_least": 50, "maxq_vs_flat_cost_at_most": 3},
    }
    write_report(OUT, report)


if __name__ == "__main__":
    main()
