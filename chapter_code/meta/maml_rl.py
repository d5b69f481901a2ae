"""MAML for reinforcement learning (Finn et al. 2017, Algorithm 3), every task of a meta-batch
stepped together.

Inner step (per task i, 20 trajectories): vanilla policy gradient with the linear baseline,
    θ'_i = θ − α ∇_θ L_i(θ),   L_i(θ) = −E[log π_θ(a|s) Â(s, a)]     (Finn et al. 2017, eq. 1)
Outer step: the surrogate Σ_i E_{π_θ'_i,old}[π_θ'_i(a|s) / π_θ'_i,old(a|s) Â] of fresh episodes
from the adapted policies, differentiated through the inner step (second order unless
``first_order``), and maximised by TRPO within KL ≤ 0.01 or by Adam.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from chapter_code._checks import check_choice, check_int, check_real
from chapter_code.envs.navigation import Navigation2D
from chapter_code.meta.baselines import discounted_returns, linear_baseline
from chapter_code.meta.maml import Params, adapt, expand_params
from chapter_code.meta.networks import check_generator
from chapter_code.meta.policies import gaussian_kl, gaussian_log_prob, task_policy
from chapter_code.meta.rollout import Episodes, sample_episodes
from chapter_code.meta.trpo import trpo_step

Stage = tuple[Episodes, Tensor]


def masked_task_mean(values: Tensor, mask: Tensor) -> Tensor:
    """Mean of ``values`` over every task's valid steps: (n_tasks, n_traj, T) -> (n_tasks,)."""
    return (values * mask).sum((1, 2)) / mask.sum((1, 2)).clamp(min=1.0)


def advantages(episodes: Episodes, gamma: float) -> Tensor:
    """Â = R_t − b(s_t) with each task's linear baseline, normalised to zero mean and unit
    variance over the task's valid steps (rllab's ``center_adv``). Shape (n_tasks, n_traj, T)."""
    returns = discounted_returns(episodes.reward * episodes.mask, gamma)
    adv = (returns - linear_baseline(episodes.obs, returns, episodes.mask)) * episodes.mask
    mean = masked_task_mean(adv, episodes.mask)[:, None, None]
    var = masked_task_mean((adv - mean) ** 2, episodes.mask)[:, None, None]
    return (adv - mean) / (var.sqrt() + 1e-8) * episodes.mask


def policy_gradient_loss(
    policy: nn.Module, params: Mapping[str, Tensor], episodes: Episodes, adv: Tensor
) -> Tensor:
    """Σ_i L_i(θ_i), L_i = −mean over task i's steps of log π_{θ_i}(a|s) Â (REINFORCE with a
    baseline; Williams 1992). Summed so its gradient in task i's slice is ∇L_i."""
    mean, log_std = task_policy(policy, params, episodes.obs)
    log_prob = gaussian_log_prob(mean, log_std, episodes.action)
    return -masked_task_mean(log_prob * adv, episodes.mask).sum()


def sample_and_adapt(
    policy: nn.Module,
    params: Mapping[str, Tensor],
    env: Navigation2D,
    inner_lrs: Sequence[float],
    gamma: float,
    generator: torch.Generator,
) -> tuple[list[Stage], Params]:
    """For each step size α_j: sample episodes with the current per-task parameters, then take
    one policy-gradient step. ``params`` have a leading task dimension. Returns the stages
    (episodes, advantages) and the final adapted parameters, all without a graph."""
    current = {k: v.detach() for k, v in params.items()}
    stages: list[Stage] = []
    for lr in inner_lrs:
        episodes = sample_episodes(policy, current, env, generator)
        adv = advantages(episodes, gamma)
        stages.append((episodes, adv))
        current = adapt(current, _loss_on(policy, episodes, adv), inner_lr=lr, first_order=True)
        current = {k: v.detach() for k, v in current.items()}
    return stages, current


def _loss_on(policy: nn.Module, episodes: Episodes, adv: Tensor) -> Any:
    return lambda p: policy_gradient_loss(policy, p, episodes, adv)


def adaptation_episodes(
    policy: nn.Module,
    params: Mapping[str, Tensor],
    goals: Tensor,
    *,
    inner_lrs: Sequence[float] = (0.1, 0.05, 0.05),
    n_trajectories: int = 20,
    gamma: float = 0.99,
    squared_reward: bool = False,
    generator: torch.Generator,
) -> list[Episodes]:
    """Episodes of every goal after 0, 1, ..., len(inner_lrs) policy-gradient steps from the
    shared ``params`` (Finn et al. 2017, Fig. 4 protocol: step sizes 0.1 then 0.05)."""
    for j, lr in enumerate(inner_lrs):
        check_real(f"inner_lrs[{j}]", lr, low=0.0, low_open=True)
    generator = check_generator(generator)
    env = Navigation2D(goals, n_trajectories, squared_reward=squared_reward)
    stages, final = sample_and_adapt(policy, expand_params(params, env.n_tasks), env,
                                     inner_lrs, gamma, generator)
    return [episodes for episodes, _ in stages] + [sample_episodes(policy, final, env,
                                                                   generator)]


@dataclass(frozen=True)
class MetaStepInfo:
    """One meta-iteration: mean episode return before and after adaptation, environment
    steps taken, wall-clock seconds, and the outer step's KL (TRPO) or 0."""

    return_before: float
    return_after: float
    env_steps: int
    seconds: float
    kl: float


class MamlRL:
    """MAML (or FOMAML with ``first_order``) for a policy on :class:`Navigation2D` tasks.

    ``inner_steps`` = 0 gives plain multi-task training of one policy on all tasks (the
    paper's "pretrained" baseline). ``outer`` is ``"trpo"`` (the paper) or ``"adam"``.
    """

    def __init__(
        self,
        policy: nn.Module,
        *,
        inner_lr: float = 0.1,
        inner_steps: int = 1,
        first_order: bool = False,
        outer: str = "trpo",
        max_kl: float = 0.01,
        outer_lr: float = 0.01,
        gamma: float = 0.99,
        n_trajectories: int = 20,
        squared_reward: bool = False,
    ) -> None:
        if not isinstance(policy, nn.Module):
            raise TypeError(f"policy must be a torch.nn.Module, got {type(policy).__name__}")
        self.policy = policy
        self.params: Params = dict(policy.named_parameters())
        self.inner_lr = check_real("inner_lr", inner_lr, low=0.0, low_open=True)
        self.inner_steps = check_int("inner_steps", inner_steps, minimum=0)
        if not isinstance(first_order, bool):
            raise TypeError(f"first_order must be a bool, got {first_order!r}")
        self.first_order = first_order
        self.outer = check_choice("outer", outer, ("trpo", "adam"))
        self.max_kl = check_real("max_kl", max_kl, low=0.0, low_open=True)
        self.gamma = check_real("gamma", gamma, low=0.0, high=1.0)
        self.n_trajectories = check_int("n_trajectories", n_trajectories, minimum=2)
        self.squared_reward = squared_reward
        self.optimizer = (torch.optim.Adam(self.params.values(),
                                           lr=check_real("outer_lr", outer_lr, low=0.0,
                                                         low_open=True))
                          if self.outer == "adam" else None)

    def meta_step(self, goals: Tensor, generator: torch.Generator) -> MetaStepInfo:
        """One meta-iteration on the tasks ``goals`` (n_tasks, 2): sample, adapt, sample again,
        and update θ through the adaptation (Finn et al. 2017, Algorithm 3)."""
        generator = check_generator(generator)
        start = time.perf_counter()
        env = Navigation2D(goals, self.n_trajectories, squared_reward=self.squared_reward)
        n_tasks = env.n_tasks
        stages, adapted = sample_and_adapt(
            self.policy, expand_params(self.params, n_tasks), env,
            [self.inner_lr] * self.inner_steps, self.gamma, generator)
        valid = sample_episodes(self.policy, adapted, env, generator)
        valid_adv = advantages(valid, self.gamma)
        with torch.no_grad():
            old_mean, old_log_std = task_policy(self.policy, adapted, valid.obs)
            old_log_prob = gaussian_log_prob(old_mean, old_log_std, valid.action)

        def adapt_tasks(params: Params, first_order: bool) -> Params:
            current = expand_params(params, n_tasks)
            for episodes, adv in stages:
                current = adapt(current, _loss_on(self.policy, episodes, adv),
                                inner_lr=self.inner_lr, first_order=first_order)
            return current

        def surrogate_and_kl(current: Params) -> tuple[Tensor, Tensor]:
            mean, log_std = task_policy(self.policy, current, valid.obs)
            ratio = torch.exp(gaussian_log_prob(mean, log_std, valid.action) - old_log_prob)
            loss = -masked_task_mean(ratio * valid_adv, valid.mask).mean()
            kl = masked_task_mean(gaussian_kl(old_mean, old_log_std, mean, log_std),
                                  valid.mask).mean()
            return loss, kl

        def loss_fn(params: Params) -> Tensor:
            return surrogate_and_kl(adapt_tasks(params, self.first_order))[0]

        if self.optimizer is None:
            # the trust region's metric is the Fisher matrix at the adapted parameters (the KL
            # through a first-order adaptation); the line search checks the exact KL
            info = trpo_step(
                self.params, loss_fn,
                kl_fn=lambda params: surrogate_and_kl(adapt_tasks(params, True))[1],
                evaluate=lambda params: surrogate_and_kl(adapt_tasks(params, True)),
                max_kl=self.max_kl)
            kl = info.kl
        else:
            loss = loss_fn(self.params)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            kl = 0.0
        first = stages[0][0] if stages else valid
        return MetaStepInfo(
            return_before=float(first.returns.mean()), return_after=float(valid.returns.mean()),
            env_steps=sum(ep.n_steps for ep, _ in stages) + valid.n_steps,
            seconds=time.perf_counter() - start, kl=kl)
