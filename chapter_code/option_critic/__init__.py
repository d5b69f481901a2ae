"""Option-critic (Bacon, Harb & Precup 2017): options learned end to end by the intra-option
policy gradient and the termination gradient: tabular, exact, and with a shared neural encoder."""

from chapter_code.option_critic.deep import (
    DeepResult,
    OptionCriticNetwork,
    critic_loss,
    deep_option_critic,
    intra_option_policy_loss,
    termination_loss,
)
from chapter_code.option_critic.exact import (
    OptionValues,
    central_differences,
    intra_option_policy_gradient,
    option_values,
    termination_gradient,
)
from chapter_code.option_critic.reference import reference_option_critic
from chapter_code.option_critic.tabular import (
    Hyper,
    TabularResult,
    actor_critic,
    actor_critic_update,
    check_hyper_parameters,
    intra_option_policy_step,
    option_critic,
    option_critic_update,
    option_evaluation,
    sarsa,
    sigmoid,
    softmax,
    termination_gradient_step,
)

__all__ = [
    "DeepResult",
    "Hyper",
    "OptionCriticNetwork",
    "OptionValues",
    "TabularResult",
    "actor_critic",
    "actor_critic_update",
    "check_hyper_parameters",
    "critic_loss",
    "deep_option_critic",
    "intra_option_policy_gradient",
    "intra_option_policy_loss",
    "intra_option_policy_step",
    "option_critic",
    "option_critic_update",
    "option_evaluation",
    "central_differences",
    "option_values",
    "reference_option_critic",
    "sarsa",
    "sigmoid",
    "softmax",
    "termination_gradient",
    "termination_gradient_step",
    "termination_loss",
]
