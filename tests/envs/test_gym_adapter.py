"""The Gymnasium adapter: exact models of FrozenLake and Taxi, checked against their simulators."""

import gymnasium as gym
import numpy as np
import pytest

from chapter_code.envs import from_gymnasium, value_iteration


@pytest.mark.unit
def test_frozenlake_model_matches_simulator_frequencies():
    env = gym.make("FrozenLake-v1", map_name="4x4", is_slippery=True)
    mdp = from_gymnasium(env, gamma=0.95)
    assert (mdp.n_states, mdp.n_actions) == (16, 4)
    # holes (5, 7, 11, 12) and the goal (15) are terminal
    np.testing.assert_array_equal(np.flatnonzero(mdp.terminal), [5, 7, 11, 12, 15])
    env.reset(seed=0)
    counts = np.zeros(16)
    n = 3000
    for _ in range(n):
        env.unwrapped.s = 6
        s_next, *_ = env.step(1)
        counts[s_next] += 1
    np.testing.assert_allclose(counts / n, mdp.P[6, 1], atol=0.04)


@pytest.mark.unit
def test_frozenlake_optimal_success_probability():
    """With γ = 1 and reward 1 at the goal, V*(start) is the best success probability: the
    well-known optimum for 4x4 slippery FrozenLake is about 0.824."""
    mdp = from_gymnasium(gym.make("FrozenLake-v1", is_slippery=True), gamma=1.0)
    V, _ = value_iteration(mdp, tol=1e-12)
    assert V[0] == pytest.approx(0.8236, abs=1e-3)


@pytest.mark.unit
def test_taxi_model_and_optimal_return():
    env = gym.make("Taxi-v4")
    mdp = from_gymnasium(env, gamma=1.0)
    # Taxi's drop-off states are also entered without termination elsewhere in its model, so
    # the adapter routes every successful drop-off to one extra absorbing state at index 500
    assert (mdp.n_states, mdp.n_actions) == (501, 6)
    np.testing.assert_array_equal(np.flatnonzero(mdp.terminal), [500])
    V, _ = value_iteration(mdp)
    # Undiscounted optimum: -1 per step plus +20 at delivery; from any start the shortest
    # delivery takes at most 20 moves (so V* >= 0) and at least 3 (pickup, move, drop-off).
    decoded = [tuple(env.unwrapped.decode(s)) for s in range(500)]
    starts = [s for s, (_, _, p, d) in enumerate(decoded) if p < 4 and p != d]
    assert V[starts].max() <= 20 - 3 and V[starts].min() >= 0
    # and the greedy policy realises V* in the simulator (deterministic env)
    rng = np.random.default_rng(0)
    for s0 in rng.choice(starts, size=20, replace=False):
        env.reset(seed=0)
        env.unwrapped.s = int(s0)
        s, total, done = int(s0), 0.0, False
        while not done:
            s, r, done, _, _ = env.step(int(np.argmax(mdp.q_from_v(V)[s])))
            total += r
        assert total == pytest.approx(V[s0])


@pytest.mark.unit
@pytest.mark.parametrize("env_id", ["FrozenLake-v1", "Taxi-v4"])
def test_transition_rewards_are_the_models_listed_rewards(env_id):
    """Every (s, a, s') the toy-text model lists pays its listed reward in ``R_transition``
    (FrozenLake: 1 only for the move that arrives at the goal, wherever it was aimed), and
    ``R`` is its expectation."""
    env = gym.make(env_id)
    mdp = from_gymnasium(env, gamma=0.9)
    n = len(env.unwrapped.P)
    for s in range(n):
        if mdp.terminal[s]:
            continue
        for a, entries in env.unwrapped.P[s].items():
            expected = 0.0
            for prob, s_next, reward, done in entries:
                arrival = s_next if (mdp.terminal[s_next] or not done) else n
                assert mdp.R_transition[s, a, arrival] == reward
                expected += prob * reward
            assert mdp.R[s, a] == pytest.approx(expected, abs=1e-12)


@pytest.mark.unit
def test_adapter_rejects_envs_without_a_model():
    with pytest.raises(TypeError, match="unwrapped.P"):
        from_gymnasium(gym.make("CartPole-v1"))
