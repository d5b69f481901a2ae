"""Values of policies over options, and Theorem 2 of Sutton, Precup & Singh (1999): interrupting
options when continuing looks worse than choosing again never does worse."""

import numpy as np
import pytest

from chapter_code.envs import four_rooms, policy_evaluation
from chapter_code.envs.four_rooms import G1, G2
from chapter_code.options import (
    hallway_options,
    primitive_options,
    smdp_backup,
    smdp_value_iteration,
    stack_options,
)
from chapter_code.options.interruption import (
    greedy_option_policy,
    interrupted_options,
    option_policy_value,
)
from chapter_code.options.planning import option_models


@pytest.mark.unit
@pytest.mark.parametrize("goal", [G1, G2])
def test_value_of_the_greedy_plan_is_what_value_iteration_found(goal):
    mdp = four_rooms(goal)
    options = [*primitive_options(mdp), *hallway_options(mdp)]
    V_star, Q_star = smdp_value_iteration(mdp, options)
    V = option_policy_value(mdp, options, greedy_option_policy(Q_star))
    np.testing.assert_allclose(V, V_star, atol=1e-9)


@pytest.mark.unit
def test_value_of_a_policy_over_primitives_is_ordinary_policy_evaluation():
    mdp = four_rooms(G2)
    rng = np.random.default_rng(0)
    pi = rng.dirichlet(np.ones(4), size=mdp.n_states)
    V = option_policy_value(mdp, primitive_options(mdp), pi)
    np.testing.assert_allclose(V, policy_evaluation(mdp, pi), atol=1e-10)


@pytest.mark.unit
@pytest.mark.parametrize("goal", [G1, G2])
@pytest.mark.parametrize("seed", [0, 1])
def test_interruption_never_does_worse_and_helps_a_random_policy(goal, seed):
    """Theorem 2: with μ' = μ over the interrupted options, V^μ' ≥ V^μ in every state."""
    mdp = four_rooms(goal)
    options = [*primitive_options(mdp), *hallway_options(mdp)]
    initiation = stack_options(mdp, options).initiation.T
    live = ~mdp.terminal
    weights = np.random.default_rng(seed).random(initiation.shape) * initiation
    mu = np.zeros(initiation.shape)
    mu[live] = weights[live] / weights[live].sum(axis=1, keepdims=True)
    V = option_policy_value(mdp, options, mu)
    r, p = option_models(mdp, options)
    Q = smdp_backup(V, r, p, stack_options(mdp, options).initiation)
    V_interrupted = option_policy_value(mdp, interrupted_options(options, Q, V), mu)
    assert (V_interrupted >= V - 1e-10).all()
    assert (V_interrupted[live] > V[live] + 1e-6).mean() > 0.5


@pytest.mark.unit
def test_interruption_sets_beta_to_one_exactly_where_continuing_is_worse():
    mdp = four_rooms(G1)
    options = hallway_options(mdp)[:2]
    Q = np.zeros((mdp.n_states, 2))
    V = np.zeros(mdp.n_states)
    s = int(np.flatnonzero(options[0].initiation & (options[0].termination == 0))[0])
    Q[s, 0] = -1.0
    new = interrupted_options(options, Q, V)
    assert new[0].termination[s] == 1.0
    changed = np.flatnonzero(new[0].termination != options[0].termination)
    np.testing.assert_array_equal(changed, [s])
    np.testing.assert_array_equal(new[1].termination, options[1].termination)


@pytest.mark.unit
def test_bad_policies_over_options_are_rejected():
    mdp = four_rooms(G1)
    options = hallway_options(mdp)
    with pytest.raises(ValueError, match="mu must have shape"):
        option_policy_value(mdp, options, np.ones((3, 8)))
    outside = np.zeros((mdp.n_states, 8))
    outside[:, 0] = 1.0  # option 0 cannot start in most states
    with pytest.raises(ValueError, match="initiation set"):
        option_policy_value(mdp, options, outside)
    with pytest.raises(ValueError, match="Q must have shape"):
        interrupted_options(options, np.zeros((mdp.n_states, 3)), np.zeros(mdp.n_states))
