"""FuN's pieces on tiny tensors: the intrinsic reward (eq. 8) and the transition policy gradient
(eq. 7) by hand, the dilated LSTM updating one core per step, and clear errors."""

import math

import pytest
import torch

from chapter_code.feudal.fun import (
    DilatedLSTM,
    cosine_similarity,
    intrinsic_reward,
    n_step_returns,
    pooled_goal_embedding,
    transition_policy_loss,
    worker_policy_logits,
)
from chapter_code.seeding import torch_stream


@pytest.mark.unit
def test_intrinsic_reward_by_hand():
    # c = 2, one stream, d = 2: s_t = (1, 1); s_{t-1} = (0, 1), g_{t-1} = (1, 0): change (1, 0),
    # cos 1; s_{t-2} = (1, 0), g_{t-2} = (1, 1): change (0, 1), cos 1/sqrt(2)
    state = torch.tensor([[1.0, 1.0]])
    past_states = torch.tensor([[[0.0, 1.0]], [[1.0, 0.0]]])
    past_goals = torch.tensor([[[1.0, 0.0]], [[1.0, 1.0]]])
    both = torch.tensor([[True], [True]])
    r = intrinsic_reward(state, past_states, past_goals, both)
    assert r.item() == pytest.approx((1 + 1 / math.sqrt(2)) / 2)
    first_only = torch.tensor([[True], [False]])  # step t-2 was in an earlier episode
    assert intrinsic_reward(state, past_states, past_goals, first_only).item() == pytest.approx(1)
    none = torch.tensor([[False], [False]])
    assert intrinsic_reward(state, past_states, past_goals, none).item() == 0.0


@pytest.mark.unit
def test_transition_policy_gradient_by_hand():
    s = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    s_c = torch.tensor([[3.0, 4.0], [1.0, 2.0]])
    g = torch.tensor([[1.0, 0.0], [0.0, -2.0]], requires_grad=True)
    adv = torch.tensor([2.0, 0.5])
    loss = transition_policy_loss(s, s_c, g, adv)
    # cosines: (3,4)·(1,0)/5 = 0.6; (0,1)·(0,-2)/2 = -1
    assert loss.item() == pytest.approx(-(2.0 * 0.6 + 0.5 * -1.0) / 2)
    loss.backward()
    # ∂cos(d, g)/∂g = d / (|d||g|) − (d·g) g / (|d||g|³); the loss is −mean(A cos)
    d = s_c - s
    expected = torch.zeros_like(g)
    for n in range(2):
        dn, gn = d[n], g.detach()[n]
        grad = dn / (dn.norm() * gn.norm()) - (dn @ gn) * gn / (dn.norm() * gn.norm() ** 3)
        expected[n] = -adv[n] * grad / 2
    torch.testing.assert_close(g.grad, expected)


@pytest.mark.unit
def test_transition_policy_gradient_moves_only_the_goal():
    s = torch.tensor([[0.0, 0.0]], requires_grad=True)
    s_c = torch.tensor([[1.0, 2.0]], requires_grad=True)
    g = torch.tensor([[1.0, 1.0]], requires_grad=True)
    adv = torch.tensor([1.0], requires_grad=True)
    transition_policy_loss(s, s_c, g, adv).backward()
    assert s.grad is None and s_c.grad is None and adv.grad is None and g.grad is not None


@pytest.mark.unit
def test_dilated_lstm_updates_one_core_per_step():
    r, hidden = 4, 3
    lstm = DilatedLSTM(2, hidden, r, torch_stream(0, "lstm"))
    x = torch.randn((2, 5, 2), generator=torch_stream(0, "x"))
    state = lstm.initial_state(2)
    t = torch.tensor([0, 6])  # stream 0 at core 0, stream 1 at core 2
    for step in range(5):
        out, new = lstm(x[:, step], state, t)
        changed = (new[0] != state[0]).any(dim=2)  # (B, r)
        for b in range(2):
            assert changed[b].tolist() == [k == int(t[b]) % r for k in range(r)]
        # the updated core is exactly one LSTMCell step from that core's old state
        h, c = lstm.cell(x[:, step], (state[0][torch.arange(2), t % r],
                                      state[1][torch.arange(2), t % r]))
        torch.testing.assert_close(new[0][torch.arange(2), t % r], h)
        torch.testing.assert_close(out, new[0].mean(dim=1))
        state, t = new, t + 1


@pytest.mark.unit
def test_dilated_lstm_with_one_core_is_an_lstm_cell():
    lstm = DilatedLSTM(3, 4, 1, torch_stream(1, "lstm"))
    x = torch.randn((2, 3), generator=torch_stream(1, "x"))
    out, (h, c) = lstm(x, lstm.initial_state(2), torch.tensor([5, 7]))
    torch.testing.assert_close(out, lstm.cell(x)[0])


@pytest.mark.unit
def test_bad_input():
    with pytest.raises(ValueError, match="one shape"):
        cosine_similarity(torch.zeros(2, 3), torch.zeros(2, 2))
    with pytest.raises(ValueError, match="valid"):
        intrinsic_reward(torch.zeros(1, 2), torch.zeros(2, 1, 2), torch.zeros(2, 1, 2),
                         torch.ones(2, 1))
    with pytest.raises(ValueError, match="advantage"):
        transition_policy_loss(torch.zeros(2, 2), torch.zeros(2, 2), torch.zeros(2, 2),
                               torch.zeros(3))
    with pytest.raises(ValueError, match="r must be"):
        DilatedLSTM(2, 3, 0, torch_stream(0, "x"))
    assert cosine_similarity(torch.zeros(2), torch.ones(2)).item() == 0.0


@pytest.mark.unit
def test_n_step_returns_by_hand():
    rewards = torch.tensor([[1.0], [0.0], [2.0]])
    terminated = torch.tensor([[False], [True], [False]])
    R = n_step_returns(rewards, terminated, torch.tensor([10.0]), 0.5)
    # R_2 = 2 + 0.5·10 = 7; R_1 = 0 (terminal: no bootstrap); R_0 = 1 + 0.5·0 = 1
    torch.testing.assert_close(R[:, 0], torch.tensor([1.0, 0.0, 7.0]))


@pytest.mark.unit
def test_goal_pooling_and_worker_policy():
    phi = torch.nn.Linear(2, 3, bias=False)
    with torch.no_grad():
        phi.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))
    goals = torch.tensor([[[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]]])  # c + 1 = 3 goals
    w = pooled_goal_embedding(phi, goals)
    torch.testing.assert_close(w, torch.tensor([[1.5, 1.5, 3.0]]))
    U = torch.arange(6.0).reshape(1, 2, 3)  # two actions
    logits = worker_policy_logits(U, w)
    torch.testing.assert_close(logits, torch.tensor([[0 * 1.5 + 1 * 1.5 + 2 * 3.0,
                                                      3 * 1.5 + 4 * 1.5 + 5 * 3.0]]))
    with pytest.raises(ValueError, match="no bias"):
        pooled_goal_embedding(torch.nn.Linear(2, 3), goals)
