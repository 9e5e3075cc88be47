"""The chapter layer: the page around an analysis, the chapters' values and the numbers in their prose."""

import json
import math
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from myst_nb.core.variables import format_plain_text

from lcnec_utils import methods
from lcnec_utils.chapter import (
    Chapter,
    arm_sizes,
    audit_glue,
    download_link,
    downloads_dir,
    is_synthetic,
    km_steps_reading,
    largest_km_step,
    medians_glue,
    multivariate_chapter,
    page_provenance,
    parameter_box_html,
    pfs_epv_caution,
    ph_glue,
    provenance_html,
    rmst_glue,
    significant_covariates,
    small_sample_glue,
    survival_chapter,
    write_download,
)
from lcnec_utils.chapter.reanalysis import term_phrase
from lcnec_utils.contract import load_study, make_parameters
from lcnec_utils.stats import format_value, reverse_km_followup

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "value,fmt,expected",
    [
        (0.0100, "p", "0.010"),
        (0.00004, "p", "<0.001"),
        (0.4286, "pct", "42.9%"),
        ((0.268, 0.732), "pct_ci", "26.8%–73.2%"),
        ((0.51, 0.28, 0.92), "hr_ci", "0.51 (0.28–0.92)"),
        (24.0, "{:.1f}", "24.0"),
        (None, "{:.1f}", "not available"),
        (math.nan, "p", "not available"),
        ((0.5, None, 0.9), "hr_ci", "not available"),
        # chapter 19's OS likelihood: R exp(coef + qnorm(0.975) * se) = 0.99501977074861669
        ((0.43703, 0.19195, 0.99501977074861669), "hr_ci_side", "0.44 (0.19–0.995)"),
        ((0.43703, 0.19195, 0.99501977074861669), "hr_ci", "0.44 (0.19–1.00)"),
        ((0.8, 0.4, 0.9949), "hr_ci_side", "0.80 (0.40–0.99)"),
        ((1.2, 1.0, 1.44), "hr_ci_side", "1.20 (1.00–1.44)"),
        ((1.49, 1.0015, 2.2192), "hr_ci_side", "1.49 (1.002–2.22)"),
        ((0.5, None, 0.9), "hr_ci_side", "not available"),
        # a count with its noun in the number it takes (format_count)
        (1, "count:treated patient", "1 treated patient"),
        (3, "count:treated patient", "3 treated patients"),
        (0, "count:death", "0 deaths"),
        (14.0, "count:patient", "14 patients"),
        (1, "count:is a number|are numbers", "1 is a number"),
        (2, "count:is a number|are numbers", "2 are numbers"),
        (None, "count:patient", "not available"),
        (1.0, "count:month", "1 month"),
        # a time in months that may be fractional, with its unit (format_months): never "1 months"
        (1.0, "months", "1 month"),
        (1, "months", "1 month"),
        (12.0, "months", "12 months"),
        (1.5, "months", "1.5 months"),
        (0.25, "months", "0.25 months"),
        (None, "months", "not available"),
    ],
)
def test_format_value(value, fmt, expected):
    assert format_value(value, fmt) == expected


def test_a_count_must_be_whole():
    from lcnec_utils.stats import format_count

    assert format_count(2, "finding is", "findings are") == "2 findings are"
    with pytest.raises(ValueError, match="whole number"):
        format_count(2.5, "event")


@pytest.mark.parametrize("text", ["0.010", "24.0", "1.00", "not reached", "42.9%"])
def test_glued_text_is_printed_as_formatted(text):
    # glue stores a str's repr as text/plain; {glue:text} reads it back with
    # literal_eval: the quotes keep "0.010" a string, so its trailing zero stays
    assert format_plain_text(repr(text), "") == text


# the page around a chapter's analysis: header, downloads, glue, footer


def test_is_synthetic_by_file_name():
    assert is_synthetic("/data/lcnec_synthetic_cohort.csv")
    assert is_synthetic("registry_n5000.csv")
    assert not is_synthetic("/ward 7/patients.csv")


def test_parameter_box_names_files_never_their_folder():
    box = parameter_box_html(make_parameters({"data_path": "/home/dr smith/cohort.csv", "covariates": []}))
    assert "cohort.csv" in box and "dr smith" not in box
    assert "<th>Cox covariates</th><td>none</td>" in box
    assert box.startswith('<details class="lcnec-params">')
    assert "Mapping file" not in box and "Excel sheet" not in box  # shown only when used
    mapped = parameter_box_html(
        make_parameters({"data_path": "/ward 7/export.xlsx", "map_path": "/ward 7/map.yaml", "sheet": "OS"})
    )
    assert "<th>Mapping file</th><td>map.yaml</td>" in mapped and "ward 7" not in mapped
    assert "<th>Excel sheet</th><td>OS</td>" in mapped


def test_a_download_is_written_with_unix_line_ends_and_linked(tmp_path):
    write_download(pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}), tmp_path / "downloads", "ch-t.csv")
    assert (tmp_path / "downloads" / "ch-t.csv").read_bytes() == b"a,b\n1,x\n2,y\n"
    assert download_link("ch-t.csv") == "{download}`Download this table (CSV) <../downloads/ch-t.csv>`"


def test_downloads_go_where_the_pipeline_says(monkeypatch, tmp_path):
    params = make_parameters({"results_dir": str(tmp_path / "results")})
    monkeypatch.delenv("LCNEC_DOWNLOADS_DIR", raising=False)
    assert downloads_dir(params) == tmp_path / "downloads"
    monkeypatch.setenv("LCNEC_DOWNLOADS_DIR", str(tmp_path / "elsewhere"))
    assert downloads_dir(params) == tmp_path / "elsewhere"


def test_provenance_comes_from_the_build(monkeypatch):
    monkeypatch.setenv("LCNEC_DATA_SHA256", "abc")
    monkeypatch.setenv("LCNEC_GIT_COMMIT", "<main>")
    monkeypatch.setenv("LCNEC_BUILD_DATE", "2025-01-02")
    prov = page_provenance(make_parameters())
    assert prov == {"data_sha256": "abc", "git_commit": "<main>", "build_date": "2025-01-02"}
    assert provenance_html(prov) == (
        '<div class="lcnec-provenance">Data file SHA-256 <code>abc</code> · '
        "git commit <code>&lt;main&gt;</code> · built 2025-01-02</div>"
    )


def test_glue_texts_glues_each_value_as_glue_text_would(monkeypatch):
    glued = {}
    monkeypatch.setattr(
        Chapter, "glue", lambda self, name, value, display_value=False: glued.update({name: value})
    )
    ch = Chapter.__new__(Chapter)
    ch.glue_texts({"p": (0.0100, "p"), "n": (7,), "median": (None, "{:.1f}", "not reached")})
    assert glued == {"p": "0.010", "n": "7", "median": "not reached"}


# the chapters' values


@pytest.fixture(scope="module")
def cohort():
    params = make_parameters()
    return load_study(params.data_path, params.ae_path, params.reference_group, params.treatment_group).cohort


def test_survival_chapter_records_the_endpoints_and_the_follow_up(cohort):
    params = make_parameters()
    survival = survival_chapter(cohort, params)
    assert (
        survival.results["followup.median"]
        == reverse_km_followup(cohort["os_months"], cohort["os_event"]).median
    )
    assert survival.results["os.median.treatment"] == survival.summaries["os"].loc["treatment", "median"]
    assert survival.glue["os_logrank_p"] == (survival.logranks["os"].p, "p_clause")
    n_treated = (cohort["group"] == params.treatment_group).sum()
    steps = survival.glue["km_steps"][0]
    assert steps == km_steps_reading(arm_sizes(cohort, params), largest_km_step(cohort, params), params)
    assert f"one patient moves a curve by {100 / n_treated:.1f} or " in steps
    # the largest step by hand: S(t-) x d / n(t) over every event time of the four curves
    largest = 0.0
    for ep in ("pfs", "os"):
        for _, arm in cohort.groupby("group"):
            s_before, t, e = 1.0, arm[f"{ep}_months"].to_numpy(), arm[f"{ep}_event"].to_numpy()
            for u in np.unique(t[e == 1]):
                d, n = int(((t == u) & (e == 1)).sum()), int((t >= u).sum())
                largest = max(largest, s_before * d / n)
                s_before *= 1 - d / n
    assert f"the largest single step of the curves is {100 * largest:.1f} percentage points" in steps
    assert survival.glue["landmark_months"] == (params.landmark_months, "months")
    without_pfs = survival_chapter(cohort.drop(columns=["pfs_months", "pfs_event"]), params)
    assert list(without_pfs.summaries) == ["os"]
    assert without_pfs.glue["pfs_median_treatment"] == (None, "{:.1f}", "not reached")


def test_multivariate_chapter_says_what_the_models_leave_out(cohort):
    params = make_parameters()
    full = multivariate_chapter(cohort, params)
    arm = full.fits["pfs"].term("treatment")
    assert full.glue["pfs_hr"] == ((arm["hr"], arm["ci_low"], arm["ci_high"]), "hr_ci")
    assert full.notes == []
    partial = cohort.drop(columns=["thoracic_rt"]).astype({"ecog": "float"})
    partial.loc[partial.index[0], "ecog"] = float("nan")
    fewer = multivariate_chapter(partial, params)
    assert fewer.notes[0] == (
        "Covariates not in the data, left out of the multivariable model: thoracic_rt.",
        "note",
    )
    assert fewer.notes[1] == (
        "Progression-free survival: 1 patient with a missing covariate is left out of the multivariable "
        "model (complete cases).",
        "note",
    )
    partial.loc[partial.index[1], "ecog"] = float("nan")
    assert multivariate_chapter(partial, params).notes[1] == (
        "Progression-free survival: 2 patients with a missing covariate are left out of the multivariable "
        "model (complete cases).",
        "note",
    )


REQUIRED_COLUMNS = ["patient_id", "group", "os_months", "os_event"]  # the minimal_build fixture's cohort


def _chapter5_caution(glue: dict) -> str:
    """Chapter 5's paragraph on the models' size with its glue filled in as the build renders it."""
    cells = json.loads((ROOT / "notebooks" / "05_multivariate.ipynb").read_text(encoding="utf-8"))["cells"]
    md = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    para = md[md.index("The models deserve caution.") : md.index("In\n{cite:t}`peduzzi1995`")]
    filled = re.sub(r"\{glue:text\}`([^`]+)`", lambda m: format_value(*glue[m.group(1)]), para)
    return " ".join(filled.split())


def test_multivariate_chapter_counts_the_pfs_models_size_or_says_there_is_none(cohort):
    """Chapter 5's caution: the PFS model's parameters, events and events per variable from its fit; on
    the required columns only (no PFS columns) one plain sentence, where the page printed "spends not
    available parameters on not available events"."""
    params = make_parameters()
    full = multivariate_chapter(cohort, params)
    fit = full.fits["pfs"]
    assert fit.events == int(cohort["pfs_event"].sum()) and len(fit.table) == 1 + len(params.covariates)
    assert full.glue["pfs_epv_caution"] == (pfs_epv_caution(fit.events, len(fit.table)), "{}")
    text = _chapter5_caution(full.glue)
    assert f"The PFS model spends {len(fit.table)} parameters on {fit.events} events:" in text
    assert "not available" not in text
    minimal = multivariate_chapter(cohort[REQUIRED_COLUMNS], params)
    assert _chapter5_caution(minimal.glue) == (
        "The models deserve caution. A model's size is read in events per variable ({term}`EPV`, the "
        "number of events divided by the number of coefficients the model estimates). The cohort has no "
        "progression-free survival columns, so there is no PFS model whose events per variable could be "
        "counted."
    )


def test_multivariate_chapter_sets_the_paper_beside_the_book_at_the_papers_level(cohort):
    """At another level (alpha 0.10) the models' own intervals are 90%, but the Table 4 comparison
    reads the book's intervals at the paper's 95% and the "only ECOG" sentence its 0.05 (session
    14's review: a 90% build compared 90% intervals with the paper's 95% ones)."""
    at95 = multivariate_chapter(cohort, make_parameters())
    at90 = multivariate_chapter(cohort, make_parameters({"alpha": 0.10}))
    key = "pfs.cox_multivariable.ecog.ci_low"
    assert at90.results[key] > at95.results[key]  # the chapter's own interval is narrower at 90%
    pd.testing.assert_frame_equal(at90.table4, at95.table4)
    assert at90.glue["sig_level"] == (0.05, "{:g}")
    assert at90.glue["paper_ci_level"][1].format(at90.glue["paper_ci_level"][0]) == "95%"
    assert at90.glue["significant_covariates"] == at95.glue["significant_covariates"]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"hr": 1.4908, "ci_low": 1.0015, "ci_high": 2.2192, "p": 0.0491}, "HR 1.49, 1.002-2.22, p = 0.049"),
        ({"hr": 0.80, "ci_low": 0.4, "ci_high": 0.9967, "p": 0.047}, "HR 0.80, 0.40-0.997, p = 0.047"),
        ({"hr": 1.48, "ci_low": 1.01, "ci_high": 2.16, "p": 0.043}, "HR 1.48, 1.01-2.16, p = 0.043"),
        ({"hr": 1.2, "ci_low": 1.0, "ci_high": 1.44, "p": 0.05}, "HR 1.20, 1.00-1.44, p = 0.050"),
    ],
)
def test_term_phrase_shows_which_side_of_one_a_bound_lies(values, expected):
    """A bound that prints as 1.00 but is not 1 gets a third decimal (the kept witness's ECOG
    term, p 0.049, printed "1.00-2.22" before)."""
    assert term_phrase(values) == expected


def test_significant_covariates_by_hand(cohort):
    # Table 4's covariate terms only (the arm's own p is left out), in Table 4's order, both models
    results = {
        "pfs.cox_multivariable.p": 0.01,
        "pfs.cox_multivariable.ecog.p": 0.047,
        "pfs.cox_multivariable.age.p": 0.30,
        "os.cox_multivariable.met_bone.p": 0.049,
        "os.cox_multivariable.sex.p": float("nan"),  # not estimated
    }
    assert significant_covariates(results, 0.05) == (
        "ecog (progression-free survival), met_bone (overall survival)"
    )
    assert significant_covariates(results, 0.01) == "none"
    # on the cohort in force: the chapter's glue is the same phrase from the fitted models
    chapter = multivariate_chapter(cohort, make_parameters())
    p = {k: v for k, v in chapter.results.items() if k.endswith(".p")}
    assert chapter.glue["significant_covariates"] == (significant_covariates(p, 0.05), "{}")
    expected = [k.split(".")[2] for k, v in p.items() if k.count(".") == 3 and v == v and v < 0.05]
    assert chapter.glue["significant_covariates"][0].count("(") == len(expected)


def test_medians_glue_on_the_cohort(cohort):
    params = make_parameters()
    numbers = methods.median_numbers(cohort, params)
    intervals, followup, values = numbers.intervals, numbers.followup, numbers.values
    assert list(intervals) == ["pfs", "os"]
    paper = {
        "pfs.median.treatment": 5.0,
        "pfs.median_ci_low.treatment": 3.0,
        "pfs.median_ci_high.treatment": 7.0,
        "os.median.treatment": 10.0,
        "os.median_ci_low.treatment": 6.0,
        "os.median_ci_high.treatment": 15.0,
    }
    glue = medians_glue(values, intervals, followup, cohort, params, published=paper)
    median = values["methods.medians.os.median.treatment"]
    assert glue["os_median_treatment"] == (median, "{:.1f}", "not reached")
    assert glue["paper_centred"] == ("1 of the 2", "{}")  # only PFS is centred on its median
    assert glue["paper_off"] == ("OS ICIs + Chemo 6.0 to 15.0 (median 10.0, midpoint 10.50)", "{}")
    assert glue["paper_pfs_ci_reference"] == ((None, None), "{}")
    assert glue["sm_agreement"][0].startswith("statsmodels' quantile_ci agrees with the Brookmeyer-Crowley")
    assert glue["ex_ep"] == ("progression-free survival", "{}")


def test_medians_glue_names_the_level_and_spss_multiplier_in_force(cohort):
    """The chapter's intervals are computed at ``params.alpha``; its prose reads the level and SPSS's
    z from ``level`` and ``z``: 90 and 1.645 at alpha 0.10, 95 and 1.96 at 0.05."""
    for alpha, level, z in ((0.10, "90", "1.645"), (0.05, "95", "1.96")):
        params = make_parameters({"alpha": alpha})
        n = methods.median_numbers(cohort, params)
        glue = medians_glue(n.values, n.intervals, n.followup, cohort, params)
        assert (format_value(*glue["level"]), format_value(*glue["z"])) == (level, z)


def test_small_sample_glue_says_which_models_cannot_be_estimated():
    comparison = pd.DataFrame(
        {
            "model": ["univariable", "full", "firth", "ridge", "reduced"],
            "hr": [0.5, 0.4, 0.45, 0.6, None],
            "ci_low": [0.2, 0.1, 0.15, 0.3, None],
            "ci_high": [0.9, 1.1, 1.0, 1.2, None],
            "converged": [True, True, True, True, False],
            "epv": [20.0, 1.7, 1.7, 1.7, 5.0],
            "events": [23] * 5,
            "terms": [1, 12, 12, 12, 4],
        }
    )
    boot = SimpleNamespace(
        B=1000,
        ci_low=0.2,
        ci_high=0.9,
        median_hr=0.5,
        share_not_converged=0.1,
        share_extreme=0.2,
        share_below=0.2,
        share_above=0.0,
        alpha=0.05,
        n_with_constant_term=3,
        seconds=1.0,
    )
    glue = small_sample_glue({"pfs": comparison}, {"pfs": boot}, ["ecog"], make_parameters(), published={})
    assert glue["n_terms"] == (12, "{}") and glue["reduced_terms"] == ("the arm and ECOG PS", "{}")
    assert glue["pfs_full_hr"] == ((0.4, 0.1, 1.1), "hr_ci", "not estimable")
    assert glue["pfs_reduced_hr"] == (None, "hr_ci", "not estimable")
    assert glue["os_full_hr"] == (None, "hr_ci", "not estimable") and glue["os_events"] == (None, "{}")
    assert glue["pfs_boot_ci"] == ("0.2 to 0.9", "{}") and glue["boot_B"] == (
        1000,
        "{:,}",
    )
    assert glue["ex_pfs_k10"] == (2, "{}") and glue["ex_pfs_k5"] == (4, "{}")


def test_ph_cut_glue_says_whether_an_event_falls_at_the_cut_and_both_conventions_hrs():
    """Chapter 11 says from code whether an event falls exactly at the cut (and then gives the HRs by
    [0, cut) and by survSplit's (0, cut]) and whether the cut is an arm's median."""
    from lcnec_utils.chapter import ph_cut_glue

    params = make_parameters()
    t, r = params.treatment_group, params.reference_group
    base = pd.DataFrame(
        {
            "group": [t, r] * 6,
            "os_months": [2.0, 3.0, 4.0, 2.5, 8.0, 6.0, 9.0, 3.5, 11.0, 9.5, 13.0, 12.0],
            "os_event": [1] * 12,
        }
    )

    def text(cohort):
        pieces = {"os": methods.piecewise_hr(cohort, "os", params)}
        right = {"os": methods.piecewise_hr(cohort, "os", params, closed="right")}
        at = {"os": methods.events_at(cohort, "os", params, 6.0)}
        return ph_cut_glue(at, pieces, right, cohort, params, 6.0)["cut_events"][0]

    on_cut = text(base)
    assert f"1 death (in the {r} arm) falls exactly at 6 months" in on_cut
    assert "median" not in on_cut  # the reference arm's median here is 3.5
    left = methods.piecewise_hr(base, "os", params)
    right = methods.piecewise_hr(base, "os", params, closed="right")
    assert f"{left['hr'][0]:.2f}" in on_cut and f"{right['hr'][0]:.2f}" in on_cut
    assert left["hr"][0] != pytest.approx(right["hr"][0])
    off_cut = text(base.assign(os_months=base["os_months"].replace(6.0, 6.5)))
    assert "no death falls exactly at 6 months, so both conventions give the same HRs" in off_cut
    median = base.assign(os_months=[2.0, 3.0, 4.0, 5.0, 8.0, 6.0, 9.0, 7.0, 11.0, 9.5, 13.0, 12.0])
    assert f"6 months is also the median of the {r} arm" in text(median)


def test_ph_global_glue_names_the_terms_and_the_formulas():
    from lcnec_utils.chapter import ph_global_glue

    params = make_parameters()
    table = pd.DataFrame(
        {
            "test": ["score", "score", "score", "approximation", "approximation"],
            "transform": ["km", "rank", "identity", "km", "identity"],
            "chi2": [33.1, 35.2, 19.7, 16.5, 13.2],
            "df": 12,
            "p": [0.0009, 0.0004, 0.07, 0.17, 0.36],
            "events": 25,
        }
    )
    from lcnec_utils.contract.params import PAPER_COVARIATES
    from lcnec_utils.methods import fitted_model

    defaults = {"time_transform": "rank", "p_value_threshold": 0.01}
    papers = fitted_model(PAPER_COVARIATES)
    glue = ph_global_glue({"os": table}, {}, defaults, params, model=papers)
    assert glue["os_global_what"][0] == "all 12 terms of the paper's model at once (12 df, on 25 events)"
    # named from the model, not typed: without a name "the model fitted here"; one term, the arm alone
    unnamed = ph_global_glue({"os": table}, {}, defaults, params)["os_global_what"][0]
    assert unnamed == "all 12 terms of the model fitted here at once (12 df, on 25 events)"
    one = table.assign(df=1)
    alone = fitted_model([], ["patient_id", "group", "os_months", "os_event"])
    assert ph_global_glue({"os": one}, {}, defaults, params, model=alone)["os_global_what"][0] == (
        "the one term of the model fitted here (the arm alone: the cohort has none of the paper's "
        "covariates), on 25 events"
    )
    assert glue["os_global_score_km_p"] == (0.0009, "p_clause")
    assert glue["pfs_global_score_km_p"] == (None, "p_clause")
    assert "on both sides of the 5% level for death" in glue["global_spread"][0]
    one = table.assign(df=1, p=[0.2, 0.3, 0.1, 0.25, 0.4])
    glue = ph_global_glue({"os": one}, {}, {}, params)
    assert glue["os_global_what"][0] == "the one term of the model fitted here, on 25 events"
    assert glue["global_spread"][0].endswith("on one side of the 5% level for each endpoint")
    assert glue["global_size"][0] is None and glue["term_size"][0] is None  # not simulated


def _null(score_global, approximation_global, score_term, kept=190):
    return {
        "score_global": score_global,
        "approximation_global": approximation_global,
        "score_term": score_term,
        "kept": kept,
        "reps": 200,
        "mean_events": 29.0,
    }


def test_ph_global_glue_reads_the_simulated_size_at_the_builds_alpha():
    """The global test's reading comes from the simulation under proportional hazards: an exact test
    rejecting in most samples is "not evidence"; an approximation within two simulation SEs of alpha
    "keeps about its nominal size", one above it is said to reject more often; alpha is the build's,
    printed as a percentage (review 78: "reject at 0.05", "p < 0.05" and "within two simulation standard
    errors of 0.05" beside "5%"), the rates as the arm's term's are, and each judgement names its
    endpoints."""
    from lcnec_utils.chapter import ph_global_glue

    params = make_parameters()
    rates = {"pfs": _null(0.69, 0.06, 0.12), "os": _null(0.68, 0.05, 0.15, kept=170)}
    glue = ph_global_glue({}, {}, {}, params, rates)
    size = glue["global_size"][0]
    assert "190 of 200 and 170 of 200 samples kept" in size
    assert "the global tests reject at the 5% level on the 1 − KM scale with these rates" in size
    assert "the exact global test in 69% and 68%" in size
    assert (
        "So for progression and death the exact global test's p-values below the 5% level are not evidence "
        "against proportional hazards: it would reject at the 5% level in most samples even if" in size
    )
    assert (
        "For progression and death the old approximation rejects within two simulation standard errors of "
        "5%." in size
    )
    assert "0.05" not in size
    assert (
        "the exact test on the 1 − KM scale rejects at the 5% level in 12% of the 190 samples kept for "
        "progression and 15% of the 170 kept for death, more than 5% by over two simulation standard errors"
        in glue["term_size"][0]
    )
    # 2·√(0.69·0.31/190) = 6.7, 2·√(0.68·0.32/170) = 7.2 points
    assert (
        "two simulation standard errors are up to ±7 percentage points for progression and ±7 for death"
        in size
    )
    glue = ph_global_glue({}, {}, {}, params, {"pfs": _null(0.69, 0.15, 0.12), "os": None})
    size = glue["global_size"][0]
    assert size.endswith(
        "For progression the old approximation rejects more often than in 5% of the samples kept, but far less "
        "often than the exact test: of the two, its p-values are the less misleading there."
    )
    assert "death" not in size
    mixed = {"pfs": _null(0.67, 0.082, 0.13, kept=988), "os": _null(0.61, 0.064, 0.11, kept=830)}
    size = ph_global_glue({}, {}, {}, params, mixed)["global_size"][0]
    assert size.endswith(  # PFS above 5% + 2·√(0.0475/988) = 6.39%, OS within 5% + 2·√(0.0475/830) = 6.51%
        "For death the old approximation rejects within two simulation standard errors of 5%. For progression the old approximation rejects more often than in 5% of the samples kept, but "
        "far less often than the exact test: of the two, its p-values are the less misleading there."
    )
    honest = ph_global_glue({}, {}, {}, params, {"pfs": _null(0.05, 0.05, 0.05)})
    assert (
        "For progression the exact global test rejects within two simulation standard errors of 5%."
        in honest["global_size"][0]
    )
    assert "not evidence" not in honest["global_size"][0]
    assert (
        "in 5% of the 190 samples kept for progression, within two simulation standard errors of 5%"
        in (honest["term_size"][0])
    )
    p10 = make_parameters({"alpha": 0.1})
    size10 = ph_global_glue({}, {}, {}, p10, {"pfs": _null(0.69, 0.1, 0.12)})["global_size"][0]
    assert "reject at the 10% level on the 1 − KM scale with these rates" in size10
    assert "it would reject at the 10% level in most samples" in size10
    assert "approximation rejects within two simulation standard errors of 10%." in size10
    # review 78, at 0.001 and 0.05: the rates with alpha's decimals (0.15% above 0.1% needs two), the
    # errors too, and "±1 percentage point" singular
    tiny = {"pfs": _null(0.0015, 0.001, 0.0015, kept=100_000)}
    size = ph_global_glue({}, {}, {}, make_parameters({"alpha": 0.001}), tiny)["global_size"][0]
    assert (
        "100,000 of 200 samples kept" in size
        and "reject at the 0.1% level on the 1 − KM scale with these rates: the exact global test in 0.15%; "
        "the old approximation's global test in 0.1% (with the samples kept, two simulation standard errors "
        "are up to ±0.02 percentage points for progression)"
        in size
    )
    one = {"pfs": _null(0.05, 0.05, 0.05, kept=1900)}
    assert (
        "up to ±1 percentage point for progression)"
        in ph_global_glue({}, {}, {}, params, one)["global_size"][0]
    )


def test_ph_global_size_judges_only_the_endpoints_with_enough_samples():
    """Review 78: with 988 samples kept for progression and 30 for death the global paragraph said "each
    rate is uncertain by up to ±3 percentage points" of death's rates too (2·√(0.6·0.4/30) = 18 points),
    and "So the exact global test's small p-values are not evidence ... here" of no endpoint. The
    uncertainty and the judgements now name progression only, and death's rates are said not judged."""
    from lcnec_utils.chapter import ph_global_glue

    rates = {"pfs": _null(0.65, 0.08, 0.12, kept=988), "os": _null(0.6, 0.1, 0.1, kept=30)}
    size = ph_global_glue({}, {}, {}, make_parameters(), rates)["global_size"][0]
    assert size.endswith(
        "the global tests reject at the 5% level on the 1 − KM scale with these rates: the exact global test in "
        "65% and 60%; the old approximation's global test in 8% and 10% (with the samples kept, two simulation "
        "standard errors are up to ±3 percentage points for progression). The simulation kept only 30 samples "
        "for death, fewer than the 100 needed to judge a rate, so its rates are not judged. So for progression "
        "the exact global test's p-values below the 5% level are not evidence against proportional hazards: it "
        "would reject at the 5% level in most samples even if the hazards were proportional (it tests as many "
        "added coefficients as the model has, on the same few events). For progression the old approximation rejects more "
        "often than in 5% of the samples kept, but far less often than the exact test: of the two, its "
        "p-values are the less misleading there."
    )
    assert "±18" not in size and "for death)" not in size


def test_the_model_in_force_is_named_and_counted_per_endpoint(cohort):
    """Each endpoint's model is fitted on its own complete cases, its time and event included: with PFS
    blank for the 2 patients with adrenal metastases (both progressed), met_adrenal is constant in the
    PFS complete cases, so the PFS model has 11 terms on 27 progressions and the OS model 12 on 25
    deaths. model_in_force named both "the paper's model" from one design on the covariates alone, and
    chapter 10 read both endpoints with the first endpoint's 11 terms ("The paper's model has 11
    coefficients: ... 2.3 for death", where the OS model has 25 / 12 = 2.1)."""
    import warnings

    from lcnec_utils.chapter import model_in_force, small_sample_teaching_glue
    from lcnec_utils.stats import fit_cox

    params = make_parameters()
    assert model_in_force(cohort, params).is_papers  # the shipped cohort: one model for both
    blank = cohort.copy()
    adrenal = blank["met_adrenal"] == 1
    assert adrenal.sum() == 2 and blank.loc[adrenal, "pfs_event"].sum() == 2
    blank.loc[adrenal, ["pfs_months", "pfs_event"]] = np.nan
    pfs, os_ = model_in_force(blank, params, "pfs"), model_in_force(blank, params, "os")
    assert (pfs.short, pfs.terms, pfs.reason) == (
        "the model fitted here",
        "the arm and 10 of the paper's 11 covariates",
        "adrenal metastasis is constant in the complete cases",
    )
    assert os_.is_papers
    model = model_in_force(blank, params)
    assert model.long == (
        "the model fitted here (for progression the arm and 10 of the paper's 11 covariates, since "
        "adrenal metastasis is constant in the complete cases; for death the arm and the paper's 11 covariates)"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        comparisons = {ep: methods.comparison_table(blank, ep, params) for ep in ("pfs", "os")}
        fits = {ep: fit_cox(blank, ep, params.covariates, params) for ep in ("pfs", "os")}
    assert [int(comparisons[ep].set_index("model").loc["full", "terms"]) for ep in ("pfs", "os")] == [11, 12]
    glue = small_sample_teaching_glue(comparisons, fits, len(blank), 0.1, model=model, published={})
    assert glue["model_question"][0].endswith(": 11 terms on 27 progressions and 12 on 25 deaths.")
    assert glue["full_epv_text"][0] == (
        f"{model.long[0].upper()}{model.long[1:]} has 11 coefficients for progression and 12 for death: 2.5 "
        "events per variable for progression (27 progressions) and 2.1 for death (25 deaths), each of which "
        "falls below five events per variable (Vittinghoff and McCulloch found problems fairly frequent at 2 "
        "to 4)."
    )
    assert glue["adjust_warning"][0].endswith(
        "the model fitted here spends 11 coefficients on 27 progressions and 12 on 25 deaths: 2.5 and 2.1 "
        "events per variable, below the rule of ten."
    )
    # without PFS columns the one endpoint names the model
    assert model_in_force(cohort.drop(columns=["pfs_months", "pfs_event"]), params).is_papers


def test_chapter10_comparison_rows_name_the_model_fitted_on_each_endpoint(cohort):
    """Chapter 10's comparison table labels each model by the terms it was fitted with on that endpoint's
    complete cases, as model_in_force names it: the labels were typed ("Paper's model (arm + 11
    covariates)", "Reduced, pre-specified (arm + age + ECOG)", "Paper's model, bootstrap CI") and said so
    of the arm alone on the required columns and of the 11-term progression model with PFS blank for the 2
    patients with adrenal metastases."""
    import warnings

    from lcnec_utils.chapter import model_in_force

    params = make_parameters()
    blank = cohort.copy()
    blank.loc[blank["met_adrenal"] == 1, ["pfs_months", "pfs_event"]] = np.nan

    def labels(c, ep):
        present = [v for v in params.covariates if v in c.columns]
        reduced = [v for v in methods.REDUCED_COVARIATES if v in c.columns]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            boot = methods.bootstrap_arm_hr(c, ep, present, params, B=20)
            table = methods.comparison_table(
                c, ep, params, covariates=present, reduced=reduced, bootstrap=boot
            )
        shown = methods.format_comparison(table, params.alpha)
        rows = table.set_index("model")
        assert rows.loc["full", "label"] == model_in_force(c, params, ep).label
        # the labels as the page prints them, in the table's order, against the strings below
        return [(m, int(n), label) for m, n, label in zip(table["model"], table["terms"], shown["Model"])]

    papers, arm_reduced = (
        "The paper's model (the arm and the paper's 11 covariates)",
        ("Reduced, pre-specified (the arm, age and ECOG PS)"),
    )
    fixed = [("univariable", 1, "Arm alone")]
    assert (
        labels(cohort, "pfs")
        == labels(cohort, "os")
        == [
            *fixed,
            ("full", 12, papers),
            ("firth", 12, "Firth-penalised, same terms"),
            ("ridge", 12, "Ridge-penalised, same terms"),
            ("reduced", 3, arm_reduced),
            ("bootstrap", 12, "The paper's model, bootstrap CI"),
        ]
    )
    assert labels(cohort[REQUIRED_COLUMNS], "os") == [
        *fixed,
        ("full", 1, "The model fitted here (the arm alone)"),
        ("firth", 1, "Firth-penalised, same terms"),
        ("ridge", 1, "Ridge-penalised, same terms"),
        ("reduced", 1, "Reduced, pre-specified (the arm alone)"),
        ("bootstrap", 1, "The model fitted here, bootstrap CI"),
    ]
    pfs = labels(blank, "pfs")
    assert [r for r in pfs if r[0] in ("full", "reduced", "bootstrap")] == [
        ("full", 11, "The model fitted here (the arm and 10 of the paper's 11 covariates)"),
        ("reduced", 3, arm_reduced),
        ("bootstrap", 11, "The model fitted here, bootstrap CI"),
    ]
    assert [r for r in labels(blank, "os") if r[0] == "full"] == [("full", 12, papers)]


def test_chapter11_convention_rows_name_the_model_fitted_on_each_endpoint(cohort):
    """Chapter 11's table of the arm's proportional-hazards test by each program labels the model with
    covariates by the terms it was fitted with on that endpoint's complete cases, as chapter 10's table
    does: it printed "Paper's model" for every row but the arm alone's, also of the arm alone on the
    required columns and of the 11-term progression model with PFS blank for the 2 patients with adrenal
    metastases."""
    import dataclasses

    from lcnec_utils.chapter import model_in_force
    from lcnec_utils.stats import available_covariates

    params = make_parameters()
    blank = cohort.copy()
    blank.loc[blank["met_adrenal"] == 1, ["pfs_months", "pfs_event"]] = np.nan

    def models(c, ep):
        # as the chapter calls it: the covariates in force that the cohort has
        present, _ = available_covariates(c, params.covariates)
        table = methods.ph_test_conventions(c, ep, dataclasses.replace(params, covariates=present))
        shown = methods.format_ph_test_conventions({"Endpoint": table})
        assert list(shown["Model"]) == list(table["label"]) and "Paper's model" not in set(shown["Model"])
        full = table.loc[table["model"] == "full"]
        assert set(full["label"]) == {model_in_force(c, params, ep).label}
        pairs = shown[["Model", "Events per variable"]].drop_duplicates()
        return [tuple(r) for r in pairs.itertuples(index=False)]

    papers = "The paper's model (the arm and the paper's 11 covariates)"
    assert models(cohort, "os") == [("Arm alone", "25.0"), (papers, "2.1")]
    assert models(cohort[REQUIRED_COLUMNS], "os") == [
        ("Arm alone", "25.0"),
        ("The model fitted here (the arm alone)", "25.0"),
    ]
    assert models(blank, "pfs") == [
        ("Arm alone", "27.0"),
        ("The model fitted here (the arm and 10 of the paper's 11 covariates)", "2.5"),
    ]
    assert models(blank, "os") == [("Arm alone", "25.0"), (papers, "2.1")]


def test_chapter10_forest_plot_prints_the_bootstrap_interval_as_its_table(cohort):
    """The forest plot's number column printed the bootstrap percentile interval to two decimals
    ("0.46 (0.00–2.89)") where the table beside it prints "0.46 (below 0.001 to 2.89)": the bootstrap
    row's text is now the table's cell, the other rows' stay at two decimals with an en dash."""
    import warnings

    from lcnec_utils import plots

    params = make_parameters()
    present = [v for v in params.covariates if v in cohort.columns]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        boot = methods.bootstrap_arm_hr(cohort, "pfs", present, params, B=1000)  # as the chapter
        table = methods.comparison_table(cohort, "pfs", params, covariates=present, bootstrap=boot)
    rows = methods.comparison_forest_rows(table)
    assert list(rows["bootstrap"]) == [False] * 5 + [True]
    shown = methods.format_comparison(table, params.alpha)
    cells = list(shown[shown.columns[3]])
    texts = [t.get_text() for t in plots.forest_plot(rows, alpha=params.alpha).axes[0].texts]
    # the plot's HR column, top row first, is the table's column cell for cell
    hr_texts = texts[2::2]
    assert hr_texts == cells
    assert boot.ci_low < 0.001 and cells[-1].startswith(f"{boot.hr:.2f} (below 0.001 to ")
    assert "–" in cells[1] and " to " not in cells[1]


def test_ph_epv_texts_are_glued_from_the_models_events_per_variable_and_name(cohort):
    """Chapter 11's readings of its model's events per variable come from the test table's own events and
    terms (:func:`ph_epv_texts`, every branch in test_typed_prose), the model named from its covariates;
    on the required columns only the model is the arm alone on the 25 deaths of the shipped cohort, 25.0,
    the rule met, and is not called "the paper's model" (the page said "The paper's model has 25.0 events
    per variable for death")."""
    import dataclasses

    from lcnec_utils.chapter import model_in_force, ph_epv_texts, ph_teaching_glue
    from lcnec_utils.stats import available_covariates

    params = make_parameters()
    present, _ = available_covariates(cohort, params.covariates)
    p2 = dataclasses.replace(params, covariates=present)
    conv = {ep: methods.ph_test_conventions(cohort, ep, p2) for ep in ("pfs", "os")}
    model = model_in_force(cohort, params)
    assert model.short == "the paper's model"
    glue = ph_teaching_glue(conv, {}, {}, params, model=model)
    epvs = {ep: int(cohort[f"{ep}_event"].sum()) / (1 + len(present)) for ep in conv}
    for name, text in ph_epv_texts(epvs, model).items():
        assert glue[name] == (text, "{}")
    assert glue["ph_epv_check"][0].startswith("The paper's model has 2.4 events per variable for progression")
    assert glue["formula_spread"][0].startswith("the p-values of the paper's model run from ")
    # the lesson cites the simulated size the chapter passes (its rates in test_typed_prose)
    rates = {"pfs": _null(0.69, 0.06, 0.12), "os": _null(0.68, 0.05, 0.15, kept=170)}
    lesson = ph_teaching_glue(conv, {}, {}, params, model=model, null_rates=rates)["ph_lesson"][0]
    assert (
        "The exact test's simulated size, given with the results above, is more than 5% for progression and "
        "death." in lesson
    )
    assert "did not simulate" in glue["ph_lesson"][0]  # none passed: none cited
    minimal = cohort[REQUIRED_COLUMNS]
    p0 = dataclasses.replace(params, covariates=[])
    conv = {"os": methods.ph_test_conventions(minimal, "os", p0)}
    glue = ph_teaching_glue(conv, {}, {}, params, model=model_in_force(minimal, params))
    assert int(minimal["os_event"].sum()) == 25
    assert glue["ph_epv_check"][0] == (
        "The model fitted here (the arm alone: the cohort has none of the paper's covariates) has 25.0 events "
        "per variable for death, at or above the rule of ten (the small-sample chapter); that does not make a "
        "large-sample test exact."
    )
    assert "paper's model" not in glue["ph_lesson"][0] + glue["ph_epv_conclusion"][0]
    # the sentence before ph_lesson names the same model (it said "the p-values of the paper's model")
    assert glue["formula_spread"][0].startswith("the p-values of the model fitted here run from ")
    # the page names the model from the glue where it typed "the paper's model" / "(paper's model)", and
    # its tables label the full model and caption the global test by the same name
    nb = json.loads(
        (ROOT / "notebooks" / "11_methods_proportional_hazards.ipynb").read_text(encoding="utf-8")
    )
    source = "\n".join("".join(c["source"]) for c in nb["cells"])
    assert "paper's model" not in source.lower()  # in any case, "the paper's model" included
    assert '"full": model.short.capitalize()' in source and "global test of {model.short}" in source
    assert (
        "ph_teaching_glue(conventions, readings, gaps, ch.params, model=model, null_rates=null_rates)"
        in source
    )
    md = " ".join(" ".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown").split())
    sentence = md[md.index("Each program called with its defaults") : md.index("R's `cox.zph(fit)`")]
    filled = re.sub(r"\{glue:text\}`([^`]+)`", lambda m: format_value(*glue[m.group(1)]), sentence)
    assert (
        filled
        == "Each program called with its defaults tests the arm's term of the model fitted here differently. "
    )
    assert glue["ph_model_long"][0] == (
        "the model fitted here (the arm alone: the cohort has none of the paper's covariates)"
    )
    assert "{glue:text}`pfs_full_p` in {glue:text}`ph_model_long`" in md
    assert "{glue:text}`pfs_full_km_score_p` ({glue:text}`ph_model`)" in md
    # without a name the model is "the model fitted here", true of any cohort
    assert ph_teaching_glue(conv, {}, {}, params)["ph_epv_check"][0].startswith(
        "The model fitted here has 25.0 events per variable for death"
    )


def _chapter10_prose(glue: dict) -> dict[str, str]:
    """Chapter 10's question and its summary warning with the glue filled in as the build renders them."""
    cells = json.loads((ROOT / "notebooks" / "10_methods_small_sample_cox.ipynb").read_text(encoding="utf-8"))
    md = "\n".join("".join(c["source"]) for c in cells["cells"] if c["cell_type"] == "markdown")

    def fill(text: str) -> str:
        filled = re.sub(r"\{glue:text\}`([^`]+)`", lambda m: format_value(*glue[m.group(1)]), text)
        return " ".join(filled.split())

    question = md[md.index("**The question.**") : md.index("## The method")]
    result = md[md.index("## The result") + len("## The result") : md.index("On this cohort the full model")]
    warning = md[md.index("death, to be set beside") : md.index("## Exercises")]
    refit = md[md.index("refit {glue:text}") : md.index("It\n   assumes the patients")]
    unstable = md[md.index("Firth, ridge and the reduced model.") : md.index("Firth's profile-likelihood")]
    return {
        "question": fill(question),
        "result": fill(result),
        "warning": fill(warning),
        "refit": fill(refit),
        "instability": fill(unstable),
    }


def _chapter10_glue(cohort):
    """What chapter 10's notebook glues for its question, its model's size and its summary warning."""
    from lcnec_utils.chapter import model_in_force, small_sample_glue, small_sample_teaching_glue
    from lcnec_utils.stats import available_covariates, fit_cox, has_endpoint

    params = make_parameters()
    present, _ = available_covariates(cohort, params.covariates)
    reduced = [c for c in methods.REDUCED_COVARIATES if c in cohort.columns]
    eps = [ep for ep in ("pfs", "os") if has_endpoint(cohort, ep)]
    boots = {ep: methods.bootstrap_arm_hr(cohort, ep, present, params, B=1000) for ep in eps}
    comparisons = {
        ep: methods.comparison_table(
            cohort, ep, params, covariates=present, reduced=reduced, bootstrap=boots[ep]
        )
        for ep in eps
    }
    fits = {ep: fit_cox(cohort, ep, present, params) for ep in eps}
    model = model_in_force(cohort, params)
    glue = small_sample_glue(comparisons, boots, reduced, params)
    glue.update(
        small_sample_teaching_glue(comparisons, fits, len(cohort), 0.1, model=model, bootstraps=boots)
    )
    return glue


def test_small_sample_chapter_names_its_model_and_warns_from_its_events(cohort):
    """Chapter 10's question, its model's size and its summary warning, filled in from the glue the notebook
    makes, on the shipped cohort (the paper's model, 12 coefficients on 29 progressions and 25 deaths) and
    on the required columns only, where the page said "The paper's ... model puts 1 term (the arm and 0
    covariates)" and "31 patients cannot adjust for 0 factors"."""
    vm = "(Vittinghoff and McCulloch found problems fairly frequent at 2 to 4)"
    paper = (
        "The paper's own model put 12 coefficients on at most 31 events (the paper does not print its events; "
        f"there is at most one per patient), at most 2.6 events per variable, which falls below five events per "
        f'variable {vm}: its "only ECOG was an independent prognostic factor" finding, and with it the claim '
        'that the other factors "did not demonstrate significant effects", rest on that model and fall under '
        "the same caution."
    )
    lead = (
        'The question.** The paper\'s "multivariate" {term}`Cox model` has 12 terms (the arm and 11 '
        "covariates), and its headline, {term}`HR` 0.51 for progression, comes from that model."
    )
    shipped = _chapter10_prose(_chapter10_glue(cohort))
    assert shipped["question"] == (
        f"**{lead} On the cohort in force it puts 12 terms on each endpoint's events: 29 progressions and 25 "
        "deaths. Are there enough events for a model that size, and what do estimators built for small "
        "samples say?"
    )
    assert shipped["result"] == (
        "The paper's model has 12 coefficients: 2.4 events per variable for progression (29 progressions) and "
        f"2.1 for death (25 deaths), each of which falls below five events per variable {vm}."
    )
    assert shipped["refit"].startswith("refit the paper's model 1,000 times and read")
    assert shipped["warning"].endswith(
        ". The defensible summary is a model the data can carry, the arm alone or the arm with at most 1 "
        "pre-specified confounder (ten events per variable), reported with the warning that the paper's "
        "model spends 12 coefficients "
        f"on 29 progressions and on 25 deaths: 2.4 and 2.1 events per variable, below the rule of ten. {paper}"
    )
    minimal = _chapter10_prose(_chapter10_glue(cohort[REQUIRED_COLUMNS]))
    assert minimal["question"] == (
        f"**{lead} The cohort has none of the paper's covariates, so the model fitted here is the arm alone: "
        "1 term on 25 deaths. Are there enough events for a model that size, and what do estimators built for "
        "small samples say?"
    )
    assert minimal["result"] == (
        "The model fitted here (the arm alone: the cohort has none of the paper's covariates) has 1 "
        "coefficient: 25.0 events per variable for death (25 deaths), which meets the rule of ten."
    )
    assert minimal["warning"].endswith(
        ". The cohort has none of the paper's covariates, so the model fitted here is the arm alone: it adjusts "
        "for nothing, and the hazard ratio it gives is the crude comparison of the arms, open to whatever "
        f"confounding separates them. {paper}"
    )
    assert minimal["refit"].startswith(
        "refit the model fitted here (the arm alone: the cohort has none of the paper's covariates) 1,000 times "
        "and read"
    )
    # it printed "the covariates' estimates rest on not available ... cannot be estimated on many bootstrap
    # resamples: ... 0.1% did not converge" and said the Wald intervals "keep their large-sample meaning"
    assert minimal["instability"] == (
        "Firth, ridge and the reduced model. The model fitted here could be estimated on all but 0.1% of the "
        "bootstrap resamples (at most the 10% this page calls many), and of the rest 0.1% put the arm's HR "
        "below 0.05 or above 20. At these events per variable the model meets the rule "
        "of ten, the level Peduzzi and colleagues found the most prudent; it is a rule of thumb, not a "
        "guarantee that the Wald intervals of the ordinary fit have their nominal coverage {cite:p}`peduzzi1995`."
    )
    text = " ".join(minimal.values())
    assert "paper's model" not in text and "not available" not in text and "covariates' estimates" not in text
    assert shipped["instability"].startswith(
        "Firth, ridge and the reduced model. Beyond the arm, first, the covariates' estimates rest on 2.4 "
        "events per variable for progression and 2.1 for death, and the least precise"
    )
    # the term named mid-sentence as prose names covariates, lower-cased (it printed "is Sex (male vs
    # female)")
    assert (
        "the least precise, by the widest interval in either model, is sex (male vs female): HR 1.21"
        in (shipped["instability"])
    )
    assert (
        "the paper's model as a whole cannot be estimated on many bootstrap resamples: "
        in shipped["instability"]
    )
    assert shipped["instability"].endswith(
        "At these events per variable the model is below the rule of ten, where Peduzzi and colleagues found "
        "the intervals' coverage and the Wald tests degrade {cite:p}`peduzzi1995`."
    )


def test_small_sample_chapter_reads_the_full_models_own_events(cohort):
    """With a covariate missing, the full model is fitted on its complete cases: ECOG blanked for 5
    patients who had both events leaves it 24 progressions and 20 deaths, and the page printed "2.0 events
    per variable for progression (29 progressions)" (29 were the arm-only model's, on every patient). The
    events printed are the full model's, and its events per variable are those over its 12 terms."""
    broken = cohort.copy()
    both = broken.index[(broken["pfs_event"] == 1) & (broken["os_event"] == 1)][:5]
    broken.loc[both, "ecog"] = np.nan
    glue = _chapter10_glue(broken)
    full = {ep: methods.comparison_table(broken, ep, make_parameters()) for ep in ("pfs", "os")}
    events = {ep: int(t.set_index("model").loc["full", "events"]) for ep, t in full.items()}
    assert events == {"pfs": 24, "os": 20}
    prose = _chapter10_prose(glue)
    assert "on each endpoint's events: 24 progressions and 20 deaths." in prose["question"]
    assert prose["result"].startswith(
        "The paper's model has 12 coefficients: 2.0 events per variable for progression (24 progressions) and "
        "1.7 for death (20 deaths)"
    )
    assert (
        "spends 12 coefficients on 24 progressions and on 20 deaths: 2.0 and 1.7 events per variable"
        in (prose["warning"])
    )


def test_ph_band_text_is_built_from_the_bands_numbers():
    """The β(t) sentence prints the band's limits at both ends to two significant digits, its widths
    there against its narrowest and where the constant HR leaves it, as spans of months: inside
    throughout, one span, two spans (the side named where it changes, a span rounding to one time
    "near" it); no band, no numbers."""
    from lcnec_utils.chapter import ph_teaching_glue

    reading = {
        "first_time": 1.0,
        "last_time": 20.3,
        "hr_first_low": 0.02449,
        "hr_first_high": 3.2,
        "hr_last_low": 0.00163,
        "hr_last_high": 69.39,
        "width_first": 3.14,
        "width_last": 2.71,
        "narrowest_time": 5.46,
        "hr_model": 0.44,
        "n_points": 29,
        "outside": [],
    }

    def text(**changes):
        return ph_teaching_glue({}, {"pfs": {**reading, **changes}}, {}, make_parameters())["pfs_band_text"][
            0
        ]

    inside = text()
    assert "at the first event (1 month) the band runs from an HR of 0.024 to 3.2" in inside
    assert "at the last (20.3 months) from 0.0016 to 69" in inside
    assert "3.1 and 2.7 times as wide there as at its narrowest (near 5.5 months)" in inside
    assert inside.endswith("the model's constant HR, 0.44, lies inside it throughout")
    assert "from 0.50 to 250" in text(hr_last_low=0.4996, hr_last_high=250.4)
    one = text(outside=[{"side": "below", "start": 19.53, "end": 20.3}])
    assert one.endswith("the model's constant HR, 0.44, lies below it from 19.5 to 20.3 months")
    two = text(
        outside=[{"side": "above", "start": 1.0, "end": 2.34}, {"side": "below", "start": 15.0, "end": 20.3}]
    )
    assert two.endswith("lies above it from 1 to 2.3 months and below it from 15 to 20.3 months")
    same_side = text(
        outside=[{"side": "above", "start": 1.0, "end": 2.34}, {"side": "above", "start": 7.96, "end": 8.04}]
    )
    assert same_side.endswith("lies above it from 1 to 2.3 months and near 8 months")
    glue = ph_teaching_glue({}, {}, {}, make_parameters())
    assert glue["pfs_band_text"] == (
        None,
        "{}",
        "no band (the spline fit is singular, as with too few distinct event times; R skips it)",
    )
    assert glue["zph_settings"][0] == "a natural cubic spline with 4 degrees of freedom, drawn at 40 points"
    assert glue["zph_multiplier"] == (2.0, "{:g}")


def test_ph_glue_verdict_ignores_the_piecewise_p():
    params = make_parameters()
    piecewise_only = {"methods.ph.pfs.full.p": 0.2, "methods.ph.pfs.early.p": 0.001}
    assert ph_glue(piecewise_only, params, 6.0)["verdict"][0].startswith("none of the tests rejects")
    rejecting = {**piecewise_only, "methods.ph.os.univariable.p_identity": 0.01}
    assert ph_glue(rejecting, params, 6.0)["verdict"][0].startswith("at least one test rejects")
    assert ph_glue(rejecting, params, 6.0)["pfs_late_hr"] == (None, "hr_ci", "not estimable")
    # review 78: alpha written one way on the page, "the 5% level" (it said "at the level of 0.05")
    assert ph_glue(rejecting, params, 6.0)["verdict"][0] == (
        "at least one test rejects proportional hazards at the 5% level"
    )


def test_ph_results_sentence_names_endpoints_by_event_and_alpha_as_a_percentage():
    """Review 78: chapter 11's results sentence says "for progression ... for death" and then read "it
    rejects proportional hazards at 0.05 for progression-free survival in the paper's model"; the
    formulas' spread said "for progression-free survival and overall survival" beside "for progression"
    in the same paragraph. Both now name the events and write alpha as "the 5% level"."""
    from lcnec_utils.chapter.methods_glue import _formula_spread, _rejections
    from lcnec_utils.contract.params import PAPER_COVARIATES
    from lcnec_utils.methods import fitted_model

    papers = fitted_model(PAPER_COVARIATES)
    conv = {
        "pfs": pd.DataFrame(
            {
                "test": ["score", "score"],
                "model": ["full", "full"],
                "transform": ["km", "identity"],
                "p": [0.037, 0.007],
            }
        ),
        "os": pd.DataFrame(
            {
                "test": ["score", "score"],
                "model": ["full", "full"],
                "transform": ["km", "identity"],
                "p": [0.032, 0.122],
            }
        ),
    }
    assert _rejections(conv, "score", 0.05, papers) == (
        "it rejects proportional hazards at the 5% level for progression in the paper's model on the 1 − KM "
        "scale (p = 0.037); progression in the paper's model on the t scale (p = 0.007); death in the "
        "paper's model on the 1 − KM scale (p = 0.032)"
    )
    assert _formula_spread(conv, 0.05, papers) == (
        "the p-values of the paper's model run from 0.007 to 0.037 for progression and from 0.032 to 0.122 "
        "for death, on both sides of the 5% level for death: there the choice of formula and time scale "
        'decides between "significant" and "not"'
    )
    assert _rejections(conv, "score", 0.001, papers) == (
        "none of its tests rejects proportional hazards at the 0.1% level"
    )


def test_rmst_glue_beyond_follow_up():
    values = {
        "methods.rmst.os.12m.difference": 2.0,
        "methods.rmst.os.12m.ci_low": -1.0,
        "methods.rmst.os.12m.ci_high": 5.0,
    }
    glue = rmst_glue(values, {"os": 30.5})
    assert glue["os_12m_diff"][0] == (2.0, -1.0, 5.0)
    assert glue["os_24m_diff"] == (
        None,
        "{0[0]:.1f} months (95% CI {0[1]:.1f} to {0[2]:.1f})",
        "not estimable (beyond follow-up)",
    )
    assert glue["os_max_tau"] == (30.5, "{:.1f}") and glue["pfs_max_tau"] == (None, "{:.1f}")


def test_rmst_glue_names_the_level_of_its_intervals():
    """The RMST difference's interval is computed at ``params.alpha``: its sentence and ``level`` say
    90% at alpha 0.10, 95% by default."""
    values = {
        "methods.rmst.os.12m.difference": 2.0,
        "methods.rmst.os.12m.ci_low": -1.0,
        "methods.rmst.os.12m.ci_high": 5.0,
    }
    for alpha, level in ((0.10, "90"), (0.05, "95")):
        glue = rmst_glue(values, {"os": 30.5}, alpha)
        assert format_value(*glue["os_12m_diff"][:2]) == f"2.0 months ({level}% CI -1.0 to 5.0)"
        assert format_value(*glue["level"]) == level
    assert rmst_glue(values, {})["level"] == rmst_glue(values, {}, 0.05)["level"]


def test_audit_glue_counts_and_verdict():
    statuses = ("reproduced", "within rounding", "within tolerance", "differs", "not computed")
    report = {
        "summary": {
            "published_numbers": 15,
            "status_counts": dict(zip(statuses, (5, 4, 3, 2, 1))),
            "consistency_checks": 7,
            "severity_counts": {"none": 4, "low": 1, "high": 2},
            "scope": "the shipped cohort",
            "out_of_tolerance": ["os.median.treatment", "pfs.p"],
        },
        "consistency": [{"severity": "high"}, {"severity": "low"}, {"severity": "high"}],
    }
    glue = audit_glue(report)
    assert glue["n_agree"] == (12, "{}") and glue["n_within_rounding"] == (4, "{}")
    assert glue["n_problems"] == (3, "{}") and glue["n_high"] == (2, "{}")
    assert glue["verdict"] == (
        "2 reproduced numbers are outside their tolerance (os.median.treatment, pfs.p)",
        "{}",
    )
    assert glue["paper_n_total"] == (31, "{}")
    assert glue["n_published_numbers"] == (15, "count:number")
    assert glue["n_checks_counted"] == (7, "count:check")
    report["summary"]["out_of_tolerance"] = ["pfs.p"]
    assert audit_glue(report)["verdict"] == ("1 reproduced number is outside its tolerance (pfs.p)", "{}")
    report["summary"]["out_of_tolerance"] = []
    assert audit_glue(report)["verdict"] == ("no reproduced number is outside its tolerance", "{}")


def test_the_wald_reading_follows_the_events_per_variable():
    """Below the rule of ten events per variable (Peduzzi et al. 1995) in either model the Wald
    intervals' coverage and the Wald tests degrade; at ten or more the rule is met, which Peduzzi et al.
    call the most prudent level, not a guarantee (the page said they "keep their large-sample
    meaning")."""
    from lcnec_utils.chapter.methods_glue import wald_reading

    def table(epv):
        return pd.DataFrame({"model": ["arm", "full"], "epv": [epv * 12, epv]})

    assert wald_reading({"pfs": table(2.3), "os": table(12.0)}) == (
        "At these events per variable the model is below the rule of ten, where Peduzzi and colleagues found "
        "the intervals' coverage and the Wald tests degrade"
    )
    met = wald_reading({"pfs": table(10.0), "os": table(14.5)})
    assert "meets the rule of ten" in met and "not a guarantee" in met and "keep" not in met
    assert "no Wald intervals" in wald_reading({"pfs": table(float("nan"))})


def _functions_with_alpha() -> dict[str, set[int]]:
    """Every public function of the package with an ``alpha`` parameter, by name: its position(s)."""
    import importlib
    import inspect
    import pkgutil

    import lcnec_utils

    out: dict[str, set[int]] = {}
    for info in pkgutil.walk_packages(lcnec_utils.__path__, "lcnec_utils."):
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if (
                inspect.isfunction(obj)
                and obj.__module__.startswith("lcnec_utils")
                and not name.startswith("_")
            ):
                params = list(inspect.signature(obj).parameters)
                if "alpha" in params:
                    out.setdefault(name, set()).add(params.index("alpha"))
    return out


def test_notebooks_pass_the_level_to_every_function_that_takes_one():
    """A package function with an ``alpha`` parameter defaults to 0.05; a chapter that forgets to
    pass it labels and computes at 95% in a build at another level (session 14's review found a
    forest plot headed "HR (95% CI)" over 90% intervals). Every call in a notebook names the level,
    ``ch.params.alpha`` or a fixed one on purpose (a keyword or the positional slot). Not scanned:
    level arguments under other names (``level``, ``z``) and calls into other libraries."""
    import ast
    import json

    from lcnec_utils.contract.params import PROJECT_ROOT

    with_alpha = _functions_with_alpha()
    assert {"forest_plot", "format_median_table", "rmst_glue", "landmark_survival"} <= set(with_alpha)
    missing = []
    for path in sorted((PROJECT_ROOT / "notebooks").glob("*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] != "code":
                continue
            for node in ast.walk(ast.parse("".join(cell["source"]))):
                if not isinstance(node, ast.Call):
                    continue
                f = node.func
                name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", None)
                if name not in with_alpha:
                    continue
                named = any(k.arg in ("alpha", None) for k in node.keywords)
                if not named and not any(len(node.args) > i for i in with_alpha[name]):
                    missing.append(f"{path.name}: {ast.unparse(node)[:80]}")
    assert missing == [], "calls that do not pass the level: " + "; ".join(missing)


def test_every_notebook_declares_every_parameter_the_build_passes():
    """papermill warns "Passed unknown parameter" for a name the parameters cell does not declare;
    map_path and sheet were missing from every chapter (session 15, found in the worker log)."""
    import ast
    import dataclasses
    import json

    from lcnec_utils.contract.params import PROJECT_ROOT, Parameters

    fields = {f.name for f in dataclasses.fields(Parameters)}
    for path in sorted((PROJECT_ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
        assert len(tagged) == 1, path.name
        tree = ast.parse("".join(tagged[0]["source"]))
        declared = {t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets}
        assert declared == fields, (path.name, sorted(fields ^ declared))


# A sentence that reads a p-value glues the whole clause ("p = 0.034", "p < 0.001": format
# "p_clause"), never "p = " typed before a glued p, which prints "p = <0.001" (session 15, finding 6).
_P_READING = re.compile(
    r"\b[pP](?:-values?)?\s*(?:=|is|of|:)?\s*\{glue:text\}`([^`]+)`"
    r"((?:\s*(?:,|and|or)\s*\{glue:text\}`[^`]+`)*)"
)
#: Keys a typed "p" may precede: the paper's printed p-values (data/published.yaml, not computed on
#: the cohort in force), which keep the paper's own printed form.
_PRINTED_P = {"paper_pfs_p", "paper_os_p", "pub_pfs_logrank_p", "pub_os_logrank_p"}


def _typed_p_readings(text: str) -> list[str]:
    """The glue keys that follow a typed "p", "p =", "p is", "p of" (and the keys listed after them)."""
    keys = []
    for m in _P_READING.finditer(text):
        keys += [m.group(1), *re.findall(r"`([^`]+)`", m.group(2))]
    return [k for k in keys if k not in _PRINTED_P]


def test_the_typed_p_pattern_is_found_where_it_was():
    """The check below finds the old sentences (chapters 4, 14 and 16 before session 15's fix)."""
    assert _typed_p_readings("(log-rank p =\n{glue:text}`pfs_logrank_p`). At") == ["pfs_logrank_p"]
    old_14 = "estimates: p = {glue:text}`pfs_logrank_p` and {glue:text}`os_logrank_p` give"
    assert _typed_p_readings(old_14) == ["pfs_logrank_p", "os_logrank_p"]
    assert _typed_p_readings("the max-combo p is\n{glue:text}`os_maxcombo_p`.") == ["os_maxcombo_p"]
    assert _typed_p_readings("(p {glue:text}`x_p`)") == ["x_p"]
    assert _typed_p_readings("the paper's log-rank\np of {glue:text}`pub_os_logrank_p`") == []
    assert _typed_p_readings("the test gives {glue:text}`pfs_logrank_p`") == []


def _book_prose():
    """(path, prose) of every notebook (its markdown cells) and book page, in order."""
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "book").glob("*.md")):
        if path.suffix == ".ipynb":
            cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
            yield path, "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        else:
            yield path, path.read_text(encoding="utf-8")


def test_no_sentence_types_p_before_a_glued_p_value():
    """Every notebook and book page: a p-value computed on the cohort in force is glued with its
    clause (format "p_clause"), so that p < 0.001 reads "p < 0.001", not "p = <0.001"."""
    found = {}
    for path, text in _book_prose():
        if keys := _typed_p_readings(text):
            found[path.name] = keys
    assert found == {}


# The other direction (session 15 review of chapter 14, finding 2): a p-value glued with format "p"
# prints the bare number ("0.034"), so the sentence must name it a p ("Student's t-test 0.034" did
# not); one glued with "p_clause" brings its own "p =", so no typed "p" may precede it.
def _p_pattern(node) -> tuple[str, int] | None:
    """A glue key in the code as a regex and its number of literal characters: a string constant exactly,
    an f-string with each replacement field as ``[A-Za-z0-9_]+``; None for any other expression."""
    import ast

    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return re.escape(node.value), len(node.value)
    if isinstance(node, ast.JoinedStr):
        parts = [re.escape(v.value) if isinstance(v, ast.Constant) else "[A-Za-z0-9_]+" for v in node.values]
        return "".join(parts), sum(len(v.value) for v in node.values if isinstance(v, ast.Constant))
    return None


#: The named formats of ``format_value`` besides "p" and "p_clause[:n]" (any other is a "{...}" pattern).
_NAMED_FORMATS = {"pct", "pct_ci", "hr_ci", "hr_ci_side"}


def _glue_format(node) -> str | None:
    """A glue format in the code: "p", "p_clause" (with its digits or not), or "other" for a format that
    prints no p clause ("{:.3f}", "pct", ...); None for what is not a format."""
    import ast

    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        if node.value == "p":
            return "p"
        if node.value == "p_clause" or node.value.startswith("p_clause:"):
            return "p_clause"
        if "{" in node.value or node.value in _NAMED_FORMATS:
            return "other"
    return None


def _glued_p_formats(source: str) -> list[tuple[str, int, str]]:
    """(key regex, literal characters, "p", "p_clause" or "other") for each glue declaration in
    ``source`` (:func:`_glue_format`): ``name: (value, fmt[, missing])`` in a dict or dict comprehension,
    ``glue[name] = (value, fmt, ...)``, and a call ``f(name, value, fmt)`` (``ch.glue_text``, the
    chapters' local helpers). Not resolved: a key or format held in a variable."""
    import ast

    out = []
    for node in ast.walk(ast.parse(source)):
        pairs = []
        if isinstance(node, ast.Dict):
            pairs = list(zip(node.keys, node.values))
        elif isinstance(node, ast.DictComp):
            pairs = [(node.key, node.value)]
        elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Subscript):
            pairs = [(node.targets[0].slice, node.value)]
        elif isinstance(node, ast.Call) and len(node.args) >= 3:
            pairs = [(node.args[0], ast.Tuple(elts=node.args[1:3]))]
        for key, value in pairs:
            if key is None or not isinstance(value, ast.Tuple) or len(value.elts) < 2:
                continue
            fmt, pattern = _glue_format(value.elts[1]), _p_pattern(key)
            if fmt and pattern:
                out.append((*pattern, fmt))
    return out


def _p_formats_of_the_book() -> list[tuple[str, int, str]]:
    sources = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "lcnec_utils").rglob("*.py"))]
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        sources.append("\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code"))
    return [d for s in sources for d in _glued_p_formats(s)]


def _format_of(key: str, declarations: list[tuple[str, int, str]]) -> set[str]:
    """The formats ``key`` is glued with: those of its most specific matching declarations (an exact
    string beats ``f"{ep}_p"``, so the paper's printed ``paper_pfs_p``, glued "{}", is no p clause)."""
    matches = [(n, fmt) for pattern, n, fmt in declarations if re.fullmatch(pattern, key)]
    best = max((n for n, _ in matches), default=None)
    return {fmt for n, fmt in matches if n == best}


#: Text just before a glued bare p that names it a p: "p =", "p of", "the max-combo p (", "the four
#: p-values for OS is": a "p" or "p-value(s)" within the clause (no sentence end, no other glue between).
_NAMES_A_P = re.compile(r"\b[pP](?:-values?)?\b[^.;{}`]{0,40}$")
#: A typed "p" right before a glued clause: "p = {p_clause}" prints "p = p = 0.034".
_TYPED_P_BEFORE = re.compile(r"\b[pP]\s*(?:=|<|is|of|:)?\s*$")


def _p_format_misreadings(text: str, declarations) -> list[str]:
    """The glued keys of ``text`` read against their p format: "bare:<key>" for a key glued with "p" that
    the text does not name as a p, "doubled:<key>" for a key glued with "p_clause" after a typed p."""
    found = []
    for m in re.finditer(r"\{glue:text\}`([^`]+)`", text):
        formats, before = _format_of(m.group(1), declarations), text[max(0, m.start() - 80) : m.start()]
        if "p" in formats and not _NAMES_A_P.search(before):
            found.append(f"bare:{m.group(1)}")
        if "p_clause" in formats and _TYPED_P_BEFORE.search(before):
            found.append(f"doubled:{m.group(1)}")
    return found


def test_the_p_format_check_finds_both_misreadings():
    """The check below on hand-made code and prose: chapter 2's sentence with age_p glued "p" (as before
    commit c2c4021) and glued "p_clause" after a typed "p =", an f-string key, and the readings it
    accepts."""
    code = 'ch.glue_text("age_p", x, "p")\nglue[f"{ep}_logrank_p"] = (p, "p_clause")\nt("ex2_min_p", v, "p")'
    decl = _glued_p_formats(code)
    assert _format_of("age_p", decl) == {"p"} and _format_of("os_logrank_p", decl) == {"p_clause"}
    assert _p_format_misreadings("years; Student's t-test {glue:text}`age_p`). In", decl) == ["bare:age_p"]
    assert _p_format_misreadings("(log-rank p =\n{glue:text}`pfs_logrank_p`)", decl) == [
        "doubled:pfs_logrank_p"
    ]
    assert _p_format_misreadings("(log-rank {glue:text}`pfs_logrank_p`)", decl) == []
    assert _p_format_misreadings("the four p-values for OS is {glue:text}`ex2_min_p`. Why", decl) == []
    assert _p_format_misreadings("Student's t-test p = {glue:text}`age_p`", decl) == []
    specific = _glued_p_formats(
        'g[f"{ep}_12m_perm_p"] = (v, "p")\ng[f"{ep}_p"] = (v, "p_clause")\nd = {"paper_pfs_p": (v, "{}")}'
    )
    assert _format_of("os_12m_perm_p", specific) == {"p"} and _format_of("os_p", specific) == {"p_clause"}
    assert _format_of("paper_pfs_p", specific) == {"other"}


def test_every_glued_p_value_is_read_as_its_format_says():
    """Every notebook and book page against the glue formats declared in the package and the notebooks'
    code (:func:`_glued_p_formats`; keys held in variables are not resolved, f-string keys are matched
    with their fields as wildcards, the most specific declaration winning)."""
    declarations = _p_formats_of_the_book()
    assert len(declarations) > 20  # the scan sees the book's p-value glue
    found = {}
    for path, text in _book_prose():
        if keys := _p_format_misreadings(text, declarations):
            found[path.name] = keys
    assert found == {}


def test_age_sentence_reads_the_printed_means_and_says_when_there_are_no_ages():
    """Chapter 2's sentence on the arms' ages is built from the numbers, never typed: older, younger
    or the same at the printed decimal (session 16's open finding 5: the page read "older on
    average" whatever the cohort, and "Student's t-test not available" without ages)."""
    from lcnec_utils.chapter import age_comparison

    base = {
        "baseline.age.mean.treatment": 66.94,
        "baseline.age.mean.reference": 63.9,
        "baseline.age.p": 0.0312,
    }
    assert age_comparison(base, "ICIs + Chemo") == (
        "Patients in the ICIs + Chemo arm were older on average (66.9 against 63.9 years; "
        "Student's t-test p = 0.031)."
    )
    younger = {**base, "baseline.age.mean.treatment": 61.04}
    assert "were younger on average (61.0 against 63.9 years" in age_comparison(younger, "A")
    same = {**base, "baseline.age.mean.treatment": 63.94}  # 63.94 > 63.9 but both print 63.9
    assert "were of the same mean age (63.9 against 63.9 years" in age_comparison(same, "A")
    assert age_comparison({**base, "baseline.age.p": None}, "A").endswith("(66.9 against 63.9 years).")
    assert age_comparison({"baseline.age.p": None}, "A") is None


def test_baseline_significance_counts_the_computed_comparisons_and_agrees_in_number():
    """Chapter 2's count of tests with p below alpha: only the p-values computed count (None is no
    test), and the verb agrees with the count (the page had read "1 of the baseline comparisons
    fall")."""
    from lcnec_utils.chapter import baseline_significance

    results = {
        "baseline.age.p": 0.034,
        "baseline.sex.p": 0.7,
        "baseline.ecog.p": None,
        "baseline.age.mean": 66.0,
    }
    assert baseline_significance(results, 0.05) == (
        "In all, 1 of the 2 baseline tests has a p-value below the two-sided level of 0.05."
    )
    assert baseline_significance(results, 0.8) == (
        "In all, 2 of the 2 baseline tests have a p-value below the two-sided level of 0.8."
    )
    assert baseline_significance(results, 0.01) == (
        "In all, none of the 2 baseline tests has a p-value below the two-sided level of 0.01."
    )


# ------------------------------------------------------------------ chapter 3's reading, from the numbers
# The paragraphs were typed ("each arm holds fewer than twenty patients: they overlap almost entirely,
# and the study could not have detected a difference of this size"), true of one cohort only, and read
# "The ORR was not available (95% CI not available) ..." without a response column (review of chapter 3).
# Every number below is checked by hand: Clopper-Pearson limits as Beta quantiles (test_tables.py),
# Newcombe's limits against R 4.2.2 (tests/test_tables.py::test_newcombe_difference_matches_r_wilson_limits),
# widths as the difference of the printed limits, Fisher's p as test_tables.py computes it.


def _response_results(treatment: dict, reference: dict, alpha: float = 0.05) -> dict:
    """The response table's results keys of a hand-made cohort: ``{category: patients}`` per arm
    (a ``None`` category is a missing response)."""
    from lcnec_utils import tables
    from lcnec_utils.contract.params import Parameters

    rows = [
        {"group": label, "best_response": cat}
        for label, counts in (("ICIs + Chemo", treatment), ("Chemo", reference))
        for cat, n in counts.items()
        for _ in range(n)
    ]
    cohort = pd.DataFrame(rows).assign(patient_id=lambda d: [f"P{i}" for i in range(len(d))])
    params = Parameters(reference_group="Chemo", treatment_group="ICIs + Chemo", alpha=alpha)
    return tables.response_table(cohort, params).results()


def _response_params(alpha: float = 0.05):
    from lcnec_utils.contract.params import Parameters

    return Parameters(reference_group="Chemo", treatment_group="ICIs + Chemo", alpha=alpha)


#: The paper's Table 3 counts: ORR 7/14 against 5/17, DCR 12/14 against 13/17.
_PAPER_TREATMENT = {"PR": 7, "SD": 5, "PD": 2}
_PAPER_REFERENCE = {"PR": 5, "SD": 8, "PD": 4}
_CLOSING = (
    "Whatever its size, a difference in response is not by itself evidence of longer survival: the next "
    "chapter compares survival itself."
)


def test_response_reading_of_overlapping_intervals_on_the_papers_counts():
    """7/14 (Clopper-Pearson 23.0%-77.0%) against 5/17 (10.3%-56.0%): the intervals overlap from 23.0%
    to 56.0%, each rate inside the other's interval; R: ORR difference 0.2059 (-0.1259, 0.4885), DCR
    0.0924 (-0.1997, 0.3511)."""
    from lcnec_utils.chapter import response_glue

    glue = response_glue(_response_results(_PAPER_TREATMENT, _PAPER_REFERENCE), _response_params())
    assert glue["response_rates"] == (
        "The ORR was 50.0% (95% CI 23.0%–77.0%) with ICIs + Chemo against 29.4% (10.3%–56.0%) with Chemo "
        "(Fisher p = 0.288); the DCR was 85.7% (57.2%–98.2%) against 76.5% (50.1%–93.2%), p = 0.664.",
        "{}",
    )
    assert glue["response_reading"] == (
        "The ORR rests on 14 patients with a recorded best response in the ICIs + Chemo arm and 17 in the "
        "Chemo arm, and its 95% CIs span 54.0 and 45.7 percentage points. The two intervals overlap from "
        "23.0% to 56.0%, and each arm's ORR lies inside the other arm's interval. Overlapping intervals "
        "are no test of a difference: the interval of the difference itself is the one to read. The ORR "
        "is 20.6 percentage points higher with ICIs + Chemo; the 95% CI of the difference (Newcombe's "
        "hybrid score interval) runs from 12.6 points lower to 48.8 points higher. The interval holds zero "
        "as well as differences in both directions, so these data do not tell which arm has the higher "
        "ORR. The DCR is 9.2 percentage points higher with ICIs + Chemo (95% CI from 20.0 points lower to "
        "35.1 points higher), an interval that holds zero. " + _CLOSING,
        "{}",
    )


def test_response_reading_of_intervals_that_do_not_overlap():
    """9/10 (55.5%-99.7%) against 1/10 (0.3%-44.5%): no overlap; R: difference 0.8 (0.3699, 0.9161),
    Fisher p = 0.0011 agrees with the interval, so no sentence on a disagreement."""
    from lcnec_utils.chapter import response_reading

    text = response_reading(_response_results({"PR": 9, "PD": 1}, {"PR": 1, "PD": 9}), _response_params())
    assert text == (
        "The ORR rests on 10 patients with a recorded best response in the ICIs + Chemo arm and 10 in the "
        "Chemo arm, and its 95% CIs span 44.2 and 44.2 percentage points. The two intervals do not "
        "overlap: the ICIs + Chemo arm's lower limit (55.5%) lies above the Chemo arm's upper limit "
        "(44.5%). The ORR is 80.0 percentage points higher with ICIs + Chemo; the 95% CI of the "
        "difference (Newcombe's hybrid score interval) runs from 37.0 points higher to 91.6 points higher. "
        "The interval excludes zero: at the 95% level the data are compatible only with a higher ORR with "
        "ICIs + Chemo, by at least 37.0 points. The DCR is 80.0 percentage points higher with ICIs + Chemo "
        "(95% CI from 37.0 points higher to 91.6 points higher), an interval that excludes zero. " + _CLOSING
    )
    assert "Overlapping intervals" not in text and "Fisher" not in text


def test_response_reading_in_the_reversed_direction():
    """The paper's ORR counts with the arms swapped: the difference and its interval change sign and are
    said from the treatment arm's side ("lower"), the reference arm's limit above the treatment arm's."""
    from lcnec_utils.chapter import interval_overlap, response_reading

    params = _response_params()
    text = response_reading(_response_results({"PR": 5, "PD": 12}, {"PR": 7, "PD": 7}), params)
    assert (
        "The ORR is 20.6 percentage points lower with ICIs + Chemo; the 95% CI of the difference "
        "(Newcombe's hybrid score interval) runs from 48.8 points lower to 12.6 points higher." in text
    )
    assert "do not tell which arm has the higher ORR" in text
    assert "higher with ICIs + Chemo" not in text
    apart = _response_results({"PR": 1, "PD": 9}, {"PR": 9, "PD": 1})
    assert interval_overlap(apart, "orr", params) == (
        "The two intervals do not overlap: the Chemo arm's lower limit (55.5%) lies above the "
        "ICIs + Chemo arm's upper limit (44.5%)."
    )
    assert (
        "excludes zero: at the 95% level the data are compatible only with a lower ORR with ICIs + "
        "Chemo, by at least 37.0 points." in response_reading(apart, params)
    )


def test_response_reading_with_no_responder_in_either_arm():
    """0/10 (0.0%-30.8%: 1 - 0.025^(1/10)) against 0/20 (0.0%-16.8%): the same ORR, each 0.0% inside
    the other interval; R: difference 0 (-0.1611, 0.2775), said with the treatment arm named."""
    from lcnec_utils.chapter import response_glue

    glue = response_glue(_response_results({"SD": 2, "PD": 8}, {"PD": 20}), _response_params())
    assert glue["response_rates"][0].startswith(
        "The ORR was 0.0% (95% CI 0.0%–30.8%) with ICIs + Chemo against 0.0% (0.0%–16.8%) with Chemo "
        "(Fisher p = 1.000)"
    )
    text = glue["response_reading"][0]
    assert (
        "The two intervals overlap from 0.0% to 16.8%, and each arm's ORR lies inside the other arm's "
        "interval." in text
    )
    assert (
        "The ORR is the same in both arms; the 95% CI of the difference (Newcombe's hybrid score "
        "interval) runs from 16.1 points lower to 27.8 points higher with ICIs + Chemo." in text
    )
    assert "The DCR is 20.0 percentage points higher with ICIs + Chemo" in text


def test_response_reading_without_a_response_column_says_so_once():
    """A cohort of the required columns only: one sentence naming the column, no "not available", and
    an empty second paragraph (the page then shows neither table nor figure)."""
    from lcnec_utils import tables
    from lcnec_utils.chapter import response_glue

    cohort = pd.DataFrame({"patient_id": ["a", "b", "c"], "group": ["ICIs + Chemo", "Chemo", "Chemo"]})
    results = tables.response_table(cohort, _response_params()).results()
    glue = response_glue(results, _response_params())
    assert glue == {
        "response_rates": (
            "The cohort file has no best_response column, so this chapter has no response rates to "
            "compute or compare.",
            "{}",
        ),
        "response_reading": ("", "{}"),
    }
    assert format_value(*glue["response_reading"]) == ""


def test_response_reading_when_an_arm_or_both_have_no_recorded_response():
    """A response column with no recorded value in one arm (or in both): the rates of the arm that has
    them, or one sentence, and no comparison."""
    from lcnec_utils.chapter import response_glue

    params = _response_params()
    one = response_glue(_response_results({"PR": 3, "PD": 7}, {None: 4}), params)
    assert one["response_rates"][0] == (
        "No patient of the Chemo arm has a recorded best response, so the arms' rates are not compared; "
        "with ICIs + Chemo the ORR was 30.0% (95% CI 6.7%–65.2%) and the DCR 30.0% (6.7%–65.2%)."
    )
    assert one["response_reading"][0] == ""
    both = response_glue(_response_results({None: 2}, {None: 3}), params)
    assert both["response_rates"][0] == (
        "No patient has a recorded best response (CR, PR, SD, PD or NE in the best_response column), so "
        "this chapter has no response rates to compare."
    )
    assert both["response_reading"][0] == ""


def test_interval_overlap_says_which_rate_lies_in_which_interval():
    """3/5 (14.7%-94.7%) against 30/100 (21.2%-40.0%): only the reference rate lies inside the other
    interval; 6/10 (26.2%-87.8%) against 2/20 (1.2%-31.7%): neither; two intervals that meet at a
    printed limit (hand-made keys) meet "only"."""
    from lcnec_utils.chapter import interval_overlap, response_reading

    params = _response_params()
    assert interval_overlap(_response_results({"PR": 3, "PD": 2}, {"PR": 30, "PD": 70}), "orr", params) == (
        "The two intervals overlap from 21.2% to 40.0%; the Chemo arm's ORR (30.0%) lies inside the "
        "ICIs + Chemo arm's interval, but the ICIs + Chemo arm's (60.0%) lies outside the Chemo arm's."
    )
    assert interval_overlap(_response_results({"PR": 6, "PD": 4}, {"PR": 2, "PD": 18}), "orr", params) == (
        "The two intervals overlap from 26.2% to 31.7%, but neither arm's ORR lies inside the other arm's "
        "interval."
    )
    # overlapping intervals are no test: here the difference's interval excludes zero (R: 0.1493, 0.7428)
    assert "runs from 14.9 points higher to 74.3 points higher. The interval excludes zero" in (
        response_reading(_response_results({"PR": 6, "PD": 4}, {"PR": 2, "PD": 18}), params)
    )
    meet = {
        "response.orr.treatment": 0.5,
        "response.orr.ci_low.treatment": 0.30004,  # prints 30.0%
        "response.orr.ci_high.treatment": 0.7,
        "response.orr.reference": 0.1,
        "response.orr.ci_low.reference": 0.01,
        "response.orr.ci_high.reference": 0.29996,  # prints 30.0%
    }
    assert interval_overlap(meet, "orr", params) == (
        "The two intervals meet at 30.0% only, but neither arm's ORR lies inside the other arm's interval."
    )


def test_response_reading_says_where_fisher_and_the_interval_disagree():
    """6/10 against 1/10: Newcombe's interval (0.0816, 0.7459) excludes zero, Fisher's p = 0.0573 (the
    hypergeometric tail: (C(7,6)C(13,4) + C(7,7)C(13,3)) * 2 / C(20,10)) does not reject; an interval
    that reaches zero at a printed limit gets its own sentence and none on Fisher."""
    from lcnec_utils.chapter import fisher_disagreement, response_reading

    params = _response_params()
    results = _response_results({"PR": 6, "PD": 4}, {"PR": 1, "PD": 9})
    assert math.comb(7, 6) * math.comb(13, 4) + math.comb(7, 7) * math.comb(13, 3) == 5291
    assert results["response.orr.p"] == pytest.approx(2 * 5291 / math.comb(20, 10))
    sentence = (
        "Fisher's exact test of the ORR (p = 0.057) does not reject equal rates at alpha = 0.05: near the "
        "threshold the two methods can disagree, since Fisher's test conditions on the margins and keeps "
        "its size below alpha (most of all in small arms), while the interval aims at its level only on "
        "average."
    )
    assert fisher_disagreement(results, "orr", 0.05) == sentence
    text = response_reading(results, params)
    assert "runs from 8.2 points higher to 74.6 points higher. The interval excludes zero" in text
    assert sentence in text
    paper = _response_results(_PAPER_TREATMENT, _PAPER_REFERENCE)
    assert fisher_disagreement(paper, "orr", 0.05) is None
    edge = {**results, "response.orr.difference_ci_low": 0.00004}  # prints 0.0
    text = response_reading(edge, params)
    assert "runs from zero to 74.6 points higher." in text
    assert (
        "The interval reaches zero at its lower limit: the data are at the edge of excluding no "
        "difference." in text
    )
    assert fisher_disagreement(edge, "orr", 0.05) is None


def test_response_reading_says_where_fisher_rejects_and_the_interval_holds_zero():
    """The other disagreement: 4/30 against 0/32, Fisher's p = 0.0491 (the tables no more likely
    than the observed one: the observed alone, C(30,4) / C(62,4), since all 4 responders in the other
    arm, C(32,4) / C(62,4) = 0.064, is more likely; R's fisher.test 0.04912655) rejects, while
    Newcombe's interval, -0.055 to 29.7 points, holds zero (it prints as -0.1)."""
    from lcnec_utils.chapter import fisher_disagreement

    results = _response_results({"PR": 4, "PD": 26}, {"PD": 32})
    assert math.comb(32, 4) / math.comb(62, 4) > math.comb(30, 4) / math.comb(62, 4)
    assert results["response.orr.p"] == pytest.approx(math.comb(30, 4) / math.comb(62, 4))
    assert results["response.orr.difference_ci_low"] == pytest.approx(-0.000552144, abs=1e-8)
    assert fisher_disagreement(results, "orr", 0.05) == (
        "Fisher's exact test of the ORR (p = 0.049) rejects equal rates at alpha = 0.05 although the "
        "interval holds zero: near the threshold the two methods can disagree."
    )


def test_response_reading_names_the_level_in_force():
    """At alpha 0.10 every interval is a 90% one; R: prop.test(correct = FALSE, conf.level = 0.90)
    limits combined give (-0.0774, 0.4527) for the paper's ORR counts."""
    from lcnec_utils.chapter import response_glue

    glue = response_glue(_response_results(_PAPER_TREATMENT, _PAPER_REFERENCE, 0.1), _response_params(0.1))
    assert glue["response_rates"][0].startswith("The ORR was 50.0% (90% CI ")
    assert "its 90% CIs span" in glue["response_reading"][0]
    assert (
        "the 90% CI of the difference (Newcombe's hybrid score interval) runs from 7.7 points lower to "
        "45.3 points higher." in glue["response_reading"][0]
    )
    assert "95%" not in glue["response_rates"][0] + glue["response_reading"][0]


@pytest.mark.parametrize(("n1", "n2", "largest"), [(14, 17, 0.0325), (10, 10, 0.0128)])
def test_fishers_test_is_conservative_at_these_arm_sizes(n1, n2, largest):
    """The claim behind chapter 3's "Fisher's test being conservative": the unconditional size of
    the two-sided exact test at 0.05 (``classical.fisher_power`` at equal response probabilities
    pi in both arms: the probability of the tables it rejects, summed exactly over every table; its
    rejection region is scipy's test table by table,
    ``test_tables.py::test_fisher_rejection_region_is_scipys_test_table_by_table``), for the
    paper's arms (14, 17) and 10 against 10, is below 0.05 at every pi of a grid from 0.01 to 0.99;
    its largest value is about 0.032 and 0.013."""
    from lcnec_utils.stats.classical import fisher_power, fisher_rejection_region

    region = fisher_rejection_region(n1, n2, 0.05)
    sizes = [fisher_power(n1, n2, pi, pi, 0.05, region=region) for pi in np.linspace(0.01, 0.99, 99)]
    assert max(sizes) < 0.05
    assert max(sizes) == pytest.approx(largest, abs=5e-4)


def test_fisher_power_caution_reads_the_exact_power_range():
    """Chapter 2's caution on power, from the numbers: the paper's arms give 13% to 30% (R's
    enumeration of fisher.test: 0.131 at 70% against 50%, the grid's lowest, and 0.302 at 20%
    against 0%, its highest: ``test_tables.py::test_fisher_power_matches_r_enumeration``), large
    arms the other verdict, and a level at which the range straddles one half the third."""
    from lcnec_utils.chapter import fisher_power_caution

    assert fisher_power_caution(14, 17, 0.05) == (
        "With 14 and 17 patients, Fisher's test at 0.05 detects a difference of 20 percentage points in a "
        "characteristic (say 40% against 60%) in 13% to 30% of samples, depending on how common the "
        "characteristic is and which arm has more of it (exact binomial power): most such differences "
        'come out "not significant" at 0.05.'
    )
    assert fisher_power_caution(60, 60, 0.05).endswith(
        "in 54% to 99% of samples, depending on how common the characteristic is (exact binomial power): "
        "most such differences come out significant at 0.05."
    )
    assert fisher_power_caution(14, 17, 0.1).endswith(
        "in 24% to 55% of samples, depending on how common the characteristic is and which arm has more "
        "of it (exact binomial power): whether most such differences come out significant at 0.1 depends "
        "on how common the characteristic is and which arm has more of it."
    )
    # equal arms: the power is symmetric in which arm has more (review 60)
    assert fisher_power_caution(20, 20, 0.1).endswith(
        "in 22% to 37% of samples, depending on how common the characteristic is (exact binomial power): "
        'most such differences come out "not significant" at 0.1.'
    )
    # a range that rounds to one value at either end
    assert fisher_power_caution(400, 400, 0.05).endswith(
        "in >99% of samples at every share tested (exact binomial power): most such differences come out "
        "significant at 0.05."
    )
    assert fisher_power_caution(3, 2, 0.05).endswith(
        "in <1% of samples at every share tested (exact binomial power): most such differences come out "
        '"not significant" at 0.05.'
    )
    assert fisher_power_caution(0, 17, 0.05) == "With an empty arm, Fisher's test compares nothing."


def test_ph_global_size_says_not_evidence_only_where_most_samples_reject():
    """Review 80: an exact global test at 7% of 988 and 8% of 738 (above 5% + 2·√(0.0475/n) = 6.39% and
    6.60%) was said to give p-values that "are not evidence" and to reject "far more often than in 5%";
    only a test rejecting in most samples gets that reading, one just above 5% the arm's term's hedge. A
    rate not judged (30 kept) prints with alpha's decimals, not one more: "10%", not "10.0%"."""
    from lcnec_utils.chapter import ph_global_glue

    rates = {"pfs": _null(0.07, 0.05, 0.12, kept=988), "os": _null(0.08, 0.05, 0.13, kept=738)}
    size = ph_global_glue({}, {}, {}, make_parameters(), rates)["global_size"][0]
    assert "not evidence" not in size and "far more often" not in size
    assert (
        "So for progression and death the exact global test's p-values just below the 5% level are weaker "
        "evidence against proportional hazards than they look." in size
    )
    mixed = {"pfs": _null(0.65, 0.05, 0.12, kept=988), "os": _null(0.08, 0.05, 0.13, kept=738)}
    size = ph_global_glue({}, {}, {}, make_parameters(), mixed)["global_size"][0]
    assert "So for progression the exact global test's p-values below the 5% level are not evidence" in size
    assert "So for death the exact global test's p-values just below the 5% level are weaker evidence" in size
    few = {"pfs": _null(0.6, 0.1, 0.1, kept=30)}
    size = ph_global_glue({}, {}, {}, make_parameters({"alpha": 0.1}), few)["global_size"][0]
    assert "the exact global test in 60%; the old approximation's global test in 10%." in size
