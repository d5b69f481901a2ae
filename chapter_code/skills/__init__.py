"""Skills without rewards: DIAYN (Eysenbach et al. 2018) and VIC (Gregor et al. 2016)."""

from chapter_code.skills.diayn import (
    SkillResult,
    best_prior,
    diayn_reward,
    discriminator_step,
    exact_mutual_information_bits,
    log_softmax,
    sample_skill_paths,
    skill_state_distributions,
    train_skills,
)
from chapter_code.skills.sac import (
    PointSkills,
    point_step,
    sac_soft_target,
    tanh_gaussian_log_prob,
    temperature_loss,
    train_point_skills,
)
from chapter_code.skills.soft_q import soft_policy, soft_q_target, soft_q_update, soft_value

__all__ = [
    "PointSkills",
    "SkillResult",
    "best_prior",
    "diayn_reward",
    "discriminator_step",
    "exact_mutual_information_bits",
    "log_softmax",
    "point_step",
    "sac_soft_target",
    "sample_skill_paths",
    "skill_state_distributions",
    "soft_policy",
    "soft_q_target",
    "soft_q_update",
    "soft_value",
    "tanh_gaussian_log_prob",
    "temperature_loss",
    "train_point_skills",
    "train_skills",
]
