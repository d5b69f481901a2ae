"""The command-line experiment around the shared-encoder option-critic: config checks and a tiny
run that repeats exactly."""

import pytest

from chapter_code import experiments
from chapter_code.experiments.option_critic_deep import OptionCriticDeepConfig


@pytest.mark.unit
def test_config_names_the_bad_field():
    with pytest.raises(ValueError, match="n_seeds"):
        OptionCriticDeepConfig(n_seeds=1)
    with pytest.raises(ValueError, match="n_options"):
        OptionCriticDeepConfig(n_options=1)


@pytest.mark.determinism
def test_tiny_run_repeats_and_reports_both_learners():
    a = experiments.run("option-critic-deep", n_seeds=2, n_updates=30)
    b = experiments.run("option-critic-deep", n_seeds=2, n_updates=30)
    assert a.metrics == b.metrics
    assert a.metrics["n_seeds"] == 2 and len(a.metrics) > 1
