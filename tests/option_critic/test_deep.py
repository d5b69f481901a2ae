"""The shared-encoder option-critic: its three losses have the gradients of the tabular updates
(Algorithm 1), its network's heads are probabilities, it is deterministic per seed, and it
refuses bad input."""

import gymnasium
import numpy as np
import pytest
import torch

from chapter_code.option_critic import intra_option_policy_step, termination_gradient_step
from chapter_code.option_critic.deep import (
    OptionCriticNetwork,
    critic_loss,
    deep_option_critic,
    intra_option_policy_loss,
    termination_loss,
)
from chapter_code.options import intra_option_q_update
from chapter_code.seeding import stream, torch_stream


@pytest.mark.unit
def test_termination_loss_gradient_is_the_tabular_termination_step():
    """For β = σ(ϑ), one SGD step of rate α on the termination loss is
    termination_gradient_step: ϑ - α β(1-β) (Q_Ω(s', ω) - V_Ω(s') + ξ)."""
    rng = stream(0, "termination")
    for _ in range(20):
        logit, q, v = rng.normal(size=3)
        xi, lr = rng.uniform(0, 0.1), rng.uniform(0.01, 1)
        vt = torch.tensor([logit], dtype=torch.float64, requires_grad=True)
        termination_loss(torch.sigmoid(vt), torch.tensor([q - v], dtype=torch.float64), xi,
                         torch.ones(1, dtype=torch.float64)).backward()
        expected = termination_gradient_step(logit, q, v, xi, lr)
        assert logit - lr * vt.grad.item() == pytest.approx(expected, abs=1e-12)


@pytest.mark.unit
def test_termination_loss_ignores_terminal_next_states():
    vt = torch.zeros(2, requires_grad=True)
    termination_loss(torch.sigmoid(vt), torch.tensor([-1.0, -1.0]), 0.0,
                     torch.tensor([1.0, 0.0])).backward()
    assert vt.grad[0] != 0 and vt.grad[1] == 0


@pytest.mark.unit
def test_policy_loss_gradient_is_the_tabular_intra_option_step():
    """Without entropy, one SGD step of rate α on the policy loss for one transition is
    intra_option_policy_step at temperature 1: θ + α (Q_U - b)(e_a - π)."""
    rng = stream(0, "policy")
    for _ in range(20):
        theta = rng.normal(size=4)
        a, q_u, b, lr = int(rng.integers(4)), rng.normal(), rng.normal(), rng.uniform(0, 1)
        logits = torch.tensor(theta[None], requires_grad=True)
        intra_option_policy_loss(logits, torch.tensor([a]), torch.tensor([q_u - b],
                                 dtype=torch.float64), 0.0).backward()
        expected = intra_option_policy_step(theta, a, q_u, b, lr, 1.0)
        np.testing.assert_allclose(theta - lr * logits.grad[0].numpy(), expected, atol=1e-12)


@pytest.mark.unit
def test_entropy_bonus_pushes_towards_uniform():
    logits = torch.tensor([[2.0, 0.0, 0.0]], requires_grad=True)
    intra_option_policy_loss(logits, torch.tensor([0]), torch.zeros(1), 1.0).backward()
    assert logits.grad[0, 0] > 0  # descending lowers the dominant logit


@pytest.mark.unit
def test_critic_loss_gradient_is_the_td_step():
    """One SGD step of rate α on ½ (Q - g)² with g = r + γ U is the intra-option TD update."""
    q = torch.tensor([0.3], dtype=torch.float64, requires_grad=True)
    r, gamma, U, alpha = 1.0, 0.9, -0.4, 0.25
    critic_loss(q, torch.tensor([r + gamma * U], dtype=torch.float64)).backward()
    assert 0.3 - alpha * q.grad.item() == pytest.approx(
        intra_option_q_update(0.3, r, gamma, U, alpha, 1.0), abs=1e-12)


@pytest.mark.unit
def test_network_heads():
    net = OptionCriticNetwork(4, 2, 3, 16, torch_stream(0, "net"))
    q, beta, logits = net(torch.zeros(5, 4))
    assert q.shape == (5, 3) and beta.shape == (5, 3) and logits.shape == (5, 3, 2)
    assert ((beta > 0) & (beta < 1)).all()
    same = OptionCriticNetwork(4, 2, 3, 16, torch_stream(0, "net"))
    pairs = zip(net.parameters(), same.parameters(), strict=True)
    assert all(torch.equal(p, p2) for p, p2 in pairs)


def tiny_run(seed):
    torch.set_num_threads(1)
    return deep_option_critic(lambda: gymnasium.make("CartPole-v1"), n_options=2, n_updates=40,
                              n_envs=2, hidden=8, seed=stream(seed, "deep"),
                              generator=torch_stream(seed, "weights"))


@pytest.mark.determinism
def test_same_seed_same_run():
    first, second, other = tiny_run(1), tiny_run(1), tiny_run(2)
    assert first.episode_returns.size > 0
    np.testing.assert_array_equal(first.episode_returns, second.episode_returns)
    for p, p2 in zip(first.network.parameters(), second.network.parameters(),
                     strict=True):
        assert torch.equal(p, p2)
    assert not all(torch.equal(p, p2) for p, p2 in zip(first.network.parameters(),
                                                        other.network.parameters(), strict=True))


@pytest.mark.unit
def test_bad_input_is_refused_by_name():
    make = lambda: gymnasium.make("CartPole-v1")  # noqa: E731
    with pytest.raises(ValueError, match="n_options"):
        deep_option_critic(make, n_options=0, n_updates=1)
    with pytest.raises(ValueError, match="lr"):
        deep_option_critic(make, n_options=2, n_updates=1, lr=0.0)
    with pytest.raises(TypeError, match="make_env"):
        deep_option_critic("CartPole-v1", n_options=2, n_updates=1)
    with pytest.raises(ValueError, match="discrete"):
        deep_option_critic(lambda: gymnasium.make("Pendulum-v1"), n_options=2, n_updates=1)
    with pytest.raises(TypeError, match="generator"):
        OptionCriticNetwork(4, 2, 2, 8, generator=0)
