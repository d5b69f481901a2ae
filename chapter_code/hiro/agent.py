"""HIRO's two-level agent on the U mazes (point or ant), batched over independent learners
(Nachum et al. 2018, Algorithm 1 of the appendix, §3).

Every c steps the manager μ^hi(s_t) proposes a goal g_t, a desired change of the agent's
position (x, y: the ball's, or the ant's torso's); between decisions the goal follows the
state, g_{t+1} = h(s_t, g_t, s_{t+1}) (eq. 2); the worker μ^lo(s_t, g_t) acts and is paid
-||s_t + g_t - s_{t+1}|| (eq. 3). The manager stores (s_t, g_t, Σ R_{t:t+c-1}, s_{t+c}) with the
c states and actions in between, and at training time relabels g_t by the off-policy correction
(eq. 5) under the current worker. Both levels learn by TD3. ``correction=False`` keeps the
stored goal (the paper's ablation); :func:`train_flat` is TD3 on the environment reward alone
(the paper's flat baseline). Every training episode draws its maze goal uniformly over the maze
(appendix B.2.1), which both levels observe; evaluation always uses the far end of the U.

Learner i owns ``n_envs`` mazes, its networks' i-th slice and its own replay memories; all
learners step and update together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import Tensor

from chapter_code._checks import check_choice, check_int, check_real
from chapter_code.hiro.correction import goal_transition, intrinsic_reward, off_policy_correction
from chapter_code.hiro.pointmaze import (
    GOAL_CELL,
    GOAL_XY,
    START_CELL,
    GymnasiumAntMaze,
    GymnasiumPointMaze,
    PointMaze,
    goal_distance,
    sample_goals,
)
from chapter_code.hiro.td3 import TD3, Batch, TD3Config
from chapter_code.seeding import torch_stream

GOAL_DIM = 2
MAZES: dict[str, type[PointMaze]] = {
    "torch": PointMaze, "PointMaze_UMaze-v3": GymnasiumPointMaze,
    "AntMaze_UMaze-v5": GymnasiumAntMaze}
"""the mazes to train and evaluate in: the vectorised torch twin of the point maze, the real
MuJoCo point maze, or the real ant maze (HIRO's own task). Each fixes the observation and
action sizes."""
POINT_MAZES = ("torch", "PointMaze_UMaze-v3")
TRAIN_GOALS = ("uniform", "fixed")
"""where training episodes put the maze's goal: uniform over the maze (the paper's maze task)
or always at the evaluation goal."""


@dataclass(frozen=True)
class HiroConfig:
    """Options of a HIRO (or flat TD3) training run on a U maze."""

    n_learners: int = 3
    """independent learners (seeds) trained together"""
    n_envs: int = 4
    """mazes each learner steps in parallel"""
    env_steps: int = 100_000
    """environment steps each learner takes (over its n_envs mazes)"""
    max_steps: int = 300
    """episode length (the real env's time limit)"""
    c: int = 10
    """steps between manager decisions"""
    goal_high: float = 0.5
    """goals lie in [-goal_high, goal_high]² (a change of position, in the maze's units: cells of
    side 1 in the point maze, 4 in the ant maze)"""
    manager_reward_scale: float = 0.1
    """the manager learns from this times the summed environment reward"""
    worker_noise: float = 0.2
    """σ of the Gaussian exploration noise on worker (and flat) actions in [-1, 1]"""
    manager_noise: float = 0.2
    """σ of the exploration noise on the manager's action, in units of goal_high"""
    warmup: int = 5_000
    """environment steps per learner of uniformly random actions and goals before learning"""
    batch_size: int = 128
    """minibatch per learner and update"""
    capacity: int = 200_000
    """replay memory per learner and level (transitions)"""
    eval_every: int = 10_000
    """environment steps between evaluations"""
    n_eval: int = 10
    """evaluation episodes per learner (noise-free policies)"""
    reward_type: str = "distance"
    """the maze's reward (see chapter_code.hiro.pointmaze.REWARDS)"""
    train_goals: str = "uniform"
    """the maze goal of training episodes, one of TRAIN_GOALS"""
    env: str = "torch"
    """where to train and evaluate, a key of MAZES"""
    td3: TD3Config = field(default_factory=TD3Config)
    """TD3's hyper-parameters, both levels"""

    def __post_init__(self) -> None:
        for name in ("n_learners", "n_envs", "c", "batch_size", "n_eval"):
            check_int(name, getattr(self, name), minimum=1)
        check_int("max_steps", self.max_steps, minimum=self.c)
        if self.max_steps % self.c:
            raise ValueError(f"max_steps must be a multiple of c = {self.c}, got "
                             f"{self.max_steps}")
        check_int("warmup", self.warmup, minimum=0)
        check_int("env_steps", self.env_steps, minimum=self.warmup + 1)
        check_int("eval_every", self.eval_every, minimum=1)
        check_int("capacity", self.capacity, minimum=self.batch_size)
        check_real("goal_high", self.goal_high, low=0.0, low_open=True)
        check_real("manager_reward_scale", self.manager_reward_scale, low=0.0, low_open=True)
        check_real("worker_noise", self.worker_noise, low=0.0)
        check_real("manager_noise", self.manager_noise, low=0.0)
        PointMaze(1, reward_type=self.reward_type)
        check_choice("train_goals", self.train_goals, TRAIN_GOALS)
        check_choice("env", self.env, tuple(MAZES))
        if not isinstance(self.td3, TD3Config):
            raise TypeError(f"td3 must be a TD3Config, got {type(self.td3).__name__}")


class Replay:
    """One circular replay memory per learner: fields (n, capacity, ...)."""

    def __init__(self, n: int, capacity: int, shapes: dict[str, tuple[int, ...]],
                 dtypes: dict[str, torch.dtype] | None = None) -> None:
        dtypes = dtypes or {}
        self.data = {k: torch.zeros((n, capacity, *s), dtype=dtypes.get(k, torch.float32))
                     for k, s in shapes.items()}
        self.capacity, self.size, self.next = capacity, 0, 0

    def add(self, **fields: Tensor) -> None:
        """Append k transitions per learner: each field (n, k, ...)."""
        k = next(iter(fields.values())).shape[1]
        idx = (self.next + torch.arange(k)) % self.capacity
        for name, value in fields.items():
            self.data[name][:, idx] = value
        self.next = (self.next + k) % self.capacity
        self.size = min(self.size + k, self.capacity)

    def sample(self, batch_size: int, generator: torch.Generator) -> dict[str, Tensor]:
        """``batch_size`` transitions per learner, uniformly with replacement."""
        n = next(iter(self.data.values())).shape[0]
        idx = torch.randint(self.size, (n, batch_size), generator=generator)
        rows = torch.arange(n)[:, None]
        return {name: value[rows, idx] for name, value in self.data.items()}


def _noisy(action: Tensor, sigma: float, generator: torch.Generator) -> Tensor:
    """action + N(0, σ²), clipped to [-1, 1]: TD3's exploration."""
    return (action + sigma * torch.randn(action.shape, generator=generator)).clamp(-1.0, 1.0)


def _uniform(shape: tuple[int, ...], generator: torch.Generator) -> Tensor:
    return 2 * torch.rand(shape, generator=generator) - 1


@dataclass
class TrainResult:
    """What a training run leaves: ``success`` (n_learners, n_evals) the fraction of
    evaluation episodes ending within the goal radius and ``distance`` (n_learners, n_evals)
    their mean final distance to the goal, at ``eval_steps`` (n_evals,)
    environment steps per learner; the trained levels (``manager`` the flat learner and
    ``worker`` None for flat TD3)."""

    success: np.ndarray
    distance: np.ndarray
    eval_steps: np.ndarray
    manager: TD3
    worker: TD3 | None
    config: HiroConfig
    trace: dict[str, Tensor] | None = None
    """``record``: positions (n, n_eval, T + 1, 2) and absolute subgoals s_t + g_t
    (n, n_eval, T / c, 2) of one noise-free evaluation"""
    agent: HiroAgent | None = None
    """the trained HIRO agent (None for flat TD3)"""


class HiroAgent:
    """The two TD3 levels of ``n`` learners and how they act."""

    def __init__(self, config: HiroConfig, generator: torch.Generator) -> None:
        n = config.n_learners
        self.config = config
        self.obs_dim, self.action_dim = MAZES[config.env].obs_dim, MAZES[config.env].action_dim
        self.manager = TD3(n, self.obs_dim, GOAL_DIM, config.td3, generator=generator)
        self.worker = TD3(n, self.obs_dim + GOAL_DIM, self.action_dim, config.td3,
                          generator=generator)
        self.goal_high = torch.full((GOAL_DIM,), config.goal_high)

    def worker_policy(self, obs: Tensor, goal: Tensor) -> Tensor:
        """μ^lo(s, g) for rows of every learner: obs (n, B, obs_dim), goal (n, B, 2)."""
        return self.worker.actor(torch.cat([obs, goal / self.goal_high], dim=-1))

    def propose(self, obs: Tensor) -> Tensor:
        """The manager's noise-free goal μ^hi(s): (n, B, obs_dim) -> (n, B, 2)."""
        return self.manager.act(obs) * self.goal_high

    def act(self, obs: Tensor, goal: Tensor) -> Tensor:
        """The worker's noise-free action: (n, B, action_dim)."""
        with torch.no_grad():
            return self.worker_policy(obs, goal)

    def relabel(self, states: Tensor, actions: Tensor, goal: Tensor,
                generator: torch.Generator) -> Tensor:
        """Every learner's stored goals relabelled under its own current worker by
        :func:`off_policy_correction` (eq. 5): states (n, B, c + 1, obs_dim), actions
        (n, B, c, action_dim), goal (n, B, 2) -> (n, B, 2)."""
        n, B, c = actions.shape[0], actions.shape[1], actions.shape[2]

        def worker(obs: Tensor, g: Tensor) -> Tensor:
            # rows arrive learner by learner: route each block to its learner's slice
            out = self.worker_policy(obs.reshape(n, -1, self.obs_dim),
                                     g.reshape(n, -1, GOAL_DIM))
            return out.reshape(-1, self.action_dim)

        chosen, _ = off_policy_correction(
            worker, states.reshape(n * B, c + 1, self.obs_dim),
            actions.reshape(n * B, c, self.action_dim), goal.reshape(n * B, GOAL_DIM),
            self.goal_high, generator=generator)
        return chosen.reshape(n, B, GOAL_DIM)


def _outcome(env: PointMaze, n: int) -> Tensor:
    """(n, 2): per learner, the fraction of its mazes within the goal radius and the mean
    final distance to the goal."""
    distance = goal_distance(env.position, env.goal)
    return torch.stack([env.success().reshape(n, -1).float().mean(dim=1),
                        distance.reshape(n, -1).float().mean(dim=1)], 1)


def make_maze(config: HiroConfig, n_envs: int) -> PointMaze:
    """``n_envs`` mazes of kind ``config.env`` with the config's episode length and reward."""
    return MAZES[config.env](n_envs, max_steps=config.max_steps, reward_type=config.reward_type)


def _reset(env: PointMaze, config: HiroConfig, generator: torch.Generator) -> Tensor:
    """Start a training episode in every maze, each with a fresh uniform goal if
    ``config.train_goals`` is "uniform" (else the evaluation goal): the observations."""
    targets = env.scale * sample_goals(env.n_envs, generator) \
        if config.train_goals == "uniform" else None
    return env.reset(generator, targets)


def _evaluate_hiro(agent: HiroAgent, config: HiroConfig, generator: torch.Generator,
                   record: bool = False) -> tuple[Tensor, dict[str, Tensor]]:
    """Noise-free episodes, ``n_eval`` per learner: :func:`_outcome` and, if ``record``, the
    positions (n, n_eval, T + 1, 2) and the absolute subgoals s_t + g_t at each decision."""
    n, m = config.n_learners, config.n_eval
    env = make_maze(config, n * m)
    obs = env.reset(generator).reshape(n, m, env.obs_dim)
    positions, targets = [obs[..., :GOAL_DIM]], []
    goal = torch.zeros(n, m, GOAL_DIM)
    for t in range(config.max_steps):
        if t % config.c == 0:
            goal = agent.propose(obs)
            targets.append(obs[..., :GOAL_DIM] + goal)
        new, _, _, _ = env.step(agent.act(obs, goal).reshape(n * m, env.action_dim))
        new = new.reshape(n, m, env.obs_dim)
        goal = goal_transition(obs[..., :GOAL_DIM], goal, new[..., :GOAL_DIM])
        obs = new
        positions.append(obs[..., :GOAL_DIM])
    trace = {"positions": torch.stack(positions, 2), "subgoals": torch.stack(targets, 2)}
    return _outcome(env, n), (trace if record else {})


def hiro_memories(config: HiroConfig) -> tuple[Replay, Replay]:
    """Empty replay memories of every learner: the worker's ((s, g), a, r, (s', g')) and the
    manager's (s_{t:t+c}, a_{t:t+c-1}, g_t, Σ R), ``config.capacity // c`` of those."""
    n, c = config.n_learners, config.c
    obs_dim, action_dim = MAZES[config.env].obs_dim, MAZES[config.env].action_dim
    worker = Replay(n, config.capacity, {
        "obs": (obs_dim + GOAL_DIM,), "action": (action_dim,), "reward": (),
        "next_obs": (obs_dim + GOAL_DIM,)})
    manager = Replay(n, max(config.capacity // c, config.batch_size), {
        "states": (c + 1, obs_dim), "actions": (c, action_dim), "goal": (GOAL_DIM,),
        "reward": ()})
    return worker, manager


def update_levels(agent: HiroAgent, worker_memory: Replay, manager_memory: Replay, *,
                  correction: bool, manager_turn: bool, generator: torch.Generator) -> None:
    """One TD3 step of every worker on a minibatch of its transitions and, if ``manager_turn``,
    one of every manager on (s_t, g̃_t, scale · Σ R, s_{t+c}), g̃_t the stored goal relabelled
    by :func:`off_policy_correction` under the current worker if ``correction``. Episodes
    never terminate (a time limit only truncates them)."""
    config = agent.config
    never = torch.zeros(config.n_learners, config.batch_size, dtype=torch.bool)
    b = worker_memory.sample(config.batch_size, generator)
    agent.worker.update(Batch(b["obs"], b["action"], b["reward"], b["next_obs"], never),
                        generator)
    if not manager_turn:
        return
    b = manager_memory.sample(config.batch_size, generator)
    goal = agent.relabel(b["states"], b["actions"], b["goal"], generator) if correction \
        else b["goal"]
    agent.manager.update(Batch(b["states"][:, :, 0], goal / agent.goal_high,
                               config.manager_reward_scale * b["reward"],
                               b["states"][:, :, -1], never), generator)


def _eval_points(config: HiroConfig) -> dict[int, int]:
    """Vector step after which to evaluate -> environment steps per learner by then."""
    E = config.n_envs
    return {-(-s // E): s for s in range(config.eval_every, config.env_steps + 1,
                                         config.eval_every)}


def train_hiro(config: HiroConfig, *, seed: int, correction: bool = True,
               record: bool = False) -> TrainResult:
    """Train ``config.n_learners`` HIRO agents in ``config.env``'s mazes (Nachum et al. 2018):
    the worker updated once per vector step (one step of each learner's n_envs mazes), the
    manager once per c of them, its goals relabelled by :func:`off_policy_correction` if
    ``correction``. ``record``: keep one noise-free evaluation's paths and subgoals."""
    if not isinstance(correction, bool):
        raise TypeError(f"correction must be a bool, got {correction!r}")
    cfg = config
    n, E, c = cfg.n_learners, cfg.n_envs, cfg.c
    agent = HiroAgent(cfg, torch_stream(seed, "init"))
    explore, sample = torch_stream(seed, "explore"), torch_stream(seed, "sample")
    evaluate = torch_stream(seed, "evaluate")
    env = make_maze(cfg, n * E)
    worker_memory, manager_memory = hiro_memories(cfg)
    points = _eval_points(cfg)
    success = []
    obs = goal = segment_goal = summed = torch.zeros(0)
    states: list[Tensor] = []
    actions: list[Tensor] = []
    for step in range(max(points)):
        t = step % cfg.max_steps
        warm = step * E < cfg.warmup
        if t == 0:
            obs = _reset(env, cfg, explore).reshape(n, E, env.obs_dim)
        if t % c == 0:  # the manager decides
            if warm:
                segment_goal = _uniform((n, E, GOAL_DIM), explore) * agent.goal_high
            else:
                segment_goal = _noisy(agent.manager.act(obs), cfg.manager_noise,
                                      explore) * agent.goal_high
            goal, summed, states, actions = segment_goal, torch.zeros(n, E), [obs], []
        if warm:
            action = _uniform((n, E, env.action_dim), explore)
        else:
            action = _noisy(agent.act(obs, goal), cfg.worker_noise, explore)
        new, reward, _, _ = env.step(action.reshape(n * E, env.action_dim))
        new, reward = new.reshape(n, E, env.obs_dim), reward.reshape(n, E)
        next_goal = goal_transition(obs[..., :GOAL_DIM], goal, new[..., :GOAL_DIM])
        worker_memory.add(
            obs=torch.cat([obs, goal / agent.goal_high], -1), action=action,
            reward=intrinsic_reward(obs[..., :GOAL_DIM], goal, new[..., :GOAL_DIM]),
            next_obs=torch.cat([new, next_goal / agent.goal_high], -1))
        summed = summed + reward
        states.append(new)
        actions.append(action)
        obs, goal = new, next_goal
        if t % c == c - 1:
            manager_memory.add(states=torch.stack(states, 2), actions=torch.stack(actions, 2),
                               goal=segment_goal, reward=summed)
        if not warm:
            update_levels(agent, worker_memory, manager_memory, correction=correction,
                          manager_turn=t % c == c - 1, generator=sample)
        if step + 1 in points:
            success.append(_evaluate_hiro(agent, cfg, evaluate)[0])
    trace = _evaluate_hiro(agent, cfg, evaluate, record=True)[1] if record else None
    outcome = torch.stack(success, 1).numpy()
    return TrainResult(outcome[..., 0], outcome[..., 1], np.asarray(list(points.values())),
                       agent.manager, agent.worker, cfg, trace, agent)


def _evaluate_flat(actor: TD3, config: HiroConfig, generator: torch.Generator) -> Tensor:
    """Noise-free episodes of flat TD3, ``n_eval`` per learner: :func:`_outcome`."""
    n, m = config.n_learners, config.n_eval
    env = make_maze(config, n * m)
    obs = env.reset(generator).reshape(n, m, env.obs_dim)
    for _ in range(config.max_steps):
        action = actor.act(obs).reshape(n * m, env.action_dim)
        obs = env.step(action)[0].reshape(n, m, env.obs_dim)
    return _outcome(env, n)


def train_flat(config: HiroConfig, *, seed: int) -> TrainResult:
    """Flat TD3 on the environment reward, the same budget, noise and update schedule as the
    worker of :func:`train_hiro` (the paper's "TD3" baseline)."""
    cfg = config
    n, E = cfg.n_learners, cfg.n_envs
    env = make_maze(cfg, n * E)
    agent = TD3(n, env.obs_dim, env.action_dim, cfg.td3, generator=torch_stream(seed, "init"))
    explore, sample = torch_stream(seed, "explore"), torch_stream(seed, "sample")
    evaluate = torch_stream(seed, "evaluate")
    memory = Replay(n, cfg.capacity, {"obs": (env.obs_dim,), "action": (env.action_dim,),
                                      "reward": (), "next_obs": (env.obs_dim,)})
    points = _eval_points(cfg)
    success = []
    obs = torch.zeros(0)
    never = torch.zeros(n, cfg.batch_size, dtype=torch.bool)
    for step in range(max(points)):
        warm = step * E < cfg.warmup
        if step % cfg.max_steps == 0:
            obs = _reset(env, cfg, explore).reshape(n, E, env.obs_dim)
        if warm:
            action = _uniform((n, E, env.action_dim), explore)
        else:
            action = _noisy(agent.act(obs), cfg.worker_noise, explore)
        new, reward, _, _ = env.step(action.reshape(n * E, env.action_dim))
        new = new.reshape(n, E, env.obs_dim)
        memory.add(obs=obs, action=action, reward=reward.reshape(n, E), next_obs=new)
        obs = new
        if not warm:
            b = memory.sample(cfg.batch_size, sample)
            agent.update(Batch(b["obs"], b["action"], b["reward"], b["next_obs"], never),
                         sample)
        if step + 1 in points:
            success.append(_evaluate_flat(agent, cfg, evaluate))
    outcome = torch.stack(success, 1).numpy()
    return TrainResult(outcome[..., 0], outcome[..., 1], np.asarray(list(points.values())),
                       agent, None, cfg)


def rollout_gymnasium(agent: HiroAgent, env: Any, learner: int, *, seed: int) -> np.ndarray:
    """One noise-free episode of ``learner``'s HIRO policy in a Gymnasium-Robotics point maze
    (``PointMaze_UMaze-v3``), started in :data:`~chapter_code.hiro.pointmaze.START_CELL` with
    the goal at :data:`~chapter_code.hiro.pointmaze.GOAL_XY` exactly: the ball's positions,
    (max_steps + 1, 2). The manager and worker see the env's observation and that goal, as in
    training."""
    check_int("learner", learner, minimum=0)
    if agent.config.env not in POINT_MAZES:
        raise ValueError(f"agent must have learned in a point maze, one of {POINT_MAZES}; "
                         f"it learned in {agent.config.env!r}")
    if learner >= agent.config.n_learners:
        raise ValueError(f"learner must be < n_learners = {agent.config.n_learners}, got "
                         f"{learner}")
    options = {"reset_cell": np.array(START_CELL), "goal_cell": np.array(GOAL_CELL)}
    raw = env.reset(seed=seed, options=options)[0]["observation"]
    env.unwrapped.goal = np.array(GOAL_XY)
    target = torch.tensor(GOAL_XY, dtype=torch.float32)
    n = agent.config.n_learners
    positions = [raw[:GOAL_DIM].copy()]
    goal = torch.zeros(GOAL_DIM)
    for t in range(agent.config.max_steps):
        obs = torch.cat([torch.as_tensor(raw, dtype=torch.float32), target])
        if t % agent.config.c == 0:
            goal = agent.propose(obs.expand(n, 1, agent.obs_dim))[learner, 0]
        action = agent.act(obs.expand(n, 1, agent.obs_dim),
                           goal.expand(n, 1, GOAL_DIM))[learner, 0]
        raw = env.step(action.double().numpy())[0]["observation"]
        new = torch.as_tensor(raw[:GOAL_DIM], dtype=torch.float32)
        goal = goal_transition(obs[:GOAL_DIM], goal, new)
        positions.append(raw[:GOAL_DIM].copy())
    return np.asarray(positions)
