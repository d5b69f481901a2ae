"""The RL² agent (Duan et al. 2016, §2.2, Fig. 1): a GRU policy whose hidden state is the state
of a learned reinforcement-learning algorithm.

At step t of a trial the GRU reads x_t = (one-hot s_t, one-hot a_{t−1}, r_{t−1}, d_{t−1}), the
current observation, the previous action, reward and episode-termination flag, and updates
h_t = GRU(x_t, h_{t−1}); a softmax head gives π(a_t | h_t) and a linear head the value V(h_t).
The paper draws one network; the authors' released code gives the value head a GRU of its own
fed the same x_t, which ``value_net="separate"`` builds (the recurrent state is then the pair
[h_t, h^V_t]).
h is zero at the start of a trial and is *not* reset when an episode inside the trial ends: what
the agent learned about the task in earlier episodes lives on in h. This module owns the
batched forward (every task of a batch stepped together) and the batched rollout; the per-task
loop is :func:`chapter_code.rl2.reference.reference_rollout`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch
from torch import nn

from chapter_code._checks import check_choice, check_int


class TrialEnv(Protocol):
    """A task distribution stepped as RL² trials (:class:`chapter_code.rl2.bandits.BanditTrials`,
    :class:`chapter_code.rl2.tabular_mdps.MDPTrials`)."""

    n_obs: int
    n_actions: int
    trial_length: int

    def draw(self, n_tasks: int, rng: np.random.Generator) -> dict[str, np.ndarray]: ...

    def start(self, draws: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]: ...

    def transition(self, draws: dict[str, np.ndarray], t: int, state: np.ndarray,
                   actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        ...


def rl2_inputs(obs: np.ndarray, prev_action: np.ndarray, prev_reward: np.ndarray,
               prev_done: np.ndarray, n_obs: int, n_actions: int) -> torch.Tensor:
    """x_t = [one-hot(s_t), one-hot(a_{t−1}), r_{t−1}, d_{t−1}] (Duan et al. 2016, §2.2), (n_tasks,
    n_obs + n_actions + 2) float32. ``prev_action`` −1 (start of a trial) gives a zero one-hot."""
    n = obs.shape[0]
    x = np.zeros((n, n_obs + n_actions + 2), dtype=np.float32)
    x[np.arange(n), obs] = 1.0
    has_action = prev_action >= 0
    x[np.arange(n)[has_action], n_obs + prev_action[has_action]] = 1.0
    x[:, -2] = prev_reward
    x[:, -1] = prev_done
    return torch.from_numpy(x)


VALUE_NETS: tuple[str, ...] = ("shared", "separate")
"""what the value head reads: the policy's GRU state, or a GRU of its own."""

CELLS: tuple[str, ...] = ("gru", "wn-relu-gru")
"""the recurrent cell: torch's GRU (tanh candidate state), or the authors' released one
(:class:`WeightNormGRUCell` with a ReLU candidate)."""


class WeightNormGRUCell(nn.Module):
    """The GRU of the authors' released RL² code, every weight matrix weight-normalised:

        r = σ(x W_xr + b_r + h W_hr),   u = σ(x W_xu + b_u + h W_hu),
        c = φ(x W_xc + b_c + r ⊙ (h W_hc)),   h' = (1 − u) ⊙ h + u ⊙ c,

    with φ = ReLU there (tanh gives the usual GRU), and each W = g · v / ‖v‖, one gain g per
    output unit and the norm over that unit's input weights (Salimans & Kingma 2016, eq. 2).
    At the start g = 1 and b = 0, v_x is uniform and v_h orthogonal, so W_h is orthogonal.
    """

    def __init__(self, input_size: int, hidden_size: int, generator: torch.Generator,
                 nonlinearity: Callable[[torch.Tensor], torch.Tensor] = torch.relu):
        super().__init__()
        check_int("input_size", input_size, minimum=1)
        self.hidden_size = check_int("hidden_size", hidden_size, minimum=1)
        self.phi = nonlinearity
        # the three gates' matrices side by side, in the order r, u, c: (inputs, 3 hidden)
        v_x = torch.rand(input_size, 3 * hidden_size, generator=generator) * 2 - 1
        q = [torch.linalg.qr(torch.randn(hidden_size, hidden_size, generator=generator))[0]
             for _ in range(3)]
        self.v_x = nn.Parameter(v_x)
        self.v_h = nn.Parameter(torch.cat(q, dim=1))
        self.g_x = nn.Parameter(torch.ones(3 * hidden_size))
        self.g_h = nn.Parameter(torch.ones(3 * hidden_size))
        self.b = nn.Parameter(torch.zeros(3 * hidden_size))
        self._held: tuple[torch.Tensor, torch.Tensor] | None = None

    def weights(self) -> tuple[torch.Tensor, torch.Tensor]:
        """W_x = g_x · v_x / ‖v_x‖ and W_h = g_h · v_h / ‖v_h‖, each column normalised."""
        if self._held is not None:
            return self._held
        return (self.g_x * self.v_x / self.v_x.norm(dim=0),
                self.g_h * self.v_h / self.v_h.norm(dim=0))

    @contextmanager
    def holding_weights(self) -> Iterator[None]:
        """Normalise the weights once and reuse them for every step inside the block (a whole
        sequence), instead of once per step; the parameters must not change inside it."""
        self._held = self.weights()
        try:
            yield
        finally:
            self._held = None

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        w_x, w_h = self.weights()
        a_r, a_u, a_c = (x @ w_x + self.b).chunk(3, dim=1)
        h_r, h_u, h_c = (h @ w_h).chunk(3, dim=1)
        r = torch.sigmoid(a_r + h_r)
        u = torch.sigmoid(a_u + h_u)
        c = self.phi(a_c + r * h_c)
        return (1 - u) * h + u * c


class RL2Policy(nn.Module):
    """GRU (``hidden`` units) with a policy head over its state, and a value head over the same
    state (``value_net="shared"``) or over a second GRU's (``"separate"``); ``cell`` picks
    torch's GRU or the authors' weight-normalised ReLU GRU for both."""

    def __init__(self, n_obs: int, n_actions: int, hidden: int, generator: torch.Generator,
                 value_net: str = "shared", cell: str = "gru"):
        super().__init__()
        self.n_obs = check_int("n_obs", n_obs, minimum=1)
        self.n_actions = check_int("n_actions", n_actions, minimum=2)
        self.hidden = check_int("hidden", hidden, minimum=1)
        self.value_net = check_choice("value_net", value_net, VALUE_NETS)
        check_choice("cell", cell, CELLS)
        size = n_obs + n_actions + 2

        def new_cell() -> nn.Module:
            if cell == "wn-relu-gru":  # initialises itself (gains 1, orthogonal W_h)
                return WeightNormGRUCell(size, hidden, generator)
            return nn.GRUCell(size, hidden)

        self.cell = new_cell()
        self.pi = nn.Linear(hidden, n_actions)
        self.v = nn.Linear(hidden, 1)
        self.value_cell = new_cell() if value_net == "separate" else None
        with torch.no_grad():  # uniform(−1/√H, 1/√H), as torch, from our stream
            bound = 1.0 / np.sqrt(hidden)
            for module in (self.cell, self.pi, self.v, self.value_cell):
                if module is None or isinstance(module, WeightNormGRUCell):
                    continue
                for param in module.parameters():
                    param.copy_(torch.rand(param.shape, generator=generator) * 2 * bound - bound)
            self.pi.weight.mul_(0.01)  # a near-uniform initial policy

    def policy_parameters(self) -> dict[str, torch.Tensor]:
        """The parameters π depends on: the policy's GRU and its head. With a separate value GRU
        every other parameter belongs to the value function alone."""
        return {name: param for name, param in self.named_parameters()
                if name.split(".")[0] in ("cell", "pi")}

    def value_parameters(self) -> list[torch.Tensor]:
        """Every parameter outside :meth:`policy_parameters`: the value head, and the value GRU
        when it is separate."""
        policy = set(self.policy_parameters().values())
        return [param for param in self.parameters() if param not in policy]

    @contextmanager
    def holding_weights(self) -> Iterator[None]:
        """Inside the block, each weight-normalised GRU normalises its weights once
        (:meth:`WeightNormGRUCell.holding_weights`): for a whole rollout or replay."""
        with ExitStack() as stack:
            for cell in (self.cell, self.value_cell):
                if isinstance(cell, WeightNormGRUCell):
                    stack.enter_context(cell.holding_weights())
            yield

    def initial_state(self, n_tasks: int) -> torch.Tensor:
        """h_0 = 0 for ``n_tasks`` trials, (n_tasks, hidden), or (n_tasks, 2 hidden) holding
        [h_0, h^V_0] with a separate value GRU."""
        size = self.hidden if self.value_cell is None else 2 * self.hidden
        return torch.zeros(n_tasks, size, dtype=self.pi.weight.dtype)

    def step(self, x: torch.Tensor, h: torch.Tensor
             ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """h_t = GRU(x_t, h_{t−1}); returns (logits of π(· | h_t), V, the new state) for a batch,
        V = V(h_t), or V(h^V_t) with h^V_t = GRU_V(x_t, h^V_{t−1}) from a separate value GRU."""
        x = x.to(h.dtype)
        h_pi = self.cell(x, h[:, :self.hidden])
        if self.value_cell is None:
            return self.pi(h_pi), self.v(h_pi)[:, 0], h_pi
        h_v = self.value_cell(x, h[:, self.hidden:])
        return self.pi(h_pi), self.v(h_v)[:, 0], torch.cat([h_pi, h_v], dim=1)

    def sequence(self, x: torch.Tensor, reset: torch.Tensor
                 ) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits (T, N, A) and values (T, N) along inputs ``x`` (T, N, D), h set to 0 before
        every step where ``reset`` (T, N) is true: the start of a trial, never an episode."""
        with self.holding_weights():
            outputs = _unroll(self.step, x, reset, self.initial_state(x.shape[1]))
        return torch.stack([lg for lg, _ in outputs]), torch.stack([v for _, v in outputs])

    def policy_sequence(self, x: torch.Tensor, reset: torch.Tensor) -> torch.Tensor:
        """The logits of :meth:`sequence` alone, from the policy's GRU only: a separate value
        GRU is not run (TRPO's replays need π and nothing else)."""
        def policy_step(x_t: torch.Tensor, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            h = self.cell(x_t.to(h.dtype), h)
            return self.pi(h), h

        h_0 = self.initial_state(x.shape[1])[:, :self.hidden]
        with self.holding_weights():
            return torch.stack([lg for (lg,) in _unroll(policy_step, x, reset, h_0)])


def _unroll(step: Callable[..., tuple[torch.Tensor, ...]], x: torch.Tensor, reset: torch.Tensor,
            h: torch.Tensor) -> list[tuple[torch.Tensor, ...]]:
    """Run ``step(x_t, h) -> (*outputs, h)`` along ``x`` (T, N, D) from state ``h``, zeroing h
    before every step where ``reset`` (T, N) is true; returns each step's outputs."""
    outputs = []
    for t in range(x.shape[0]):
        h = torch.where(reset[t, :, None], torch.zeros_like(h), h)
        *out, h = step(x[t], h)
        outputs.append(tuple(out))
    return outputs


def sample_action(logits: torch.Tensor, uniforms: np.ndarray) -> tuple[np.ndarray, torch.Tensor]:
    """a ~ softmax(logits) by inverting the CDF at ``uniforms`` (n_tasks,); returns the actions
    and their log-probabilities."""
    log_probs = torch.log_softmax(logits, dim=-1)
    cdf = torch.cumsum(log_probs.exp(), dim=-1)
    u = torch.from_numpy(uniforms).to(cdf.dtype)[:, None]
    actions = torch.clamp((cdf < u).sum(dim=-1), max=logits.shape[-1] - 1)
    return actions.numpy(), log_probs.gather(-1, actions[:, None])[:, 0]


@dataclass(frozen=True)
class Trajectory:
    """One trial of every task of a batch, time first: ``inputs`` (T, N, D), ``actions``,
    ``log_probs``, ``values``, ``rewards``, ``dones`` (T, N) and the recurrent states
    ``hidden`` after each step, (T, N, H), or (T, N, 2H) with a separate value GRU."""

    inputs: torch.Tensor
    actions: np.ndarray
    log_probs: torch.Tensor
    values: torch.Tensor
    rewards: np.ndarray
    dones: np.ndarray
    hidden: torch.Tensor


@torch.no_grad()
def rollout(policy: RL2Policy, env: TrialEnv, draws: dict[str, np.ndarray],
            action_uniforms: np.ndarray) -> Trajectory:
    """One trial in every task of ``draws``, all tasks stepped together: h starts at 0 and
    carries over episode ends. ``action_uniforms`` (N, T) drive the action draws."""
    n_tasks = action_uniforms.shape[0]
    state, obs = env.start(draws)
    prev_action = np.full(n_tasks, -1)
    prev_reward = np.zeros(n_tasks)
    prev_done = np.zeros(n_tasks)
    h = policy.initial_state(n_tasks)
    record: dict[str, list] = {k: [] for k in Trajectory.__dataclass_fields__}
    with policy.holding_weights():
        for t in range(env.trial_length):
            x = rl2_inputs(obs, prev_action, prev_reward, prev_done, env.n_obs, env.n_actions)
            logits, value, h = policy.step(x, h)
            actions, log_probs = sample_action(logits, action_uniforms[:, t])
            state, obs, reward, done = env.transition(draws, t, state, actions)
            for key, item in (("inputs", x), ("actions", actions), ("log_probs", log_probs),
                              ("values", value), ("rewards", reward), ("dones", done),
                              ("hidden", h)):
                record[key].append(item)
            prev_action, prev_reward, prev_done = actions, reward, done
    return Trajectory(
        inputs=torch.stack(record["inputs"]), actions=np.stack(record["actions"]),
        log_probs=torch.stack(record["log_probs"]), values=torch.stack(record["values"]),
        rewards=np.stack(record["rewards"]), dones=np.stack(record["dones"]),
        hidden=torch.stack(record["hidden"]))
