"""Where a trained FuN manager's goals point, drawn on the MiniGrid floor.

A goal g_t is a direction in the manager's latent space, not a place. To see it in the
environment we ask, in the spirit of the paper's picture of its sub-goals in Montezuma's
Revenge (Vezhnevets et al. 2017), which state the agent actually reached that the goal pointed
at: of the next c latent states of the episode, the one whose move s_{t+k} − s_t has the
largest cosine with g_t (:func:`goal_targets`). Counting the grid cells of those states over
many episodes gives a map of the manager's sub-goals (:func:`goal_map`), to set beside the map
of where the agent went.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor

from chapter_code._checks import check_int
from chapter_code.feudal.fun import FeudalNet, cosine_similarity, sample_actions
from chapter_code.seeding import stream, torch_stream


def goal_targets(states: Tensor, goals: Tensor, c: int) -> Tensor:
    """For each step t of one episode, the offset k ∈ {1, ..., min(c, T − 1 − t)} maximising
    d_cos(s_{t+k} − s_t, g_t): the reached state the goal pointed at. ``states``, ``goals``
    (T, d) -> (T − 1,) long offsets (the last step has no future state)."""
    check_int("c", c, minimum=1)
    if states.ndim != 2 or states.shape != goals.shape:
        raise ValueError(f"states and goals must both have shape (T, d), got "
                         f"{tuple(states.shape)} and {tuple(goals.shape)}")
    T = states.shape[0]
    if T < 2:
        raise ValueError(f"an episode needs at least 2 steps, got {T}")
    k = torch.arange(1, c + 1)
    t = torch.arange(T - 1)[:, None]
    ahead = (t + k).clamp_max(T - 1)                              # (T − 1, c)
    moves = states[ahead] - states[:-1, None]
    score = cosine_similarity(moves, goals[:-1, None].expand_as(moves))
    score = score.masked_fill(t + k > T - 1, -torch.inf)          # no state beyond the end
    return score.argmax(dim=1) + 1


@dataclass(frozen=True)
class GoalMap:
    """Counts on the grid (height, width): ``visits`` how often the agent was in each cell (every
    step's cell and the cell each episode ended in) and
    ``targets`` how often the cell held the state a goal pointed at (:func:`goal_targets`);
    ``alignment`` the mean d_cos(s_{t+c} − s_t, g_t) over the steps that have c steps ahead
    (eq. 7's cosine: 1 if the agent moved exactly as asked); ``success`` the share of episodes
    that ended with a positive reward."""

    visits: np.ndarray
    targets: np.ndarray
    alignment: float
    success: float


def goal_map(net: FeudalNet, env_id: str, *, n_episodes: int, seed: int) -> GoalMap:
    """Run ``n_episodes`` episodes of the MiniGrid env ``env_id`` with ``net``'s policy
    (actions sampled as in training, from the torch stream ``"act"`` of ``seed``; the env
    seeded from the NumPy stream ``"envs"``) and count, per grid cell, visits and goal targets.
    """
    import gymnasium
    import minigrid  # noqa: F401  (registers the MiniGrid environments with Gymnasium)

    if not isinstance(net, FeudalNet):
        raise TypeError(f"net must be a FeudalNet, got {type(net).__name__}")
    check_int("n_episodes", n_episodes, minimum=1)
    env = gymnasium.make(env_id)
    grid: Any = env.unwrapped
    act = torch_stream(seed, "act")
    env_seeds = stream(seed, "envs").integers(0, 2**31 - 1, size=n_episodes)
    visits = np.zeros((grid.height, grid.width), dtype=np.int64)
    targets = np.zeros_like(visits)
    cosines: list[Tensor] = []
    wins = 0
    for episode_seed in env_seeds:
        obs, _ = env.reset(seed=int(episode_seed))
        state = net.initial_state(1)
        cells, states, goals = [], [], []
        done, reward = False, 0.0
        while not done:
            with torch.no_grad():
                out, state = net(torch.as_tensor(obs["image"])[None], state)
            x, y = grid.agent_pos
            cells.append((y, x))
            states.append(out["s"][0])
            goals.append(out["g"][0])
            action = sample_actions(torch.softmax(out["logits"], -1), act)
            obs, r, terminated, truncated, _ = env.step(int(action))
            reward = float(r)
            done = terminated or truncated
        with torch.no_grad():  # the state the episode ended in, a possible goal target too
            out, _ = net(torch.as_tensor(obs["image"])[None], state)
        x, y = grid.agent_pos
        cells.append((y, x))
        states.append(out["s"][0])
        goals.append(out["g"][0])
        wins += reward > 0
        rows, cols = np.array(cells).T
        np.add.at(visits, (rows, cols), 1)
        s, g = torch.stack(states), torch.stack(goals)
        reached = torch.arange(len(cells) - 1) + goal_targets(s, g, net.c)
        np.add.at(targets, (rows[reached.numpy()], cols[reached.numpy()]), 1)
        if len(cells) > net.c:
            cosines.append(cosine_similarity(s[net.c:] - s[:-net.c], g[:-net.c]))
    alignment = float(torch.cat(cosines).mean()) if cosines else float("nan")
    return GoalMap(visits, targets, alignment, wins / n_episodes)
