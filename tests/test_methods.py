"""The methods chapters' routines against independent numbers.

Hand computations (Schoenfeld's formula, E-values, SMDs, IPT weights), R
``coxph`` numbers stored below (weighted Cox with robust SE), and lifelines /
numpy re-derivations (batched Efron fit, RMST, piecewise HR, log-rank z,
Firth's penalised score).
"""

from __future__ import annotations

import math
import warnings
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest

from lcnec_utils.contract import results_keys
from lcnec_utils.contract.io import load_study
from lcnec_utils.contract.params import make_parameters
from lcnec_utils.methods import confounding, medians, ph, power, rmst, smallsample
from lcnec_utils.stats import survival

PARAMS = make_parameters()


@pytest.fixture(scope="module")
def cohort():
    return load_study(PARAMS.data_path, PARAMS.ae_path, PARAMS.reference_group, PARAMS.treatment_group).cohort


Z = NormalDist().inv_cdf


# --------------------------------------------------------------------------- power


def test_schoenfeld_events_by_hand():
    p = 14 / 31
    by_hand_80 = (Z(0.975) + Z(0.8)) ** 2 / (p * (1 - p) * math.log(0.51) ** 2)
    by_hand_90 = (Z(0.975) + Z(0.9)) ** 2 / (p * (1 - p) * math.log(0.51) ** 2)
    assert power.schoenfeld_events(0.51, 0.8, 0.05, p) == pytest.approx(by_hand_80, rel=1e-12)
    assert by_hand_80 == pytest.approx(69.90, abs=0.01) and by_hand_90 == pytest.approx(93.58, abs=0.01)
    assert power.required_events(0.51, 0.8, 0.05, p) == 70
    assert power.required_events(0.51, 0.9, 0.05, p) == 94
    # 1:1 allocation, the textbook case: 4 (z_.975 + z_.8)^2 / log(HR)^2
    assert power.schoenfeld_events(0.51, 0.8, 0.05, 0.5) == pytest.approx(
        4 * (1.959963984540054 + 0.8416212335729143) ** 2 / math.log(0.51) ** 2, rel=1e-12
    )


def test_schoenfeld_power_inverts_the_events_formula():
    d = power.schoenfeld_events(0.7, 0.9, 0.05, 0.4)
    assert power.schoenfeld_power(d, 0.7, 0.05, 0.4) == pytest.approx(0.9, abs=1e-12)
    assert power.patients_needed(70, 0.8) == 88 and power.patients_needed(70, 1.0) == 70
    with pytest.raises(ValueError):
        power.schoenfeld_events(1.0)


def test_logrank_z_matches_lifelines():
    from lifelines.statistics import logrank_test

    rng = np.random.default_rng(7)
    t = rng.exponential(size=(4, 25))
    e = rng.integers(0, 2, size=(4, 25))
    a = np.r_[np.ones(11), np.zeros(14)]
    z = power.logrank_z(t, e, np.broadcast_to(a, t.shape))
    for i in range(4):
        res = logrank_test(t[i][a == 1], t[i][a == 0], e[i][a == 1], e[i][a == 0])
        assert z[i] ** 2 == pytest.approx(res.test_statistic, rel=1e-10)


def test_simulated_power_is_seeded_and_holds_its_level():
    a = power.simulate_logrank_power(14, 17, 10.5, 6.0, 72, 0, 0.05, 2000, 3)
    b = power.simulate_logrank_power(14, 17, 10.5, 6.0, 72, 0, 0.05, 2000, 3)
    assert a == b
    null = power.simulate_logrank_power(40, 40, 8.0, 8.0, 72, 0, 0.05, 4000, 11)
    assert abs(null.power - 0.05) < 4 * null.mc_se  # the level under HR = 1
    big = power.simulate_logrank_power(150, 150, 6 / 0.51, 6.0, 72, 12, 0.05, 2000, 5)
    assert big.power > 0.95  # far more events than the 66 needed


def test_power_chapter_records_what_its_parts_compute(cohort):
    chapter = power.power_chapter(cohort, PARAMS, published={"pfs.cox_multivariable.hr": 0.51})
    r = chapter.results
    assert list(r) == results_keys.expected_keys("methods_power")
    p = (cohort["group"] == PARAMS.treatment_group).mean()
    assert r["methods.power.events_80"] == power.required_events(0.51, 0.8, 0.05, p)
    share = cohort["os_event"].mean()
    assert r["methods.power.patients_90.os"] == power.patients_needed(r["methods.power.events_90"], share)
    assert r["methods.power.analytic.os"] == pytest.approx(
        power.schoenfeld_power(cohort["os_event"].sum(), 0.51, 0.05, p)
    )
    assert 0 <= r["methods.power.simulated.pfs.design"] <= 1
    assert chapter.events_table["Events (Schoenfeld)"].tolist() == [
        r["methods.power.events_80"],
        r["methods.power.events_90"],
    ]
    assert chapter.curve["n"].iloc[0] == len(cohort) and chapter.curve["n"].is_monotonic_increasing
    assert chapter.glue["alloc"] == (
        f"{(cohort['group'] == PARAMS.treatment_group).sum()}:"
        f"{(cohort['group'] == PARAMS.reference_group).sum()}",
        "{}",
    )
    assert chapter.glue["n_sim"] == (power.CHAPTER_SIMS, "{:,}")


def test_power_chapter_without_progression(cohort):
    chapter = power.power_chapter(cohort.drop(columns=["pfs_months", "pfs_event"]), PARAMS, published={})
    assert chapter.design_hr == 0.51  # the default design HR without the paper's
    assert chapter.results["methods.power.analytic.pfs"] is None
    assert chapter.events_table["Patients, PFS event share"].tolist() == ["—", "—"]
    assert (
        chapter.glue["pfs_events"] == (None, "{}")
        and chapter.glue["os_events"][0] == cohort["os_event"].sum()
    )


# --------------------------------------------------------------------------- E-value


def test_evalue_by_hand_for_hr_051():
    rare = confounding.evalue(0.51, 0.28, 0.92, rare=True)
    r = 1 / 0.51
    assert rare.estimate == pytest.approx(r + math.sqrt(r * (r - 1)), rel=1e-12)
    assert rare.estimate == pytest.approx(3.3333, abs=1e-4)
    rc = 1 / 0.92
    assert rare.ci == pytest.approx(rc + math.sqrt(rc * (rc - 1)), rel=1e-12)
    common = confounding.evalue(0.51, 0.28, 0.92, rare=False)
    rr = (1 - 0.5 ** math.sqrt(0.51)) / (1 - 0.5 ** math.sqrt(1 / 0.51))
    assert common.rr == pytest.approx(rr, rel=1e-12)
    assert common.estimate == pytest.approx(1 / rr + math.sqrt(1 / rr * (1 / rr - 1)), rel=1e-12)
    assert common.estimate == pytest.approx(2.5605, abs=1e-4)


def test_evalue_of_an_interval_containing_one_and_of_a_harmful_effect():
    assert confounding.evalue(0.55, 0.30, 1.01, rare=True).ci == 1.0
    harm = confounding.evalue(2.0, 1.5, 2.7, rare=True)
    assert harm.estimate == pytest.approx(2 + math.sqrt(2), rel=1e-12)
    assert harm.ci == pytest.approx(1.5 + math.sqrt(1.5 * 0.5), rel=1e-12)  # lower limit is closer to 1


# --------------------------------------------------------------------------- SMD and weights


def test_smd_by_hand():
    x = np.array([1.0, 2.0, 3.0, 2.0, 4.0])
    a = np.array([1, 1, 1, 0, 0])
    # treated mean 2, variance 1; reference mean 3, variance 2
    assert confounding.smd(x, a) == pytest.approx((2 - 3) / math.sqrt((1 + 2) / 2), rel=1e-12)
    b = np.array([1, 1, 0, 0, 0, 1])
    g = np.array([1, 1, 1, 0, 0, 0])
    p1, p0 = 2 / 3, 1 / 3
    assert confounding.smd(b, g) == pytest.approx(
        (p1 - p0) / math.sqrt((p1 * (1 - p1) + p0 * (1 - p0)) / 2), rel=1e-12
    )


def test_weighted_smd_by_hand():
    x = np.array([1.0, 2.0, 3.0, 2.0, 4.0])
    a = np.array([1, 1, 1, 0, 0])
    w = np.array([1.0, 2.0, 1.0, 3.0, 1.0])
    m1 = (1 + 4 + 3) / 4  # 2.0
    v1 = 4 / (16 - 6) * (1 * 1 + 2 * 0 + 1 * 1)  # Σw/((Σw)²-Σw²) Σw(x-m)²
    m0 = (6 + 4) / 4  # 2.5
    v0 = 4 / (16 - 10) * (3 * 0.25 + 1 * 2.25)
    assert confounding.smd(x, a, w) == pytest.approx((m1 - m0) / math.sqrt((v1 + v0) / 2), rel=1e-12)


def test_iptw_weights_by_hand():
    a = np.array([1, 1, 0, 0, 0])
    ps = np.array([0.8, 0.5, 0.25, 0.5, 0.2])
    raw = confounding.iptw_weights(a, ps, stabilised=False)
    np.testing.assert_allclose(raw, [1.25, 2.0, 4 / 3, 2.0, 1.25], rtol=1e-12)
    st = confounding.iptw_weights(a, ps)
    np.testing.assert_allclose(st, [0.4 * 1.25, 0.4 * 2.0, 0.6 * 4 / 3, 0.6 * 2.0, 0.6 * 1.25], rtol=1e-12)
    assert confounding.effective_sample_size([1, 1, 1, 1]) == 4
    assert confounding.effective_sample_size([2, 1, 1]) == pytest.approx(16 / 6)
    with pytest.raises(ValueError):
        confounding.iptw_weights([1, 0], [1.0, 0.5])


def test_propensity_scores_match_a_hand_newton_fit(cohort):
    ps = confounding.propensity_scores(cohort, PARAMS)
    f = ps.frame
    X = np.column_stack([np.ones(len(f)), f[ps.terms].to_numpy(float)])
    y = f["treatment"].to_numpy(float)
    b = np.zeros(X.shape[1])
    for _ in range(50):  # Newton-Raphson for the logistic log-likelihood
        p = 1 / (1 + np.exp(-X @ b))
        b += np.linalg.solve(X.T @ (X * (p * (1 - p))[:, None]), X.T @ (y - p))
    np.testing.assert_allclose(f["ps"], 1 / (1 + np.exp(-X @ b)), atol=1e-8)
    assert ps.terms == ["age", "ecog", "sex_male"]


def test_weighted_cox_matches_r_coxph_robust():
    # R 4.x, survival 3.5: coxph(Surv(time, event) ~ trt, data = d, weights = w, robust = TRUE)
    d = pd.DataFrame(
        {
            "duration": [
                2.1,
                3.4,
                4.0,
                5.2,
                6.3,
                7.7,
                8.1,
                9.4,
                10.2,
                11.8,
                12.5,
                13.3,
                14.9,
                16.0,
                17.2,
                18.6,
                20.1,
                22.4,
                25.0,
                27.3,
            ],
            "event": [1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 1],
            "treatment": [1, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 1, 0],
            "weight": [
                0.8,
                1.2,
                0.6,
                1.5,
                0.9,
                1.1,
                0.7,
                1.3,
                0.95,
                1.05,
                1.4,
                0.5,
                2.0,
                1.0,
                0.85,
                1.25,
                0.75,
                1.6,
                0.9,
                1.1,
            ],
        }
    )
    r = confounding.weighted_cox(d)
    assert math.log(r.hr) == pytest.approx(-0.134901703447, abs=1e-8)
    assert r.se == pytest.approx(0.518049061355, rel=1e-6)
    assert r.p == pytest.approx(0.794552670452, rel=1e-5)


def test_balance_and_iptw_on_the_cohort(cohort):
    ps = confounding.propensity_scores(cohort, PARAMS)
    bal = confounding.balance_table(ps)
    f = ps.frame
    age = bal.set_index("term").loc["age"]
    assert age["smd_before"] == pytest.approx(confounding.smd(f["age"], f["treatment"]))
    assert age["smd_after"] == pytest.approx(confounding.smd(f["age"], f["treatment"], f["weight"]))
    # a logistic model with an intercept balances the weighted means of its covariates
    assert abs(age["smd_after"]) < abs(age["smd_before"])
    hr = confounding.iptw_cox(cohort, "pfs", PARAMS, ps)
    assert hr.ci_low < hr.hr < hr.ci_high and hr.n == len(f)


def test_confounding_chapter_records_what_its_parts_compute(cohort):
    chapter = confounding.confounding_chapter(cohort, PARAMS)
    ps = confounding.propensity_scores(cohort, PARAMS)
    r = chapter.results
    assert list(r) == results_keys.expected_keys("methods_confounding")
    age = confounding.balance_table(ps).set_index("term").loc["age"]
    assert r["methods.balance.age.smd_before"] == pytest.approx(age["smd_before"])
    ipw = confounding.iptw_cox(cohort, "os", PARAMS, ps)
    assert r["methods.iptw.os.hr"] == pytest.approx(ipw.hr)
    rare = cohort["os_event"].mean() < confounding.COMMON_OUTCOME
    e = confounding.evalue(ipw.hr, ipw.ci_low, ipw.ci_high, rare=rare)
    assert r["methods.evalue.os.iptw.estimate"] == pytest.approx(e.estimate)
    assert chapter.glue["os_ev_iptw"] == (r["methods.evalue.os.iptw.estimate"], "{:.2f}")
    assert chapter.glue["direction"][0].startswith("takes the HR for progression-free survival from ")
    assert (
        chapter.hazard_ratios["Endpoint"].tolist()
        == ["Progression-free survival"] * 3 + ["Overall survival"] * 3
    )
    assert chapter.warnings == []


def test_confounding_chapter_without_propensity_covariates(cohort):
    chapter = confounding.confounding_chapter(
        cohort.drop(columns=["age", "ecog", "sex"]), PARAMS, published={}
    )
    assert chapter.propensity is None and chapter.balance is None and chapter.hazard_ratios is None
    assert (
        chapter.results["methods.iptw.pfs.hr"] is None
        and chapter.results["methods.evalue.pfs.published.ci"] is None
    )
    assert chapter.glue["pfs_crude"][0] is not None  # the arm-only model needs no covariate
    assert chapter.glue["ps_covariates"] == ("none available", "{}")
    assert chapter.glue["direction"] == (None, "{}", "cannot be assessed (no propensity covariates)")


def test_every_key_of_the_confounding_and_survival_prose_is_glued_on_the_required_columns_only(cohort):
    """The prose of chapters 4 and 12 glues these keys whatever the cohort: on one without the optional
    columns each must still be glued, with a text that says what is missing (a key never glued fails the
    book's build)."""
    from lcnec_utils.methods import teaching

    minimal = cohort[["patient_id", "group", "os_months", "os_event"]]
    chapter = confounding.confounding_chapter(minimal, PARAMS, published={})
    _, _, glue = confounding.confounding_teaching(minimal, PARAMS, chapter, published={})
    for key in ("ps_range_treatment", "ps_range_reference", "w_raw_max"):
        assert glue[key][0] is None and "no propensity model" in glue[key][2]
    reading = teaching.survival_reading(minimal, PARAMS, {})
    assert reading["pfs_events"][0] is None and reading["os_events"][0] == minimal["os_event"].sum()


def test_the_chapter_says_why_there_is_no_propensity_model(cohort):
    """Without any of the propensity covariates the note names them; when only some are present the
    model is fitted on those; a fitted model needs no note."""
    assert confounding.confounding_chapter(cohort, PARAMS).no_propensity_reason is None
    minimal = cohort[["patient_id", "group", "os_months", "os_event"]]
    reason = confounding.confounding_chapter(minimal, PARAMS, published={}).no_propensity_reason
    assert (
        reason == "None of the propensity covariates (age, ECOG, sex) is in the cohort: no propensity model."
    )
    some = cohort[["patient_id", "group", "os_months", "os_event", "age"]]
    partial = confounding.confounding_chapter(some, PARAMS, published={})
    assert partial.covariates == ["age"] and partial.no_propensity_reason is None


def test_the_rmst_table_labels_its_interval_with_the_level_in_force(cohort):
    from lcnec_utils.methods import rmst

    params = make_parameters({"alpha": 0.1})
    table = rmst.format_rmst_table(rmst.rmst_table(cohort, "os", params), params)
    assert "Difference (90% CI), months" in table.columns
    params = make_parameters({"alpha": 0.025})
    table = rmst.format_rmst_table(rmst.rmst_table(cohort, "os", params), params)
    assert "Difference (97.5% CI), months" in table.columns  # not a rounded "98%"
    table = rmst.format_rmst_table(rmst.rmst_table(cohort, "os", PARAMS), PARAMS)
    assert "Difference (95% CI), months" in table.columns


# --------------------------------------------------------------------------- small-sample Cox


def _model_frame(cohort, endpoint="pfs", covariates=None):
    from lcnec_utils.stats import cox

    dm = cox.design_matrix(
        cohort,
        covariates or PARAMS.covariates,
        PARAMS.reference_group,
        PARAMS.treatment_group,
        endpoint=endpoint,
    )
    return dm


def test_batch_cox_matches_lifelines_on_the_data_and_on_a_resample(cohort):
    from lifelines import CoxPHFitter

    dm = _model_frame(cohort, "os")
    f = dm.frame
    X = f[dm.terms].to_numpy(float)
    fit = smallsample.batch_cox_efron(X, f["duration"], f["event"], np.ones((1, len(f))))
    ref = CoxPHFitter().fit(f, "duration", "event", fit_options={"precision": 1e-12, "max_steps": 500})
    assert fit.converged[0]
    np.testing.assert_allclose(fit.coef[0], ref.params_.to_numpy(), atol=1e-6)
    # resamples of a smaller model (12 terms on a resample are often collinear or separated)
    dm = _model_frame(cohort, "os", ["age", "ecog", "smoking"])
    f = dm.frame
    X = f[dm.terms].to_numpy(float)
    W = smallsample.resample_weights(f["treatment"].to_numpy(), 8, np.random.default_rng(5))
    fit = smallsample.batch_cox_efron(X, f["duration"], f["event"], W)
    checked = 0
    for b in np.flatnonzero(fit.converged & ~fit.constant_terms.any(axis=1))[:4]:
        expanded = f.loc[f.index.repeat(W[b])]  # a resample = the rows repeated: tied events for Efron
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = CoxPHFitter().fit(
                expanded, "duration", "event", fit_options={"precision": 1e-12, "max_steps": 500}
            )
        np.testing.assert_allclose(fit.coef[b], ref.params_.to_numpy(), atol=1e-6)
        checked += 1
    assert checked >= 3


def test_batch_cox_flags_monotone_likelihood():
    t = np.arange(1.0, 11.0)
    e = np.ones(10)
    x = (t > 5).astype(float)[:, None]  # every early event has x = 0: beta -> -inf
    fit = smallsample.batch_cox_efron(x, t, e, np.ones((1, 10)))
    assert not fit.converged[0]


def test_bootstrap_is_deterministic_under_a_seed(cohort):
    a = smallsample.bootstrap_arm_hr(cohort, "pfs", ["age", "ecog"], PARAMS, B=60, seed=1)
    b = smallsample.bootstrap_arm_hr(cohort, "pfs", ["age", "ecog"], PARAMS, B=60, seed=1)
    c = smallsample.bootstrap_arm_hr(cohort, "pfs", ["age", "ecog"], PARAMS, B=60, seed=2)
    np.testing.assert_array_equal(a.hr_samples, b.hr_samples)
    assert (a.ci_low, a.ci_high) == (b.ci_low, b.ci_high)
    assert not np.array_equal(a.hr_samples, c.hr_samples)
    assert a.n_converged + a.n_not_converged == 60
    assert a.ci_low <= a.median_hr <= a.ci_high
    W = smallsample.resample_weights(np.array([0, 0, 1, 1, 1]), 20, np.random.default_rng(0))
    assert (W[:, :2].sum(axis=1) == 2).all() and (W[:, 2:].sum(axis=1) == 3).all()  # arms keep their size


def _breslow_penalised(beta, X, t, d):
    # Breslow log partial likelihood + 0.5 log det(information): Firth's penalised likelihood for Cox.
    # One term per event, each over the whole risk set at its time: Breslow's rule for ties.
    eta = X @ beta
    ll, info = 0.0, np.zeros((X.shape[1], X.shape[1]))
    for i in np.flatnonzero(d):
        risk = t >= t[i]
        w = np.exp(eta[risk])
        s0, s1 = w.sum(), w @ X[risk]
        s2 = (X[risk] * w[:, None]).T @ X[risk]
        ll += eta[i] - math.log(s0)
        info += s2 / s0 - np.outer(s1, s1) / s0**2
    return ll + 0.5 * math.log(np.linalg.det(info))


def test_firth_estimate_maximises_the_penalised_likelihood(cohort):
    from lcnec_utils.stats import cox

    res = cox.firth_cox(cohort, "pfs", ["age", "ecog"], PARAMS, ci_method="wald")
    dm = _model_frame(cohort, "pfs", ["age", "ecog"])
    f = dm.frame
    X, t, d = f[dm.terms].to_numpy(float), f["duration"].to_numpy(float), f["event"].to_numpy(int)
    beta = res.table["coef"].to_numpy()
    h = 1e-5
    grad = [
        (
            _breslow_penalised(beta + h * np.eye(len(beta))[j], X, t, d)
            - _breslow_penalised(beta - h * np.eye(len(beta))[j], X, t, d)
        )
        / (2 * h)
        for j in range(len(beta))
    ]
    np.testing.assert_allclose(grad, 0.0, atol=1e-4)


def test_comparison_table_rows_and_epv(cohort):
    table = smallsample.comparison_table(cohort, "os", PARAMS)
    assert list(table["model"]) == ["univariable", "full", "firth", "ridge", "reduced"]
    full = table.set_index("model").loc["full"]
    assert full["terms"] == 12 and full["epv"] == pytest.approx(full["events"] / 12)
    keys = smallsample.comparison_results(table, "os")
    assert set(keys) <= set(results_keys.expected_keys("methods_small_sample_cox"))


# --------------------------------------------------------------------------- RMST


def _km_area(times, events, tau):
    # the Kaplan-Meier step function integrated by hand
    t = np.asarray(times, float)
    e = np.asarray(events, int)
    s, area, last = 1.0, 0.0, 0.0
    for u in np.unique(t[e == 1]):
        if u > tau:
            break
        area += s * (u - last)
        s *= 1 - ((t == u) & (e == 1)).sum() / (t >= u).sum()
        last = u
    return area + s * (tau - last)


def test_rmst_difference_against_lifelines_and_by_hand(cohort):
    from lifelines import KaplanMeierFitter
    from lifelines.utils import restricted_mean_survival_time

    table = rmst.rmst_table(cohort, "os", PARAMS, (12.0,))
    row = table.iloc[0]
    data = survival.endpoint_data(cohort, "os", PARAMS.reference_group, PARAMS.treatment_group)
    by_hand = {}
    for role in ("treatment", "reference"):
        arm = data.arm(role)
        kmf = KaplanMeierFitter().fit(arm["time"], arm["event"])
        by_hand[role] = _km_area(arm["time"], arm["event"], 12.0)
        assert row[f"rmst_{role}"] == pytest.approx(restricted_mean_survival_time(kmf, t=12.0), rel=1e-10)
        assert row[f"rmst_{role}"] == pytest.approx(by_hand[role], rel=1e-10)
    assert row["difference"] == pytest.approx(by_hand["treatment"] - by_hand["reference"], rel=1e-10)
    assert row["ci_low"] < row["difference"] < row["ci_high"]


def test_rmst_beyond_follow_up_is_none(cohort):
    limit = rmst.max_tau(cohort, "pfs", PARAMS)
    table = rmst.rmst_table(cohort, "pfs", PARAMS, (limit + 1.0,))
    assert table.iloc[0]["difference"] is None and not table.iloc[0]["admissible"]
    assert all(v is None for v in rmst.rmst_results(table, "pfs").values())


# --------------------------------------------------------------------------- proportional hazards


def test_piecewise_hr_equals_a_time_split_cox_model():
    from lifelines import CoxTimeVaryingFitter

    rng = np.random.default_rng(42)
    n = 60
    group = np.where(np.arange(n) < 25, PARAMS.treatment_group, PARAMS.reference_group)
    time = np.round(rng.exponential(np.where(group == PARAMS.treatment_group, 12.0, 8.0)), 2) + 0.01
    data_in = pd.DataFrame(
        {"group": group, "os_months": time, "os_event": (rng.uniform(size=n) < 0.8).astype(int)}
    )
    cut = ph.CUT_MONTHS
    pieces = ph.piecewise_hr(data_in, "os", PARAMS, cut)
    data = survival.endpoint_data(data_in, "os", PARAMS.reference_group, PARAMS.treatment_group).frame
    rows = []
    for i, r in enumerate(data.itertuples()):
        trt = int(r.role == "treatment")
        if r.time < cut:
            rows.append((i, 0.0, r.time, r.event, trt, 0))
        else:
            rows.append((i, 0.0, cut, 0, trt, 0))
            rows.append((i, cut, r.time, r.event, 0, trt))
    long = pd.DataFrame(rows, columns=["id", "start", "stop", "event", "trt_early", "trt_late"])
    assert not pieces["hr"].isna().any()
    ctv = CoxTimeVaryingFitter().fit(long, id_col="id", event_col="event", start_col="start", stop_col="stop")
    assert pieces.iloc[0]["hr"] == pytest.approx(math.exp(ctv.params_["trt_early"]), rel=1e-4)
    assert pieces.iloc[1]["hr"] == pytest.approx(math.exp(ctv.params_["trt_late"]), rel=1e-4)


def test_ph_tests_and_beta_t(cohort):
    from lcnec_utils.stats import cox

    tests = ph.ph_tests(cohort, "os", PARAMS)
    assert list(tests["model"]) == ["univariable", "univariable", "full", "full"]
    assert tests["p"].between(0, 1).all()
    res = cox.univariable_cox(cohort, "os", PARAMS)
    pts = ph.beta_t(res)
    assert len(pts) == res.events
    # Grambsch-Therneau: the mean of the scaled residuals is ~0, so beta(t) averages beta-hat
    assert pts["beta_t"].mean() == pytest.approx(pts["beta"].iloc[0], abs=0.05 + 1e-9 * len(pts))


def test_zph_band_by_hand(cohort):
    """plot.cox.zph's band, checked without R: (1) it is ±2·sqrt(var · p'(X'X)⁻¹p), so passing four
    times the variance doubles its half-width and leaves the fit alone; (2) p'(X'X)⁻¹p is what
    statsmodels' OLS on the same basis gives as the squared SE of its mean prediction over its
    residual variance (σ̂², which R's band does not use); (3) a natural cubic spline with an
    intercept spans every straight line, so points on a line in g are fitted exactly, and the
    line's points give the same band (the band does not depend on y)."""
    import statsmodels.api as sm

    from lcnec_utils.stats import cox

    pts = ph.beta_t(cox.univariable_cox(cohort, "pfs", PARAMS))
    band = ph.zph_band(pts)
    v = float(pts["var"].iloc[0])
    quad = ph.zph_band(pts, var=4 * v)
    assert np.allclose(quad["fit"], band["fit"], atol=1e-14)
    assert np.allclose(quad["high"] - quad["fit"], 2 * (band["high"] - band["fit"]), rtol=1e-12)
    assert np.allclose(band["high"] - band["fit"], band["fit"] - band["low"], rtol=1e-12)

    basis = ph._ns_basis(np.r_[band["g"], pts["g"]], ph.ZPH_DF)
    grid, design = basis[: len(band)], basis[len(band) :]
    ols = sm.OLS(pts["beta_t"].to_numpy(float), design).fit()
    pred = ols.get_prediction(grid)
    assert np.allclose(pred.predicted_mean, band["fit"], atol=1e-10)
    assert np.allclose(2 * pred.se_mean * np.sqrt(v / ols.scale), band["high"] - band["fit"], rtol=1e-9)

    line = pts.assign(beta_t=0.3 - 1.7 * pts["g"])
    fitted = ph.zph_band(line)
    assert np.allclose(fitted["fit"], 0.3 - 1.7 * fitted["g"], atol=1e-10)
    assert np.allclose(fitted["se"], band["se"], rtol=1e-12)
    assert ph.zph_band(pts.head(3)) is None  # 3 events cannot fit 4 df: R skips the term too


def _paper_model(cohort, endpoint):
    import dataclasses

    from lcnec_utils.stats import cox

    present, _ = cox.available_covariates(cohort, PARAMS.covariates)
    return cox.fit_cox(cohort, endpoint, present, dataclasses.replace(PARAMS, covariates=present))


# R 4.x, survival 3.5-3, on the shipped cohort's design matrix (cox.design_matrix of the paper's 11
# covariates, 12 terms, written to pfs.csv / os.csv with the time column named `time`):
#   f <- coxph(Surv(time, event) ~ ., data = read.csv("pfs.csv"), ties = "efron")
#   cox.zph(f, transform = "km")$table["GLOBAL", ]      # and "rank", "identity"
#   survival 2.x's GLOBAL by hand: s <- residuals(f, "schoenfeld"); g = 1 - KM just before each event
#   (or t); xx <- g - mean(g); u <- drop(xx %*% s); sum(u * (f$var %*% u)) * f$nevent / sum(xx^2)
# printed (chisq, 12 df), on session 18's cohort:
#   pfs  km 20.767086 (p 0.0538969)  rank 20.490417  identity 24.152668  old km 16.023338 (p 0.190169)
#        old identity 19.047518
#   os   km 33.776754 (p 0.000731429)  rank 31.887614  identity 29.318596  old km 14.773622 (p 0.254051)
#        old identity 16.080986
#   and 2.x's on its rank scale, g <- rank(as.numeric(rownames(s))): pfs 15.797418 (p 0.200692),
#   os 15.408438 (p 0.219856)
#   the arm's term, rank scale: pfs p 0.0381629, os p 0.0744219
R_GLOBAL_ZPH = {
    "pfs": {("score", "km"): 20.767086, ("score", "rank"): 20.490417, ("score", "identity"): 24.152668,
            ("approximation", "km"): 16.023338, ("approximation", "rank"): 15.797418,
            ("approximation", "identity"): 19.047518},
    "os": {("score", "km"): 33.776754, ("score", "rank"): 31.887614, ("score", "identity"): 29.318596,
           ("approximation", "km"): 14.773622, ("approximation", "rank"): 15.408438,
           ("approximation", "identity"): 16.080986},
}  # fmt: skip
R_GLOBAL_P_KM = {"pfs": (0.0538969, 0.190169), "os": (0.000731429, 0.254051)}
R_ARM_RANK_P = {"pfs": 0.0381629, "os": 0.0744219}
# The arm's term, each program's default and the two differences one at a time (R 4.x, survival
# 3.5-3, same files; survival 2.x's approximation written out as its cox.zph did it):
#   cox.zph(f)$table["treatment", 3]                               # R's default: exact, 1 - KM
#   et <- sort(d$time[d$event == 1]); cnt <- function(t) sapply(t, function(u) sum(et <= u))
#   cox.zph(f, transform = cnt)$table["treatment", 3]              # exact, lifelines' event count
#   s <- residuals(f, "schoenfeld"); g <- rank(as.numeric(rownames(s))); xx <- g - mean(g)
#   z <- c(c(xx %*% s) %*% f$var)^2 * nrow(s) / (diag(f$var) * sum(xx^2))   # 2.x, rank
#   pchisq(z[1], 1, lower.tail = FALSE); the GLOBAL: c(t(xx %*% s) ...) as R_GLOBAL_ZPH's 2.x rows
R_ARM_DEFAULTS_P = {
    "pfs": {"r_default": 0.03676818, "score_event_count": 0.03965265, "approximation_rank": 0.09629966},
    "os": {"r_default": 0.1218062, "score_event_count": 0.08517398, "approximation_rank": 0.05261811},
}


@pytest.mark.parametrize("endpoint", ["pfs", "os"])
def test_global_ph_test_of_the_paper_model_matches_r_cox_zph(cohort, endpoint):
    """ph_global_tests is cox.zph's GLOBAL row (survival >= 3.0, exact) and survival 2.x's global
    approximation, on the three time scales; the arm's term on R's rank scale too."""
    import dataclasses

    from lcnec_utils.stats import cox

    present, _ = cox.available_covariates(cohort, PARAMS.covariates)
    params = dataclasses.replace(PARAMS, covariates=present)
    table = ph.ph_global_tests(cohort, endpoint, params).set_index(["test", "transform"])
    assert (table["df"] == 12).all()
    for key, chi2 in R_GLOBAL_ZPH[endpoint].items():
        assert table.loc[key, "chi2"] == pytest.approx(chi2, rel=1e-5), key
    score_p, approx_p = R_GLOBAL_P_KM[endpoint]
    assert table.loc[("score", "km"), "p"] == pytest.approx(score_p, rel=1e-4)
    assert table.loc[("approximation", "km"), "p"] == pytest.approx(approx_p, rel=1e-4)
    keys = ph.ph_global_results(table.reset_index(), endpoint)
    assert keys[f"methods.ph.{endpoint}.global.score.p"] == pytest.approx(score_p, rel=1e-4)
    rank = ph.arm_test_on_rank_scale(cohort, endpoint, params)
    assert rank["score"] == pytest.approx(R_ARM_RANK_P[endpoint], rel=1e-4)
    for key, p in R_ARM_DEFAULTS_P[endpoint].items():
        assert rank[key] == pytest.approx(p, rel=1e-5), key


def test_lifelines_default_is_r_default_with_the_scale_then_the_formula_changed(cohort):
    """Chapter 11's two steps from R's default (exact, 1 − KM) to lifelines' (approximation, its
    event-count rank): the exact test on lifelines' rank differs from the exact test on R's
    ``rank(times)`` (which rank) by less than half as much as the formula changes it on one rank,
    and lifelines' default is survival 2.x's approximation on its rank up to ties (session 18's
    cohort: OS formula step 0.085 → 0.054, rank step 0.074 → 0.085, ties 0.053 against 0.054)."""
    import dataclasses

    from lcnec_utils.stats import cox

    present, _ = cox.available_covariates(cohort, PARAMS.covariates)
    params = dataclasses.replace(PARAMS, covariates=present)
    for ep in ("pfs", "os"):
        r = ph.arm_test_on_rank_scale(cohort, ep, params)
        formula = abs(r["lifelines"] - r["score_event_count"])  # same rank, the other formula
        assert abs(r["score_event_count"] - r["score"]) < formula / 2  # same formula, the other rank
        assert abs(r["lifelines"] - r["approximation_rank"]) < formula / 3  # ties averaged or not


def test_global_ph_test_of_a_one_term_model_is_its_term_test(cohort):
    """With one coefficient the global test is the term's own: the exact one equals zph_score_test,
    the approximation equals lifelines' per-term statistic on R's 1 − KM(t−) scale (by hand)."""
    from lifelines.statistics import proportional_hazard_test

    from lcnec_utils.stats import cox

    res = cox.univariable_cox(cohort, "pfs", PARAMS)
    for tr in ("km", "rank", "identity"):
        exact = ph.zph_global_test(res, tr)
        assert exact["df"] == 1
        assert exact["chi2"] == pytest.approx(ph.zph_score_test(res, tr)["chi2"].iloc[0], rel=1e-10)
    lib = proportional_hazard_test(res.model, res.data, time_transform=ph.km_before).summary
    approx = ph.approximation_global_test(res, "km")
    assert approx["chi2"] == pytest.approx(float(lib["test_statistic"].iloc[0]), rel=1e-8)


def test_the_global_test_uses_the_whole_information_not_the_sum_of_the_terms(cohort):
    """The global exact test is the efficient score statistic of γ with β estimated: since the score of
    β is 0 at β̂, u'I⁻¹u = u_γ' (I_γγ − I_γβ I_ββ⁻¹ I_βγ)⁻¹ u_γ (the Schur complement, written out
    here), not u_γ' I_γγ⁻¹ u_γ (β treated as known) nor the sum of the per-term tests."""
    res = _paper_model(cohort, "os")
    _, u, info = ph._zph_score(res, "km")
    p = len(u) // 2
    assert np.allclose(u[:p], 0.0)
    ug, ibb, ibg, igg = u[p:], info[:p, :p], info[:p, p:], info[p:, p:]
    schur = igg - ibg.T @ np.linalg.solve(ibb, ibg)
    glob = ph.zph_global_test(res, "km")["chi2"]
    assert glob == pytest.approx(float(ug @ np.linalg.solve(schur, ug)), rel=1e-8)
    assert glob == pytest.approx(R_GLOBAL_ZPH["os"][("score", "km")], rel=1e-5)
    naive = float(ug @ np.linalg.solve(igg, ug))
    total = ph.zph_score_test(res, "km")["chi2"].sum()
    assert abs(naive - glob) > 0.1 * glob and abs(total - glob) > 0.1 * glob


def test_piecewise_hr_closed_on_the_right_matches_r_survsplit(cohort):
    """closed="right" is survSplit's (0, cut]: the shipped cohort's PFS progression at 6.0 (Chemo arm)
    moves from the later period to the earlier one. R 4.x, survival 3.5-3, the same pfs.csv as above:
      s <- survSplit(Surv(time, event) ~ ., data = d[, c("time", "event", "treatment")], cut = 6,
                     episode = "per")
      s$trt1 <- s$treatment * (s$per == 1); s$trt2 <- s$treatment * (s$per == 2)
      exp(coef(coxph(Surv(tstart, time, event) ~ trt1 + trt2, data = s)))   # 0.337141 0.520294
      exp(confint(...))   # lower 0.091153 0.192827, upper 1.246950 1.403877
    """
    assert ph.events_at(cohort, "pfs", PARAMS, 6.0) == {"reference": 1, "treatment": 0}
    assert ph.events_at(cohort, "os", PARAMS, 6.0) == {"reference": 0, "treatment": 0}
    right = ph.piecewise_hr(cohort, "pfs", PARAMS, 6.0, closed="right")
    left = ph.piecewise_hr(cohort, "pfs", PARAMS, 6.0)
    np.testing.assert_allclose(right["hr"], [0.337141, 0.520294], rtol=1e-4)
    np.testing.assert_allclose(right["ci_low"], [0.091153, 0.192827], rtol=1e-4)
    np.testing.assert_allclose(right["ci_high"], [1.246950, 1.403877], rtol=1e-4)
    assert right["events_reference"].tolist() == [
        left["events_reference"][0] + 1,
        left["events_reference"][1] - 1,
    ]
    assert right["n_at_risk"][1] == left["n_at_risk"][1] - 1
    os_left, os_right = (ph.piecewise_hr(cohort, "os", PARAMS, 6.0, closed=c) for c in ("left", "right"))
    np.testing.assert_allclose(os_left["hr"], os_right["hr"])


def test_lifelines_ph_defaults_are_the_ones_its_source_says():
    """The chapter names lifelines' defaults: proportional_hazard_test's time_transform "rank";
    check_assumptions tests on "rank" and "km" and flags a term when round(min p, 2) is not above
    p_value_threshold, 0.01 (lifelines 0.30.3, fitters/mixins.py)."""
    import inspect

    from lifelines import CoxPHFitter

    assert ph.lifelines_ph_defaults() == {"time_transform": "rank", "p_value_threshold": 0.01}
    source = inspect.getsource(CoxPHFitter.check_assumptions)
    assert 'time_transform=["rank", "km"]' in source
    assert "np.round(minimum_observed_p_value, 2) > p_value_threshold" in source


def test_zph_band_reading_is_the_bands_own_numbers(cohort):
    """The numbers the chapter's β(t) sentence prints are read off the band: its limits at the first and
    the last grid point (the first and the last event's g) as HRs, its half-widths there over the
    smallest, the time of the smallest read off the events' (g, time), and the constant β̂ against it."""
    from lcnec_utils.stats import cox

    pts = ph.beta_t(cox.univariable_cox(cohort, "pfs", PARAMS))
    band = ph.zph_band(pts)
    r = ph.zph_band_reading(pts, band)
    assert band["g"].iloc[0] == pts["g"].min() and band["g"].iloc[-1] == pts["g"].max()
    assert (r["first_time"], r["last_time"]) == (pts["time"].min(), pts["time"].max())
    assert r["hr_first_low"] == pytest.approx(math.exp(band["low"].iloc[0]))
    assert r["hr_first_high"] == pytest.approx(math.exp(band["high"].iloc[0]))
    assert r["hr_last_low"] == pytest.approx(math.exp(band["low"].iloc[-1]))
    assert r["hr_last_high"] == pytest.approx(math.exp(band["high"].iloc[-1]))
    half = band["high"] - band["fit"]
    assert r["width_first"] == pytest.approx(half.iloc[0] / half.min()) and r["width_first"] >= 1
    assert r["width_last"] == pytest.approx(half.iloc[-1] / half.min()) and r["width_last"] >= 1
    g_narrow = band["g"].iloc[int(half.idxmin())]
    # between the events whose g bracket the narrowest grid point, by linear interpolation
    below, above = pts[pts["g"] <= g_narrow].iloc[-1], pts[pts["g"] >= g_narrow].iloc[0]
    assert below["time"] <= r["narrowest_time"] <= above["time"]
    if above["g"] > below["g"]:
        share = (g_narrow - below["g"]) / (above["g"] - below["g"])
        assert r["narrowest_time"] == pytest.approx(below["time"] + share * (above["time"] - below["time"]))
    assert r["hr_model"] == pytest.approx(math.exp(pts["beta"].iloc[0]))
    assert r["n_points"] == len(pts)
    moved = pts.assign(beta=band["high"].max() + 1.0)  # a constant above the whole band
    assert ph.zph_band_reading(moved, band)["outside"] == [
        {"side": "above", "start": r["first_time"], "end": r["last_time"]}
    ]


def _straight_band(fit, half):
    """Points and a band on g in [0, 0.9] whose events' times are 1 + 10·g (1 to 10 months), the band
    fit(g) ± half on a grid with a point at 0.45: a piecewise-linear band, so the crossings of a
    constant with its limits are known exactly."""
    pts = pd.DataFrame({"g": np.linspace(0.0, 0.9, 10), "time": np.arange(1.0, 11.0), "beta": 0.0})
    g = np.linspace(0.0, 0.9, 19)
    f = fit(g)
    return pts, pd.DataFrame({"g": g, "fit": f, "low": f - half, "high": f + half})


def test_zph_band_reading_gives_the_spans_where_the_constant_leaves_the_band():
    """The constant β̂ (0 here) against a band drawn as straight lines between its grid points: inside
    throughout; one span in the middle, both ends where a limit crosses it; two spans, one from the
    first event on each side; and a grid of another size gives the same spans (they do not count
    grid points)."""
    pts, band = _straight_band(lambda g: g - 0.45, 1.0)  # -0.45 to 0.45 ± 1: holds 0 throughout
    assert ph.zph_band_reading(pts, band)["outside"] == []

    pts, band = _straight_band(lambda g: 0.3 - np.abs(g - 0.45), 0.2)  # low > 0 for |g − 0.45| < 0.1
    (span,) = ph.zph_band_reading(pts, band)["outside"]
    assert span["side"] == "below"
    assert (span["start"], span["end"]) == (pytest.approx(4.5), pytest.approx(6.5))  # g 0.35 and 0.55

    pts, band = _straight_band(lambda g: g - 0.45, 0.2)  # 0 above the band for g < 0.25, below past 0.65
    spans = ph.zph_band_reading(pts, band)["outside"]
    assert [s["side"] for s in spans] == ["above", "below"]
    assert [(s["start"], s["end"]) for s in spans] == [
        (1.0, pytest.approx(3.5)),
        (pytest.approx(7.5), 10.0),
    ]
    finer = band.set_index("g").reindex(np.linspace(0.0, 0.9, 91)).interpolate("index").reset_index()
    again = ph.zph_band_reading(pts, finer)["outside"]
    assert [s["side"] for s in again] == ["above", "below"]
    assert [(s["start"], s["end"]) for s in again] == [
        (1.0, pytest.approx(3.5)),
        (pytest.approx(7.5), 10.0),
    ]


def test_r_qr_rank_uses_rs_relative_tolerance():
    """ph._r_qr_rank (R's qr: a column negligible once its norm falls below 1e-7 of its original norm,
    whatever the others' scale) against numpy's SVD rank (a tolerance relative to the largest
    singular value): a column equal to another's multiple up to 1e-9 is dropped by R's rule and kept
    by numpy's; a column a million times smaller than the others, but independent, is kept by R's."""
    rng = np.random.default_rng(5)
    m = rng.normal(size=(8, 3))
    near = m.copy()
    near[:, 2] = 3 * near[:, 0] + 1e-9 * rng.normal(size=8)
    assert ph._r_qr_rank(m) == 3 and ph._r_qr_rank(near) == 2 and np.linalg.matrix_rank(near) == 3
    small = m.copy()
    small[:, 1] *= 1e-6
    assert ph._r_qr_rank(small) == 3
    pts = pd.DataFrame({"g": [0.0, 0.0, 0.3, 0.3, 0.6, 0.6], "beta_t": 0.2, "var": 1.0})
    assert ph.zph_band(pts) is None  # 3 distinct event times for 4 df: singular, no band


def _one_term_design(n, seed=3):
    """A CoxResult of an arm-only model on n patients (half per arm), for the null simulation."""
    from lcnec_utils.stats import cox

    rng = np.random.default_rng(seed)
    arm = np.arange(n) % 2
    t = rng.exponential(1 / np.exp(-0.5 * arm))
    c = rng.exponential(1.0, n)
    frame = pd.DataFrame({"duration": np.minimum(t, c), "event": (t <= c).astype(int), "treatment": arm})
    return cox.fit_design(cox.DesignMatrix(frame, ["treatment"], {}, 0, {}), 0.05)


def test_null_rejection_rates_are_seeded_and_one_term_tests_coincide():
    """Same seed, same numbers; another seed, others. With one term the global tests are the term's
    own test (exact == exact term), and the share of events is kept."""
    res = _one_term_design(40)
    a = ph.null_rejection_rates(res, 0.2, reps=15, seed=1)
    assert a == ph.null_rejection_rates(res, 0.2, reps=15, seed=1)
    assert a != ph.null_rejection_rates(res, 0.2, reps=15, seed=2)
    assert a["score_global"] == a["score_term"]
    assert (a["reps"], a["kept"]) == (15, 15)
    assert abs(a["mean_events"] - res.events) < 6


def test_null_rejection_rates_approach_alpha_with_many_events():
    """Under proportional hazards with many events per variable the tests keep their size: at
    alpha 0.2, 300 patients (about 112 events), 300 replicates, each rate within 3 binomial SEs of
    0.2 (0.131 to 0.269; 60 replicates allowed 0.045 to 0.355). The samples are drawn from the
    fitted β̂ (-0.426), not from 0: the kept fits' mean coefficient is within 3 simulation SEs of it
    (the model's SE over the square root of the kept)."""
    res = _one_term_design(300)
    r = ph.null_rejection_rates(res, 0.2, reps=300, seed=5)
    se = (0.2 * 0.8 / r["kept"]) ** 0.5
    for key in ("score_global", "approximation_global", "score_term"):
        assert abs(r[key] - 0.2) < 3 * se, (key, r[key])
    beta_hat, beta_se = float(res.model.params_["treatment"]), float(res.model.standard_errors_["treatment"])
    assert (beta_hat, beta_se) == (pytest.approx(-0.426, abs=1e-3), pytest.approx(0.19, abs=0.01))
    assert abs(r["mean_beta"]["treatment"] - beta_hat) < 3 * beta_se / r["kept"] ** 0.5


def test_null_replicates_equal_lifelines_where_lifelines_converges(cohort):
    """Each sample of chapter 11's simulation, refitted by ``ph.efron_newton`` and tested by
    ``ph.null_replicate``, against lifelines' fit of the same sample and the book's tests on it
    (``zph_global_test``, ``zph_score_test``, and ``approximation_global_test``, which reads
    lifelines' scaled Schoenfeld residuals): on the first 30 samples of the paper's PFS model
    whose lifelines fit converged to the same β (1e-4), the three p-values agree to 1e-4. (R, the
    reference for the fit and the drops, is checked in
    ``test_conventions_r.py::test_null_samples_are_fitted_tested_and_dropped_as_r_does``.)"""
    import dataclasses

    from lcnec_utils.stats import cox

    present, _ = cox.available_covariates(cohort, PARAMS.covariates)
    params = dataclasses.replace(PARAMS, covariates=present)
    res = cox.fit_cox(cohort, "pfs", params.covariates, params)
    terms = list(res.model.params_.index)
    x = res.data[terms].to_numpy(float)
    compared = 0
    for duration, event in ph.null_samples(res, 40, int(params.seed)):
        mine = ph.null_replicate(duration, event, x, terms.index("treatment"))
        sample = res.data[["duration", "event", *terms]].assign(duration=duration, event=event.astype(int))
        fit = cox.fit_design(cox.DesignMatrix(sample, terms, {}, 0, {}), 0.05, wald_table=False)
        if mine is None or not fit.converged:
            continue
        if np.abs(mine["beta"] - fit.model.params_.to_numpy()).max() > 1e-4:
            continue
        assert mine["score_global"] == pytest.approx(ph.zph_global_test(fit)["p"], rel=1e-4, abs=1e-10)
        assert mine["approximation_global"] == pytest.approx(
            ph.approximation_global_test(fit)["p"], rel=1e-4, abs=1e-10
        )
        term_p = ph.zph_score_test(fit).set_index("term").loc["treatment", "p"]
        assert mine["score_term"] == pytest.approx(term_p, rel=1e-4, abs=1e-10)
        compared += 1
        if compared == 30:
            break
    assert compared == 30


# R 4.x, survival 3.5-3, on the shipped cohort (session 18): chapter 11's simulation rebuilt in R from
# methods.ph.null_rejection_rates, not run through it (tests/r/ph_null_sim.R, a reference script no test
# runs: `Rscript tests/r/ph_null_sim.R data/lcnec_synthetic_cohort.csv 2000 20250101`), 2000 replicates
# per endpoint, set.seed(20250101):
#   d: cox.design_matrix of the paper's 11 covariates built in R (12 terms; equal to the book's frame)
#   f <- coxph(Surv(time, event) ~ ., data = d, ties = "efron"); X <- as.matrix(d[, -(1:2)])
#   lp <- drop(X %*% coef(f)); rate <- exp(lp - mean(lp)); share <- mean(d$event)
#   cens <- uniroot(function(c) mean(rate / (rate + c)) - share, c(1e-12, 1e12), tol = 1e-14)$root
#   each replicate: t <- rexp(n, rate); cc <- rexp(n, cens); time <- pmin(t, cc); event <- t <= cc;
#   refit (dropped if coxph warns, as the book's ph.efron_newton does, or if cox.zph fails: singular)
#   z <- cox.zph(fit, transform = "km")$table; z["GLOBAL", "p"], z["treatment", "p"]; survival 2.x's
#   GLOBAL on 1 - KM(t-) by hand as above (R_GLOBAL_ZPH's "old km"); share of the kept with p < 0.05:
#   pfs  kept 1969 (31 warned): GLOBAL 1322 (0.6714), 2.x global 147 (0.0747), arm 249 (0.1265)
#   os   kept 1548 (445 warned, 7 singular): GLOBAL 954 (0.6163), 2.x global 95 (0.0614),
#        arm 221 (0.1428); over all 1993 fits that ran: 0.5956, 0.0542, 0.1365
R_NULL_RATES = {
    "pfs": ({"score_global": 0.6714, "approximation_global": 0.0747, "score_term": 0.1265}, 1969),
    "os": ({"score_global": 0.6163, "approximation_global": 0.0614, "score_term": 0.1428}, 1548),
}


@pytest.mark.slow
@pytest.mark.parametrize("endpoint", ["pfs", "os"])
def test_null_rejection_rates_in_the_paper_model_match_r(cohort, endpoint):
    """Chapter 11's simulation in the paper's model (``ph.NULL_REPS`` = 1000 replicates, the book's
    seed; about 10 s each) against R's (``R_NULL_RATES``: survival 3.5-3, 2000 replicates of the same
    design: fitted β, exponential baseline, exponential censoring matching the expected share of
    events, replicates whose fit warned or whose information was singular dropped, as the book's
    are since session 18): cox.zph's GLOBAL rejects at 0.05 in 0.671 (PFS) and 0.616 (OS), survival
    2.x's in 0.075 and 0.061, the arm's term in 0.127 and 0.143. Within 3 simulation SEs (the book
    gives PFS 0.650, 0.080, 0.119 of 988 kept; OS 0.653, 0.068, 0.130 of 738: the OS global the
    furthest, 1.7 SEs), and so is the share kept (R 98.5% and 77.4%); the exact global test rejects
    in most samples, the approximation in less than half as many. Before session 18 the book's refits
    were lifelines', which failed on samples R fits, so only PFS was asserted."""
    import dataclasses

    from lcnec_utils.stats import cox

    present, _ = cox.available_covariates(cohort, PARAMS.covariates)
    r = ph.ph_null_rates(cohort, endpoint, dataclasses.replace(PARAMS, covariates=present))
    rates, r_kept = R_NULL_RATES[endpoint]
    assert r["reps"] == ph.NULL_REPS
    assert abs(r["kept"] / r["reps"] - r_kept / 2000) < 3 * (0.25 / r["reps"] + 0.25 / 2000) ** 0.5
    for key, p_r in rates.items():
        se = (p_r * (1 - p_r) / r["kept"] + p_r * (1 - p_r) / r_kept) ** 0.5
        assert abs(r[key] - p_r) < 3 * se, (key, r[key])
    assert r["score_global"] > 0.5 and r["approximation_global"] < r["score_global"] / 2


# --------------------------------------------------------------------------- medians


def test_median_conventions_on_a_flat_step():
    t, e = np.array([1.0, 2.0, 3.0, 4.0]), np.ones(4)
    assert survival.km_median(t, e) == 2.0  # SPSS/SAS: first time S <= 0.5
    assert survival.median_ci_brookmeyer_crowley(t, e).median == 2.5  # R: midpoint of the flat step


def test_statsmodels_cross_check_agrees_with_brookmeyer_crowley(cohort):
    table = medians.median_table(cohort, "pfs", PARAMS).set_index(["role", "method"])
    for role in ("treatment", "reference"):
        for bc, sm in (("bc_plain", "sm_linear"), ("bc_loglog", "sm_cloglog")):
            assert table.loc[(role, bc), "ci_low"] == pytest.approx(table.loc[(role, sm), "ci_low"])


def test_median_tables_name_the_level_and_spss_multiplier_they_are_computed_at(cohort):
    """At alpha 0.10 SPSS's interval is the median ± 1.645·SE (z_0.95) and the header says 90%; at
    0.05 the labels are the usual ones. The program-by-program table names SPSS's rule alike."""
    from lcnec_utils.methods import conventions

    p90 = make_parameters({"alpha": 0.1})
    for params, level, z in ((PARAMS, "95", "1.96"), (p90, "90", "1.645")):
        table = medians.median_table(cohort, "pfs", params)
        text = medians.format_median_table(table, params.alpha)
        assert text.columns[0] == f"{level}% CI of the median (months)"
        assert text.iloc[0, 0] == f"SPSS: median ± {z}·SE"
        programs = conventions.median_conventions(cohort, "pfs", params)
        spss = set(programs.loc[programs["software"] == "SPSS", "ci_method"])
        assert spss == {f"median ± {z}·SE, SE = SE(Ŝ)/f̂ (Collett 2015)"}
    arm = survival.endpoint_data(cohort, "pfs", PARAMS.reference_group, PARAMS.treatment_group).arm(
        "reference"
    )
    at90 = survival.median_ci_spss(arm["time"], arm["event"], 0.10)
    row = table[(table["role"] == "reference") & (table["method"] == "spss")].iloc[0]
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((at90.ci_low, at90.ci_high))
    assert medians.format_median_table(table).columns[0] == "95% CI of the median (months)"


def test_cox_comparison_tables_name_the_level_they_are_computed_at(cohort):
    """The small-sample, ties and IPTW tables compute their intervals at ``params.alpha``; their
    "HR (… CI)" headers follow it, and read 95% without an alpha."""
    from lcnec_utils.methods import conventions
    from lcnec_utils.stats import cox
    from lcnec_utils.stats.format import format_hr_ci

    p90 = make_parameters({"alpha": 0.1})
    row = {"hr": 0.5, "ci_low": 0.3, "ci_high": 0.9}
    full = {"model": "full", "label": "Paper's model", "terms": 12, "events": 29, "epv": 2.4, "p": 0.02}
    comparison = pd.DataFrame(
        [{**row, **full, "converged": True, "method": "Cox"}], columns=smallsample.COMPARISON_COLUMNS
    )
    estimators = {"OS": pd.DataFrame([{**row, "estimator": "ML", "ties": "Efron", "programs": "R"}])}
    variance = {"OS": pd.DataFrame([{**row, "variance": "robust", "programs": "R", "se": 0.3, "p": 0.02}])}
    for alpha, header in ((0.1, "90% CI"), (0.05, "95% CI")):
        assert f"HR of the arm ({header})" in smallsample.format_comparison(comparison, alpha).columns
        assert f"HR of the arm ({header})" in smallsample.format_estimator_conventions(estimators, alpha)
        assert f"HR ({header})" in confounding.format_variance_conventions(variance, alpha).columns
    assert "HR of the arm (95% CI)" in smallsample.format_comparison(comparison).columns
    ties = {"OS": conventions.ties_conventions(cohort, "os", p90, ["age"])}
    text = conventions.format_ties_conventions(ties, p90.alpha)
    efron = cox.fit_cox(cohort, "os", ["age"], p90).term("treatment")
    assert text.loc[2, "HR of the arm (90% CI)"] == format_hr_ci(
        efron["hr"], efron["ci_low"], efron["ci_high"], sep="–"
    )
    assert "HR of the arm (95% CI)" in conventions.format_ties_conventions(ties).columns
    hazard_ratios = confounding.confounding_chapter(cohort, p90).hazard_ratios
    crude = cox.univariable_cox(cohort, "os", p90).term("treatment")
    arm_alone = hazard_ratios[(hazard_ratios["Endpoint"] == "Overall survival")].iloc[0]
    assert arm_alone["HR (90% CI)"] == format_hr_ci(crude["hr"], crude["ci_low"], crude["ci_high"], sep="–")


def test_followup_summary(cohort):
    fu = medians.followup_summary(cohort, PARAMS)
    t = cohort["os_months"].to_numpy(float)
    e = cohort["os_event"].to_numpy(int)
    assert fu["naive_all"] == pytest.approx(np.median(t))
    assert fu["censored"] == pytest.approx(np.median(t[e == 0]))
    assert fu["reverse_km"] == survival.reverse_km_followup(t, e).median


# --------------------------------------------------------------------------- results keys


def test_methods_keys_are_in_the_dictionary():
    for chapter in (
        "methods_medians",
        "methods_small_sample_cox",
        "methods_proportional_hazards",
        "methods_confounding",
        "methods_rmst",
        "methods_power",
    ):
        keys = results_keys.expected_keys(chapter)
        assert keys and all(k.startswith("methods.") for k in keys)
    filled = results_keys.complete("methods_power", {"methods.power.events_80": 70})
    assert filled["methods.power.events_80"] == 70 and filled["methods.power.events_90"] is None
    with pytest.raises(KeyError):
        results_keys.complete("methods_power", {"methods.power.typo": 1})


def test_firth_arm_equals_cox_firth_cox_for_the_arm(cohort):
    from lcnec_utils.stats import cox

    a = smallsample.firth_arm(cohort, "os", ["age", "ecog", "sex"], PARAMS).term("treatment")
    b = cox.firth_cox(cohort, "os", ["age", "ecog", "sex"], PARAMS).term("treatment")
    for k in ("hr", "ci_low", "ci_high", "p"):
        assert a[k] == pytest.approx(b[k], rel=1e-8)


def test_firth_models_that_cannot_be_fitted_say_so(cohort):
    # two covariates equal in every row: the Fisher information is singular, firthmodels raises;
    # the chapter must get a not-converged result with the reason, not an exception
    from lcnec_utils.stats import cox

    twins = cohort.copy()
    twins["met_liver"] = twins["met_bone"]
    for res in (
        smallsample.firth_arm(twins, "os", ["met_bone", "met_liver"], PARAMS),
        cox.firth_cox(twins, "os", ["met_bone", "met_liver"], PARAMS),
    ):
        assert not res.converged
        assert res.table["hr"].isna().all() and len(res.table) == 3
        assert any("could not be fitted" in w and "rank deficient" in w for w in res.warnings)
    table = smallsample.comparison_table(
        twins, "os", PARAMS, covariates=["met_bone", "met_liver"], reduced=["age"], bootstrap=None
    )
    firth = table.set_index("model").loc["firth"]
    assert not firth["converged"] and math.isnan(firth["hr"])


# --------------------------------------------------------------------------- independent review (issue 18)


def test_freedman_asks_for_more_events_at_equal_allocation_and_can_ask_for_fewer():
    """Freedman's count is never below Schoenfeld's at 1:1 (|log HR| >= 2(1 - HR)/(1 + HR)); with more
    patients in the experimental arm it can be, so chapter 14 glues the comparison, not its direction."""
    from lcnec_utils.methods import design

    for hr in (0.3, 0.5, 0.7, 0.9, 1.3, 2.0):
        assert design.freedman_events(hr, 0.8, 0.05, 0.5) >= power.schoenfeld_events(hr, 0.8, 0.05, 0.5)
    assert design.freedman_events(0.5, 0.8, 0.05, 2 / 3) < power.schoenfeld_events(0.5, 0.8, 0.05, 2 / 3)
    for allocation in (14 / 31, 0.5, 2 / 3):
        s = math.ceil(power.schoenfeld_events(0.7, 0.8, 0.05, allocation) - 1e-9)
        f = math.ceil(design.freedman_events(0.7, 0.8, 0.05, allocation) - 1e-9)
        text = power.freedman_comparison(0.7, 0.05, allocation)
        word = "more" if f > s else "fewer" if f < s else "as many"
        assert f"asks for {word} events" in text and text.endswith(f"{f} against {s}")


def test_power_design_row_of_the_paper_hr_uses_the_pfs_reference_median(cohort):
    """The paper's adjusted PFS HR is paired with the reference arm's PFS median (not the OS median) in
    the design table and in the event probability of the prose."""
    from lcnec_utils.methods import design

    chapter = power.power_chapter(cohort, PARAMS)
    row = chapter.design_table[chapter.design_table["design"].str.contains("paper")].iloc[0]
    ref = cohort[cohort["group"] == PARAMS.reference_group]
    median = survival.km_median(ref["pfs_months"], ref["pfs_event"])
    assert "PFS" in row["design"] and row["median_reference"] == pytest.approx(median)
    allocation = (cohort["group"] == PARAMS.treatment_group).mean()
    prob = design.event_probability(median, chapter.design_hr, power.ACCRUAL_MONTHS, 0.0, allocation)
    assert row["event_probability"] == pytest.approx(prob) and chapter.glue["prob_own"][0] == pytest.approx(
        prob
    )
    assert row["patients_80"] == power.patients_needed(int(row["schoenfeld_80"]), prob)


def test_power_post_hoc_simulation_is_at_the_median_ratio_and_observed_power_at_the_p_value(cohort):
    """Chapter 14's two post-hoc powers are different things: the simulation's HR is the ratio of the
    medians; the observed power is Φ(|z| − z_α/2) + Φ(−|z| − z_α/2) with z from the log-rank p."""
    chapter = power.power_chapter(cohort, PARAMS)
    for ep in ("pfs", "os"):
        d = cohort.assign(t=cohort[f"{ep}_months"], e=cohort[f"{ep}_event"])
        m = {
            g: survival.km_median(s["t"], s["e"]) for g, s in d.groupby(d["group"] == PARAMS.treatment_group)
        }
        assert chapter.glue[f"{ep}_sim_hr"][0] == pytest.approx(m[False] / m[True])
        p = chapter.glue[f"{ep}_logrank_p"][0]
        z, za = Z(1 - p / 2), Z(1 - PARAMS.alpha / 2)
        expected = NormalDist().cdf(z - za) + NormalDist().cdf(-z - za)
        assert chapter.glue[f"{ep}_observed_power"][0] == pytest.approx(expected, rel=1e-9)


def test_power_verdict_follows_the_power():
    assert power.power_verdict(0.2).startswith("far too small")
    assert power.power_verdict(0.6).startswith("too small for the conventional 80%")
    assert power.power_verdict(0.85).startswith("large enough")


# Chapter 14 (session 15, finding 5): one design per endpoint, the two patient counts, the median rule.


def test_power_plans_each_endpoint_with_the_design_trials_hr_and_control_median_of_that_endpoint(cohort):
    """IMpower133's PFS design (HR 0.77, control median 4.3 months) and OS design (0.70, 10.3) by hand:
    Schoenfeld's events at the cohort's allocation, the event probability of uniform entry over 72
    months with the analysis at its end (1 − (1 − e^{−λA})/(λA) per arm), the patients, and the power
    of 31 patients at the expected events. A PFS HR with the OS median (or the reverse) fails."""
    chapter = power.power_chapter(cohort, PARAMS)
    p = (cohort["group"] == PARAMS.treatment_group).mean()
    za, zb, a = Z(0.975), Z(0.8), power.ACCRUAL_MONTHS

    def arm(rate):
        return 1 - (1 - math.exp(-rate * a)) / (rate * a)

    for ep, hr, median, prefix in (("pfs", 0.77, 4.3, "ext_pfs_"), ("os", 0.70, 10.3, "ext_")):
        lam = math.log(2) / median
        d = math.ceil((za + zb) ** 2 / (p * (1 - p) * math.log(hr) ** 2))
        prob = p * arm(hr * lam) + (1 - p) * arm(lam)
        n = math.ceil(d / prob)
        pw = NormalDist().cdf(math.sqrt(len(cohort) * prob * p * (1 - p)) * abs(math.log(hr)) - za)
        r = chapter.results
        k = f"methods.power.trial.{ep}"
        assert (r[f"{k}.hr"], r[f"{k}.median_reference"]) == (hr, median)
        assert r[f"{k}.events_80"] == d and chapter.glue[f"{prefix}d80"][0] == d
        assert r[f"{k}.event_probability"] == pytest.approx(prob, rel=1e-12)
        assert r[f"{k}.patients_80"] == n and chapter.glue[f"{prefix}n80"][0] == n
        assert r[f"{k}.power"] == pytest.approx(pw, rel=1e-12)
        assert chapter.glue[f"{prefix}hr"][0] == hr and chapter.glue[f"{prefix}median_control"][0] == median
    # on the shipped cohort: 464 progressions / 515 patients for PFS, 250 deaths / 330 patients for OS
    assert (r["methods.power.trial.pfs.events_80"], r["methods.power.trial.pfs.patients_80"]) == (464, 515)
    assert (r["methods.power.trial.os.events_80"], r["methods.power.trial.os.patients_80"]) == (250, 330)
    labels = chapter.design_table.set_index("design")["median_reference"]
    assert labels["IMpower133, PFS"] == 4.3 and labels["CASPIAN, PFS"] == 5.4
    assert labels["IMpower133, OS"] == 10.3 and labels["CASPIAN, OS"] == 10.3


def test_the_trials_pfs_medians_are_the_published_ones():
    """data/external_trials.yaml's PFS medians (months, experimental vs control) against the
    publications, read with the `search` tool in session 15: IMpower133 5.2 vs 4.3 (csilab.net's
    summary citing PMID 30280641, and a slide adapted from Horn et al. 2018: "Median PFS 5.2 (4.4, 5.6)
    4.3 (4.2, 4.5) HR 0.77"); CASPIAN 5.1 vs 5.4 (Springer review "Durvalumab: A Review in
    Extensive-Stage SCLC", Table 1, planned interim analysis)."""
    from lcnec_utils.methods import design

    trials, _ = design.external_trials()
    got = {
        n: (t.endpoint("pfs").median_experimental, t.endpoint("pfs").median_control)
        for n, t in trials.items()
    }
    assert got == {"IMpower133": (5.2, 4.3), "CASPIAN": (5.1, 5.4)}
    assert trials["IMpower133"].endpoint("os").median_control == 10.3
    with pytest.raises(ValueError):
        trials["IMpower133"].endpoint("dfs")


def test_the_two_patient_counts_of_one_design_differ_only_by_the_event_probability(cohort):
    """Chapter 14's 75 and 85 patients for the paper's HR 0.51 at 80%: the same 70 events (Schoenfeld),
    divided by the cohort's PFS event share 29/31 = 93.5% (ceil(70 / (29/31)) = ceil(74.83) = 75) or by
    the accrual model's 82.9% (ceil(84.42) = 85). The sentence says which share is higher and that
    the higher one asks for fewer patients; on another cohort the direction is computed."""
    chapter = power.power_chapter(cohort, PARAMS)
    r, glue = chapter.results, chapter.glue
    assert r["methods.power.events_80"] == 70 and r["methods.power.event_fraction.pfs"] == pytest.approx(
        29 / 31
    )
    assert r["methods.power.patients_80.pfs"] == math.ceil(70 / (29 / 31)) == 75
    assert glue["own_n80"][0] == math.ceil(70 / glue["prob_own"][0]) == 85
    text = glue["patients_reconciled"][0]
    assert "the same 70 events" in text and "93.5%, is higher than the accrual model's 82.9%" in text
    assert text.endswith("fewer patients (75 against 85)")
    low = power.reconcile_patient_counts(70, 0.75, 0.829)
    assert "lower than" in low and low.endswith("more patients (94 against 85)")
    assert power.reconcile_patient_counts(70, None, 0.829) is None
    without = power.power_chapter(cohort.drop(columns=["pfs_months", "pfs_event"]), PARAMS)
    assert without.glue["patients_reconciled"][0] is None and without.glue["own_n80"][0] is None


REQUIRED_COLUMNS = ["patient_id", "group", "os_months", "os_event"]  # the minimal_build fixture's cohort


def _contrast_paragraph(cohort) -> str:
    """Chapter 14's paragraph on the paper's own HR with its glue filled in as the build renders it
    (:meth:`lcnec_utils.chapter.page.Chapter.glue_text`: ``format_value``, "not available" for None)."""
    import json
    import re

    from lcnec_utils.contract.params import PROJECT_ROOT
    from lcnec_utils.stats.format import format_value

    cells = json.loads((PROJECT_ROOT / "notebooks" / "14_methods_power.ipynb").read_text(encoding="utf-8"))
    md = "\n".join("".join(c["source"]) for c in cells["cells"] if c["cell_type"] == "markdown")
    para = md[md.index("**For contrast, the paper's own PFS HR.**") : md.index("## What it means")]
    glue = {k: format_value(*v) for k, v in power.power_chapter(cohort, PARAMS).glue.items()}
    glue["n_total"] = str(len(cohort))
    return " ".join(re.sub(r"\{glue:text\}`([^`]+)`", lambda m: glue[m.group(1)], para).split())


def test_the_paper_hr_paragraph_says_once_that_a_cohort_has_no_pfs(cohort):
    """Session 15 review of chapter 14, finding 1: on the required-columns cohort the paragraph on the
    paper's HR printed "not available" for every PFS number, "the count of the table above" (the table
    has no such row) and a check of the model that checked nothing. Without PFS columns one glued
    sentence says so and the overall-survival parts read alone; with them, no value is missing, the
    PFS share is named as progression or death, and the model check's direction is computed (82.9%
    against 93.5%: under-predicts, so its 85 patients are conservative)."""
    minimal = _contrast_paragraph(cohort[REQUIRED_COLUMNS])
    assert "not available" not in minimal
    assert minimal.count("The cohort has no progression-free-survival columns") == 1
    assert "table above" not in minimal and "check of the model" not in minimal
    assert "With the 25 deaths the study saw, the formula gives 38.8%;" in minimal
    assert "progression" not in minimal.split("what follows is for overall survival.")[1]
    full = _contrast_paragraph(cohort)
    assert "not available" not in full and "no progression-free-survival columns" not in full
    assert "93.5% had a PFS event, progression or death" in full
    assert "had a PFS event (progression or death), 93.5%, is higher than the accrual model's 82.9%" in full
    assert "here this study's own: entry over 72 months and the analysis at its end, F = 0" in full
    assert (
        "the model gives 82.9% of patients a PFS event by the analysis where the cohort had 93.5%: it "
        "under-predicts the events this study had, so its count of 85 patients errs on the conservative"
        in full
    )
    assert "With the 29 progressions and 25 deaths the study saw, the formula gives 43.8% and 38.8%;" in full
    assert "over-predicts" in power.model_check(0.75, 0.829, 85) and "85 patients may be too small" in (
        power.model_check(0.75, 0.829, 85)
    )
    # PFS present but no second endpoint value: the one there is says whose it is
    assert power._pair({"pfs": None, "os": "0.73"}, True) == "0.73 (overall survival)"
    assert power._pair({"pfs": "0.57", "os": "0.73"}, True) == "0.57 and 0.73"


def test_the_power_curve_title_names_the_endpoint_and_median_it_was_simulated_with(cohort):
    """Finding 7: the curve is simulated with the PFS reference median, or the OS one when the cohort has
    no PFS; the title says which (6.0 and 11.0 months, the book's median rule)."""
    full = power.power_chapter(cohort, PARAMS).curve_title
    assert "paper's adjusted PFS HR 0.51, by" in full and "reference-arm PFS median, 6.0 months" in full
    minimal = power.power_chapter(cohort[REQUIRED_COLUMNS], PARAMS).curve_title
    assert "applied to overall survival" in minimal and "reference-arm OS median, 11.0 months" in minimal


def test_the_ratio_of_the_medians_by_r_survfits_rule_against_r(cohort):
    """The post-hoc simulations' HRs are ratios of medians read as the first time Ŝ(t) ≤ 0.5; R's
    survfit takes the midpoint of a step at exactly 0.5. R 4 / survival 3.5-3 on the shipped cohort:

        d <- read.csv("data/lcnec_synthetic_cohort.csv")
        summary(survfit(Surv(pfs_months, pfs_event) ~ group, data = d))$table[, "median"]
        #  group=Chemo group=ICIs + Chemo
        #         6.00              10.95
        summary(survfit(Surv(os_months, os_event) ~ group, data = d))$table[, "median"]
        #  group=Chemo group=ICIs + Chemo
        #        11.55              15.00

    The book's rule gives 6.0 / 10.5 and 11.0 / 15.0 (ratios 0.571 and 0.733)."""
    glue = power.power_chapter(cohort, PARAMS).glue
    assert glue["pfs_sim_hr"][0] == pytest.approx(6.0 / 10.5) and glue["os_sim_hr"][0] == pytest.approx(
        11.0 / 15.0
    )
    assert glue["pfs_sim_hr_r"][0] == pytest.approx(6.00 / 10.95)
    assert glue["os_sim_hr_r"][0] == pytest.approx(11.55 / 15.00)


def test_bootstrap_share_of_extreme_arm_hrs():
    b = smallsample.BootstrapResult(
        endpoint="pfs",
        covariates=[],
        terms=["treatment"],
        B=5,
        seed=1,
        hr=0.5,
        ci_low=None,
        ci_high=None,
        median_hr=None,
        hr_samples=np.array([0.01, 0.5, 1.0, 30.0]),
        n_converged=4,
        n_not_converged=1,
        n_with_constant_term=0,
        seconds=0.0,
    )
    assert b.share_extreme == pytest.approx(0.5)


def test_epv_verdict_and_arm_stability_follow_their_thresholds():
    """epv_verdict's three branches, boundaries included, compared as printed to one decimal (4.96
    prints 5.0, 9.96 prints 10.0). Vittinghoff & McCulloch (2007) simulated whole EPV values (problems
    fairly frequent at 2-4, uncommon at 5-9), so 9.7 is "between 5 and 10", not "within the 5 to 9"
    (the text before), their 5-9 is given as theirs, not as the range between 5 and 10, and a value below
    5 is not placed inside their 2-4."""
    from lcnec_utils.chapter.methods_glue import arm_stability

    assert smallsample.epv_verdict(12) == smallsample.epv_verdict(10) == "meets the rule of ten"
    assert smallsample.epv_verdict(9.96) == "meets the rule of ten"  # printed 10.0
    between = (
        "falls below the rule of ten, between 5 and 10 events per variable (Vittinghoff and McCulloch found "
        "problems uncommon at 5 to 9)"
    )
    assert smallsample.epv_verdict(29 / 3) == smallsample.epv_verdict(5) == between  # 9.7: chapter 10's
    assert smallsample.epv_verdict(9.94) == smallsample.epv_verdict(4.96) == between  # 9.9 and 5.0
    below = (
        "falls below five events per variable (Vittinghoff and McCulloch found problems fairly frequent at "
        "2 to 4)"
    )
    assert (
        smallsample.epv_verdict(4.94) == smallsample.epv_verdict(2.6) == smallsample.epv_verdict(1) == below
    )
    assert smallsample.epv_verdict(None) == "not computable"
    assert [smallsample.epv_as_printed(x) for x in (4.96, 9.96, 4.94, 0.25)] == [5.0, 10.0, 4.9, 0.2]
    assert [f"{x:.1f}" for x in (4.96, 9.96, 4.94, 0.25)] == ["5.0", "10.0", "4.9", "0.2"]
    assert arm_stability({"pfs": (0.45, 0.50), "os": (0.50, 0.55)}).startswith("hardly moves")
    assert arm_stability({"pfs": (0.30, 0.50), "os": None}).startswith("moves")
    assert arm_stability({"pfs": None}) is None


def test_rate_difference_is_glued_in_percentage_points(cohort):
    from lcnec_utils.methods import teaching
    from lcnec_utils.stats.format import format_value

    glue = teaching.survival_reading(cohort, PARAMS, {})
    d = cohort.assign(t=cohort["pfs_months"], e=cohort["pfs_event"])
    rates = {
        g: survival.landmark_survival(s["t"], s["e"], PARAMS.landmark_months).survival
        for g, s in d.groupby(d["group"] == PARAMS.treatment_group)
    }
    value, fmt = glue["pfs_rate_diff"]
    assert value == pytest.approx(100 * (rates[True] - rates[False]))
    assert format_value(value, fmt).endswith(" percentage points")


def test_sas_default_median_interval_is_the_survival_chapters_log_log_interval(cohort):
    """One SAS interval on both pages: chapter 9's SAS row is the book's Brookmeyer-Crowley log-log
    inversion, as chapter 4 reports it (statsmodels' own row may differ at an unreached upper limit)."""
    from lcnec_utils.methods import conventions

    for ep in ("pfs", "os"):
        table = conventions.median_conventions(cohort, ep, PARAMS).set_index(["software", "role"])
        data = survival.endpoint_data(cohort, ep, PARAMS.reference_group, PARAMS.treatment_group)
        for role in ("treatment", "reference"):
            arm = data.arm(role)
            ci = survival.median_ci_brookmeyer_crowley(arm["time"], arm["event"], PARAMS.alpha, "log-log")
            row = table.loc[("SAS", role)]
            table_limits = [None if pd.isna(v) else v for v in (row["ci_low"], row["ci_high"])]
            assert table_limits == [ci.ci_low, ci.ci_high]


#: Twelve times (seeded uniform draws) whose log-log interval of the median is open above while
#: statsmodels gives an upper limit: the case the cross-check below needs on any cohort.
OPEN_ABOVE = (
    [19.5, 8.8, 2.2, 1.5, 24.6, 27.5, 18.6, 22.2, 16.8, 28.1, 24.7, 1.1],
    [0, 1, 0, 1, 0, 1, 1, 1, 1, 1, 0, 0],
)


def test_statsmodels_upper_limit_is_the_event_time_after_the_last_non_rejecting_one(cohort):
    """Where statsmodels' upper limit of the median differs from the book's 'not reached', it is the first
    event time after the last one whose log-log band contains 0.5 (chapter 9's cross-check sentence);
    on the cohort's arms where that happens and on a fixed small sample where it does."""
    from lcnec_utils.methods import conventions

    samples = [(np.asarray(OPEN_ABOVE[0], float), np.asarray(OPEN_ABOVE[1], int))]
    for ep in ("pfs", "os"):
        data = survival.endpoint_data(cohort, ep, PARAMS.reference_group, PARAMS.treatment_group)
        for role in ("treatment", "reference"):
            arm = data.arm(role)
            samples.append((arm["time"].to_numpy(float), arm["event"].to_numpy(int)))
    found = 0
    for t, e in samples:
        ours = survival.median_ci_brookmeyer_crowley(t, e, PARAMS.alpha, "log-log")
        _, hi = conventions.statsmodels_median_ci(t, e, PARAMS.alpha)
        if ours.ci_high is not None or hi is None:
            continue
        found += 1
        curve = survival.km_curve(t, e)
        lower, upper = survival.pointwise_band(curve, PARAMS.alpha, "log-log")
        inside = np.flatnonzero((np.asarray(lower) <= 0.5) & (np.asarray(upper) >= 0.5))
        event_times = curve.time
        assert hi == pytest.approx(event_times[inside[-1] + 1])
    assert found >= 1  # the fixed sample at least


def test_power_glues_the_other_trials_interval_and_medians_once(cohort):
    from lcnec_utils.methods import design

    trials, name = design.external_trials()
    others = [t for t in trials.values() if t.name != name]
    glue = power.power_chapter(cohort, PARAMS).glue
    assert glue["ext_other"][0] == "; ".join(f"{t.hr:.2f} ({t.ci_low:.2f}–{t.ci_high:.2f})" for t in others)
    assert all(glue["ext_other_detail"][0].count(t.name) == 1 for t in others)


def test_the_program_by_program_median_table_says_not_reached_never_nan(cohort):
    """An upper limit the curve never reaches is stored as None, read back from the table as NaN,
    and printed "not reached" (the chapter's text promises it); on the shipped cohort the OS
    intervals of R and SAS in the ICI arm are open above."""
    from lcnec_utils.methods import conventions

    tables = {ep: conventions.median_conventions(cohort, ep, PARAMS) for ep in ("os", "pfs")}
    assert tables["os"]["ci_high"].isna().any()
    text = conventions.format_median_conventions(tables).to_string()
    assert "nan" not in text.lower()
    assert "not reached" in text


def test_the_variance_table_is_left_out_for_an_endpoint_where_an_arm_has_no_events(cohort):
    """An arm without deaths sends the weighted HR to 0 (its interval overflows): chapter 12 shows no
    variance table for that endpoint, and glues its standard errors as missing."""
    no_deaths = cohort.copy()
    no_deaths.loc[no_deaths["group"] == PARAMS.treatment_group, "os_event"] = 0
    chapter = confounding.confounding_chapter(no_deaths, PARAMS)
    variance, _, glue = confounding.confounding_teaching(no_deaths, PARAMS, chapter)
    assert "os" not in variance and "pfs" in variance
    assert glue["os_se_robust"][0] is None and glue["pfs_se_robust"][0] > 0


def test_lifelines_integration_warnings_never_reach_the_rmst_page(cohort):
    """lifelines' return_variance integrates the step curve with scipy's quad, which warns (with the
    build machine's path) at some τ; a warm worker shows a warning once, a fresh kernel every time,
    so a leaked warning would also make the two engines' pages differ."""
    import warnings

    from lcnec_utils.methods import rmst

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for ep in ("os", "pfs"):
            rmst.rmst_conventions(cohort, ep, PARAMS, rmst.TAUS[0])  # the chapter's τ
    assert not [w for w in caught if "subdivisions" in str(w.message)]


def test_rmst_permutation_p_by_full_enumeration_and_on_the_cohort(cohort):
    """The permutation p of the RMST difference (session 15's review: the z-test's 0.005 and 0.006 at
    12 months against about 0.015 and 0.012 by 5,000 shuffles in R). The area of each relabelled arm
    equals lifelines' restricted_mean_survival_time; on a 4 + 4 study the function with many draws
    approaches the exact p over all 70 relabellings; on the cohort it lies within Monte Carlo error
    of the reviewer's R values (SE about 0.002 each)."""
    import itertools

    from lifelines import KaplanMeierFitter
    from lifelines.utils import restricted_mean_survival_time

    rng = np.random.default_rng(3)
    t = np.round(rng.uniform(1, 20, 12), 1)
    e = (rng.random(12) < 0.7).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = restricted_mean_survival_time(KaplanMeierFitter().fit(t, e), t=10.0)
    assert rmst._km_area(t, e, 10.0) == pytest.approx(expected, abs=1e-7)

    small = pd.DataFrame(
        {
            "group": ["A"] * 4 + ["B"] * 4,
            "os_months": [2.0, 3.5, 5.0, 9.0, 6.0, 8.0, 10.0, 12.0],
            "os_event": [1, 1, 1, 0, 1, 1, 0, 0],
        }
    )
    params = make_parameters({"reference_group": "A", "treatment_group": "B"})
    times, events = small["os_months"].to_numpy(), small["os_event"].to_numpy()
    observed = abs(rmst._km_area(times[4:], events[4:], 9.0) - rmst._km_area(times[:4], events[:4], 9.0))
    exact = []
    for chosen in itertools.combinations(range(8), 4):
        mask = np.isin(np.arange(8), chosen)
        d = rmst._km_area(times[mask], events[mask], 9.0) - rmst._km_area(times[~mask], events[~mask], 9.0)
        exact.append(abs(d) >= observed - 1e-12)
    p_exact = float(np.mean(exact))
    assert rmst.rmst_permutation_p(small, "os", params, 9.0, n_perm=20000) == pytest.approx(p_exact, abs=0.01)

    p_pfs = rmst.rmst_permutation_p(cohort, "pfs", PARAMS, 12.0)
    p_os = rmst.rmst_permutation_p(cohort, "os", PARAMS, 12.0)
    assert p_pfs == pytest.approx(0.015, abs=0.008) and p_os == pytest.approx(0.012, abs=0.008)
    z = {ep: rmst.rmst_table(cohort, ep, PARAMS, (12.0,)).iloc[0]["p"] for ep in ("pfs", "os")}
    assert z["pfs"] < p_pfs / 2 and z["os"] < p_os / 2  # the normal approximation, far smaller
    assert rmst.rmst_permutation_p(cohort, "pfs", PARAMS, 40.0) is None  # beyond follow-up


def test_rmst_caveat_on_events_clustered_just_below_tau(cohort):
    """The shipped treated arm's 6 deaths by 12 months all fall at 11.1-11.8 months (its OS RMST at 12
    months has SE 0.08: session 15's review); its PFS has no such cluster, nor has either arm of a
    cohort whose events spread out."""
    text = rmst.events_before_tau(cohort, "os", PARAMS, 12.0)
    assert text.startswith(
        "Read the 12-month difference with care: in the ICIs + Chemo arm 6 of the 6 deaths by 12 months "
        "fall in the 1 month before it (11.1 to 11.8)"
    )
    assert rmst.events_before_tau(cohort, "pfs", PARAMS, 12.0) == ""
    table = rmst.rmst_table(cohort, "os", PARAMS, (12.0,)).iloc[0]
    assert table["se_treatment"] < 0.1


# R 4.x on the shipped cohort's 31 patients, d coded as cox.design_matrix (sex_male = Male):
#   ps <- fitted(glm(treatment ~ age + ecog + sex_male, family = binomial, data = d))
#   p1 <- mean(d$treatment); w <- ifelse(d$treatment == 1, p1 / ps, (1 - p1) / (1 - ps))  # stabilised
#   wmv <- function(x, w) { m <- sum(w * x) / sum(w); c(m, sum(w) / (sum(w)^2 - sum(w^2)) * sum(w * (x - m)^2)) }
#   smd <- function(x, a, w = rep(1, length(x))) { a1 <- wmv(x[a == 1], w[a == 1]); a0 <- wmv(x[a == 0], w[a == 0])
#     if (all(x %in% c(0, 1))) { a1[2] <- a1[1] * (1 - a1[1]); a0[2] <- a0[1] * (1 - a0[1]) }
#     (a1[1] - a0[1]) / sqrt((a1[2] + a0[2]) / 2) }
# printed (before, after; session 18's cohort): smoking 0.0919 -0.1978, met_bone -0.2377 -0.3559,
#   met_liver -0.0503 0.1820, met_brain -0.0503 0.1676, met_pleura 0.1151 -0.0459,
#   met_intrapulmonary 0.5866 0.2231, met_adrenal 0.0511 -0.0341, thoracic_rt -0.1585 -0.1189:
#   6 of the 8 at |SMD| >= 0.1 after, 4 worse
def test_balance_shows_the_covariates_outside_the_propensity_model(cohort):
    """Weighting on age, ECOG and sex leaves the Cox models' other covariates as they fall (session
    15's review; R on the shipped cohort: smoking SMD 0.09 → −0.20, bone −0.24 → −0.36, liver −0.05 →
    0.18, brain −0.05 → 0.17, intrapulmonary metastasis 0.59 → 0.22, thoracic RT −0.16 → −0.12, and
    pleura 0.12 → −0.05); the table shows them, unmodelled, and the results keys stay the modelled
    three."""
    chapter = confounding.confounding_chapter(cohort, PARAMS)
    bal = chapter.balance.set_index("term")
    assert list(bal.index[bal["in_model"]]) == ["age", "ecog", "sex_male"]
    expected = {
        "smoking": (0.09, -0.20),
        "met_intrapulmonary": (0.59, 0.22),
        "met_bone": (-0.24, -0.36),
        "met_liver": (-0.05, 0.18),
        "met_brain": (-0.05, 0.17),
        "met_pleura": (0.12, -0.05),
        "thoracic_rt": (-0.16, -0.12),
    }
    for term, (before, after) in expected.items():
        assert not bal.loc[term, "in_model"]
        assert (round(bal.loc[term, "smd_before"], 2), round(bal.loc[term, "smd_after"], 2)) == (
            before,
            after,
        )
    # each by hand with the module's SMD on the same rows and weights
    f = confounding.propensity_scores(cohort, PARAMS).frame
    x = (cohort.loc[f.index, "met_bone"] == 1).astype(float)
    assert bal.loc["met_bone", "smd_after"] == pytest.approx(confounding.smd(x, f["treatment"], f["weight"]))
    assert not any(k.startswith("methods.balance.met_") for k in chapter.results)
    assert chapter.glue["other_balance"][0].startswith(
        "6 of the 8 other covariates of the Cox models have an |SMD| of 0.1 or more after weighting"
    )
    assert chapter.glue["other_balance"][0].endswith("and 4 are less balanced than before")


def test_ph_tables_label_each_programs_km_scale():
    """R's rows (score, approximation) are on 1 − KM(t−), lifelines' on 1 − KM(t); the global table's
    approximation rows carry no KM note on the rank and t scales (review 46, item 8)."""
    rows = [
        {
            "model": "full",
            "label": "M",
            "transform": tr,
            "test": t,
            "chi2": 1.0,
            "p": 0.3,
            "events": 29,
            "terms": 12,
        }
        for tr in ("km", "identity")
        for t in ph.PH_TEST_CONVENTIONS
    ]
    text = ph.format_ph_test_conventions({"PFS": pd.DataFrame(rows)})
    km = text[text["Time scale g(t)"] != "t"]
    assert dict(zip(km["Test (programs)"], km["Time scale g(t)"])) == {
        ph.PH_TEST_CONVENTIONS["score"]: "1 − KM(t−)",
        ph.PH_TEST_CONVENTIONS["approximation"]: "1 − KM(t−)",
        ph.PH_TEST_CONVENTIONS["lifelines"]: "1 − KM(t)",
    }
    glob = pd.DataFrame(
        [{"test": t, "transform": tr, "chi2": 20.0, "df": 12, "p": 0.07} for t, tr in ph.PH_GLOBAL_TESTS]
    )
    labels = ph.format_ph_global_tests(glob)["Test (programs)"]
    assert not labels.str.contains("KM").any() and labels.nunique() == 2


def test_ph_null_rates_drop_a_replicate_with_a_singular_information_matrix(cohort, monkeypatch):
    """A replicate whose information matrix of (β, γ) is singular (numpy's LinAlgError; the fresh-clone
    CI found chapter 11 failing so on the robustness build's cohort with an arm of 2 patients) is
    dropped, like a fit that did not converge, instead of failing the chapter: exactly one fewer
    kept when the term test raises once, and that cohort's simulation runs through."""
    import dataclasses

    from lcnec_utils.stats import cox

    present, _ = cox.available_covariates(cohort, PARAMS.covariates)
    params = dataclasses.replace(PARAMS, covariates=present)
    clean = ph.ph_null_rates(cohort, "pfs", params, reps=12)
    calls, real = [], ph._zph_arrays

    def singular_once(*args):
        calls.append(1)
        if len(calls) == 3:
            raise np.linalg.LinAlgError("Singular matrix")
        return real(*args)

    monkeypatch.setattr(ph, "_zph_arrays", singular_once)
    assert ph.ph_null_rates(cohort, "pfs", params, reps=12)["kept"] == clean["kept"] - 1
    monkeypatch.undo()

    treated = cohort["group"] == PARAMS.treatment_group
    small = cohort[~treated | cohort.index.isin(cohort.index[treated][:2])].reset_index(drop=True)
    present, _ = cox.available_covariates(small, PARAMS.covariates)
    r = ph.ph_null_rates(small, "os", dataclasses.replace(PARAMS, covariates=present), reps=100)
    assert 0 < r["kept"] < r["reps"] == 100
    assert all(0.0 <= r[k] <= 1.0 for k in ("score_global", "approximation_global", "score_term"))


def test_ph_null_rates_run_on_the_required_columns_only_and_stop_on_a_large_cohort(cohort):
    """Chapter 11's simulation on a cohort with only the required columns (the arm-only model: its
    global test is the arm's own) and none above NULL_MAX_N patients, where the page says it was not
    simulated."""
    import dataclasses

    from lcnec_utils.chapter import ph_global_glue

    minimal = cohort[["patient_id", "group", "os_months", "os_event"]]
    r = ph.ph_null_rates(minimal, "os", dataclasses.replace(PARAMS, covariates=[]), reps=8)
    assert r["reps"] == 8 and r["kept"] == 8 and r["score_global"] == r["score_term"]
    copies = -(-(ph.NULL_MAX_N + 1) // len(cohort))
    big = pd.concat([cohort] * copies, ignore_index=True).assign(patient_id=lambda d: range(len(d)))
    assert ph.ph_null_rates(big[minimal.columns], "os", dataclasses.replace(PARAMS, covariates=[])) is None
    glue = ph_global_glue({}, {}, {}, PARAMS, {"os": None})
    assert glue["global_size"][0] is None and "not simulated" in glue["global_size"][2]


def _whr(hr):
    return confounding.WeightedHR(hr, None, None, None, None, 31, 25, "test")


def test_exercise_2_reads_which_hr_is_further_from_1_at_three_decimals(cohort):
    """Chapter 12's exercise 2 (review 55: at two decimals the shipped cohort's PFS HRs both print
    0.43): the weighted HR against the adjusted one at three decimals, and whether that is
    non-collapsibility's direction (the marginal HR closer to 1); each branch by hand."""
    est = confounding._Estimates(
        adjusted={"pfs": _whr(0.4334), "os": _whr(0.474)}, iptw={"pfs": _whr(0.4296), "os": _whr(0.495)}
    )
    assert confounding._marginal_reading(est, "pfs") == (
        "for progression-free survival the weighted HR is the further from 1 (0.430 weighted against "
        "0.433 adjusted), which non-collapsibility alone would not produce"
    )
    assert confounding._marginal_reading(est, "os") == (
        "for overall survival the weighted HR is the closer to 1 (0.495 weighted against 0.474 adjusted), "
        "as non-collapsibility would make it"
    )
    same = confounding._Estimates(adjusted={"pfs": _whr(0.5001)}, iptw={"pfs": _whr(0.4999)})
    assert confounding._marginal_reading(same, "pfs").startswith(
        "for progression-free survival the two are equal"
    )
    assert confounding._marginal_reading(confounding._Estimates(), "pfs") is None
    # on the shipped cohort, from the chapter's own estimates
    glue = confounding.confounding_chapter(cohort, PARAMS).glue
    text = glue["marginal_reading"][0]
    for ep, name in (("pfs", "progression-free survival"), ("os", "overall survival")):
        w, a = glue[f"{ep}_iptw"][0][0], glue[f"{ep}_adjusted"][0][0]
        side = "closer to 1" if abs(math.log(w)) < abs(math.log(a)) else "further from 1"
        assert f"for {name} the weighted HR is the {side} ({w:.3f} weighted against {a:.3f} adjusted)" in text
