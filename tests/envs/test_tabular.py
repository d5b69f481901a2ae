"""TabularMDP: validation, exact planning against independent computations, the sampler."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chapter_code.envs import TabularMDP, corridor, policy_evaluation, value_iteration


def random_mdp(rng: np.random.Generator, S: int = 6, A: int = 3, gamma: float = 0.9) -> TabularMDP:
    P = rng.dirichlet(np.ones(S), size=(S, A))
    R = rng.normal(size=(S, A))
    terminal = np.zeros(S, dtype=bool)
    terminal[-1] = True
    return TabularMDP(P=P, R=R, gamma=gamma, terminal=terminal)


@pytest.mark.unit
def test_value_iteration_matches_policy_evaluation_of_greedy_policy():
    mdp = random_mdp(np.random.default_rng(0))
    V, Q = value_iteration(mdp)
    V_greedy = policy_evaluation(mdp, Q.argmax(axis=1))
    np.testing.assert_allclose(V, V_greedy, atol=1e-8)


@pytest.mark.unit
def test_value_iteration_beats_every_deterministic_policy():
    """Exhaustive check on a small MDP: V* is the maximum over all A^S policies."""
    mdp = random_mdp(np.random.default_rng(1), S=4, A=2)
    V, _ = value_iteration(mdp)
    best = np.full(mdp.n_states, -np.inf)
    for code in range(2**4):
        policy = np.array([(code >> s) & 1 for s in range(4)])
        best = np.maximum(best, policy_evaluation(mdp, policy))
    np.testing.assert_allclose(V, best, atol=1e-8)


@pytest.mark.unit
def test_corridor_closed_form():
    """Deterministic corridor: V*(s) = γ^(goal - s - 1) for every non-goal cell."""
    mdp = corridor(10, gamma=0.9)
    V, _ = value_iteration(mdp)
    s = np.arange(9)
    np.testing.assert_allclose(V[:9], 0.9 ** (9 - s - 1))
    assert V[9] == 0.0


@pytest.mark.unit
def test_policy_evaluation_random_policy_matches_iteration():
    mdp = random_mdp(np.random.default_rng(2))
    pi = np.random.default_rng(3).dirichlet(np.ones(mdp.n_actions), size=mdp.n_states)
    V = np.zeros(mdp.n_states)
    for _ in range(2000):
        V = (pi * mdp.q_from_v(V)).sum(axis=1)
    np.testing.assert_allclose(policy_evaluation(mdp, pi), V, atol=1e-10)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), gamma=st.floats(0.0, 0.99))
def test_bellman_optimality_backup_is_a_gamma_contraction(seed, gamma):
    rng = np.random.default_rng(seed)
    mdp = random_mdp(rng, gamma=gamma)
    U, W = rng.normal(size=(2, mdp.n_states)) * 5
    gap = np.abs(mdp.q_from_v(U).max(1) - mdp.q_from_v(W).max(1)).max()
    assert gap <= gamma * np.abs(U - W)[~mdp.terminal].max() + 1e-12


@pytest.mark.unit
def test_sampler_frequencies_match_P():
    mdp = random_mdp(np.random.default_rng(4), S=5, A=2)
    rng = np.random.default_rng(5)
    n = 200_000
    s_next, r, term = mdp.step(np.full(n, 1), np.full(n, 0), rng)
    freq = np.bincount(s_next, minlength=mdp.n_states) / n
    np.testing.assert_allclose(freq, mdp.P[1, 0], atol=4 / np.sqrt(n))
    assert np.all(r == mdp.R[1, 0])
    np.testing.assert_array_equal(term, mdp.terminal[s_next])


@pytest.mark.determinism
def test_sampler_is_deterministic_given_seed():
    mdp = random_mdp(np.random.default_rng(6))
    states = np.arange(mdp.n_states).repeat(10)
    actions = np.tile(np.arange(mdp.n_actions), 20)[: states.size]
    a = mdp.step(states, actions, np.random.default_rng(7))[0]
    b = mdp.step(states, actions, np.random.default_rng(7))[0]
    np.testing.assert_array_equal(a, b)


@pytest.mark.unit
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"P": np.ones((3, 2, 3))}, r"P\[0, 0, :\] sums to 3"),
        ({"P": np.ones((3, 2))}, "P must have shape"),
        ({"R": np.zeros((3, 3))}, "R must have shape"),
        ({"gamma": 1.5}, "gamma must lie in"),
        ({"terminal": np.zeros(3)}, "terminal must be a bool array"),
    ],
)
def test_bad_models_are_rejected(change, message):
    good = {"P": np.full((3, 2, 3), 1 / 3), "R": np.zeros((3, 2)), "gamma": 0.9,
            "terminal": np.zeros(3, dtype=bool)}
    with pytest.raises(ValueError, match=message):
        TabularMDP(**{**good, **change})


@pytest.mark.unit
def test_model_arrays_are_read_only():
    mdp = corridor(4)
    with pytest.raises(ValueError):
        mdp.P[0, 0, 0] = 0.5


@pytest.mark.unit
def test_policy_evaluation_rejects_bad_policies():
    mdp = corridor(4)
    with pytest.raises(ValueError, match="policy"):
        policy_evaluation(mdp, np.full((4, 2), 0.7))
    with pytest.raises(ValueError, match="policy actions"):
        policy_evaluation(mdp, np.array([0, 1, 2, 0]))


@pytest.mark.unit
def test_corridor_rejects_bad_arguments():
    with pytest.raises(ValueError, match="length"):
        corridor(1)
    with pytest.raises(TypeError, match="length"):
        corridor(3.5)
    with pytest.raises(ValueError, match="slip"):
        corridor(5, slip=1.0)
