"""TD3's pieces (Fujimoto et al. 2018) against hand computations; the batched learner against
one learner per slice."""

import pytest
import torch

from chapter_code.hiro.td3 import (
    TD3,
    Batch,
    StackedMLP,
    TD3Config,
    clipped_double_q_target,
    is_policy_step,
    smoothed_target_action,
    soft_update,
)
from chapter_code.seeding import torch_stream

pytestmark = pytest.mark.unit


def test_clipped_double_q_target_by_hand():
    r = torch.tensor([1.0, 0.0, -1.0])
    q1 = torch.tensor([2.0, 5.0, 3.0])
    q2 = torch.tensor([4.0, 1.0, 3.0])
    done = torch.tensor([False, False, True])
    y = clipped_double_q_target(r, 0.5, done, q1, q2)
    assert y.tolist() == [1.0 + 0.5 * 2.0, 0.0 + 0.5 * 1.0, -1.0]


def test_target_policy_smoothing_by_hand():
    a = torch.tensor([[0.0, 0.9, -0.95, 0.3]])
    out = smoothed_target_action(a, 0.2, 0.5, torch_stream(0, "n"))
    eps = torch.randn(a.shape, generator=torch_stream(0, "n"))
    expected = [min(1.0, max(-1.0, x + min(0.5, max(-0.5, 0.2 * e))))
                for x, e in zip(a[0].tolist(), eps[0].tolist(), strict=True)]
    torch.testing.assert_close(out[0], torch.tensor(expected))
    # big noise is clipped to ±noise_clip, then the action to [-1, 1]
    out = smoothed_target_action(torch.zeros(1000), 100.0, 0.5, torch_stream(1, "n"))
    assert out.abs().max() == 0.5 and bool((out == 0.5).any() and (out == -0.5).any())
    assert smoothed_target_action(torch.ones(50), 1.0, 0.5, torch_stream(2, "n")).max() == 1.0


def test_delayed_policy_schedule():
    assert [is_policy_step(u, 2) for u in range(6)] == [False, True] * 3
    assert [is_policy_step(u, 1) for u in range(3)] == [True] * 3


def test_soft_update_by_hand():
    src = torch.nn.Linear(2, 1)
    tgt = torch.nn.Linear(2, 1)
    with torch.no_grad():
        src.weight.fill_(1.0), src.bias.fill_(2.0)
        tgt.weight.fill_(0.0), tgt.bias.fill_(-2.0)
    soft_update(tgt, src, 0.25)
    assert tgt.weight.tolist() == [[0.25, 0.25]] and tgt.bias.tolist() == [-1.0]


def test_stacked_mlp_slices_are_plain_mlps():
    net = StackedMLP(3, 4, 5, 2, generator=torch_stream(0, "m"), squash=True)
    x = torch.randn(3, 7, 4, generator=torch_stream(0, "x"))
    out = net(x)
    for i in range(3):
        h = x[i]
        for j, (W, b) in enumerate(zip(net.weights, net.biases, strict=True)):
            h = h @ W[i] + b[i]
            h = torch.relu(h) if j < 2 else torch.tanh(h)
        torch.testing.assert_close(out[i], h)


def _batch(n, B=16, obs_dim=3, m=2, seed=0):
    g = torch_stream(seed, "batch")
    return Batch(torch.randn(n, B, obs_dim, generator=g),
                 torch.rand(n, B, m, generator=g) * 2 - 1,
                 torch.randn(n, B, generator=g),
                 torch.randn(n, B, obs_dim, generator=g),
                 torch.rand(n, B, generator=g) < 0.2)


def _flat(module):
    return torch.cat([p.detach().reshape(-1) for p in module.parameters()])


def test_update_delays_the_actor_and_the_targets():
    agent = TD3(2, 3, 2, TD3Config(), generator=torch_stream(0, "init"))
    actor0, target0 = _flat(agent.actor), _flat(agent.q1_target)
    q1_0 = _flat(agent.q1)
    agent.update(_batch(2), torch_stream(0, "u"))
    assert not torch.equal(_flat(agent.q1), q1_0)  # the critic moved
    assert torch.equal(_flat(agent.actor), actor0) and torch.equal(_flat(agent.q1_target),
                                                                   target0)
    agent.update(_batch(2, seed=1), torch_stream(1, "u"))
    assert not torch.equal(_flat(agent.actor), actor0)
    # after the second critic step: θ' = τ θ + (1 - τ) θ'_0
    torch.testing.assert_close(_flat(agent.q1_target),
                               0.005 * _flat(agent.q1) + 0.995 * target0)


def test_critic_regresses_toward_the_target():
    agent = TD3(1, 3, 2, TD3Config(lr=1e-2), generator=torch_stream(0, "init"))
    batch = _batch(1)

    def error():
        y = agent.target(batch, torch_stream(5, "t"))
        x = torch.cat([batch.obs, batch.action], dim=-1)
        return (agent.q1(x)[..., 0] - y).pow(2).mean().item()

    before = error()
    for _ in range(30):
        agent.update(batch, torch_stream(5, "t"))
    assert error() < 0.5 * before


def test_batched_learners_equal_one_learner_per_slice():
    """Without target noise, learner i of a stacked TD3 follows exactly the TD3 that holds
    only its slice (losses are summed over learners, Adam is elementwise)."""
    config = TD3Config(policy_noise=0.0)
    agent = TD3(2, 3, 2, config, generator=torch_stream(0, "init"))
    singles = []
    for i in range(2):
        one = TD3(1, 3, 2, config, generator=torch_stream(9, "other"))
        for name in ("actor", "q1", "q2", "actor_target", "q1_target", "q2_target"):
            net, src = getattr(one, name), getattr(agent, name)
            with torch.no_grad():
                for p, q in zip(net.parameters(), src.parameters(), strict=True):
                    p.copy_(q[i:i + 1])
        singles.append(one)
    for step in range(4):
        batch = _batch(2, seed=step)
        agent.update(batch, torch_stream(step, "u"))
        for i, one in enumerate(singles):
            one.update(Batch(*(t[i:i + 1] for t in batch)), torch_stream(step, "u"))
    for i, one in enumerate(singles):
        for name in ("actor", "q2", "q1_target"):
            for p, q in zip(getattr(one, name).parameters(), getattr(agent, name).parameters(),
                            strict=True):
                torch.testing.assert_close(p, q[i:i + 1], rtol=1e-5, atol=1e-6)


@pytest.mark.determinism
def test_same_seed_same_learner():
    def trained():
        agent = TD3(2, 3, 2, TD3Config(), generator=torch_stream(3, "init"))
        for step in range(3):
            agent.update(_batch(2, seed=step), torch_stream(step, "u"))
        return _flat(agent.actor)

    assert torch.equal(trained(), trained())


def test_bad_config():
    with pytest.raises(ValueError, match="tau"):
        TD3Config(tau=0.0)
    with pytest.raises(ValueError, match="policy_delay"):
        TD3Config(policy_delay=0)
    with pytest.raises(TypeError, match="hidden"):
        TD3Config(hidden=1.5)
    with pytest.raises(ValueError, match="n must be"):
        TD3(0, 3, 2, TD3Config(), generator=torch_stream(0, "i"))
