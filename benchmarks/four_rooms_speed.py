"""Agent-steps per second on four rooms: the package's learners vs a plain per-step Python
Q-learner doing the same work (flat Q-learning, fixed goal G1, random starts, ε-greedy).

Run: ``python benchmarks/four_rooms_speed.py``; writes benchmarks/results/four_rooms_speed.json.
The chapter's pure-Python listing ran about 156k environment steps/s on this machine.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from chapter_code.envs import four_rooms
from chapter_code.envs.four_rooms import G1
from chapter_code.options import (
    hallway_options,
    intra_option_q_learning,
    primitive_options,
    q_learning,
    smdp_q_learning,
)

CHAPTER_LISTING_STEPS_PER_S = 156_000
N_SEEDS, N_EPISODES, ALPHA, EPSILON = 200, 1000, 0.1, 0.1
OUT = Path(__file__).resolve().parent / "results" / "four_rooms_speed.json"


def python_q_learning(mdp, n_seeds: int, n_episodes: int, seed: int) -> int:
    """Reference: tabular Q-learning one step at a time in plain Python (lists, scalar draws
    from a seeded Generator). Returns the number of environment steps taken."""
    rng = np.random.default_rng(seed)
    succ = [[[(float(p), int(t), float(mdp.R_transition[s, a, t]))
              for t, p in enumerate(mdp.P[s, a]) if p > 0]
             for a in range(mdp.n_actions)] for s in range(mdp.n_states)]
    terminal = mdp.terminal.tolist()
    starts = [s for s in range(mdp.n_states) if not terminal[s]]
    gamma, total = mdp.gamma, 0
    for _ in range(n_seeds):
        Q = [[0.0] * mdp.n_actions for _ in range(mdp.n_states)]
        for _ in range(n_episodes):
            s = starts[int(rng.random() * len(starts))]
            while True:
                q = Q[s]
                if rng.random() < EPSILON:
                    a = int(rng.random() * 4)
                else:
                    best = max(q)
                    ties = [i for i in range(4) if q[i] == best]
                    a = ties[int(rng.random() * len(ties))]
                u, s_next, r = rng.random(), -1, 0.0
                for p, t, reward in succ[s][a]:
                    s_next, r = t, reward
                    u -= p
                    if u < 0:
                        break
                total += 1
                target = r + (0.0 if terminal[s_next] else gamma * max(Q[s_next]))
                q[a] += ALPHA * (target - q[a])
                s = s_next
                if terminal[s]:
                    break
    return total


def timed(fn):
    start = time.perf_counter()
    steps = fn()
    return steps, time.perf_counter() - start


def main() -> None:
    mdp = four_rooms(G1)
    options = [*primitive_options(mdp), *hallway_options(mdp)]
    kwargs: dict[str, Any] = dict(n_seeds=N_SEEDS, n_episodes=N_EPISODES, alpha=ALPHA,
                                  epsilon=EPSILON)
    q_learning(mdp, n_seeds=1, n_episodes=1)  # compile (or load the numba cache) first
    runs = {
        "python_reference_q": lambda: python_q_learning(mdp, 10, N_EPISODES, 0),
        "q_learning": lambda: int(q_learning(mdp, seed=0, **kwargs).steps.sum()),
        "smdp_q_learning": lambda: int(smdp_q_learning(mdp, options, seed=0,
                                                       **kwargs).steps.sum()),
        "intra_option_q_learning": lambda: int(intra_option_q_learning(
            mdp, options, seed=0, **kwargs).steps.sum()),
    }
    rates = {}
    for name, fn in runs.items():
        steps, seconds = timed(fn)
        rates[name] = steps / seconds
        print(f"{name:26s} {steps:>10d} steps in {seconds:6.2f} s: {rates[name]:>12,.0f} steps/s")
    report = {
        "chapter_listing_steps_per_s": CHAPTER_LISTING_STEPS_PER_S,
        "steps_per_s": rates,
        "ratio_q_learning_vs_chapter_listing": rates["q_learning"] / CHAPTER_LISTING_STEPS_PER_S,
        "ratio_q_learning_vs_python_reference": rates["q_learning"] / rates["python_reference_q"],
        "ratio_intra_vs_chapter_listing": (rates["intra_option_q_learning"]
                                           / CHAPTER_LISTING_STEPS_PER_S),
        "n_seeds": N_SEEDS,
        "n_episodes": N_EPISODES,
    }
    for key, value in report.items():
        if key.startswith("ratio"):
            print(f"{key}: {value:.1f}x")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
