"""Primitive steps per second of tabular option-critic on four rooms, all timed in one run: the
plain-Python reference (:func:`chapter_code.option_critic.reference_option_critic`, tested to
play the same episodes as the compiled loop from the same random numbers), the compiled
option-critic with 4 and 8 options, and the compiled flat baselines (actor-critic, SARSA(0))
on the same tasks, so the cost of learning options is seen per primitive step.

Run: ``python benchmarks/option_critic_speed.py``; writes
benchmarks/results/option_critic_speed.json. Target: the compiled loop at least 50x the
reference.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from chapter_code.envs import four_rooms
from chapter_code.envs.four_rooms import G1
from chapter_code.option_critic import actor_critic, option_critic, reference_option_critic, sarsa
from chapter_code.perf import write_report
from chapter_code.seeding import stream

N_RUNS, N_EPISODES = 20, 200
N_REFERENCE_EPISODES = 60
OUT = Path(__file__).resolve().parent / "results" / "option_critic_speed.json"


def timed(fn: Callable[[], int], repeats: int = 3) -> tuple[int, float]:
    """The steps fn takes and its best wall time over ``repeats`` runs (the machine is shared)."""
    best, steps = np.inf, 0
    for _ in range(repeats):
        start = time.perf_counter()
        steps = fn()
        best = min(best, time.perf_counter() - start)
    return steps, float(best)


def main() -> None:
    tasks = [four_rooms(G1, gamma=0.99)]
    schedule = np.zeros((N_RUNS, N_EPISODES), dtype=np.int64)
    for learner in (lambda s: option_critic(tasks, s, n_options=4),
                    lambda s: actor_critic(tasks, s), lambda s: sarsa(tasks, s)):
        learner(schedule[:1, :1])  # compile (or load the numba cache) first
    runs: dict[str, Callable[[], int]] = {
        "reference_option_critic_4": lambda: int(reference_option_critic(
            tasks, [0] * N_REFERENCE_EPISODES, n_options=4,
            rng=stream(0, "bench")).steps.sum()),
        "option_critic_4": lambda: int(option_critic(tasks, schedule, n_options=4,
                                                     seed=stream(0, "bench")).steps.sum()),
        "option_critic_8": lambda: int(option_critic(tasks, schedule, n_options=8,
                                                     seed=stream(0, "bench")).steps.sum()),
        "actor_critic": lambda: int(actor_critic(tasks, schedule,
                                                 seed=stream(0, "bench")).steps.sum()),
        "sarsa": lambda: int(sarsa(tasks, schedule, seed=stream(0, "bench")).steps.sum()),
    }
    rates = {}
    for name, fn in runs.items():
        steps, seconds = timed(fn, repeats=1 if name.startswith("reference") else 3)
        rates[name] = steps / seconds
        print(f"{name:26s} {steps:>10d} steps in {seconds:6.2f} s: {rates[name]:>12,.0f} steps/s")
    report = {
        "setup": {"env": "four rooms, goal in the east hallway, slip 1/3, gamma 0.99",
                  "n_runs": N_RUNS, "n_episodes": N_EPISODES,
                  "reference_episodes": N_REFERENCE_EPISODES,
                  "hyper_parameters": "option_critic defaults (the released four-rooms command)",
                  "timing": "best of 3 (reference: 1)"},
        "steps_per_s": rates,
        "ratio_fast_vs_reference": rates["option_critic_4"] / rates["reference_option_critic_4"],
        "cost_per_step_option_critic_4_vs_actor_critic": (rates["actor_critic"]
                                                          / rates["option_critic_4"]),
        "cost_per_step_option_critic_8_vs_actor_critic": (rates["actor_critic"]
                                                          / rates["option_critic_8"]),
        "targets": {"fast_vs_reference_at_least": 50},
    }
    write_report(OUT, report)


if __name__ == "__main__":
    main()
