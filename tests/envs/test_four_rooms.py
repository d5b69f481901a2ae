"""The four-rooms model: layout, dynamics, rewards, and its Gymnasium face."""

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from chapter_code.envs import FourRoomsEnv, four_rooms, room_names, value_iteration
from chapter_code.envs.four_rooms import (
    DOWN,
    ENV_ID,
    G1,
    HALLWAY_CELLS,
    LAYOUT,
    LEFT,
    RIGHT,
    UP,
)


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


def _rooms_by_flood_fill():
    """Each free cell's room, found from the map alone: flood-fill the free cells with the
    hallways walled off, and name each component by the corner cell it holds."""
    free = {(r, c) for r, line in enumerate(LAYOUT) for c, ch in enumerate(line) if ch == " "}
    free -= set(HALLWAY_CELLS)
    corners = {(1, 1): "NW", (1, 11): "NE", (11, 1): "SW", (11, 11): "SE"}
    room = {}
    for corner, name in corners.items():
        frontier = [corner]
        while frontier:
            cell = frontier.pop()
            if cell in free and cell not in room:
                room[cell] = name
                r, c = cell
                frontier += [(r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)]
    assert set(room) == free  # the four corners reach every room cell
    return room


@pytest.mark.unit
def test_room_names_match_a_flood_fill_of_the_map():
    mdp = four_rooms(None)
    room = _rooms_by_flood_fill()
    for s, cell in enumerate(map(tuple, mdp.cells.tolist())):
        assert room_names(mdp, [s]) == ({room[cell]} if cell in room else set())
    assert room_names(mdp, range(mdp.n_states)) == {"NW", "NE", "SW", "SE"}
    assert room_names(mdp, set(mdp.hallways.tolist())) == set()
    west = {mdp.index[(1, 1)], mdp.index[(3, 6)], np.int64(mdp.index[(11, 5)])}
    assert room_names(mdp, west) == {"NW", "SW"}  # the hallway (3, 6) adds nothing
    assert room_names(mdp, []) == set()


@pytest.mark.unit
@pytest.mark.parametrize(("states", "error", "match"), [
    ("0", TypeError, "states must be an iterable"),
    (3, TypeError, "states must be an iterable"),
    ([1.0], TypeError, "states must hold integers"),
    ([True], TypeError, "states must hold integers"),
    ([104], ValueError, r"states must lie in \[0, 104\), got 104"),
    ([0, -1], ValueError, "states must lie in"),
])
def test_room_names_rejects_bad_states(states, error, match):
    with pytest.raises(error, match=match):
        room_names(four_rooms(None), states)
    with pytest.raises(TypeError, match="mdp must be a FourRooms"):
        room_names(None, [0])


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
