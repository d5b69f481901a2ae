"""DIAYN with soft actor-critic on the 2D point environment (continuous actions).

Soft actor-critic (Haarnoja, Zhou, Hartikainen et al. 2018, "Soft actor-critic algorithms and
applications") learns a tanh-squashed Gaussian policy, two Q-functions with slowly tracking
target copies, and optionally its temperature α:

    y = r + γ (min_i Q̄_i(s', a') - α log π(a' | s')),     a' ~ π(· | s')         (soft target)
    J_π = E[α log π(a | s) - min_i Q_i(s, a)],              a ~ π(· | s)          (actor)
    J(α) = E[-α (log π(a | s) + H̄)],                       H̄ = -dim(A)          (temperature)

with log π(a | s) = log N(u; μ, σ) - Σ_j log(1 - tanh(u_j)²) for a = tanh(u) (their appendix C,
the change of variables through tanh). DIAYN (Eysenbach et al. 2018) conditions everything on
the one-hot skill z and pays r = log q(z | s') - log p(z) from a discriminator network q,
computed on the replayed s' with the current discriminator, as the released code does; it
keeps α fixed. The point environment: a point in the unit box [0, 1]², starting at its centre,
moved by actions in [-1, 1]² rescaled to [-0.1, 0.1]² (the 2D navigation dynamics of
:func:`chapter_code.envs.navigation.rescale_action`) and kept inside the box.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from chapter_code._checks import check_choice, check_int, check_real
from chapter_code.envs.navigation import rescale_action
from chapter_code.seeding import torch_stream
from chapter_code.skills.diayn import METHODS, best_prior

MAX_ACTION = 0.1
"""the largest move along each axis: actions in [-1, 1]² become moves in [-0.1, 0.1]²."""

START = (0.5, 0.5)
"""every episode starts at the centre of the unit box."""


def point_step(state: Tensor, action: Tensor) -> Tensor:
    """The 2D point's move: clip(s + 0.1 a) to the unit box, for actions a in [-1, 1]² (clipped
    by :func:`rescale_action`, as the navigation environment does). Shapes (..., 2)."""
    if state.shape != action.shape or state.shape[-1] != 2:
        raise ValueError(f"state and action must have one shape (..., 2), got "
                         f"{tuple(state.shape)} and {tuple(action.shape)}")
    return (state + rescale_action(action, MAX_ACTION)).clamp(0.0, 1.0)


def tanh_gaussian_log_prob(u: Tensor, mean: Tensor, log_std: Tensor) -> Tensor:
    """log π(a | s) of a = tanh(u), u ~ N(mean, exp(log_std)²) per dimension: the Gaussian
    log density of u minus Σ_j log(1 - tanh(u_j)²), written stably as
    2 (log 2 - u - softplus(-2u)). Shapes (..., d) -> (...)."""
    gaussian = -0.5 * ((u - mean) / log_std.exp()) ** 2 - log_std - 0.5 * math.log(2 * math.pi)
    log_det = 2.0 * (math.log(2.0) - u - nn.functional.softplus(-2.0 * u))
    return (gaussian - log_det).sum(dim=-1)


def sac_soft_target(reward: Tensor, gamma: float, q1_next: Tensor, q2_next: Tensor,
                    log_prob_next: Tensor, alpha: float, terminated: Tensor) -> Tensor:
    """y = r + γ (1 - terminated) (min(Q̄_1, Q̄_2)(s', a') - α log π(a' | s')), the clipped
    double-Q soft target of SAC. Shapes (B,)."""
    gamma = check_real("gamma", gamma, low=0.0, high=1.0)
    soft_next = torch.minimum(q1_next, q2_next) - alpha * log_prob_next
    return reward + gamma * (~terminated) * soft_next


def temperature_loss(log_alpha: Tensor, log_prob: Tensor, target_entropy: float) -> Tensor:
    """J(α) = mean(-α (log π(a | s) + H̄)) with α = exp(log_alpha) and the log-probabilities
    held fixed: its gradient raises α when the policy's entropy -log π is below H̄."""
    return -(log_alpha.exp() * (log_prob.detach() + target_entropy)).mean()


def mlp(n_in: int, n_out: int, hidden: int) -> nn.Sequential:
    """Two hidden ReLU layers of ``hidden`` units."""
    return nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, hidden),
                         nn.ReLU(), nn.Linear(hidden, n_out))


def initialise(module: nn.Module, generator: torch.Generator) -> None:
    """Draw every ``Linear`` layer's weights and biases from U(±1/sqrt(fan_in)), PyTorch's
    default, but from ``generator`` (in place)."""
    with torch.no_grad():
        for layer in module.modules():
            if isinstance(layer, nn.Linear):
                bound = 1.0 / math.sqrt(layer.in_features)
                for param in (layer.weight, layer.bias):
                    param.copy_((2.0 * torch.rand(param.shape, generator=generator) - 1.0)
                                * bound)


class SkillActor(nn.Module):
    """π(a | s, z): a tanh-squashed Gaussian whose mean and log σ (clamped to [-5, 2]) come
    from an MLP of the observation [s, onehot(z)]."""

    def __init__(self, n_obs: int, hidden: int) -> None:
        super().__init__()
        self.net = mlp(n_obs, 4, hidden)

    def sample(self, obs: Tensor, generator: torch.Generator) -> tuple[Tensor, Tensor]:
        """(a, log π(a | s, z)) for a reparameterised draw u = μ + σ ε, a = tanh(u)."""
        mean, log_std = self.net(obs).chunk(2, dim=-1)
        log_std = log_std.clamp(-5.0, 2.0)
        u = mean + log_std.exp() * torch.randn(mean.shape, generator=generator)
        return torch.tanh(u), tanh_gaussian_log_prob(u, mean, log_std)


@dataclass(frozen=True)
class PointSkills:
    """What :func:`train_point_skills` learned and recorded: the networks, the discriminator's
    accuracy on each update's batch (n_updates,), the pseudo-reward's batch mean (n_updates,),
    the final runs of every skill, ``paths`` (K, n_paths, horizon + 1, 2), the skill prior
    ``prior`` (K,) at the end (uniform for DIAYN) and the final temperature ``alpha``."""

    actor: SkillActor
    discriminator: nn.Sequential
    accuracy: np.ndarray
    reward: np.ndarray
    paths: np.ndarray
    n_skills: int
    alpha: float
    prior: np.ndarray
    method: str


def _onehot(z: Tensor, n_skills: int) -> Tensor:
    return nn.functional.one_hot(z, n_skills).float()


def skill_observation(state: Tensor, z: Tensor, n_skills: int,
                      time: Tensor | None = None) -> Tensor:
    """What the actor and the critics see: [s, onehot(z)], and for VIC the elapsed fraction of
    the episode t / horizon (its reward comes at the last step, so the value depends on t)."""
    parts = [state, _onehot(z, n_skills)]
    if time is not None:
        parts.append(time.reshape(-1, 1))
    return torch.cat(parts, dim=-1)


def skill_runs(actor: SkillActor, n_skills: int, n_paths: int, horizon: int,
               generator: torch.Generator, *, timed: bool = False) -> Tensor:
    """States of ``n_paths`` runs of each skill's policy from the centre, (K, n, horizon + 1, 2);
    ``timed``: the actor also sees t / horizon (VIC)."""
    z = torch.arange(n_skills).repeat_interleave(n_paths)
    state = torch.tensor(START).repeat(len(z), 1)
    states = [state]
    with torch.no_grad():
        for t in range(horizon):
            time = torch.full((len(z),), t / horizon) if timed else None
            action, _ = actor.sample(skill_observation(state, z, n_skills, time), generator)
            state = point_step(state, action)
            states.append(state)
    return torch.stack(states, dim=1).reshape(n_skills, n_paths, horizon + 1, 2)


def train_point_skills(
    n_skills: int,
    *,
    method: str = "diayn",
    n_iterations: int = 3000,
    n_envs: int = 8,
    horizon: int = 50,
    hidden: int = 64,
    batch_size: int = 128,
    lr: float = 3e-3,
    gamma: float = 0.99,
    alpha: float = 0.1,
    learn_alpha: bool = False,
    tau: float = 0.01,
    warmup: int = 1000,
    prior_rate: float = 0.05,
    seed: int = 0,
) -> PointSkills:
    """Skills with SAC on the point environment: ``n_iterations`` steps of ``n_envs`` episodes
    of ``horizon`` steps, each step followed, after ``warmup`` stored transitions, by one update
    of the discriminator (cross-entropy on replayed (s', z)), the two critics (toward
    :func:`sac_soft_target`), the actor and the target critics (Polyak rate ``tau``).

    ``method="diayn"``: z uniform; every replayed s' pays log q(z | s') - log p(z); the horizon
    is a time limit, so every target bootstraps. α is fixed, as in DIAYN; ``learn_alpha``
    instead starts α at ``alpha`` and descends :func:`temperature_loss` with the target entropy
    -dim(A) = -2, as SAC does. ``method="vic"`` (Gregor et al. 2016, as
    :func:`~chapter_code.skills.diayn.train_skills` runs it on grids): z ~ the learned prior
    p(z); only the episode's final state s_T pays, log q(z | s_T) - log p(z), and ends the
    skill (no bootstrap); the discriminator learns from final states only; after every batch of
    episodes the prior moves to :func:`~chapter_code.skills.diayn.best_prior` of the running
    means (rate ``prior_rate``) of log q(z | s_T); actor and critics also see t / horizon.
    Weights and noise from named torch streams of ``seed``."""
    n_skills = check_int("n_skills", n_skills, minimum=2)
    method = check_choice("method", method, METHODS)
    n_iterations = check_int("n_iterations", n_iterations, minimum=1)
    n_envs = check_int("n_envs", n_envs, minimum=1)
    horizon = check_int("horizon", horizon, minimum=1)
    hidden = check_int("hidden", hidden, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    check_real("lr", lr, low=0.0, low_open=True)
    check_real("alpha", alpha, low=0.0, low_open=learn_alpha)
    if not isinstance(learn_alpha, bool):
        raise TypeError(f"learn_alpha must be a bool, got {learn_alpha!r}")
    check_real("tau", tau, low=0.0, high=1.0, low_open=True)
    warmup = check_int("warmup", warmup, minimum=batch_size)
    prior_rate = check_real("prior_rate", prior_rate, low=0.0, high=1.0)
    vic = method == "vic"
    init = torch_stream(seed, "weights")
    noise = torch_stream(seed, "noise")
    n_obs = 2 + n_skills + int(vic)
    actor = SkillActor(n_obs, hidden)
    critics = nn.ModuleList([mlp(n_obs + 2, 1, hidden) for _ in range(2)])
    discriminator = mlp(2, n_skills, hidden)
    for module in (actor, critics, discriminator):
        initialise(module, init)
    targets = nn.ModuleList([mlp(n_obs + 2, 1, hidden) for _ in range(2)])
    targets.load_state_dict(critics.state_dict())
    opt_actor = torch.optim.Adam(actor.parameters(), lr=lr)
    opt_critic = torch.optim.Adam(critics.parameters(), lr=lr)
    opt_disc = torch.optim.Adam(discriminator.parameters(), lr=lr)
    log_alpha = torch.tensor(math.log(alpha) if learn_alpha else 0.0, requires_grad=learn_alpha)
    opt_alpha = torch.optim.Adam([log_alpha], lr=lr)
    capacity = n_iterations * n_envs
    buf_s = torch.zeros(capacity, 2)
    buf_z = torch.zeros(capacity, dtype=torch.long)
    buf_a = torch.zeros(capacity, 2)
    buf_s2 = torch.zeros(capacity, 2)
    buf_t = torch.zeros(capacity)  # t / horizon of s
    buf_last = torch.zeros(capacity, dtype=torch.bool)  # s2 is the episode's final state
    prior = np.full(n_skills, 1.0 / n_skills)
    mean_log_q = np.full(n_skills, -math.log(n_skills))
    accuracy, mean_reward = [], []
    size, t = 0, horizon
    state = torch.zeros(n_envs, 2)
    z = torch.zeros(n_envs, dtype=torch.long)

    def observe(s: Tensor, zs: Tensor, time: Tensor) -> Tensor:
        return skill_observation(s, zs, n_skills, time if vic else None)

    def log_q_of(s2: Tensor, zs: Tensor) -> Tensor:
        return torch.log_softmax(discriminator(s2), dim=-1).gather(1, zs[:, None])[:, 0]

    for _ in range(n_iterations):
        if t == horizon:  # new episodes: the centre, a fresh skill each
            state = torch.tensor(START).repeat(n_envs, 1)
            z = (torch.multinomial(torch.from_numpy(prior).float(), n_envs, replacement=True,
                                   generator=noise) if vic
                 else torch.randint(0, n_skills, (n_envs,), generator=noise))
            t = 0
        time = torch.full((n_envs,), t / horizon)
        with torch.no_grad():
            action, _ = actor.sample(observe(state, z, time), noise)
        next_state = point_step(state, action)
        rows = slice(size, size + n_envs)
        buf_s[rows], buf_z[rows], buf_a[rows], buf_s2[rows] = state, z, action, next_state
        buf_t[rows], buf_last[rows] = t / horizon, t + 1 == horizon
        size += n_envs
        state, t = next_state, t + 1
        if vic and t == horizon:  # the skills just ended: move the prior (Blahut-Arimoto step)
            with torch.no_grad():
                ended = log_q_of(state, z).numpy()
            for skill, value in zip(z.tolist(), ended, strict=True):
                mean_log_q[skill] += prior_rate * (value - mean_log_q[skill])
            prior = best_prior(mean_log_q)
        if size < warmup or (vic and size < horizon * n_envs):  # VIC: wait for a final state
            continue
        idx = torch.randint(0, size, (batch_size,), generator=noise)
        s, zb, a, s2, tb, last = (buf_s[idx], buf_z[idx], buf_a[idx], buf_s2[idx], buf_t[idx],
                                  buf_last[idx])
        # discriminator: maximise log q(z | s') on every s' (DIAYN) or on final states (VIC)
        if vic:
            finals = torch.nonzero(buf_last[:size])[:, 0]
            judged = finals[torch.randint(0, len(finals), (batch_size,), generator=noise)]
            s_d, z_d = buf_s2[judged], buf_z[judged]
        else:
            s_d, z_d = s2, zb
        logits = discriminator(s_d)
        loss_d = nn.functional.cross_entropy(logits, z_d)
        opt_disc.zero_grad()
        loss_d.backward()
        opt_disc.step()
        log_p = torch.from_numpy(np.log(prior)).float()
        with torch.no_grad():
            paid = log_q_of(s2, zb) - log_p[zb]  # the DIAYN / VIC pseudo-reward
            reward = paid * last if vic else paid
            accuracy.append(float((logits.argmax(dim=-1) == z_d).float().mean()))
            mean_reward.append(float((log_q_of(s_d, z_d) - log_p[z_d]).mean()))
            obs2 = observe(s2, zb, tb + 1.0 / horizon)
            a2, logp2 = actor.sample(obs2, noise)
            q_next = [net(torch.cat([obs2, a2], dim=-1))[:, 0] for net in targets]
            ends = last if vic else torch.zeros(batch_size, dtype=torch.bool)
            y = sac_soft_target(reward, gamma, q_next[0], q_next[1], logp2, alpha, ends)
        obs = observe(s, zb, tb)
        loss_q = sum(((net(torch.cat([obs, a], dim=-1))[:, 0] - y) ** 2).mean()
                     for net in critics)
        opt_critic.zero_grad()
        loss_q.backward()  # type: ignore[union-attr]
        opt_critic.step()
        a_new, logp = actor.sample(obs, noise)
        q_new = torch.minimum(*[net(torch.cat([obs, a_new], dim=-1))[:, 0] for net in critics])
        loss_pi = (alpha * logp - q_new).mean()
        opt_actor.zero_grad()
        loss_pi.backward()
        opt_actor.step()
        if learn_alpha:
            loss_alpha = temperature_loss(log_alpha, logp, -2.0)
            opt_alpha.zero_grad()
            loss_alpha.backward()
            opt_alpha.step()
            alpha = float(log_alpha.detach().exp())
        with torch.no_grad():
            for target, source in zip(targets.parameters(), critics.parameters(), strict=True):
                target.mul_(1.0 - tau).add_(tau * source)
    paths = skill_runs(actor, n_skills, 10, horizon, torch_stream(seed, "runs"), timed=vic)
    return PointSkills(actor=actor, discriminator=discriminator, accuracy=np.array(accuracy),
                       reward=np.array(mean_reward), paths=paths.numpy(), n_skills=n_skills,
                       alpha=alpha, prior=prior, method=method)
