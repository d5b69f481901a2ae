"""Reptile's batched update against the same update taken one task at a time, timed in one run.

The workload is the sinusoid set-up of ``chapter_code.experiments.first_order_meta``: a 40-40
ReLU regressor, a meta-batch of 25 tasks with 20 points each, k = 10 inner SGD steps of size
0.01, outer step ε = 1. ``batched``: :func:`chapter_code.meta.reptile_step` with
``n_tasks=25`` (the tasks carry a leading dimension, one ``vmap`` call per step). ``per task``:
the reference, ``reptile_step`` on one task at a time, φ_i averaged by hand (the test
``test_batched_tasks_average_the_per_task_updates`` checks the two give the same θ). Both use
one torch thread.

Run: ``python benchmarks/reptile_speed.py``; writes benchmarks/results/reptile_speed.json.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from chapter_code.meta import reptile_step
from chapter_code.meta.maml import Params
from chapter_code.meta.networks import mlp
from chapter_code.meta.sinusoid import sample_points, sample_tasks
from chapter_code.meta.supervised import mse_per_task
from chapter_code.perf import write_report
from chapter_code.seeding import torch_stream

N_TASKS, N_POINTS, STEPS, INNER_LR, REPEATS = 25, 20, 10, 0.01, 5
OUT = Path(__file__).resolve().parent / "results" / "reptile_speed.json"


def main() -> None:
    torch.set_num_threads(1)
    model = mlp((1, 40, 40, 1), torch_stream(0, "init"))
    theta = {k: v.detach() for k, v in model.named_parameters()}
    generator = torch_stream(0, "tasks")
    x, y = sample_points(*sample_tasks(N_TASKS, generator), N_POINTS, generator)

    def batched() -> Params:
        return reptile_step(theta, lambda p: mse_per_task(model, p, x, y).sum(),
                            inner_lr=INNER_LR, steps=STEPS, outer_lr=1.0, n_tasks=N_TASKS)

    def per_task() -> Params:
        phis = []
        for i in range(N_TASKS):
            def loss(p: Params, i: int = i) -> torch.Tensor:
                one = {k: v[None] for k, v in p.items()}  # a task dimension of size 1
                return mse_per_task(model, one, x[i:i + 1], y[i:i + 1]).sum()
            phis.append(reptile_step(theta, loss, inner_lr=INNER_LR, steps=STEPS, outer_lr=1.0))
        return {k: torch.stack([phi[k] for phi in phis]).mean(0) for k in theta}

    a, b = batched(), per_task()
    max_difference = max(float((a[k] - b[k]).abs().max()) for k in theta)
    timings = {name: best_of(fn) for name, fn in (("batched", batched), ("per_task", per_task))}
    result = {
        "workload": {"tasks": N_TASKS, "points": N_POINTS, "inner_steps": STEPS,
                     "network": "1-40-40-1 ReLU"},
        "torch_threads": torch.get_num_threads(), "torch": torch.__version__,
        "repeats": REPEATS,
        "seconds_per_update": timings,
        "ratios": {"per_task_over_batched": timings["per_task"] / timings["batched"]},
        "max_abs_difference": max_difference,
    }
    write_report(OUT, result)


def best_of(fn: Callable[[], Params]) -> float:
    """The best wall time of ``REPEATS`` calls (the machine may be shared)."""
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.min(times))


if __name__ == "__main__":
    main()
