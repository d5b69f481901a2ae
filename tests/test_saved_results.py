"""Saved summaries in results/ are what the code produces now: regenerate the small ones in
full, and rerun the stored reduced-size fingerprint of every other one."""

import json

import numpy as np
import pytest

from chapter_code import experiments, results

# experiments whose full configuration runs in well under a minute
REGENERATED = ["why-hierarchy", "sinusoid"]
SAVED = sorted(path.stem for path in results.RESULTS_DIR.glob("*.json"))
# float reductions in torch may be ordered differently with another thread count: summaries
# written on one processor model match a fresh run there to this relative tolerance (float32:
# ~1e-7 per op); other models compare against fingerprints recorded on them
RTOL = 1e-5


@pytest.mark.determinism
@pytest.mark.parametrize("name", REGENERATED)
def test_saved_summary_matches_a_fresh_run(name):
    """Regenerated in full; on a processor model where the saved run's numbers differ in the
    last bits (amplified by training), a full-size fingerprint recorded there stands in."""
    payload = json.loads((results.RESULTS_DIR / f"{name}.json").read_text())
    if results.processor() in payload.get("processor_fingerprints", {}):
        assert results.stale_fingerprint(name, rtol=RTOL) == []
        return
    saved = results.load(name)
    output = experiments.run(name, **results.config_kwargs(saved.config))
    fresh = json.loads(json.dumps(results.jsonable(output.metrics)))
    assert _flat(fresh) == pytest.approx(_flat(saved.metrics), rel=RTOL, abs=1e-12)
    assert sorted(output.arrays) == sorted(saved.arrays)
    for key, value in output.arrays.items():
        np.testing.assert_allclose(value, saved.arrays[key], rtol=RTOL, atol=1e-12)


@pytest.mark.determinism
@pytest.mark.parametrize("name", [name for name in SAVED if name not in REGENERATED])
def test_saved_run_is_what_the_code_produces_now_at_its_fingerprint_size(name):
    """A long run is not redone here: its stored fingerprint (the same experiment and config at
    a few seconds' size, run when the summary was saved) is rerun with today's code. A change
    to the code path behind a saved run fails this test until the run is saved again."""
    assert results.stale_fingerprint(name, rtol=RTOL) == []


def _flat(tree: object, prefix: str = "") -> dict:
    """Nested dicts and lists as one dict path -> leaf, so pytest.approx can compare them."""
    if isinstance(tree, dict):
        return {k: v for key, value in tree.items()
                for k, v in _flat(value, f"{prefix}/{key}").items()}
    if isinstance(tree, list):
        return {k: v for i, value in enumerate(tree)
                for k, v in _flat(value, f"{prefix}[{i}]").items()}
    return {prefix: tree}


@pytest.mark.unit
def test_every_saved_summary_names_a_known_experiment_and_its_version():
    for path in sorted(results.RESULTS_DIR.glob("*.json")):
        payload = json.loads(path.read_text())
        experiment = experiments.get(payload.get("experiment", payload["name"]))
        experiment.config_type(**results.config_kwargs(payload["config"]))
        assert payload["version"] and payload["config"], path
