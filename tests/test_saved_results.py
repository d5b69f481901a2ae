"""Saved summaries in results/ are what the code produces now: regenerate the small ones."""

import json

import numpy as np
import pytest

from chapter_code import experiments, results

# experiments whose full configuration runs in well under a minute
REGENERATED = ["why-hierarchy", "sinusoid"]


@pytest.mark.determinism
@pytest.mark.parametrize("name", REGENERATED)
def test_saved_summary_matches_a_fresh_run(name):
    saved = results.load(name)
    output = experiments.run(name, **_config_overrides(name, saved.config))
    fresh = json.loads(json.dumps(results.jsonable(output["metrics"])))
    assert fresh == saved.metrics
    assert sorted(output["arrays"]) == sorted(saved.arrays)
    for key, value in output["arrays"].items():
        np.testing.assert_array_equal(value, saved.arrays[key])


def _config_overrides(name: str, stored: dict) -> dict:
    """The stored config as keyword arguments of the experiment's config type (JSON lists
    back to tuples)."""
    return {key: tuple(value) if isinstance(value, list) else value
            for key, value in stored.items()}


@pytest.mark.unit
def test_every_saved_summary_names_a_known_experiment_and_its_version():
    for path in sorted(results.RESULTS_DIR.glob("*.json")):
        payload = json.loads(path.read_text())
        assert payload["name"] in experiments.registry(), path
        assert payload["version"] and payload["config"], path
