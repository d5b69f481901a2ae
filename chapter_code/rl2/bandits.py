"""Bernoulli multi-armed bandits as a task distribution, stepped for many tasks at once.

A task is a k-armed bandit whose arm means are drawn independently from U(0, 1) (Duan et al.
2016, §3.1); a trial is n pulls of one task, and the score of an algorithm is its total reward
over the trial, averaged over tasks. Everything here takes a leading task dimension: ``means``
is ``(n_tasks, k)``, and one call pulls one arm in every task.
"""

from __future__ import annotations

import numpy as np

from chapter_code._checks import check_array, check_int


def check_bandit_shape(n_arms: object, n_pulls: object) -> tuple[int, int]:
    """``(k, n)`` checked: at least two arms (one arm leaves nothing to learn) and one pull."""
    return check_int("n_arms", n_arms, minimum=2), check_int("n_pulls", n_pulls, minimum=1)


def check_rng(rng: object) -> np.random.Generator:
    """``rng`` if it is a ``numpy.random.Generator``; ``TypeError`` otherwise."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    return rng


def sample_bandits(n_tasks: int, n_arms: int, rng: np.random.Generator) -> np.ndarray:
    """Arm means of ``n_tasks`` bandits, each mean ~ U(0, 1) independently (Duan et al. 2016,
    §3.1): ``(n_tasks, n_arms)``."""
    n_tasks = check_int("n_tasks", n_tasks, minimum=1)
    n_arms = check_int("n_arms", n_arms, minimum=2)
    return check_rng(rng).random((n_tasks, n_arms))


def pull(means: np.ndarray, arms: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """Bernoulli rewards of pulling ``arms[i]`` in task i: 1 where ``uniforms[i] <
    means[i, arms[i]]``, else 0. ``means``: (n_tasks, k); ``arms``, ``uniforms``: (n_tasks,).

    The uniforms are passed in so that a batched and a per-task rollout can share them."""
    chosen = np.take_along_axis(means, arms[:, None], axis=1)[:, 0]
    return (uniforms < chosen).astype(np.float64)


def posterior_counts(successes: np.ndarray, failures: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Beta posterior parameters (α, β) = (1 + successes, 1 + failures) of each arm under the
    uniform Beta(1, 1) prior of the task distribution."""
    return 1.0 + successes, 1.0 + failures


def posterior_mean(successes: np.ndarray, failures: np.ndarray) -> np.ndarray:
    """E[μ | data] = (s + 1) / (s + f + 2), the posterior mean of an arm under the uniform prior
    (Laplace's rule of succession); it is also the probability that its next pull pays 1."""
    return (successes + 1.0) / (successes + failures + 2.0)


def expected_total_reward(means: np.ndarray, arms: np.ndarray) -> np.ndarray:
    """Σ_t μ_{a_t}: the expected reward of a sequence of pulls given the true means (a
    lower-variance score than the sampled rewards). ``arms``: (n_tasks, n) -> (n_tasks,)."""
    means = check_array("means", means, (None, None), dtype=float)
    return np.take_along_axis(means, arms, axis=1).sum(axis=1)


class BanditTrials:
    """Bandits as RL² sees them: a trial is ``n_pulls`` pulls of one task, each pull a one-step
    episode from the single observation 0 (so every step ends an episode, ``done`` = 1).

    Every random number a trial needs is drawn up front (:meth:`draw`), with a leading task
    dimension, so a per-task loop that slices ``[i:i + 1]`` sees exactly what the batch sees.
    """

    n_obs = 1

    def __init__(self, n_arms: int, n_pulls: int) -> None:
        self.n_actions, self.trial_length = check_bandit_shape(n_arms, n_pulls)

    def draw(self, n_tasks: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Tasks and noise of ``n_tasks`` trials: ``means`` (n_tasks, k) and the reward
        uniforms (n_tasks, n)."""
        means = sample_bandits(n_tasks, self.n_actions, rng)
        return {"means": means, "reward_uniforms": rng.random((n_tasks, self.trial_length))}

    def start(self, draws: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """(state, observation) at the start of the trial, each (n_tasks,)."""
        n_tasks = draws["means"].shape[0]
        return np.zeros(n_tasks, dtype=np.int64), np.zeros(n_tasks, dtype=np.int64)

    def transition(self, draws: dict[str, np.ndarray], t: int, state: np.ndarray,
                   actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Step t (0-based) of every trial: (next state, next observation, reward, done)."""
        reward = pull(draws["means"], actions, draws["reward_uniforms"][:, t])
        return state, state, reward, np.ones_like(reward)
