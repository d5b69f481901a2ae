"""HIRO's goals: the goal transition, the worker's intrinsic reward, and the off-policy
correction that relabels a stored manager transition (Nachum et al. 2018, §3.2-3.3).

A goal g is a desired *change* of the first ``d`` observation dimensions (the position). Between
two manager decisions it moves with the state so that it keeps pointing at the same absolute
target: h(s, g, s') = s + g - s' (eq. 2), and the worker is paid how close it came,
r(s, g, a, s') = -||s + g - s'|| (eq. 3).

The off-policy correction (eq. 5): the worker that acted when a manager transition was stored
is not the worker of today, so the stored goal g_t may no longer explain the stored low-level
actions. Replace it by the candidate g̃_t that maximises

    log μ^lo(a_{t:t+c-1} | s_{t:t+c-1}, g̃_{t:t+c-1}) ∝ -½ Σ_i ||a_i - μ^lo(s_i, g̃_i)||² + const,

with g̃_{i+1} = h(s_i, g̃_i, s_{i+1}), that is g̃_i = g̃_t + s_t - s_i. The candidates are the
original goal, s_{t+c} - s_t, and 8 samples of a Gaussian centred on s_{t+c} - s_t.

Which reading of the paper we follow, from its released code (``InverseDynamics.sample`` in
tensorflow/models, research/efficient-hrl/agent.py): the Gaussian's standard deviation is half
the goal range's half-width, and all ten candidates are clipped to the goal range.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from chapter_code._checks import check_int, check_real

Worker = Callable[[Tensor, Tensor], Tensor]
"""a deterministic worker μ^lo(s, g): (N, obs_dim), (N, d) -> (N, action_dim)."""


def _check_tensor(name: str, value: object, ndim: int) -> Tensor:
    if not isinstance(value, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    if value.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {tuple(value.shape)}")
    if not value.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got {value.dtype}")
    return value


def _check_same_shape(**tensors: Tensor) -> None:
    shapes = {name: tuple(t.shape) for name, t in tensors.items()}
    if len(set(shapes.values())) != 1:
        raise ValueError(f"{', '.join(shapes)} must have the same shape, got {shapes}")


def goal_transition(state: Tensor, goal: Tensor, next_state: Tensor) -> Tensor:
    """The goal after a step, h(s, g, s') = s + g - s' (Nachum et al. 2018, §3.2, eq. 2).

    ``state``, ``goal``, ``next_state``: (..., d), the goal dimensions of the states.
    """
    _check_same_shape(state=state, goal=goal, next_state=next_state)
    return state + goal - next_state


def intrinsic_reward(state: Tensor, goal: Tensor, next_state: Tensor) -> Tensor:
    """The worker's reward r(s, g, a, s') = -||s + g - s'||_2 (Nachum et al. 2018, §3.2, eq. 3).

    ``state``, ``goal``, ``next_state``: (..., d); returns (...).
    """
    return -torch.linalg.vector_norm(goal_transition(state, goal, next_state), dim=-1)


def candidate_goals(
    goal: Tensor,
    start: Tensor,
    end: Tensor,
    goal_high: Tensor,
    *,
    n_samples: int = 8,
    generator: torch.Generator,
) -> Tensor:
    """The candidates of the off-policy correction (Nachum et al. 2018, §3.3, below eq. 5).

    Column 0 the original goal g_t, column 1 s_{t+c} - s_t, columns 2.. ``n_samples`` draws
    of N(s_{t+c} - s_t, (goal_high / 2)²); all clipped to [-goal_high, goal_high].
    ``goal``, ``start`` (s_t), ``end`` (s_{t+c}): (B, d), goal dimensions only; ``goal_high``:
    (d,), positive. Returns (B, 2 + n_samples, d).
    """
    for name, value in (("goal", goal), ("start", start), ("end", end)):
        _check_tensor(name, value, 2)
    _check_same_shape(goal=goal, start=start, end=end)
    _check_tensor("goal_high", goal_high, 1)
    if goal_high.shape[0] != goal.shape[1] or not bool((goal_high > 0).all()):
        raise ValueError(f"goal_high must be ({goal.shape[1]},) and positive, got {goal_high}")
    n_samples = check_int("n_samples", n_samples, minimum=0)
    if not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator, got {type(generator).__name__}")
    achieved = end - start
    noise = torch.randn((goal.shape[0], n_samples, goal.shape[1]), generator=generator,
                        dtype=goal.dtype)
    samples = achieved[:, None, :] + noise * (goal_high / 2)
    candidates = torch.cat([goal[:, None, :], achieved[:, None, :], samples], dim=1)
    return torch.maximum(torch.minimum(candidates, goal_high), -goal_high)


def relabel_score(worker: Worker, states: Tensor, actions: Tensor, candidates: Tensor) -> Tensor:
    """Each candidate's log-probability of the recorded actions up to a constant,
    -½ Σ_{i=t}^{t+c-1} ||a_i - μ^lo(s_i, g̃_i)||², with g̃_i = g̃_t + s_t - s_i (Nachum et al.
    2018, eq. 5, Gaussian worker noise of unit variance).

    ``states``: (B, c + 1, obs_dim), s_t .. s_{t+c}, the goal dimensions first;
    ``actions``: (B, c, action_dim); ``candidates``: (B, K, d). Returns (B, K).
    """
    _check_tensor("states", states, 3)
    _check_tensor("actions", actions, 3)
    _check_tensor("candidates", candidates, 3)
    B, K, d = candidates.shape
    c = actions.shape[1]
    if states.shape[0] != B or actions.shape[0] != B or states.shape[1] != c + 1:
        raise ValueError(f"states must be (B, c + 1, obs_dim) and actions (B, c, action_dim) "
                         f"with B = {B}; got {tuple(states.shape)} and {tuple(actions.shape)}")
    if states.shape[2] < d:
        raise ValueError(f"states need at least d = {d} dimensions, got {states.shape[2]}")
    obs = states[:, :c, :]                                              # (B, c, obs_dim)
    moved = states[:, :1, :d] - obs[..., :d]                            # s_t - s_i: (B, c, d)
    goals = candidates[:, :, None, :] + moved[:, None, :, :]            # (B, K, c, d)
    obs_k = obs[:, None].expand(B, K, c, obs.shape[2])
    predicted = worker(obs_k.reshape(-1, obs.shape[2]), goals.reshape(-1, d))
    error = actions[:, None] - predicted.reshape(B, K, c, -1)
    return -0.5 * error.pow(2).sum(dim=(2, 3))


def proportional_worker(gain: float, *, damping: float) -> Worker:
    """A toy worker with known behaviour, for watching the correction choose: the damped
    proportional controller μ(s, g) = clip(gain · g - damping · v, -1, 1), which pushes toward
    the target and brakes with the velocity v.

    The observation is x, y, vx, vy, ... (as :class:`chapter_code.hiro.PointMaze`'s): the
    returned worker maps obs (N, ≥ 4) and g (N, 2) to actions (N, 2).
    """
    gain = check_real("gain", gain)
    damping = check_real("damping", damping, low=0.0)

    def worker(obs: Tensor, g: Tensor) -> Tensor:
        _check_tensor("obs", obs, 2)
        _check_tensor("g", g, 2)
        if obs.shape[1] < 4 or g.shape != (obs.shape[0], 2):
            raise ValueError(f"obs must be (N, >= 4) (x, y, vx, vy, ...) and g (N, 2); got "
                             f"{tuple(obs.shape)} and {tuple(g.shape)}")
        return (gain * g - damping * obs[:, 2:4]).clamp(-1, 1)

    return worker


def off_policy_correction(
    worker: Worker,
    states: Tensor,
    actions: Tensor,
    goal: Tensor,
    goal_high: Tensor,
    *,
    n_samples: int = 8,
    generator: torch.Generator,
) -> tuple[Tensor, Tensor]:
    """The relabelled goal g̃_t = argmax over :func:`candidate_goals` of :func:`relabel_score`
    (Nachum et al. 2018, eq. 5); the first maximiser on ties.

    ``states``: (B, c + 1, obs_dim); ``actions``: (B, c, action_dim); ``goal``: (B, d).
    Returns the chosen goals (B, d) and the chosen candidate's index (B,) (0: the original).
    """
    _check_tensor("states", states, 3)
    _check_tensor("goal", goal, 2)
    d = goal.shape[1]
    candidates = candidate_goals(goal, states[:, 0, :d], states[:, -1, :d], goal_high,
                                 n_samples=n_samples, generator=generator)
    with torch.no_grad():
        index = relabel_score(worker, states, actions, candidates).argmax(dim=1)
    return candidates[torch.arange(goal.shape[0]), index], index
