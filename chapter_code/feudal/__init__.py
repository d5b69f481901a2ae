"""Feudal, goal-setting hierarchies: h-DQN (Kulkarni et al. 2016) on its stochastic decision
process, exactly solved and learned by a two-level Q-learner."""

from chapter_code.feudal.sdp import (
    StochasticDecisionProcess,
    best_two_level_policy,
    goal_reaching_policy,
    history_augmented_mdp,
    optimal_return,
    optimal_values,
    sdp_step,
    two_level_return,
)

__all__ = [
    "StochasticDecisionProcess",
    "best_two_level_policy",
    "goal_reaching_policy",
    "history_augmented_mdp",
    "optimal_return",
    "optimal_values",
    "sdp_step",
    "two_level_return",
]
