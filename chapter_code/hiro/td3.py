"""TD3 (Fujimoto, van Hoof & Meger 2018), the learner of both HIRO levels, batched over
independent learners: every network is ``n`` stacked MLPs, learner i's slice computed by its own
weights only, so many seeds train in one set of tensor operations.

The three changes TD3 makes to DDPG, one function each:

- target policy smoothing: ã = clip(μ'(s') + clip(ε, -noise_clip, noise_clip), -1, 1),
  ε ~ N(0, σ²) (Fujimoto et al. 2018, eq. 14);
- clipped double Q-learning: y = r + γ (1 - terminated) min_{j=1,2} Q'_j(s', ã) (eq. 10);
- delayed policy updates: the actor and the targets move once every ``policy_delay`` critic
  updates (§5.2, Algorithm 1), the targets by θ' <- τ θ + (1 - τ) θ'.

Actions live in [-1, 1]^m (``tanh`` output); callers scale them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import Tensor, nn

from chapter_code._checks import check_int, check_real


class StackedMLP(nn.Module):
    """``n`` independent ReLU MLPs with two hidden layers, held as stacked tensors:
    x (n, B, n_in) -> (n, B, n_out). Initialised as PyTorch's ``Linear``, U(±1/sqrt(fan_in)),
    from ``generator``; ``tanh`` on the output if ``squash``."""

    def __init__(self, n: int, n_in: int, n_hidden: int, n_out: int, *,
                 generator: torch.Generator, squash: bool = False) -> None:
        super().__init__()
        sizes = [n_in, n_hidden, n_hidden, n_out]
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
            bound = 1.0 / math.sqrt(fan_in)
            self.weights.append(nn.Parameter(
                (2 * torch.rand((n, fan_in, fan_out), generator=generator) - 1) * bound))
            self.biases.append(nn.Parameter(
                (2 * torch.rand((n, 1, fan_out), generator=generator) - 1) * bound))
        self.squash = squash

    def forward(self, x: Tensor) -> Tensor:
        last = len(self.weights) - 1
        for i, (W, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            x = torch.baddbmm(b, x, W)
            if i < last:
                x = torch.relu(x)
        return torch.tanh(x) if self.squash else x


def smoothed_target_action(target_action: Tensor, noise_std: float, noise_clip: float,
                           generator: torch.Generator) -> Tensor:
    """Target policy smoothing: clip(μ'(s') + clip(ε, -noise_clip, noise_clip), -1, 1),
    ε ~ N(0, noise_std²) (Fujimoto et al. 2018, eq. 14). ``target_action``: μ'(s'), any
    shape."""
    noise = torch.randn(target_action.shape, generator=generator, dtype=target_action.dtype)
    noise = (noise * noise_std).clamp(-noise_clip, noise_clip)
    return (target_action + noise).clamp(-1.0, 1.0)


def clipped_double_q_target(reward: Tensor, gamma: float, terminated: Tensor, q1_next: Tensor,
                            q2_next: Tensor) -> Tensor:
    """y = r + γ (1 - terminated) min(Q'_1(s', ã), Q'_2(s', ã)) (Fujimoto et al. 2018,
    eq. 10). All tensors of one shape; ``terminated`` boolean (a time limit is not one)."""
    return reward + gamma * (~terminated).to(reward.dtype) * torch.minimum(q1_next, q2_next)


def is_policy_step(update: int, policy_delay: int) -> bool:
    """Whether critic update number ``update`` (0, 1, ...) is followed by an actor and target
    update: every ``policy_delay``-th (Fujimoto et al. 2018, Algorithm 1, "if t mod d")."""
    return (update + 1) % policy_delay == 0


@torch.no_grad()
def soft_update(target: nn.Module, source: nn.Module, tau: float) -> None:
    """θ' <- τ θ + (1 - τ) θ' for every parameter (Fujimoto et al. 2018, Algorithm 1)."""
    for t, s in zip(target.parameters(), source.parameters(), strict=True):
        t.mul_(1.0 - tau).add_(s, alpha=tau)


class Batch(NamedTuple):
    """A minibatch for each learner: obs (n, B, obs_dim), action (n, B, m) in [-1, 1],
    reward (n, B), next_obs (n, B, obs_dim), terminated (n, B) bool."""

    obs: Tensor
    action: Tensor
    reward: Tensor
    next_obs: Tensor
    terminated: Tensor


@dataclass(frozen=True)
class TD3Config:
    """TD3's hyper-parameters (defaults: Fujimoto et al. 2018, Table 3, except the smaller
    networks)."""

    gamma: float = 0.99
    """discount γ"""
    tau: float = 0.005
    """target update rate τ"""
    lr: float = 3e-4
    """Adam step size of actor and critics"""
    hidden: int = 64
    """units in each of the two hidden layers"""
    policy_noise: float = 0.2
    """σ of the target policy smoothing noise"""
    noise_clip: float = 0.5
    """bound on that noise"""
    policy_delay: int = 2
    """critic updates per actor and target update"""

    def __post_init__(self) -> None:
        check_real("gamma", self.gamma, low=0.0, high=1.0)
        check_real("tau", self.tau, low=0.0, high=1.0, low_open=True)
        check_real("lr", self.lr, low=0.0, low_open=True)
        check_int("hidden", self.hidden, minimum=1)
        check_real("policy_noise", self.policy_noise, low=0.0)
        check_real("noise_clip", self.noise_clip, low=0.0)
        check_int("policy_delay", self.policy_delay, minimum=1)


class TD3(nn.Module):
    """``n`` independent TD3 learners: actor μ, critics Q1, Q2 and their targets."""

    def __init__(self, n: int, obs_dim: int, action_dim: int, config: TD3Config, *,
                 generator: torch.Generator) -> None:
        super().__init__()
        self.n = check_int("n", n, minimum=1)
        self.config = config
        h = config.hidden
        self.actor = StackedMLP(n, obs_dim, h, action_dim, generator=generator, squash=True)
        self.q1 = StackedMLP(n, obs_dim + action_dim, h, 1, generator=generator)
        self.q2 = StackedMLP(n, obs_dim + action_dim, h, 1, generator=generator)
        self.actor_target = StackedMLP(n, obs_dim, h, action_dim, generator=generator,
                                       squash=True)
        self.q1_target = StackedMLP(n, obs_dim + action_dim, h, 1, generator=generator)
        self.q2_target = StackedMLP(n, obs_dim + action_dim, h, 1, generator=generator)
        for target, source in ((self.actor_target, self.actor), (self.q1_target, self.q1),
                               (self.q2_target, self.q2)):
            target.load_state_dict(source.state_dict())
            target.requires_grad_(False)
        self.actor_opt = torch.optim.Adam(self.actor.parameters(), lr=config.lr, foreach=True)
        self.critic_opt = torch.optim.Adam([*self.q1.parameters(), *self.q2.parameters()],
                                           lr=config.lr, foreach=True)
        self.updates = 0

    def act(self, obs: Tensor) -> Tensor:
        """The deterministic action μ(s): (n, B, obs_dim) -> (n, B, m)."""
        with torch.no_grad():
            return self.actor(obs)

    def target(self, batch: Batch, generator: torch.Generator) -> Tensor:
        """The critics' regression target y of :func:`clipped_double_q_target` with the
        smoothed target action: (n, B)."""
        c = self.config
        with torch.no_grad():
            action = smoothed_target_action(self.actor_target(batch.next_obs), c.policy_noise,
                                            c.noise_clip, generator)
            x = torch.cat([batch.next_obs, action], dim=-1)
            return clipped_double_q_target(batch.reward, c.gamma, batch.terminated,
                                           self.q1_target(x)[..., 0], self.q2_target(x)[..., 0])

    def update(self, batch: Batch, generator: torch.Generator) -> None:
        """One TD3 step for every learner: the critics toward :meth:`target`, then, on every
        ``policy_delay``-th call, the actor up the gradient of Q1(s, μ(s)) and a soft target
        update (Fujimoto et al. 2018, Algorithm 1). Each learner's loss is summed over
        learners, so its gradient is its own mean-squared error's."""
        y = self.target(batch, generator)
        x = torch.cat([batch.obs, batch.action], dim=-1)
        critic_loss = ((self.q1(x)[..., 0] - y).pow(2).mean(dim=1)
                       + (self.q2(x)[..., 0] - y).pow(2).mean(dim=1)).sum()
        self.critic_opt.zero_grad()
        critic_loss.backward()
        self.critic_opt.step()
        if is_policy_step(self.updates, self.config.policy_delay):
            q = self.q1(torch.cat([batch.obs, self.actor(batch.obs)], dim=-1))[..., 0]
            actor_loss = -q.mean(dim=1).sum()
            self.actor_opt.zero_grad()
            actor_loss.backward()
            self.actor_opt.step()
            for target, source in ((self.actor_target, self.actor), (self.q1_target, self.q1),
                                   (self.q2_target, self.q2)):
                soft_update(target, source, self.config.tau)
        self.updates += 1
