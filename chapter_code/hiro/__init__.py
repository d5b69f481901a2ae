"""HIRO (Nachum et al. 2018): two TD3 levels, a manager that sets goals every c steps and a
worker that reaches them, with the manager's stored goals relabelled by the off-policy
correction."""

from chapter_code.hiro.agent import (
    HiroAgent,
    HiroConfig,
    Replay,
    TrainResult,
    hiro_memories,
    rollout_gymnasium,
    train_flat,
    train_hiro,
    update_levels,
)
from chapter_code.hiro.correction import (
    candidate_goals,
    goal_transition,
    intrinsic_reward,
    off_policy_correction,
    relabel_score,
)
from chapter_code.hiro.plots import draw_maze
from chapter_code.hiro.pointmaze import (
    GOAL_XY,
    START_XY,
    U_MAZE,
    PointMaze,
    cell_xy,
    goal_distance,
    in_wall,
    maze_reward,
    point_step,
    sample_goals,
)
from chapter_code.hiro.td3 import (
    TD3,
    Batch,
    StackedMLP,
    TD3Config,
    clipped_double_q_target,
    is_policy_step,
    smoothed_target_action,
    soft_update,
)

__all__ = [
    "HiroAgent",
    "HiroConfig",
    "Replay",
    "TrainResult",
    "hiro_memories",
    "rollout_gymnasium",
    "train_flat",
    "train_hiro",
    "update_levels",
    "GOAL_XY",
    "START_XY",
    "U_MAZE",
    "PointMaze",
    "cell_xy",
    "goal_distance",
    "in_wall",
    "maze_reward",
    "point_step",
    "sample_goals",
    "TD3",
    "Batch",
    "StackedMLP",
    "TD3Config",
    "clipped_double_q_target",
    "is_policy_step",
    "smoothed_target_action",
    "soft_update",
    "candidate_goals",
    "goal_transition",
    "intrinsic_reward",
    "off_policy_correction",
    "relabel_score",
    "draw_maze",
]
