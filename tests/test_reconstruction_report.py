"""The shipped ensemble is what the generator makes, and its summary is computed right."""

import numpy as np
import pandas as pd
import pytest

from lcnec_utils import reconstruct
from lcnec_utils.params import DATA_DIR
from lcnec_utils.reconstruction_report import ENSEMBLE_FILE, ensemble_spread, format_targets

ENSEMBLE = DATA_DIR / ENSEMBLE_FILE


def test_shipped_ensemble_has_200_distinct_members_meeting_the_exact_targets():
    table = pd.read_csv(ENSEMBLE)
    assert len(table) == 200
    assert table["cohort_sha1"].nunique() == 200
    assert table["exact_targets_met"].all()
    assert list(table["member"]) == list(range(200))


@pytest.mark.parametrize("member", [0, 137])
def test_shipped_ensemble_rows_are_what_the_generator_makes(member):
    table = pd.read_csv(ENSEMBLE).set_index("member")
    row = reconstruct._ensemble_member(
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
    empty = ensemble_spread(None)
    assert empty.results == {"reconstruction.ensemble.n": 0} and empty.table.empty


def test_target_table_lists_missed_then_impossible_first():
    targets = pd.DataFrame(
        {"key": ["b", "a", "c"], "description": ["B", "A", "C"], "published": [1.0, 2.0, 3.0],
         "achieved": [1.0, np.nan, 3.5], "tolerance": [0.1, 0.1, 0.1],
         "status": ["met", "impossible", "missed"], "note": ["", "why", ""]}
    )
    printed = format_targets(targets)
    assert list(printed["Target"]) == ["c", "a", "b"]
    assert list(printed["Achieved"]) == ["3.5", "—", "1"]
