"""The compiled learners: step for step against the plain-Python reference, option-critic with
one option against the flat actor-critic, β ≡ 1 against one-step Q-learning over options,
determinism, learning on four rooms, and bad input."""

import numpy as np
import pytest

from chapter_code.envs import four_rooms
from chapter_code.envs.four_rooms import G1, G2
from chapter_code.option_critic import (
    Hyper,
    actor_critic,
    option_critic,
    option_critic_update,
    reference_option_critic,
    sarsa,
)
from chapter_code.options import smdp_q_update
from chapter_code.seeding import stream

TASKS = [four_rooms(G1, gamma=0.99), four_rooms(G2, gamma=0.99)]


def two_phase(n_runs: int, n_episodes: int) -> np.ndarray:
    """Goal G1 for the first half of the episodes, G2 for the rest."""
    schedule = np.zeros((n_runs, n_episodes), dtype=int)
    schedule[:, n_episodes // 2:] = 1
    return schedule


@pytest.mark.unit
@pytest.mark.parametrize(("n_options", "xi", "baseline"), [(4, 0.0, True), (2, 0.05, False),
                                                           (1, 0.0, True)])
def test_compiled_option_critic_equals_the_reference(n_options, xi, baseline):
    """Same generator, same random numbers: the compiled loop and the NumPy twin stepping
    TabularMDP.step play the same episodes (truncations and option switches included) and
    learn the same tables (to round-off: their exp and sums may differ in the last bit)."""
    kwargs = dict(n_options=n_options, xi=xi, baseline=baseline, max_steps=80,
                  lr_intra=0.01, lr_term=0.5)
    schedule = two_phase(1, 40)
    fast = option_critic(TASKS, schedule, seed=stream(7, "learn"), **kwargs)
    slow = reference_option_critic(TASKS, schedule[0], rng=stream(7, "learn"), **kwargs)
    assert (fast.steps == 80).any() and (fast.steps < 80).any()
    if n_options > 1:
        assert fast.switches.sum() > 0
    np.testing.assert_array_equal(fast.steps, slow.steps)
    np.testing.assert_array_equal(fast.switches, slow.switches)
    for name in ("Q_U", "Q_Omega", "theta", "vartheta"):
        np.testing.assert_allclose(fast.tables[name], slow.tables[name], rtol=1e-9, atol=1e-12)


@pytest.mark.unit
def test_option_critic_with_one_option_is_the_actor_critic():
    """One option: U(ω, s') = V(s'), no choice and no termination draws, so option-critic and
    the separately written flat actor-critic play the same episodes and learn the same
    Q_U = Q, Q_Ω = V and policy, whatever the termination logits start at."""
    schedule = two_phase(3, 30)
    oc = option_critic(TASKS, schedule, n_options=1, termination_init=-3.0, seed=11,
                       max_steps=200)
    ac = actor_critic(TASKS, schedule, seed=11, max_steps=200)
    np.testing.assert_array_equal(oc.steps, ac.steps)
    np.testing.assert_allclose(oc.tables["Q_U"][:, :, 0], ac.tables["Q"], atol=1e-12)
    np.testing.assert_allclose(oc.tables["Q_Omega"][:, :, 0], ac.tables["V"], atol=1e-12)
    np.testing.assert_allclose(oc.tables["theta"][:, 0], ac.tables["theta"], atol=1e-9)


@pytest.mark.unit
def test_beta_one_makes_the_critic_one_step_q_learning_over_options():
    """β ≡ 1 (logit 50, no termination learning): the option critic's update of Q_Ω(s, ω) is
    SMDP Q-learning with one-step options, target r + γ max_ω' Q_Ω(s', ω')."""
    rng = stream(0, "transitions")
    S, O, A = 6, 3, 4
    Q_U, Q_Omega = rng.normal(size=(S, O, A)), rng.normal(size=(S, O))
    theta, vartheta = rng.normal(size=(O, S, A)), np.full((O, S), 50.0)
    hyper = Hyper(alpha=0.3, lr_intra=0.1, lr_term=0.0, temperature=0.5, xi=0.0,
                  baseline=True, epsilon=0.1, gamma=0.9)
    for _ in range(50):
        s, s_next = rng.integers(S, size=2)
        o, a = int(rng.integers(O)), int(rng.integers(A))
        r = float(rng.normal())
        expected = smdp_q_update(Q_Omega[s, o], r, 0.9, Q_Omega[s_next].max(), 0.3)
        option_critic_update(Q_U, Q_Omega, theta, vartheta, s, o, a, r, s_next, False, hyper)
        assert Q_Omega[s, o] == pytest.approx(expected, abs=1e-12)
    assert (vartheta == 50.0).all()


@pytest.mark.determinism
@pytest.mark.parametrize("learner", ["option-critic", "actor-critic", "sarsa"])
def test_same_seed_same_numbers(learner):
    run = {"option-critic": lambda seed: option_critic(TASKS, two_phase(2, 20), n_options=4,
                                                       seed=seed, max_steps=300),
           "actor-critic": lambda seed: actor_critic(TASKS, two_phase(2, 20), seed=seed,
                                                     max_steps=300),
           "sarsa": lambda seed: sarsa(TASKS, two_phase(2, 20), seed=seed, max_steps=300)}[learner]
    first, second, other = run(5), run(5), run(6)
    np.testing.assert_array_equal(first.steps, second.steps)
    for name, table in first.tables.items():
        np.testing.assert_array_equal(table, second.tables[name])
    assert not np.array_equal(first.steps, other.steps)


@pytest.mark.learns
@pytest.mark.parametrize("learner", ["option-critic", "actor-critic", "sarsa"])
def test_learners_find_the_hallway_goal(learner):
    """After 300 episodes with the goal in the east hallway, episodes are short: the last 50
    average under 75 steps (a uniformly random walk takes hundreds)."""
    schedule = np.zeros((5, 300), dtype=int)
    result = {"option-critic": lambda: option_critic(TASKS, schedule, n_options=4, seed=1),
              "actor-critic": lambda: actor_critic(TASKS, schedule, seed=1),
              "sarsa": lambda: sarsa(TASKS, schedule, seed=1)}[learner]()
    assert result.steps[:, :10].mean() > 100
    assert result.steps[:, -50:].mean() < 75


@pytest.mark.unit
def test_bad_input_is_refused_by_name():
    schedule = np.zeros((2, 3), dtype=int)
    with pytest.raises(ValueError, match="schedule"):
        option_critic(TASKS, np.zeros(3, dtype=int), n_options=2)
    with pytest.raises(TypeError, match="schedule"):
        option_critic(TASKS, np.zeros((2, 3)), n_options=2)
    with pytest.raises(ValueError, match="schedule"):
        sarsa(TASKS, schedule + 2)
    with pytest.raises(TypeError, match="tasks"):
        actor_critic("four rooms", schedule)
    with pytest.raises(TypeError, match="tasks"):
        option_critic([TASKS[0], "G2"], schedule, n_options=2)
    with pytest.raises(ValueError, match="gamma"):
        option_critic([TASKS[0], four_rooms(G2, gamma=0.9)], schedule, n_options=2)
    with pytest.raises(ValueError, match="n_options"):
        option_critic(TASKS, schedule, n_options=0)
    with pytest.raises(ValueError, match="alpha"):
        option_critic(TASKS, schedule, n_options=2, alpha=0.0)
    with pytest.raises(ValueError, match="temperature"):
        actor_critic(TASKS, schedule, temperature=0.0)
    with pytest.raises(ValueError, match="epsilon"):
        option_critic(TASKS, schedule, n_options=2, epsilon=1.5)
    with pytest.raises(ValueError, match="lr_term"):
        option_critic(TASKS, schedule, n_options=2, lr_term=-1.0)
    with pytest.raises(TypeError, match="baseline"):
        option_critic(TASKS, schedule, n_options=2, baseline=1)
    with pytest.raises(ValueError, match="max_steps"):
        sarsa(TASKS, schedule, max_steps=0)
    with pytest.raises(TypeError, match="rng"):
        reference_option_critic(TASKS, [0, 1], n_options=2, rng=3)
