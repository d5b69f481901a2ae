"""FeUdal Networks (Vezhnevets et al. 2017, "FeUdal networks for hierarchical reinforcement
learning", ICML; equations numbered as in its arXiv version 1703.01161): the pieces, each tested
on tiny tensors.

A manager sees a latent state s_t = f^Mspace(z_t) and emits a unit goal direction g_t from a
dilated LSTM (:class:`DilatedLSTM`); it is trained by the transition policy gradient,
advantage × d_cos(s_{t+c} − s_t, g_t) (eq. 7, :func:`transition_policy_loss`). A worker is paid
the intrinsic reward r^I_t = (1/c) Σ_{i=1..c} d_cos(s_t − s_{t−i}, g_{t−i}) (eq. 8,
:func:`intrinsic_reward`): how well the latent state moved in the directions the manager asked
for over the last c steps.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from chapter_code._checks import check_int, check_real


def cosine_similarity(a: Tensor, b: Tensor, eps: float = 1e-8) -> Tensor:
    """d_cos(a, b) = aᵀb / (|a| |b|) along the last axis (Vezhnevets et al. 2017: "d_cos
    is the cosine similarity"); ``eps`` keeps a zero vector at similarity 0. Shapes (..., d) ->
    (...)."""
    check_real("eps", eps, low=0.0, low_open=True)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have one shape, got {tuple(a.shape)} and {tuple(b.shape)}")
    return (a * b).sum(-1) / (a.norm(dim=-1).clamp_min(eps) * b.norm(dim=-1).clamp_min(eps))


def intrinsic_reward(state: Tensor, past_states: Tensor, past_goals: Tensor,
                     valid: Tensor) -> Tensor:
    """The worker's intrinsic reward (Vezhnevets et al. 2017, eq. 8):
    r^I_t = (1/c) Σ_{i=1..c} d_cos(s_t − s_{t−i}, g_{t−i}).

    ``state`` (B, d): s_t; ``past_states``, ``past_goals`` (c, B, d): row i−1 holds s_{t−i} and
    g_{t−i}; ``valid`` (c, B) bool: whether step t−i belongs to the current episode. The mean is
    over the valid terms (all c after the first c steps of an episode), 0 where none is.
    Returns (B,)."""
    if past_states.shape != past_goals.shape or past_states.shape[1:] != state.shape:
        raise ValueError("past_states and past_goals must have shape (c, *state.shape), got "
                         f"{tuple(past_states.shape)}, {tuple(past_goals.shape)} for state "
                         f"{tuple(state.shape)}")
    if valid.shape != past_states.shape[:2] or valid.dtype != torch.bool:
        raise ValueError(f"valid must be a bool tensor of shape (c, B) = "
                         f"{tuple(past_states.shape[:2])}, got {valid.dtype} "
                         f"{tuple(valid.shape)}")
    cos = cosine_similarity(state[None] - past_states, past_goals)
    count = valid.sum(0)
    return torch.where(count > 0, (cos * valid).sum(0) / count.clamp_min(1), 0.0)


def transition_policy_loss(state: Tensor, future_state: Tensor, goal: Tensor,
                           advantage: Tensor) -> Tensor:
    """The manager's loss whose gradient is the transition policy gradient (Vezhnevets et al.
    2017, eq. 7): ∇g_t = A^M_t ∇_θ d_cos(s_{t+c} − s_t, g_t(θ)), so the loss is
    −mean[A^M_t d_cos(s_{t+c} − s_t, g_t)]. The state change and the advantage
    A^M_t = R_t − V^M(x_t) are constants here (detached): only the goal is moved. Shapes:
    ``state``, ``future_state``, ``goal`` (N, d); ``advantage`` (N,)."""
    if not (state.shape == future_state.shape == goal.shape) or state.ndim != 2:
        raise ValueError("state, future_state and goal must share one shape (N, d), got "
                         f"{tuple(state.shape)}, {tuple(future_state.shape)}, "
                         f"{tuple(goal.shape)}")
    if advantage.shape != state.shape[:1]:
        raise ValueError(f"advantage must have shape (N,) = {tuple(state.shape[:1])}, got "
                         f"{tuple(advantage.shape)}")
    direction = (future_state - state).detach()
    return -(advantage.detach() * cosine_similarity(direction, goal)).mean()


class DilatedLSTM(torch.nn.Module):
    """The manager's dilated LSTM (Vezhnevets et al. 2017, its
    dLSTM): r separate groups ("cores") of
    LSTM state share one set of weights; at step t only core t mod r is updated, so each core
    sees every r-th input and the state remembers r times longer; the output is the mean of the
    cores' hidden states, pooling the last r updates.

    State: (h, c), each (B, r, hidden). ``forward(x, state, t)``: x (B, n_in), t (B,) the step
    counter of each stream; returns (output (B, hidden), new state). Weights initialised as
    PyTorch's ``LSTMCell``, U(±1/sqrt(hidden)), from ``generator``."""

    def __init__(self, n_in: int, hidden: int, r: int, generator: torch.Generator) -> None:
        super().__init__()
        self.n_in = check_int("n_in", n_in, minimum=1)
        self.hidden = check_int("hidden", hidden, minimum=1)
        self.r = check_int("r", r, minimum=1)
        self.cell = torch.nn.LSTMCell(n_in, hidden)
        bound = 1.0 / math.sqrt(hidden)
        with torch.no_grad():
            for p in self.cell.parameters():
                p.copy_((2 * torch.rand(p.shape, generator=generator) - 1) * bound)

    def initial_state(self, batch: int) -> tuple[Tensor, Tensor]:
        """Zero state for ``batch`` streams: (h, c), each (batch, r, hidden)."""
        zeros = torch.zeros(batch, self.r, self.hidden)
        return zeros, zeros.clone()

    def forward(self, x: Tensor, state: tuple[Tensor, Tensor],
                t: Tensor) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        h, c = state
        rows = torch.arange(x.shape[0])
        core = t.long() % self.r
        h_new, c_new = self.cell(x, (h[rows, core], c[rows, core]))
        chosen = torch.nn.functional.one_hot(core, self.r).to(x.dtype)[..., None]  # (B, r, 1)
        h = h * (1 - chosen) + h_new[:, None] * chosen
        c = c * (1 - chosen) + c_new[:, None] * chosen
        return h.mean(dim=1), (h, c)


def n_step_returns(rewards: Tensor, terminated: Tensor, bootstrap: Tensor,
                   gamma: float) -> Tensor:
    """Discounted returns of a rollout, R_t = r_t + γ R_{t+1} (0 after a terminal step),
    R_T = ``bootstrap`` (the critic's value after the last step): the targets of the advantage
    actor-critic (Vezhnevets et al. 2017: the worker's A^D_t = R_t + α R^I_t − V^D(x_t)
    and the manager's A^M_t = R_t − V^M(x_t)).
    ``rewards``, ``terminated`` (T, B); ``bootstrap`` (B,). Returns (T, B)."""
    gamma = check_real("gamma", gamma, low=0.0, high=1.0)
    if rewards.shape != terminated.shape or rewards.shape[1:] != bootstrap.shape:
        raise ValueError(f"rewards and terminated must have shape (T, B) and bootstrap (B,), got "
                         f"{tuple(rewards.shape)}, {tuple(terminated.shape)}, "
                         f"{tuple(bootstrap.shape)}")
    out = torch.empty_like(rewards)
    R = bootstrap
    for t in range(rewards.shape[0] - 1, -1, -1):
        R = rewards[t] + gamma * R * (~terminated[t]).to(rewards.dtype)
        out[t] = R
    return out


def pooled_goal_embedding(phi: torch.nn.Linear, goals: Tensor) -> Tensor:
    """w_t = φ(Σ_{i=t−c}^{t} g_i) (Vezhnevets et al. 2017, the model): the worker's goal
    embedding, a linear map without bias of the goals summed over the last c + 1 steps. ``goals``
    (B, c + 1, d), the current goal last (zeros before the episode began). Returns (B, k)."""
    if phi.bias is not None:
        raise ValueError("phi must have no bias (the paper's φ is linear without bias)")
    return phi(goals.sum(dim=1))


def worker_policy_logits(U: Tensor, w: Tensor) -> Tensor:
    """The worker's action logits U_t w_t; π_t = SoftMax(U_t w_t) (Vezhnevets et al. 2017,
    the model). ``U`` (B, |A|, k), ``w`` (B, k). Returns (B, |A|)."""
    if U.ndim != 3 or w.shape != (U.shape[0], U.shape[2]):
        raise ValueError(f"U must have shape (B, |A|, k) and w (B, k), got {tuple(U.shape)} "
                         f"and {tuple(w.shape)}")
    return torch.einsum("bak,bk->ba", U, w)
