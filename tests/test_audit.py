"""The reproduction audit: each consistency routine on constructed cases with a
known answer, the audit's statuses on a constructed results dict, and
`lcnec audit`'s exit status."""

import copy
import json
import math
from fractions import Fraction

import nbformat
import pytest
from scipy import stats

from lcnec_utils import audit
from lcnec_utils.audit import consistency as cs
from lcnec_utils.contract.params import DEFAULT_COHORT
from lcnec_utils.contract.published import load_published
from lcnec_utils.contract.results_keys import load_results_keys
from lcnec_utils.stats.attainable import (
    KM_ENUMERATION_MAX_N,
    binary_term_min_ci_ratio,
    binary_term_min_p,
    binary_term_min_se,
    events_per_variable,
    km_rate_attainable,
    km_reachable_values,
)

# --------------------------------------------------------------------------
# consistency routines on cases with known answers
# --------------------------------------------------------------------------


def test_percent_attainable():
    assert cs.percent_attainable(28.6, 14, 1) == [4]
    assert cs.percent_attainable(42.9, 17, 1) == []  # 7/17 = 41.2, 8/17 = 47.1
    assert cs.percent_attainable(42.9, 14, 1) == [6]
    assert cs.percent_attainable(28.56, 14, 2) == []  # 4/14 = 28.571...
    assert cs.percent_attainable(14.28, 14, 2) == []  # rounds to 14.29
    assert cs.percent_attainable(14.28, 14, 2, mode="truncate") == [2]
    assert cs.percent_attainable(12.5, 8, 0) == [1]  # a tie rounds half-up
    assert cs.percent_attainable(0.0, 17, 1) == [0]


def test_grim_and_totals():
    assert cs.grim_attainable(70.4, 14, 1) == [985, 986]
    assert cs.grim_attainable(5.19, 28, 2) == []  # Brown and Heathers' kind of example
    assert cs.total_matches_groups(28, [13, 15])
    assert not cs.total_matches_groups(27, [13, 15])


def test_fisher_recheck_reproduces_and_rejects():
    r = cs.fisher_recheck(7, 14, 5, 17, printed_p=0.288, decimals=3)
    assert r["fisher"] == pytest.approx(0.28831, abs=1e-5)
    assert r["matches"]["fisher"] == "rounded"
    r = cs.fisher_recheck(7, 14, 5, 17, printed_p=0.285, decimals=3)
    assert r["matches"] == {"fisher": None, "chi2": None, "yates": None}
    # a p that Pearson's chi-squared gives and Fisher's does not
    chi2 = stats.chi2_contingency([[7, 7], [5, 12]], correction=False)[1]
    r = cs.fisher_recheck(7, 14, 5, 17, printed_p=round(chi2, 3), decimals=3)
    assert r["matches"]["chi2"] == "rounded" and r["matches"]["fisher"] is None
    # 12/14 vs 10/17: Fisher 0.13166 prints as 0.132 rounded and as 0.131 truncated
    assert cs.fisher_recheck(12, 14, 10, 17, 0.131)["matches"]["fisher"] == "truncated"
    assert cs.fisher_recheck(12, 14, 10, 17, 0.132)["matches"]["fisher"] == "rounded"


def test_t_test_from_summary_brackets_the_exact_p():
    s = cs.t_test_from_summary(70.4, 7.01, 14, 64.1, 8.63, 17, equal_var=True)
    exact = stats.ttest_ind_from_stats(70.4, 7.01, 14, 64.1, 8.63, 17, equal_var=True).pvalue
    assert s["p"] == pytest.approx(exact)
    assert s["p_min"] < exact < s["p_max"]
    assert 0.030 < s["p_min"] < 0.034 < s["p_max"] < 0.040
    w = cs.t_test_from_summary(70.4, 7.01, 14, 64.1, 8.63, 17, equal_var=False)
    assert w["p"] < s["p"]  # Welch's is smaller here
    assert w["p_min"] <= 0.034 <= w["p_max"]
    # identical printed groups: p reaches 1
    same = cs.t_test_from_summary(60.0, 5.0, 10, 60.0, 5.0, 10)
    assert same["p_max"] == pytest.approx(1.0)


def test_combined_mean_sd():
    m, _s = cs.combined_mean_sd(70.4, 7.01, 14, 64.1, 8.63, 17)
    assert m == pytest.approx((14 * 70.4 + 17 * 64.1) / 31)
    # against the SD of an explicit sample with those group moments
    import numpy as np

    a = np.array([1.0, 2.0, 3.0, 6.0])
    b = np.array([10.0, 11.0, 15.0])
    m2, s2 = cs.combined_mean_sd(a.mean(), a.std(ddof=1), 4, b.mean(), b.std(ddof=1), 3)
    both = np.concatenate([a, b])
    assert (m2, s2) == pytest.approx((both.mean(), both.std(ddof=1)))


def test_hr_ci_p_coherence():
    ok = cs.hr_ci_p_coherence(0.51, 0.28, 0.92, 0.026)
    assert ok["coherent"] and ok["symmetric"]
    assert ok["se"] == pytest.approx((math.log(0.92) - math.log(0.28)) / (2 * 1.959964), rel=1e-5)
    assert ok["p_from_ci"] == pytest.approx(0.027, abs=0.002)
    bad = cs.hr_ci_p_coherence(0.51, 0.28, 0.92, 0.26)
    assert not bad["coherent"] and not bad["p_coherent"]
    # a CI not centred on log HR (0.51 with 0.40-0.92)
    asym = cs.hr_ci_p_coherence(0.51, 0.40, 0.92, 0.10)
    assert not asym["symmetric"] and not asym["coherent"]
    # HR 1 with any CI allows p up to 1
    assert cs.hr_ci_p_coherence(1.00, 0.50, 2.00, 0.99)["coherent"]


def test_binary_term_bounds():
    assert binary_term_min_se(31) == pytest.approx(2 / math.sqrt(31))
    assert binary_term_min_ci_ratio(31) == pytest.approx(math.exp(2 * 1.959964 * 2 / math.sqrt(31)), rel=1e-6)
    assert round(binary_term_min_ci_ratio(31), 2) == 4.09
    # HR 0.51 on 31 events: |log 0.505| / 0.359 = 1.90 -> p >= 0.057
    assert binary_term_min_p(0.51, 31) == pytest.approx(0.057, abs=0.001)
    # more events, narrower CIs
    assert binary_term_min_ci_ratio(100) < binary_term_min_ci_ratio(31)


def test_events_per_variable():
    assert events_per_variable(28, 12) == pytest.approx(2.333, abs=1e-3)
    assert events_per_variable(120, 12) == 10
    assert events_per_variable(31, 0) is None


def test_km_rate_attainable_without_censoring_is_k_over_n():
    for k in range(15):
        pct = round(100 * k / 14 + 1e-12, 1)
        hits = km_rate_attainable(pct, 14, 1)
        assert Fraction(k, 14) in [v for v, _ in hits]
        assert all(c == 0 for _, c in hits)
    assert km_rate_attainable(54.5, 14, 1) == []
    assert km_rate_attainable(50.0, 17, 1) == []


def test_km_rate_attainable_with_censoring():
    v, c = km_rate_attainable(54.5, 14, 1, censoring=True)[0]
    assert c == 1 and abs(float(v) - 0.545) < 0.0005  # e.g. 3 censored, 5 events of 11 -> 6/11
    assert km_rate_attainable(50.0, 17, 1, censoring=True)[0] == (Fraction(1, 2), 1)
    # k/n values need no censoring
    assert km_rate_attainable(42.9, 14, 1, censoring=True)[0] == (Fraction(3, 7), 0)
    # n = 2: the curve takes only 1, 1/2 and 0 (censoring changes nothing)
    assert set(km_reachable_values(2)) == {Fraction(1), Fraction(1, 2), Fraction(0)}
    # n = 3: 1, 2/3, 1/3, 0 and, after one censoring, 1/2
    assert set(km_reachable_values(3)) == {
        Fraction(1),
        Fraction(2, 3),
        Fraction(1, 3),
        Fraction(0),
        Fraction(1, 2),
    }
    assert km_reachable_values(3)[Fraction(1, 2)] == 1
    with pytest.raises(ValueError):
        km_reachable_values(KM_ENUMERATION_MAX_N + 1)


def test_median_ci_symmetry_and_logrank_bound():
    assert cs.median_ci_symmetric(6.0, 4.3, 7.7)["symmetric"]
    assert not cs.median_ci_symmetric(10.5, 7.6, 12.4)["symmetric"]
    assert cs.median_ci_symmetric(11.0, 9.3, 12.6)["symmetric"]  # midpoint 10.95 at rounding
    # equal medians give no evidence
    assert cs.logrank_p_bound_from_medians(10, 10, 14, 17) == pytest.approx(1.0)


# --------------------------------------------------------------------------
# the paper's findings
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def findings():
    return cs.paper_consistency()


def _find(findings, check, text):
    hits = [f for f in findings if f.check == check and text in f.what]
    assert hits, (check, text)
    return hits


def test_paper_findings_cover_the_known_problems(findings):
    by_key = {k for f in findings if f.paper_wrong for k in f.keys}  # printings shown wrong
    # every check produces rows; ids are unique
    assert len({f.id for f in findings}) == len(findings)
    assert {f.check for f in findings} == set(cs.CHECKS)
    assert "baseline.ecog_0_1.n.total" in by_key  # 13 + 15 != 27
    for key in ("baseline.sex.p", "baseline.met_intrapulmonary.p", "response.orr.p", "response.dcr.p"):
        assert key in by_key, key
    assert "baseline.smoking.p" not in by_key
    assert "safety.irae_any.treatment" in by_key  # 28.56% of 14
    assert "os.rate_12m.treatment@text-3.3" in by_key  # 78.8 vs 54.5
    assert "pfs.cox_multivariable.p" in by_key  # CI too narrow for a 0/1 term
    assert "pfs.median_ci_low.treatment" in by_key  # asymmetric SPSS CI
    age = next(f for f in findings if f.what.startswith("age p-value"))
    assert age.severity == "none"
    ecog = _find(findings, "hazard_ratio", "PS scores")
    assert any("coding" in f.what for f in ecog)
    epv = _find(findings, "model_size", "PFS")[0]
    assert epv.severity == "high" and "2.58" in epv.reported
    text = _find(findings, "text", "No significant differences")[0]
    assert text.severity == "medium" and "baseline.age.p" in text.keys


def test_every_finding_has_the_required_fields(findings):
    for f in findings:
        d = f.as_dict()
        for field in ("what", "where", "expected", "reported", "severity", "explanation"):
            assert isinstance(d[field], str) and d[field], (f.id, field)
        assert f.severity in cs.SEVERITIES


# --------------------------------------------------------------------------
# published vs reproduced
# --------------------------------------------------------------------------


def _results_from_published():
    """A results dict that reproduces every printed number (percent as proportions)."""
    keys = load_results_keys()
    results = {k: None for k in keys}
    n = {"total": 31, "treatment": 14, "reference": 17}
    for e in load_published():
        if e.get("variant") or e["value"] is None:
            continue
        v = float(e["value"])
        if e["unit"] == "percent":
            # a proportion of whole patients, as the book computes it (4/14 for the 28.56% of irAEs)
            ks = cs.percent_attainable(v, n[e["key"].rsplit(".", 1)[1]], int(e["decimals"]))
            arm_n = n[e["key"].rsplit(".", 1)[1]]
            if e["key"] == "safety.irae_any.treatment":
                ks = [4]
            results[e["key"]] = ks[0] / arm_n if ks and ".rate_" not in e["key"] else v / 100
        else:
            results[e["key"]] = v
    results.pop("flow.screened", None)
    return results


def test_audit_statuses_on_a_results_dict():
    results = _results_from_published()
    results["response.orr.p"] = 0.28831  # what Fisher gives on 7/14 vs 5/17
    results["baseline.ecog_0_1.n.total"] = 28
    results["baseline.ecog_0_1.pct.total"] = 28 / 31
    results["n.treatment"] = 14
    results["baseline.age.mean.treatment"] = 70.43  # within rounding of 70.4
    results["pfs.logrank.p"] = 0.038  # within the 0.005 tolerance
    results["os.cox_multivariable.met_bone.hr"] = 2.5  # untargeted term
    a = audit.build_audit(results, data_path=DEFAULT_COHORT)
    rows = {(r["key"], r["variant"]): r for r in a["published_vs_reproduced"]}
    assert len(a["published_vs_reproduced"]) == len(load_published())
    assert rows[("n.treatment", None)]["status"] == "reproduced"
    assert rows[("baseline.age.mean.treatment", None)]["status"] == "within rounding"
    assert rows[("pfs.logrank.p", None)]["status"] == "within tolerance"
    assert rows[("response.orr.p", None)]["status"] == "paper inconsistent"
    assert rows[("baseline.ecog_0_1.n.total", None)]["status"] == "paper inconsistent"
    assert rows[("os.cox_multivariable.met_bone.hr", None)]["status"] == "not targeted"
    assert rows[("flow.screened", None)]["status"] == "not computed"
    assert rows[("os.rate_12m.treatment", "text-3.3")]["status"] == "paper inconsistent"
    assert rows[("response.orr.p", "text-3.2")]["status"] == "reproduced"  # p > 0.05 holds
    assert rows[("pfs.median.treatment", None)]["link"] == "04_survival.html"
    assert rows[("baseline.sex.p", None)]["link"] == "02_baseline.html"
    assert a["summary"]["passed"] and a["summary"]["reproduction_build"]
    assert not a["summary"]["out_of_tolerance"]
    json.dumps(a)  # plain JSON


def test_audit_flags_a_number_out_of_tolerance():
    results = _results_from_published()
    results["pfs.logrank.p"] = 0.050  # 0.015 from 0.035, tolerance 0.005
    results["response.orr.p"] = 0.35  # far from Fisher's 0.288 too
    a = audit.build_audit(results, data_path=DEFAULT_COHORT)
    rows = {(r["key"], r["variant"]): r for r in a["published_vs_reproduced"]}
    assert rows[("pfs.logrank.p", None)]["status"] == "differs"
    assert rows[("response.orr.p", None)]["status"] == "differs"
    assert not a["summary"]["passed"]
    # on another cohort, or with other parameters, the same numbers are informative
    assert audit.build_audit(results, data_path="/elsewhere/mine.csv")["summary"]["passed"]
    assert audit.build_audit(results, data_path=DEFAULT_COHORT, parameters={"landmark_months": 24})[
        "summary"
    ]["passed"]


def test_the_shipped_cohorts_date_based_exports_are_audited_as_the_shipped_cohort(tmp_path):
    """The .sav and .xlsx exports read with the shipped mapping file are the shipped patients (their
    results.json equals the CSV build's: tests/test_intake_book.py), so the audit holds them to every
    tolerance; the same export with an edited mapping, or a copy of the CSV with a changed row, is a
    user's cohort."""
    results = _results_from_published()
    results["pfs.logrank.p"] = 0.050  # out of tolerance: fails only on a reproduction build
    for export in audit.SHIPPED_EXPORTS:
        a = audit.build_audit(results, data_path=export, parameters={"map_path": str(audit.SHIPPED_MAP)})
        assert a["cohort"]["shipped_synthetic"] is True and a["summary"]["reproduction_build"]
        assert not a["summary"]["passed"]
    edited = tmp_path / "mine.map.yaml"
    edited.write_text(audit.SHIPPED_MAP.read_text() + "# edited\n")
    a = audit.build_audit(results, data_path=audit.SHIPPED_EXPORTS[0], parameters={"map_path": str(edited)})
    assert a["cohort"]["shipped_synthetic"] is False and a["summary"]["passed"]
    assert (
        audit.build_audit(results, data_path=audit.SHIPPED_EXPORTS[0])["cohort"]["shipped_synthetic"] is False
    )
    copy = tmp_path / "cohort.csv"
    lines = DEFAULT_COHORT.read_text().splitlines(keepends=True)
    copy.write_text("".join(lines[:-1]))
    assert audit.build_audit(results, data_path=copy)["cohort"]["shipped_synthetic"] is False


def test_tolerance_rules():
    rules = audit.load_tolerances()
    assert audit.tolerance_for("pfs.logrank.p", rules).value == 0.005
    assert audit.tolerance_for("baseline.sex.n.total", rules).kind == "exact"
    assert audit.tolerance_for("os.cox_multivariable.hr", rules).value == 0.05
    assert audit.tolerance_for("os.cox_multivariable.age.hr", rules).kind == "none"
    assert audit.tolerance_for("baseline.age.sd.total", rules).kind == "rounding"
    assert audit.tolerance_for("baseline.age.sd.total", rules).limit(2) == pytest.approx(0.005)


# --------------------------------------------------------------------------
# lcnec audit
# --------------------------------------------------------------------------


def _fake_build(tmp_path, results, data_path=DEFAULT_COHORT):
    out = tmp_path / "build"
    (out / "notebooks").mkdir(parents=True)
    (out / "results.json").write_text(json.dumps(results))
    nb = nbformat.v4.new_notebook()
    nb.metadata["papermill"] = {"parameters": {"data_path": str(data_path), "landmark_months": 12.0}}
    nbformat.write(nb, str(out / "notebooks" / "01_cohort.ipynb"))
    return out


def test_audit_command_passes_and_fails(tmp_path, capsys):
    results = _results_from_published()
    out = _fake_build(tmp_path, results)
    assert audit.audit_command(out) == 0
    text = capsys.readouterr().out
    assert "reproduction audit" in text and "paper consistency" in text

    pushed = copy.deepcopy(results)
    pushed["os.cox_multivariable.hr"] = 0.55 + 0.08  # tolerance 0.05
    out2 = _fake_build(tmp_path / "b", pushed)
    assert audit.audit_command(out2) == 1
    text = capsys.readouterr().out
    assert "out of tolerance" in text and "os.cox_multivariable.hr" in text

    out3 = _fake_build(tmp_path / "c", pushed, data_path=tmp_path / "my_cohort.csv")
    assert audit.audit_command(out3) == 0
    assert "informative" in capsys.readouterr().out


def test_audit_command_without_results(tmp_path):
    assert audit.audit_command(tmp_path) == 2


def test_write_audit(tmp_path):
    path = tmp_path / "audit.json"
    a = audit.write_audit(_results_from_published(), path, data_path=DEFAULT_COHORT)
    saved = json.loads(path.read_text())
    assert saved["summary"] == a["summary"]
    assert {"published_vs_reproduced", "consistency", "tolerances", "cohort"} <= set(saved)
    for row in saved["consistency"]:
        assert {"what", "where", "expected", "reported", "severity", "explanation"} <= set(row)
    for row in saved["published_vs_reproduced"]:
        assert {"where", "published", "book", "difference", "tolerance", "status", "link"} <= set(row)


@pytest.mark.book
def test_lcnec_audit_passes_on_the_shipped_build(default_build, capsys):
    """`lcnec audit` on the shipped book: no reproduced number out of its tolerance."""
    status = audit.audit_command(default_build)
    out = capsys.readouterr().out
    assert status == 0, out
