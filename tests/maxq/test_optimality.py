"""Global, hierarchical and recursive optimality on the two-door room, exactly and as learned."""

import numpy as np
import pytest

from chapter_code.maxq import greedy_returns, maxq_q_learning, simulator_from_mdp
from chapter_code.maxq.optimality import (
    best_value_with_actions,
    three_optima,
    two_door_hierarchy,
    two_door_room,
)


@pytest.mark.unit
def test_three_optima_by_hand():
    """Back door then one step: -2; the hierarchy forbids the back door, so down, down, right:
    -3; Exit alone takes the nearest door (up) and the long corridor follows: -6."""
    assert three_optima() == {"global": -2.0, "hierarchical": -3.0, "recursive": -6.0}


@pytest.mark.unit
def test_best_value_with_every_action_allowed_is_value_iteration():
    mdp = two_door_room()
    V = best_value_with_actions(mdp, np.ones((9, 3), bool))
    assert V[0] == -2.0 and V[2] == -5.0
    with pytest.raises(ValueError, match="allowed must have shape"):
        best_value_with_actions(mdp, np.ones((9, 2), bool))


@pytest.mark.learns
def test_maxq_q_converges_to_the_recursively_optimal_policy():
    """Without pseudo-rewards MAXQ-Q learns Exit's own best policy (the nearest door): its
    greedy return from the start is the recursive optimum, -6, not the hierarchical -3."""
    h = two_door_hierarchy()
    sim = simulator_from_mdp(two_door_room(), 0, max_steps=50)
    r = maxq_q_learning(h, sim, n_seeds=5, n_steps=20_000, seed=0)
    greedy = greedy_returns(h, sim, (r.C, r.Ct, r.V), np.array([0]))
    assert np.all(greedy == three_optima()["recursive"])
