"""MAML for reinforcement learning (Finn et al. 2017, Algorithm 3), every task of a meta-batch
stepped together.

Inner step (per task i, 20 trajectories): vanilla policy gradient with the linear baseline,
    θ'_i = θ − α ∇_θ L_i(θ),   L_i(θ) = −E[log π_θ(a|s) Â(s, a)]
(Finn et al. 2017, Algorithm 3 line 7; L_i estimates the gradient of their eq. 4's loss)
Outer step: the surrogate Σ_i E_{π_θ'_i,old}[π_θ'_i(a|s) / π_θ'_i,old(a|s) Â] of fresh episodes
from the adapted policies, differentiated through the inner step (second order unless
``first_order``), and maximised by TRPO within KL ≤ 0.01 (metric: the Fisher matrix at the
adapted parameters, or the KL's exact Hessian in θ through the inner step) or by Adam.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from chapter_code._checks import check_choice, check_int, check_real
from chapter_code.envs.navigation import Navigation2D
from chapter_code.meta.baselines import discounted_returns, linear_baseline
from chapter_code.meta.maml import Params, adapt, detached, expand_params
from chapter_code.meta.networks import check_generator
from chapter_code.meta.policies import gaussian_kl, gaussian_log_prob, task_policy
from chapter_code.meta.rollout import Episodes, sample_episodes
from chapter_code.meta.trpo import finite_difference_hvp, flat, trpo_step

Stage = tuple[Episodes, Tensor]
TRUST_REGIONS = ("adapted", "exact", "finite-difference")
# The finite-difference step base_eps of TRPO's metric products: rllab's FiniteDifferenceHvp
# defaults to 1e-8, but the released MAML code's ConjugateGradientOptimizer builds it as
# FiniteDifferenceHvp(num_slices), so base_eps = num_slices = 1 in every released run.
RELEASED_BASE_EPS = 1.0
RLLAB_DEFAULT_BASE_EPS = 1e-8


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
    *,
    first_order: bool = True,
) -> tuple[list[Stage], Params]:
    """For each step size α_j: sample episodes with the current per-task parameters, then take
    one policy-gradient step. ``params`` have a leading task dimension. Returns the stages
    (episodes, advantages) and the adapted parameters. Episodes are sampled without a graph;
    the adapted parameters keep theirs back to ``params`` (second order unless
    ``first_order``), so the outer loss can differentiate through the very adaptation that
    produced its episodes."""
    current = dict(params)
    stages: list[Stage] = []
    for lr in inner_lrs:
        episodes = sample_episodes(policy, detached(current), env, generator)
        adv = advantages(episodes, gamma)
        stages.append((episodes, adv))
        current = adapt(current, _loss_on(policy, episodes, adv), inner_lr=lr,
                        first_order=first_order)
    return stages, current


def _loss_on(
    policy: nn.Module, episodes: Episodes, adv: Tensor
) -> Callable[[Params], Tensor]:
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
    with torch.no_grad():
        stages, final = sample_and_adapt(policy, expand_params(params, env.n_tasks), env,
                                         inner_lrs, gamma, generator)
    return [episodes for episodes, _ in stages] + [sample_episodes(policy, final, env,
                                                                   generator)]


@dataclass(frozen=True)
class OuterObjective:
    """The outer step's ingredients at the current θ. ``loss`` (the surrogate) carries its
    graph back to θ through the adaptation; so does ``kl`` (the mean KL from the adapted
    sampling policies), through the adaptation (``trust_region="exact"``: its Hessian is JᵀFJ,
    F the Fisher matrix at θ', J = dθ'/dθ) or with J = I (``"adapted"``: its Hessian is F;
    built for TRPO only, with Adam ``kl`` is the one through the adaptation).
    ``evaluate(params)`` recomputes ``(loss, kl)`` at other parameters on the same episodes,
    through the adaptation (differentiable unless called under ``no_grad``)."""

    loss: Tensor
    kl: Tensor
    evaluate: Callable[[Params], tuple[Tensor, Tensor]]
    stages: list[Stage]
    valid: Episodes


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

    ``trust_region`` picks TRPO's metric. ``"exact"`` is the paper's: the Hessian of the KL as
    a function of θ through the inner step, JᵀFJ (its implementation took these products by
    finite differences). ``"adapted"`` (default) is the Fisher matrix F at the adapted
    parameters: about 3x cheaper per TRPO step in our benchmark, and it also bounds how far θ
    moves in directions the inner step cancels (where JᵀFJ barely constrains θ).
    ``"finite-difference"`` is what the paper's released code computed: products of JᵀFJ by
    symmetric finite differences of the KL's gradient with step ``finite_difference_eps``/‖θ‖
    (:func:`~chapter_code.meta.trpo.finite_difference_hvp`), in the policy's dtype; the
    default ``RELEASED_BASE_EPS`` = 1 is the step the released code really used. The line
    search checks the exact KL of the adapted policies in every case. For FOMAML, J = I and
    the metrics coincide (up to the finite differences' error).
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
        trust_region: str = "adapted",
        finite_difference_eps: float = RELEASED_BASE_EPS,
    ) -> None:
        if not isinstance(policy, nn.Module):
            raise TypeError(f"policy must be a torch.nn.Module, got {type(policy).__name__}")
        self.policy = policy
        self.params: Params = dict(policy.named_parameters())
        self.inner_steps = check_int("inner_steps", inner_steps, minimum=0)
        if not isinstance(first_order, bool):
            raise TypeError(f"first_order must be a bool, got {first_order!r}")
        self.first_order = first_order
        options = self.check_options(inner_lr=inner_lr, outer=outer, max_kl=max_kl,
                                     trust_region=trust_region, n_trajectories=n_trajectories)
        self.inner_lr, self.outer = options["inner_lr"], options["outer"]
        self.max_kl, self.trust_region = options["max_kl"], options["trust_region"]
        self.n_trajectories = options["n_trajectories"]
        self.finite_difference_eps = check_real("finite_difference_eps", finite_difference_eps,
                                                low=0.0, low_open=True)
        self.gamma = check_real("gamma", gamma, low=0.0, high=1.0)
        self.squared_reward = squared_reward
        self.optimizer = (torch.optim.Adam(self.params.values(),
                                           lr=check_real("outer_lr", outer_lr, low=0.0,
                                                         low_open=True))
                          if self.outer == "adam" else None)

    @staticmethod
    def check_options(
        *, inner_lr: float, outer: str, max_kl: float, trust_region: str, n_trajectories: int
    ) -> dict[str, Any]:
        """Validate the options an experiment's config passes on to the learner (the one
        place they are checked); returns them as validated."""
        return {
            "inner_lr": check_real("inner_lr", inner_lr, low=0.0, low_open=True),
            "outer": check_choice("outer", outer, ("trpo", "adam")),
            "max_kl": check_real("max_kl", max_kl, low=0.0, low_open=True),
            "trust_region": check_choice("trust_region", trust_region, TRUST_REGIONS),
            "n_trajectories": check_int("n_trajectories", n_trajectories, minimum=2),
        }

    def outer_objective(self, goals: Tensor, generator: torch.Generator) -> OuterObjective:
        """Sample, adapt and sample again on the tasks ``goals`` (n_tasks, 2); return the outer
        step's surrogate loss and KL as functions of θ through the adaptation (Finn et al.
        2017, Algorithm 3, lines 3-8)."""
        generator = check_generator(generator)
        env = Navigation2D(goals, self.n_trajectories, squared_reward=self.squared_reward)
        n_tasks = env.n_tasks
        lrs = [self.inner_lr] * self.inner_steps
        stages, adapted = sample_and_adapt(self.policy, expand_params(self.params, n_tasks),
                                           env, lrs, self.gamma, generator,
                                           first_order=self.first_order)
        valid = sample_episodes(self.policy, detached(adapted), env, generator)
        valid_adv = advantages(valid, self.gamma)
        # π_θ' on the validation episodes, once: the loss's graph, and (detached) π_old
        adapted_mean, adapted_log_std = task_policy(self.policy, adapted, valid.obs)
        old_mean, old_log_std = adapted_mean.detach(), adapted_log_std.detach()
        old_log_prob = gaussian_log_prob(old_mean, old_log_std, valid.action)

        def surrogate_and_kl_of(mean: Tensor, log_std: Tensor) -> tuple[Tensor, Tensor]:
            ratio = torch.exp(gaussian_log_prob(mean, log_std, valid.action) - old_log_prob)
            loss = -masked_task_mean(ratio * valid_adv, valid.mask).mean()
            kl = masked_task_mean(gaussian_kl(old_mean, old_log_std, mean, log_std),
                                  valid.mask).mean()
            return loss, kl

        def surrogate_and_kl(current: Params) -> tuple[Tensor, Tensor]:
            return surrogate_and_kl_of(*task_policy(self.policy, current, valid.obs))

        def evaluate(params: Params) -> tuple[Tensor, Tensor]:
            current = expand_params(params, n_tasks)
            for (episodes, adv), lr in zip(stages, lrs, strict=True):
                current = adapt(current, _loss_on(self.policy, episodes, adv), inner_lr=lr,
                                first_order=self.first_order)
            return surrogate_and_kl(current)

        loss, kl = surrogate_and_kl_of(adapted_mean, adapted_log_std)
        if self.outer == "trpo" and self.trust_region == "adapted":
            # θ' with dθ'/dθ = I: the same values, the Jacobian of the adaptation left out
            shared = expand_params(self.params, n_tasks)
            kl = surrogate_and_kl({k: adapted[k].detach() + (v - v.detach())
                                   for k, v in shared.items()})[1]
        return OuterObjective(loss, kl, evaluate, stages, valid)

    def metric_product(self, objective: OuterObjective) -> Callable[[Tensor], Tensor] | None:
        """TRPO's metric-vector product for ``trust_region="finite-difference"``: the released
        code's finite differences of ∇_θ KL(θ'(θ)) on the objective's episodes. ``None`` for
        the other metrics (TRPO then differentiates ``objective.kl`` twice)."""
        if self.trust_region != "finite-difference":
            return None
        return finite_difference_hvp(self.kl_gradient(objective), list(self.params.values()),
                                     base_eps=self.finite_difference_eps)

    def kl_gradient(self, objective: OuterObjective) -> Callable[[], Tensor]:
        """A function returning ∇_θ KL(θ'(θ)) (flattened) on the objective's episodes at the
        learner's current θ: what finite differences of the paper's metric perturb."""
        leaves = list(self.params.values())

        def gradient() -> Tensor:
            return flat(torch.autograd.grad(objective.evaluate(self.params)[1], leaves))

        return gradient

    def meta_step(self, goals: Tensor, generator: torch.Generator) -> MetaStepInfo:
        """One meta-iteration on the tasks ``goals`` (n_tasks, 2): :meth:`outer_objective`,
        then a TRPO step within KL ≤ ``max_kl`` or an Adam step on the surrogate."""
        start = time.perf_counter()
        objective = self.outer_objective(goals, generator)
        if self.optimizer is None:
            kl = trpo_step(self.params, objective.loss, objective.kl, objective.evaluate,
                           max_kl=self.max_kl, metric=self.metric_product(objective)).kl
        else:
            self.optimizer.zero_grad()
            objective.loss.backward()
            self.optimizer.step()
            kl = 0.0
        stages, valid = objective.stages, objective.valid
        first = stages[0][0] if stages else valid
        return MetaStepInfo(
            return_before=float(first.returns.mean()), return_after=float(valid.returns.mean()),
            env_steps=sum(ep.n_steps for ep, _ in stages) + valid.n_steps,
            seconds=time.perf_counter() - start, kl=kl)
