"""RL² training saved to a checkpoint and resumed (PPOConfig.checkpoint): a resumed run gives the
numbers of an uninterrupted one, whatever the update; a checkpoint made with other options or
another environment is refused; a fingerprint run never touches the full run's checkpoint."""

from dataclasses import asdict, replace

import numpy as np
import pytest
import torch

from chapter_code import experiments, results
from chapter_code.cli import main
from chapter_code.rl2.bandits import BanditTrials
from chapter_code.rl2.ppo import GUARD_RECORD, PPOConfig, RL2Training, read_checkpoint, train_rl2
from chapter_code.rl2.tabular_mdps import MDPTrials

ENV = BanditTrials(3, 6)
UPDATES = {
    "ppo": {},
    "ppo-kl-guard": {"kl_guard": 0.002, "lr": 0.02},
    "trpo": {"outer": "trpo", "value_net": "separate"},
    "ppo-wn-relu-gru": {"cell": "wn-relu-gru"},
    "ppo-kl-guard-separate-wn": {"kl_guard": 0.002, "lr": 0.02, "value_net": "separate",
                                 "cell": "wn-relu-gru"},
    "trpo-wn-relu-gru": {"outer": "trpo", "value_net": "separate", "cell": "wn-relu-gru"},
}


def small(**options):
    return PPOConfig(**{"iterations": 5, "tasks_per_batch": 8, "hidden": 8, "minibatches": 2,
                        **options})


def assert_same_run(resumed: RL2Training, whole: RL2Training):
    np.testing.assert_array_equal(resumed.curve, whole.curve)
    np.testing.assert_array_equal(resumed.guard_record, whole.guard_record)
    for (name, a), b in zip(resumed.policy.state_dict().items(),
                            whole.policy.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=name)
    assert resumed.rng.bit_generator.state == whole.rng.bit_generator.state


@pytest.mark.determinism
@pytest.mark.parametrize("update", UPDATES.values(), ids=UPDATES.keys())
def test_a_run_resumed_from_its_checkpoint_equals_the_uninterrupted_run(tmp_path, update):
    torch.set_num_threads(1)
    whole = train_rl2(ENV, small(**update))
    path = str(tmp_path / "run.pt")
    first = train_rl2(ENV, small(iterations=2, checkpoint=path, **update))
    assert first.iteration == 2
    again = train_rl2(ENV, small(iterations=2, checkpoint=path, **update))  # nothing to do
    assert again.seconds == first.seconds and again.iteration == 2
    resumed = train_rl2(ENV, small(checkpoint=path, checkpoint_every=3, **update))  # to 5
    assert_same_run(resumed, whole)
    assert resumed.seconds > first.seconds  # the time spent before the stop is kept
    assert resumed.commits == first.commits  # one version of the code ran it all
    if update.get("kl_guard"):
        assert resumed.guard_record.shape == (5, len(GUARD_RECORD))
    else:
        assert resumed.guard_record.shape == (0, len(GUARD_RECORD))


@pytest.mark.determinism
def test_a_run_killed_between_checkpoints_resumes_from_the_last_one(tmp_path, monkeypatch):
    torch.set_num_threads(1)
    whole = train_rl2(ENV, small())
    path = tmp_path / "run.pt"
    config = small(checkpoint=str(path), checkpoint_every=2)
    original = RL2Training.step

    def dies_in_the_fourth(self):
        if self.iteration == 3:
            raise KeyboardInterrupt
        original(self)

    monkeypatch.setattr(RL2Training, "step", dies_in_the_fourth)
    with pytest.raises(KeyboardInterrupt):
        train_rl2(ENV, config)
    monkeypatch.undo()
    saved = RL2Training(ENV, config)
    saved.load(path)
    assert saved.iteration == 2  # saved after iteration 2; iteration 3 was lost
    assert not path.with_name(path.name + ".partial").exists()
    assert_same_run(train_rl2(ENV, config), whole)


@pytest.mark.unit
def test_a_checkpoint_of_another_run_is_refused(tmp_path):
    path = str(tmp_path / "run.pt")
    train_rl2(ENV, small(iterations=2, checkpoint=path))
    with pytest.raises(ValueError, match="option lr=0.003, this run has 0.001"):
        train_rl2(ENV, small(checkpoint=path, lr=1e-3))
    with pytest.raises(ValueError, match="environment n_actions=3, this run has 4"):
        train_rl2(BanditTrials(4, 6), small(checkpoint=path))
    with pytest.raises(ValueError, match="iterations must be at least the checkpoint's 2"):
        train_rl2(ENV, small(iterations=1, checkpoint=path))
    mdp = str(tmp_path / "mdp.pt")
    train_rl2(MDPTrials(1, "uniform"), small(iterations=1, checkpoint=mdp))
    with pytest.raises(ValueError, match="environment start_rule='uniform', this run has 'fixed'"):
        train_rl2(MDPTrials(1, "fixed"), small(checkpoint=mdp))


@pytest.mark.unit
def test_a_checkpoint_resumed_by_other_code_warns_and_keeps_both_commits(tmp_path,
                                                                         monkeypatch):
    path = tmp_path / "nested" / "run.pt"  # the folder is made on the first save
    first = train_rl2(ENV, small(iterations=1, checkpoint=str(path)))
    monkeypatch.setattr("chapter_code.rl2.ppo.git_commit", lambda: "another")
    with pytest.warns(UserWarning, match="mixes the two"):
        resumed = train_rl2(ENV, small(iterations=2, checkpoint=str(path)))
    assert resumed.commits == [*first.commits, "another"]


@pytest.mark.unit
def test_read_checkpoint_reports_the_run_it_holds(tmp_path, monkeypatch):
    path = tmp_path / "run.pt"
    first = train_rl2(ENV, small(iterations=2, checkpoint=str(path), kl_guard=0.01))
    monkeypatch.setattr("chapter_code.rl2.ppo.git_commit", lambda: "another")
    with pytest.warns(UserWarning, match="mixes the two"):
        resumed = train_rl2(ENV, small(iterations=3, checkpoint=str(path), kl_guard=0.01))
    info = read_checkpoint(path)
    assert info.iterations == 3 and info.seconds == resumed.seconds > first.seconds
    assert info.commits == (*first.commits, "another")
    # every option but the run's length and its bookkeeping, as the run was configured
    assert info.options == {key: value for key, value in asdict(small(kl_guard=0.01)).items()
                            if key not in ("iterations", *results.bookkeeping(PPOConfig))}
    assert info.env == {"kind": "BanditTrials", "n_obs": 1, "n_actions": 3, "trial_length": 6}


@pytest.mark.unit
def test_a_run_resumed_by_other_code_is_saved_with_both_commits(tmp_path, monkeypatch):
    monkeypatch.setattr(results, "RESULTS_DIR", tmp_path)
    sizes = [f"--{key.replace('_', '-')}={value}"
             for key, value in experiments.get("rl2-mdp").fingerprint.items()]
    checkpoint = f"--checkpoint={tmp_path / 'run.pt'}"
    assert main(["run", "rl2-mdp", *sizes, "--iterations=1", checkpoint]) == 0
    first = read_checkpoint(tmp_path / "run.pt").commits
    monkeypatch.setattr("chapter_code.rl2.ppo.git_commit", lambda: "another")
    with pytest.warns(UserWarning, match="mixes the two"):
        assert main(["run", "rl2-mdp", *sizes, checkpoint, "--save-as", "resumed"]) == 0
    assert results.load("resumed").commits == (*first, "another")


@pytest.mark.unit
def test_the_checkpoint_options_are_checked():
    with pytest.raises(ValueError, match="checkpoint_every"):
        PPOConfig(checkpoint_every=0)
    with pytest.raises(TypeError, match="checkpoint"):
        PPOConfig(checkpoint=3)  # type: ignore[arg-type]


@pytest.mark.determinism
@pytest.mark.parametrize("name", ["rl2-bandit", "rl2-mdp"])
def test_an_experiment_with_a_checkpoint_saves_the_same_numbers(tmp_path, name):
    path = tmp_path / "run.pt"
    sizes = dict(experiments.get(name).fingerprint, kl_guard=0.01)
    plain = experiments.run(name, **sizes)
    checkpointed = experiments.run(name, **{**sizes, "checkpoint": str(path)})
    assert path.exists()
    assert plain.arrays.keys() == checkpointed.arrays.keys() >= {"curve", "guard"}
    for key, array in plain.arrays.items():
        np.testing.assert_array_equal(checkpointed.arrays[key], array, err_msg=key)
    assert plain.metrics["rl2"] == checkpointed.metrics["rl2"]
    # a run stopped after its first iteration and resumed saves the same numbers again
    path.unlink()
    experiments.run(name, **{**sizes, "iterations": 1, "checkpoint": str(path)})
    resumed = experiments.run(name, **{**sizes, "checkpoint": str(path)})
    for key, array in plain.arrays.items():
        np.testing.assert_array_equal(resumed.arrays[key], array, err_msg=key)
    # the reduced run standing for a saved one never reads or writes its checkpoint
    path.unlink()
    config = replace(experiments.get(name).config_type(**sizes), checkpoint=str(path))
    results.fingerprint(name, config)
    assert not path.exists()


@pytest.mark.unit
def test_a_saved_summary_keeps_no_bookkeeping_option(tmp_path):
    config = experiments.get("rl2-bandit").config_type(checkpoint="x.pt", checkpoint_every=3)
    results.save("run", config, {}, directory=tmp_path)
    stored = results.load("run", directory=tmp_path).config
    assert "checkpoint" not in stored and "checkpoint_every" not in stored and "lr" in stored
