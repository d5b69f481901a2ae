"""Sampling episodes of every task at once from a policy in :class:`Navigation2D`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from chapter_code.envs.navigation import Navigation2D
from chapter_code.meta.networks import check_generator
from chapter_code.meta.policies import task_policy


@dataclass(frozen=True)
class Episodes:
    """A batch of episodes, task-major: ``obs``/``action`` (n_tasks, n_traj, T, 2), ``reward``
    and ``mask`` (n_tasks, n_traj, T). ``mask`` is 1 on steps taken before the episode ended."""

    obs: Tensor
    action: Tensor
    reward: Tensor
    mask: Tensor

    @property
    def returns(self) -> Tensor:
        """Undiscounted return of every episode, (n_tasks, n_traj)."""
        return (self.reward * self.mask).sum(-1)

    @property
    def n_steps(self) -> int:
        """Environment steps actually taken (masked steps do not count)."""
        return int(self.mask.sum().item())


def rollout(
    policy: nn.Module, params: Mapping[str, Tensor], env: Navigation2D, noise: Tensor
) -> Episodes:
    """Run every episode of ``env`` to the horizon with a = μ_{θ_i}(s) + σ_{θ_i} ε.

    ``params``: name -> (n_tasks, ...), task i's policy parameters; ``noise``: ε of shape
    (n_tasks, n_trajectories, horizon, 2), standard normal. No gradient is recorded.
    """
    expected = (*env.shape, env.horizon, 2)
    if noise.shape != expected:
        raise ValueError(f"noise must have shape {expected}, got {tuple(noise.shape)}")

    def act(obs: Tensor, t: int) -> Tensor:
        mean, log_std = task_policy(policy, params, obs)
        return mean + torch.exp(log_std) * noise[:, :, t]

    return run_episodes(env, act)


def run_episodes(env: Navigation2D, act: Callable[[Tensor, int], Tensor]) -> Episodes:
    """Reset ``env`` and step it to the horizon with ``act(obs, t)``, without a graph."""
    obs = env.reset()
    observations, actions, rewards, masks = [], [], [], []
    with torch.no_grad():
        for t in range(env.horizon):
            action = act(obs, t)
            masks.append((~env.done).to(obs.dtype))
            observations.append(obs)
            actions.append(action)
            obs, reward, _, _ = env.step(action)
            rewards.append(reward)
    return Episodes(obs=torch.stack(observations, 2), action=torch.stack(actions, 2),
                    reward=torch.stack(rewards, 2), mask=torch.stack(masks, 2))


def sample_episodes(
    policy: nn.Module, params: Mapping[str, Tensor], env: Navigation2D,
    generator: torch.Generator,
) -> Episodes:
    """:func:`rollout` with fresh noise drawn from ``generator``."""
    generator = check_generator(generator)
    noise = torch.randn((*env.shape, env.horizon, 2), generator=generator)
    return rollout(policy, params, env, noise)


def oracle_episodes(env: Navigation2D) -> Episodes:
    """Episodes of the goal-aware oracle a = clip((g − s) / max_action, ±1) (policy units): it
    moves straight at the goal as fast as the action box allows, which minimises every step's
    distance."""
    return run_episodes(env, lambda obs, t: ((env.goals[:, None, :] - obs)
                                             / env.max_action).clamp(-1.0, 1.0))
