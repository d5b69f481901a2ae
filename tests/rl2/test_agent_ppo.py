"""The RL² agent and its PPO learner: batched against per-task rollouts, where the hidden state
is (and is not) reset, GAE against its defining sum, a short run that learns, and the TRPO
step: its gradient, its metric (the Fisher matrix) and its trust region."""

import numpy as np
import pytest
import torch

from chapter_code.meta.trpo import flat, hessian_vector_product
from chapter_code.rl2.agent import (
    CELLS,
    VALUE_NETS,
    RL2Policy,
    rl2_inputs,
    rollout,
    sample_action,
)
from chapter_code.rl2.bandits import BanditTrials
from chapter_code.rl2.ppo import (
    PPOConfig,
    advantages_and_returns,
    clipped_surrogate,
    evaluate,
    gae,
    train_rl2,
    trial_starts,
    trpo_objective,
    trpo_update,
)
from chapter_code.rl2.reference import reference_rollout
from chapter_code.rl2.tabular_mdps import HORIZON, MDPTrials


def policy_for(env, hidden=16, seed=0, value_net="shared", cell="gru"):
    return RL2Policy(env.n_obs, env.n_actions, hidden, torch.Generator().manual_seed(seed),
                     value_net, cell).double()


def policy_and_trial(env, value_net, n_tasks, seed):
    """A fresh policy and one trial of it in ``n_tasks`` tasks drawn with ``seed``."""
    policy = policy_for(env, value_net=value_net)
    rng = np.random.default_rng(seed)
    draws = env.draw(n_tasks, rng)
    return policy, rollout(policy, env, draws, rng.random((n_tasks, env.trial_length)))


@pytest.mark.unit
@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("value_net", VALUE_NETS)
@pytest.mark.parametrize("env", [BanditTrials(4, 12), MDPTrials(2)], ids=["bandit", "mdp"])
def test_batched_rollout_equals_the_per_task_loop(env, value_net, cell):
    policy = policy_for(env, value_net=value_net, cell=cell)
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
    policy, trial = policy_and_trial(MDPTrials(2), value_net, n_tasks=4, seed=6)
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
@pytest.mark.parametrize("options", [
    {"iterations": 40},
    {"outer": "trpo", "value_net": "separate", "iterations": 30, "max_kl": 0.02},
    {"cell": "wn-relu-gru", "iterations": 40},
], ids=["ppo", "trpo", "ppo-wn-relu-gru"])
def test_a_short_training_run_beats_random_pulls(options):
    torch.set_num_threads(1)
    env = BanditTrials(2, 10)
    config = PPOConfig(tasks_per_batch=64, hidden=16, lr=1e-2, minibatches=2, **options)
    _, trial = evaluate(train_rl2(env, config).policy, env, 2000, seed=5)
    totals = trial.rewards.sum(axis=0)
    assert totals.mean() - 5.0 > 4 * totals.std() / np.sqrt(totals.size)  # random earns n/2


@pytest.mark.determinism
def test_same_seed_same_training_curve():
    torch.set_num_threads(1)
    env = BanditTrials(3, 5)
    config = PPOConfig(iterations=3, tasks_per_batch=8, hidden=8, minibatches=2)
    np.testing.assert_array_equal(train_rl2(env, config).curve, train_rl2(env, config).curve)


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


def trpo_batch(env, n_tasks=6, seed=3, hidden=3):
    policy = policy_for(env, hidden=hidden, value_net="separate")
    rng = np.random.default_rng(seed)
    batch = rollout(policy, env, env.draw(n_tasks, rng), rng.random((n_tasks, env.trial_length)))
    advantages = torch.from_numpy(rng.standard_normal(batch.actions.shape))
    return policy, batch, advantages


def step_by_step_log_probs(policy, batch):
    """log π(· | h_t) of every step, task by task and step by step with ``policy.step``:
    (T, N, A), independent of ``policy.sequence``."""
    columns = []
    for i in range(batch.actions.shape[1]):
        h, rows = policy.initial_state(1), []
        for t in range(batch.actions.shape[0]):
            logits, _, h = policy.step(batch.inputs[t, i:i + 1], h)
            rows.append(torch.log_softmax(logits[0], dim=-1))
        columns.append(torch.stack(rows))
    return torch.stack(columns, dim=1)


@pytest.mark.unit
def test_policy_parameters_are_what_pi_depends_on():
    env = BanditTrials(3, 4)
    policy, batch, _ = trpo_batch(env)
    names = set(policy.policy_parameters())
    assert {name.split(".")[0] for name in names} == {"cell", "pi"}
    rest = policy.value_parameters()
    assert {n for n, p in policy.named_parameters() if any(p is q for q in rest)} == \
        {n for n, _ in policy.named_parameters()} - names
    logits, _ = policy.sequence(batch.inputs, trial_starts(batch))
    grads = torch.autograd.grad(logits.sum(), rest, allow_unused=True)
    assert rest and all(g is None or not g.any() for g in grads)


@pytest.mark.unit
@pytest.mark.parametrize("value_net", VALUE_NETS)
def test_policy_sequence_is_sequence_logits_without_running_the_value_gru(value_net):
    policy, batch = policy_and_trial(MDPTrials(2), value_net, n_tasks=6, seed=5)
    reset = trial_starts(batch)
    torch.testing.assert_close(policy.policy_sequence(batch.inputs, reset),
                               policy.sequence(batch.inputs, reset)[0], rtol=0, atol=0)
    if value_net == "separate":  # the value GRU is never called
        policy.value_cell.register_forward_hook(lambda *_: pytest.fail("value GRU ran"))
        policy.policy_sequence(batch.inputs, reset)


@pytest.mark.unit
def test_trpo_objective_is_the_policy_gradient_with_a_kl_that_starts_at_zero():
    env = MDPTrials(1)
    policy, batch, advantages = trpo_batch(env)
    entropy_coef = 0.05
    loss, kl, _ = trpo_objective(policy, batch, advantages, entropy_coef)
    leaves = list(policy.policy_parameters().values())
    # at π_old = π the ratio's gradient is ∇log π: the REINFORCE loss, step by step
    log_probs_all = step_by_step_log_probs(policy, batch)
    actions = torch.from_numpy(batch.actions)[..., None]
    entropy = -(log_probs_all.exp() * log_probs_all).sum(-1).mean()
    reinforce = (-(log_probs_all.gather(-1, actions)[..., 0] * advantages).mean()
                 - entropy_coef * entropy)
    for ours, theirs in zip(torch.autograd.grad(loss, leaves, retain_graph=True),
                            torch.autograd.grad(reinforce, leaves), strict=True):
        torch.testing.assert_close(ours, theirs, rtol=1e-10, atol=1e-12)
    assert abs(float(kl.detach())) < 1e-14
    assert all(g.abs().max() < 1e-12 for g in torch.autograd.grad(kl, leaves))


@pytest.mark.unit
def test_trpo_kl_hessian_is_the_fisher_matrix():
    """∇²KL(π_old ‖ π_θ) at θ_old = mean over steps of Σ_a π(a) ∇log π(a) ∇log π(a)ᵀ."""
    env = BanditTrials(2, 3)
    policy, batch, advantages = trpo_batch(env, n_tasks=3, hidden=2)
    _, kl, _ = trpo_objective(policy, batch, advantages, 0.0)
    leaves = list(policy.policy_parameters().values())
    hessian_times = hessian_vector_product(kl, leaves)
    log_probs_all = step_by_step_log_probs(policy, batch)
    n_steps = log_probs_all.shape[0] * log_probs_all.shape[1]
    fisher = 0.0
    for index in np.ndindex(*log_probs_all.shape):
        score = flat(torch.autograd.grad(log_probs_all[index], leaves, retain_graph=True))
        fisher = fisher + log_probs_all[index].exp().detach() * torch.outer(score, score)
    fisher = fisher / n_steps
    v = torch.from_numpy(np.random.default_rng(4).standard_normal(fisher.shape[0]))
    torch.testing.assert_close(hessian_times(v), fisher @ v, rtol=1e-8, atol=1e-12)


@pytest.mark.unit
def test_trpo_update_improves_the_surrogate_within_the_trust_region():
    env = MDPTrials(2)
    policy, batch, _ = trpo_batch(env, n_tasks=16, hidden=8)
    config = PPOConfig(outer="trpo", value_net="separate", max_kl=0.005, tasks_per_batch=16,
                       minibatches=2, reward_scale=0.1)
    advantages, _ = advantages_and_returns(batch, config)
    loss_before, _, loss_and_kl = trpo_objective(policy, batch, advantages, config.entropy_coef)
    before = {n: p.detach().clone() for n, p in policy.named_parameters()}
    value_before = policy.sequence(batch.inputs, trial_starts(batch))[1].detach()
    optimizer = torch.optim.Adam(policy.value_parameters(), lr=1e-2)
    trpo_update(policy, optimizer, batch, config, torch.Generator().manual_seed(0))
    with torch.no_grad():
        loss_after, kl_after = loss_and_kl()
    assert float(loss_after) < float(loss_before.detach()) and 0 < float(kl_after) <= config.max_kl
    moved = {n for n, p in policy.named_parameters() if not torch.equal(p, before[n])}
    assert moved == set(before)  # the policy by TRPO, the value GRU by Adam
    _, returns = advantages_and_returns(batch, config)
    value_after = policy.sequence(batch.inputs, trial_starts(batch))[1].detach()
    assert ((value_after - returns) ** 2).mean() < ((value_before - returns) ** 2).mean()


@pytest.mark.unit
def test_trpo_options_are_checked():
    with pytest.raises(ValueError, match="value_net must be 'separate'"):
        PPOConfig(outer="trpo")
    with pytest.raises(ValueError, match="outer"):
        PPOConfig(outer="sgd")
    with pytest.raises(ValueError, match="max_kl"):
        PPOConfig(outer="trpo", value_net="separate", max_kl=0.0)
