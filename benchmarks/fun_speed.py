"""Environment steps per second of FuN's recurrent rollouts on MiniGrid, timed in one run: the
batched rollout (one network step for all environments, as :func:`chapter_code.feudal.fun.
train_a2c` acts) against a per-environment loop doing the same computation (each environment
with its own batch-of-one network step and recurrent state), and the same for the flat LSTM
agent; acting only, no learning, one torch thread.

Run: ``python benchmarks/fun_speed.py``; writes benchmarks/results/fun_speed.json.
Target (issue): the batched rollout at least 10x the per-environment loop. Both step the same
Python MiniGrid environments one by one, which bounds what batching the network can gain.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import gymnasium
import minigrid  # noqa: F401  (registers the MiniGrid environments)
import numpy as np
import torch

from chapter_code.feudal.fun import FeudalNet, LstmNet
from chapter_code.perf import write_report
from chapter_code.seeding import torch_stream

ENV_ID, N_ENVS, N_STEPS = "MiniGrid-DoorKey-8x8-v0", 16, 200
OUT = Path(__file__).resolve().parent / "results" / "fun_speed.json"


def make_envs() -> tuple[list[Any], torch.Tensor]:
    envs = [gymnasium.make(ENV_ID) for _ in range(N_ENVS)]
    images = torch.as_tensor(np.stack([e.reset(seed=i)[0]["image"] for i, e in enumerate(envs)]))
    return envs, images


def greedy_step(envs: list[Any], logits: torch.Tensor, rows: range) -> list[np.ndarray]:
    """Step each env in ``rows`` with its argmax action; reset it where its episode ended."""
    images = []
    for i, a in zip(rows, logits.argmax(-1).tolist(), strict=True):
        obs, _, terminated, truncated, _ = envs[i].step(a)
        if terminated or truncated:
            obs, _ = envs[i].reset()
        images.append(obs["image"])
    return images


def batched(net: torch.nn.Module) -> float:
    envs, image = make_envs()
    state = net.initial_state(N_ENVS)
    start = time.perf_counter()
    with torch.no_grad():
        for _ in range(N_STEPS):
            out, state = net(image, state)
            image = torch.as_tensor(np.stack(greedy_step(envs, out["logits"], range(N_ENVS))))
    return N_ENVS * N_STEPS / (time.perf_counter() - start)


def per_env(net: torch.nn.Module) -> float:
    envs, image = make_envs()
    states = [net.initial_state(1) for _ in range(N_ENVS)]
    images = [image[i:i + 1] for i in range(N_ENVS)]
    start = time.perf_counter()
    with torch.no_grad():
        for _ in range(N_STEPS):
            for i in range(N_ENVS):
                out, states[i] = net(images[i], states[i])
                stepped = greedy_step(envs, out["logits"], range(i, i + 1))[0]
                images[i] = torch.as_tensor(stepped)[None]
    return N_ENVS * N_STEPS / (time.perf_counter() - start)


def main() -> None:
    torch.set_num_threads(1)
    nets = {"fun": FeudalNet(7, torch_stream(0, "bench-fun")),
            "lstm": LstmNet(7, torch_stream(0, "bench-lstm"))}
    rates: dict[str, float] = {}
    for name, net in nets.items():
        rates[f"{name}_batched"] = max(batched(net) for _ in range(2))
        rates[f"{name}_per_env"] = max(per_env(net) for _ in range(2))
        print(f"{name}: batched {rates[f'{name}_batched']:,.0f} steps/s, per-env loop "
              f"{rates[f'{name}_per_env']:,.0f} steps/s")
    envs, _ = make_envs()
    start = time.perf_counter()
    for _ in range(N_STEPS):
        greedy_step(envs, torch.zeros(N_ENVS, 7), range(N_ENVS))
    rates["environment_only"] = N_ENVS * N_STEPS / (time.perf_counter() - start)
    report = {
        "setup": {"env": ENV_ID, "n_envs": N_ENVS, "n_steps": N_STEPS, "torch_threads": 1,
                  "timing": "best of 2", "acting": "greedy, no learning"},
        "steps_per_s": rates,
        "ratio_fun_batched_vs_per_env": rates["fun_batched"] / rates["fun_per_env"],
        "ratio_lstm_batched_vs_per_env": rates["lstm_batched"] / rates["lstm_per_env"],
        "targets": {"batched_vs_per_env_at_least": 10},
    }
    write_report(OUT, report)


if __name__ == "__main__":
    main()
