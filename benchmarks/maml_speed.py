"""Speed of one MAML meta-iteration on Finn et al.'s 2D navigation meta-batch.

The same meta-batch (20 goals x 20 trajectories x 100 steps, one inner policy-gradient step
of 0.1 with the linear baseline, fresh trajectories from the adapted policies, second-order
meta-gradient, Adam outer step) is timed three ways in one process:

* ours: ``chapter_code.meta.MamlRL`` (all tasks together: a task dimension on the parameters,
  the Gaussian MLP policy evaluated with explicit batched matrix products ``torch.baddbmm``
  over that dimension, in the rollouts and the losses); also with the paper's TRPO outer step
  (trust-region metric F at θ', and the exact JᵀFJ), and first-order (FOMAML) with either
  outer step, for the MAML/FOMAML wall-clock ratio;
* ``higher``: ``innerloop_ctx`` with a differentiable SGD, one task at a time;
* ``torchopt``: ``MetaSGD`` with state extraction/recovery, one task at a time;
* sampling only: the iteration's two rollouts (before and after adaptation) and nothing else,
  the ceiling on environment steps per second of any learner that samples with this policy;
* listing style: the computation of the chapter's listing at its own settings (10 tasks x one
  episode of at most 50 steps, a 64-64 tanh-mean policy stepped one observation at a time
  through ``torch.distributions.Normal`` against a NumPy environment, goals in [-10, 10]^2,
  an inner gradient built with ``create_graph`` whose graph the outer gradient then
  bypasses, as the MAML notebook's pitfall box describes), written here from that
  description, to check the quoted constant below in the same run.

Run: ``python benchmarks/maml_speed.py [--repeats N]``. Writes
``benchmarks/results/maml_speed.json`` and prints the ratios. The source chapter's listing has
been quoted as running about 1.7 meta-iterations/s, about 1.7k environment steps/s (train +
validation) on a machine of this kind; ratios are given against that constant and against the
listing-style loop timed here.

Everything is timed twice: first with glibc's default allocator (ours only), then, for every
method, after :func:`chapter_code.allocator.keep_freed_memory` (large tensors from malloc's
heap, freed memory kept for reuse: no page faults on the 16 MB activations autograd allocates
and frees; the command line sets it too). The allocator ratios are reported.

Where a tuned iteration's time goes (two threads, Adam outer step, each op timed): the two
rollouts' 2 x 100 sequential small steps about a third; the large batched matrix products
(3-5 ms each at (20, 2000, 100) x (20, 100, 100)) and the element-wise passes over the
(20, 2000, 100) activations (ReLU's backward and double backward, sums) most of the rest.
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable
from pathlib import Path

import higher
import numpy as np
import torch
import torchopt

from chapter_code.allocator import keep_freed_memory
from chapter_code.envs.navigation import Navigation2D, sample_goals
from chapter_code.meta.baselines import discounted_returns
from chapter_code.meta.maml import detached, expand_params
from chapter_code.meta.maml_rl import MamlRL, advantages, masked_task_mean
from chapter_code.meta.policies import GaussianMLPPolicy, gaussian_log_prob
from chapter_code.meta.rollout import Episodes, run_episodes, sample_episodes
from chapter_code.perf import write_report

LISTING_ENV_STEPS_PER_SECOND = 1.7e3
SAMPLER = GaussianMLPPolicy(2, 2, torch.Generator().manual_seed(0))
N_TASKS, N_TRAJECTORIES, INNER_LR, GAMMA = 20, 20, 0.1, 0.99
OUT = Path(__file__).resolve().parent / "results" / "maml_speed.json"


def sample_with_module(module: torch.nn.Module, goal: torch.Tensor,
                       generator: torch.Generator) -> Episodes:
    """Episodes of one task from a (possibly adapted) policy module."""
    env = Navigation2D(goal[None], N_TRAJECTORIES)
    noise = torch.randn((1, N_TRAJECTORIES, env.horizon, 2), generator=generator)

    def act(obs: torch.Tensor, t: int) -> torch.Tensor:
        mean, log_std = module(obs)
        return mean + torch.exp(log_std) * noise[:, :, t]

    return run_episodes(env, act)


def pg_loss(module: torch.nn.Module, episodes: Episodes, adv: torch.Tensor,
            surrogate: bool = False) -> torch.Tensor:
    """The inner loss −E[log π Â], or the outer surrogate −E[π/π_old Â] at π = π_old."""
    mean, log_std = module(episodes.obs)
    log_prob = gaussian_log_prob(mean, log_std, episodes.action)
    weight = torch.exp(log_prob - log_prob.detach()) if surrogate else log_prob
    return -masked_task_mean(weight * adv, episodes.mask).sum()


def higher_iteration(policy: torch.nn.Module, outer: torch.optim.Optimizer,
                     goals: torch.Tensor, generator: torch.Generator) -> int:
    inner = torch.optim.SGD(policy.parameters(), lr=INNER_LR)
    outer.zero_grad()
    steps = 0
    for goal in goals:
        with higher.innerloop_ctx(policy, inner, copy_initial_weights=False) as (fmodel, diffopt):
            train = sample_with_module(fmodel, goal, generator)
            diffopt.step(pg_loss(fmodel, train, advantages(train, GAMMA)))
            valid = sample_with_module(fmodel, goal, generator)
            (pg_loss(fmodel, valid, advantages(valid, GAMMA), True) / len(goals)).backward()
        steps += train.n_steps + valid.n_steps
    outer.step()
    return steps


def torchopt_iteration(policy: torch.nn.Module, outer: torch.optim.Optimizer,
                       goals: torch.Tensor, generator: torch.Generator) -> int:
    inner = torchopt.MetaSGD(policy, lr=INNER_LR)
    state = torchopt.extract_state_dict(policy)
    outer.zero_grad()
    steps = 0
    for goal in goals:
        train = sample_with_module(policy, goal, generator)
        inner.step(pg_loss(policy, train, advantages(train, GAMMA)))
        valid = sample_with_module(policy, goal, generator)
        (pg_loss(policy, valid, advantages(valid, GAMMA), True) / len(goals)).backward()
        torchopt.recover_state_dict(policy, state)
        steps += train.n_steps + valid.n_steps
    outer.step()
    return steps


class ListingPolicy(torch.nn.Module):
    """The listing's policy: mean tanh(MLP 2-64-64-2), σ = exp(log σ) clamped to [1e-3, 1]."""

    def __init__(self) -> None:
        super().__init__()
        self.body = torch.nn.Sequential(torch.nn.Linear(2, 64), torch.nn.ReLU(),
                                        torch.nn.Linear(64, 64), torch.nn.ReLU(),
                                        torch.nn.Linear(64, 2))
        self.log_std = torch.nn.Parameter(torch.zeros(2))

    def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.tanh(self.body(obs)), torch.exp(self.log_std).clamp(1e-3, 1.0)


def listing_episode(policy: torch.nn.Module, goal: np.ndarray,
                    generator: torch.Generator) -> tuple[torch.Tensor, int]:
    """One episode stepped a single observation at a time; REINFORCE loss with normalised
    discounted returns and the number of steps taken."""
    position = np.zeros(2, dtype=np.float32)
    log_probs, rewards = [], []
    for _ in range(50):
        mean, std = policy(torch.as_tensor(position)[None])
        distribution = torch.distributions.Normal(mean, std)
        action = (mean + std * torch.randn(mean.shape, generator=generator)).detach()
        log_probs.append(distribution.log_prob(action).sum(-1))
        position = position + 0.5 * action.numpy()[0]
        distance = float(np.linalg.norm(position - goal))
        rewards.append(-distance)
        if distance < 0.5:
            break
    returns = discounted_returns(torch.tensor(rewards)[None], GAMMA)[0]
    returns = (returns - returns.mean()) / (returns.std(correction=0) + 1e-8)
    return -(torch.cat(log_probs) * returns).mean(), len(rewards)


def listing_style(policy: torch.nn.Module, outer: torch.optim.Optimizer,
                  goals: torch.Tensor, generator: torch.Generator) -> int:
    """One meta-iteration of the listing's computation on 10 goals in [-10, 10]^2 (the
    benchmark's goals, rescaled). Its outer gradient is first order (the data swap of the MAML
    notebook's pitfall box)."""
    outer.zero_grad()
    meta_loss, steps = torch.zeros(()), 0
    for goal in (20 * goals[:10]).numpy():
        loss, n = listing_episode(policy, goal, generator)
        grads = torch.autograd.grad(loss, list(policy.parameters()), create_graph=True)
        saved = [p.detach().clone() for p in policy.parameters()]
        for p, g in zip(policy.parameters(), grads, strict=True):
            p.data = (p - INNER_LR * g).detach()
        valid_loss, m = listing_episode(policy, goal, generator)
        meta_loss = meta_loss + valid_loss
        for p, old in zip(policy.parameters(), saved, strict=True):
            p.data = old
        steps += n + m
    (meta_loss / 10).backward()
    outer.step()
    return steps


def sampling_only(goals: torch.Tensor, generator: torch.Generator) -> int:
    """The two rollouts of a meta-iteration (the adapted parameters replaced by θ)."""
    env = Navigation2D(goals, N_TRAJECTORIES)
    params = detached(expand_params(dict(SAMPLER.named_parameters()), len(goals)))
    return sum(sample_episodes(SAMPLER, params, env, generator).n_steps for _ in range(2))


def time_it(step: Callable[[torch.Tensor, torch.Generator], int], repeats: int) -> dict:
    generator = torch.Generator().manual_seed(0)
    step(sample_goals(N_TASKS, generator), generator)  # warm-up
    seconds, steps = [], []
    for _ in range(repeats):
        goals = sample_goals(N_TASKS, generator)
        start = time.perf_counter()
        steps.append(step(goals, generator))
        seconds.append(time.perf_counter() - start)
    mean = float(np.mean(seconds))
    return {"seconds_per_iteration": mean, "seconds": seconds,
            "env_steps_per_iteration": float(np.mean(steps)),
            "env_steps_per_second": float(np.mean(steps)) / mean}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    def policy() -> GaussianMLPPolicy:
        return GaussianMLPPolicy(2, 2, torch.Generator().manual_seed(0))

    def ours(outer: str, first_order: bool = False, trust_region: str = "adapted"
             ) -> Callable[[torch.Tensor, torch.Generator], int]:
        learner = MamlRL(policy(), inner_lr=INNER_LR, outer=outer, outer_lr=1e-3,
                         first_order=first_order, n_trajectories=N_TRAJECTORIES,
                         trust_region=trust_region)
        return lambda goals, generator: learner.meta_step(goals, generator).env_steps

    def looped(iteration: Callable, make: Callable[[], torch.nn.Module] = policy,
               ) -> Callable[[torch.Tensor, torch.Generator], int]:
        module = make()
        outer = torch.optim.Adam(module.parameters(), lr=1e-3)
        return lambda goals, generator: iteration(module, outer, goals, generator)

    default_allocator = {"ours_adam": time_it(ours("adam"), args.repeats),
                         "ours_trpo": time_it(ours("trpo"), args.repeats)}
    if not keep_freed_memory():
        raise SystemExit("this benchmark needs glibc's malloc (Linux)")
    timings = {
        "ours_adam": time_it(ours("adam"), args.repeats),
        "ours_trpo": time_it(ours("trpo"), args.repeats),
        "ours_trpo_exact": time_it(ours("trpo", trust_region="exact"), args.repeats),
        "ours_fomaml_adam": time_it(ours("adam", first_order=True), args.repeats),
        "ours_fomaml_trpo": time_it(ours("trpo", first_order=True), args.repeats),
        "higher_adam": time_it(looped(higher_iteration), args.repeats),
        "torchopt_adam": time_it(looped(torchopt_iteration), args.repeats),
        "sampling_only": time_it(sampling_only, args.repeats),
        "listing_style": time_it(looped(listing_style, ListingPolicy), args.repeats),
    }
    ours_time = timings["ours_adam"]["seconds_per_iteration"]
    ratios = {
        "higher_over_ours": timings["higher_adam"]["seconds_per_iteration"] / ours_time,
        "torchopt_over_ours": timings["torchopt_adam"]["seconds_per_iteration"] / ours_time,
        "maml_over_fomaml_adam":
            ours_time / timings["ours_fomaml_adam"]["seconds_per_iteration"],
        "maml_over_fomaml_trpo": timings["ours_trpo"]["seconds_per_iteration"]
            / timings["ours_fomaml_trpo"]["seconds_per_iteration"],
        "allocator_speedup_adam": default_allocator["ours_adam"]["seconds_per_iteration"]
            / ours_time,
        "allocator_speedup_trpo": default_allocator["ours_trpo"]["seconds_per_iteration"]
            / timings["ours_trpo"]["seconds_per_iteration"],
        "exact_over_adapted_trust_region": timings["ours_trpo_exact"]["seconds_per_iteration"]
            / timings["ours_trpo"]["seconds_per_iteration"],
        "listing_style_env_steps_over_listing":
            timings["listing_style"]["env_steps_per_second"] / LISTING_ENV_STEPS_PER_SECOND,
        "ours_adam_env_steps_over_listing_style": timings["ours_adam"]["env_steps_per_second"]
            / timings["listing_style"]["env_steps_per_second"],
        "ours_adam_env_steps_over_listing":
            timings["ours_adam"]["env_steps_per_second"] / LISTING_ENV_STEPS_PER_SECOND,
        "ours_trpo_env_steps_over_listing":
            timings["ours_trpo"]["env_steps_per_second"] / LISTING_ENV_STEPS_PER_SECOND,
        "ours_fomaml_adam_env_steps_over_listing":
            timings["ours_fomaml_adam"]["env_steps_per_second"] / LISTING_ENV_STEPS_PER_SECOND,
        "sampling_only_env_steps_over_listing":
            timings["sampling_only"]["env_steps_per_second"] / LISTING_ENV_STEPS_PER_SECOND,
    }
    report = {"meta_batch": {"tasks": N_TASKS, "trajectories": N_TRAJECTORIES, "horizon": 100},
              "torch_threads": torch.get_num_threads(), "torch": torch.__version__,
              "machine": platform.machine(), "repeats": args.repeats,
              "listing_env_steps_per_second": LISTING_ENV_STEPS_PER_SECOND,
              "default_allocator_timings": default_allocator, "timings": timings,
              "ratios": ratios}
    write_report(OUT, report)
    print("ours: every task at once, the policy as batched matmuls (torch.baddbmm) over the task "
          "dimension; higher/torchopt: one task at a time with the policy module")
    for name, timing in default_allocator.items():
        print(f"{name + ' (default allocator)':36s} {timing['seconds_per_iteration']:.3f} s/it")
    for name, timing in timings.items():
        print(f"{name:16s} {timing['seconds_per_iteration']:.3f} s/iteration "
              f"{timing['env_steps_per_second']:,.0f} env steps/s")
    for name, value in ratios.items():
        print(f"{name:34s} {value:.1f}x")


if __name__ == "__main__":
    main()
