"""The bandit baselines of Duan et al. (2016), Table 1, stepped for many tasks at once.

Every baseline keeps, per arm, the successes s and failures f seen so far and pulls the arm of
largest index, ties broken uniformly at random; ε-greedy first flips an ε-coin to pull a
uniformly random arm instead. What differs is the index:

- greedy: the posterior mean (s + 1) / (s + f + 2) under the uniform Beta(1, 1) prior;
- UCB1 (Auer, Cesa-Bianchi & Fischer 2002, eq. for UCB1 in Fig. 1) in the variant we read
  Duan et al. as using: statistics started at one success and one failure (the Beta(1, 1)
  prior), so no arm needs a forced first pull, and a tuned exploration constant c,
  ucb_i(t) = μ̂_i + c √(2 ln t / T_i), μ̂_i = (s_i + 1)/(T_i), T_i = s_i + f_i + 2, t the
  1-based step;
- Thompson sampling (Thompson 1933): one draw from each arm's Beta posterior;
- optimistic Thompson sampling, in the variant Duan et al. (2016, §3.1) describe: several
  draws of the arm means from the posterior, acting on the most probable one; the number of
  draws is tuned (1: Thompson sampling);
- Gittins: the finite-horizon Gittins index of :mod:`chapter_code.rl2.gittins`;
- random: ε-greedy with ε = 1.

A policy is a :class:`BanditPolicy`; :func:`play_bandit` rolls it out on a batch of tasks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy.special import xlog1py, xlogy

from chapter_code._checks import check_array, check_int, check_real
from chapter_code.rl2.bandits import check_rng, posterior_counts, posterior_mean, pull
from chapter_code.rl2.gittins import GittinsTable

# index(successes, failures, t, n_pulls, rng) -> (n_tasks, k); t is the 1-based step
Index = Callable[[np.ndarray, np.ndarray, int, int, np.random.Generator], np.ndarray]


def zero_index(successes: np.ndarray, failures: np.ndarray, t: int, n_pulls: int,
               rng: np.random.Generator) -> np.ndarray:
    """The same index for every arm: with ties broken at random, a uniformly random pull."""
    return np.zeros(successes.shape)


def greedy_index(successes: np.ndarray, failures: np.ndarray, t: int, n_pulls: int,
                 rng: np.random.Generator) -> np.ndarray:
    """The posterior mean (s + 1) / (s + f + 2) of each arm."""
    return posterior_mean(successes, failures)


def ucb1_bonus(pulls: np.ndarray, t: int, c: float) -> np.ndarray:
    """c √(2 ln t / T_i): UCB1's exploration bonus (Auer et al. 2002, Fig. 1, with the constant
    c in front as in Audibert, Munos & Szepesvári 2009), T_i the arm's pull count."""
    return c * np.sqrt(2.0 * np.log(t) / pulls)


def ucb1_index(c: float) -> Index:
    """UCB1 with statistics started at one success and one failure and exploration constant
    ``c``: μ̂_i + c √(2 ln t / T_i), T_i = s_i + f_i + 2."""
    c = check_real("c", c, low=0.0)

    def index(successes: np.ndarray, failures: np.ndarray, t: int, n_pulls: int,
              rng: np.random.Generator) -> np.ndarray:
        return posterior_mean(successes, failures) + ucb1_bonus(successes + failures + 2.0,
                                                               t, c)

    return index


def thompson_index(successes: np.ndarray, failures: np.ndarray, t: int, n_pulls: int,
                   rng: np.random.Generator) -> np.ndarray:
    """One draw θ_i ~ Beta(s_i + 1, f_i + 1) per arm (Thompson 1933)."""
    alpha, beta = posterior_counts(successes, failures)
    return rng.beta(alpha, beta)


def optimistic_thompson_index(n_samples: int) -> Index:
    """Optimistic Thompson sampling as Duan et al. (2016, §3.1) describe theirs: draw
    ``n_samples`` vectors of arm means θ^(j) from the posterior and act on the most probable
    one, the draw of largest posterior log-density Σ_i s_i log θ_i + f_i log(1 − θ_i) (+ a
    constant). One draw is Thompson sampling; more draws move the choice toward the posterior
    mode s_i / (s_i + f_i), the empirical means, and need more of them the more arms there are."""
    n_samples = check_int("n_samples", n_samples, minimum=1)

    def index(successes: np.ndarray, failures: np.ndarray, t: int, n_pulls: int,
              rng: np.random.Generator) -> np.ndarray:
        alpha, beta = posterior_counts(successes, failures)
        draws = rng.beta(alpha, beta, size=(n_samples, *successes.shape))
        log_density = (xlogy(successes, draws) + xlog1py(failures, -draws)).sum(axis=-1)
        best = log_density.argmax(axis=0)  # (n_tasks,)
        return np.take_along_axis(draws, best[None, :, None], axis=0)[0]

    return index


def gittins_index(table: GittinsTable) -> Index:
    """The finite-horizon Gittins index G(s, f, n − t + 1) read from ``table``."""

    def index(successes: np.ndarray, failures: np.ndarray, t: int, n_pulls: int,
              rng: np.random.Generator) -> np.ndarray:
        if n_pulls != table.n_pulls:
            raise ValueError(f"the Gittins table is for n_pulls={table.n_pulls}, "
                             f"the trial has {n_pulls}")
        return table.index(successes.astype(np.int64), failures.astype(np.int64),
                           n_pulls - t + 1)

    return index


@dataclass(frozen=True)
class BanditPolicy:
    """Pull the arm of largest ``index`` (ties uniformly at random), except with probability
    ``epsilon`` a uniformly random arm. ``randomized``: the index itself draws random numbers
    (Thompson sampling), so the policy has no closed-form action distribution."""

    name: str
    index: Index
    epsilon: float = 0.0
    randomized: bool = False
    params: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_real("epsilon", self.epsilon, low=0.0, high=1.0)


def random_policy() -> BanditPolicy:
    """Uniformly random pulls."""
    return BanditPolicy("random", zero_index, epsilon=1.0)


def greedy_policy() -> BanditPolicy:
    """The arm of largest posterior mean."""
    return BanditPolicy("greedy", greedy_index)


def eps_greedy_policy(epsilon: float) -> BanditPolicy:
    """Greedy, except a uniformly random arm with probability ``epsilon``."""
    return BanditPolicy("eps_greedy", greedy_index, epsilon=epsilon, params={"epsilon": epsilon})


def ucb1_policy(c: float) -> BanditPolicy:
    """UCB1 with exploration constant ``c`` (statistics started at Beta(1, 1))."""
    return BanditPolicy("ucb1", ucb1_index(c), params={"c": c})


def thompson_policy() -> BanditPolicy:
    """Thompson sampling with the uniform prior."""
    return BanditPolicy("ts", thompson_index, randomized=True)


def optimistic_thompson_policy(n_samples: int) -> BanditPolicy:
    """Optimistic Thompson sampling acting on the most probable of ``n_samples`` posterior
    draws."""
    return BanditPolicy("ots", optimistic_thompson_index(n_samples), randomized=True,
                        params={"n_samples": n_samples})


def gittins_policy(table: GittinsTable) -> BanditPolicy:
    """The finite-horizon Gittins index policy for the horizon of ``table``."""
    return BanditPolicy("gittins", gittins_index(table))


def argmax_random_ties(index: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """Per row of ``index`` (n_tasks, k), the position of the largest entry, ties broken by
    ``uniforms`` (n_tasks,) in [0, 1): the ⌊u · (number of ties)⌋-th tied entry."""
    best = index == index.max(axis=1, keepdims=True)
    pick = np.floor(uniforms * best.sum(axis=1)).astype(np.int64)
    return np.argmax(np.cumsum(best, axis=1) > pick[:, None], axis=1)


def action_probabilities(policy: BanditPolicy, successes: np.ndarray, failures: np.ndarray,
                         t: int, n_pulls: int) -> np.ndarray:
    """The exact distribution of the policy's next pull: (1 − ε) uniform over the arms of
    largest index + ε uniform over all arms, (n_tasks, k). Only for a policy whose index is a
    function of the counts (``randomized`` false)."""
    if policy.randomized:
        raise ValueError(f"policy {policy.name!r} draws its index at random; its action "
                         "distribution has no closed form here")
    index = policy.index(successes, failures, t, n_pulls, np.random.default_rng(0))
    best = index == index.max(axis=1, keepdims=True)
    k = index.shape[1]
    return (1.0 - policy.epsilon) * best / best.sum(axis=1, keepdims=True) + policy.epsilon / k


def choose_arms(policy: BanditPolicy, successes: np.ndarray, failures: np.ndarray, t: int,
                n_pulls: int, rng: np.random.Generator) -> np.ndarray:
    """One pull per task: the policy's arm, (n_tasks,). Draws, in this order, the ε-coins,
    the random arms, the tie-breaking uniforms (n_tasks each), then the index's own draws."""
    n_tasks, k = successes.shape
    explore = rng.random(size=(n_tasks,)) < policy.epsilon
    random_arm = rng.integers(k, size=n_tasks)
    ties = rng.random(size=(n_tasks,))
    greedy = argmax_random_ties(policy.index(successes, failures, t, n_pulls, rng), ties)
    return np.where(explore, random_arm, greedy)


def play_bandit(policy: BanditPolicy, means: np.ndarray, n_pulls: int,
                rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Roll ``policy`` out for ``n_pulls`` pulls on every task of ``means`` (n_tasks, k) at once;
    returns the arms and the Bernoulli rewards, each (n_tasks, n_pulls)."""
    means = check_array("means", means, (None, None), dtype=float)
    if means.shape[1] < 2:
        raise ValueError(f"means must have at least 2 arms (columns), got {means.shape[1]}")
    n_pulls = check_int("n_pulls", n_pulls, minimum=1)
    rng = check_rng(rng)
    n_tasks, k = means.shape
    successes = np.zeros((n_tasks, k))
    failures = np.zeros((n_tasks, k))
    arms = np.empty((n_tasks, n_pulls), dtype=np.int64)
    rewards = np.empty((n_tasks, n_pulls))
    rows = np.arange(n_tasks)
    for t in range(1, n_pulls + 1):
        arm = choose_arms(policy, successes, failures, t, n_pulls, rng)
        reward = pull(means, arm, rng.random(size=(n_tasks,)))
        successes[rows, arm] += reward
        failures[rows, arm] += 1.0 - reward
        arms[:, t - 1], rewards[:, t - 1] = arm, reward
    return arms, rewards
