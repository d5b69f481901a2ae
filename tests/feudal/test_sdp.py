"""The stochastic decision process of Kulkarni et al. (2016, §4.1): the sampler against its
definition, the Gymnasium face against the sampler, the optimum by DP against the gambler's-ruin
closed form, a linear solve and Monte-Carlo, and the exact two-level return against simulation."""

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from chapter_code.envs import policy_evaluation
from chapter_code.feudal.sdp import (
    LEFT,
    N_STATES,
    RIGHT,
    START,
    StochasticDecisionProcess,
    augmented_index,
    best_two_level_policy,
    goal_reaching_policy,
    history_augmented_mdp,
    optimal_return,
    optimal_values,
    sdp_step,
    two_level_return,
)
from chapter_code.seeding import stream


@pytest.mark.unit
def test_step_follows_the_definition():
    for s in range(1, N_STATES):
        for u in (0.0, 0.3, 0.7, 0.99):  # left ignores u: always one state left
            assert sdp_step(s, False, LEFT, u)[0] == s - 1
        assert sdp_step(s, False, RIGHT, 0.49)[0] == min(s + 1, 5)  # right succeeds below 1/2
        assert sdp_step(s, False, RIGHT, 0.5)[0] == s - 1  # and fails (moves left) above
    assert sdp_step(5, True, RIGHT, 0.1)[:2] == (5, True)  # no s7: stays in s6
    assert sdp_step(4, False, RIGHT, 0.1)[1]  # entering s6 sets the flag
    assert sdp_step(1, False, LEFT, 0.9) == (0, False, 0.01, True)
    assert sdp_step(1, True, LEFT, 0.9) == (0, True, 1.0, True)
    assert sdp_step(2, True, LEFT, 0.9) == (1, True, 0.0, False)


@pytest.mark.unit
def test_gymnasium_env_matches_the_sampler_on_the_same_draws():
    env = StochasticDecisionProcess()
    check_env(env, skip_render_check=True)
    env.reset(seed=0)
    env.np_random = stream(0, "env")
    mirror = stream(0, "env")
    actions = stream(0, "actions")
    s, visited = START, False
    for _ in range(500):
        a = int(actions.integers(2))
        obs, reward, terminated, truncated, info = env.step(a)
        u = mirror.random() if a == RIGHT else 1.0
        s, visited, r, done = sdp_step(s, visited, a, u)
        assert (obs, reward, terminated, truncated, info["visited"]) == (s, r, done, False,
                                                                         visited)
        if terminated:
            (s, info), visited = env.reset(), False
            assert s == START and not info["visited"]
    with pytest.raises(ValueError, match="action must be 0"):
        env.step(2)


@pytest.mark.unit
def test_optimum_matches_the_gamblers_ruin_closed_form():
    V, Q = optimal_values()
    # before s6: always right is a fair walk absorbed at s1 and s6, P(s6 first) = (s - 1) / 5
    h = np.arange(N_STATES) / 5.0
    live = slice(1, N_STATES - 1)  # (s6, not visited) cannot occur: entering s6 visits it
    np.testing.assert_allclose(V[0, live], h[live] + (1 - h[live]) * 0.01, atol=1e-12)
    np.testing.assert_allclose(V[1, 1:], 1.0, atol=1e-12)  # after s6 every ending pays 1
    assert optimal_return() == pytest.approx(0.2 + 0.8 * 0.01, abs=1e-12)
    assert (Q[0, 1:].argmax(axis=1) == RIGHT).all()


@pytest.mark.unit
def test_optimum_by_a_linear_solve_of_the_optimal_policy():
    mdp = history_augmented_mdp()
    policy = np.array([RIGHT if v == 0 else LEFT for v in (0, 1) for _ in range(N_STATES)])
    V = policy_evaluation(mdp, policy)
    assert V[augmented_index(START, False)] == pytest.approx(optimal_return(), abs=1e-8)


@pytest.mark.unit
def test_optimum_by_monte_carlo_of_the_optimal_policy():
    env = StochasticDecisionProcess()
    env.reset(seed=0)
    env.np_random = stream(0, "mc")
    n, returns = 20_000, []
    for _ in range(n):
        _, info = env.reset()
        G, terminated = 0.0, False
        while not terminated:
            _, r, terminated, _, info = env.step(LEFT if info["visited"] else RIGHT)
            G += r
        returns.append(G)
    se = np.std(returns) / np.sqrt(n)
    assert abs(np.mean(returns) - optimal_return()) < 4 * se


@pytest.mark.unit
def test_goal_reaching_policy_heads_for_the_goal():
    pi = goal_reaching_policy()
    for s in range(1, N_STATES):
        for g in range(N_STATES):
            if g > s:
                assert pi[s, g] == RIGHT
            elif g < s:
                assert pi[s, g] == LEFT


def _simulate_two_level(meta, controller, eps_meta, eps_controller, n, rng):
    """A plain simulation of the two-level policy with ε-greedy exploration at both levels."""
    total = 0.0
    for _ in range(n):
        s, visited, done = START, False, False
        while not done:
            g = int(rng.integers(6)) if rng.random() < eps_meta else int(meta[s])
            while True:
                a = int(rng.integers(2)) if rng.random() < eps_controller else controller[s, g]
                s, visited, r, done = sdp_step(s, visited, a, rng.random())
                total += r
                if done or s == g:
                    break
    return total / n


@pytest.mark.unit
def test_two_level_return_is_exact():
    controller = goal_reaching_policy()
    meta = np.array([0, 5, 5, 5, 5, 0])
    assert two_level_return(meta, controller) == pytest.approx(optimal_return(), abs=1e-12)
    flat_left = np.array([0, 0, 0, 0, 0, 0])  # goal s1 from s2: 0.01
    assert two_level_return(flat_left, controller) == pytest.approx(0.01, abs=1e-12)
    rng = stream(1, "two-level")
    for eps_m, eps_c in ((0.3, 0.2), (1.0, 1.0)):
        exact = float(two_level_return(meta, controller, epsilon_meta=eps_m,
                                       epsilon_controller=eps_c))
        mc = _simulate_two_level(meta, controller, eps_m, eps_c, 20_000, rng)
        assert abs(mc - exact) < 0.015, (eps_m, eps_c, mc, exact)  # ~4 standard errors
    batch = two_level_return(np.stack([meta, flat_left]), controller, epsilon_meta=0.1)
    assert batch.shape == (2,)
    assert batch[0] == pytest.approx(float(two_level_return(meta, controller,
                                                            epsilon_meta=0.1)))


@pytest.mark.unit
def test_best_two_level_policy():
    meta, controller, value = best_two_level_policy()
    assert value == pytest.approx(optimal_return(), abs=1e-12)
    assert meta[START] != 0  # any goal but s1 from s2, then s6, then s1: the paper's s4-s6
    assert two_level_return(meta, controller, epsilon_meta=0.1) < value
    _, _, explored = best_two_level_policy(epsilon_meta=0.1, epsilon_controller=0.1)
    hand = float(two_level_return(np.array([0, 5, 5, 5, 5, 0]), controller,
                                  epsilon_meta=0.1, epsilon_controller=0.1))
    assert hand <= explored + 1e-12 < optimal_return()


@pytest.mark.unit
def test_bad_input():
    controller = goal_reaching_policy()
    with pytest.raises(ValueError, match="meta"):
        two_level_return(np.array([0, 6, 5, 5, 5, 0]), controller)
    with pytest.raises(ValueError, match="meta"):
        two_level_return(np.array([0.0, 5, 5, 5, 5, 0]), controller)
    with pytest.raises(ValueError, match="controller"):
        two_level_return(np.array([0, 5, 5, 5, 5, 0]), controller[:5])
    with pytest.raises(ValueError, match="epsilon_meta"):
        two_level_return(np.array([0, 5, 5, 5, 5, 0]), controller, epsilon_meta=1.5)
    with pytest.raises(ValueError, match="gamma"):
        optimal_return(gamma=0.0)
    with pytest.raises(TypeError, match="chunk"):
        best_two_level_policy(chunk=1.5)
