"""PPO's KL guard (PPOConfig.kl_guard): its KL and surrogate against NumPy, the pass it keeps
among recorded passes, the back-off when every pass overshoots, and the record of each choice."""

import numpy as np
import pytest
import torch

from chapter_code.rl2.agent import RL2Policy, rollout
from chapter_code.rl2.bandits import BanditTrials
from chapter_code.rl2.ppo import KLGuard, PPOConfig, advantages_and_returns, ppo_update

ENV = BanditTrials(3, 8)


def guarded_setup(lr, seed=0, value_net="shared"):
    """A fresh policy, its optimizer, one batch of 12 trials and a minibatch generator."""
    policy = RL2Policy(ENV.n_obs, ENV.n_actions, 8, torch.Generator().manual_seed(seed),
                       value_net).double()
    rng = np.random.default_rng(seed)
    batch = rollout(policy, ENV, ENV.draw(12, rng), rng.random((12, ENV.trial_length)))
    return (policy, torch.optim.Adam(policy.parameters(), lr=lr), batch,
            torch.Generator().manual_seed(seed))


def parameters(policy):
    """π's parameters, the ones the guard holds."""
    return [p.detach().clone() for p in policy.policy_parameters().values()]


def softmax(logits):
    z = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


@pytest.mark.unit
def test_the_guard_measures_the_kl_and_surrogate_of_the_equations():
    policy, optimizer, batch, generator = guarded_setup(lr=0.05)
    config = PPOConfig(tasks_per_batch=12, minibatches=3, epochs=1)
    advantages, _ = advantages_and_returns(batch, config)
    guard = KLGuard(policy, batch, advantages, target=1.0)
    assert guard.measure()[0] == pytest.approx(0.0, abs=1e-12)  # π = π_old
    old = softmax(policy.sequence(batch.inputs, guard.reset)[0].detach().numpy())
    ppo_update(policy, optimizer, batch, config, generator)
    new = softmax(policy.sequence(batch.inputs, guard.reset)[0].detach().numpy())
    kl = (old * (np.log(old) - np.log(new))).sum(-1).mean()
    taken = batch.actions[..., None]
    ratio = (np.take_along_axis(new, taken, -1) / np.take_along_axis(old, taken, -1))[..., 0]
    measured_kl, surrogate = guard.measure()
    assert kl > 1e-6
    assert measured_kl == pytest.approx(kl, rel=1e-6)
    assert surrogate == pytest.approx((ratio * advantages.numpy()).mean(), rel=1e-6)


def recorded_passes(lr, epochs, monkeypatch):
    """Run one guarded update that keeps every pass (target ∞) and record, at the end of each
    pass, its parameters, KL and surrogate."""
    passes = []
    original = KLGuard.end_of_pass

    def record(self):
        passes.append((parameters(self.policy), *self.measure()))
        original(self)

    monkeypatch.setattr(KLGuard, "end_of_pass", record)
    policy, optimizer, batch, generator = guarded_setup(lr)
    ppo_update(policy, optimizer, batch,
               PPOConfig(tasks_per_batch=12, minibatches=3, epochs=epochs, kl_guard=1e9),
               generator)
    monkeypatch.undo()
    assert len(passes) == epochs  # one record per pass
    return passes


@pytest.mark.unit
def test_the_guard_keeps_the_best_surrogate_among_the_passes_that_fit(monkeypatch):
    passes = recorded_passes(lr=0.03, epochs=6, monkeypatch=monkeypatch)
    kls = sorted(kl for _, kl, _ in passes)
    target = (kls[2] + kls[3]) / 2  # some passes fit, some overshoot
    fitting = [(surrogate, index, kl, params)
               for index, (params, kl, surrogate) in enumerate(passes, start=1) if kl <= target]
    assert 0 < len(fitting) < len(passes)
    _, index, kl, expected = max(fitting, key=lambda item: item[0])
    policy, optimizer, batch, generator = guarded_setup(lr=0.03)
    choice = ppo_update(policy, optimizer, batch,
                        PPOConfig(tasks_per_batch=12, minibatches=3, epochs=6, kl_guard=target),
                        generator)
    for kept, wanted in zip(parameters(policy), expected, strict=True):
        torch.testing.assert_close(kept, wanted, rtol=0, atol=0)
    assert choice == (pytest.approx(kl, rel=1e-12), index, 1.0)  # (KL, pass kept, β)


@pytest.mark.unit
def test_when_every_pass_overshoots_the_step_is_halved_until_it_fits(monkeypatch):
    passes = recorded_passes(lr=0.3, epochs=2, monkeypatch=monkeypatch)
    target = min(kl for _, kl, _ in passes) / 20  # no pass fits
    policy, optimizer, batch, generator = guarded_setup(lr=0.3)
    start = parameters(policy)
    config = PPOConfig(tasks_per_batch=12, minibatches=3, epochs=2, kl_guard=target)
    advantages, _ = advantages_and_returns(batch, config)
    choice = ppo_update(policy, optimizer, batch, config, generator)
    check = KLGuard(guarded_setup(lr=0.3)[0], batch, advantages, target)  # π_old's copy
    check._load(parameters(policy))  # measure the kept parameters against the batch's π_old
    assert 0 < check.measure()[0] <= target
    assert choice is not None and choice[:2] == (pytest.approx(check.measure()[0]), 0)
    # the kept parameters lie on the segment from θ_old to the last pass, at β = 2^-j
    last = passes[-1][0]
    steps = [(kept - old).flatten() for kept, old in zip(parameters(policy), start, strict=True)]
    full = [(end - old).flatten() for end, old in zip(last, start, strict=True)]
    beta = float(torch.cat(steps) @ torch.cat(full) / (torch.cat(full) @ torch.cat(full)))
    assert np.log2(beta) == pytest.approx(round(np.log2(beta)), abs=1e-6) and beta < 1
    assert choice[2] == 2.0 ** round(np.log2(beta))  # the record names the same β
    torch.testing.assert_close(torch.cat(steps), beta * torch.cat(full), rtol=1e-6, atol=1e-9)
    # and β is the largest halving that fits: twice the step overshoots
    check._load([old + 2 * beta * (end - old) for old, end in zip(start, last, strict=True)])
    assert check.measure()[0] > target


@pytest.mark.unit
@pytest.mark.parametrize("value_net", ["shared", "separate"])
def test_when_no_halving_fits_pi_stays_where_it_was_and_the_value_net_learns(value_net):
    policy, optimizer, batch, generator = guarded_setup(lr=0.3, value_net=value_net)
    start = parameters(policy)
    value_start = [p.detach().clone() for p in policy.value_parameters()]
    choice = ppo_update(policy, optimizer, batch,
                        PPOConfig(tasks_per_batch=12, minibatches=3, epochs=2, kl_guard=1e-300,
                                  value_net=value_net),
                        generator)
    assert choice == (0.0, 0, 0.0)  # no pass kept, β = 0: θ_old
    for kept, old in zip(parameters(policy), start, strict=True):
        torch.testing.assert_close(kept, old, rtol=0, atol=0)
    assert all(not torch.equal(p, old) for p, old in zip(policy.value_parameters(), value_start,
                                                         strict=True))


@pytest.mark.unit
def test_the_guard_option_is_checked():
    with pytest.raises(ValueError, match="kl_guard"):
        PPOConfig(kl_guard=-0.1)
    with pytest.raises(ValueError, match="kl_guard"):
        PPOConfig(kl_guard=0.01, outer="trpo", value_net="separate")


@pytest.mark.unit
def test_an_unguarded_update_records_nothing():
    policy, optimizer, batch, generator = guarded_setup(lr=0.03)
    assert ppo_update(policy, optimizer, batch, PPOConfig(tasks_per_batch=12, minibatches=3),
                      generator) is None
