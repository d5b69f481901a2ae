"""The torch point maze against the real Gymnasium-Robotics PointMaze_UMaze-v3: the same map,
cells, rewards, free-space motion, and the same wall stops from the same states."""

import gymnasium
import gymnasium_robotics
import numpy as np
import pytest
import torch

from chapter_code.hiro.pointmaze import (
    GOAL_CELL,
    GOAL_RADIUS,
    GOAL_RANGE,
    GOAL_XY,
    START_CELL,
    START_NOISE,
    U_MAZE,
    GymnasiumAntMaze,
    GymnasiumPointMaze,
    PointMaze,
    cell_xy,
    in_wall,
    maze_reward,
    point_step,
    sample_goals,
)
from chapter_code.seeding import stream, torch_stream

pytestmark = pytest.mark.unit
gymnasium.register_envs(gymnasium_robotics)
WALLS = torch.tensor(U_MAZE, dtype=torch.bool)


@pytest.fixture(scope="module")
def real():
    env = gymnasium.make("PointMaze_UMaze-v3", continuing_task=False, reward_type="dense")
    env.reset(seed=0)
    return env


def _put(env, position, velocity=(0.0, 0.0)):
    env.unwrapped.point_env.set_state(np.asarray(position, float), np.asarray(velocity, float))


def test_same_map_cells_start_and_goal(real):
    maze = real.unwrapped.maze
    assert [list(r) for r in U_MAZE] == maze.maze_map
    for i in range(5):
        for j in range(5):
            assert cell_xy(i, j) == tuple(maze.cell_rowcol_to_xy(np.array([i, j])))
    for _ in range(5):
        obs, _ = real.reset(seed=3, options={"reset_cell": np.array(START_CELL),
                                             "goal_cell": np.array(GOAL_CELL)})
        assert np.abs(obs["observation"][:2] - cell_xy(*START_CELL)).max() <= START_NOISE
        assert np.abs(obs["desired_goal"] - GOAL_XY).max() <= START_NOISE
    real.reset(seed=0)


def test_same_rewards_as_the_real_env(real):
    rng = stream(0, "positions")
    xy = rng.uniform(-1.5, 1.5, size=(200, 2))
    for reward_type in ("dense", "sparse"):
        ours = maze_reward(torch.tensor(xy), reward_type).numpy()
        real.unwrapped.reward_type = reward_type
        theirs = real.unwrapped.compute_reward(xy, np.tile(GOAL_XY, (200, 1)), None)
        np.testing.assert_allclose(ours, theirs, atol=1e-12)
    real.unwrapped.reward_type = "dense"
    distance = maze_reward(torch.tensor(xy), "distance").numpy()
    np.testing.assert_allclose(distance, -np.linalg.norm(xy - GOAL_XY, axis=1))
    assert (maze_reward(torch.tensor(xy), "sparse").numpy() == (-distance <= GOAL_RADIUS)).all()


def test_free_space_motion_is_the_real_step(real):
    rng = stream(1, "actions")
    for start in [(1.0, 0.0), (-1.0, 1.0), (0.0, -1.0)]:
        _put(real, start)
        pos = torch.tensor([start], dtype=torch.float64)
        vel = torch.zeros((1, 2), dtype=torch.float64)
        for _ in range(15):  # 15 steps move at most about 0.3: no wall within reach
            a = rng.uniform(-1, 1, 2)
            obs, *_ = real.step(a)
            pos, vel = point_step(pos, vel, torch.from_numpy(a)[None], WALLS)
            np.testing.assert_allclose(torch.cat([pos, vel], 1)[0].numpy(),
                                       obs["observation"], atol=1e-12)


PUSHES = [((-1.0, -1.0), (-1, 0)), ((-1.0, -1.0), (0, 1)), ((-1.0, -1.0), (0, -1)),
          ((1.0, 0.0), (1, 0)), ((1.0, 0.0), (-1, 0)), ((0.0, 1.0), (0, -1)),
          ((0.0, 1.0), (0, 1)), ((-0.7, -0.8), (-1, -1)), ((-1.0, -1.0), (0.3, -1.0)),
          ((1.2, 1.2), (1.0, 0.5))]


@pytest.mark.parametrize(("start", "action"), PUSHES)
def test_walls_stop_the_ball_where_the_real_env_does(real, start, action):
    _put(real, start)
    pos = torch.tensor([start], dtype=torch.float64)
    vel = torch.zeros((1, 2), dtype=torch.float64)
    for _ in range(60):
        obs, *_ = real.step(np.asarray(action, float))
        pos, vel = point_step(pos, vel, torch.tensor([action], dtype=torch.float64), WALLS)
    ours, theirs = pos[0].numpy(), obs["observation"][:2]
    np.testing.assert_allclose(ours, theirs, atol=0.01)  # MuJoCo's contacts are soft
    # a wall holds both balls on the same axes (free, they would move at up to 5 per second)
    held = np.abs(obs["observation"][2:]) < 0.05
    assert held.any() and (vel[0].numpy()[held] == 0).all()
    np.testing.assert_allclose(vel[0].numpy(), obs["observation"][2:], atol=0.05)


def test_reset_is_seeded_and_inside_the_start_cell():
    a = PointMaze(64).reset(torch_stream(0, "reset"))
    b = PointMaze(64).reset(torch_stream(0, "reset"))
    assert torch.equal(a, b)
    assert (a[:, :2] - torch.tensor(cell_xy(*START_CELL))).abs().max() <= START_NOISE
    assert bool((a[:, 2:4] == 0).all())
    assert bool((a[:, 4:] == torch.tensor(GOAL_XY)).all())  # the default goal, observed


def test_each_maze_is_paid_and_succeeds_for_its_own_goal():
    env = PointMaze(3, reward_type="sparse")
    goals = torch.tensor([[-1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]])
    obs = env.reset(torch_stream(0, "reset"), goals)
    assert torch.equal(obs[:, 4:], goals)
    obs, reward, _, _ = env.step(torch.zeros(3, 2))
    torch.testing.assert_close(reward, maze_reward(obs[:, :2], "sparse", goals))
    # the start cell is (-1, -1) ± 0.25, within GOAL_RADIUS of the first goal only
    assert env.success().tolist() == [True, False, False]
    assert torch.equal(obs[:, 4:], goals)  # goals stay put


def test_sampled_goals_are_uniform_on_the_box_around_the_free_cells():
    goals = sample_goals(20_000, torch_stream(0, "goals"))
    assert torch.equal(goals, sample_goals(20_000, torch_stream(0, "goals")))
    assert goals.abs().max() <= GOAL_RANGE == 1.5
    # uniform: mean 0 and variance range²/3 per axis, each within 4 standard errors
    assert goals.mean(0).abs().max() < 4 * (GOAL_RANGE / 3**0.5) / 20_000**0.5
    torch.testing.assert_close(goals.var(0), torch.full((2,), GOAL_RANGE**2 / 3), rtol=0.03,
                               atol=0)


def test_episode_truncates_and_never_terminates():
    env = PointMaze(3, max_steps=4)
    env.reset(torch_stream(0, "reset"))
    for t in range(4):
        obs, reward, terminated, truncated = env.step(torch.zeros(3, 2))
        assert truncated == (t == 3) and not bool(terminated.any())
    torch.testing.assert_close(reward, maze_reward(obs[:, :2], "distance"))


def test_the_walls_are_never_entered():
    env = PointMaze(256, max_steps=400, dtype=torch.float64)
    env.reset(torch_stream(1, "reset"))
    gen = torch_stream(1, "actions")
    u = v = None
    for _ in range(400):
        env.step(torch.rand((256, 2), generator=gen, dtype=torch.float64) * 2 - 1)
        u = env.position[:, 0] + 2.5
        v = 2.5 - env.position[:, 1]
        for du in (-0.0999, 0.0999):
            for dv in (-0.0999, 0.0999):
                assert not bool(WALLS[(v + dv).floor().long(), (u + du).floor().long()].any())
    assert u is not None and float(u.std()) > 0.1


def test_bad_input():
    with pytest.raises(ValueError, match="reward_type"):
        PointMaze(2, reward_type="exp")
    with pytest.raises(TypeError, match="n_envs"):
        PointMaze(2.0)
    with pytest.raises(TypeError, match="dtype"):
        PointMaze(2, dtype=torch.int64)
    env = PointMaze(2)
    with pytest.raises(TypeError, match="generator"):
        env.reset(0)
    with pytest.raises(ValueError, match=r"goal must be a tensor of shape \(2, 2\)"):
        env.reset(torch_stream(0, "r"), torch.zeros(3, 2))
    with pytest.raises(ValueError, match="n must be"):
        sample_goals(0, torch_stream(0, "r"))
    env.reset(torch_stream(0, "r"))
    with pytest.raises(ValueError, match="action must have shape"):
        env.step(torch.zeros(3, 2))
    with pytest.raises(ValueError, match=r"action must lie in \[-1, 1\]"):
        env.step(torch.full((2, 2), 1.5))


def test_the_gymnasium_maze_behind_the_same_interface():
    """GymnasiumPointMaze: seeded starts in the start cell, the maze's goals given to the real
    envs, our rewards, and free-space steps equal to the torch maze's from the same state."""
    goals = torch.tensor([[1.0, 1.0], [-1.0, 0.9]])
    real = GymnasiumPointMaze(2, max_steps=5)
    obs = real.reset(torch_stream(0, "reset"), goals)
    again = GymnasiumPointMaze(2, max_steps=5).reset(torch_stream(0, "reset"), goals)
    assert torch.equal(obs, again) and torch.equal(obs[:, 4:], goals)
    assert (obs[:, :2] - torch.tensor(cell_xy(*START_CELL))).abs().max() <= START_NOISE
    assert [env.unwrapped.goal.tolist() for env in real.envs] == goals.tolist()
    twin = PointMaze(2, max_steps=5)
    twin.reset(torch_stream(0, "other"), goals)
    twin.position = real.position.clone()
    gen = torch_stream(0, "actions")
    for t in range(5):
        action = 0.3 * (2 * torch.rand((2, 2), generator=gen) - 1)  # stays clear of the walls
        obs, reward, terminated, truncated = real.step(action)
        twin_obs = twin.step(action)[0]
        torch.testing.assert_close(obs, twin_obs, atol=1e-5, rtol=0)
        torch.testing.assert_close(reward, maze_reward(obs[:, :2], "distance", goals))
        assert not terminated.any() and truncated == (t == 4)
    assert real.success().tolist() == [False, False]


def test_the_ant_maze_behind_the_same_interface():
    """GymnasiumAntMaze: the observation is x, y, the ant's 27 body coordinates and the goal,
    read here straight from MuJoCo's state (qpos then qvel); starts spread over the start
    cell as the env places it, with the env's noise scaled by 4; the default goal is the far
    end of the U where the env puts that cell; seeded resets repeat; rewards are minus the
    distance to the maze's goal, success is being within the env's radius 0.45 of it, and the
    goal never moves."""
    ant = GymnasiumAntMaze(8, max_steps=3)
    obs = ant.reset(torch_stream(0, "reset"))
    assert obs.shape == (8, GymnasiumAntMaze.obs_dim) == (8, 31)
    assert torch.equal(obs, GymnasiumAntMaze(8).reset(torch_stream(0, "reset")))
    maze = ant.envs[0].unwrapped.maze
    start = torch.tensor(maze.cell_rowcol_to_xy(np.array(START_CELL)), dtype=torch.float32)
    offsets = (obs[:, :2] - start).abs()
    assert offsets.max() <= 4 * START_NOISE and offsets.max() > 2 * START_NOISE
    far_end = torch.tensor(maze.cell_rowcol_to_xy(np.array(GOAL_CELL)), dtype=torch.float32)
    assert torch.equal(obs[:, -2:], far_end.expand(8, 2))
    goals = torch.tensor([[4.0, 0.0], [-3.0, 5.0]]).repeat(4, 1)
    ant.reset(torch_stream(1, "reset"), goals)
    inner = ant.envs[0].unwrapped.ant_env  # the first ant stands on its goal
    qpos = inner.data.qpos.copy()
    qpos[:2] = goals[0].numpy()
    inner.set_state(qpos, inner.data.qvel.copy())
    action = 2 * torch.rand((8, 8), generator=torch_stream(0, "actions")) - 1
    for t in range(3):
        obs, reward, terminated, truncated = ant.step(action)
        for i, env in enumerate(ant.envs):
            data = env.unwrapped.ant_env.data
            state = np.concatenate([data.qpos, data.qvel])  # x, y, then the body
            np.testing.assert_allclose(obs[i, :29].numpy(), state, rtol=1e-6, atol=1e-6)
            assert env.unwrapped.goal.tolist() == goals[i].tolist()
        torch.testing.assert_close(reward,
                                   -torch.linalg.vector_norm(obs[:, :2] - goals, dim=1))
        assert not terminated.any() and truncated == (t == 2)
    arrived = [bool(np.linalg.norm(env.unwrapped.data.qpos[:2] - env.unwrapped.goal) <= 0.45)
               for env in ant.envs]
    assert ant.success().tolist() == arrived and arrived[0] and not any(arrived[1:])
    with pytest.raises(ValueError, match=r"action must have shape \(8, 8\)"):
        ant.step(torch.zeros(8, 2))


def test_in_wall_inverts_cell_xy():
    for row, cells in enumerate(U_MAZE):
        for col, wall in enumerate(cells):
            x, y = cell_xy(row, col)
            corners = np.array([[x + dx, y + dy] for dx in (-0.49, 0.49) for dy in (-0.49, 0.49)])
            assert in_wall(corners).tolist() == [bool(wall)] * 4
    assert in_wall(np.array([[3.0, 0.0], [0.0, -2.6]])).tolist() == [True, True]  # off the map
