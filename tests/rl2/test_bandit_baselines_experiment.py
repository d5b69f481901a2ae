"""The bandit-baselines experiment: its JSON keys, its exact values, and its argument checks."""

import json

import pytest

from chapter_code import experiments
from chapter_code.cli import main
from chapter_code.experiments.bandit_baselines import BASELINES, BanditBaselinesConfig


@pytest.mark.unit
def test_cli_prints_every_baseline_under_its_lower_case_name(capsys):
    assert main(["run", "bandit-baselines", "--arms", "3", "--pulls", "6", "--trials", "200",
                 "--tune-trials", "20", "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert set(BASELINES) <= set(metrics)
    assert set(metrics["exact"]) == {"bayes_optimal", "random", "gittins", "ucb1", "eps_greedy",
                                     "greedy"}
    for name in BASELINES:
        # Monte Carlo of 200 trials agrees with the exact value where one exists
        if name in metrics["exact"]:
            assert abs(metrics[name] - metrics["exact"][name]) < 5 * metrics["stderr"][name]
        assert metrics[name] <= metrics["exact"]["bayes_optimal"] + 5 * metrics["stderr"][name]


@pytest.mark.unit
def test_tuning_picks_a_grid_value():
    out = experiments.run("bandit-baselines", arms=4, pulls=20, trials=20, tune_trials=20,
                          ucb1_c=(0.1, 0.2), epsilon=(0.0,), ots_samples=(2,))
    assert out.metrics["tuned"]["ucb1"] in (0.1, 0.2)
    assert out.metrics["tuned"]["eps_greedy"] == 0.0 and out.metrics["tuned"]["ots"] == 2


@pytest.mark.unit
@pytest.mark.parametrize("field,value", [("arms", 1), ("pulls", 0), ("trials", 1),
                                         ("ucb1_c", ()), ("epsilon", (1.5,)),
                                         ("ots_samples", (0,))])
def test_bad_config_raises_value_error(field, value):
    with pytest.raises(ValueError, match=field):
        BanditBaselinesConfig(**{field: value})
