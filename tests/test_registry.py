"""Registry-sized synthetic cohorts: the draw follows the
data contract and the reconstruction's distributions, is fixed by its seed,
and the whole book builds on it with pages that stay readable. The
100,000-row build is in benchmarks/bench_build.py; here N = 2,000."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from lcnec_utils.cli import EXIT_OK, main
from lcnec_utils.contract.io import load_study
from lcnec_utils.contract.params import DEFAULT_COHORT
from lcnec_utils.methods import sampling as scale
from lcnec_utils.reconstruct import registry


def test_the_draw_is_fixed_by_its_seed(tmp_path):
    a = registry.write_registry(500, tmp_path / "a", seed=7)
    b = registry.write_registry(500, tmp_path / "b", seed=7)
    c = registry.write_registry(500, tmp_path / "c", seed=8)
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]
    assert a[0].read_bytes() != c[0].read_bytes()


def test_the_draw_follows_the_contract_and_the_reconstruction(tmp_path):
    cohort_path, ae_path = registry.write_registry(3000, tmp_path)
    study = load_study(cohort_path, ae_path, "Chemo", "ICIs + Chemo")
    cohort = study.cohort
    base = pd.read_csv(DEFAULT_COHORT)
    assert len(cohort) == 3000 and cohort["patient_id"].is_unique
    assert list(pd.read_csv(cohort_path, nrows=0).columns) == list(base.columns)
    share = (cohort["group"] == "ICIs + Chemo").mean()
    assert share == pytest.approx((base["group"] == "ICIs + Chemo").mean(), abs=0.01)
    assert (cohort["pfs_months"] <= cohort["os_months"]).all()
    assert (cohort["os_months"] > 0).all()
    # categorical columns only take values the reconstruction has
    for col in ("sex", "ecog", "chemo_regimen", "best_response", "met_liver"):
        assert set(cohort[col].dropna().astype(str)) <= set(base[col].dropna().astype(str)), col
    # the arms keep their order of survival (the treatment arm lives longer in the reconstruction)
    med = cohort.groupby("group")["os_months"].median()
    assert med["ICIs + Chemo"] > med["Chemo"]
    # adverse events only for treatment-arm rows, as in the reconstruction
    treated = set(cohort.loc[cohort["group"] == "ICIs + Chemo", "patient_id"])
    assert set(study.adverse_events["patient_id"]) <= treated
    assert not any(i.startswith("SYN-") for i in cohort["patient_id"])


def test_piecewise_hazards_recover_an_exponential():
    rng = np.random.default_rng(1)
    t = rng.exponential(10.0, 200_000)
    h = registry.piecewise_hazards(t, np.ones_like(t, dtype=int))
    assert h == pytest.approx(np.full(len(h), 0.1), rel=0.03)
    draws = registry.draw_piecewise(rng, np.full(4, 0.1), 200_000)
    assert draws.mean() == pytest.approx(10.0, rel=0.02)


def test_large_n_branches_leave_the_book_alone():
    small = pd.read_csv(DEFAULT_COHORT)
    assert scale.sample_rows(small, what="x") is small
    assert scale.bootstrap_plan(small, 1000, 1) == (small, 1000)
    big = pd.concat([small] * 200, ignore_index=True)  # 6,200 rows
    sample = scale.sample_rows(big, 5000, 3, "group")
    assert len(sample) == 5000
    assert (sample["group"] == "Chemo").mean() == pytest.approx((big["group"] == "Chemo").mean(), abs=0.001)
    rows, b = scale.bootstrap_plan(big, 1000, 3)
    assert b == scale.BOOTSTRAP_RESAMPLES and len(rows) * b <= scale.BOOTSTRAP_CELLS * 1.01


@pytest.mark.book
def test_the_book_builds_on_a_registry_and_its_pages_stay_readable(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LCNEC_CACHE_DIR", str(tmp_path / "cache"))
    assert main(["synth", "--registry", "2000", "--out", str(tmp_path / "reg")]) == EXIT_OK
    data = tmp_path / "reg" / "registry_n2000_cohort.csv"
    ae = tmp_path / "reg" / "registry_n2000_adverse_events.csv"
    out = tmp_path / "build"
    assert main(["build", "--data", str(data), "--ae", str(ae), "--out", str(out)]) == EXIT_OK
    results = json.loads((out / "results.json").read_text())
    assert results["n.total"] == 2000
    assert results["os.cox_univariable.hr"] is not None
    ids = set(pd.read_csv(data)["patient_id"])
    pages = sorted((out / "html" / "notebooks").glob("*.html"))
    assert pages
    for page in pages:
        text = page.read_text()
        # aggregated tables: no table lists the patients (the audit's list of its ~450
        # consistency checks is the longest table, whatever the cohort's size)
        rows = [len(re.findall(r"<tr", t)) for t in re.findall(r"<table.*?</table>", text, flags=re.S)]
        assert max(rows, default=0) < 1000, (page.name, max(rows))
        assert not any(i in text for i in list(ids)[:200]), page.name
        assert "Traceback (most recent call last)" not in text, page.name
    survival = (out / "html" / "notebooks" / "04_survival.html").read_text()
    assert re.search(r"<img [^>]*src=\"[^\"]+\.png\"", survival)
