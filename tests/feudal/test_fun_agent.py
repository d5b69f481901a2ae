"""FuN and the flat LSTM agent: the worker's goals detached in FuN and not in the end-to-end
ablation, the intrinsic reward inside the network against eq. 8 by hand, a short A2C run's
determinism, and bad input."""

import numpy as np
import pytest
import torch

from chapter_code.feudal.fun import FeudalNet, intrinsic_reward, train_a2c
from chapter_code.seeding import torch_stream


def _images(n, generator):
    return torch.randint(0, 6, (n, 7, 7, 3), generator=generator)


@pytest.mark.unit
@pytest.mark.parametrize("end_to_end", [False, True])
def test_worker_gradient_reaches_the_manager_only_end_to_end(end_to_end):
    net = FeudalNet(7, torch_stream(0, "net"), c=3, r=2, end_to_end=end_to_end)
    state = net.initial_state(4)
    gen = torch_stream(0, "obs")
    for _ in range(3):
        out, state = net(_images(4, gen), state)
    out["logits"].logsumexp(-1).sum().backward()  # a loss of the worker's policy only
    manager_grad = sum(p.grad.abs().sum() for p in net.manager.parameters()
                       if p.grad is not None)
    assert (manager_grad > 0) == end_to_end


@pytest.mark.unit
def test_network_intrinsic_reward_is_eq_8():
    c = 3
    net = FeudalNet(7, torch_stream(1, "net"), c=c, r=2)
    state = net.initial_state(2)
    gen = torch_stream(1, "obs")
    states, goals = [], []
    for step in range(5):
        out, state = net(_images(2, gen), state)
        if step >= 1:  # r^I for s_step from the last min(step, c) states and goals
            i_max = min(step, c)
            expected = torch.stack([
                torch.nn.functional.cosine_similarity(out["s"] - states[-i], goals[-i], dim=-1)
                for i in range(1, i_max + 1)]).mean(0)
            torch.testing.assert_close(out["intrinsic"], expected.detach())
        else:
            assert (out["intrinsic"] == 0).all()
        states.append(out["s"].detach())
        goals.append(out["g"].detach())
    # and the package function agrees on the last step
    past_s = torch.stack(states[-2:-2 - c:-1])
    past_g = torch.stack(goals[-2:-2 - c:-1])
    valid = torch.ones(c, 2, dtype=torch.bool)
    torch.testing.assert_close(intrinsic_reward(states[-1], past_s, past_g, valid),
                               out["intrinsic"])


@pytest.mark.determinism
@pytest.mark.parametrize("method", ["fun", "lstm"])
def test_a2c_is_deterministic(method):
    torch.set_num_threads(1)
    kwargs = {"n_envs": 2, "n_frames": 160, "seed": 3, "rollout": 20, "c": 4, "r": 2}
    a = train_a2c("MiniGrid-Empty-5x5-v0", method, **kwargs)
    b = train_a2c("MiniGrid-Empty-5x5-v0", method, **kwargs)
    for pa, pb in zip(a.net.parameters(), b.net.parameters(), strict=True):
        torch.testing.assert_close(pa, pb, rtol=0, atol=0)
    np.testing.assert_array_equal(a.returns, b.returns)


@pytest.mark.unit
def test_bad_input():
    with pytest.raises(ValueError, match="method"):
        train_a2c("MiniGrid-Empty-5x5-v0", "options", n_envs=1, n_frames=10, seed=0)
    with pytest.raises(ValueError, match="rollout"):
        train_a2c("MiniGrid-Empty-5x5-v0", "fun", n_envs=1, n_frames=10, seed=0, rollout=5)
    with pytest.raises(ValueError, match="n_actions"):
        FeudalNet(1, torch_stream(0, "x"))
