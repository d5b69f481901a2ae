"""Agent-steps per second on four rooms (fixed goal G1, random starts, ε-greedy), all timed in
one run: the package's compiled learners; the package's plain-Python reference learners
(:func:`chapter_code.options.reference_learning`, stepping the Gymnasium env, tested to agree
with the compiled ones exactly); and a lean loop of plain Python lists in the style of the
source chapter's code (flat Q-learning, one step at a time).

Run: ``python benchmarks/four_rooms_speed.py``; writes benchmarks/results/four_rooms_speed.json.
The source chapter's pure-Python code ran about 156k environment steps/s on a machine of this
kind (kept for context; the lean loop is its stand-in timed in the same run).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import gymnasium
import numpy as np

from chapter_code.envs import four_rooms
from chapter_code.envs.four_rooms import ENV_ID, G1
from chapter_code.options import (
    hallway_options,
    intra_option_q_learning,
    primitive_options,
    q_learning,
    reference_learning,
    smdp_q_learning,
)
from chapter_code.perf import write_report

CHAPTER_LISTING_STEPS_PER_S = 156_000
N_SEEDS, N_EPISODES, ALPHA, EPSILON = 200, 1000, 0.1, 0.1
N_REFERENCE_EPISODES = 300  # one seed: the reference is slow
OUT = Path(__file__).resolve().parent / "results" / "four_rooms_speed.json"


def lean_python_q_learning(mdp, n_seeds: int, n_episodes: int, seed: int) -> int:
    """Tabular Q-learning one step at a time in plain Python lists, scalar draws from a seeded
    Generator, no environment object: the source chapter's style of code, as lean as it gets.
    Returns the number of environment steps taken."""
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
    def reference(method: str, opts: list) -> int:
        env = gymnasium.make(ENV_ID, goal=G1, max_episode_steps=10_000)
        result = reference_learning(env, opts, method=method, n_episodes=N_REFERENCE_EPISODES,
                                    gamma=mdp.gamma, rng=np.random.default_rng(0), alpha=ALPHA,
                                    epsilon=EPSILON)
        return int(result.steps.sum())

    runs = {
        "lean_python_q": lambda: lean_python_q_learning(mdp, 10, N_EPISODES, 0),
        "reference_q": lambda: reference("smdp", primitive_options(mdp)),
        "reference_smdp": lambda: reference("smdp", options),
        "reference_intra": lambda: reference("intra", options),
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
        "ratio_q_learning_vs_lean_python": rates["q_learning"] / rates["lean_python_q"],
        "ratio_q_learning_vs_reference": rates["q_learning"] / rates["reference_q"],
        "ratio_smdp_vs_reference": rates["smdp_q_learning"] / rates["reference_smdp"],
        "ratio_intra_vs_reference": rates["intra_option_q_learning"] / rates["reference_intra"],
        "ratio_intra_vs_chapter_listing": (rates["intra_option_q_learning"]
                                           / CHAPTER_LISTING_STEPS_PER_S),
        "n_seeds": N_SEEDS,
        "n_episodes": N_EPISODES,
    }
    write_report(OUT, report)


if __name__ == "__main__":
    main()
