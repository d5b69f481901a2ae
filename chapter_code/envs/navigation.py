"""Finn, Abbeel & Levine (2017) §5.3 2D navigation: a point moves to a goal in the plane.

One task is one goal g ~ U[−0.5, 0.5]². The agent starts at the origin and observes its
position s. Its action a lives in [−1, 1]², as in the authors' released code, which wraps the
point environment in rllab's ``normalize``: the environment rescales a to the move
lb + (a + 1)(ub − lb)/2 = 0.1 a and clips that to [−0.1, 0.1]² (:func:`rescale_action`;
clipping is the dynamics, not a repair of bad input). The reward is −‖s' − g‖, as in the
released code (or −‖s' − g‖² with ``squared_reward``, the paper's text), the episode terminates
within ``goal_radius`` = 0.01 of the goal and is truncated after ``horizon`` = 100 steps.

:class:`Navigation2D` steps ``n_tasks × n_trajectories`` episodes at once in torch;
:class:`NavigationTaskEnv` is the single-task Gymnasium view of the same dynamics.
"""

from __future__ import annotations

from typing import Any

import gymnasium
import numpy as np
import torch
from torch import Tensor

from chapter_code._checks import check_int, check_real

ENV_ID = "chapter_code/Navigation2D-v0"
GOAL_LOW, GOAL_HIGH = -0.5, 0.5


def rescale_action(action: Tensor, max_action: float) -> Tensor:
    """The move of a policy action a ∈ [−1, 1]ᵈ in a box [lb, ub] = [−max_action, max_action]ᵈ:
    clip(lb + (a + 1)(ub − lb)/2, lb, ub), rllab's ``NormalizedEnv.step`` (which equals
    clip(max_action · a, ±max_action) for this symmetric box)."""
    low, high = -max_action, max_action
    return (low + (action + 1.0) * 0.5 * (high - low)).clamp(low, high)


def sample_goals(n_tasks: int, generator: torch.Generator) -> Tensor:
    """Goals of ``n_tasks`` tasks, U[−0.5, 0.5]², shape (n_tasks, 2)."""
    n_tasks = check_int("n_tasks", n_tasks, minimum=1)
    if not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator, got {type(generator).__name__}")
    return GOAL_LOW + (GOAL_HIGH - GOAL_LOW) * torch.rand((n_tasks, 2), generator=generator)


class Navigation2D:
    """Vectorised 2D navigation: state (n_tasks, n_trajectories, 2), task i's goal ``goals[i]``.

    An episode that has terminated stays where it is and earns reward 0 until the batch is
    reset; ``done`` marks such episodes. Stepping past ``horizon`` raises ``RuntimeError``.
    """

    def __init__(
        self,
        goals: Tensor,
        n_trajectories: int,
        *,
        horizon: int = 100,
        squared_reward: bool = False,
        goal_radius: float = 0.01,
        max_action: float = 0.1,
    ) -> None:
        if not isinstance(goals, Tensor) or goals.ndim != 2 or goals.shape[1] != 2:
            raise ValueError(f"goals must be a tensor of shape (n_tasks, 2), got {goals!r}")
        if not goals.is_floating_point() or not torch.isfinite(goals).all():
            raise ValueError("goals must be finite floating-point values")
        self.goals = goals
        self.n_tasks = goals.shape[0]
        self.n_trajectories = check_int("n_trajectories", n_trajectories, minimum=1)
        self.horizon = check_int("horizon", horizon, minimum=1)
        if not isinstance(squared_reward, bool):
            raise TypeError(f"squared_reward must be a bool, got {squared_reward!r}")
        self.squared_reward = squared_reward
        self.goal_radius = check_real("goal_radius", goal_radius, low=0.0)
        self.max_action = check_real("max_action", max_action, low=0.0, low_open=True)
        self.reset()

    @property
    def shape(self) -> tuple[int, int]:
        """(n_tasks, n_trajectories): the batch shape of states, rewards and flags."""
        return (self.n_tasks, self.n_trajectories)

    def reset(self) -> Tensor:
        """Put every episode at the origin; returns the observation (n_tasks, n_trajectories, 2)."""
        self.state = self.goals.new_zeros((*self.shape, 2))
        self.done = torch.zeros(self.shape, dtype=torch.bool)
        self.t = 0
        return self.state.clone()

    def step(self, action: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """Move every running episode by its rescaled and clipped action (``action`` in policy
        units, [−1, 1] before clipping; :func:`rescale_action`): ``(obs, reward, terminated,
        truncated)`` with reward/flags of shape (n_tasks, n_trajectories).

        ``terminated`` is true on the step that reaches the goal, ``truncated`` on the last
        step (``horizon``) of an episode that has not; both are false for finished episodes.
        """
        if not isinstance(action, Tensor) or action.shape != (*self.shape, 2):
            got = tuple(action.shape) if isinstance(action, Tensor) else type(action).__name__
            raise ValueError(f"action must be a tensor of shape {(*self.shape, 2)}, got {got}")
        if self.t >= self.horizon:
            raise RuntimeError(f"all episodes ended at the horizon {self.horizon}; call reset()")
        running = ~self.done
        move = rescale_action(action, self.max_action) * running[..., None]
        self.state = self.state + move
        distance = torch.linalg.vector_norm(self.state - self.goals[:, None, :], dim=-1)
        cost = distance**2 if self.squared_reward else distance
        reward = -cost * running
        terminated = running & (distance < self.goal_radius)
        self.done = self.done | terminated
        self.t += 1
        truncated = running & ~terminated & (self.t >= self.horizon)
        return self.state.clone(), reward, terminated, truncated


class NavigationTaskEnv(gymnasium.Env):
    """One navigation task as a Gymnasium env (float32 observations, the same dynamics: actions
    in [−1, 1]², rescaled to moves of at most 0.1).

    The goal is ``goal`` if given, else drawn from U[−0.5, 0.5]² at every ``reset`` from the
    seeded ``np_random``; ``reset(options={"goal": (x, y)})`` sets it explicitly.
    """

    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(self, goal: tuple[float, float] | None = None, *, horizon: int = 100,
                 squared_reward: bool = False) -> None:
        self.fixed_goal = None if goal is None else self._check_goal(goal)
        self.horizon = check_int("horizon", horizon, minimum=1)
        self.squared_reward = squared_reward
        reach = self.horizon * 0.1  # the farthest a position can get from the origin
        self.observation_space = gymnasium.spaces.Box(-reach, reach, (2,), np.float32)
        self.action_space = gymnasium.spaces.Box(-1.0, 1.0, (2,), np.float32)  # policy units
        self._env: Navigation2D | None = None

    @staticmethod
    def _check_goal(goal: object) -> Tensor:
        arr = np.asarray(goal, dtype=float)
        if arr.shape != (2,) or not np.isfinite(arr).all():
            raise ValueError(f"goal must be two finite numbers, got {goal!r}")
        return torch.tensor(arr[None], dtype=torch.float32)

    @property
    def goal(self) -> np.ndarray:
        """The current task's goal, (2,)."""
        if self._env is None:
            raise RuntimeError("call reset() first")
        return self._env.goals[0].numpy().copy()

    def reset(self, *, seed: int | None = None,
              options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        if options and "goal" in options:
            goals = self._check_goal(options["goal"])
        elif self.fixed_goal is not None:
            goals = self.fixed_goal
        else:
            goals = torch.tensor(self.np_random.uniform(GOAL_LOW, GOAL_HIGH, (1, 2)),
                                 dtype=torch.float32)
        self._env = Navigation2D(goals, 1, horizon=self.horizon,
                                 squared_reward=self.squared_reward)
        return self._env.reset()[0, 0].numpy(), {"goal": goals[0].numpy().copy()}

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        if self._env is None:
            raise RuntimeError("call reset() first")
        if self._env.done.all():
            raise RuntimeError("the episode has terminated; call reset()")
        act = torch.as_tensor(np.asarray(action, dtype=np.float32)).reshape(1, 1, 2)
        obs, reward, terminated, truncated = self._env.step(act)
        return (obs[0, 0].numpy(), float(reward[0, 0]), bool(terminated[0, 0]),
                bool(truncated[0, 0]), {})


if ENV_ID not in gymnasium.registry:
    gymnasium.register(id=ENV_ID, entry_point="chapter_code.envs.navigation:NavigationTaskEnv",
                       max_episode_steps=100)
