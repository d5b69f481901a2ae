"""The RL² agent and its PPO learner: batched against per-task rollouts, where the hidden state
is (and is not) reset, GAE against its defining sum, and a short run that learns."""

import numpy as np
import pytest
import torch

from chapter_code.rl2.agent import VALUE_NETS, RL2Policy, rl2_inputs, rollout, sample_action
from chapter_code.rl2.bandits import BanditTrials
from chapter_code.rl2.ppo import PPOConfig, clipped_surrogate, evaluate, gae, train_rl2
from chapter_code.rl2.reference import reference_rollout
from chapter_code.rl2.tabular_mdps import HORIZON, MDPTrials


def policy_for(env, hidden=16, seed=0, value_net="shared"):
    return RL2Policy(env.n_obs, env.n_actions, hidden, torch.Generator().manual_seed(seed),
                     value_net).double()


@pytest.mark.unit
@pytest.mark.parametrize("value_net", VALUE_NETS)
@pytest.mark.parametrize("env", [BanditTrials(4, 12), MDPTrials(2)], ids=["bandit", "mdp"])
def test_batched_rollout_equals_the_per_task_loop(env, value_net):
    policy = policy_for(env, value_net=value_net)
    rng = np.random.default_rng(0)
    draws = env.draw(16, rng)
    uniforms = rng.random((16, env.trial_length))
    batched = rollout(policy, env, draws, uniforms)
    plain = reference_rollout(policy, env, draws, uniforms)
    np.testing.assert_array_equal(batched.actions, plain.actions)
    np.testing.assert_array_equal(batched.rewards, plain.rewards)
    np.testing.assert_array_equal(batched.dones, plain.dones)
    for name in ("inputs", "log_probs", "values", "hidden"):
        torch.testing.assert_close(getattr(batched, name), getattr(plain, name),
                                   rtol=1e-12, atol=1e-12)


@pytest.mark.unit
def test_hidden_state_carries_over_episode_ends_and_sequence_replays_the_rollout():
    env = MDPTrials(3)
    policy = policy_for(env)
    rng = np.random.default_rng(1)
    draws = env.draw(8, rng)
    trial = rollout(policy, env, draws, rng.random((8, env.trial_length)))
    assert trial.dones[HORIZON - 1].all() and not trial.dones[HORIZON].any()
    reset = torch.zeros(trial.actions.shape, dtype=torch.bool)
    reset[0] = True
    _, values = policy.sequence(trial.inputs, reset)
    torch.testing.assert_close(values, trial.values, rtol=1e-12, atol=1e-12)
    # resetting at an episode start would change what the agent computes there
    episode_reset = reset.clone()
    episode_reset[HORIZON] = True
    _, values_reset = policy.sequence(trial.inputs, episode_reset)
    torch.testing.assert_close(values_reset[:HORIZON], trial.values[:HORIZON])
    assert (values_reset[HORIZON] - trial.values[HORIZON]).abs().min() > 1e-6


@pytest.mark.unit
@pytest.mark.parametrize("value_net", VALUE_NETS)
def test_value_loss_reaches_the_policy_gru_only_when_shared(value_net):
    env = MDPTrials(2)
    policy = policy_for(env, value_net=value_net)
    rng = np.random.default_rng(6)
    trial = rollout(policy, env, env.draw(4, rng), rng.random((4, env.trial_length)))
    reset = torch.zeros(trial.actions.shape, dtype=torch.bool)
    reset[0] = True
    logits, values = policy.sequence(trial.inputs, reset)
    policy_grads = torch.autograd.grad(values.square().sum(), list(policy.cell.parameters()),
                                       allow_unused=True, retain_graph=True)
    reaches_policy = any(g is not None and g.any() for g in policy_grads)
    assert reaches_policy == (value_net == "shared")
    if value_net == "separate":  # and the policy's loss never reaches the value GRU
        value_grads = torch.autograd.grad(logits.square().sum(),
                                          list(policy.value_cell.parameters()), allow_unused=True)
        assert all(g is None or not g.any() for g in value_grads)
        assert trial.hidden.shape[-1] == 2 * policy.hidden


@pytest.mark.unit
def test_hidden_state_resets_at_trial_boundaries():
    env = BanditTrials(3, 6)
    policy = policy_for(env)
    rng = np.random.default_rng(2)
    first = rollout(policy, env, env.draw(5, rng), rng.random((5, 6)))
    second = rollout(policy, env, env.draw(5, rng), rng.random((5, 6)))
    both = torch.cat([first.inputs, second.inputs])  # two trials back to back
    reset = torch.zeros(12, 5, dtype=torch.bool)
    reset[0] = reset[6] = True
    _, values = policy.sequence(both, reset)
    torch.testing.assert_close(values[6:], second.values, rtol=1e-12, atol=1e-12)
    reset[6] = False  # no reset: the second trial would remember the first
    _, carried = policy.sequence(both, reset)
    assert (carried[6:] - second.values).abs().max() > 1e-6


@pytest.mark.unit
def test_inputs_are_observation_previous_action_reward_and_done():
    x = rl2_inputs(np.array([2, 0]), np.array([-1, 1]), np.array([0.0, 1.5]), np.array([0, 1]),
                   n_obs=3, n_actions=2)
    np.testing.assert_array_equal(x.numpy(), [[0, 0, 1, 0, 0, 0.0, 0], [1, 0, 0, 0, 1, 1.5, 1]])


@pytest.mark.unit
def test_sampled_actions_follow_the_softmax():
    logits = torch.tensor([[0.0, 1.0, -1.0]]).repeat(40_000, 1)
    actions, log_probs = sample_action(logits, np.random.default_rng(3).random(40_000))
    probs = torch.softmax(logits[0], dim=0).numpy()
    np.testing.assert_allclose(np.bincount(actions, minlength=3) / 40_000, probs, atol=0.01)
    np.testing.assert_allclose(log_probs.numpy(), np.log(probs[actions]), rtol=1e-6)


@pytest.mark.unit
@pytest.mark.parametrize("lam", [0.0, 0.3, 1.0])
def test_gae_is_the_discounted_sum_of_td_errors(lam):
    gen = torch.Generator().manual_seed(4)
    rewards, values = torch.randn(7, 3, generator=gen), torch.randn(7, 3, generator=gen)
    gamma = 0.9
    adv, returns = gae(rewards, values, gamma, lam)
    next_values = torch.cat([values[1:], torch.zeros(1, 3)])
    delta = rewards + gamma * next_values - values
    for t in range(7):
        want = sum((gamma * lam) ** j * delta[t + j] for j in range(7 - t))
        torch.testing.assert_close(adv[t], want)
    if lam == 1.0:  # Monte Carlo return
        mc = torch.stack([sum(gamma ** j * rewards[t + j] for j in range(7 - t))
                          for t in range(7)])
        torch.testing.assert_close(returns, mc)


@pytest.mark.unit
def test_clipped_surrogate_clips_the_ratio_on_the_side_the_advantage_favours():
    old = torch.zeros(4)
    new = torch.log(torch.tensor([1.5, 1.5, 0.5, 0.5]))
    adv = torch.tensor([1.0, -1.0, 1.0, -1.0])
    # min(ρA, clip(ρ)A): 1.2, -1.5, 0.5, -0.8
    want = (1.2 - 1.5 + 0.5 - 0.8) / 4
    assert clipped_surrogate(new, old, adv, 0.2).item() == pytest.approx(want)


@pytest.mark.learns
def test_a_short_training_run_beats_random_pulls():
    torch.set_num_threads(1)
    env = BanditTrials(2, 10)
    config = PPOConfig(iterations=40, tasks_per_batch=64, hidden=16, lr=1e-2, minibatches=2)
    policy, curve = train_rl2(env, config)
    _, trial = evaluate(policy, env, 2000, seed=5)
    totals = trial.rewards.sum(axis=0)
    assert totals.mean() - 5.0 > 4 * totals.std() / np.sqrt(totals.size)  # random earns n/2


@pytest.mark.determinism
def test_same_seed_same_training_curve():
    torch.set_num_threads(1)
    env = BanditTrials(3, 5)
    config = PPOConfig(iterations=3, tasks_per_batch=8, hidden=8, minibatches=2)
    np.testing.assert_array_equal(train_rl2(env, config)[1], train_rl2(env, config)[1])


@pytest.mark.unit
def test_bad_input_raises_naming_the_argument():
    with pytest.raises(ValueError, match="n_arms"):
        BanditTrials(1, 10)
    with pytest.raises(ValueError, match="n_pulls"):
        BanditTrials(3, 0)
    with pytest.raises(ValueError, match="n_episodes"):
        MDPTrials(0)
    with pytest.raises(ValueError, match="minibatches"):
        PPOConfig(tasks_per_batch=4, minibatches=8)
    with pytest.raises(ValueError, match="lam"):
        PPOConfig(lam=1.5)
    with pytest.raises(ValueError, match="reward_scale"):
        PPOConfig(reward_scale=0.0)
    with pytest.raises(ValueError, match="value_net"):
        PPOConfig(value_net="both")
    with pytest.raises(ValueError, match="value_net"):
        RL2Policy(3, 2, 4, torch.Generator(), value_net="both")


@pytest.mark.unit
def test_fixed_start_trials_begin_every_episode_in_state_zero():
    env = MDPTrials(3, start="fixed")
    rng = np.random.default_rng(2)
    trial = rollout(policy_for(env), env, env.draw(6, rng), rng.random((6, env.trial_length)))
    first_states = trial.inputs[::HORIZON, :, :env.n_obs].argmax(-1)  # steps 0, T, 2T
    assert first_states.shape == (3, 6) and (first_states == 0).all()
    later_states = trial.inputs[1::HORIZON, :, :env.n_obs].argmax(-1)
    assert (later_states != 0).any()
    with pytest.raises(ValueError, match="start"):
        MDPTrials(2, start="middle")
