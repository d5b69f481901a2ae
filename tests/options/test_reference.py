"""The compiled learners against their plain-Python twin acting in the Gymnasium env, and
the rewards they learn from: the sampled transition's, not the model's expectation."""

import gymnasium
import numpy as np
import pytest

from chapter_code.envs import four_rooms
from chapter_code.envs.four_rooms import ENV_ID, G1, G2
from chapter_code.options import (
    hallway_options,
    intra_option_q_learning,
    primitive_options,
    q_learning,
    smdp_q_learning,
)
from chapter_code.options.reference import reference_learning

MAX_STEPS = 60  # short enough that some episodes are truncated


def compiled(method, behaviour, mdp, options, seed, alpha):
    kwargs = dict(n_seeds=1, n_episodes=40, seed=seed, alpha=alpha, max_steps=MAX_STEPS)
    if method == "smdp":
        return smdp_q_learning(mdp, options, **kwargs)
    return intra_option_q_learning(mdp, options, behaviour=behaviour, **kwargs)


@pytest.mark.unit
@pytest.mark.parametrize(("method", "behaviour", "alpha"), [
    ("smdp", "epsilon-greedy", 0.1),
    ("intra", "epsilon-greedy", 0.1),
    ("intra", "uniform-random", 0.25),
])
@pytest.mark.parametrize("with_hallways", [False, True])
@pytest.mark.parametrize("goal", [G1, G2])
def test_compiled_learner_equals_the_reference_in_the_gymnasium_env(
        method, behaviour, alpha, with_hallways, goal):
    """Same seed, same random numbers: the compiled loop on the exact model and the Python
    learner stepping ``gymnasium.make("chapter_code/FourRooms-v0")`` give the same episodes
    (lengths, returns, decisions, truncations included) and the same Q to the last bit."""
    mdp = four_rooms(goal)
    options = primitive_options(mdp) + (hallway_options(mdp) if with_hallways else [])
    fast = compiled(method, behaviour, mdp, options, seed=3, alpha=alpha)
    env = gymnasium.make(ENV_ID, goal=goal, max_episode_steps=MAX_STEPS)
    slow = reference_learning(env, options, method=method, behaviour=behaviour, n_episodes=40,
                              gamma=mdp.gamma, rng=np.random.default_rng(3), alpha=alpha)
    assert (fast.steps == MAX_STEPS).any() and (fast.steps < MAX_STEPS).any()
    np.testing.assert_array_equal(fast.steps, slow.steps)
    np.testing.assert_array_equal(fast.decisions, slow.decisions)
    np.testing.assert_array_equal(fast.returns, slow.returns)
    np.testing.assert_array_equal(fast.Q, slow.Q)


@pytest.mark.unit
@pytest.mark.parametrize("learner", ["flat", "smdp", "intra", "intra-random"])
def test_every_return_is_the_discounted_goal_reward(learner):
    """+1 is paid by the move that arrives at the goal and nothing else pays, so an episode
    of k steps that reaches the goal returns exactly γ^(k-1), whatever slips happened on the
    way (learning from the expected reward, a cell next to the goal would pay 2/3 on every
    move, arriving or not)."""
    mdp = four_rooms(G1)
    options = [*primitive_options(mdp), *hallway_options(mdp)]
    kwargs = dict(n_seeds=5, n_episodes=60, seed=7, max_steps=400)
    result = {
        "flat": lambda: q_learning(mdp, **kwargs),
        "smdp": lambda: smdp_q_learning(mdp, options, **kwargs),
        "intra": lambda: intra_option_q_learning(mdp, options, **kwargs),
        "intra-random": lambda: intra_option_q_learning(
            mdp, options, behaviour="uniform-random", alpha=0.25, **kwargs),
    }[learner]()
    reached = result.steps < 400
    assert reached.mean() > 0.5
    np.testing.assert_allclose(result.returns[reached], mdp.gamma ** (result.steps[reached] - 1),
                               rtol=1e-12)
    assert (result.returns[~reached] == 0).all()


@pytest.mark.unit
def test_sampler_pays_the_reward_of_the_sampled_transition():
    mdp = four_rooms(G1)
    above = mdp.index[(6, 9)]
    rng = np.random.default_rng(0)
    s_next, reward, terminated = mdp.step(np.full(20_000, above), np.full(20_000, 1), rng)
    np.testing.assert_array_equal(reward, (s_next == mdp.goal).astype(float))
    np.testing.assert_array_equal(terminated, s_next == mdp.goal)
    assert reward.mean() == pytest.approx(mdp.R[above, 1], abs=0.01)  # E[r] = 2/3


@pytest.mark.unit
def test_intra_option_step_size_must_keep_alpha_rho_at_most_one():
    mdp = four_rooms(G1)
    options = [*primitive_options(mdp), *hallway_options(mdp)]
    with pytest.raises(ValueError, match=r"alpha must be at most 1 / max ρ = 0.25"):
        intra_option_q_learning(mdp, options, n_seeds=1, n_episodes=1, alpha=0.3,
                                behaviour="uniform-random")
    intra_option_q_learning(mdp, options, n_seeds=1, n_episodes=1, alpha=0.25,
                            behaviour="uniform-random")
    intra_option_q_learning(mdp, options, n_seeds=1, n_episodes=1, alpha=1.0)  # ρ ≤ 1 here
