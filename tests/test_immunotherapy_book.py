"""Chapters 15 to 19 in the built book: their results keys, their pages, their exercises'
glued solutions (recomputed here from their definitions), and the cohort with only the
required columns, on which each chapter says what it cannot do."""

from __future__ import annotations

import ast
import html
import json
import math
import re

import numpy as np
import pandas as pd
import pytest

from lcnec_utils.contract.params import DEFAULT_COHORT, make_parameters
from lcnec_utils.contract.results_keys import expected_keys
from lcnec_utils.methods import bayes

pytestmark = pytest.mark.book

PAGES = {
    "15_immortal_time_landmark": "methods_landmark",
    "16_weighted_logrank": "methods_weighted_logrank",
    "17_cure_models": "methods_cure",
    "18_competing_risks": "methods_competing_risks",
    "19_bayesian_reading": "methods_bayes",
}
#: Keys null on the shipped cohort: none (Gray's test runs although only the treatment arm has irAEs).
NULL_ON_THE_SHIPPED_COHORT: set[str] = set()
#: Tables on each page (the others have two or more).
TABLES = {"18_competing_risks": 1}
PARAMS = make_parameters()


def _glued(build, stem: str) -> dict[str, str]:
    """The texts a notebook glued (myst-nb stores them as papermill records, a str as its repr, which
    is in double quotes when the text has an apostrophe; myst-nb reads it back with literal_eval)."""
    nb = json.loads((build / "notebooks" / f"{stem}.ipynb").read_text())
    out = {}
    for cell in nb["cells"]:
        for o in cell.get("outputs", []):
            meta = o.get("metadata", {}).get("scrapbook")
            if meta:
                raw = o["data"][meta["mime_prefix"] + "text/plain"]
                try:
                    value = ast.literal_eval(raw)
                except (ValueError, SyntaxError):
                    value = None
                out[meta["name"]] = value if isinstance(value, str) else raw.strip("'")
    return out


def _arrays(endpoint="os"):
    c = pd.read_csv(DEFAULT_COHORT)
    return (
        c[f"{endpoint}_months"].to_numpy(float),
        c[f"{endpoint}_event"].to_numpy(int),
        (c["group"] == PARAMS.treatment_group).to_numpy().astype(int),
    )


def test_results_json_holds_every_key_of_the_new_chapters(default_build):
    r = json.loads((default_build / "results.json").read_text())
    nulls = set()
    for chapter in PAGES.values():
        keys = expected_keys(chapter)
        assert keys and all(k in r for k in keys), chapter
        nulls |= {k for k in keys if r[k] is None}
    assert nulls == NULL_ON_THE_SHIPPED_COHORT


def test_new_keys_agree_with_the_books_other_chapters(default_build):
    r = json.loads((default_build / "results.json").read_text())
    for ep in ("os", "pfs"):
        assert r[f"methods.fh.{ep}.fh00.chi2"] == pytest.approx(r[f"{ep}.logrank.chi2"], rel=1e-10)
        assert r[f"methods.fh.{ep}.fh00.p"] == pytest.approx(r[f"{ep}.logrank.p"], rel=1e-8)
        assert r[f"methods.landmark.{ep}.curve.0m.hr"] == pytest.approx(
            r[f"{ep}.cox_univariable.hr"], rel=1e-9
        )
        assert math.exp(r[f"methods.bayes.{ep}.likelihood.log_hr"]) == pytest.approx(
            r[f"{ep}.cox_univariable.hr"], rel=1e-9
        )
    assert r["methods.landmark.months"] == 3.0


def test_new_pages_render_tables_figures_and_two_exercises_with_solutions(default_build):
    for stem in PAGES:
        page = (default_build / "html" / "notebooks" / f"{stem}.html").read_text()
        assert page.count("<table") >= TABLES.get(stem, 2), stem
        assert re.search(r"<img [^>]*src=\"[^\"]+\.png\"", page), stem
        assert page.count('<div class="dropdown admonition"') >= 2, stem
        assert "Exercises" in page and "References" in page, stem
        assert "not available" not in page, stem  # every glued number exists on the full cohort


def test_landing_page_and_strobe_link_the_new_chapters(default_build):
    html = default_build / "html"
    overview = (html / "notebooks" / "00_overview.html").read_text()
    strobe = (html / "strobe.html").read_text()
    for stem in PAGES:
        assert f'href="{stem}.html' in overview, stem
        assert f'href="notebooks/{stem}.html' in strobe, stem
    body = strobe[strobe.index("<main") :]
    assert body.count('href="notebooks/15_immortal_time_landmark.html') >= 3


def test_glued_solutions_of_chapter_15(default_build):
    from lifelines import CoxPHFitter

    g = _glued(default_build, "15_immortal_time_landmark")
    t, e, a = _arrays()
    lm = float(g["ex1_landmark"])  # the rule's choice, checked in test_exercise_solutions_of_chapter_15
    keep = t > lm
    fit = CoxPHFitter().fit(pd.DataFrame({"t": t[keep], "e": e[keep], "x": a[keep]}), "t", "e")
    b, se = fit.params_["x"], fit.standard_errors_["x"]
    assert (
        g["ex1_os_hr"]
        == f"{math.exp(b):.2f} ({math.exp(b - 1.959964 * se):.2f}–{math.exp(b + 1.959964 * se):.2f})"
    )
    out_trt, out_ref = (int(((t <= lm) & (e == 1) & (a == arm)).sum()) for arm in (1, 0))
    deaths = f"{out_ref} death{'' if out_ref == 1 else 's'}"
    assert g["ex1_os_left_out"] == f"none in the treatment arm and {deaths} in the reference arm"
    assert (out_trt, out_ref) == (0, 1)  # seed 20250103: the reference arm's first death at 4.9 months
    immortal = 1.0 * a.sum()
    rate_t = e[a == 1].sum() / (t[a == 1].sum() - immortal)
    rate_r = e[a == 0].sum() / (t[a == 0].sum() + immortal)
    assert g["ex2_rr_corrected"] == f"{rate_t / rate_r:.2f}"
    assert g["ex2_rate_naive_treatment"] == f"{100 * e[a == 1].sum() / t[a == 1].sum():.2f}"


def test_glued_solutions_of_chapter_16(default_build):
    g = _glued(default_build, "16_weighted_logrank")
    t, e, a = _arrays()
    first = t[(a == 1) & (e == 1)].min()
    s = 1.0
    for tj in np.unique(t[(e == 1) & (t < first)]):
        s *= 1 - ((t == tj) & (e == 1)).sum() / (t >= tj).sum()
    assert g["ex1_time"] == f"{first:.1f}"
    assert (g["ex1_surv"], g["ex1_w01"], g["ex1_w11"]) == (f"{s:.3f}", f"{1 - s:.3f}", f"{s * (1 - s):.3f}")
    r = json.loads((default_build / "results.json").read_text())
    ps = [r[f"methods.fh.os.{k}.p"] for k in ("fh00", "fh10", "fh01", "fh11")]
    assert g["ex2_min_p"] == f"p = {min(ps):.3f}"
    assert g["ex2_bonferroni"] == f"{min(1.0, 4 * min(ps)):.3f}"


def test_glued_solutions_of_chapter_19(default_build):
    g = _glued(default_build, "19_bayesian_reading")
    r = json.loads((default_build / "results.json").read_text())
    b, se = r["methods.bayes.os.likelihood.log_hr"], r["methods.bayes.os.likelihood.se"]
    s0 = r["methods.bayes.os.prior.sceptical.sd"]
    w = se**2 / (se**2 + s0**2)
    # printed with the decimals the hand computation needs: (1 - 0.8124) x (-0.828) = -0.155
    assert g["ex1_w_prior"] == f"{w:.4f}" == "0.8124"
    assert (
        g["ex1_post_mean"]
        == f"{(1 - w) * b:.3f}"
        == f"{(1 - float(g['ex1_w_prior'])) * float(g['ex1_b']):.3f}"
    )
    assert g["ex1_post_hr"] == f"{math.exp((1 - w) * b):.2f}"
    p = 14 / 31
    assert g["ex2_sceptical_events"] == f"{1 / (s0**2 * p * (1 - p)):.0f}"
    # the trials' pooled effects: OS 0.72, PFS 0.78 (tests/test_immunotherapy_methods.py, by hand and R)
    assert (g["trials_hr_os"], g["trials_hr_pfs"]) == ("0.72", "0.78")
    assert r["methods.bayes.pfs.trials_hr"] == pytest.approx(bayes.pooled_trial_hr("pfs")["hr"], rel=1e-12)
    # R: exp(coef + qnorm(0.975) * se) = 0.99501977074861669: the bound keeps its side of 1
    assert g["os_lik_hr"] == "0.44 (0.19–0.995)"


def test_chapter_19_reading_is_the_one_its_posteriors_give(default_build):
    """The page's reading of "promising" is the sentence the posteriors of results.json give, and on
    the shipped cohort it is the one checked against R (test_promising_reading_follows_the_posteriors)."""
    g = _glued(default_build, "19_bayesian_reading")
    page = re.sub(
        r"<[^>]+>", "", (default_build / "html" / "notebooks" / "19_bayesian_reading.html").read_text()
    )
    page = " ".join(html.unescape(page).split()).replace("’", "'").replace("“", '"').replace("”", '"')
    assert "only the sceptical prior separates the readings" in g["promising_reading"]
    assert "may be a promising treatment option" in page
    for name in ("promising_reading", "enthusiast_reading", "gap_reading"):
        assert g[name] in page, name
    assert g["gap_reading"].startswith("for both endpoints")


def test_required_columns_only_cohort_says_what_each_new_chapter_cannot_do(minimal_build):
    r = json.loads((minimal_build / "results.json").read_text())
    survival_pages = {stem: chapter for stem, chapter in PAGES.items() if stem != "18_competing_risks"}
    for chapter in survival_pages.values():
        keys = expected_keys(chapter)
        assert all(r[k] is None for k in keys if ".pfs." in k), chapter
        assert any(r[k] is not None for k in keys if ".os." in k), chapter
    for stem in survival_pages:
        page = (minimal_build / "html" / "notebooks" / f"{stem}.html").read_text()
        assert "The cohort has no PFS columns" in page, stem
        assert "not available (the cohort has no PFS columns)" in page, stem
    # a user's cohort comes without the shipped adverse events: chapter 18 has nothing to analyse
    assert all(r[k] is None for k in expected_keys("methods_competing_risks"))
    page = (minimal_build / "html" / "notebooks" / "18_competing_risks.html").read_text()
    assert "No cumulative incidence of irAEs: the study has no adverse-event table" in page
    assert "not available (the study has no adverse-event table)" in page


def test_glued_solutions_of_chapter_17(default_build):
    from lifelines import KaplanMeierFitter, WeibullFitter

    g = _glued(default_build, "17_cure_models")
    t, e, a = _arrays()
    c, lam, rho = float(g["ex1_c"]), float(g["ex1_scale"]), float(g["ex1_shape"])
    months = float(g["ex1_months"])
    s_fit = c + (1 - c) * math.exp(-((months / lam) ** rho))
    assert abs(float(g["ex1_s_fit"].rstrip("%")) - 100 * s_fit) < 0.1  # the glued parameters are rounded
    km = KaplanMeierFitter().fit(t[a == 1], e[a == 1])
    assert g["ex1_s_km"] == f"{100 * float(km.survival_function_at_times(months).iloc[0]):.1f}%"
    assert g["ex2_loglik0"] == f"{WeibullFitter().fit(t[a == 1], e[a == 1]).log_likelihood_:.3f}"
    # the positive statistic read beside the two patients followed beyond the last death
    assert g["ex2_reading"].startswith(f"A statistic of {g['ex2_lr']} says the cure model fits better")
    assert f"and without them the statistic is 0.00 instead of {g['ex2_lr']}" in g["os_tests"]
    r = json.loads((default_build / "results.json").read_text())
    assert g["os_treatment_cure_ci"] == (
        f"{100 * r['methods.cure.os.treatment.ci_low']:.1f}%–{100 * r['methods.cure.os.treatment.ci_high']:.1f}%"
    )


def test_glued_solutions_of_chapter_18(default_build):
    g = _glued(default_build, "18_competing_risks")
    cohort = pd.read_csv(DEFAULT_COHORT)
    ae = pd.read_csv(PARAMS.ae_path)
    treated = cohort[cohort["group"] == PARAMS.treatment_group]
    onset = ae[ae["immune_related"] == 1].groupby("patient_id")["onset_months"].min()
    time = treated["patient_id"].map(onset).fillna(treated["os_months"]).to_numpy(float)
    irae = treated["patient_id"].isin(onset.index).to_numpy()
    died = (treated["os_event"] == 1).to_numpy() & ~irae
    last = time[irae].max()
    surv = 1.0
    for u in np.unique(time[(irae | died) & (time < last)]):
        surv *= 1 - ((time == u) & (irae | died)).sum() / (time >= u).sum()
    n = int((time >= last).sum())
    d = int(((time == last) & irae).sum())  # one irAE at the last onset on the shipped cohort (seed 20250103)
    assert (g["ex1_time"], g["ex1_n"], g["ex1_d"], g["ex1_surv_before"]) == (
        f"{last:.1f}",
        str(n),
        str(d),
        f"{surv:.3f}",
    )
    assert g["ex1_step"] == f"{surv * d / n:.3f}"
    r = json.loads((default_build / "results.json").read_text())
    assert g["treatment_cif_12m"] == f"{100 * r['methods.competing.irae.treatment.cif.12m']:.1f}%"
    assert r["methods.competing.irae.treatment.first_irae"] == int(irae.sum())
    censored = int((~irae & ~died).sum())
    assert g["treatment_counts"].endswith(f"{censored} {'was' if censored == 1 else 'were'} censored")
    # exercise 2's delay by its rule (recomputed in test_exercise_solutions_of_chapter_18): the estimates part
    assert g["ex2_delay"] == "9" and g["ex2_why"].startswith("They differ")
    # Gray's test with the treatment arm's irAEs only (R cuminc: 5.3147538443369493, p 0.0211455809568505959;
    # fisher.test on 4/14 against 0/17: p 0.031813125695216875)
    assert r["methods.competing.irae.gray.chi2"] == pytest.approx(5.3147538443369493, abs=1e-9)
    assert r["methods.competing.irae.fisher.p"] == pytest.approx(0.031813125695216875, abs=1e-12)
    assert g["gray"].startswith("Gray's test of the arms' cumulative incidences gives χ² = 5.31 on 1 degree")
    assert "(p = 0.021)" in g["gray"] and g["gray"].endswith("gives p = 0.032")
    assert g["treatment_crude"].startswith(
        f"the cumulative incidence by 12 months is {g['treatment_cif_12m']}: "
    )
