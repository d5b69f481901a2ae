"""Environment steps per second of an RL² rollout, all timed in one run: the batched task
sampler and GRU rollout (:func:`chapter_code.rl2.agent.rollout`, every task of a batch stepped
together) against the plain per-task loop doing the same computation on the same random
numbers (:func:`chapter_code.rl2.reference.reference_rollout`, tested to agree with it), on
bandits (k = 5, n = 100) and tabular MDPs (n = 10 episodes of 10 steps). Both include drawing
the tasks; one torch thread.

Run: ``python benchmarks/rl2_speed.py``; writes benchmarks/results/rl2_speed.json.
Target: the batched rollout at least 30x the per-task loop.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from chapter_code.perf import write_report
from chapter_code.rl2.agent import RL2Policy, TrialEnv, rollout
from chapter_code.rl2.bandits import BanditTrials
from chapter_code.rl2.reference import reference_rollout
from chapter_code.rl2.tabular_mdps import MDPTrials
from chapter_code.seeding import stream, torch_stream

N_TASKS, HIDDEN = 256, 64
N_REFERENCE_TASKS = 16
OUT = Path(__file__).resolve().parent / "results" / "rl2_speed.json"


def timed(fn: Callable[[], int], repeats: int) -> tuple[int, float]:
    """The environment steps fn takes and its best wall time over ``repeats`` runs."""
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        steps = fn()
        best = min(best, time.perf_counter() - start)
    return steps, float(best)


def trials(env: TrialEnv, policy: RL2Policy, n_tasks: int,
           fn: Callable[..., object]) -> Callable[[], int]:
    """Draw ``n_tasks`` tasks and roll one trial in each with ``fn``; returns the step count."""
    def run() -> int:
        rng = stream(0, "benchmark")
        draws = env.draw(n_tasks, rng)
        fn(policy, env, draws, rng.random((n_tasks, env.trial_length)))
        return n_tasks * env.trial_length
    return run


def main() -> None:
    torch.set_num_threads(1)
    envs: dict[str, TrialEnv] = {"bandit_k5_n100": BanditTrials(5, 100),
                                 "mdp_n10": MDPTrials(10)}
    report: dict[str, dict[str, float]] = {}
    for name, env in envs.items():
        policy = RL2Policy(env.n_obs, env.n_actions, HIDDEN, torch_stream(0, "benchmark"))
        batched = timed(trials(env, policy, N_TASKS, rollout), repeats=3)
        plain = timed(trials(env, policy, N_REFERENCE_TASKS, reference_rollout), repeats=1)
        rates = {"batched_steps_per_s": batched[0] / batched[1],
                 "per_task_steps_per_s": plain[0] / plain[1]}
        rates["ratio"] = rates["batched_steps_per_s"] / rates["per_task_steps_per_s"]
        report[name] = rates
        print(f"{name:16s} batched {rates['batched_steps_per_s']:>10,.0f} steps/s, per-task "
              f"{rates['per_task_steps_per_s']:>8,.0f} steps/s: {rates['ratio']:.1f}x")
    payload = {"setup": {"n_tasks_batched": N_TASKS, "n_tasks_per_task_loop": N_REFERENCE_TASKS,
                         "gru_hidden": HIDDEN, "torch_threads": 1,
                         "timing": "best of 3 (per-task loop: 1)"},
               "results": report, "target_ratio_at_least": 30}
    write_report(OUT, payload)


if __name__ == "__main__":
    main()
