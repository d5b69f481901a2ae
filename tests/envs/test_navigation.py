"""Navigation2D: dynamics by hand, the known optimum, the Gymnasium view, bad input."""

import gymnasium
import numpy as np
import pytest
import torch
from gymnasium.utils.env_checker import check_env
from scipy.stats import norm

from chapter_code.envs import Navigation2D, NavigationTaskEnv
from chapter_code.envs.navigation import ENV_ID, rescale_action, sample_goals
from chapter_code.experiments.maml_nav import make_policy
from chapter_code.meta.rollout import oracle_episodes


@pytest.mark.unit
def test_goals_lie_in_the_unit_square_and_follow_the_seed():
    goals = sample_goals(500, torch.Generator().manual_seed(1))
    assert goals.shape == (500, 2) and goals.min() >= -0.5 and goals.max() <= 0.5
    torch.testing.assert_close(goals, sample_goals(500, torch.Generator().manual_seed(1)))


@pytest.mark.unit
def test_one_step_rescales_and_clips_the_action_and_pays_minus_the_distance():
    env = Navigation2D(torch.tensor([[0.3, -0.4]]), 2)
    obs = env.reset()
    assert torch.equal(obs, torch.zeros(1, 2, 2))
    obs, reward, terminated, truncated = env.step(torch.tensor([[[10.0, -0.5], [0.0, 0.0]]]))
    torch.testing.assert_close(obs, torch.tensor([[[0.1, -0.05], [0.0, 0.0]]]))
    torch.testing.assert_close(reward, -torch.tensor([[np.hypot(0.2, 0.35), 0.5]],
                                                     dtype=torch.float32))
    assert not terminated.any() and not truncated.any()
    squared = Navigation2D(torch.tensor([[0.3, -0.4]]), 1, squared_reward=True)
    squared.reset()
    _, reward, _, _ = squared.step(torch.zeros(1, 1, 2))
    torch.testing.assert_close(reward, torch.tensor([[-0.25]]))


@pytest.mark.unit
def test_the_move_is_rllabs_rescale_then_clip_of_the_policy_action():
    """The released code's ``normalize(PointEnvRandGoal())``: the policy acts in [−1, 1]², the
    wrapper maps a to lb + (a + 1)(ub − lb)/2 with [lb, ub] = [−0.1, 0.1] and clips to the box,
    then the point env adds the move to the position."""
    rng = np.random.default_rng(0)
    action = rng.normal(0.0, 1.5, size=(3, 4, 2)).astype(np.float32)
    low, high = -0.1, 0.1
    expected = np.clip(low + (action + 1.0) * 0.5 * (high - low), low, high)
    env = Navigation2D(torch.full((3, 2), 0.5), 4)
    env.reset()
    obs, _, _, _ = env.step(torch.from_numpy(action))
    np.testing.assert_allclose(obs.numpy(), expected, rtol=1e-6, atol=1e-7)
    torch.testing.assert_close(rescale_action(torch.tensor([0.5, -2.0, 1.0]), 0.1),
                               torch.tensor([0.05, -0.1, 0.1]))


@pytest.mark.unit
def test_the_initial_policy_is_clipped_on_a_third_of_its_move_coordinates():
    """σ₀ = 1 in policy units and a mean near 0: the env clips a coordinate of the first move
    with probability P(|a| > 1) = 2Φ(−1) ≈ 0.32 (acting in raw units, clipped at ±0.1, it was
    P(|a| > 0.1) ≈ 0.92)."""
    policy = make_policy(0)
    goals = sample_goals(20, torch.Generator().manual_seed(0))
    env = Navigation2D(goals, 50)
    obs = env.reset()
    with torch.no_grad():
        mean, log_std = policy(obs)
    noise = torch.randn(mean.shape, generator=torch.Generator().manual_seed(1))
    move = env.step(mean + torch.exp(log_std) * noise)[0] - obs
    clipped = float((move.abs() >= 0.1 - 1e-6).double().mean())
    assert clipped == pytest.approx(2 * norm.cdf(-1.0), abs=0.04)


@pytest.mark.unit
def test_the_oracle_reaches_the_goal_and_the_episode_stops_there():
    """Goal (0.25, 0): positions 0.1, 0.2, 0.25, distances 0.15, 0.05, 0: return −0.2 after
    3 steps, then the episode is done and earns nothing."""
    episodes = oracle_episodes(Navigation2D(torch.tensor([[0.25, 0.0]]), 1))
    assert episodes.mask.sum() == 3
    assert episodes.returns.item() == pytest.approx(-0.2, abs=1e-6)


@pytest.mark.unit
def test_truncation_at_the_horizon_then_an_error():
    env = Navigation2D(torch.tensor([[0.5, 0.5]]), 1, horizon=3)
    env.reset()
    flags = [env.step(torch.zeros(1, 1, 2))[3].item() for _ in range(3)]
    assert flags == [False, False, True]
    with pytest.raises(RuntimeError, match="horizon"):
        env.step(torch.zeros(1, 1, 2))


@pytest.mark.unit
def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="goals"):
        Navigation2D(torch.zeros(3), 1)
    with pytest.raises(ValueError, match="n_trajectories"):
        Navigation2D(torch.zeros(2, 2), 0)
    with pytest.raises(ValueError, match="action"):
        Navigation2D(torch.zeros(2, 2), 3).step(torch.zeros(2, 2))
    with pytest.raises(TypeError, match="generator"):
        sample_goals(2, 0)
    with pytest.raises(ValueError, match="goal"):
        NavigationTaskEnv(goal=(0.1, 0.2, 0.3))


@pytest.mark.unit
def test_gymnasium_view_passes_the_checker_and_matches_the_batch():
    check_env(NavigationTaskEnv(), skip_render_check=True)
    env = gymnasium.make(ENV_ID)
    obs, info = env.reset(seed=0, options={"goal": (0.25, 0.0)})
    total, steps, done = 0.0, 0, False
    while not done:
        obs, reward, terminated, truncated, _ = env.step(np.clip((info["goal"] - obs) / 0.1, -1, 1))
        total, steps, done = total + reward, steps + 1, terminated or truncated
    assert steps == 3 and total == pytest.approx(-0.2, abs=1e-6)
