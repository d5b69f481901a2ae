"""The paper's Tables 1 and 2 and the comparison tables built from saved runs: transcription
checked against what the task priors imply, table entries and z-scores against hand-written
strings and the z formula computed here, on hand-built runs."""

import math

import numpy as np
import pytest

from chapter_code import results
from chapter_code.experiments.bandit_baselines import BASELINES as BANDIT_BASELINES
from chapter_code.experiments.mdp_baselines import BASELINES as MDP_BASELINES
from chapter_code.results import Summary
from chapter_code.rl2 import (
    BANDIT_COLUMNS,
    EVALUATION_OPTIONS,
    MDP_COLUMNS,
    PAPER_BANDITS,
    PAPER_MDPS,
    bandit_row,
    bandit_table,
    bayes_optimal_value,
    claim_rows,
    mdp_row,
    mdp_table,
    paired_curve_gap,
    random_to_greedy,
    rl2_difference,
    same_evaluation,
    saved_run,
    table_entry,
    z_scores,
)


def fake_run(metrics):
    return Summary(name="fake", config={}, metrics=metrics, arrays={}, version="0")


def baseline_run(names, means, stderrs, **extra):
    return fake_run({**dict(zip(names, means, strict=True)),
                     "stderr": dict(zip(names, stderrs, strict=True)), **extra})


def rl2_run(mean, stderr):
    return fake_run({"rl2": mean, "stderr": stderr})


def z_by_hand(ours, se, paper):
    """The distance in standard errors widened by the paper's rounding to 0.1 (half-width
    0.05), written out."""
    return (ours - paper) / math.sqrt(se**2 + 0.05**2)


# ----- the transcribed tables -------------------------------------------------------------


@pytest.mark.unit
def test_paper_tables_have_every_cell_and_method_of_the_paper():
    assert set(PAPER_BANDITS) == {(n, k) for n in (10, 100, 500) for k in (5, 10, 50)}
    assert set(PAPER_MDPS) == {10, 25, 50, 75, 100}
    assert all(tuple(row) == BANDIT_COLUMNS for row in PAPER_BANDITS.values())
    assert all(tuple(row) == MDP_COLUMNS for row in PAPER_MDPS.values())


@pytest.mark.unit
def test_the_tables_methods_are_the_experiments_baselines_and_rl2():
    assert BANDIT_COLUMNS == (*BANDIT_BASELINES, "rl2")
    assert MDP_COLUMNS == (*MDP_BASELINES, "rl2")


@pytest.mark.unit
def test_random_columns_match_what_the_priors_imply():
    # a random arm pays mu ~ U(0, 1): n / 2 per trial; a random MDP step pays N(mu, 1) with
    # mu ~ N(1, 1): 1 per step, 10 steps per episode
    for (n, _), row in PAPER_BANDITS.items():
        assert row["random"] == pytest.approx(n / 2, rel=0.025)
    for n, row in PAPER_MDPS.items():
        assert row["random"] == pytest.approx(10 * n, rel=0.01)


@pytest.mark.unit
def test_no_method_beats_the_bayes_optimal_value_beyond_rounding():
    ceiling = bayes_optimal_value(5, 10)
    assert all(value <= ceiling + 0.05 for value in PAPER_BANDITS[(10, 5)].values())


# ----- entries and rows -------------------------------------------------------------------


@pytest.mark.unit
def test_table_entry_formats_ours_and_prints_the_paper_as_given():
    assert table_entry(6.657, 0.0312, 6.6, 2) == "6.66 ± 0.03 (6.6)"
    assert table_entry(1955.24, 10.21, 1939.5, 1) == "1955.2 ± 10.2 (1939.5)"
    assert table_entry(7.4, 0.6, 5, 0) == "7 ± 1 (5)"


@pytest.mark.unit
def test_table_entry_rejects_bad_arguments():
    with pytest.raises(ValueError, match="digits"):
        table_entry(1.0, 0.1, 1.0, -1)
    with pytest.raises(TypeError, match="digits"):
        table_entry(1.0, 0.1, 1.0, 1.5)
    with pytest.raises(ValueError, match="se"):
        table_entry(1.0, -0.1, 1.0, 1)
    with pytest.raises(ValueError, match="mean"):
        table_entry(float("nan"), 0.1, 1.0, 1)
    with pytest.raises(TypeError, match="paper"):
        table_entry(1.0, 0.1, "6.6", 1)


@pytest.mark.unit
def test_bandit_row_uses_two_decimals_at_ten_pulls_and_says_when_rl2_is_missing():
    names = BANDIT_COLUMNS[:-1]
    run = baseline_run(names, [5.012, 6.657, 5.8, 6.43, 6.67, 6.64, 6.66],
                       [0.031, 0.0312, 0.03, 0.03, 0.03, 0.03, 0.03])
    row = bandit_row((10, 5), run, None)
    assert list(row) == list(BANDIT_COLUMNS)
    assert row["random"] == "5.01 ± 0.03 (5.0)"
    assert row["gittins"] == "6.66 ± 0.03 (6.6)"
    assert row["rl2"] == "not trained yet (6.7)"
    trained = bandit_row((10, 5), run, rl2_run(6.594, 0.048))
    assert trained["rl2"] == "6.59 ± 0.05 (6.7)"
    assert {k: v for k, v in trained.items() if k != "rl2"} == \
        {k: v for k, v in row.items() if k != "rl2"}


@pytest.mark.unit
def test_bandit_row_uses_one_decimal_beyond_ten_pulls():
    names = BANDIT_COLUMNS[:-1]
    run = baseline_run(names, [50.0, 78.8, 75.06, 77.6, 78.4, 75.8, 75.9], [0.21] * 7)
    row = bandit_row((100, 5), run, rl2_run(76.37, 0.40))
    assert row["ts"] == "75.1 ± 0.2 (74.7)"
    assert row["rl2"] == "76.4 ± 0.4 (78.7)"


@pytest.mark.unit
def test_mdp_row_adds_the_oracle_and_the_missing_rl2_text():
    names = MDP_COLUMNS[:-1]
    run = baseline_run(names, [506.8, 906.4, 915.1, 888.0, 977.1, 821.0, 780.04],
                       [3.5, 5.1, 5.1, 5.1, 5.2, 4.8, 5.7], oracle=1097.24)
    row = mdp_row(50, run, None)
    assert list(row) == [*MDP_COLUMNS, "oracle"]
    assert row["greedy"] == "780.0 ± 5.7 (769.3)"
    assert row["rl2"] == "not trained yet (936.1)"
    assert row["oracle"] == "1097.2"
    assert mdp_row(50, run, rl2_run(900.06, 4.44))["rl2"] == "900.1 ± 4.4 (936.1)"


@pytest.mark.unit
def test_rows_reject_unknown_cells_and_incomplete_runs():
    names = BANDIT_COLUMNS[:-1]
    run = baseline_run(names, [1.0] * 7, [0.1] * 7)
    with pytest.raises(ValueError, match="cell"):
        bandit_row((10, 3), run, None)
    with pytest.raises(ValueError, match="cell"):
        bandit_row([10, 5], run, None)
    with pytest.raises(TypeError, match="run"):
        bandit_row((10, 5), None, None)
    partial = baseline_run(names[:-1], [1.0] * 6, [0.1] * 6)
    with pytest.raises(ValueError, match="missing \\['greedy'\\]"):
        bandit_row((10, 5), partial, None)
    with pytest.raises(ValueError, match="rl2_run"):
        bandit_row((10, 5), run, fake_run({"stderr": 0.1}))
    mdp_names = MDP_COLUMNS[:-1]
    no_oracle = baseline_run(mdp_names, [1.0] * 7, [0.1] * 7)
    with pytest.raises(ValueError, match="oracle"):
        mdp_row(10, no_oracle, None)
    with pytest.raises(ValueError, match="n must be one of"):
        mdp_row(20, no_oracle, None)


# ----- whole tables -----------------------------------------------------------------------


@pytest.mark.unit
def test_bandit_table_labels_rows_and_columns_like_the_paper():
    names = BANDIT_COLUMNS[:-1]
    runs = {(10, 5): baseline_run(names, [5.0] * 7, [0.03] * 7),
            (500, 50): baseline_run(names, [250.2] * 7, [0.5] * 7)}
    table = bandit_table(runs, {(10, 5): rl2_run(6.594, 0.048)})
    assert list(table.index) == ["n=10, k=5", "n=500, k=50"]
    assert list(table.columns) == ["Random", "Gittins", "TS", "OTS", "UCB1", "ε-greedy",
                                   "greedy", "RL²"]
    assert table.loc["n=10, k=5", "RL²"] == "6.59 ± 0.05 (6.7)"
    assert table.loc["n=500, k=50", "RL²"] == "not trained yet (438.9)"
    assert table.loc["n=500, k=50", "OTS"] == "250.2 ± 0.5 (437.6)"


@pytest.mark.unit
def test_mdp_table_labels_rows_and_columns_like_the_paper():
    names = MDP_COLUMNS[:-1]
    runs = {10: baseline_run(names, [99.3] * 7, [0.6] * 7, oracle=217.5),
            25: baseline_run(names, [248.1] * 7, [1.3] * 7, oracle=543.7)}
    table = mdp_table(runs, {10: None})
    assert list(table.index) == ["n=10", "n=25"]
    assert list(table.columns) == ["Random", "PSRL", "OPSRL", "UCRL2", "BEB", "ε-greedy",
                                   "greedy", "RL²", "oracle"]
    assert table.loc["n=25", "BEB"] == "248.1 ± 1.3 (427.8)"
    assert list(table["RL²"]) == ["not trained yet (156.2)", "not trained yet (445.7)"]
    assert list(table["oracle"]) == ["217.5", "543.7"]


@pytest.mark.unit
def test_z_scores_are_the_distance_in_widened_standard_errors():
    names = BANDIT_COLUMNS[:-1]
    means, stderrs = [5.2, 6.9, 5.5, 6.0, 6.7, 6.6, 6.4], [0.03, 0.04, 0.1, 0.0, 0.2, 0.03, 0.05]
    runs = {(10, 10): baseline_run(names, means, stderrs)}
    z = z_scores(runs, PAPER_BANDITS, names)
    assert list(z.index) == [(10, 10)] and list(z.columns) == list(names)
    paper = [5.0, 6.6, 5.5, 6.2, 6.7, 6.6, 6.6]  # Table 1, n = 10, k = 10
    for name, ours, se, reported in zip(names, means, stderrs, paper, strict=True):
        assert z.loc[(10, 10), name] == pytest.approx(z_by_hand(ours, se, reported), rel=1e-12)
    assert z.loc[(10, 10), "ots"] == pytest.approx(-4.0)  # 0.2 below, se 0: 0.2 / 0.05


@pytest.mark.unit
def test_z_scores_reject_cells_the_paper_does_not_have():
    names = MDP_COLUMNS[:-1]
    with pytest.raises(ValueError, match="runs"):
        z_scores({20: baseline_run(names, [1.0] * 7, [0.1] * 7)}, PAPER_MDPS, names)


@pytest.mark.unit
def test_claim_rows_list_every_baseline_of_both_tables():
    bandit_names, mdp_names = BANDIT_COLUMNS[:-1], MDP_COLUMNS[:-1]
    bandits = {(100, 50): baseline_run(bandit_names, [50.0, 85.4, 64.4, 67.4, 84.6, 80.1, 80.2],
                                       [0.1, 0.1, 0.1, 0.1, 0.1, 0.2, 0.2])}
    mdps = {75: baseline_run(mdp_names, [760.1] * 7, [5.1] * 7, oracle=1645.8)}
    claims = claim_rows(bandits, mdps)
    assert list(claims.columns) == ["table", "cell", "method", "ours", "se", "paper"]
    assert len(claims) == len(bandit_names) + len(mdp_names)
    assert list(claims["method"]) == [*bandit_names, *mdp_names]
    assert tuple(claims.iloc[3]) == ("bandits", "n=100, k=50", "ots", 67.4, 0.1, 67.7)
    assert tuple(claims.iloc[-1]) == ("MDPs", "n=75", "greedy", 760.1, 5.1, 1172.9)
    with pytest.raises(ValueError, match="mdp_runs"):
        claim_rows(bandits, {80: mdps[75]})


# ----- saved runs -------------------------------------------------------------------------


@pytest.mark.unit
def test_saved_run_loads_a_saved_summary_and_gives_none_for_a_missing_one(tmp_path):
    results.save("rl2-bandit-k5-n10", {"arms": 5}, {"rl2": 6.5, "stderr": 0.05},
                 directory=tmp_path)
    run = saved_run("rl2-bandit-k5-n10", tmp_path)
    assert run is not None and run.metrics == {"rl2": 6.5, "stderr": 0.05}
    assert saved_run("rl2-bandit-k5-n500", tmp_path) is None
    assert bandit_row((10, 5), baseline_run(BANDIT_COLUMNS[:-1], [5.0] * 7, [0.03] * 7),
                      run)["rl2"] == "6.50 ± 0.05 (6.7)"


@pytest.mark.unit
def test_rl2_difference_is_the_gap_with_the_standard_error_of_independent_runs():
    diff, se = rl2_difference(rl2_run(81.9, 0.3), rl2_run(78.9, 0.4))
    assert diff == pytest.approx(3.0) and se == pytest.approx(0.5)  # a 3-4-5 triangle
    assert rl2_difference(rl2_run(78.9, 0.4), rl2_run(81.9, 0.3)) == (pytest.approx(-3.0), se)
    with pytest.raises(ValueError, match="reference"):
        rl2_difference(rl2_run(1.0, 0.1), fake_run({"rl2": 1.0}))


def scored_run(totals, seed=0, arms=5, best_arm=None, experiment="rl2-bandit"):
    """A saved bandit RL² run holding its per-task totals, as the rl2-bandit experiment saves."""
    totals = np.asarray(totals, dtype=float)
    arrays = {"totals": totals} | ({} if best_arm is None else {"best_arm": np.asarray(best_arm)})
    return Summary(name="fake", version="0", experiment=experiment, arrays=arrays,
                   config={"seed": seed, "eval_trials": totals.size, "arms": arms, "pulls": 10},
                   metrics={"rl2": float(totals.mean()),
                            "stderr": float(totals.std(ddof=1) / math.sqrt(totals.size))})


@pytest.mark.unit
def test_runs_scored_on_the_same_tasks_are_paired_task_by_task():
    ours, theirs = [7.0, 5.0, 9.0, 4.0], [6.0, 5.0, 7.0, 4.0]
    diff, se = rl2_difference(scored_run(ours), scored_run(theirs))
    # d = (1, 0, 2, 0): mean 3/4, sample variance (1/16 + 9/16 + 25/16 + 9/16) / 3 = 11/12
    assert diff == pytest.approx(0.75)
    assert se == pytest.approx(math.sqrt(11 / 12 / 4))
    assert same_evaluation(scored_run(ours), scored_run(theirs))
    # unpaired, the same totals give the wider √(se² + se_ref²)
    independent = math.hypot(*(np.std(t, ddof=1) / 2 for t in (ours, theirs)))
    assert se < independent


@pytest.mark.unit
@pytest.mark.parametrize("other", [
    {"seed": 1}, {"arms": 10}, {"experiment": "rl2-mdp"}])
def test_runs_scored_on_different_tasks_are_independent(other):
    ours, theirs = [7.0, 5.0, 9.0, 4.0], [6.0, 5.0, 7.0, 4.0]
    run, reference = scored_run(ours), scored_run(theirs, **other)
    assert not same_evaluation(run, reference)
    assert rl2_difference(run, reference)[1] == pytest.approx(
        math.hypot(run.metrics["stderr"], reference.metrics["stderr"]))


@pytest.mark.unit
def test_the_same_options_but_different_bandits_raise():
    with pytest.raises(ValueError, match="best arms"):
        rl2_difference(scored_run([1.0, 2.0], best_arm=[0, 3]),
                       scored_run([1.0, 3.0], best_arm=[0, 4]))


@pytest.mark.unit
def test_saved_bandit_runs_with_the_same_evaluation_options_saved_the_same_bandits():
    """The premise of pairing, checked on the saved runs: runs that share their evaluation
    options were scored on bandits with the same best arms (the first 500 tasks)."""
    runs = [results.load(path.stem)
            for path in sorted(results.RESULTS_DIR.glob("rl2-bandit-k*.json"))]
    groups: dict[tuple, list] = {}
    for run in runs:
        groups.setdefault(tuple(run.config.get(k) for k in EVALUATION_OPTIONS), []).append(run)
    pairs = [(group[0], run) for group in groups.values() for run in group[1:]]
    assert len(pairs) > 20
    for first, run in pairs:
        assert same_evaluation(first, run)
        assert np.array_equal(first.arrays["best_arm"], run.arrays["best_arm"])


@pytest.mark.unit
def test_random_to_greedy_is_zero_at_random_and_one_at_greedy():
    base = baseline_run(("random", "greedy"), (100.0, 140.0), (1.0, 1.0))
    assert [random_to_greedy(s, base) for s in (100.0, 140.0, 110.0, 90.0)] == \
        [0.0, 1.0, 0.25, -0.25]
    with pytest.raises(ValueError, match="greedy"):
        random_to_greedy(110.0, baseline_run(("random",), (100.0,), (1.0,)))


@pytest.mark.unit
def test_paired_curve_gap_subtracts_curves_of_runs_trained_on_the_same_trials():
    config = {"seed": 0, "tasks_per_batch": 8, "arms": 5, "pulls": 10}

    def trained(curve, **changes):
        return Summary(name="fake", version="0", experiment="rl2-bandit", metrics={},
                       config=config | changes, arrays={"curve": np.asarray(curve)})

    gap = paired_curve_gap(trained([1.0, 2.0, 4.0], lr=0.1), trained([1.5, 2.0]))
    np.testing.assert_array_equal(gap, [-0.5, 0.0])  # over the iterations both made
    for changes in ({"seed": 1}, {"tasks_per_batch": 16}, {"arms": 10}):
        with pytest.raises(ValueError, match="pair"):
            paired_curve_gap(trained([1.0], **changes), trained([1.0]))
