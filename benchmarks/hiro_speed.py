"""HIRO's costs, timed in one run: environment steps per second of the vectorised torch point
maze (:class:`chapter_code.hiro.PointMaze`, many mazes per call) against stepping the real
``PointMaze_UMaze-v3`` (MuJoCo, one env); TD3 updates per second of ``n`` learners held as one
stacked network (:class:`chapter_code.hiro.TD3`) against a plain loop over ``n`` separate
one-learner TD3s; the same for HIRO's whole two-level update (a worker step, and a manager step
with the off-policy correction, :func:`chapter_code.hiro.update_levels`) of ``n`` learners in one
agent against a loop over ``n`` one-learner agents; and the wall-clock of a short HIRO run.

Run: ``python benchmarks/hiro_speed.py``; writes benchmarks/results/hiro_speed.json.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import gymnasium
import gymnasium_robotics
import numpy as np
import torch

from chapter_code.hiro import (
    TD3,
    Batch,
    HiroAgent,
    HiroConfig,
    PointMaze,
    Replay,
    TD3Config,
    hiro_memories,
    train_hiro,
    update_levels,
)
from chapter_code.perf import write_report
from chapter_code.seeding import stream, torch_stream

N_MAZES, MAZE_STEPS = 1024, 300
REAL_STEPS = 3000
N_LEARNERS, BATCH, UPDATES = 5, 128, 200
OUT = Path(__file__).resolve().parent / "results" / "hiro_speed.json"


def best_time(fn: Callable[[], None], repeats: int = 3) -> float:
    """The best wall time of ``repeats`` calls (the machine is shared)."""
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return float(best)


def torch_maze() -> None:
    env = PointMaze(N_MAZES, max_steps=MAZE_STEPS)
    gen = torch_stream(0, "bench")
    env.reset(gen)
    actions = torch.rand((MAZE_STEPS, N_MAZES, 2), generator=gen) * 2 - 1
    for t in range(MAZE_STEPS):
        env.step(actions[t])


def real_maze() -> None:
    env = gymnasium.make("PointMaze_UMaze-v3", continuing_task=False, reward_type="dense",
                         max_episode_steps=REAL_STEPS + 1)
    env.reset(seed=0)
    actions = stream(0, "bench").uniform(-1, 1, size=(REAL_STEPS, 2))
    for t in range(REAL_STEPS):
        env.step(actions[t])


def batch(n: int) -> Batch:
    gen = torch_stream(0, "batch")
    return Batch(torch.randn(n, BATCH, 6, generator=gen), torch.rand(n, BATCH, 2) * 2 - 1,
                 torch.randn(n, BATCH, generator=gen), torch.randn(n, BATCH, 6, generator=gen),
                 torch.zeros(n, BATCH, dtype=torch.bool))


def stacked_updates() -> None:
    agent = TD3(N_LEARNERS, 6, 2, TD3Config(), generator=torch_stream(0, "init"))
    b, gen = batch(N_LEARNERS), torch_stream(0, "u")
    for _ in range(UPDATES):
        agent.update(b, gen)


def looped_updates() -> None:
    agents = [TD3(1, 6, 2, TD3Config(), generator=torch_stream(i, "init"))
              for i in range(N_LEARNERS)]
    b, gen = batch(1), torch_stream(0, "u")
    for _ in range(UPDATES):
        for agent in agents:
            agent.update(b, gen)


def filled_memories(config: HiroConfig) -> tuple[Replay, Replay]:
    """HIRO's two replay memories for ``config``, full of random transitions."""
    gen = torch_stream(0, "memories")
    memories = hiro_memories(config)
    for memory in memories:
        memory.add(**{k: torch.rand(v.shape, generator=gen) * 2 - 1
                      for k, v in memory.data.items()})
    return memories


def two_level_updates(n_agents: int, n_learners: int) -> Callable[[], None]:
    """``UPDATES`` HIRO updates (worker every call, manager with the correction every c-th) of
    ``n_agents`` agents of ``n_learners`` learners each."""
    config = HiroConfig(n_learners=n_learners, batch_size=BATCH, capacity=1000)
    agents = [HiroAgent(config, torch_stream(i, "init")) for i in range(n_agents)]
    memories = [filled_memories(config) for _ in agents]
    gen = torch_stream(0, "u")

    def run() -> None:
        for u in range(UPDATES):
            for agent, (worker, manager) in zip(agents, memories, strict=True):
                update_levels(agent, worker, manager, correction=True,
                              manager_turn=u % config.c == config.c - 1, generator=gen)
    return run


def main() -> None:
    torch.set_num_threads(1)
    gymnasium.register_envs(gymnasium_robotics)
    maze_s, real_s = best_time(torch_maze), best_time(real_maze)
    stacked_s, looped_s = best_time(stacked_updates), best_time(looped_updates)
    hiro_stacked_s = best_time(two_level_updates(1, N_LEARNERS))
    hiro_looped_s = best_time(two_level_updates(N_LEARNERS, 1))
    config = HiroConfig(n_learners=5, env_steps=10_000, eval_every=10_000)
    start = time.perf_counter()
    train_hiro(config, seed=0)
    run_s = time.perf_counter() - start
    out = {
        "env_steps_per_s": {"torch_point_maze": N_MAZES * MAZE_STEPS / maze_s,
                            "PointMaze_UMaze-v3": REAL_STEPS / real_s},
        "maze_speedup": (N_MAZES * MAZE_STEPS / maze_s) / (REAL_STEPS / real_s),
        "learner_updates_per_s": {"stacked": N_LEARNERS * UPDATES / stacked_s,
                                  "loop": N_LEARNERS * UPDATES / looped_s},
        "update_speedup": looped_s / stacked_s,
        "hiro_updates_per_s": {"stacked": N_LEARNERS * UPDATES / hiro_stacked_s,
                               "loop": N_LEARNERS * UPDATES / hiro_looped_s},
        "hiro_update_speedup": hiro_looped_s / hiro_stacked_s,
        "hiro_seconds_per_10k_env_steps_5_learners": run_s,
        "settings": {"n_mazes": N_MAZES, "n_learners": N_LEARNERS, "batch": BATCH,
                     "torch_threads": 1},
    }
    write_report(OUT, out)


if __name__ == "__main__":
    main()
