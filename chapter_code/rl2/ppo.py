"""The "slow" learner of RL²: PPO with GAE on whole trials, batched over tasks.

Duan et al. (2016, §2.3) train the recurrent policy with TRPO and GAE; we use PPO's clipped
surrogate (Schulman et al. 2017, eq. 7) with the same advantage estimator (Schulman et al. 2016,
eq. 16), a simpler first-order stand-in for the trust region. The RL² "episode" is the whole
trial: the discounted return runs across the inner episodes' ends, and only the end of the
trial is terminal.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from chapter_code._checks import check_choice, check_int, check_real
from chapter_code.rl2.agent import VALUE_NETS, RL2Policy, Trajectory, TrialEnv, rollout
from chapter_code.seeding import stream, torch_stream


def gae(rewards: torch.Tensor, values: torch.Tensor, gamma: float, lam: float
        ) -> tuple[torch.Tensor, torch.Tensor]:
    """Generalised advantage estimates over one trial per column (Schulman et al. 2016,
    eq. 16): δ_t = r_t + γ V(h_{t+1}) − V(h_t) with V = 0 after the last step,
    Â_t = Σ_l (γλ)^l δ_{t+l}; returns (Â, Â + V), each (T, N)."""
    advantages = torch.zeros_like(values)
    running = torch.zeros_like(values[0])
    next_value = torch.zeros_like(values[0])
    for t in range(values.shape[0] - 1, -1, -1):
        delta = rewards[t] + gamma * next_value - values[t]
        running = delta + gamma * lam * running
        advantages[t] = running
        next_value = values[t]
    return advantages, advantages + values


def clipped_surrogate(log_probs: torch.Tensor, old_log_probs: torch.Tensor,
                      advantages: torch.Tensor, clip: float) -> torch.Tensor:
    """L^CLIP = E[min(ρ Â, clip(ρ, 1 − ε, 1 + ε) Â)], ρ = π/π_old (Schulman et al. 2017,
    eq. 7), to be maximised."""
    ratio = torch.exp(log_probs - old_log_probs)
    return torch.min(ratio * advantages,
                     torch.clamp(ratio, 1.0 - clip, 1.0 + clip) * advantages).mean()


@dataclass(frozen=True)
class PPOConfig:
    """RL² training options."""

    iterations: int = 300
    """PPO iterations (each: one trial in each of ``tasks_per_batch`` fresh tasks)"""
    tasks_per_batch: int = 256
    """tasks (trials) per iteration"""
    hidden: int = 64
    """GRU units"""
    value_net: str = "shared"
    """the value head reads the policy's GRU (shared) or a GRU of its own (separate, as in the
    authors' released code)"""
    lr: float = 3e-3
    """Adam step size"""
    gamma: float = 0.99
    """discount over the trial"""
    lam: float = 0.3
    """GAE λ (Duan et al. use 0.3)"""
    clip: float = 0.2
    """PPO clipping ε"""
    epochs: int = 4
    """passes over each batch"""
    minibatches: int = 4
    """minibatches of tasks per pass"""
    entropy_coef: float = 0.01
    """entropy bonus weight"""
    value_coef: float = 0.5
    """value loss weight"""
    max_grad_norm: float = 1.0
    """gradient-norm clip"""
    reward_scale: float = 1.0
    """rewards are multiplied by this in the advantages and value targets only (the agent's
    inputs and the reported scores are unscaled); keeps the value loss from dominating the
    clipped gradient when trial returns are large"""
    seed: int = 0
    """seed of the initial weights, the training tasks and the action draws"""

    def __post_init__(self) -> None:
        check_int("iterations", self.iterations, minimum=0)
        check_int("tasks_per_batch", self.tasks_per_batch, minimum=2)
        check_int("hidden", self.hidden, minimum=1)
        check_choice("value_net", self.value_net, VALUE_NETS)
        check_real("lr", self.lr, low=0.0, low_open=True)
        check_real("gamma", self.gamma, low=0.0, high=1.0)
        check_real("lam", self.lam, low=0.0, high=1.0)
        check_real("clip", self.clip, low=0.0, low_open=True)
        check_int("epochs", self.epochs, minimum=1)
        check_int("minibatches", self.minibatches, minimum=1)
        if self.minibatches > self.tasks_per_batch:
            raise ValueError(f"minibatches must be <= tasks_per_batch ({self.tasks_per_batch}), "
                             f"got {self.minibatches}")
        check_real("entropy_coef", self.entropy_coef, low=0.0)
        check_real("value_coef", self.value_coef, low=0.0)
        check_real("max_grad_norm", self.max_grad_norm, low=0.0, low_open=True)
        check_real("reward_scale", self.reward_scale, low=0.0, low_open=True)
        check_int("seed", self.seed, minimum=0)


def ppo_update(policy: RL2Policy, optimizer: torch.optim.Optimizer, batch: Trajectory,
               config: PPOConfig, generator: torch.Generator) -> None:
    """``config.epochs`` passes of minibatch PPO over the trials of ``batch``; each minibatch is
    a set of whole trials, re-run through the GRU from h = 0."""
    rewards = config.reward_scale * torch.from_numpy(batch.rewards).to(batch.values.dtype)
    advantages, returns = gae(rewards, batch.values, config.gamma, config.lam)
    advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
    actions = torch.from_numpy(batch.actions)
    n_tasks = actions.shape[1]
    reset = torch.zeros(actions.shape, dtype=torch.bool)
    reset[0] = True
    for _ in range(config.epochs):
        order = torch.randperm(n_tasks, generator=generator)
        for chunk in torch.tensor_split(order, config.minibatches):
            logits, values = policy.sequence(batch.inputs[:, chunk], reset[:, chunk])
            log_probs_all = torch.log_softmax(logits, dim=-1)
            log_probs = log_probs_all.gather(-1, actions[:, chunk, None])[..., 0]
            entropy = -(log_probs_all.exp() * log_probs_all).sum(-1).mean()
            loss = (-clipped_surrogate(log_probs, batch.log_probs[:, chunk],
                                       advantages[:, chunk], config.clip)
                    + config.value_coef * ((values - returns[:, chunk]) ** 2).mean()
                    - config.entropy_coef * entropy)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(policy.parameters(), config.max_grad_norm)
            optimizer.step()


def train_rl2(env: TrialEnv, config: PPOConfig,
              progress: Callable[..., object] | None = None) -> tuple[RL2Policy, np.ndarray]:
    """Train an RL² policy on ``env``'s task distribution; returns it and the mean total reward
    of each iteration's trials (n_iterations,), measured before that iteration's update."""
    policy = RL2Policy(env.n_obs, env.n_actions, config.hidden,
                       torch_stream(config.seed, "rl2-init"), config.value_net)
    optimizer = torch.optim.Adam(policy.parameters(), lr=config.lr)
    rng = stream(config.seed, "rl2-train")
    generator = torch_stream(config.seed, "rl2-minibatches")
    curve = np.empty(config.iterations)
    steps = range(config.iterations)
    for i in (progress(steps, desc="PPO iterations") if progress else steps):  # type: ignore
        draws = env.draw(config.tasks_per_batch, rng)
        batch = rollout(policy, env, draws, rng.random((config.tasks_per_batch,
                                                        env.trial_length)))
        curve[i] = batch.rewards.sum(axis=0).mean()
        ppo_update(policy, optimizer, batch, config, generator)
    return policy, curve


def evaluate(policy: RL2Policy, env: TrialEnv, n_tasks: int, seed: int,
             name: str = "rl2-eval") -> tuple[dict[str, np.ndarray], Trajectory]:
    """One trial of the (stochastic) trained policy in each of ``n_tasks`` fresh tasks drawn
    from stream ``name`` of ``seed``; returns the tasks' draws and the trajectory."""
    n_tasks = check_int("n_tasks", n_tasks, minimum=1)
    rng = stream(seed, name)
    draws = env.draw(n_tasks, rng)
    return draws, rollout(policy, env, draws, rng.random((n_tasks, env.trial_length)))


def timed_training(env: TrialEnv, config: PPOConfig, progress: Callable[..., object] | None
                   ) -> tuple[RL2Policy, np.ndarray, float]:
    """:func:`train_rl2` and its wall-clock seconds."""
    start = time.perf_counter()
    policy, curve = train_rl2(env, config, progress)
    return policy, curve, time.perf_counter() - start
