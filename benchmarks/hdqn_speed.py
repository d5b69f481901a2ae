"""Environment steps per second of tabular h-DQN and flat Q-learning on Kulkarni et al.'s
stochastic decision process, timed in one run: the plain reference learners
(:mod:`chapter_code.feudal.reference`, stepping the Gymnasium env, tested to give bit-identical
tables) against the compiled loops over seeds (:func:`chapter_code.feudal.train_hdqn`,
:func:`chapter_code.feudal.train_q_learning`); and the network version
(:func:`chapter_code.feudal.hdqn.train_hdqn_network`, one torch thread) for scale.

Run: ``python benchmarks/hdqn_speed.py``; writes benchmarks/results/hdqn_speed.json.
Target: the compiled loops at least 50x their references.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from chapter_code.feudal import train_hdqn, train_q_learning
from chapter_code.feudal.hdqn import train_hdqn_network
from chapter_code.feudal.reference import reference_hdqn, reference_q_learning
from chapter_code.perf import write_report
from chapter_code.seeding import stream

N_SEEDS, N_EPISODES = 20, 20_000
N_REFERENCE_EPISODES = 5_000
N_NETWORK_SEEDS, N_NETWORK_STEPS = 5, 2_000
OUT = Path(__file__).resolve().parent / "results" / "hdqn_speed.json"


def timed(fn: Callable[[], int], repeats: int) -> tuple[int, float]:
    """The steps fn takes and its best wall time over ``repeats`` runs (the machine is shared)."""
    best, steps = np.inf, 0
    for _ in range(repeats):
        start = time.perf_counter()
        steps = fn()
        best = min(best, time.perf_counter() - start)
    return steps, float(best)


def main() -> None:
    torch.set_num_threads(1)
    train_hdqn(n_seeds=1, n_episodes=10, seed=0)  # compile (or load the numba cache) first
    train_q_learning(n_seeds=1, n_episodes=10, seed=0)
    runs: dict[str, tuple[Callable[[], int], int]] = {
        "reference_hdqn": (lambda: int(reference_hdqn(
            n_episodes=N_REFERENCE_EPISODES, rng=stream(0, "ref")).lengths.sum()), 1),
        "hdqn": (lambda: int(train_hdqn(n_seeds=N_SEEDS, n_episodes=N_EPISODES,
                                        seed=0).lengths.sum()), 3),
        "reference_q_learning": (lambda: int(reference_q_learning(
            n_episodes=N_REFERENCE_EPISODES, rng=stream(0, "ref")).lengths.sum()), 1),
        "q_learning": (lambda: int(train_q_learning(n_seeds=N_SEEDS, n_episodes=N_EPISODES,
                                                    seed=0).lengths.sum()), 3),
        "hdqn_network": (lambda: N_NETWORK_SEEDS * N_NETWORK_STEPS + 0 * train_hdqn_network(
            n_seeds=N_NETWORK_SEEDS, n_steps=N_NETWORK_STEPS, seed=0).Q1.size, 1),
    }
    rates = {}
    for name, (fn, repeats) in runs.items():
        steps, seconds = timed(fn, repeats)
        rates[name] = steps / seconds
        print(f"{name:22s} {steps:>10d} steps in {seconds:6.2f} s: {rates[name]:>12,.0f} steps/s")
    report = {
        "setup": {"n_seeds": N_SEEDS, "n_episodes": N_EPISODES,
                  "reference_episodes": N_REFERENCE_EPISODES,
                  "network": {"n_seeds": N_NETWORK_SEEDS, "n_steps": N_NETWORK_STEPS,
                              "torch_threads": 1},
                  "defaults": "alpha 0.1, gamma 0.99, epsilon 1 -> 0.1 over 50,000 steps",
                  "timing": "best of 3 (references and network: 1)"},
        "steps_per_s": rates,
        "ratio_hdqn_vs_reference": rates["hdqn"] / rates["reference_hdqn"],
        "ratio_q_learning_vs_reference": rates["q_learning"] / rates["reference_q_learning"],
        "targets": {"fast_vs_reference_at_least": 50},
    }
    write_report(OUT, report)


if __name__ == "__main__":
    main()
