"""FuN and the flat LSTM agent: the worker's goals detached in FuN and not in the end-to-end
ablation, the intrinsic reward inside the network against eq. 8 by hand, the rollout loss's
worker return (extrinsic plus α times the intrinsic reward of the state arrived in) by hand, a
short A2C run's determinism, and bad input."""

import numpy as np
import pytest
import torch

from chapter_code.feudal.fun import FeudalNet, _a2c_loss, intrinsic_reward, train_a2c
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


@pytest.mark.unit
@pytest.mark.parametrize("ends", [False, True])
def test_worker_return_adds_alpha_times_the_intrinsic_reward_of_arrival(ends):
    """Three steps of one stream, ending after the third or not. The intrinsic reward computed
    at step t + 1 pays for the action of step t; none is paid across an episode's end; the
    worker's return bootstraps with V^D after the rollout unless the episode ended; the manager's
    return has the extrinsic reward only."""
    alpha, gw, gm, beta = 0.5, 0.9, 0.99, 0.01
    record = {"logp": [torch.tensor([-1.0]), torch.tensor([-0.5]), torch.tensor([-2.0])],
              "entropy": [torch.tensor([1.2])] * 3,
              "value": [torch.tensor([0.1]), torch.tensor([0.2]), torch.tensor([0.3])],
              "manager_value": [torch.tensor([0.05])] * 3,
              "intrinsic": [torch.tensor([0.0]), torch.tensor([0.4]), torch.tensor([-0.2])],
              "reward": [torch.tensor([0.0]), torch.tensor([0.0]), torch.tensor([1.0])],
              "ended": [torch.tensor([False]), torch.tensor([False]), torch.tensor([ends])],
              "cut_w": [torch.tensor([0.0])] * 3, "cut_m": [torch.tensor([0.0])] * 3,
              "s": [], "g": []}
    last = {"value": torch.tensor([0.7]), "manager_value": torch.tensor([0.6]),
            "intrinsic": torch.tensor([0.8])}
    loss = _a2c_loss(record, last, fun=True, end_to_end=True, gamma_worker=gw,
                     gamma_manager=gm, alpha=alpha, entropy=beta, c=1)
    # by hand: rewards of the worker r_t + α r^I_{t+1}
    r2 = 1.0 + (0.0 if ends else alpha * 0.8)
    R2 = r2 + (0.0 if ends else gw * 0.7)
    R1 = alpha * -0.2 + gw * R2
    R0 = alpha * 0.4 + gw * R1
    RM2 = 1.0 + (0.0 if ends else gm * 0.6)
    RM = [gm * gm * RM2, gm * RM2, RM2]
    R, V = [R0, R1, R2], [0.1, 0.2, 0.3]
    logp = [-1.0, -0.5, -2.0]
    expected = (-sum(lp * (r - v) for lp, r, v in zip(logp, R, V, strict=True)) / 3
                + 0.5 * sum((r - v) ** 2 for r, v in zip(R, V, strict=True)) / 3 - beta * 1.2
                + 0.5 * sum((r - 0.05) ** 2 for r in RM) / 3)
    assert loss.item() == pytest.approx(expected, rel=1e-6)


@pytest.mark.determinism
@pytest.mark.parametrize("method", ["fun", "lstm"])
def test_a2c_is_deterministic(method):
    torch.set_num_threads(1)
    kwargs = {"n_envs": 2, "n_frames": 160, "seed": 3, "rollout": 20, "c": 4, "r": 2,
              "alpha": 0.5}
    a = train_a2c("MiniGrid-Empty-5x5-v0", method, **kwargs)
    b = train_a2c("MiniGrid-Empty-5x5-v0", method, **kwargs)
    for pa, pb in zip(a.net.parameters(), b.net.parameters(), strict=True):
        torch.testing.assert_close(pa, pb, rtol=0, atol=0)
    np.testing.assert_array_equal(a.returns, b.returns)


@pytest.mark.unit
def test_bad_input():
    with pytest.raises(ValueError, match="method"):
        train_a2c("MiniGrid-Empty-5x5-v0", "options", n_envs=1, n_frames=10, seed=0,
                  alpha=0.5)
    with pytest.raises(ValueError, match="rollout"):
        train_a2c("MiniGrid-Empty-5x5-v0", "fun", n_envs=1, n_frames=10, seed=0, rollout=5,
                  alpha=0.5)
    with pytest.raises(ValueError, match="n_actions"):
        FeudalNet(1, torch_stream(0, "x"))
