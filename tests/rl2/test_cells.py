"""The authors' weight-normalised GRU cell: against torch's GRU (with a tanh candidate), against
the equations evaluated by hand in NumPy (with ReLU), and the properties weight normalisation
promises: rescaling v changes nothing, and at the start W_h is orthogonal."""

import numpy as np
import pytest
import torch

from chapter_code.rl2.agent import RL2Policy, WeightNormGRUCell
from chapter_code.rl2.ppo import PPOConfig

D, H, N = 5, 4, 7


def perturbed_cell(seed, nonlinearity=torch.relu):
    """A cell whose gains and biases are moved off their starting values 1 and 0."""
    generator = torch.Generator().manual_seed(seed)
    cell = WeightNormGRUCell(D, H, generator, nonlinearity).double()
    with torch.no_grad():
        cell.g_x.uniform_(0.5, 2.0, generator=generator)
        cell.g_h.uniform_(0.5, 2.0, generator=generator)
        cell.b.uniform_(-1.0, 1.0, generator=generator)
    return cell


def inputs(seed):
    rng = np.random.default_rng(seed)
    return (torch.from_numpy(rng.normal(size=(N, D))),
            torch.from_numpy(rng.normal(size=(N, H))))


@pytest.mark.unit
def test_with_a_tanh_candidate_it_is_torchs_gru_with_the_update_gate_flipped():
    cell = perturbed_cell(0, torch.tanh)
    w_x, w_h = (w.detach() for w in cell.weights())
    b_r, b_u, b_c = cell.b.detach().chunk(3)
    x_r, x_u, x_c = w_x.chunk(3, dim=1)
    h_r, h_u, h_c = w_h.chunk(3, dim=1)
    gru = torch.nn.GRUCell(D, H).double()
    with torch.no_grad():  # torch: h' = (1 − z) n + z h, so z = 1 − u = σ(−a_u)
        gru.weight_ih.copy_(torch.cat([x_r, -x_u, x_c], dim=1).T)
        gru.weight_hh.copy_(torch.cat([h_r, -h_u, h_c], dim=1).T)
        gru.bias_ih.copy_(torch.cat([b_r, -b_u, b_c]))
        gru.bias_hh.zero_()
    x, h = inputs(1)
    torch.testing.assert_close(cell(x, h), gru(x, h), rtol=1e-12, atol=1e-12)


@pytest.mark.unit
def test_one_step_equals_the_equations_by_hand():
    cell = perturbed_cell(2)
    x, h = inputs(3)
    x, h = x.numpy(), h.numpy()

    def normalised(v, g):
        return g * v / np.sqrt((v ** 2).sum(axis=0))

    w_x = normalised(cell.v_x.detach().numpy(), cell.g_x.detach().numpy())
    w_h = normalised(cell.v_h.detach().numpy(), cell.g_h.detach().numpy())
    b = cell.b.detach().numpy()
    sigmoid = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    r = sigmoid(x @ w_x[:, :H] + b[:H] + h @ w_h[:, :H])
    u = sigmoid(x @ w_x[:, H:2 * H] + b[H:2 * H] + h @ w_h[:, H:2 * H])
    c = np.maximum(0.0, x @ w_x[:, 2 * H:] + b[2 * H:] + r * (h @ w_h[:, 2 * H:]))
    want = (1 - u) * h + u * c
    np.testing.assert_allclose(cell(torch.from_numpy(x), torch.from_numpy(h)).detach().numpy(),
                               want, rtol=1e-12, atol=1e-12)


@pytest.mark.unit
def test_rescaling_v_leaves_the_cell_unchanged_and_the_gain_does_not():
    cell = perturbed_cell(4)
    x, h = inputs(5)
    before = cell(x, h).detach()
    with torch.no_grad():
        cell.v_x.mul_(torch.linspace(0.1, 9.0, 3 * H, dtype=torch.float64))
        cell.v_h.mul_(3.0)
    torch.testing.assert_close(cell(x, h).detach(), before, rtol=1e-12, atol=1e-12)
    with torch.no_grad():
        cell.g_x.mul_(2.0)
    assert not torch.allclose(cell(x, h), before)


@pytest.mark.unit
def test_it_starts_with_unit_gains_zero_biases_and_an_orthogonal_recurrence():
    cell = WeightNormGRUCell(D, H, torch.Generator().manual_seed(6)).double()
    assert torch.equal(cell.g_x, torch.ones(3 * H, dtype=torch.float64))
    assert torch.equal(cell.g_h, torch.ones(3 * H, dtype=torch.float64))
    assert torch.equal(cell.b, torch.zeros(3 * H, dtype=torch.float64))
    _, w_h = cell.weights()
    for block in w_h.detach().chunk(3, dim=1):
        torch.testing.assert_close(block.T @ block, torch.eye(H, dtype=torch.float64),
                                   rtol=0, atol=1e-6)  # built in float32


@pytest.mark.unit
def test_the_policy_builds_it_for_both_networks_and_keeps_the_gru_default():
    generator = torch.Generator().manual_seed(7)
    policy = RL2Policy(3, 2, H, generator, value_net="separate", cell="wn-relu-gru")
    assert isinstance(policy.cell, WeightNormGRUCell)
    assert isinstance(policy.value_cell, WeightNormGRUCell)
    assert policy.cell is not policy.value_cell
    assert set(policy.policy_parameters()) == {"cell.v_x", "cell.v_h", "cell.g_x", "cell.g_h",
                                               "cell.b", "pi.weight", "pi.bias"}
    assert isinstance(RL2Policy(3, 2, H, generator).cell, torch.nn.GRUCell)


@pytest.mark.unit
def test_an_unknown_cell_raises_naming_the_argument():
    with pytest.raises(ValueError, match="cell"):
        PPOConfig(cell="lstm")
    with pytest.raises(ValueError, match="cell"):
        RL2Policy(3, 2, 4, torch.Generator(), cell="lstm")
    with pytest.raises(ValueError, match="hidden_size"):
        WeightNormGRUCell(3, 0, torch.Generator())
    with pytest.raises(ValueError, match="input_size"):
        WeightNormGRUCell(0, 3, torch.Generator())


@pytest.mark.unit
@pytest.mark.parametrize("value_net", ["shared", "separate"])
def test_a_sequence_normalises_once_with_the_same_outputs_and_gradients_as_every_step(value_net):
    """sequence() holds each cell's normalised weights for the whole unroll; unrolling step()
    alone normalises at every step. Both must give the same logits, values and gradients."""
    generator = torch.Generator().manual_seed(11)
    policy = RL2Policy(3, 2, H, generator, value_net=value_net, cell="wn-relu-gru").double()
    rng = np.random.default_rng(12)
    x = torch.from_numpy(rng.normal(size=(6, N, 3 + 2 + 2)))
    reset = torch.from_numpy(rng.random((6, N)) < 0.3)
    reset[0] = True

    def loss_and_grads(unroll):
        policy.zero_grad()
        logits, values = unroll()
        loss = (logits ** 2).sum() + values.sum()
        loss.backward()
        return loss.detach(), [p.grad.clone() for p in policy.parameters()]

    def every_step():
        h, outputs = policy.initial_state(N), []
        for t in range(x.shape[0]):
            h = torch.where(reset[t, :, None], torch.zeros_like(h), h)
            logits, value, h = policy.step(x[t], h)
            outputs.append((logits, value))
        return torch.stack([lg for lg, _ in outputs]), torch.stack([v for _, v in outputs])

    held_loss, held_grads = loss_and_grads(lambda: policy.sequence(x, reset))
    step_loss, step_grads = loss_and_grads(every_step)
    torch.testing.assert_close(held_loss, step_loss, rtol=1e-12, atol=1e-12)
    for held, stepped in zip(held_grads, step_grads, strict=True):
        torch.testing.assert_close(held, stepped, rtol=1e-10, atol=1e-12)


@pytest.mark.unit
def test_held_weights_are_released_after_the_block():
    cell = perturbed_cell(13)
    with cell.holding_weights():
        held = cell.weights()
        assert cell.weights() is held  # the same tensors for every step inside
    with torch.no_grad():
        cell.g_x.mul_(2.0)
    torch.testing.assert_close(cell.weights()[0], 2.0 * held[0].detach())
