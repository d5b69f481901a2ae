"""RL² (Duan et al. 2016) and the baselines of its bandit and tabular-MDP tables: task
distributions stepped for many tasks at once, the bandit baselines (with the finite-horizon
Gittins index and the exact Bayes-optimal value), the MDP baselines, and the RL² GRU agent
trained by PPO (or the paper's TRPO) on whole trials; the paper's Tables 1 and 2 beside our
saved runs."""

from chapter_code.rl2.agent import (
    RL2Policy,
    Trajectory,
    WeightNormGRUCell,
    rl2_inputs,
    rollout,
    sample_action,
)
from chapter_code.rl2.bandit_baselines import (
    BanditPolicy,
    action_probabilities,
    argmax_random_ties,
    eps_greedy_policy,
    gittins_policy,
    greedy_policy,
    optimistic_thompson_policy,
    play_bandit,
    random_policy,
    thompson_policy,
    ucb1_bonus,
    ucb1_index,
    ucb1_policy,
)
from chapter_code.rl2.bandits import BanditTrials, posterior_mean, pull, sample_bandits
from chapter_code.rl2.bayes_optimal import bayes_optimal_value, policy_value
from chapter_code.rl2.gittins import GittinsTable, gittins_table
from chapter_code.rl2.mdp_baselines import (
    MDPPolicy,
    beb_policy,
    eps_greedy_mdp_policy,
    extended_value_iteration,
    greedy_mdp_policy,
    optimistic_transition,
    play_mdp,
    psrl_policy,
    random_mdp_policy,
    ucrl2_policy,
)
from chapter_code.rl2.paper_tables import (
    BANDIT_COLUMNS,
    BANDIT_LABELS,
    EVALUATION_OPTIONS,
    MDP_COLUMNS,
    MDP_LABELS,
    PAPER_BANDITS,
    PAPER_MDPS,
    SavedRun,
    bandit_row,
    bandit_table,
    claim_rows,
    mdp_row,
    mdp_table,
    paired_curve_gap,
    random_to_greedy,
    rl2_difference,
    same_evaluation,
    saved_run,
    table_entry,
    z_scores,
)
from chapter_code.rl2.ppo import (
    GUARD_RECORD,
    CheckpointInfo,
    KLGuard,
    PPOConfig,
    RL2Training,
    clipped_surrogate,
    evaluate,
    gae,
    read_checkpoint,
    train_rl2,
    trpo_objective,
)
from chapter_code.rl2.reference import reference_rollout
from chapter_code.rl2.tabular_mdps import MDPBatch, MDPTrials, plan, sample_mdps

__all__ = [
    "BANDIT_COLUMNS", "BANDIT_LABELS", "BanditPolicy", "BanditTrials", "CheckpointInfo",
    "EVALUATION_OPTIONS",
    "GUARD_RECORD", "GittinsTable", "KLGuard", "MDPBatch",
    "MDPPolicy", "MDPTrials", "MDP_COLUMNS", "MDP_LABELS", "PAPER_BANDITS", "PAPER_MDPS",
    "PPOConfig", "RL2Policy", "RL2Training", "SavedRun", "Trajectory",
    "action_probabilities",
    "argmax_random_ties", "bandit_row", "bandit_table", "bayes_optimal_value", "beb_policy",
    "claim_rows", "clipped_surrogate", "eps_greedy_mdp_policy", "eps_greedy_policy", "evaluate",
    "extended_value_iteration", "gae", "gittins_policy", "gittins_table", "greedy_mdp_policy",
    "greedy_policy", "mdp_row", "mdp_table", "optimistic_thompson_policy", "optimistic_transition",
    "paired_curve_gap",
    "plan", "play_bandit", "play_mdp", "policy_value", "posterior_mean", "psrl_policy", "pull",
    "random_mdp_policy", "random_policy", "random_to_greedy", "read_checkpoint",
    "reference_rollout", "rl2_difference",
    "rl2_inputs", "rollout", "same_evaluation",
    "sample_action", "sample_bandits", "sample_mdps", "saved_run", "table_entry", "thompson_policy",
    "train_rl2", "trpo_objective", "ucb1_bonus", "ucb1_index", "ucb1_policy", "ucrl2_policy",
    "WeightNormGRUCell", "z_scores",
]
