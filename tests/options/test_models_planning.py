"""Option models and SMDP value iteration against independent computations."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chapter_code.envs import four_rooms, value_iteration
from chapter_code.envs.four_rooms import G1, G2, MOVES
from chapter_code.options import (
    Option,
    hallway_options,
    option_model,
    option_step_model,
    primitive_options,
    smdp_value_iteration,
)


def monte_carlo_model(mdp, option, state, n_runs, rng, beta):
    """Run the option ``n_runs`` times from ``state``, stopping with probability ``beta`` (S,);
    average the discounted reward and the discounted indicator of where it stopped (Sutton,
    Precup & Singh 1999, eqs. 6-7)."""
    s = np.full(n_runs, state)
    running = np.ones(n_runs, dtype=bool)
    discount = np.ones(n_runs)
    reward = np.zeros(n_runs)
    stopped = np.zeros((n_runs, mdp.n_states))
    actions = np.arange(mdp.n_actions)
    while running.any():
        idx = np.flatnonzero(running)
        a = np.array([rng.choice(actions, p=option.policy[x]) for x in s[idx]])
        s_next, r, terminated = mdp.step(s[idx], a, rng)
        reward[idx] += discount[idx] * r
        discount[idx] *= mdp.gamma
        stop = terminated | (rng.random(idx.size) < beta[s_next])
        stopped[idx[stop], s_next[stop]] = discount[idx[stop]]
        s[idx] = s_next
        running[idx[stop]] = False
    return reward.mean(), stopped.mean(axis=0)


def iterated_model(mdp, option, tol=1e-14):
    """The absorbing-chain recursion r <- R_π + γ P_π (1 - β) r, iterated to convergence."""
    R_pi, P_pi, beta = option_step_model(mdp, option)
    r = np.zeros(mdp.n_states)
    p = np.zeros((mdp.n_states, mdp.n_states))
    change = np.inf
    while change > tol:
        r_new = R_pi + mdp.gamma * P_pi @ ((1 - beta) * r)
        p_new = mdp.gamma * P_pi * beta + mdp.gamma * P_pi @ ((1 - beta)[:, None] * p)
        change = max(np.abs(r_new - r).max(), np.abs(p_new - p).max())
        r, p = r_new, p_new
    starts = option.initiation & ~mdp.terminal
    return np.where(starts, r, 0.0), np.where(starts[:, None], p, 0.0)


@pytest.mark.unit
def test_option_model_equals_iterated_recursion():
    mdp = four_rooms(G1)
    for option in hallway_options(mdp):
        r, p = option_model(mdp, option)
        r_it, p_it = iterated_model(mdp, option)
        np.testing.assert_allclose(r, r_it, atol=1e-12)
        np.testing.assert_allclose(p, p_it, atol=1e-12)


@pytest.mark.unit
def test_option_model_equals_monte_carlo():
    mdp = four_rooms(G1)
    options = {o.name: o for o in hallway_options(mdp)}
    rng = np.random.default_rng(0)
    for name, cell in [("NE->(7, 9)", (1, 11)), ("NE->(7, 9)", (3, 6)), ("NW->(3, 6)", (5, 5))]:
        option, state = options[name], mdp.index[cell]
        room = name.split("->")[0]
        beta = np.array([0.0 if in_room(tuple(c), room) else 1.0 for c in mdp.cells.tolist()])
        r, p = option_model(mdp, option)
        r_mc, p_mc = monte_carlo_model(mdp, option, state, 4000, rng, beta)
        assert r[state] == pytest.approx(r_mc, abs=0.01)
        np.testing.assert_allclose(p[state], p_mc, atol=0.015)


@pytest.mark.unit
def test_option_model_of_a_primitive_is_one_step():
    mdp = four_rooms(G2)
    for a, option in enumerate(primitive_options(mdp)):
        r, p = option_model(mdp, option)
        live = ~mdp.terminal
        np.testing.assert_allclose(r[live], mdp.R[live, a])
        np.testing.assert_allclose(p[live], mdp.gamma * mdp.P[live, a])
        assert (p[~live] == 0).all()


@pytest.mark.unit
@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), gamma=st.floats(0.0, 0.99))
def test_model_rows_sum_to_at_most_gamma(seed, gamma):
    """Any Markov option: p(s, ·) is a sub-probability scaled by at most γ, and r stays in
    [0, 1] when rewards do (one +1 at most)."""
    mdp = four_rooms(G2, gamma=gamma)
    rng = np.random.default_rng(seed)
    policy = rng.dirichlet(np.ones(4), size=mdp.n_states)
    option = Option("random", rng.random(mdp.n_states) < 0.7, policy,
                    rng.random(mdp.n_states))
    r, p = option_model(mdp, option)
    assert (p >= -1e-12).all() and (p.sum(axis=1) <= gamma + 1e-12).all()
    assert (r >= -1e-12).all() and (r <= 1 + 1e-12).all()


@pytest.mark.unit
@pytest.mark.parametrize("goal", [G1, G2])
@pytest.mark.parametrize("slip", [0.0, 1 / 3])
def test_smdp_vi_over_primitives_is_value_iteration(goal, slip):
    mdp = four_rooms(goal, slip=slip)
    V_star, Q_star = value_iteration(mdp)
    V, Q = smdp_value_iteration(mdp, primitive_options(mdp))
    np.testing.assert_allclose(V, V_star, atol=1e-9)
    live = ~mdp.terminal
    np.testing.assert_allclose(Q[live], Q_star[live], atol=1e-9)
    assert np.isneginf(Q[~live]).all()


@pytest.mark.unit
@pytest.mark.parametrize("goal", [G1, G2])
def test_smdp_vi_with_hallway_options_converges_to_v_star(goal):
    mdp = four_rooms(goal)
    V_star, _ = value_iteration(mdp)
    V, Q = smdp_value_iteration(mdp, [*primitive_options(mdp), *hallway_options(mdp)])
    np.testing.assert_allclose(V, V_star, atol=1e-8)
    assert np.isneginf(Q[:, 4:][~np.stack([o.initiation for o in hallway_options(mdp)]).T]).all()


@pytest.mark.unit
def test_hallway_options_plan_in_two_sweeps_primitives_in_one_cell_per_sweep():
    """Sutton, Precup & Singh (1999), Fig. 5: with hallway options and deterministic moves
    every state has its final value after 2 sweeps; primitives reach distance k in k sweeps."""
    mdp = four_rooms(G1, slip=0.0)
    H = hallway_options(mdp)
    V_final, _ = smdp_value_iteration(mdp, H)
    V2, _ = smdp_value_iteration(mdp, H, iterations=2)
    np.testing.assert_allclose(V2, V_final, atol=1e-12)
    d = mdp.distances(mdp.goal)
    for k in (1, 2, 3):
        Vk, Qk = smdp_value_iteration(mdp, primitive_options(mdp), iterations=k)
        np.testing.assert_array_equal(Vk > 0, (d >= 1) & (d <= k))
        np.testing.assert_allclose(Vk, Qk.max(axis=1, initial=0.0, where=np.isfinite(Qk)))


# the rooms' interiors as (row range, column range) boxes of the 13 x 13 map, read off the map
ROOM_BOXES = {"NW": ((1, 5), (1, 5)), "NE": ((1, 6), (7, 11)),
              "SW": ((7, 11), (1, 5)), "SE": ((8, 11), (7, 11))}
ROOM_DOORS = {"NW": ((3, 6), (6, 2)), "NE": ((3, 6), (7, 9)),
              "SW": ((6, 2), (10, 6)), "SE": ((7, 9), (10, 6))}


def in_room(cell, room):
    (r0, r1), (c0, c1) = ROOM_BOXES[room]
    return r0 <= cell[0] <= r1 and c0 <= cell[1] <= c1


def stumble_probability(mdp, policy, target, other, room):
    """Probability of entering ``other`` before ``target`` from each state under the
    deterministic ``policy`` (S,) in the slippery grid: an absorbing-chain linear solve."""
    inside = np.array([in_room(tuple(c), room) for c in mdp.cells])
    idx = np.flatnonzero(inside)
    P = mdp.P[idx, policy[idx]]  # (n, S)
    h = np.linalg.solve(np.eye(idx.size) - P[:, idx], P[:, other])
    out = np.zeros(mdp.n_states)
    out[idx] = h
    out[other] = 1.0
    return out


@pytest.mark.unit
def test_hallway_options_follow_the_papers_definition():
    """Sutton, Precup & Singh (1999, §3.1): I = the room plus its non-target hallway; β = 0 in
    the room and 1 outside it, both hallways included; π a shortest path within the room
    (Manhattan distance: each room is a rectangle with the hallway next to its wall)."""
    mdp = four_rooms(None)
    options = {o.name: o for o in hallway_options(mdp)}
    assert len(options) == 8
    for room, doors in ROOM_DOORS.items():
        for k, target_cell in enumerate(doors):
            option = options[f"{room}->{target_cell}"]
            other_cell = doors[1 - k]
            for s, cell in enumerate(map(tuple, mdp.cells.tolist())):
                inside = in_room(cell, room)
                assert option.termination[s] == (0.0 if inside else 1.0), (option.name, cell)
                assert option.initiation[s] == (inside or cell == other_cell), (option.name, cell)
                if option.initiation[s]:
                    a = int(option.policy[s].argmax())
                    assert option.policy[s, a] == 1.0
                    r, c = cell[0] + MOVES[a][0], cell[1] + MOVES[a][1]
                    before = abs(cell[0] - target_cell[0]) + abs(cell[1] - target_cell[1])
                    after = abs(r - target_cell[0]) + abs(c - target_cell[1])
                    assert after == before - 1 and ((r, c) == target_cell
                                                    or in_room((r, c), room)), (option.name, cell)


@pytest.mark.unit
def test_hallway_policies_minimise_stumbling_into_the_other_hallway():
    """Among shortest-path actions, every single-state change of the chosen action raises the
    probability of entering the other hallway before the target (the optimality condition of
    this stochastic shortest-path problem, strictly: the paper's rule leaves no ties here),
    each checked by an exact linear solve."""
    mdp = four_rooms(None)
    options = {o.name: o for o in hallway_options(mdp)}
    for room, doors in ROOM_DOORS.items():
        for k, target_cell in enumerate(doors):
            option = options[f"{room}->{target_cell}"]
            target, other = mdp.index[target_cell], mdp.index[doors[1 - k]]
            policy = option.policy.argmax(axis=1)
            h = stumble_probability(mdp, policy, target, other, room)
            inside = option.termination == 0
            assert 0 < h[inside].max() < 0.5  # slips can stumble, the policy makes it rare
            for s in np.flatnonzero(option.termination == 0):
                cell = tuple(mdp.cells[s])
                d = abs(cell[0] - target_cell[0]) + abs(cell[1] - target_cell[1])
                for a, (dr, dc) in enumerate(MOVES):
                    nxt = (cell[0] + dr, cell[1] + dc)
                    if a == policy[s] or abs(nxt[0] - target_cell[0]) + abs(
                            nxt[1] - target_cell[1]) != d - 1 or not (
                            nxt == target_cell or in_room(nxt, room)):
                        continue
                    changed = policy.copy()
                    changed[s] = a
                    h_changed = stumble_probability(mdp, changed, target, other, room)
                    assert h_changed[s] > h[s] + 1e-12, (option.name, cell, a)  # unique


@pytest.mark.unit
def test_hallway_options_do_not_depend_on_the_goal():
    plain = hallway_options(four_rooms(None))
    for goal in (G1, G2):
        for a, b in zip(plain, hallway_options(four_rooms(goal)), strict=True):
            np.testing.assert_array_equal(a.policy, b.policy)
            np.testing.assert_array_equal(a.termination, b.termination)


@pytest.mark.unit
def test_hallway_option_reaches_its_target_in_d_steps_without_slips():
    mdp = four_rooms(None, slip=0.0)
    for option in hallway_options(mdp):
        target_cell = tuple(int(x) for x in option.name.split("->")[1].strip("()").split(", "))
        _, p = option_model(mdp, option)
        starts = np.flatnonzero(option.initiation)
        d = np.abs(mdp.cells[starts] - np.array(target_cell)).sum(axis=1)
        np.testing.assert_allclose(p[starts, mdp.index[target_cell]], mdp.gamma ** d)


@pytest.mark.unit
def test_boundary_values_stay_fixed_and_primitive_planning_is_v_star_times_gamma():
    """The paper's planning set-up (goal-free models, V(G) = 1 held fixed) gives, with the
    primitives, γ times our arrival-reward V*: the goal pays its +1 one step later."""
    grid, mdp = four_rooms(None), four_rooms(G1)
    goal = grid.index[G1]
    V_paper, _ = smdp_value_iteration(grid, primitive_options(grid), boundary={goal: 1.0})
    V_star, _ = value_iteration(mdp)
    live = ~mdp.terminal
    assert V_paper[goal] == 1.0
    np.testing.assert_allclose(V_paper[live], mdp.gamma * V_star[live], atol=1e-9)
    V1, _ = smdp_value_iteration(grid, primitive_options(grid), 1, boundary={goal: 1.0})
    assert V1[goal] == 1.0 and (V1 > 0).sum() == 3  # the goal and its two neighbours
    with pytest.raises(ValueError, match="boundary"):
        smdp_value_iteration(grid, primitive_options(grid), boundary={grid.n_states: 1.0})


@pytest.mark.unit
@pytest.mark.parametrize(("policy_row", "beta", "message"), [
    ([0.5, 0.6, 0.0, 0.0], 1.0, "policy rows"),
    ([1.0, 0.0, 0.0, 0.0], -0.5, "termination"),
    ([1.0, 0.0, 0.0, 0.0], np.nan, "termination"),
])
def test_bad_options_are_rejected(policy_row, beta, message):
    with pytest.raises(ValueError, match=message):
        Option("bad", np.ones(104, dtype=bool), np.tile(policy_row, (104, 1)),
               np.full(104, beta))


@pytest.mark.unit
def test_bad_planning_arguments():
    mdp = four_rooms(G1)
    with pytest.raises(ValueError, match="iterations"):
        smdp_value_iteration(mdp, primitive_options(mdp), iterations=0)
    with pytest.raises(ValueError, match="tol"):
        smdp_value_iteration(mdp, primitive_options(mdp), tol=0.0)
    with pytest.raises(ValueError, match="cover every non-terminal state"):
        smdp_value_iteration(mdp, hallway_options(mdp)[:2])
    with pytest.raises(TypeError, match="mdp"):
        hallway_options(mdp.P)
    with pytest.raises(ValueError, match="policy shape"):
        option_model(mdp, Option("small", np.ones(3, dtype=bool), np.eye(3), np.ones(3)))
