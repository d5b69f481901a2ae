"""The "slow" learner of RL²: PPO or TRPO with GAE on whole trials, batched over tasks.

Duan et al. (2016, §2.3) train the recurrent policy with TRPO and GAE. By default we use PPO's
clipped surrogate (Schulman et al. 2017, eq. 7) with the same advantage estimator (Schulman et
al. 2016, eq. 16), a simpler first-order stand-in for the trust region; ``outer="trpo"`` takes
the paper's natural-gradient step instead (Schulman et al. 2015, eq. 14) and fits a separate
value GRU by Adam, as the authors' released code does. The RL² "episode" is the whole trial:
the discounted return runs across the inner episodes' ends, and only the end of the trial is
terminal.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch

from chapter_code._checks import check_choice, check_int, check_real
from chapter_code.meta.maml import Params
from chapter_code.meta.trpo import trpo_step
from chapter_code.results import git_commit
from chapter_code.rl2.agent import CELLS, VALUE_NETS, RL2Policy, Trajectory, TrialEnv, rollout
from chapter_code.seeding import stream, torch_stream

OUTER_STEPS: tuple[str, ...] = ("ppo", "trpo")
"""the slow learner's policy update: PPO's clipped surrogate, or TRPO's trust-region step."""
LineSearch = Callable[[Params], tuple[torch.Tensor, torch.Tensor]]
"""(loss, KL) at the policy's current parameters, as TRPO's line search calls it"""
GUARD_RECORD: tuple[str, ...] = ("kl", "kept_pass", "beta")
"""the columns of a guarded run's record, one row per iteration: the batch's mean
KL(π_old ‖ π) at the parameters kept, the pass kept (1 to ``epochs``; 0 when none fitted), and
the fraction β of the last pass's step kept (1 for a kept pass, 2⁻ʲ after j halvings, 0 for
θ_old)"""


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
    """RL² training options (the class keeps PPO's name; ``outer`` picks the update)."""

    BOOKKEEPING: ClassVar[tuple[str, ...]] = ("checkpoint", "checkpoint_every")
    """options that change how a run is carried out, never its numbers; a run resumed from a
    checkpoint may change these and ``iterations``, and nothing else"""
    iterations: int = 300
    """PPO iterations (each: one trial in each of ``tasks_per_batch`` fresh tasks)"""
    tasks_per_batch: int = 256
    """tasks (trials) per iteration"""
    hidden: int = 64
    """GRU units"""
    value_net: str = "shared"
    """the value head reads the policy's GRU (shared) or a GRU of its own (separate, as in the
    authors' released code)"""
    cell: str = "gru"
    """the recurrent cell of the policy (and of a separate value net): torch's GRU, or the
    authors' released GRU, weight-normalised with a ReLU candidate state (wn-relu-gru)"""
    outer: str = "ppo"
    """the policy update: PPO's clipped surrogate, or TRPO's step within a KL trust region as
    in the paper (needs value_net="separate"; the value GRU is then fitted by Adam alone)"""
    max_kl: float = 0.01
    """TRPO's trust region: the largest mean KL(π_old ‖ π) over a batch's steps"""
    kl_guard: float = 0.0
    """PPO's guard on the step, as in the authors' released code (0: off): after each pass the
    batch's mean KL(π_old ‖ π) is measured; the pass kept is the one with the highest surrogate
    E[ρ Â] among those with KL ≤ kl_guard, or, if every pass overshot, the last pass's step is
    halved until it fits"""
    lr: float = 3e-3
    """Adam step size (with TRPO: of the value fit only)"""
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
    checkpoint: str = ""
    """a file the training state is saved to every ``checkpoint_every`` iterations and after
    the last, and resumed from when it exists ("": none); resuming gives the numbers of an
    uninterrupted run, and ``iterations`` may be raised to continue a finished one"""
    checkpoint_every: int = 10
    """iterations between two saves of the checkpoint"""

    def __post_init__(self) -> None:
        check_int("iterations", self.iterations, minimum=0)
        check_int("tasks_per_batch", self.tasks_per_batch, minimum=2)
        check_int("hidden", self.hidden, minimum=1)
        check_choice("value_net", self.value_net, VALUE_NETS)
        check_choice("cell", self.cell, CELLS)
        check_choice("outer", self.outer, OUTER_STEPS)
        check_real("max_kl", self.max_kl, low=0.0, low_open=True)
        check_real("kl_guard", self.kl_guard, low=0.0)
        if self.kl_guard > 0 and self.outer != "ppo":
            raise ValueError(f"kl_guard must be 0 with outer={self.outer!r} (it guards PPO's "
                             f"passes; TRPO has max_kl), got {self.kl_guard}")
        if self.outer == "trpo" and self.value_net != "separate":
            raise ValueError("value_net must be 'separate' with outer='trpo' (a TRPO step moves "
                             f"the policy's parameters only), got {self.value_net!r}")
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
        if not isinstance(self.checkpoint, str):
            raise TypeError(f"checkpoint must be a path (str), got {self.checkpoint!r}")
        check_int("checkpoint_every", self.checkpoint_every, minimum=1)


def advantages_and_returns(batch: Trajectory, config: PPOConfig
                           ) -> tuple[torch.Tensor, torch.Tensor]:
    """GAE advantages of the scaled rewards, normalised over the batch, and the value
    targets Â + V, each (T, N)."""
    rewards = config.reward_scale * torch.from_numpy(batch.rewards).to(batch.values.dtype)
    advantages, returns = gae(rewards, batch.values, config.gamma, config.lam)
    return (advantages - advantages.mean()) / (advantages.std() + 1e-8), returns


def trial_starts(batch: Trajectory) -> torch.Tensor:
    """Where h is reset when a batch is replayed: (T, N), true at step 0 only."""
    reset = torch.zeros(batch.actions.shape, dtype=torch.bool)
    reset[0] = True
    return reset


def minibatches(n_tasks: int, config: PPOConfig, generator: torch.Generator
                ) -> Iterator[torch.Tensor]:
    """``config.epochs`` shuffled passes over the trials, each split into
    ``config.minibatches`` sets of whole trials (their column indices)."""
    for _ in range(config.epochs):
        order = torch.randperm(n_tasks, generator=generator)
        yield from torch.tensor_split(order, config.minibatches)


class KLGuard:
    """PPO's guard on the size of an update (``PPOConfig.kl_guard``): holds π_old's
    distributions over a batch and the parameters each pass starts and ends with, and keeps,
    of the passes whose mean KL(π_old ‖ π) over the batch's steps is at most ``target``, the one
    with the highest surrogate E[ρ Â] (ρ = π/π_old of the actions taken); if no pass fits, it
    moves θ_old + β (θ_last − θ_old) with β = 1/2, 1/4, ... back until one does (θ_old after
    ten halvings). θ is π's parameters (:meth:`RL2Policy.policy_parameters`): the value head,
    and a separate value GRU, keep what the last pass taught them, as the authors' separate
    value network does. It follows the authors' released PPO in its rule, not in two details: it
    measures each pass afresh on the whole batch (theirs averages the values its minibatches
    saw during the pass), and falls back to θ_old where theirs stays at β = 2⁻¹⁰."""

    def __init__(self, policy: RL2Policy, batch: Trajectory, advantages: torch.Tensor,
                 target: float):
        self.policy, self.target, self.advantages = policy, target, advantages
        self.held = list(policy.policy_parameters().values())  # π's GRU and head only
        self.inputs, self.reset = batch.inputs, trial_starts(batch)
        self.actions = torch.from_numpy(batch.actions)[..., None]
        self.start = self._parameters()
        self.old_log_probs = self._log_probs()
        self.passes = 0
        self.best: tuple[float, int, float, list[torch.Tensor]] | None = None

    def _parameters(self) -> list[torch.Tensor]:
        return [p.detach().clone() for p in self.held]

    def _load(self, values: list[torch.Tensor]) -> None:
        with torch.no_grad():
            for param, value in zip(self.held, values, strict=True):
                param.copy_(value)

    @torch.no_grad()
    def _log_probs(self) -> torch.Tensor:
        return torch.log_softmax(self.policy.sequence(self.inputs, self.reset)[0], dim=-1)

    def measure(self) -> tuple[float, float]:
        """(mean KL(π_old ‖ π), surrogate E[ρ Â]) at the policy's current parameters."""
        log_probs = self._log_probs()
        old = self.old_log_probs
        kl = (old.exp() * (old - log_probs)).sum(-1).mean()
        ratio = torch.exp((log_probs - old).gather(-1, self.actions)[..., 0])
        return float(kl), float((ratio * self.advantages).mean())

    def end_of_pass(self) -> None:
        """Remember this pass's parameters if they fit and beat every fitting pass so far."""
        self.passes += 1
        kl, surrogate = self.measure()
        if kl <= self.target and (self.best is None or surrogate > self.best[0]):
            self.best = (surrogate, self.passes, kl, self._parameters())

    def finish(self) -> tuple[float, int, float]:
        """Load the kept pass, or back off along the last pass's step until it fits; returns
        the choice as a row of :data:`GUARD_RECORD`."""
        if self.best is not None:
            _, kept_pass, kl, values = self.best
            self._load(values)
            return kl, kept_pass, 1.0
        last = self._parameters()
        for halving in range(1, 11):
            beta = 0.5 ** halving
            self._load([old + beta * (new - old) for old, new in zip(self.start, last,
                                                                     strict=True)])
            kl = self.measure()[0]
            if kl <= self.target:
                return kl, 0, beta
        self._load(self.start)
        return 0.0, 0, 0.0


def ppo_update(policy: RL2Policy, optimizer: torch.optim.Optimizer, batch: Trajectory,
               config: PPOConfig, generator: torch.Generator
               ) -> tuple[float, int, float] | None:
    """``config.epochs`` passes of minibatch PPO over the trials of ``batch``; each minibatch is
    a set of whole trials, re-run through the GRU from h = 0. With ``config.kl_guard`` > 0 a
    :class:`KLGuard` chooses the parameters kept after the last pass, and its choice (a row of
    :data:`GUARD_RECORD`) is returned; ``None`` without a guard."""
    advantages, returns = advantages_and_returns(batch, config)
    actions = torch.from_numpy(batch.actions)
    reset = trial_starts(batch)
    guard = KLGuard(policy, batch, advantages, config.kl_guard) if config.kl_guard > 0 else None
    for step, chunk in enumerate(minibatches(actions.shape[1], config, generator), start=1):
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
        if guard is not None and step % config.minibatches == 0:
            guard.end_of_pass()
    return guard.finish() if guard is not None else None


def trpo_objective(policy: RL2Policy, batch: Trajectory, advantages: torch.Tensor,
                   entropy_coef: float) -> tuple[torch.Tensor, torch.Tensor, LineSearch]:
    """TRPO's surrogate loss −E[π_θ(a|h)/π_old(a|h) Â] − c·H(π_θ) and the mean KL(π_old ‖ π_θ)
    over every step of the batch's trials (Schulman et al. 2015, eq. 14), both with their graphs
    to θ, and a function recomputing them at the policy's current parameters for the line
    search. π_old is the policy as it is now; the loss's gradient is then the policy gradient."""
    actions = torch.from_numpy(batch.actions)[..., None]
    reset = trial_starts(batch)
    with torch.no_grad():
        old_log_probs_all = torch.log_softmax(policy.policy_sequence(batch.inputs, reset), dim=-1)
    old_log_probs = old_log_probs_all.gather(-1, actions)[..., 0]

    def loss_and_kl(_params: Params | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        log_probs_all = torch.log_softmax(policy.policy_sequence(batch.inputs, reset), dim=-1)
        ratio = torch.exp(log_probs_all.gather(-1, actions)[..., 0] - old_log_probs)
        entropy = -(log_probs_all.exp() * log_probs_all).sum(-1).mean()
        kl = (old_log_probs_all.exp() * (old_log_probs_all - log_probs_all)).sum(-1).mean()
        return -(ratio * advantages).mean() - entropy_coef * entropy, kl

    loss, kl = loss_and_kl()
    return loss, kl, loss_and_kl


def trpo_update(policy: RL2Policy, optimizer: torch.optim.Optimizer, batch: Trajectory,
                config: PPOConfig, generator: torch.Generator) -> None:
    """One TRPO step of the policy's parameters within KL ≤ ``config.max_kl``
    (:func:`chapter_code.meta.trpo.trpo_step`), then ``config.epochs`` passes of minibatch Adam
    on the separate value GRU's squared error (``optimizer`` holds the value parameters)."""
    advantages, returns = advantages_and_returns(batch, config)
    loss, kl, loss_and_kl = trpo_objective(policy, batch, advantages, config.entropy_coef)
    trpo_step(policy.policy_parameters(), loss, kl, loss_and_kl, max_kl=config.max_kl)
    reset = trial_starts(batch)
    value_params = [p for group in optimizer.param_groups for p in group["params"]]
    for chunk in minibatches(batch.actions.shape[1], config, generator):
        _, values = policy.sequence(batch.inputs[:, chunk], reset[:, chunk])
        optimizer.zero_grad()
        ((values - returns[:, chunk]) ** 2).mean().backward()
        torch.nn.utils.clip_grad_norm_(value_params, config.max_grad_norm)
        optimizer.step()


class RL2Training:
    """One RL² training run as state advanced an iteration at a time: the policy, its optimizer,
    the generators of the training tasks, action draws and minibatches, the curve so far (the
    mean total reward of each iteration's trials, measured before that iteration's update), the
    KL guard's record, and the wall-clock seconds spent. :meth:`state_dict` holds all of it, so a
    run stopped and resumed from a checkpoint produces the numbers of an uninterrupted one."""

    def __init__(self, env: TrialEnv, config: PPOConfig):
        self.env, self.config = env, config
        self.policy = RL2Policy(env.n_obs, env.n_actions, config.hidden,
                                torch_stream(config.seed, "rl2-init"), config.value_net,
                                config.cell)
        trainable = (self.policy.value_parameters() if config.outer == "trpo"
                     else self.policy.parameters())
        self.optimizer = torch.optim.Adam(trainable, lr=config.lr)
        self.rng = stream(config.seed, "rl2-train")
        self.generator = torch_stream(config.seed, "rl2-minibatches")
        self.rewards: list[float] = []
        self.guard_rows: list[tuple[float, int, float]] = []
        self.seconds = 0.0
        self.commits: list[str | None] = [git_commit()]

    @property
    def iteration(self) -> int:
        """Iterations done so far."""
        return len(self.rewards)

    @property
    def curve(self) -> np.ndarray:
        """The mean total reward of each iteration's trials, (iterations done,)."""
        return np.array(self.rewards, dtype=float)

    @property
    def guard_record(self) -> np.ndarray:
        """The KL guard's choice at each iteration, (iterations done, 3), columns
        :data:`GUARD_RECORD`; no rows without a guard."""
        return np.array(self.guard_rows, dtype=float).reshape(-1, len(GUARD_RECORD))

    def record(self) -> dict[str, np.ndarray]:
        """The arrays a saved run keeps of its training: the ``curve``, and with a KL guard its
        record as ``guard``."""
        return {"curve": self.curve, **({"guard": self.guard_record}
                                        if self.config.kl_guard > 0 else {})}

    def step(self) -> None:
        """One iteration: a trial in each of ``tasks_per_batch`` fresh tasks, then the update."""
        start = time.perf_counter()
        config, env = self.config, self.env
        draws = env.draw(config.tasks_per_batch, self.rng)
        batch = rollout(self.policy, env, draws,
                        self.rng.random((config.tasks_per_batch, env.trial_length)))
        self.rewards.append(float(batch.rewards.sum(axis=0).mean()))
        update = trpo_update if config.outer == "trpo" else ppo_update
        choice = update(self.policy, self.optimizer, batch, config, self.generator)
        if choice is not None:
            self.guard_rows.append(choice)
        self.seconds += time.perf_counter() - start

    def _identity(self) -> dict[str, Any]:
        """What a checkpoint must agree on to be resumed: every option but ``iterations`` and
        the config's ``BOOKKEEPING`` ones, and the environment's kind, sizes and settings."""
        free = ("iterations", *type(self.config).BOOKKEEPING)
        options = {k: v for k, v in asdict(self.config).items() if k not in free}
        settings = {k: v for k, v in vars(self.env).items()
                    if isinstance(v, (bool, int, float, str))}
        env = {"kind": type(self.env).__name__, "n_obs": self.env.n_obs,
               "n_actions": self.env.n_actions, "trial_length": self.env.trial_length,
               **settings}
        return {"options": options, "env": env}

    def state_dict(self) -> dict[str, Any]:
        """Everything the next iteration depends on, and the record so far."""
        return {"identity": self._identity(), "policy": self.policy.state_dict(),
                "optimizer": self.optimizer.state_dict(),
                "rng": self.rng.bit_generator.state, "generator": self.generator.get_state(),
                "rewards": list(self.rewards), "guard_rows": list(self.guard_rows),
                "seconds": self.seconds, "commits": list(self.commits)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from ``state``; ``ValueError`` naming the first option (or environment
        setting) that differs from this run's, or if it holds more iterations than
        ``config.iterations``. The commits of the code that ran each part are kept, with a
        warning when this code's differs from the last part's."""
        saved, mine = state["identity"], self._identity()
        for part, label in (("options", "option"), ("env", "environment")):
            for key in sorted(set(saved[part]) | set(mine[part])):
                if saved[part].get(key) != mine[part].get(key):
                    raise ValueError(f"the checkpoint was made with {label} {key}="
                                     f"{saved[part].get(key)!r}, this run has "
                                     f"{mine[part].get(key)!r}")
        if len(state["rewards"]) > self.config.iterations:
            raise ValueError(f"iterations must be at least the checkpoint's "
                             f"{len(state['rewards'])}, got {self.config.iterations}")
        self.policy.load_state_dict(state["policy"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.rng.bit_generator.state = state["rng"]
        self.generator.set_state(state["generator"])
        self.rewards = list(state["rewards"])
        self.guard_rows = [tuple(row) for row in state["guard_rows"]]
        self.seconds = float(state["seconds"])
        now, before = self.commits[-1], state["commits"][-1]
        self.commits = list(state["commits"]) + ([now] if now != before else [])
        if now != before:
            warnings.warn(f"resuming a checkpoint made by code at commit {before} with code at "
                          f"{now}: the run mixes the two", stacklevel=2)

    def save(self, path: Path | str) -> None:
        """Write :meth:`state_dict` to ``path``, replacing it only once the file is whole."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        torch.save(self.state_dict(), partial)
        os.replace(partial, path)

    def load(self, path: Path | str) -> None:
        """Continue from the checkpoint at ``path`` (:meth:`load_state_dict`)."""
        self.load_state_dict(torch.load(path))

    def run(self, progress: Callable[..., object] | None = None) -> None:
        """Iterate up to ``config.iterations``, saving to ``config.checkpoint`` (if set) every
        ``config.checkpoint_every`` iterations and at the end."""
        config = self.config
        steps = range(self.iteration, config.iterations)
        for _ in (progress(steps, desc=f"{config.outer.upper()} iterations",  # type: ignore
                           initial=self.iteration, total=config.iterations)
                  if progress else steps):
            self.step()
            if config.checkpoint and (self.iteration % config.checkpoint_every == 0
                                      or self.iteration == config.iterations):
                self.save(config.checkpoint)


@dataclass(frozen=True)
class CheckpointInfo:
    """What a checkpoint says of its run (:func:`read_checkpoint`)."""

    options: dict[str, Any]
    """the run's options, all but ``iterations`` and the bookkeeping ones"""
    env: dict[str, Any]
    """the environment's kind, sizes and settings"""
    iterations: int
    """iterations done"""
    commits: tuple[str | None, ...]
    """the commit of the code that ran each part of the run, oldest first"""
    seconds: float
    """wall-clock seconds of training so far"""


def read_checkpoint(path: Path | str) -> CheckpointInfo:
    """Read the run a checkpoint written by :meth:`RL2Training.save` holds, without building
    its policy or environment."""
    state = torch.load(path)
    return CheckpointInfo(options=dict(state["identity"]["options"]),
                          env=dict(state["identity"]["env"]), iterations=len(state["rewards"]),
                          commits=tuple(state["commits"]), seconds=float(state["seconds"]))


def train_rl2(env: TrialEnv, config: PPOConfig,
              progress: Callable[..., object] | None = None) -> RL2Training:
    """Train an RL² policy on ``env``'s task distribution, from ``config.checkpoint`` if that
    file exists; returns the finished :class:`RL2Training` (its ``policy``, ``curve``,
    ``guard_record`` and ``seconds``)."""
    training = RL2Training(env, config)
    if config.checkpoint and Path(config.checkpoint).exists():
        training.load(config.checkpoint)
    training.run(progress)
    return training


def evaluate(policy: RL2Policy, env: TrialEnv, n_tasks: int, seed: int,
             name: str = "rl2-eval") -> tuple[dict[str, np.ndarray], Trajectory]:
    """One trial of the (stochastic) trained policy in each of ``n_tasks`` fresh tasks drawn
    from stream ``name`` of ``seed``; returns the tasks' draws and the trajectory."""
    n_tasks = check_int("n_tasks", n_tasks, minimum=1)
    rng = stream(seed, name)
    draws = env.draw(n_tasks, rng)
    return draws, rollout(policy, env, draws, rng.random((n_tasks, env.trial_length)))
