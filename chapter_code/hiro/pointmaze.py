"""A vectorised pure-torch point maze with the geometry of Gymnasium-Robotics'
``PointMaze_UMaze-v3``: thousands of mazes stepped in one set of tensor operations.

Geometry (as the real env builds it): the 5 x 5 map :data:`U_MAZE` of unit cells (1 wall,
0 free), cell (i, j) centred at x = j + 0.5 - 2.5, y = 2.5 - (i + 0.5); a ball of radius 0.1.
The agent starts in the bottom-left cell (3, 1), with the real env's uniform ±0.25 noise on
its position. The evaluation goal is the centre of the top-left cell (1, 1), at the far end of
the U: the straight line from start to goal runs into the U's middle wall. Each maze carries its
own goal, so training can draw a new one every episode (:func:`sample_goals`), as HIRO's maze
task does (Nachum et al. 2018, appendix B.2.1).

Dynamics: in free space exactly the real env's MuJoCo step (a 4.18879 kg ball pushed by force
100 a, a ∈ [-1, 1]², joint damping 1 integrated implicitly, Euler step 0.01 s, velocity then
clipped to [-5, 5]). Walls differ: MuJoCo resolves soft contacts (a little penetration and
spring-back, a rounded ball against the box corners); here a wall is hard: each axis moves in
turn, and a move that would bring the ball within 0.1 of a wall cell stops at that distance
and zeroes that velocity component (the ball is treated as a 0.2 x 0.2 square, so it clears a
wall's corner slightly later than a round ball would).

Rewards, ``goal`` each maze's own: ``"distance"`` -||xy - goal|| (the negative L2 distance HIRO
used for its mazes), ``"dense"`` exp(-||xy - goal||) and ``"sparse"`` 1{||xy - goal|| <= 0.45},
the real env's two.
Episodes never terminate; they are truncated after ``max_steps``.

:class:`GymnasiumPointMaze` runs the real env behind the same interface, and
:class:`GymnasiumAntMaze` the real ``AntMaze_UMaze-v5``, HIRO's own task: the same map with cells
of side 4, walked by an 8-joint ant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from torch import Tensor

from chapter_code._checks import check_choice, check_int

U_MAZE = ((1, 1, 1, 1, 1),
          (1, 0, 0, 0, 1),
          (1, 1, 1, 0, 1),
          (1, 0, 0, 0, 1),
          (1, 1, 1, 1, 1))
"""the map of PointMaze_UMaze: 1 a wall cell, 0 a free cell; rows top to bottom."""
START_CELL = (3, 1)
"""(row, column) of the start: bottom left."""
GOAL_CELL = (1, 1)
"""(row, column) of the goal: top left, the far end of the U."""
RADIUS = 0.1
"""the ball's radius."""
MASS = 4.1887902047863905
"""the ball's mass: a sphere of radius 0.1 and density 1000."""
GEAR = 100.0
"""force per unit action."""
DAMPING = 1.0
"""joint damping of each slide joint."""
DT = 0.01
"""the simulation step (one per env step)."""
MAX_SPEED = 5.0
"""the env clips each velocity component to [-5, 5] after the step."""
START_NOISE = 0.25
"""half-width of the uniform noise on the start position."""
GOAL_RADIUS = 0.45
"""success: the ball's centre within this distance of the goal."""
GOAL_RANGE = 1.5
"""training goals are uniform on [-GOAL_RANGE, GOAL_RANGE]², the box around the free cells (the
paper's [-4, 20]² around its maze of 8-unit cells centred at 0, 8 and 16)."""
REWARDS = ("distance", "dense", "sparse")
"""the reward definitions."""
_CENTRE = 2.5  # x_map_center = y_map_center = 5 cells / 2


def cell_xy(row: int, col: int) -> tuple[float, float]:
    """The (x, y) centre of cell (row, col), as the real env places it."""
    return (col + 0.5 - _CENTRE, _CENTRE - (row + 0.5))


def in_wall(xy: np.ndarray) -> np.ndarray:
    """Whether each point (..., 2) lies inside a wall cell of :data:`U_MAZE` (the inverse of
    :func:`cell_xy`: column floor(x + 2.5), row floor(2.5 − y)); points off the map count as
    wall."""
    xy = np.asarray(xy, dtype=float)
    cols = np.floor(xy[..., 0] + _CENTRE).astype(int)
    rows = np.floor(_CENTRE - xy[..., 1]).astype(int)
    walls = np.asarray(U_MAZE)
    inside = (rows >= 0) & (rows < walls.shape[0]) & (cols >= 0) & (cols < walls.shape[1])
    return ~inside | (walls[rows.clip(0, walls.shape[0] - 1), cols.clip(0, walls.shape[1] - 1)]
                      == 1)


GOAL_XY = cell_xy(*GOAL_CELL)
START_XY = cell_xy(*START_CELL)


def _blocked(u: Tensor, w: Tensor, walls: Tensor) -> Tensor:
    """Whether a 2r x 2r box centred at grid coordinates (u = x + 2.5, w = 2.5 - y) overlaps a
    wall cell (touching does not count)."""
    cols = (torch.floor(u - RADIUS).long(), torch.ceil(u + RADIUS).long() - 1)
    rows = (torch.floor(w - RADIUS).long(), torch.ceil(w + RADIUS).long() - 1)
    hit = torch.zeros(u.shape, dtype=torch.bool)
    for i in rows:
        for j in cols:
            hit |= walls[i.clamp(0, walls.shape[0] - 1), j.clamp(0, walls.shape[1] - 1)]
    return hit


def _move_axis(start: Tensor, moved: Tensor, blocked: Tensor) -> Tensor:
    """Where a blocked move along one grid axis stops: RADIUS before the crossed cell edge."""
    forward = torch.ceil(moved + RADIUS) - 1 - RADIUS
    backward = torch.floor(moved - RADIUS) + 1 + RADIUS
    return torch.where(blocked, torch.where(moved > start, forward, backward), moved)


def point_step(position: Tensor, velocity: Tensor, action: Tensor,
               walls: Tensor) -> tuple[Tensor, Tensor]:
    """One step of the point mass: v' = clip((v + dt·GEAR·a / m) / (1 + dt·DAMPING / m), ±5),
    p' = p + dt·v', then walls stop each axis in turn (x first).

    ``position``, ``velocity``, ``action``: (n, 2); ``walls``: (rows, cols) bool.
    """
    velocity = (velocity + DT * GEAR * action / MASS) / (1 + DT * DAMPING / MASS)
    velocity = velocity.clamp(-MAX_SPEED, MAX_SPEED)
    target = position + DT * velocity
    u0, w0 = position[:, 0] + _CENTRE, _CENTRE - position[:, 1]
    u1, w1 = target[:, 0] + _CENTRE, _CENTRE - target[:, 1]
    hit_x = _blocked(u1, w0, walls)
    u = _move_axis(u0, u1, hit_x)
    hit_y = _blocked(u, w1, walls)
    w = _move_axis(w0, w1, hit_y)
    velocity = torch.stack([torch.where(hit_x, 0.0, velocity[:, 0]),
                            torch.where(hit_y, 0.0, velocity[:, 1])], dim=1)
    return torch.stack([u - _CENTRE, _CENTRE - w], dim=1), velocity


def goal_distance(position: Tensor, goal: Tensor | None = None) -> Tensor:
    """||xy - goal||: (n, 2) -> (n,); ``goal`` (n, 2) or (2,), by default :data:`GOAL_XY`."""
    target = position.new_tensor(GOAL_XY) if goal is None else goal
    return torch.linalg.vector_norm(position - target, dim=-1)


def sample_goals(n: int, generator: torch.Generator,
                 dtype: torch.dtype = torch.float32) -> Tensor:
    """``n`` training goals uniform on [-:data:`GOAL_RANGE`, :data:`GOAL_RANGE`]², walls
    included (the paper samples its maze goals the same way): (n, 2)."""
    check_int("n", n, minimum=1)
    return GOAL_RANGE * (2 * torch.rand((n, 2), generator=generator, dtype=dtype) - 1)


def maze_reward(position: Tensor, reward_type: str, goal: Tensor | None = None) -> Tensor:
    """The reward at ``position`` (n, 2) under ``reward_type`` (one of :data:`REWARDS`) for
    ``goal`` (n, 2) or (2,), by default :data:`GOAL_XY`."""
    check_choice("reward_type", reward_type, REWARDS)
    d = goal_distance(position, goal)
    if reward_type == "distance":
        return -d
    if reward_type == "dense":
        return torch.exp(-d)
    return (d <= GOAL_RADIUS).to(position.dtype)


class PointMaze:
    """``n_envs`` point mazes stepped together. Observation (n_envs, 6): x, y, vx, vy, then the
    maze's goal gx, gy: the real env's ``observation`` and ``desired_goal`` entries. Every maze
    kind keeps this layout, position first and goal last, with its own ``body`` between."""

    scale: float = 1.0
    """the side of a maze cell: positions, goals and distances are in these units"""
    obs_dim: int = 6
    """position (2), body, goal (2)"""
    action_dim: int = 2
    """actions lie in [-1, 1]^action_dim"""

    def __init__(self, n_envs: int, *, max_steps: int = 300, reward_type: str = "distance",
                 dtype: torch.dtype = torch.float32) -> None:
        self.n_envs = check_int("n_envs", n_envs, minimum=1)
        self.max_steps = check_int("max_steps", max_steps, minimum=1)
        self.reward_type = check_choice("reward_type", reward_type, REWARDS)
        if dtype not in (torch.float32, torch.float64):
            raise TypeError(f"dtype must be torch.float32 or torch.float64, got {dtype}")
        self.dtype = dtype
        self.walls = torch.tensor(U_MAZE, dtype=torch.bool)
        self.position = torch.zeros((n_envs, 2), dtype=dtype)
        self.body = torch.zeros((n_envs, self.obs_dim - 4), dtype=dtype)
        """what the observation holds between position and goal: here the ball's velocity"""
        self.goal = self.goal_xy.expand(n_envs, 2)
        self.t = 0

    @property
    def goal_xy(self) -> Tensor:
        """The evaluation goal, :data:`GOAL_XY` in this maze's units: (2,)."""
        return self.scale * self.position.new_tensor(GOAL_XY)

    @property
    def obs(self) -> Tensor:
        """(n_envs, obs_dim): position, body, goal."""
        return torch.cat([self.position, self.body, self.goal], dim=1)

    def reset(self, generator: torch.Generator, goal: Tensor | None = None) -> Tensor:
        """Every maze to the start cell's centre plus U(±0.25)² noise (in cells), at rest, with
        ``goal`` (n_envs, 2) as its goal, by default :attr:`goal_xy`."""
        if not isinstance(generator, torch.Generator):
            raise TypeError(f"generator must be a torch.Generator, got {type(generator).__name__}")
        if goal is None:
            goal = self.goal_xy.expand(self.n_envs, 2)
        elif not isinstance(goal, Tensor) or goal.shape != (self.n_envs, 2):
            raise ValueError(f"goal must be a tensor of shape ({self.n_envs}, 2), got "
                             f"{getattr(goal, 'shape', type(goal).__name__)}")
        self.goal = goal.to(self.dtype)
        self.position, self.body = self._start(generator)
        self.t = 0
        return self.obs

    def _start(self, generator: torch.Generator) -> tuple[Tensor, Tensor]:
        """Start positions (n_envs, 2) and bodies of a new episode."""
        noise = (2 * torch.rand((self.n_envs, 2), generator=generator, dtype=self.dtype) - 1)
        position = self.position.new_tensor(START_XY) + START_NOISE * noise
        return position, torch.zeros_like(position)

    def _advance(self, action: Tensor) -> tuple[Tensor, Tensor]:
        """Positions (n_envs, 2) and bodies after one step of ``action``."""
        return point_step(self.position, self.body, action.to(self.dtype), self.walls)

    def step(self, action: Tensor) -> tuple[Tensor, Tensor, Tensor, bool]:
        """Apply ``action`` (n_envs, action_dim) in [-1, 1]: (obs, reward, terminated,
        truncated); ``terminated`` is always False, ``truncated`` True after ``max_steps``."""
        if action.shape != (self.n_envs, self.action_dim):
            raise ValueError(f"action must have shape ({self.n_envs}, {self.action_dim}), got "
                             f"{tuple(action.shape)}")
        if bool((action.abs() > 1).any()):
            raise ValueError("action must lie in [-1, 1]")
        self.position, self.body = self._advance(action)
        self.t += 1
        reward = maze_reward(self.position, self.reward_type, self.goal)
        terminated = torch.zeros(self.n_envs, dtype=torch.bool)
        return self.obs, reward, terminated, self.t >= self.max_steps

    def success(self) -> Tensor:
        """(n_envs,) bool: the centre within :data:`GOAL_RADIUS` of its maze's goal (the real
        envs' test, unscaled in both)."""
        return goal_distance(self.position, self.goal) <= GOAL_RADIUS


def make_gymnasium_maze(env_id: str, **kwargs: Any) -> Any:
    """``gymnasium.make(env_id, **kwargs)`` for a Gymnasium-Robotics maze, without the model
    file such an env writes to the temporary directory each time it is built (MuJoCo has read
    it by then; left alone, a run of many evaluations leaves thousands)."""
    import gymnasium
    import gymnasium_robotics

    gymnasium.register_envs(gymnasium_robotics)
    env = gymnasium.make(env_id, **kwargs)
    Path(env.unwrapped.tmp_xml_file_path).unlink(missing_ok=True)  # type: ignore[attr-defined]
    return env


class GymnasiumMaze(PointMaze):
    """``n_envs`` copies of a real Gymnasium-Robotics maze (MuJoCo) behind :class:`PointMaze`'s
    interface, stepped one after another: the same observation layout, goals, rewards and
    success test, the physics (walls included) the real env's. Each episode starts in
    :data:`START_CELL` with the env's own position noise, drawn from a seed taken from the
    torch generator; the env's goal is overwritten with the maze's, and the env neither ends
    nor moves the goal when the agent arrives (``continuing_task=True, reset_target=False``).
    Subclasses name the env and where its observation repeats the position."""

    env_id: str = ""
    """the Gymnasium id"""
    make_kwargs: ClassVar[dict[str, Any]] = {}
    """further arguments of ``gymnasium.make``"""
    repeated: int = 0
    """leading entries of the env's ``observation`` that repeat its ``achieved_goal`` (x, y)"""

    def __init__(self, n_envs: int, *, max_steps: int = 300, reward_type: str = "distance"
                 ) -> None:
        super().__init__(n_envs, max_steps=max_steps, reward_type=reward_type)
        self.envs = [make_gymnasium_maze(self.env_id, continuing_task=True, reset_target=False,
                                         max_episode_steps=max_steps, **self.make_kwargs)
                     for _ in range(n_envs)]

    def _start(self, generator: torch.Generator) -> tuple[Tensor, Tensor]:
        seeds = torch.randint(2**31 - 1, (self.n_envs,), generator=generator)
        options = {"reset_cell": np.array(START_CELL), "goal_cell": np.array(GOAL_CELL)}
        raw = []
        for env, seed, goal in zip(self.envs, seeds.tolist(), self.goal, strict=True):
            raw.append(env.reset(seed=seed, options=options)[0])
            env.unwrapped.goal = goal.double().numpy()  # type: ignore[attr-defined]
        return self._split(raw)

    def _advance(self, action: Tensor) -> tuple[Tensor, Tensor]:
        moves = action.double().numpy()
        return self._split([env.step(a)[0] for env, a in zip(self.envs, moves, strict=True)])

    def _split(self, raw: list[dict[str, np.ndarray]]) -> tuple[Tensor, Tensor]:
        """Positions (n_envs, 2) and bodies from the envs' observation dicts."""
        position = np.stack([r["achieved_goal"] for r in raw])
        body = np.stack([r["observation"][self.repeated:] for r in raw])
        return (torch.as_tensor(position, dtype=self.dtype),
                torch.as_tensor(body, dtype=self.dtype))


class GymnasiumPointMaze(GymnasiumMaze):
    """The real ``PointMaze_UMaze-v3``: its ``observation`` is x, y, vx, vy."""

    env_id = "PointMaze_UMaze-v3"
    repeated = 2


class GymnasiumAntMaze(GymnasiumMaze):
    """The real ``AntMaze_UMaze-v5``, HIRO's own task: the U map with cells of side 4, an
    8-joint ant (actions in [-1, 1]^8). Its body is the ant's 27 observed coordinates (torso
    height and orientation, joint angles, all velocities; contact forces left out, as in the
    HIRO paper's ant), so an observation is x, y, those 27, gx, gy: 31 numbers."""

    env_id = "AntMaze_UMaze-v5"
    make_kwargs = {"include_cfrc_ext_in_observation": False}
    scale = 4.0
    obs_dim = 31
    action_dim = 8
