"""The network version of h-DQN: the batched MLP against per-seed layers, the DQN loss by hand,
seeds kept apart, determinism, bad input, and learning the optimum that DP gives."""

import numpy as np
import pytest
import torch

from chapter_code.feudal.hdqn import (
    BatchedMLP,
    dqn_loss,
    greedy_hdqn_return,
    train_hdqn_network,
)
from chapter_code.feudal.sdp import LEFT, RIGHT, optimal_return
from chapter_code.seeding import torch_stream


@pytest.mark.unit
def test_batched_mlp_is_one_mlp_per_seed():
    net = BatchedMLP(3, 4, 5, 2, torch_stream(0, "net"))
    x = torch.randn((3, 7, 4), generator=torch_stream(0, "x"))
    out = net(x)
    for i in range(3):
        hidden = torch.relu(x[i] @ net.W1[i] + net.b1[i])
        torch.testing.assert_close(out[i], hidden @ net.W2[i] + net.b2[i])
    out[1].sum().backward()  # seed 1's output depends on seed 1's weights only
    assert net.W1.grad[0].abs().sum() == 0 and net.W1.grad[2].abs().sum() == 0
    assert net.W1.grad[1].abs().sum() > 0


@pytest.mark.unit
def test_dqn_loss_by_hand():
    q = torch.tensor([[1.0, 2.0], [0.5, 0.0]])
    r = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    q_next = torch.tensor([[2.0, 3.0], [1.0, 4.0]])
    ends = torch.tensor([[False, True], [False, True]])
    gamma = 0.5
    # seed 0: targets 1 + 0.5·2 = 2 and 0 -> errors 1, -2; seed 1: targets 0.5 and 1 -> 0, 1
    expected = (1 + 4) / 2 + (0 + 1) / 2
    assert dqn_loss(q, r, q_next, ends, gamma).item() == pytest.approx(expected)


@pytest.mark.determinism
def test_network_run_is_deterministic():
    torch.set_num_threads(1)
    a = train_hdqn_network(n_seeds=2, n_steps=150, seed=3, batch=8)
    b = train_hdqn_network(n_seeds=2, n_steps=150, seed=3, batch=8)
    np.testing.assert_array_equal(a.Q1, b.Q1)
    np.testing.assert_array_equal(a.returns, b.returns)
    assert a.Q1.shape == (2, 6, 6, 2) and a.Q2.shape == (2, 6, 6)


@pytest.mark.unit
def test_network_bad_input():
    with pytest.raises(ValueError, match="lr"):
        train_hdqn_network(n_seeds=1, n_steps=10, seed=0, lr=0.0)
    with pytest.raises(TypeError, match="n_steps"):
        train_hdqn_network(n_seeds=1, n_steps=1.5, seed=0)
    with pytest.raises(ValueError, match="gamma"):
        train_hdqn_network(n_seeds=1, n_steps=10, seed=0, gamma=1.5)


@pytest.mark.learns
def test_network_hdqn_learns_the_optimum():
    """Three seeds, 12,000 steps (ε annealed over 6,000): every greedy two-level policy earns
    the DP optimum 0.208 exactly, its controller heading right for s6 and left for s1."""
    torch.set_num_threads(1)
    result = train_hdqn_network(n_seeds=3, n_steps=12_000, seed=0, lr=0.001,
                                anneal_steps=6_000)
    np.testing.assert_allclose(greedy_hdqn_return(result.as_tables()), optimal_return(),
                               atol=1e-9)
    controller = result.Q1.argmax(axis=3)
    assert (controller[:, 1:5, 5] == RIGHT).all() and (controller[:, 5, 0] == LEFT).all()
    assert (result.episodes > 3000).all()
