"""MAML on 2D navigation (Finn, Abbeel & Levine 2017, §5.3 and Fig. 4), with FOMAML beside it.

Trains one Gaussian MLP policy per method with TRPO meta-steps on meta-batches of goals:
``maml`` (second-order meta-gradient), ``fomaml`` (first-order) and ``pretrained`` (no inner
step: one policy trained on all tasks jointly). Then every method, a randomly initialised
policy and a goal-aware oracle are evaluated on the same held-out goals after 0..3
policy-gradient steps (step sizes 0.1, then 0.05), with the same sampling noise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from chapter_code._checks import check_choice, check_int, check_real
from chapter_code.envs.navigation import Navigation2D, sample_goals
from chapter_code.experiments import Experiment, Output, ProgressFactory
from chapter_code.meta.maml_rl import MamlRL, adaptation_episodes
from chapter_code.meta.policies import GaussianMLPPolicy
from chapter_code.meta.rollout import oracle_episodes
from chapter_code.seeding import torch_stream
from chapter_code.stats import interval_metrics, mean_ci, mean_ci_metrics, ratio_of_means_ci

METHODS = ("maml", "fomaml", "pretrained")


@dataclass(frozen=True)
class MamlNavConfig:
    """Options of the MAML 2D-navigation experiment."""

    n_iterations: int = 500
    """meta-iterations (TRPO steps) per method"""
    meta_batch: int = 20
    """tasks (goals) per meta-iteration"""
    n_trajectories: int = 20
    """trajectories per task, for the inner step and for the outer step"""
    inner_lr: float = 0.1
    """step size α of the inner policy-gradient step during meta-training"""
    eval_lrs: tuple[float, ...] = (0.1, 0.05, 0.05)
    """step sizes of the evaluation's successive adaptation steps"""
    n_eval_tasks: int = 40
    """held-out goals for the evaluation"""
    max_kl: float = 0.01
    """TRPO's trust region δ on the mean KL"""
    outer: str = "trpo"
    """outer optimiser: 'trpo' (the paper) or 'adam'"""
    trust_region: str = "adapted"
    """TRPO's metric: 'adapted' (Fisher at θ'), 'exact' (KL Hessian through the inner step) or
    'finite-difference' (the released code's finite-difference products of the exact one)"""
    methods: tuple[str, ...] = ("maml", "pretrained")
    """which of 'maml', 'fomaml', 'pretrained' to train"""
    seed: int = 0
    """seed of the named streams: 'init', 'train-tasks', 'eval-goals', 'eval-sampling'"""

    def __post_init__(self) -> None:
        check_int("n_iterations", self.n_iterations, minimum=2)  # for intervals over them
        check_int("meta_batch", self.meta_batch, minimum=2)
        if not isinstance(self.eval_lrs, tuple) or not self.eval_lrs:
            raise TypeError(f"eval_lrs must be a non-empty tuple, got {self.eval_lrs!r}")
        for lr in self.eval_lrs:
            check_real("eval_lrs[i]", lr, low=0.0, low_open=True)
        check_int("n_eval_tasks", self.n_eval_tasks, minimum=2)
        MamlRL.check_options(inner_lr=self.inner_lr, outer=self.outer, max_kl=self.max_kl,
                             trust_region=self.trust_region, n_trajectories=self.n_trajectories)
        if not isinstance(self.methods, tuple) or not self.methods:
            raise TypeError(f"methods must be a non-empty tuple, got {self.methods!r}")
        for method in self.methods:
            check_choice("methods[i]", method, METHODS)
        check_int("seed", self.seed, minimum=0)


def make_policy(seed: int) -> GaussianMLPPolicy:
    """The paper's policy for 2D navigation (2 -> 100 -> 100 -> 2, σ = 1), seeded."""
    return GaussianMLPPolicy(2, 2, torch_stream(seed, "init"))


def train(config: MamlNavConfig, method: str, progress: ProgressFactory) -> dict[str, Any]:
    """Meta-train one method; returns its parameters and per-iteration curves."""
    method = check_choice("method", method, METHODS)
    generator = torch_stream(config.seed, "train-tasks")
    policy = make_policy(config.seed)
    learner = MamlRL(policy, inner_lr=config.inner_lr,
                     inner_steps=0 if method == "pretrained" else 1,
                     first_order=method == "fomaml", outer=config.outer,
                     max_kl=config.max_kl, n_trajectories=config.n_trajectories,
                     trust_region=config.trust_region)
    curves = np.zeros((3, config.n_iterations))
    env_steps = 0
    for i in progress(range(config.n_iterations), desc=method):
        info = learner.meta_step(sample_goals(config.meta_batch, generator), generator)
        curves[:, i] = info.return_before, info.return_after, info.seconds
        env_steps += info.env_steps
    params = {k: v.detach().clone() for k, v in learner.params.items()}
    return {"params": params, "before": curves[0], "after": curves[1], "seconds": curves[2],
            "env_steps": env_steps}


def evaluate(
    params: dict[str, torch.Tensor], goals: torch.Tensor, config: MamlNavConfig
) -> np.ndarray:
    """Mean return per goal after 0..len(eval_lrs) adaptation steps, (n_steps + 1, n_goals);
    the sampling noise is the same for every ``params``."""
    episodes = adaptation_episodes(
        make_policy(config.seed), params, goals, inner_lrs=config.eval_lrs,
        n_trajectories=config.n_trajectories,
        generator=torch_stream(config.seed, "eval-sampling"))
    return np.stack([ep.returns.mean(1).numpy() for ep in episodes]).astype(float)


def run(config: MamlNavConfig, progress: ProgressFactory) -> Output:
    """Train every method, evaluate all of them with the random and oracle policies."""
    goals = sample_goals(config.n_eval_tasks, torch_stream(config.seed, "eval-goals"))
    arrays: dict[str, np.ndarray] = {"eval_goals": goals.numpy()}
    evaluations: dict[str, np.ndarray] = {
        "random": evaluate(dict(make_policy(config.seed).named_parameters()), goals, config)}
    seconds: dict[str, np.ndarray] = {}
    for method in config.methods:
        trained = train(config, method, progress)
        evaluations[method] = evaluate(trained["params"], goals, config)
        seconds[method] = trained["seconds"]
        for key in ("before", "after", "seconds"):
            arrays[f"{method}_{key}"] = trained[key]
        for name, value in trained["params"].items():
            arrays[f"{method}_param_{name}"] = value.numpy()
    oracle = oracle_episodes(Navigation2D(goals, 1)).returns[:, 0].numpy().astype(float)
    arrays["oracle_returns"] = oracle
    metrics: dict[str, Any] = {"oracle_return": float(oracle.mean()), "return": {}}
    for name, returns in evaluations.items():
        arrays[f"{name}_eval"] = returns
        metrics["return"][name] = mean_ci_metrics(returns, axis=1)
    if "maml" in evaluations:
        # the paper's claim: one MAML step beats the baselines after all their steps
        metrics["maml_1_beats_last"] = {
            baseline: bool(evaluations["maml"][1].mean() > evaluations[baseline][-1].mean())
            for baseline in ("pretrained", "random") if baseline in evaluations}
    if "maml" in evaluations and "fomaml" in evaluations:
        gap = evaluations["maml"][1] - evaluations["fomaml"][1]
        metrics["fomaml_gap"] = {
            **interval_metrics(mean_ci(gap)),
            "percent": float(100 * gap.mean() / abs(evaluations["maml"][1].mean()))}
        metrics["maml_over_fomaml_seconds"] = interval_metrics(ratio_of_means_ci(
            seconds["maml"], seconds["fomaml"], seed=config.seed), "ratio")
    metrics["seconds_per_iteration"] = {m: float(s.mean()) for m, s in seconds.items()}
    # torch orders float reductions by its intra-op thread count: same seed, same machine and
    # same thread count give the same numbers
    metrics["torch_threads"] = torch.get_num_threads()
    return Output(metrics, arrays)


def saved_params(arrays: dict[str, np.ndarray], method: str) -> dict[str, torch.Tensor]:
    """The trained parameters of ``method`` from a saved summary's arrays."""
    prefix = f"{method}_param_"
    params = {k[len(prefix):]: torch.from_numpy(v) for k, v in arrays.items()
              if k.startswith(prefix)}
    if not params:
        raise ValueError(f"no saved parameters for method {method!r}")
    return params


EXPERIMENT = Experiment(
    name="maml-nav",
    summary="MAML, FOMAML and a pretrained policy on Finn et al.'s 2D navigation (Fig. 4)",
    config_type=MamlNavConfig,
    run=run,
    fingerprint={"n_iterations": 2, "meta_batch": 2, "n_trajectories": 2, "n_eval_tasks": 2},
)


