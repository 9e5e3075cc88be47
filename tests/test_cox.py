"""Tests of lcnec_utils.cox against R (survival 3.5.3, R 4.2.2) on public data.

Data: the Rossi recidivism data shipped in lifelines (``load_rossi``), written
to CSV and read by R as ``r``. R numbers are pasted with the R code; R is not
called from here.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from lifelines.datasets import load_rossi

from lcnec_utils.contract.params import Parameters
from lcnec_utils.stats import cox
from lcnec_utils.stats.format import ci_label, format_hr_ci, format_p, z_label
from lcnec_utils.stats.survival import EndpointUnavailable
from lcnec_utils.tables.multivariable import cox_results, cox_table, forest_rows, format_cox_table

ROSSI_COVARIATES = ["age", "race", "wexp", "mar", "paro", "prio"]


@pytest.fixture(scope="module")
def rossi_cohort():
    """Rossi as a cohort: arm = financial aid (fin = 1 is the treatment), OS = weeks to arrest."""
    r = load_rossi()
    cohort = pd.DataFrame(
        {
            "group": np.where(r["fin"] == 1, "Aid", "No aid"),
            "os_months": r["week"].astype(float),
            "os_event": r["arrest"],
        }
    )
    for c in ROSSI_COVARIATES:
        cohort[c] = r[c]
    return cohort


@pytest.fixture(scope="module")
def rossi_params():
    return Parameters(reference_group="No aid", treatment_group="Aid", covariates=ROSSI_COVARIATES)


# R: f <- coxph(Surv(week, arrest) ~ fin + age + race + wexp + mar + paro + prio, data = r, ties = "efron")
#    s <- summary(f); cbind(s$coefficients[, c(1, 3, 5)], s$conf.int[, 3:4])
R_MULTI = {  # coef, se(coef), Pr(>|z|), lower .95, upper .95
    "treatment": (-0.3794221665, 0.1913794807, 0.04741609487, 0.4702367179, 0.9956840636),
    "age": (-0.05743774268, 0.0219994706, 0.009031239904, 0.9043345472, 0.9857824648),
    "race": (0.3138997878, 0.3079927766, 0.308117967, 0.7484469433, 2.503161511),
    "wexp": (-0.1497956977, 0.2122242962, 0.480289694, 0.5679353569, 1.304938978),
    "mar": (-0.4337038779, 0.3818680577, 0.2560642434, 0.3066183336, 1.369908243),
    "paro": (-0.0848710825, 0.1957566719, 0.6646123657, 0.6259109883, 1.348246614),
    "prio": (0.09149708099, 0.02864854996, 0.001404245279, 1.035979084, 1.159103901),
}


def test_multivariable_cox_matches_r_coxph_efron(rossi_cohort, rossi_params):
    res = cox.fit_cox(rossi_cohort, "os", ROSSI_COVARIATES, rossi_params)
    assert res.converged and res.n == 432 and res.events == 114 and res.n_dropped == 0
    assert list(res.table["term"]) == ["treatment"] + ROSSI_COVARIATES
    assert res.events_per_variable == pytest.approx(114 / 7)
    for term, (coef, se, p, lo, hi) in R_MULTI.items():
        row = res.term(term)
        assert row["coef"] == pytest.approx(coef, rel=1e-6, abs=1e-8), term
        assert row["se"] == pytest.approx(se, rel=1e-6), term
        assert row["p"] == pytest.approx(p, rel=1e-5), term
        assert row["hr"] == pytest.approx(math.exp(coef), rel=1e-6), term
        assert row["ci_low"] == pytest.approx(lo, rel=1e-6), term
        assert row["ci_high"] == pytest.approx(hi, rel=1e-6), term


def test_fit_design_without_the_wald_table_keeps_the_model(rossi_cohort, rossi_params):
    """``wald_table=False`` (chapter 11's simulation): the same lifelines model, an empty table."""
    dm = cox.design_matrix(
        rossi_cohort,
        ROSSI_COVARIATES,
        rossi_params.reference_group,
        rossi_params.treatment_group,
        endpoint="os",
    )
    full, lean = cox.fit_design(dm, 0.05), cox.fit_design(dm, 0.05, wald_table=False)
    assert lean.converged and lean.model is not None
    pd.testing.assert_series_equal(lean.model.params_, full.model.params_)
    assert lean.table["hr"].isna().all() and not full.table["hr"].isna().any()
    assert list(lean.table["term"]) == list(full.table["term"])


def test_univariable_cox_matches_r(rossi_cohort, rossi_params):
    # R: summary(coxph(Surv(week, arrest) ~ fin, data = r))
    #    coef -0.3690692103 se 0.1897224368 p 0.0517375165 CI 0.4766759574 1.0027838
    res = cox.univariable_cox(rossi_cohort, "os", rossi_params)
    row = res.term("treatment")
    assert list(res.table["term"]) == ["treatment"]
    assert row["coef"] == pytest.approx(-0.3690692103, rel=1e-6)
    assert row["se"] == pytest.approx(0.1897224368, rel=1e-6)
    assert row["p"] == pytest.approx(0.0517375165, rel=1e-5)
    assert row["ci_low"] == pytest.approx(0.4766759574, rel=1e-6)
    assert row["ci_high"] == pytest.approx(1.0027838, rel=1e-6)


def test_cox_results_keys(rossi_cohort, rossi_params):
    res = cox_results(rossi_cohort, "os", rossi_params)
    assert res["os.cox_univariable.hr"] == pytest.approx(math.exp(-0.3690692103), rel=1e-6)
    assert res["os.cox_multivariable.p"] == pytest.approx(0.04741609487, rel=1e-5)
    assert res["os.cox_multivariable.prio.ci_high"] == pytest.approx(1.159103901, rel=1e-6)
    expected = {
        f"os.cox_{m}.{s}" for m in ("univariable", "multivariable") for s in ("hr", "ci_low", "ci_high", "p")
    }
    expected |= {
        f"os.cox_multivariable.{c}.{s}" for c in ROSSI_COVARIATES for s in ("hr", "ci_low", "ci_high", "p")
    }
    assert set(res) == expected


def test_cox_results_none_without_the_endpoint(rossi_cohort, rossi_params):
    res = cox_results(rossi_cohort, "pfs", rossi_params)
    assert res and all(v is None for v in res.values())
    assert "pfs.cox_multivariable.age.hr" in res
    with pytest.raises(EndpointUnavailable):
        cox.fit_cox(rossi_cohort, "pfs", [], rossi_params)


def test_schoenfeld_test_vs_r_grambsch_therneau_formula(rossi_cohort, rossi_params):
    # lifelines implements the survival < 3 cox.zph statistic. Reproduced in R 3.5.3:
    #   sresid <- resid(f, "schoenfeld"); ndead <- nrow(sresid); tt <- as.numeric(rownames(sresid))
    #   old <- function(g) { xx <- g - mean(g); r2 <- sresid %*% f$var * ndead
    #     c((t(xx) %*% r2)^2 / (diag(f$var) * ndead * sum(xx^2))) }
    #   old(tt)                                          # identity
    #   old(1 - summary(survfit(Surv(week, arrest) ~ 1, data = r), times = tt)$surv)  # km
    # (R survival >= 3 cox.zph gives e.g. age 5.97 (km): a different statistic.)
    r_identity = {
        "treatment": 0.05617078343,
        "age": 12.06138284523,
        "race": 1.48608785892,
        "wexp": 6.93483516669,
        "mar": 0.75440143728,
        "paro": 0.12204158056,
        "prio": 0.01089171148,
    }
    r_km = {
        "treatment": 0.01913002666,
        "age": 11.03029401002,
        "race": 1.43745614807,
        "wexp": 7.47547140152,
        "mar": 0.60087419597,
        "paro": 0.11572096923,
        "prio": 0.02254554016,
    }
    res = cox.fit_cox(rossi_cohort, "os", ROSSI_COVARIATES, rossi_params)
    for transform, expected in (("identity", r_identity), ("km", r_km)):
        table = cox.schoenfeld_test(res, transform).set_index("term")
        for term, value in expected.items():
            assert table.loc[term, "test_statistic"] == pytest.approx(value, rel=1e-5), (transform, term)


# ----------------------------------------------------------------- design matrix


def _small_cohort():
    return pd.DataFrame(
        {
            "patient_id": [f"p{i}" for i in range(8)],
            "group": ["Chemo", "ICIs + Chemo"] * 4,
            "os_months": [5.0, 8, 12, 3, 20, 7, 9, 15],
            "os_event": [1, 1, 0, 1, 1, 0, 1, 1],
            "age": [60, 71, 55, 66, np.nan, 59, 62, 70],
            "sex": ["Male", "Female", "Male", "Male", "Female", "Male", None, "Female"],
            "ecog": [0, 1, 2, 1, 0, 2, 1, 1],
            "met_bone": [0, 1, 0, 0, 1, 1, 0, 0],
            "chemo_regimen": ["EP/EC/EL", "IP", "EP/EC/EL", "TP", "IP", "EP/EC/EL", "TP", "EP/EC/EL"],
        }
    )


def test_design_matrix_codings():
    dm = cox.design_matrix(
        _small_cohort(),
        ["age", "sex", "ecog", "met_bone", "chemo_regimen"],
        "Chemo",
        "ICIs + Chemo",
        endpoint="os",
    )
    # rows 4 (age) and 6 (sex) are incomplete
    assert dm.n_dropped == 2
    assert dm.dropped_reasons == {"age": 1, "sex": 1}
    f = dm.frame
    assert list(f.index) == [0, 1, 2, 3, 5, 7]
    assert dm.terms == [
        "treatment",
        "age",
        "sex_male",
        "ecog",
        "met_bone",
        "chemo_regimen_ip",
        "chemo_regimen_tp",
    ]
    assert list(f["treatment"]) == [0, 1, 0, 1, 1, 1]
    assert list(f["sex_male"]) == [1, 0, 1, 1, 1, 0]
    assert list(f["ecog"]) == [0, 1, 2, 1, 2, 1]  # per point, not dichotomised
    assert list(f["age"]) == [60, 71, 55, 66, 59, 70]  # per year
    # EP/EC/EL is the most frequent level, hence the reference
    assert list(f["chemo_regimen_ip"]) == [0, 1, 0, 0, 0, 0]
    assert list(f["chemo_regimen_tp"]) == [0, 0, 0, 1, 0, 0]
    assert dm.term_of_covariate["chemo_regimen"] == ["chemo_regimen_ip", "chemo_regimen_tp"]
    assert any("EP/EC/EL" in note for note in dm.notes)
    assert list(f["duration"]) == [5, 8, 12, 3, 7, 15]


def test_design_matrix_missing_column_is_a_clear_error():
    with pytest.raises(ValueError, match="smoking"):
        cox.design_matrix(_small_cohort(), ["age", "smoking"], "Chemo", "ICIs + Chemo")


def test_design_matrix_drops_constant_term_with_note():
    cohort = _small_cohort()
    cohort["thoracic_rt"] = 0
    dm = cox.design_matrix(cohort, ["thoracic_rt"], "Chemo", "ICIs + Chemo", endpoint="os")
    assert "thoracic_rt" not in dm.terms
    assert any("thoracic_rt" in n for n in dm.notes)


def test_sex_key_is_sex(rossi_cohort):
    cohort = rossi_cohort.copy()
    cohort["sex"] = np.where(np.arange(len(cohort)) % 3 == 0, "Female", "Male")
    params = Parameters(reference_group="No aid", treatment_group="Aid", covariates=["age", "sex"])
    res = cox_results(cohort, "os", params)
    assert "os.cox_multivariable.sex.hr" in res and res["os.cox_multivariable.sex.hr"] is not None
    fit = cox.fit_cox(cohort, "os", ["age", "sex"], params)
    assert res["os.cox_multivariable.sex.hr"] == fit.term("sex_male")["hr"]


# ----------------------------------------------------------------- hard fits


def _separated():
    # every reference patient dies before any treated patient is seen: monotone likelihood
    return pd.DataFrame(
        {
            "group": ["Chemo"] * 6 + ["ICIs + Chemo"] * 6,
            "os_months": np.arange(1, 13, dtype=float),
            "os_event": [1] * 6 + [0] * 6,
        }
    )


def test_separation_is_reported_not_raised():
    res = cox.fit_cox(_separated(), "os", [], Parameters(covariates=[]))
    assert not res.converged
    assert any("separation" in w for w in res.warnings)
    assert cox_results(_separated(), "os", Parameters(covariates=[]))["os.cox_univariable.hr"] is None


def test_no_events_gives_empty_table_not_a_crash():
    cohort = _separated().assign(os_event=0)
    res = cox.fit_cox(cohort, "os", [], Parameters(covariates=[]))
    assert not res.converged and res.events == 0 and res.model is None
    assert res.table["hr"].isna().all()


@pytest.mark.slow
def test_firth_cox_vs_r_penalised_likelihood():
    # Independent reference: Firth's penalised partial likelihood maximised in R,
    #   pl <- function(b, form, d) { fit <- coxph(form, data = d, init = b, ties = "breslow",
    #            control = coxph.control(iter.max = 0))
    #            -(fit$loglik[2] - 0.5 * determinant(fit$var, logarithm = TRUE)$modulus) }
    #   separated data: optim(-1, pl, ..., method = "Brent") -> -3.482263679
    #   rossi fin + age + prio: Nelder-Mead -> -0.3431302248 -0.06505150735 0.09842612239
    res = cox.firth_cox(_separated(), "os", [], Parameters(covariates=[]))
    assert res.converged
    assert res.term("treatment")["coef"] == pytest.approx(-3.482263679, abs=1e-5)
    assert res.term("treatment")["ci_high"] < 1  # profile-likelihood CI, finite
    r = load_rossi()
    cohort = pd.DataFrame(
        {
            "group": np.where(r["fin"] == 1, "Aid", "No aid"),
            "os_months": r["week"].astype(float),
            "os_event": r["arrest"],
            "age": r["age"],
            "prio": r["prio"],
        }
    )
    params = Parameters(reference_group="No aid", treatment_group="Aid", covariates=["age", "prio"])
    res = cox.firth_cox(cohort, "os", ["age", "prio"], params, ci_method="wald")
    np.testing.assert_allclose(res.table["coef"], [-0.3431302248, -0.06505150735, 0.09842612239], rtol=1e-5)
    # penalty 0 = ordinary Cox with Breslow ties, R coxph(..., ties = "breslow"):
    #   fin -0.34644402405 age -0.06692076930 prio 0.09652827657
    res0 = cox.firth_cox(cohort, "os", ["age", "prio"], params, ci_method="wald", penalty_weight=0)
    np.testing.assert_allclose(res0.table["coef"], [-0.34644402405, -0.06692076930, 0.09652827657], rtol=1e-6)


def test_ridge_cox_shrinks_and_vanishes_with_no_penalty(rossi_cohort, rossi_params):
    plain = cox.fit_cox(rossi_cohort, "os", ROSSI_COVARIATES, rossi_params)
    tiny = cox.ridge_cox(rossi_cohort, "os", ROSSI_COVARIATES, rossi_params, penalizer=1e-8)
    np.testing.assert_allclose(tiny.table["coef"], plain.table["coef"], rtol=1e-4)
    ridge = cox.ridge_cox(rossi_cohort, "os", ROSSI_COVARIATES, rossi_params, penalizer=1.0)
    assert (ridge.table["coef"].abs() < plain.table["coef"].abs()).all()


# ----------------------------------------------------------------- table and formatting


def test_cox_table_side_by_side(rossi_cohort, rossi_params):
    table = cox_table(rossi_cohort, "os", rossi_params)
    assert list(table["term"]) == ["treatment"] + ROSSI_COVARIATES
    t = table.set_index("term")
    assert t.loc["treatment", "uni_hr"] == pytest.approx(math.exp(-0.3690692103), rel=1e-6)
    assert t.loc["treatment", "multi_hr"] == pytest.approx(math.exp(-0.3794221665), rel=1e-6)
    assert t.loc["prio", "multi_ci_low"] == pytest.approx(1.035979084, rel=1e-6)
    # each term alone (without the arm), R: summary(coxph(Surv(week, arrest) ~ prio, data = r))
    #   prio coef 0.1009662991 se 0.0266999357 p 0.0001558746766 CI 1.049837496 1.165671378
    #   age  coef -0.07284541902 se 0.02079028687 p 0.0004586355754 CI 0.8926206142 0.9684124425
    assert t.loc["prio", "uni_hr"] == pytest.approx(math.exp(0.1009662991), rel=1e-6)
    assert t.loc["prio", "uni_p"] == pytest.approx(0.0001558746766, rel=1e-5)
    assert t.loc["prio", "uni_ci_high"] == pytest.approx(1.165671378, rel=1e-6)
    assert t.loc["age", "uni_ci_low"] == pytest.approx(0.8926206142, rel=1e-6)
    assert t.loc["prio", "uni_n"] == 432


def test_format_hr_ci_and_p():
    assert format_hr_ci(0.5123, 0.2765, 0.9249) == "0.51 (0.28-0.92)"
    assert format_hr_ci(1.0, None, 2.0) == "—"
    # a bound that rounds to 1.00 keeps the side of one only when asked (term_phrase's rule)
    assert format_hr_ci(0.437, 0.192, 0.99502) == "0.44 (0.19-1.00)"
    assert format_hr_ci(0.437, 0.192, 0.99502, side_of_one=True) == "0.44 (0.19-0.995)"
    assert format_hr_ci(1.49, 1.0015, 2.22, sep="–", side_of_one=True) == "1.49 (1.002–2.22)"
    assert format_hr_ci(1.2, 1.0, 1.44, side_of_one=True) == "1.20 (1.00-1.44)"
    assert format_p(0.0261) == "0.026"
    assert format_p(0.0004) == "<0.001"
    assert format_p(float("nan")) == "—"


def test_format_cox_table_and_forest_rows(rossi_cohort, rossi_params):
    table = cox_table(rossi_cohort, "os", rossi_params)
    text = format_cox_table(table, rossi_params)
    # R: exp(coef) 0.684 (0.470-0.996), p 0.0474 for the arm in the multivariable model
    assert text.loc[0, "Multivariable HR (95% CI)"] == "0.68 (0.47–1.00)"
    assert text.loc[0, "p (multivariable)"] == "0.047"
    rows = forest_rows(table)
    assert list(rows.columns) == ["term", "label", "hr", "ci_low", "ci_high", "p"]
    assert rows.loc[6, "ci_high"] == pytest.approx(1.159103901, rel=1e-6)


def test_absent_covariate_column_switches_off_only_its_terms(rossi_cohort, rossi_params):
    cohort = rossi_cohort.drop(columns="mar")
    res = cox_results(cohort, "os", rossi_params)
    assert all(res[f"os.cox_multivariable.mar.{s}"] is None for s in ("hr", "ci_low", "ci_high", "p"))
    present = [c for c in ROSSI_COVARIATES if c != "mar"]
    fit = cox.fit_cox(cohort, "os", present, rossi_params)
    assert res["os.cox_multivariable.hr"] == pytest.approx(fit.term("treatment")["hr"])
    assert res["os.cox_multivariable.hr"] != pytest.approx(math.exp(-0.3794221665), rel=1e-4)
    table = cox_table(cohort, "os", rossi_params)
    assert table.attrs["absent_covariates"] == ["mar"]
    assert "mar" not in set(table["term"])


def test_a_cohort_without_events_gives_a_not_converged_model(rossi_cohort, rossi_params):
    censored = rossi_cohort.assign(os_event=0)
    res = cox.fit_cox(censored, "os", ROSSI_COVARIATES, rossi_params)
    assert not res.converged and res.model is None and res.events == 0 and res.n == len(censored)
    assert res.warnings == ["no events: the Cox model cannot be fitted"]
    assert list(res.table["term"]) == ["treatment", *ROSSI_COVARIATES]
    assert res.table["hr"].isna().all()


def test_the_cox_table_labels_and_computes_its_interval_at_the_level_in_force(rossi_cohort):
    """alpha 0.10: a 90% interval, so labelled. R: exp(confint(f, level = 0.90))["fin", ] from the
    model above, i.e. exp(-0.379422 ± qnorm(0.95) · 0.191379) = 0.4995 to 0.9374."""
    params = Parameters(
        reference_group="No aid", treatment_group="Aid", covariates=ROSSI_COVARIATES, alpha=0.10
    )
    text = format_cox_table(cox_table(rossi_cohort, "os", params), params)
    assert list(text.columns)[1] == "Univariable HR (90% CI)"
    assert text.loc[0, "Multivariable HR (90% CI)"] == "0.68 (0.50–0.94)"
    assert ci_label(0.025) == "97.5% CI" and ci_label(0.05, "CrI") == "95% CrI"


def test_z_label_prints_the_two_sided_multiplier_of_the_level():
    """z_{1-alpha/2} to four significant digits, trailing zeros dropped: the "1.96" of the book's
    95% headers, scipy's norm.ppf(0.95) = 1.64485 as "1.645", norm.ppf(0.995) = 2.57583 as "2.576"."""
    assert (z_label(), z_label(0.05), z_label(0.10), z_label(0.01)) == ("1.96", "1.96", "1.645", "2.576")
