"""SAC for DIAYN on the point environment: the tanh-Gaussian log-density against torch's own
transformed distribution, the soft target and the temperature gradient by hand, the point's
dynamics, determinism, and bad input."""

import math

import numpy as np
import pytest
import torch
from torch.distributions import Independent, Normal, TransformedDistribution
from torch.distributions.transforms import TanhTransform

from chapter_code.seeding import torch_stream
from chapter_code.skills.sac import (
    initialise,
    mlp,
    point_step,
    sac_soft_target,
    skill_observation,
    tanh_gaussian_log_prob,
    temperature_loss,
    train_point_skills,
)


@pytest.mark.unit
def test_tanh_gaussian_log_prob_matches_torch_transformed_distribution():
    g = torch.Generator().manual_seed(0)
    mean, log_std = torch.randn(50, 2, generator=g), torch.randn(50, 2, generator=g) * 0.5
    u = mean + log_std.exp() * torch.randn(50, 2, generator=g) * 2
    dist = Independent(TransformedDistribution(Normal(mean.double(), log_std.exp().double()),
                                               [TanhTransform()]), 1)
    ours = tanh_gaussian_log_prob(u.double(), mean.double(), log_std.double())
    torch.testing.assert_close(ours, dist.log_prob(torch.tanh(u.double())), rtol=1e-6,
                               atol=1e-6)


@pytest.mark.unit
def test_soft_target_by_hand():
    y = sac_soft_target(torch.tensor([1.0, 1.0]), 0.9, torch.tensor([2.0, 5.0]),
                        torch.tensor([3.0, 4.0]), torch.tensor([-1.0, 0.5]), 0.2,
                        torch.tensor([False, True]))
    # first: 1 + 0.9 (min(2, 3) - 0.2 (-1)) = 1 + 0.9 * 2.2; second: terminal, 1
    torch.testing.assert_close(y, torch.tensor([1.0 + 0.9 * 2.2, 1.0]))


@pytest.mark.unit
def test_temperature_gradient_by_hand():
    log_alpha = torch.tensor(math.log(0.5), requires_grad=True)
    log_prob = torch.tensor([-1.0, -3.0])
    loss = temperature_loss(log_alpha, log_prob, target_entropy=-2.0)
    loss.backward()
    # dJ/dlog α = -α mean(log π + H̄) = -0.5 * mean(-3, -5) = 2 > 0: a descent step lowers α,
    # because the policy's entropy (1 and 3, mean 2) already exceeds H̄ = -2
    assert float(loss.detach()) == pytest.approx(-0.5 * -4.0)
    assert float(log_alpha.grad) == pytest.approx(2.0)


@pytest.mark.unit
def test_point_moves_at_most_a_tenth_and_stays_in_the_unit_box():
    state = torch.tensor([[0.5, 0.5], [0.05, 0.98], [0.5, 0.5]])
    action = torch.tensor([[1.0, -0.5], [-1.0, 1.0], [3.0, -7.0]])
    torch.testing.assert_close(point_step(state, action),
                               torch.tensor([[0.6, 0.45], [0.0, 1.0], [0.6, 0.4]]))


@pytest.mark.unit
def test_initialise_draws_from_the_generator_only():
    a, b = mlp(3, 2, 8), mlp(3, 2, 8)
    initialise(a, torch_stream(1, "w"))
    initialise(b, torch_stream(1, "w"))
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        torch.testing.assert_close(p, q)
    first = a[0]  # Linear(3, 8): U(±1/sqrt(3))
    assert first.weight.abs().max() <= 1 / math.sqrt(3)
    initialise(b, torch_stream(2, "w"))
    assert not torch.equal(a[0].weight, b[0].weight)


@pytest.mark.determinism
def test_training_is_deterministic_and_records_every_update():
    torch.set_num_threads(1)
    kwargs = dict(n_iterations=30, n_envs=4, horizon=5, hidden=8, batch_size=16, warmup=16)
    a, b = train_point_skills(3, seed=2, **kwargs), train_point_skills(3, seed=2, **kwargs)
    np.testing.assert_array_equal(a.accuracy, b.accuracy)
    np.testing.assert_array_equal(a.paths, b.paths)
    assert a.accuracy.shape == (30 - 16 // 4 + 1,)
    assert a.paths.shape == (3, 10, 6, 2) and np.allclose(a.paths[:, :, 0], 0.5)
    assert ((a.paths >= 0) & (a.paths <= 1)).all()
    assert np.abs(np.diff(a.paths, axis=2)).max() <= 0.1 + 1e-6


@pytest.mark.determinism
def test_vic_is_deterministic_and_learns_a_prior():
    torch.set_num_threads(1)
    kwargs = dict(method="vic", n_iterations=40, n_envs=4, horizon=5, hidden=8, batch_size=16,
                  warmup=16, seed=4)
    a, b = train_point_skills(3, **kwargs), train_point_skills(3, **kwargs)
    np.testing.assert_array_equal(a.accuracy, b.accuracy)
    np.testing.assert_array_equal(a.prior, b.prior)
    assert a.prior.sum() == pytest.approx(1.0) and (a.prior > 0).all()
    assert not np.allclose(a.prior, 1 / 3)  # moved by the discriminator's log q(z | s_T)
    assert a.actor.net[0].in_features == 2 + 3 + 1  # s, onehot(z), t / horizon
    fixed = train_point_skills(3, prior_rate=0.0, **kwargs)
    np.testing.assert_allclose(fixed.prior, 1 / 3)  # no prior step: stays uniform


@pytest.mark.unit
def test_skill_observation_adds_the_elapsed_fraction_only_when_given():
    state, z = torch.tensor([[0.2, 0.7]]), torch.tensor([1])
    assert torch.allclose(skill_observation(state, z, 3),
                          torch.tensor([[0.2, 0.7, 0.0, 1.0, 0.0]]))
    timed = skill_observation(state, z, 3, torch.tensor([0.4]))
    assert torch.allclose(timed, torch.tensor([[0.2, 0.7, 0.0, 1.0, 0.0, 0.4]]))


@pytest.mark.unit
def test_learned_temperature_moves_by_its_loss_and_fixed_one_stays():
    torch.set_num_threads(1)
    kwargs = dict(n_iterations=20, n_envs=4, horizon=5, hidden=8, batch_size=16, warmup=16,
                  seed=3)
    assert train_point_skills(2, alpha=0.1, **kwargs).alpha == 0.1
    learned = train_point_skills(2, alpha=0.1, learn_alpha=True, **kwargs)
    assert learned.alpha != 0.1 and learned.alpha > 0


@pytest.mark.unit
def test_bad_input_raises_clear_errors():
    with pytest.raises(ValueError, match="n_skills must be an integer >= 2"):
        train_point_skills(1)
    with pytest.raises(ValueError, match="method"):
        train_point_skills(2, method="dads")
    with pytest.raises(TypeError, match="learn_alpha must be a bool"):
        train_point_skills(2, learn_alpha=1)
    with pytest.raises(ValueError, match="warmup must be an integer >= 128"):
        train_point_skills(2, warmup=10)
    with pytest.raises(ValueError, match="state and action must have one shape"):
        point_step(torch.zeros(3, 2), torch.zeros(2, 2))
    with pytest.raises(ValueError, match="gamma must lie in"):
        sac_soft_target(torch.zeros(1), 1.5, torch.zeros(1), torch.zeros(1), torch.zeros(1),
                        0.1, torch.zeros(1, dtype=torch.bool))
