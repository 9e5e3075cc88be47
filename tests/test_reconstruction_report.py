"""The shipped ensemble and seed scan are what the generator makes, and their summaries are
computed right."""

import warnings

import numpy as np
import pandas as pd
import pytest

from lcnec_utils import reconstruct
from lcnec_utils.contract.params import DATA_DIR
from lcnec_utils.reconstruct.report import ENSEMBLE_FILE, ensemble_spread, format_targets

ENSEMBLE = DATA_DIR / ENSEMBLE_FILE


@pytest.fixture(scope="module")
def targets_of_committed():
    cohort = pd.read_csv(DATA_DIR / reconstruct.COHORT_FILE)
    ae = pd.read_csv(DATA_DIR / reconstruct.AE_FILE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return reconstruct.evaluate_targets(cohort, ae)


def test_shipped_ensemble_has_200_distinct_members_meeting_the_exact_targets():
    table = pd.read_csv(ENSEMBLE)
    assert len(table) == 200
    assert table["cohort_sha1"].nunique() == 200
    assert table["exact_targets_met"].all()
    assert list(table["member"]) == list(range(200))


@pytest.mark.parametrize("member", [0, 137])
def test_shipped_ensemble_rows_are_what_the_generator_makes(member):
    table = pd.read_csv(ENSEMBLE).set_index("member")
    row = reconstruct.ensemble_member(
        member, reconstruct.DEFAULT_SEED, reconstruct.published_targets(), reconstruct.ENSEMBLE_BUDGET
    )
    assert row["cohort_sha1"] == table.loc[member, "cohort_sha1"]
    assert row["seed"] == table.loc[member, "seed"]
    for key in ("pfs.cox_multivariable.hr", "os.cox_multivariable.p", "pfs.logrank.p", "followup.median"):
        assert row[key] == pytest.approx(table.loc[member, key], rel=1e-9, abs=1e-12)


def test_ensemble_spread_by_hand():
    ensemble = pd.DataFrame(
        {"pfs.cox_multivariable.hr": [0.4, 0.5, 0.6, 0.7], "pfs.cox_multivariable.p": [0.01, 0.04, 0.06, 0.2]}
    )
    spread = ensemble_spread(ensemble, alpha=0.05)
    assert spread.results["reconstruction.ensemble.n"] == 4
    assert spread.results["reconstruction.ensemble.pfs.cox_multivariable.hr.median"] == pytest.approx(0.55)
    assert spread.results["reconstruction.ensemble.pfs.cox_multivariable.p.share_below_alpha"] == 0.5
    assert spread.glue["pfs_hr_min"] == (0.4, "{:.2f}") and spread.glue["pfs_share_sig"] == (0.5, "pct")
    assert spread.glue["os_hr_min"] == (None, "{:.2f}")  # OS not in this ensemble
    # the column names the level it counts at (a 90% build's chapter still counts p < 0.05)
    p_row = spread.table.set_index("Quantity").filter(like="share below").dropna()
    assert list(p_row.columns) == ["share below 0.05"] and "50%" in set(p_row["share below 0.05"])
    assert "share below 0.1" in ensemble_spread(ensemble, alpha=0.1).table.columns
    empty = ensemble_spread(None)
    assert empty.results == {"reconstruction.ensemble.n": 0} and empty.table.empty


def test_target_table_lists_missed_then_impossible_first():
    targets = pd.DataFrame(
        {
            "key": ["b", "a", "c"],
            "description": ["B", "A", "C"],
            "published": [1.0, 2.0, 3.0],
            "achieved": [1.0, np.nan, 3.5],
            "tolerance": [0.1, 0.1, 0.1],
            "status": ["met", "impossible", "missed"],
            "note": ["", "why", ""],
        }
    )
    printed = format_targets(targets)
    assert list(printed["Target"]) == ["c", "a", "b"]
    assert list(printed["Achieved"]) == ["3.5", "—", "1"]


def test_default_seed_is_the_first_eligible_seed_of_the_scan(targets_of_committed):
    """``data/lcnec_seed_scan.csv`` (``lcnec synth --scan N``): the default seed is the first
    scanned seed whose cohort misses no target outside Table 4's covariate terms but, at most, a
    CI bound of a Cox arm term, and keeps Table 4's conclusions (``default_seed_eligible``), and the scan's row for it is what the
    book's own code measures on the committed cohort."""
    from lcnec_utils.reconstruct.report import SCAN_FILE

    scan = pd.read_csv(DATA_DIR / SCAN_FILE, keep_default_na=False)
    assert list(scan.columns) == reconstruct.SCAN_COLUMNS
    assert scan["seed"].tolist() == list(range(reconstruct.SCAN_START, reconstruct.SCAN_START + len(scan)))
    total = scan["met"] + scan["impossible"] + scan["missed"] + scan["missed_table4"]
    assert (total == len(targets_of_committed)).all()
    eligible = scan.loc[
        [
            reconstruct.default_seed_eligible(m, c)
            for m, c in zip(scan["missed_targets"], scan["table4_conclusions"])
        ],
        "seed",
    ]
    assert eligible.iloc[0] == reconstruct.DEFAULT_SEED
    row = scan.set_index("seed").loc[reconstruct.DEFAULT_SEED]
    t = targets_of_committed.set_index("key")
    table4 = t.index.map(reconstruct.is_table4_covariate_key)
    missed = t.index[(t["status"] == "missed") & ~table4]
    status = t["status"].value_counts()
    assert (row["met"], row["impossible"], row["missed"], row["missed_table4"]) == (
        status.get("met", 0),
        status.get("impossible", 0),
        len(missed),
        int(((t["status"] == "missed") & table4).sum()),
    )
    assert row["missed_targets"].split() == list(missed)
    for key in ("os.cox_multivariable.ci_high", "pfs.cox_multivariable.p"):
        assert row[key] == pytest.approx(t.loc[key, "achieved"], abs=5e-5)
    assert row["table4_conclusions"] == reconstruct.table4_conclusions_hold(targets_of_committed)


def test_default_seed_rule_by_hand():
    assert reconstruct.default_seed_eligible("", True) and reconstruct.default_seed_eligible(
        float("nan"), True
    )
    assert reconstruct.default_seed_eligible("os.cox_multivariable.ci_high", True)
    assert reconstruct.default_seed_eligible(
        "pfs.cox_multivariable.ci_low os.cox_multivariable.ci_high", True
    )
    assert not reconstruct.default_seed_eligible("os.cox_multivariable.hr", True)
    assert not reconstruct.default_seed_eligible("os.cox_multivariable.ci_high os.logrank.p", True)
    assert not reconstruct.default_seed_eligible("os.cox_multivariable.age.ci_high", True)  # a Table 4 term


def test_seed_scan_summary_by_hand():
    from lcnec_utils.reconstruct.report import seed_scan

    scan = pd.DataFrame(
        {
            "seed": [7, 8, 9, 10],
            "met": [160, 161, 159, 161],
            "impossible": [6] * 4,
            "missed": [1, 0, 2, 0],
            "missed_targets": ["a", "", "a b", ""],
            "os.cox_multivariable.ci_high": [1.12, 1.109, 1.2, 1.1],
            "pfs.cox_multivariable.p": [0.04] * 4,
            "table4_conclusions": [True] * 4,
            "chosen_chain": [0, 1, 0, 0],
            "chain_violations": ["0.01 0.02"] * 4,
        }
    )
    s = seed_scan(scan, default_seed=8)
    assert s.glue["scan_n"][0] == 4 and s.glue["scan_start"][0] == 7 and s.glue["scan_good"][0] == 2
    assert s.glue["scan_eligible"][0] == 2 and s.glue["scan_default_rank"][0] == "the first"
    assert seed_scan(scan, default_seed=10).glue["scan_default_rank"][0] == "not the first"
    assert seed_scan(scan, default_seed=9).glue["scan_default_rank"][0] == "none"
    assert s.table["Seed"].tolist() == ["7", "8 (default)", "9", "10"]
    # a seed that misses only an arm term's CI bound may be the default; one missing an HR may not
    scan.loc[0, "missed_targets"] = "os.cox_multivariable.ci_high"
    scan.loc[2, "missed_targets"] = "os.cox_multivariable.hr os.cox_multivariable.ci_high"
    ci_only = seed_scan(scan, default_seed=7)
    assert ci_only.glue["scan_eligible"][0] == 3 and ci_only.glue["scan_default_rank"][0] == "the first"
    assert ci_only.glue["scan_os_bound_met"][0] == 2  # seeds 8 and 10
    scan.loc[3, "missed_targets"] = "os.cox_multivariable.hr"  # the bound met, the HR below its tolerance
    assert seed_scan(scan, default_seed=7).glue["scan_os_bound_met"][0] == 1
    assert seed_scan(scan, default_seed=8).glue["scan_default_rank"][0] == "not the first"
    # a seed whose cohort reverses one of Table 4's conclusions may not be the default
    scan["table4_conclusions"] = [False, True, True, True]
    s = seed_scan(scan, default_seed=8)
    assert s.glue["scan_conclusions"][0] == 3 and s.glue["scan_default_rank"][0] == "the first"
    assert s.table["Table 4 conclusions"].tolist() == ["not kept", "kept", "kept", "kept"]
    scan["table4_conclusions"] = [float("nan"), True, True, True]  # a blank cell keeps nothing
    assert seed_scan(scan, default_seed=8).glue["scan_conclusions"][0] == 3
    assert seed_scan(None, 8).table.empty and seed_scan(None, 8).glue["scan_n"][0] is None
