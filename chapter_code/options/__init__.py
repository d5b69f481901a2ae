"""Options, option models and learning over options."""

from chapter_code.options.discovery import (
    betweenness,
    bottleneck_states,
    experience_graph,
    local_cut_vertices,
    normalized_cut_clusters,
    random_walk_transitions,
    regions,
    subgoal_options,
    transition_graph,
)
from chapter_code.options.hallways import hallway_options
from chapter_code.options.interruption import (
    greedy_option_policy,
    interrupted_options,
    option_policy_value,
)
from chapter_code.options.learning import (
    LearningResult,
    continuation,
    continuation_value,
    intra_option_q_learning,
    intra_option_q_update,
    q_learning,
    smdp_q_learning,
    smdp_q_update,
)
from chapter_code.options.models import option_model, option_step_model
from chapter_code.options.option import (
    Option,
    OptionArrays,
    landmark_option,
    options_agree,
    primitive_options,
    stack_options,
)
from chapter_code.options.planning import option_models, smdp_backup, smdp_value_iteration
from chapter_code.options.reference import reference_learning

__all__ = [
    "LearningResult",
    "Option",
    "OptionArrays",
    "betweenness",
    "bottleneck_states",
    "continuation",
    "continuation_value",
    "experience_graph",
    "greedy_option_policy",
    "hallway_options",
    "interrupted_options",
    "intra_option_q_learning",
    "intra_option_q_update",
    "landmark_option",
    "local_cut_vertices",
    "normalized_cut_clusters",
    "option_model",
    "option_models",
    "option_policy_value",
    "option_step_model",
    "options_agree",
    "primitive_options",
    "q_learning",
    "random_walk_transitions",
    "reference_learning",
    "regions",
    "smdp_backup",
    "smdp_q_learning",
    "smdp_q_update",
    "smdp_value_iteration",
    "stack_options",
    "subgoal_options",
    "transition_graph",
]
