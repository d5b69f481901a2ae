"""Skills without rewards on tabular MDPs: DIAYN and VIC with discrete soft Q-learning.

DIAYN (Eysenbach, Gupta, Ibarz & Levine 2018, "Diversity is all you need") draws a skill z from
a fixed uniform prior p(z), runs the skill-conditioned policy π(a | s, z), and pays at every
step the pseudo-reward

    r_z(s, a, s') = log q(z | s') - log p(z),

where the discriminator q(z | s) is trained, on the same states, to tell the skill from the
state. Maximising it with a maximum-entropy learner maximises a lower bound on I(S; Z) plus
the policy's entropy. VIC (Gregor, Rezende & Wierstra 2016, "Variational intrinsic control")
is the same idea with two differences: the discriminator sees only the final state s_T of a
skill's run, paid once, log q(z | s_T) - log p(z); and the prior p(z) is learned. For a fixed
discriminator, the prior that maximises the bound Σ_z p(z) (E[log q(z | s_T) | z] - log p(z))
is p(z) ∝ exp E[log q(z | s_T) | z] (:func:`best_prior`); we set p to it, with the expectation
tracked as a running mean. Both learn the skill policies with tabular soft Q-learning
(:mod:`chapter_code.skills.soft_q`); the discriminator is a table of logits, one row per state,
trained by gradient ascent on log q(z | s).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chapter_code._checks import check_choice, check_int, check_real
from chapter_code.envs.tabular import TabularMDP
from chapter_code.seeding import SeedLike, as_generator
from chapter_code.skills.soft_q import soft_policy, soft_q_target, soft_q_update, soft_value

METHODS = ("diayn", "vic")
_TOL = 1e-8


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """log softmax over the last axis, computed stably: log q(z | s) from logits (..., K)."""
    logits = np.asarray(logits, dtype=float)
    top = logits.max(axis=-1, keepdims=True)
    return logits - top - np.log(np.exp(logits - top).sum(axis=-1, keepdims=True))


def _check_distribution(name: str, p: np.ndarray, positive: bool = False) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    if p.ndim != 1 or p.size < 1 or (p < 0).any() or abs(p.sum() - 1.0) > _TOL:
        raise ValueError(f"{name} must be a 1-D probability vector (non-negative, summing to "
                         f"1), got {p!r}")
    if positive and (p <= 0).any():
        raise ValueError(f"{name} must give every skill positive probability, got {p!r}")
    return p


def diayn_reward(q: np.ndarray, skill: int, prior: np.ndarray) -> float:
    """The DIAYN pseudo-reward log q(z | s) - log p(z) (Eysenbach et al. 2018) of skill z =
    ``skill``, from the discriminator's probabilities ``q`` (K,) = q(· | s) at the state
    reached and the prior ``prior`` (K,) = p(·). With a uniform prior over K skills it is
    log K for a discriminator sure of the right skill and 0 for a uniform one."""
    q = _check_distribution("q", q)
    prior = _check_distribution("prior", prior, positive=True)
    if q.shape != prior.shape:
        raise ValueError(f"q and prior must have one length K, got {q.shape} and {prior.shape}")
    skill = check_int("skill", skill, minimum=0)
    if skill >= q.size:
        raise ValueError(f"skill must lie in [0, {q.size}), got {skill}")
    return float(np.log(q[skill]) - np.log(prior[skill]))


def discriminator_step(logits: np.ndarray, skill: int, lr: float) -> np.ndarray:
    """One gradient-ascent step on log q(z | s) = log softmax(logits)[z] for the logits
    (K,) of one state: logits + lr (onehot(z) - softmax(logits)), the exact gradient."""
    logits = np.asarray(logits, dtype=float)
    if logits.ndim != 1:
        raise ValueError(f"logits must be 1-D (K,), got shape {logits.shape}")
    skill = check_int("skill", skill, minimum=0)
    if skill >= logits.size:
        raise ValueError(f"skill must lie in [0, {logits.size}), got {skill}")
    lr = check_real("lr", lr, low=0.0, low_open=True)
    grad = -np.exp(log_softmax(logits))
    grad[skill] += 1.0
    return logits + lr * grad


def best_prior(mean_log_q: np.ndarray) -> np.ndarray:
    """The prior maximising Σ_z p(z) (a_z - log p(z)) for a_z = E[log q(z | s_T) | z]
    (``mean_log_q``, (K,)): p = softmax(a), by a Lagrange multiplier for Σ_z p(z) = 1. The
    maximum is log Σ_z exp(a_z). VIC's prior for the current discriminator."""
    a = np.asarray(mean_log_q, dtype=float)
    if a.ndim != 1 or a.size < 1 or not np.isfinite(a).all():
        raise ValueError(f"mean_log_q must be a finite 1-D array (K,), got {a!r}")
    return np.exp(log_softmax(a))


@dataclass(frozen=True)
class SkillResult:
    """What :func:`train_skills` learned and recorded.

    ``Q`` (K, S, A): the soft action values of each skill. ``logits`` (S, K): the
    discriminator, q(z | s) = softmax(logits[s])[z]. ``prior`` (K,): p(z) at the end (uniform
    for DIAYN). ``skills`` (n_episodes,): the skill of each episode. ``accuracy``
    (n_episodes,): the fraction of the states the discriminator judged in each episode (every
    state reached for DIAYN, the final one for VIC) whose most likely skill was the episode's,
    before the discriminator's update. ``reward`` (n_episodes,): the pseudo-reward summed
    over the episode.
    """

    Q: np.ndarray
    logits: np.ndarray
    prior: np.ndarray
    skills: np.ndarray
    accuracy: np.ndarray
    reward: np.ndarray
    method: str
    alpha: float


def train_skills(
    mdp: TabularMDP,
    n_skills: int,
    *,
    method: str = "diayn",
    n_episodes: int = 2000,
    horizon: int = 20,
    start: int = 0,
    alpha: float = 0.1,
    lr_q: float = 0.2,
    lr_d: float = 0.5,
    prior_rate: float = 0.05,
    seed: SeedLike = 0,
) -> SkillResult:
    """Learn ``n_skills`` skills in ``mdp`` from its dynamics alone (its rewards are ignored).

    Each episode: z ~ p(z); from ``start`` run π(· | s, z) = :func:`soft_policy` of Q[z, s] for
    ``horizon`` steps (fewer if a terminal state is reached). ``method="diayn"``: after each step
    (s, a, s') pay :func:`diayn_reward` of q(· | s'), update Q[z, s, a] toward
    :func:`soft_q_target` (the horizon truncates: bootstrap with the soft value of s'), then
    take a :func:`discriminator_step` at s'. ``method="vic"``: pay the reward only on the final
    state s_T, which ends the skill (no bootstrap), train the discriminator on s_T only, and
    move the prior to :func:`best_prior` of the running means (rate ``prior_rate``) of
    log q(z | s_T). Soft Q-learning uses the MDP's discount γ, temperature ``alpha`` and step
    ``lr_q``; the discriminator's step is ``lr_d``. All randomness from ``seed``.
    """
    if not isinstance(mdp, TabularMDP):
        raise TypeError(f"mdp must be a TabularMDP, got {type(mdp).__name__}")
    n_skills = check_int("n_skills", n_skills, minimum=2)
    method = check_choice("method", method, METHODS)
    n_episodes = check_int("n_episodes", n_episodes, minimum=1)
    horizon = check_int("horizon", horizon, minimum=1)
    start = check_int("start", start, minimum=0)
    if start >= mdp.n_states or mdp.terminal[start]:
        raise ValueError(f"start must be a non-terminal state in [0, {mdp.n_states}), got "
                         f"{start}")
    alpha = check_real("alpha", alpha, low=0.0, low_open=True)
    lr_q = check_real("lr_q", lr_q, low=0.0, high=1.0, low_open=True)
    lr_d = check_real("lr_d", lr_d, low=0.0, low_open=True)
    prior_rate = check_real("prior_rate", prior_rate, low=0.0, high=1.0)
    rng = as_generator(seed)
    Q = np.zeros((n_skills, mdp.n_states, mdp.n_actions))
    logits = np.zeros((mdp.n_states, n_skills))
    prior = np.full(n_skills, 1.0 / n_skills)
    mean_log_q = np.full(n_skills, -np.log(n_skills))
    skills = np.zeros(n_episodes, dtype=np.int64)
    accuracy = np.zeros(n_episodes)
    total = np.zeros(n_episodes)
    for episode in range(n_episodes):
        z = int(np.searchsorted(np.cumsum(prior), rng.random() * prior.sum(), side="right"))
        z = min(z, n_skills - 1)
        skills[episode] = z
        s, hits, judged = start, 0, 0
        for t in range(horizon):
            pi = soft_policy(Q[z, s], alpha)
            a = min(int(np.searchsorted(np.cumsum(pi), rng.random(), side="right")),
                    mdp.n_actions - 1)
            s_next_arr, _, terminated_arr = mdp.step(np.array([s]), np.array([a]), rng)
            s_next, terminated = int(s_next_arr[0]), bool(terminated_arr[0])
            last = terminated or t == horizon - 1
            judge = method == "diayn" or last
            reward = 0.0
            if judge:
                q = np.exp(log_softmax(logits[s_next]))
                reward = diayn_reward(q, z, prior)
                hits += int(np.argmax(q) == z)
                judged += 1
            ends = terminated or (method == "vic" and last)  # VIC: the skill ends at s_T
            target = soft_q_target(reward, mdp.gamma, float(soft_value(Q[z, s_next], alpha)),
                                   ends)
            Q[z, s, a] = soft_q_update(Q[z, s, a], target, lr_q)
            if judge:
                if method == "vic":
                    log_q = float(log_softmax(logits[s_next])[z])
                    mean_log_q[z] += prior_rate * (log_q - mean_log_q[z])
                logits[s_next] = discriminator_step(logits[s_next], z, lr_d)
            total[episode] += reward
            s = s_next
            if terminated:
                break
        if method == "vic":
            prior = best_prior(mean_log_q)
        accuracy[episode] = hits / judged
    return SkillResult(Q=Q, logits=logits, prior=prior, skills=skills, accuracy=accuracy,
                       reward=total, method=method, alpha=alpha)


def sample_skill_paths(
    mdp: TabularMDP, result: SkillResult, start: int, horizon: int, n_paths: int,
    seed: SeedLike = 0,
) -> np.ndarray:
    """``n_paths`` runs of every learned skill's soft policy from ``start``: the states visited,
    (K, n_paths, horizon + 1), the first column ``start`` (a run that reaches a terminal state
    stays there)."""
    if not isinstance(mdp, TabularMDP):
        raise TypeError(f"mdp must be a TabularMDP, got {type(mdp).__name__}")
    horizon = check_int("horizon", horizon, minimum=1)
    n_paths = check_int("n_paths", n_paths, minimum=1)
    rng = as_generator(seed)
    policy = soft_policy(result.Q, result.alpha)  # (K, S, A)
    K = policy.shape[0]
    paths = np.zeros((K, n_paths, horizon + 1), dtype=np.int64)
    paths[:, :, 0] = start
    for t in range(horizon):
        s = paths[:, :, t]
        cdf = np.cumsum(policy[np.arange(K)[:, None], s], axis=-1)  # (K, n, A)
        a = np.minimum((rng.random(s.shape)[..., None] >= cdf).sum(axis=-1), mdp.n_actions - 1)
        paths[:, :, t + 1] = mdp.step(s, a, rng)[0]
    return paths


def skill_state_distributions(
    mdp: TabularMDP, policy: np.ndarray, start: int, horizon: int, *, final_only: bool
) -> np.ndarray:
    """Exact distribution of the states each skill's discriminator sees, (K, S): for skill z
    with policy ``policy[z]`` (S, A) started in ``start``, the state after step ``horizon``
    (``final_only``, VIC) or the average over steps t = 1..horizon of the state after step t
    (DIAYN). Terminal states absorb (their P is a self-loop)."""
    policy = np.asarray(policy, dtype=float)
    if policy.ndim != 3 or policy.shape[1:] != (mdp.n_states, mdp.n_actions):
        raise ValueError(f"policy must have shape (K, S, A) with (S, A) = "
                         f"{(mdp.n_states, mdp.n_actions)}, got {policy.shape}")
    horizon = check_int("horizon", horizon, minimum=1)
    start = check_int("start", start, minimum=0)
    P_pi = np.einsum("ksa,sat->kst", policy, mdp.P)  # (K, S, S)
    d = np.zeros((policy.shape[0], mdp.n_states))
    d[:, start] = 1.0
    seen = np.zeros_like(d)
    for _ in range(horizon):
        d = np.einsum("ks,kst->kt", d, P_pi)
        seen += d
    return d if final_only else seen / horizon


def exact_mutual_information_bits(prior: np.ndarray, state_given_skill: np.ndarray) -> float:
    """I(Z; S) in bits for the joint p(z) d_z(s): Σ_z p(z) Σ_s d_z(s) log2 (d_z(s) / d(s)),
    d(s) = Σ_z p(z) d_z(s). Shapes: ``prior`` (K,), ``state_given_skill`` (K, S). At most
    log2 K."""
    prior = _check_distribution("prior", prior)
    d = np.asarray(state_given_skill, dtype=float)
    if d.ndim != 2 or d.shape[0] != prior.size or (d < 0).any() or \
            np.abs(d.sum(axis=1) - 1.0).max() > 1e-6:
        raise ValueError(f"state_given_skill must be (K, S) = ({prior.size}, S) with rows that "
                         f"are probability vectors, got shape {d.shape}")
    marginal = prior @ d
    ratio = np.divide(d, marginal[None, :], out=np.ones_like(d), where=d > 0)
    return float((prior[:, None] * d * np.log2(ratio)).sum())
