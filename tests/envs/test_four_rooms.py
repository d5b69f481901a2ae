"""The four-rooms model: layout, dynamics, rewards, and its Gymnasium face."""

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from chapter_code.envs import FourRoomsEnv, four_rooms, value_iteration
from chapter_code.envs.four_rooms import DOWN, ENV_ID, G1, HALLWAY_CELLS, LEFT, RIGHT, UP


@pytest.mark.unit
def test_layout_has_104_cells_and_4_hallways():
    mdp = four_rooms()
    assert mdp.n_states == 104 and mdp.n_actions == 4
    assert [tuple(mdp.cells[h]) for h in mdp.hallways] == list(HALLWAY_CELLS)
    assert all(mdp.index[tuple(cell)] == s for s, cell in enumerate(mdp.cells.tolist()))
    assert mdp.goal is None and not mdp.terminal.any() and (mdp.R == 0).all()


@pytest.mark.unit
def test_moves_slip_and_walls():
    mdp = four_rooms(slip=1 / 3)
    corner = mdp.index[(1, 1)]
    # UP into the wall: stays put with prob 2/3 (intended) + 1/9 (slip LEFT, also a wall)
    assert mdp.P[corner, UP, corner] == pytest.approx(2 / 3 + 1 / 9)
    assert mdp.P[corner, UP, mdp.index[(2, 1)]] == pytest.approx(1 / 9)
    assert mdp.P[corner, UP, mdp.index[(1, 2)]] == pytest.approx(1 / 9)
    hallway = mdp.index[(3, 6)]
    assert mdp.P[hallway, RIGHT, mdp.index[(3, 7)]] == pytest.approx(2 / 3)
    assert mdp.P[hallway, RIGHT, hallway] == pytest.approx(2 / 9)  # slips UP/DOWN hit walls
    det = four_rooms(slip=0.0)
    assert det.P[hallway, LEFT, mdp.index[(3, 5)]] == 1.0
    assert det.P[hallway, DOWN, hallway] == 1.0


@pytest.mark.unit
def test_goal_reward_and_terminal():
    mdp = four_rooms(G1, slip=0.0, gamma=0.9)
    g = mdp.goal
    assert mdp.terminal[g] and mdp.terminal.sum() == 1
    above = mdp.index[(6, 9)]
    assert mdp.R[above, DOWN] == 1.0 and mdp.R[above, UP] == 0.0
    V, _ = value_iteration(mdp)
    # deterministic moves: V*(s) = γ^(d(s) - 1), d = shortest-path length to the goal
    d = mdp.distances(g)
    live = ~mdp.terminal
    np.testing.assert_allclose(V[live], 0.9 ** (d[live] - 1.0))
    stepped = four_rooms(G1, slip=0.0, step_reward=-1.0)
    assert stepped.R[above, DOWN] == 0.0 and stepped.R[above, UP] == -1.0


@pytest.mark.unit
@pytest.mark.parametrize(("kwargs", "error", "name"), [
    ({"goal": (0, 0)}, ValueError, "goal"),
    ({"goal": (6, 1)}, ValueError, "goal"),
    ({"goal": (20, 3)}, ValueError, "goal"),
    ({"goal": (1.0, 1)}, TypeError, "goal"),
    ({"goal": (1, 1, 1)}, TypeError, "goal"),
    ({"goal": "11"}, TypeError, "goal"),
    ({"slip": 1.5}, ValueError, "slip"),
    ({"gamma": -0.1}, ValueError, "gamma"),
])
def test_bad_arguments_name_themselves(kwargs, error, name):
    with pytest.raises(error, match=name):
        four_rooms(**kwargs)


@pytest.mark.unit
def test_goal_accepts_any_pair_of_integers_the_env_hands_out():
    mdp = four_rooms(None)
    hallway = mdp.cells[mdp.hallways[2]]  # a NumPy row
    for goal in (hallway, list(hallway), (int(hallway[0]), int(hallway[1]))):
        assert four_rooms(goal).goal == mdp.hallways[2]


@pytest.mark.unit
def test_gymnasium_env_passes_the_checker_and_matches_the_model():
    env = gymnasium.make(ENV_ID)
    check_env(env.unwrapped)
    obs, _ = env.reset(seed=0)
    assert env.observation_space.contains(obs)
    det = FourRoomsEnv(goal=G1, slip=0.0)
    det.reset(seed=1)
    det._state = det.mdp.index[(6, 9)]
    obs, reward, terminated, truncated, _ = det.step(DOWN)
    assert (obs, reward, terminated, truncated) == (det.mdp.goal, 1.0, True, False)


@pytest.mark.determinism
def test_gymnasium_env_same_seed_same_trajectory():
    def rollout(seed):
        env = gymnasium.make(ENV_ID)
        obs, _ = env.reset(seed=seed)
        trace = [obs]
        for t in range(50):
            obs, *_ = env.step(t % 4)
            trace.append(obs)
        return trace
    assert rollout(3) == rollout(3)
