"""Saving and loading experiment summaries."""

import json

import numpy as np
import pytest

import chapter_code
from chapter_code import results
from chapter_code.experiments.why_hierarchy import WhyHierarchyConfig


@pytest.mark.unit
def test_round_trip_keeps_config_metrics_arrays_and_version(tmp_path):
    config = WhyHierarchyConfig(lengths=(4, 8), n_seeds=3)
    arrays = {"curve": np.arange(6).reshape(2, 3), "x": np.linspace(0, 1, 4)}
    path = results.save("demo", config, {"speedup": np.float64(2.5), "n": np.int64(3)},
                        arrays, directory=tmp_path)
    payload = json.loads(path.read_text())
    assert payload["version"] == chapter_code.__version__
    loaded = results.load("demo", directory=tmp_path)
    assert loaded.config["lengths"] == [4, 8] and loaded.config["n_seeds"] == 3
    assert loaded.metrics == {"speedup": 2.5, "n": 3}
    for key, value in arrays.items():
        np.testing.assert_array_equal(loaded.arrays[key], value)


@pytest.mark.unit
def test_missing_result_names_the_command(tmp_path):
    with pytest.raises(FileNotFoundError, match="chapter-code run nothing-here"):
        results.load("nothing-here", directory=tmp_path)


@pytest.mark.unit
@pytest.mark.parametrize("name", ["../escape", "Upper", "", "a/b"])
def test_bad_names_are_rejected(name, tmp_path):
    with pytest.raises(ValueError, match="name must match"):
        results.save(name, {}, {}, directory=tmp_path)
