"""Feudal, goal-setting hierarchies: h-DQN (Kulkarni et al. 2016) on its stochastic decision
process, exactly solved and learned by a two-level Q-learner; the pieces of FeUdal Networks
(Vezhnevets et al. 2017)."""

from chapter_code.feudal.fun import (
    DilatedLSTM,
    cosine_similarity,
    n_step_returns,
    pooled_goal_embedding,
    transition_policy_loss,
    worker_policy_logits,
)
from chapter_code.feudal.fun import intrinsic_reward as fun_intrinsic_reward
from chapter_code.feudal.hdqn import (
    FlatResult,
    HdqnResult,
    annealed_epsilon,
    epsilon_greedy,
    evaluate_hdqn,
    evaluate_q_learning,
    greedy_hdqn_return,
    greedy_q_learning_return,
    intrinsic_reward,
    q_learning_target,
    q_update,
    train_hdqn,
    train_q_learning,
)
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
    "DilatedLSTM",
    "cosine_similarity",
    "fun_intrinsic_reward",
    "n_step_returns",
    "pooled_goal_embedding",
    "transition_policy_loss",
    "worker_policy_logits",
    "FlatResult",
    "HdqnResult",
    "annealed_epsilon",
    "epsilon_greedy",
    "evaluate_hdqn",
    "evaluate_q_learning",
    "greedy_hdqn_return",
    "greedy_q_learning_return",
    "intrinsic_reward",
    "q_learning_target",
    "q_update",
    "train_hdqn",
    "train_q_learning",
    "StochasticDecisionProcess",
    "best_two_level_policy",
    "goal_reaching_policy",
    "history_augmented_mdp",
    "optimal_return",
    "optimal_values",
    "sdp_step",
    "two_level_return",
]
