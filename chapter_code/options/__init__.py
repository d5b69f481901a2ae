"""Options, option models and learning over options."""

from chapter_code.options.learning import (
    LearningResult,
    continuation_value,
    intra_option_q_learning,
    q_learning,
    smdp_q_learning,
)
from chapter_code.options.option import (
    Option,
    OptionArrays,
    landmark_option,
    primitive_options,
    stack_options,
)

__all__ = [
    "LearningResult",
    "Option",
    "OptionArrays",
    "continuation_value",
    "intra_option_q_learning",
    "landmark_option",
    "primitive_options",
    "q_learning",
    "smdp_q_learning",
    "stack_options",
]
