"""Option-critic with a shared neural encoder (Bacon, Harb & Precup 2017, "Arcade Learning
Environment" section), on feature observations such as CartPole's.

One network reads the observation into shared features φ(s); three linear heads give the
option values Q_Ω(s, ·), the termination probabilities β_ω(s) = σ(ϑ_ω · φ(s)) and the
intra-option policies π_ω(·|s) = softmax of one row of logits per option. Learning is
synchronous over a few copies of the environment (one transition each per update, as A2OC
does; Harb et al. 2018), and each update is the sum of three losses, one function each:

- :func:`critic_loss`: Q_Ω(s, ω) toward the intra-option target
  g = r + γ U(ω, s') (eq. 3 with the greedy V_Ω; U from :func:`chapter_code.options.continuation`);
- :func:`intra_option_policy_loss`: -log π_ω(a|s) (g - Q_Ω(s, ω)) minus an entropy bonus, whose
  gradient is one sample of Theorem 1 with the baseline Q_Ω (and the entropy regulariser of the
  paper's ALE section);
- :func:`termination_loss`: β_ω(s') (Q_Ω(s', ω) - V_Ω(s') + ξ), whose gradient is the
  termination gradient of Theorem 2 with the regulariser ξ.

The tabular updates of :mod:`chapter_code.option_critic.tabular` are these gradients for a
one-hot encoder; the tests check that. One option is the flat actor-critic with the same network
and budget (ending the only option restarts it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import gymnasium
import numpy as np
import torch
from torch import Tensor, nn

from chapter_code._checks import check_int, check_real
from chapter_code.meta.networks import check_generator, mlp
from chapter_code.options.learning import continuation
from chapter_code.seeding import SeedLike, as_generator


class OptionCriticNetwork(nn.Module):
    """Shared encoder φ(s) (a ReLU MLP) and three heads: Q_Ω (O,), termination logits (O,) and
    intra-option logits (O, A). All weights drawn from ``generator``."""

    def __init__(self, obs_dim: int, n_actions: int, n_options: int, hidden: int,
                 generator: torch.Generator) -> None:
        super().__init__()
        generator = check_generator(generator)
        self.n_actions = check_int("n_actions", n_actions, minimum=1)
        self.n_options = check_int("n_options", n_options, minimum=1)
        hidden = check_int("hidden", hidden, minimum=1)
        self.encoder = nn.Sequential(mlp((check_int("obs_dim", obs_dim, minimum=1), hidden,
                                          hidden), generator), nn.ReLU())
        self.q_head = mlp((hidden, n_options), generator)
        self.termination_head = mlp((hidden, n_options), generator)
        self.policy_head = mlp((hidden, n_options * n_actions), generator)

    def forward(self, obs: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """``(Q_Omega (B, O), beta (B, O), logits (B, O, A))`` for observations (B, obs_dim)."""
        phi = self.encoder(obs)
        logits = self.policy_head(phi).view(-1, self.n_options, self.n_actions)
        return self.q_head(phi), torch.sigmoid(self.termination_head(phi)), logits


def critic_loss(q_option: Tensor, target: Tensor) -> Tensor:
    """½ mean (Q_Ω(s, ω) - g)², g the intra-option target (held fixed): the squared TD error of
    Algorithm 1's options evaluation. Shapes: (B,) each."""
    return 0.5 * ((q_option - target.detach()) ** 2).mean()


def intra_option_policy_loss(logits: Tensor, action: Tensor, advantage: Tensor,
                             entropy_reg: float) -> Tensor:
    """-mean[log π_ω(a|s) (g - Q_Ω(s, ω)) + η H(π_ω(·|s))]: its negative gradient is one sample
    of the intra-option policy gradient (Theorem 1) with baseline Q_Ω(s, ω), plus the entropy
    regulariser η of the paper's ALE section. ``logits`` (B, A) of the running options,
    ``action`` (B,) integers, ``advantage`` (B,) held fixed."""
    log_pi = torch.log_softmax(logits, dim=-1)
    chosen = log_pi.gather(1, action.view(-1, 1)).squeeze(1)
    entropy = -(log_pi.exp() * log_pi).sum(dim=-1)
    return -(chosen * advantage.detach() + entropy_reg * entropy).mean()


def termination_loss(beta_next: Tensor, advantage_next: Tensor, xi: float,
                     live: Tensor) -> Tensor:
    """mean β_ω(s') (Q_Ω(s', ω) - V_Ω(s') + ξ) over transitions whose s' is non-terminal
    (``live`` 1.0, else 0.0); the advantage is held fixed, so descending this loss is the
    termination step of Algorithm 1, ϑ <- ϑ - α ∂β/∂ϑ (A_Ω + ξ) (Theorem 2). Shapes (B,)."""
    return (beta_next * (advantage_next.detach() + xi) * live).mean()


@dataclass(frozen=True)
class DeepResult:
    """``episode_returns`` and ``episode_ends`` (the update at which each episode ended), in
    order of completion over all environment copies; ``network``: the trained network;
    ``mean_option_duration``: primitive steps per option choice over the whole run."""

    episode_returns: np.ndarray
    episode_ends: np.ndarray
    network: OptionCriticNetwork
    mean_option_duration: float


def deep_option_critic(
    make_env: Callable[[], gymnasium.Env],
    *,
    n_options: int,
    n_updates: int,
    n_envs: int = 8,
    hidden: int = 64,
    lr: float = 1e-3,
    gamma: float = 0.99,
    epsilon: float = 0.05,
    xi: float = 0.01,
    entropy_reg: float = 0.01,
    seed: SeedLike = 0,
    generator: torch.Generator | None = None,
) -> DeepResult:
    """Option-critic with a shared encoder for ``n_updates`` Adam steps, each on one transition
    of each of ``n_envs`` copies of ``make_env()`` (discrete actions, flat float observations).

    Options are chosen ε-greedily on Q_Ω; actions drawn from π_ω; after each transition the
    option ends with probability β_ω(s') (always at the end of an episode). Time limits
    truncate: the target bootstraps from s'. ``seed`` drives the environments and every
    sample; ``generator`` (default: a torch generator from ``seed``'s first draw) the weights.
    With ``n_options=1`` this is the flat one-step actor-critic (its termination changes
    nothing).
    """
    n_options = check_int("n_options", n_options, minimum=1)
    n_updates = check_int("n_updates", n_updates, minimum=1)
    n_envs = check_int("n_envs", n_envs, minimum=1)
    lr = check_real("lr", lr, low=0.0, low_open=True)
    gamma = check_real("gamma", gamma, low=0.0, high=1.0)
    epsilon = check_real("epsilon", epsilon, low=0.0, high=1.0)
    xi = check_real("xi", xi)
    entropy_reg = check_real("entropy_reg", entropy_reg, low=0.0)
    if not callable(make_env):
        raise TypeError(f"make_env must be a callable returning a gymnasium.Env, got "
                        f"{type(make_env).__name__}")
    rng = as_generator(seed)
    if generator is None:
        generator = torch.Generator().manual_seed(int(rng.integers(2**62)))
    envs = [make_env() for _ in range(n_envs)]
    space = envs[0].action_space
    if not isinstance(space, gymnasium.spaces.Discrete):
        raise ValueError(f"make_env must give discrete actions, got {space}")
    obs_dim = int(np.prod(envs[0].observation_space.shape or (1,)))
    net = OptionCriticNetwork(obs_dim, int(space.n), n_options, hidden, generator)
    optimiser = torch.optim.Adam(net.parameters(), lr=lr)
    obs = np.stack([np.asarray(env.reset(seed=int(rng.integers(2**31)))[0], dtype=np.float32)
                    .ravel() for env in envs])
    option = np.full(n_envs, -1)
    running_return = np.zeros(n_envs)
    returns: list[float] = []
    ends: list[int] = []
    choices = 0
    rows = torch.arange(n_envs)
    for update in range(n_updates):
        q, _, logits = net(torch.from_numpy(obs))
        q_values = q.detach().numpy()
        for i in np.flatnonzero(option < 0).tolist():  # ε-greedy where no option runs
            choices += 1
            greedy = np.flatnonzero(q_values[i] == q_values[i].max())
            option[i] = (rng.integers(n_options) if rng.random() < epsilon
                         else greedy[rng.integers(greedy.size)])
        opt = torch.from_numpy(option)
        running_logits = logits[rows, opt]
        probs = torch.softmax(running_logits, dim=-1).detach().numpy().astype(float)
        action = np.array([rng.choice(probs.shape[1], p=p / p.sum()) for p in probs])
        next_obs = np.empty_like(obs)
        final_obs = np.empty_like(obs)
        reward = np.zeros(n_envs, dtype=np.float32)
        terminated = np.zeros(n_envs, dtype=bool)
        done = np.zeros(n_envs, dtype=bool)
        for i, env in enumerate(envs):
            o, r, term, trunc, _ = env.step(int(action[i]))
            final_obs[i] = np.asarray(o, dtype=np.float32).ravel()
            reward[i], terminated[i], done[i] = r, term, term or trunc
            running_return[i] += r
            if done[i]:
                returns.append(float(running_return[i]))
                ends.append(update)
                running_return[i] = 0.0
                o, _ = env.reset()
            next_obs[i] = np.asarray(o, dtype=np.float32).ravel()
        q_next, beta_next, _ = net(torch.from_numpy(final_obs))
        qn = q_next.detach().numpy().astype(float)
        bn = beta_next.detach().numpy().astype(float)
        idx = np.arange(n_envs)
        U = continuation(qn[idx, option], bn[idx, option], qn.max(axis=1))
        target = torch.from_numpy((reward + gamma * (~terminated) * U).astype(np.float32))
        q_option = q[rows, opt]
        live = torch.from_numpy((~terminated).astype(np.float32))
        advantage_next = torch.from_numpy((qn[idx, option] - qn.max(axis=1)).astype(np.float32))
        loss = (critic_loss(q_option, target)
                + intra_option_policy_loss(running_logits, torch.from_numpy(action), target
                                           - q_option, entropy_reg)
                + termination_loss(beta_next[rows, opt], advantage_next, xi, live))
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        ends_option = done | (rng.random(n_envs) < bn[idx, option])
        option[ends_option] = -1
        obs = next_obs
    steps = n_updates * n_envs
    return DeepResult(episode_returns=np.array(returns), episode_ends=np.array(ends, dtype=int),
                      network=net, mean_option_duration=steps / max(choices, 1))


def compare_on_cartpole(*, n_seeds: int = 5, n_updates: int = 10_000, n_options: int = 4,
                        last: int = 50, seed: int = 0,
                        **kwargs: float) -> dict[str, dict[str, float]]:
    """Option-critic with ``n_options`` options against the flat actor-critic (one option), same
    network, budget and hyper-parameters, on ``gymnasium.make("CartPole-v1")`` for ``n_seeds``
    seeds each (named streams of ``seed``). Returns, per method, the mean return of the last
    ``last`` episodes (mean and 95% interval over seeds), the mean return over all episodes,
    and the mean option duration in steps."""
    from chapter_code.seeding import stream, torch_stream
    from chapter_code.stats import mean_ci

    n_seeds = check_int("n_seeds", n_seeds, minimum=2)
    last = check_int("last", last, minimum=1)
    out: dict[str, dict[str, float]] = {}
    for name, options in ((f"option_critic_{n_options}", n_options), ("actor_critic", 1)):
        finals, overall, durations = [], [], []
        for k in range(n_seeds):
            result = deep_option_critic(
                lambda: gymnasium.make("CartPole-v1"), n_options=options, n_updates=n_updates,
                seed=stream(seed, f"{name}-{k}"), generator=torch_stream(seed, f"weights-{k}"),
                **kwargs)  # type: ignore[arg-type]
            finals.append(result.episode_returns[-last:].mean())
            overall.append(result.episode_returns.mean())
            durations.append(result.mean_option_duration)
        mean, low, high = mean_ci(np.array(finals))
        out[name] = {"return_last": round(float(mean), 3), "return_last_low": round(float(low), 3),
                     "return_last_high": round(float(high), 3),
                     "return_all": round(float(np.mean(overall)), 3),
                     "option_duration": round(float(np.mean(durations)), 3)}
    return out


def main(argv: list[str] | None = None) -> None:
    """``python -m chapter_code.option_critic.deep [--n-seeds N] [--n-updates U]``: print
    :func:`compare_on_cartpole` as JSON (one torch thread, for reproducible numbers)."""
    import argparse
    import json

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--n-seeds", type=int, default=5)
    parser.add_argument("--n-updates", type=int, default=10_000)
    parser.add_argument("--n-options", type=int, default=4)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    print(json.dumps(compare_on_cartpole(n_seeds=args.n_seeds, n_updates=args.n_updates,
                                         n_options=args.n_options), indent=2))


if __name__ == "__main__":
    main()
