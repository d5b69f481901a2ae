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
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import torch
from torch import Tensor

from chapter_code._checks import check_choice, check_int, check_real
from chapter_code.seeding import stream, torch_stream


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


# ---------------------------------------------------------------------------------------------
# The agents: FuN and a flat LSTM actor-critic on MiniGrid observations

METHODS = ("fun", "fun-no-tpg", "fun-no-dilation", "lstm")
"""FuN; FuN with goals trained end to end (no transition policy gradient); FuN with r = 1; the
flat LSTM actor-critic baseline."""

GAMMA_WORKER = 0.95
"""the worker's discount γ_W, :func:`train_a2c`'s default."""


def _init_from(module: torch.nn.Module, generator: torch.Generator) -> None:
    """Redraw every weight and bias of the Linear, Conv2d and LSTMCell layers in ``module`` as
    PyTorch does, U(±1/sqrt(fan_in)) (LSTMCell: U(±1/sqrt(hidden))), from ``generator``."""
    with torch.no_grad():
        for layer in module.modules():
            if isinstance(layer, torch.nn.Linear | torch.nn.Conv2d):
                bound = 1.0 / math.sqrt(layer.weight[0].numel())
            elif isinstance(layer, torch.nn.LSTMCell):
                bound = 1.0 / math.sqrt(layer.hidden_size)
            else:
                continue
            for p in layer.parameters(recurse=False):
                p.copy_((2 * torch.rand(p.shape, generator=generator) - 1) * bound)


class Perception(torch.nn.Module):
    """f^percept for MiniGrid's 7 × 7 × 3 egocentric view (object, colour, state codes scaled
    to [0, 1]): three small convolutions to a 64-vector z_t."""

    SCALE = torch.tensor([10.0, 5.0, 2.0])

    def __init__(self) -> None:
        super().__init__()
        self.net = torch.nn.Sequential(
            torch.nn.Conv2d(3, 16, 2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(16, 32, 2), torch.nn.ReLU(), torch.nn.Conv2d(32, 64, 2),
            torch.nn.ReLU(), torch.nn.Flatten())

    def forward(self, image: Tensor) -> Tensor:
        x = (image.float() / self.SCALE).permute(0, 3, 1, 2)
        return self.net(x)


class FunState(NamedTuple):
    """Recurrent state of :class:`FeudalNet` for B streams: the manager's dilated-LSTM (h, c)
    (B, r, d), the worker's LSTM (h, c) (B, |A| k), the last c goals (B, c, d) and latent states
    (B, c, d), how many of those belong to the current episode (B,), and the step counter t
    (B,) that picks the dilated LSTM's core."""

    manager_h: Tensor
    manager_c: Tensor
    worker_h: Tensor
    worker_c: Tensor
    goals: Tensor
    states: Tensor
    history: Tensor
    t: Tensor


class FeudalNet(torch.nn.Module):
    """FeUdal Network (Vezhnevets et al. 2017): perception z_t; manager latent state
    s_t = ReLU(W z_t), goal g_t = ĝ_t / |ĝ_t| from a dilated LSTM over s_t; worker LSTM over z_t
    giving U_t (|A| × k); goal embedding w_t = φ(Σ_{i=t−c}^{t} g_i) (:func:`pooled_goal_embedding`);
    logits U_t w_t (:func:`worker_policy_logits`); a value head for each level.

    ``end_to_end=False`` (FuN proper): the goals reach the worker detached, so no gradient flows
    from worker to manager; the manager learns by the transition policy gradient.
    ``end_to_end=True`` (the ablation): the goals are not detached and no transition policy
    gradient is used."""

    def __init__(self, n_actions: int, generator: torch.Generator, *, d: int = 64, k: int = 16,
                 c: int = 10, r: int = 10, end_to_end: bool = False) -> None:
        super().__init__()
        self.n_actions = check_int("n_actions", n_actions, minimum=2)
        self.d, self.k = check_int("d", d, minimum=1), check_int("k", k, minimum=1)
        self.c, self.r = check_int("c", c, minimum=1), check_int("r", r, minimum=1)
        self.end_to_end = bool(end_to_end)
        self.percept = Perception()
        self.mspace = torch.nn.Linear(64, d)
        self.manager = DilatedLSTM(d, d, r, generator)
        self.manager_value = torch.nn.Linear(d, 1)
        self.worker = torch.nn.LSTMCell(64, n_actions * k)
        self.phi = torch.nn.Linear(d, k, bias=False)
        self.worker_value = torch.nn.Linear(n_actions * k, 1)
        _init_from(self, generator)

    def initial_state(self, batch: int) -> FunState:
        """Zero state for ``batch`` streams at the start of their episodes."""
        mh, mc = self.manager.initial_state(batch)
        wh = torch.zeros(batch, self.n_actions * self.k)
        zeros = torch.zeros(batch, self.c, self.d)
        return FunState(mh, mc, wh, wh.clone(), zeros, zeros.clone(),
                        torch.zeros(batch, dtype=torch.long), torch.zeros(batch, dtype=torch.long))

    def forward(self, image: Tensor, state: FunState) -> tuple[dict[str, Tensor], FunState]:
        """One step for B streams: returns (outputs, new state); outputs hold ``logits``
        (B, |A|), ``value`` (worker's V^D) and ``manager_value`` (V^M) (B,), the latent state
        ``s`` and goal ``g`` (B, d), and the worker's intrinsic reward ``intrinsic`` (B,) for
        arriving in this step's s (eq. 8, from the last c states and goals; no gradient)."""
        z = self.percept(image)
        s = torch.relu(self.mspace(z))
        out, (mh, mc) = self.manager(s, (state.manager_h, state.manager_c), state.t)
        g = out / out.norm(dim=-1, keepdim=True).clamp_min(1e-8)
        window = torch.cat([state.goals, g[:, None]], dim=1)  # g_{t−c}, ..., g_t
        w = pooled_goal_embedding(self.phi, window if self.end_to_end else window.detach())
        wh, wc = self.worker(z, (state.worker_h, state.worker_c))
        logits = worker_policy_logits(wh.view(-1, self.n_actions, self.k), w)
        # row i − 1 of the reversed history holds s_{t−i}, g_{t−i}
        valid = (torch.arange(1, self.c + 1)[:, None] <= state.history[None])
        with torch.no_grad():
            r_int = intrinsic_reward(s, state.states.flip(1).transpose(0, 1),
                                     state.goals.flip(1).transpose(0, 1), valid)
        outputs = {"logits": logits, "value": self.worker_value(wh)[:, 0],
                   "manager_value": self.manager_value(out)[:, 0], "s": s, "g": g,
                   "intrinsic": r_int}
        new = FunState(mh, mc, wh, wc, window[:, 1:],
                       torch.cat([state.states[:, 1:], s.detach()[:, None]], dim=1),
                       (state.history + 1).clamp_max(self.c), state.t + 1)
        return outputs, new


class LstmNet(torch.nn.Module):
    """The flat baseline: the same perception, one LSTM, a policy and a value head."""

    def __init__(self, n_actions: int, generator: torch.Generator, *, hidden: int = 128) -> None:
        super().__init__()
        self.n_actions = check_int("n_actions", n_actions, minimum=2)
        self.hidden = check_int("hidden", hidden, minimum=1)
        self.percept = Perception()
        self.lstm = torch.nn.LSTMCell(64, hidden)
        self.policy = torch.nn.Linear(hidden, n_actions)
        self.value = torch.nn.Linear(hidden, 1)
        _init_from(self, generator)

    def initial_state(self, batch: int) -> tuple[Tensor, Tensor]:
        zeros = torch.zeros(batch, self.hidden)
        return zeros, zeros.clone()

    def forward(self, image: Tensor, state: tuple[Tensor, Tensor]
                ) -> tuple[dict[str, Tensor], tuple[Tensor, Tensor]]:
        h, c = self.lstm(self.percept(image), state)
        return {"logits": self.policy(h), "value": self.value(h)[:, 0]}, (h, c)


def sample_actions(probs: Tensor, generator: torch.Generator) -> Tensor:
    """One action per row of ``probs`` (B, |A|) by inverting its cumulative distribution at a
    uniform draw from ``generator``: (B,) long."""
    u = torch.rand(probs.shape[0], generator=generator)
    return (u[:, None] >= probs.cumsum(-1)).sum(-1).clamp_max(probs.shape[1] - 1)


def _reset_rows(state: Any, ended: Tensor) -> Any:
    """``state`` with the rows of streams whose episode ended set back to the start."""
    keep = (~ended).to(torch.float32)
    if isinstance(state, FunState):
        return FunState._make([*(x * keep.view(-1, *([1] * (x.ndim - 1))) for x in state[:6]),
                               state.history * (~ended), state.t * (~ended)])
    return tuple(x * keep[:, None] for x in state)


def _detach(state: Any) -> Any:
    """Truncated backpropagation through time: cut the state's graph at a rollout boundary."""
    return type(state)(*(x.detach() for x in state)) if isinstance(state, FunState) \
        else tuple(x.detach() for x in state)


@dataclass(frozen=True)
class A2CResult:
    """Per finished episode, in order of finishing: ``returns`` (extrinsic, undiscounted) and
    ``frames`` (the total environment steps taken over all environments when it ended); the
    trained network ``net``."""

    returns: np.ndarray
    frames: np.ndarray
    net: torch.nn.Module


def train_a2c(env_id: str, method: str, *, n_envs: int, n_frames: int, seed: int,
              alpha: float, rollout: int = 20, lr: float = 1e-3,
              gamma_worker: float = GAMMA_WORKER,
              gamma_manager: float = 0.99, entropy: float = 0.01,
              c: int = 10, r: int = 10, progress: Any = None) -> A2CResult:
    """Advantage actor-critic over ``n_envs`` copies of the Gymnasium env ``env_id`` stepped
    together, until ``n_frames`` environment steps in all, with the agent ``method`` of
    :data:`METHODS`.

    Every ``rollout`` steps: the worker (or the flat agent) follows the policy gradient with
    advantage A^D_t = R_t − V^D(x_t), R_t the ``gamma_worker``-discounted return of r_t +
    ``alpha`` r^I_t for FuN (extrinsic only for the flat agent; ``alpha`` has no default because
    its best value depends on the task: the paper tunes it in [0, 1]); FuN's manager is trained
    by :func:`transition_policy_loss` with A^M_t = R^M_t − V^M(x_t) (``gamma_manager``) over
    horizon ``c`` (not in the end-to-end ablation, whose goals take the worker's gradient); both
    critics by squared error; an entropy bonus. A time limit truncates: the return is cut there
    with the critic's value of the last observation. Random numbers: the torch stream ``"init"``
    and ``"act"`` of ``seed``, the envs seeded from the NumPy stream ``"envs"``."""
    import gymnasium
    import minigrid  # noqa: F401  (registers the MiniGrid environments with Gymnasium)

    method = check_choice("method", method, METHODS)
    n_envs = check_int("n_envs", n_envs, minimum=1)
    n_frames = check_int("n_frames", n_frames, minimum=1)
    rollout = check_int("rollout", rollout, minimum=1)
    c = check_int("c", c, minimum=1)
    if method != "lstm" and rollout <= c:
        raise ValueError(f"rollout must exceed c = {c} for the transition policy gradient, got "
                         f"{rollout}")
    check_real("lr", lr, low=0.0, low_open=True)
    for name, number in (("gamma_worker", gamma_worker), ("gamma_manager", gamma_manager),
                         ("alpha", alpha), ("entropy", entropy)):
        check_real(name, number, low=0.0, high=1.0)
    envs = [gymnasium.make(env_id) for _ in range(n_envs)]
    env_seeds = stream(seed, "envs").integers(0, 2**31 - 1, size=n_envs)
    image = torch.as_tensor(np.stack([e.reset(seed=int(s))[0]["image"]
                                      for e, s in zip(envs, env_seeds, strict=True)]))
    n_actions = int(envs[0].action_space.n)  # type: ignore[attr-defined]
    init, act = torch_stream(seed, "init"), torch_stream(seed, "act")
    fun = method != "lstm"
    net: Any = (FeudalNet(n_actions, init, c=c, r=1 if method == "fun-no-dilation" else r,
                          end_to_end=method == "fun-no-tpg") if fun else LstmNet(n_actions, init))
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    state = net.initial_state(n_envs)
    episode_return = np.zeros(n_envs)
    finished: list[tuple[float, int]] = []
    frames = 0
    updates = range(-(-n_frames // (n_envs * rollout)))
    for _ in (progress(updates, desc=method) if progress else updates):
        state = _detach(state)
        record: dict[str, list[Tensor]] = {k: [] for k in (
            "logp", "entropy", "value", "manager_value", "s", "g", "intrinsic", "reward",
            "ended", "cut_w", "cut_m")}
        for _ in range(rollout):
            out, state = net(image, state)
            dist = torch.distributions.Categorical(logits=out["logits"])
            action = sample_actions(dist.probs, act)
            steps = [e.step(int(a)) for e, a in zip(envs, action, strict=True)]
            reward = torch.tensor([float(s[1]) for s in steps])
            terminated = torch.tensor([bool(s[2]) for s in steps])
            truncated = torch.tensor([bool(s[3]) for s in steps]) & ~terminated
            next_image = torch.as_tensor(np.stack([s[0]["image"] for s in steps]))
            cut_w, cut_m = torch.zeros(n_envs), torch.zeros(n_envs)
            if truncated.any():  # the value of the observation the time limit cut off
                with torch.no_grad():
                    last, _ = net(next_image, state)
                cut_w = torch.where(truncated, last["value"], 0.0)
                if fun:
                    cut_m = torch.where(truncated, last["manager_value"], 0.0)
            ended = terminated | truncated
            episode_return += reward.numpy()
            frames += n_envs
            for i in np.flatnonzero(ended.numpy()):
                finished.append((float(episode_return[i]), frames))
                episode_return[i] = 0.0
                obs, _ = envs[i].reset()
                next_image[i] = torch.as_tensor(obs["image"])
            for key, value in (("logp", dist.log_prob(action)), ("entropy", dist.entropy()),
                               ("value", out["value"]), ("reward", reward), ("ended", ended),
                               ("cut_w", cut_w), ("cut_m", cut_m)):
                record[key].append(value)
            if fun:
                for key in ("manager_value", "s", "g", "intrinsic"):
                    record[key].append(out[key])
            state = _reset_rows(state, ended)
            image = next_image
        with torch.no_grad():
            last, _ = net(image, state)
        loss = _a2c_loss(record, last, fun=fun, end_to_end=method == "fun-no-tpg",
                         gamma_worker=gamma_worker, gamma_manager=gamma_manager, alpha=alpha,
                         entropy=entropy, c=c)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 0.5)
        optimizer.step()
    returns = np.array([f[0] for f in finished])
    return A2CResult(returns, np.array([f[1] for f in finished], dtype=np.int64), net)


def _a2c_loss(record: dict[str, list[Tensor]], last: dict[str, Tensor], *, fun: bool,
              end_to_end: bool, gamma_worker: float, gamma_manager: float, alpha: float,
              entropy: float, c: int) -> Tensor:
    """The rollout's loss: policy gradient, critics, entropy and (FuN) the manager's terms."""
    R = {k: torch.stack(v) for k, v in record.items() if v}
    ended = R["ended"]
    reward = R["reward"] + gamma_worker * R["cut_w"]
    if fun:  # r^I for arriving in s_{t+1}: computed at step t + 1 (or by the last forward)
        arrival = torch.cat([R["intrinsic"][1:], last["intrinsic"][None]])
        reward = reward + alpha * torch.where(ended, 0.0, arrival)
    returns = n_step_returns(reward, ended, last["value"].detach(), gamma_worker)
    advantage = (returns - R["value"]).detach()
    loss = (-(R["logp"] * advantage).mean() + 0.5 * ((returns - R["value"]) ** 2).mean()
            - entropy * R["entropy"].mean())
    if fun:
        manager_returns = n_step_returns(R["reward"] + gamma_manager * R["cut_m"], ended,
                                         last["manager_value"].detach(), gamma_manager)
        loss = loss + 0.5 * ((manager_returns - R["manager_value"]) ** 2).mean()
        if not end_to_end:
            T = ended.shape[0]
            same = torch.stack([~ended[t:t + c].any(0) for t in range(T - c)])  # (T − c, B)
            adv_m = (manager_returns - R["manager_value"]).detach()[:T - c][same]
            loss = loss + transition_policy_loss(R["s"][:T - c][same], R["s"][c:][same],
                                                 R["g"][:T - c][same], adv_m)
    return loss
