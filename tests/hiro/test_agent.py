"""HIRO's two-level agent: replay, batched relabelling against one learner at a time,
determinism, and bad configurations."""

import dataclasses

import numpy as np
import pytest
import torch

from chapter_code.hiro.agent import (
    HiroAgent,
    HiroConfig,
    Replay,
    _evaluate_hiro,
    hiro_memories,
    rollout_gymnasium,
    train_flat,
    train_hiro,
    update_levels,
)
from chapter_code.hiro.correction import candidate_goals, relabel_score
from chapter_code.hiro.pointmaze import START_XY
from chapter_code.seeding import torch_stream

pytestmark = pytest.mark.unit

TINY = HiroConfig(n_learners=2, n_envs=2, env_steps=200, max_steps=50, c=5, warmup=60,
                  batch_size=8, capacity=1000, eval_every=100, n_eval=2)


def test_replay_is_circular_and_samples_what_was_stored():
    memory = Replay(2, 3, {"x": ()})
    memory.add(x=torch.tensor([[1.0, 2.0], [10.0, 20.0]]))
    memory.add(x=torch.tensor([[3.0, 4.0], [30.0, 40.0]]))
    assert memory.size == 3 and memory.next == 1
    assert memory.data["x"].tolist() == [[4.0, 2.0, 3.0], [40.0, 20.0, 30.0]]
    got = memory.sample(50, torch_stream(0, "s"))["x"]
    assert set(got[0].tolist()) == {2.0, 3.0, 4.0} and set(got[1].tolist()) == {20.0, 30.0,
                                                                                40.0}


def test_batched_relabelling_is_each_learners_own():
    """The batched relabelling routes every stored transition to its own learner's worker:
    the same candidates (same generator), scored learner by learner with that learner's slice
    alone, give the same choice."""
    agent = HiroAgent(dataclasses.replace(TINY, n_learners=3), torch_stream(0, "init"))
    gen = torch_stream(0, "data")
    states = torch.randn(3, 6, 6, 6, generator=gen)
    actions = torch.rand(3, 6, 5, 2, generator=gen) * 2 - 1
    goal = (torch.rand(3, 6, 2, generator=gen) * 2 - 1) * 0.5
    batched = agent.relabel(states, actions, goal, torch_stream(1, "r"))
    candidates = candidate_goals(goal.reshape(18, 2), states[:, :, 0, :2].reshape(18, 2),
                                 states[:, :, -1, :2].reshape(18, 2), agent.goal_high,
                                 generator=torch_stream(1, "r")).reshape(3, 6, 10, 2)
    for i in range(3):
        actor = agent.worker.actor
        weights = [(W[i], b[i]) for W, b in zip(actor.weights, actor.biases, strict=True)]

        def worker(obs, g, weights=weights):
            h = torch.cat([obs, g / agent.goal_high], -1)
            for k, (W, b) in enumerate(weights):
                h = h @ W + b
                h = torch.relu(h) if k < len(weights) - 1 else torch.tanh(h)
            return h

        with torch.no_grad():
            score = relabel_score(worker, states[i], actions[i], candidates[i])
        expected = candidates[i][torch.arange(6), score.argmax(1)]
        torch.testing.assert_close(batched[i], expected)
    assert not torch.equal(batched, goal)  # some goals were relabelled


def test_update_levels_steps_the_manager_only_on_its_turn():
    agent = HiroAgent(TINY, torch_stream(0, "init"))
    gen = torch_stream(0, "fill")
    worker, manager = hiro_memories(dataclasses.replace(TINY, capacity=50))
    assert manager.data["states"].shape == (2, 10, TINY.c + 1, 6)  # capacity // c memories
    for memory in (worker, manager):
        memory.add(**{k: torch.rand(v.shape, generator=gen) for k, v in memory.data.items()})

    def params(level):
        return torch.cat([p.detach().reshape(-1) for p in level.parameters()])

    w0, m0 = params(agent.worker), params(agent.manager)
    update_levels(agent, worker, manager, correction=True, manager_turn=False, generator=gen)
    w1, m1 = params(agent.worker), params(agent.manager)
    assert not torch.equal(w0, w1) and torch.equal(m0, m1)
    update_levels(agent, worker, manager, correction=True, manager_turn=True, generator=gen)
    assert not torch.equal(m1, params(agent.manager))


@pytest.mark.determinism
@pytest.mark.parametrize("method", ["hiro", "no-correction", "flat"])
def test_training_is_deterministic(method):
    def run():
        if method == "flat":
            result = train_flat(TINY, seed=3)
        else:
            result = train_hiro(TINY, seed=3, correction=method == "hiro")
        params = torch.cat([p.reshape(-1) for p in result.manager.actor.parameters()])
        return result, params.detach()

    a, pa = run()
    b, pb = run()
    assert torch.equal(pa, pb) and np.array_equal(a.success, b.success)
    assert a.success.shape == (2, 2) and a.eval_steps.tolist() == [100, 200]


def test_training_episodes_draw_uniform_goals_and_evaluation_uses_the_far_end(monkeypatch):
    """Every training reset hands the mazes fresh goals from sample_goals (so the levels
    observe them); "fixed" and evaluation resets hand none (the far end of the U)."""
    from chapter_code.hiro import agent as agent_module

    given = []
    reset = agent_module.PointMaze.reset

    def spy(self, generator, goal=None):
        given.append((self.n_envs, goal))
        return reset(self, generator, goal)

    monkeypatch.setattr(agent_module.PointMaze, "reset", spy)
    config = dataclasses.replace(TINY, n_eval=3)  # 6 evaluation mazes, 4 training ones
    train_hiro(config, seed=0)
    n_train = config.env_steps // config.n_envs // config.max_steps  # 2 training episodes
    train = [g for n, g in given if n == config.n_learners * config.n_envs]
    evals = [g for n, g in given if n == config.n_learners * config.n_eval]
    assert len(train) == n_train and all(g is not None and g.shape == (4, 2) for g in train)
    assert not torch.equal(train[0], train[1])
    assert (torch.cat(train).abs() <= 1.5).all() and evals and all(g is None for g in evals)
    given.clear()
    train_flat(dataclasses.replace(TINY, train_goals="fixed"), seed=0)
    assert given and all(g is None for _, g in given)


def test_training_in_the_real_maze_is_deterministic_and_differs_from_the_twin():
    real = dataclasses.replace(TINY, env="PointMaze_UMaze-v3")
    a, b = train_hiro(real, seed=3), train_hiro(real, seed=3)
    assert np.array_equal(a.distance, b.distance) and a.distance.shape == (2, 2)
    assert not np.array_equal(a.distance, train_hiro(TINY, seed=3).distance)


def test_correction_changes_the_managers_learning():
    a = train_hiro(TINY, seed=3, correction=True)
    b = train_hiro(TINY, seed=3, correction=False)
    pa = torch.cat([p.reshape(-1) for p in a.manager.actor.parameters()])
    pb = torch.cat([p.reshape(-1) for p in b.manager.actor.parameters()])
    assert not torch.equal(pa, pb)


def test_recorded_trace_shapes_and_subgoals():
    result = train_hiro(TINY, seed=0, record=True)
    trace = result.trace
    assert trace["positions"].shape == (2, 2, 51, 2)
    assert trace["subgoals"].shape == (2, 2, 10, 2)
    # each subgoal lies within goal_high of the position where it was set
    offset = trace["subgoals"] - trace["positions"][:, :, :-1:5]
    assert offset.abs().max() <= TINY.goal_high + 1e-6


@pytest.mark.parametrize(("field", "value", "error", "match"), [
    ("c", 0, ValueError, "c must be"),
    ("max_steps", 52, ValueError, "multiple of c"),
    ("env_steps", 50, ValueError, "env_steps must be"),
    ("goal_high", 0.0, ValueError, "goal_high"),
    ("reward_type", "exp", ValueError, "reward_type"),
    ("train_goals", "random", ValueError, "train_goals"),
    ("env", "AntMaze_UMaze-v4", ValueError, "env"),
    ("td3", {}, TypeError, "td3 must be"),
    ("n_learners", 1.5, TypeError, "n_learners"),
])
def test_bad_config(field, value, error, match):
    with pytest.raises(error, match=match):
        dataclasses.replace(TINY, **{field: value})


def test_hiro_and_flat_td3_learn_in_the_ant_maze():
    """env AntMaze_UMaze-v5: networks sized by the ant's 31 observed numbers and 8 actions,
    runs repeat under a seed, subgoals stay within goal_high of where they were set, and
    evaluation scores the ant's distance to the far end of the U (4 x GOAL_XY)."""
    ant = dataclasses.replace(TINY, env="AntMaze_UMaze-v5", goal_high=2.0, env_steps=100,
                              eval_every=100, n_eval=1)
    result = train_hiro(ant, seed=0, record=True)
    assert result.agent.worker.actor(torch.zeros(2, 1, 33)).shape == (2, 1, 8)
    assert result.agent.manager.actor(torch.zeros(2, 1, 31)).shape == (2, 1, 2)
    again = train_hiro(ant, seed=0, record=True)
    assert np.array_equal(result.distance, again.distance)
    outcome, trace = _evaluate_hiro(result.agent, ant, torch_stream(0, "evaluate"), record=True)
    positions = trace["positions"]  # (learner, episode, step, xy)
    start = 4.0 * torch.tensor(START_XY)
    assert (positions[:, :, 0] - start).abs().max() <= 1.0  # the env's noise: 0.25 cells
    far_end = torch.tensor([-4.0, 4.0])  # cell (1, 1) in cells of side 4
    torch.testing.assert_close(outcome[:, 1], (positions[:, :, -1] - far_end).norm(dim=-1).mean(1))
    assert (outcome[:, 0] == ((positions[:, :, -1] - far_end).norm(dim=-1) <= 0.45).float()
            .mean(1)).all()
    offset = trace["subgoals"] - positions[:, :, :-1:5]
    assert offset.abs().max() <= ant.goal_high + 1e-5
    flat = train_flat(ant, seed=0)
    assert flat.manager.actor(torch.zeros(2, 1, 31)).shape == (2, 1, 8)
    with pytest.raises(ValueError, match="point maze"):
        rollout_gymnasium(result.agent, None, 0, seed=0)


def test_bad_correction_flag():
    with pytest.raises(TypeError, match="correction must be a bool"):
        train_hiro(TINY, seed=0, correction=1)


def test_real_env_rollout_follows_the_torch_maze_in_free_space():
    """The trained policy driven through PointMaze_UMaze-v3 and through the torch maze from
    the same start: identical paths while the ball is away from walls (first 15 steps)."""
    import gymnasium
    import gymnasium_robotics

    from chapter_code.hiro.correction import goal_transition
    from chapter_code.hiro.pointmaze import PointMaze

    gymnasium.register_envs(gymnasium_robotics)
    result = train_hiro(TINY, seed=0)
    agent = result.agent
    env = gymnasium.make("PointMaze_UMaze-v3", continuing_task=False)
    real = rollout_gymnasium(agent, env, 1, seed=4)
    assert real.shape == (TINY.max_steps + 1, 2)
    assert np.array_equal(real, rollout_gymnasium(agent, env, 1, seed=4))
    maze = PointMaze(1)
    maze.reset(torch_stream(0, "r"))
    maze.position = torch.tensor(real[:1], dtype=torch.float32)
    obs = maze.obs
    goal = torch.zeros(1, 2)
    path = [obs[0, :2].clone()]
    for t in range(15):
        if t % TINY.c == 0:
            goal = agent.propose(obs.expand(2, 1, 6))[1]
        new = maze.step(agent.act(obs.expand(2, 1, 6), goal.expand(2, 1, 2))[1])[0]
        goal = goal_transition(obs[:, :2], goal, new[:, :2])
        obs = new
        path.append(obs[0, :2].clone())
    np.testing.assert_allclose(torch.stack(path).numpy(), real[:16], atol=1e-4)
    assert np.abs(real[15] - real[0]).max() > 0.02  # the ball did move
    with pytest.raises(ValueError, match="learner must be"):
        rollout_gymnasium(agent, env, 2, seed=0)
