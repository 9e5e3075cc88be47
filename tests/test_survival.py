"""Tests of lcnec_utils.survival against hand calculations and R (survival 3.5.3).

R numbers are pasted with the R code that produced them (R 4.2.2, survival
3.5.3); R is not called from here (the R suite is separate).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter

from lcnec_utils.contract.params import Parameters
from lcnec_utils.stats import survival as sv
from lcnec_utils.tables.survival import (
    followup_results,
    format_summary,
    results_keys,
    survival_results,
    survival_summary,
)

FIXTURES = Path(__file__).parent / "fixtures"

# Hand example, 8 patients ("+" = censored): 2, 3+, 4, 4, 6, 7+, 9, 11+
T8 = [2, 3, 4, 4, 6, 7, 9, 11]
E8 = [1, 0, 1, 1, 1, 0, 1, 0]


def test_kaplan_meier_hand_calculation():
    # time  at risk  deaths  S(t)                       Greenwood sum d/(n(n-d))
    #  2      8        1     7/8            = 0.875     1/56            = 0.017857
    #  4      6        2     0.875 * 4/6    = 0.583333  + 2/24          = 0.101190
    #  6      4        1     0.583333 * 3/4 = 0.4375    + 1/12          = 0.184524
    #  9      2        1     0.4375 * 1/2   = 0.21875   + 1/2           = 0.684524
    # SE(S) = S * sqrt(sum): at 6, 0.4375 * sqrt(0.184524) = 0.187934
    c = sv.km_curve(T8, E8)
    np.testing.assert_array_equal(c.time, [2, 4, 6, 9])
    np.testing.assert_array_equal(c.n_risk, [8, 6, 4, 2])
    np.testing.assert_allclose(c.survival, [7 / 8, 7 / 12, 7 / 16, 7 / 32])
    sums = np.cumsum([1 / 56, 2 / 24, 1 / 12, 1 / 2])
    np.testing.assert_allclose(c.se, c.survival * np.sqrt(sums))
    assert c.se[2] == pytest.approx(0.187934, abs=1e-6)
    assert c.n == 8 and c.events == 5 and c.last_time == 11


def test_km_median_first_time_at_or_below_half():
    assert sv.km_median(T8, E8) == 6.0  # S(4) = 0.583 > 0.5, S(6) = 0.4375


def test_km_median_flat_step_at_half_vs_r_midpoint():
    # S = 5/6, 4/6, 3/6 (exactly 0.5 on [3, 4)), 2/6, ...
    t, e = [1, 2, 3, 4, 5, 6], [1] * 6
    assert sv.km_median(t, e) == 3.0  # SPSS/SAS: first time S <= 0.5
    # R: quantile(survfit(Surv(1:6, rep(1,6)) ~ 1, conf.type=...), 0.5)
    #   log-log 3.5 1 NA | log 3.5 2 NA | plain 3.5 2 5
    r = {"log-log": (3.5, 1, None), "log": (3.5, 2, None), "plain": (3.5, 2, 5)}
    for transform, expected in r.items():
        ci = sv.median_ci_brookmeyer_crowley(t, e, transform=transform)
        assert (ci.median, ci.ci_low, ci.ci_high) == expected, transform


def test_flat_at_half_until_last_time_r_uses_last_time():
    # 1, 2, 3+, 4+: S = 0.75, 0.5 then flat at 0.5 to the end (last time 4).
    # R: quantile(survfit(Surv(c(1,2,3,4), c(1,1,0,0)) ~ 1, conf.type=ct), 0.5)
    #   -> 3 1 NA for log-log, log and plain: median (2 + 4) / 2 = 3
    assert sv.km_median([1, 2, 3, 4], [1, 1, 0, 0]) == 2.0
    for transform in ("log-log", "log", "plain"):
        ci = sv.median_ci_brookmeyer_crowley([1, 2, 3, 4], [1, 1, 0, 0], transform=transform)
        assert (ci.median, ci.ci_low, ci.ci_high) == (3.0, 1.0, None)


def test_median_not_reached_is_none():
    t, e = [1, 2, 3, 4, 5], [1, 0, 0, 1, 0]  # S = 0.8, 0.8 * 1/2 = 0.4 at 4
    assert sv.km_median(t, e) == 4.0
    t, e = [1, 2, 3, 4, 5], [1, 0, 0, 0, 0]  # S = 0.8 and flat: not reached
    assert sv.km_median(t, e) is None
    assert sv.median_ci_spss(t, e) == sv.MedianCI(None, None, None, None, "spss")
    bc = sv.median_ci_brookmeyer_crowley(t, e)
    assert bc.median is None and bc.ci_high is None


def test_median_ci_spss_hand_calculation():
    # median 6; Greenwood SE of S(6) = 0.187934 (see the hand KM above)
    # u = max{t: S(t) >= 0.55} = 4 (S = 0.583333); l = min{t: S(t) <= 0.45} = 6 (S = 0.4375)
    # f = (0.583333 - 0.4375) / (6 - 4) = 0.0729167; SE = 0.187934 / 0.0729167 = 2.577374
    # CI = 6 -/+ 1.959964 * 2.577374 = (0.948440, 11.051560)
    ci = sv.median_ci_spss(T8, E8)
    assert ci.median == 6.0
    assert ci.se == pytest.approx(2.577374, abs=1e-6)
    assert ci.ci_low == pytest.approx(0.948440, abs=1e-6)
    assert ci.ci_high == pytest.approx(11.051560, abs=1e-6)
    # symmetric, as the study's 15.0 (11.4-18.6)
    assert ci.median - ci.ci_low == pytest.approx(ci.ci_high - ci.median)


def test_median_ci_spss_uses_time_zero_when_first_drop_crosses_band():
    # 1, 2, 3 all die: S = 2/3, 1/3, 0. u = max{t: S >= 0.55} = 1 (S = 2/3);
    # l = min{t: S <= 0.45} = 2 (S = 1/3): f = (1/3) / 1; median = 2.
    # SE(S(2)) = (1/3) sqrt(1/6 + 1/2) = 0.272166; SE = 0.816497
    ci = sv.median_ci_spss([1, 2, 3], [1, 1, 1])
    assert ci.median == 2.0
    assert ci.se == pytest.approx(math.sqrt(2 / 3), rel=1e-9)
    # first event already below 0.45: u is time 0 with S = 1
    ci = sv.median_ci_spss([1, 1, 1, 2], [1, 1, 1, 1])  # S(1) = 0.25
    assert ci.median == 1.0
    # f = (1 - 0.25) / (1 - 0); SE(S) = 0.25 sqrt(3/4) = 0.216506
    assert ci.se == pytest.approx(0.25 * math.sqrt(0.75) / 0.75, rel=1e-9)


def test_brookmeyer_crowley_hand_example_vs_r():
    # R: t8 <- c(2,3,4,4,6,7,9,11); e8 <- c(1,0,1,1,1,0,1,0)
    #    quantile(survfit(Surv(t8, e8) ~ 1, conf.type = ct), 0.5)
    #    log-log 6 2 NA | log 6 4 NA | plain 6 4 NA
    r = {"log-log": (6, 2, None), "log": (6, 4, None), "plain": (6, 4, None)}
    for transform, expected in r.items():
        ci = sv.median_ci_brookmeyer_crowley(T8, E8, transform=transform)
        assert (ci.median, ci.ci_low, ci.ci_high) == expected, transform


def test_brookmeyer_crowley_300_random_samples_vs_r():
    """All three transforms on 300 random censored samples with ties, R values in the fixture.

    tests/fixtures/survival_bc_random.R produced survival_bc_random_r.csv.
    """
    data = pd.read_csv(FIXTURES / "survival_bc_random_data.csv")
    ref = pd.read_csv(FIXTURES / "survival_bc_random_r.csv")
    groups = dict(tuple(data.groupby("k")))
    mismatches = []
    for row in ref.itertuples():
        d = groups[row.k]
        ci = sv.median_ci_brookmeyer_crowley(d["t"], d["e"], transform=row.ct)
        for got, want in ((ci.median, row.med), (ci.ci_low, row.lo), (ci.ci_high, row.hi)):
            if math.isnan(want) and got is None:
                continue
            if got is None or abs(got - want) > 1e-9:
                mismatches.append((row.k, row.ct, ci, row.med, row.lo, row.hi))
                break
    assert len(ref) == 900
    assert not mismatches, mismatches[:5]


def test_landmark_survival_vs_r():
    # R: s <- summary(survfit(Surv(t8, e8) ~ 1, conf.type = "log-log"), times = c(1, 5, 10))
    #    time surv           lower            upper
    #    1    1.000000000000 1.0000000000000  1.000000000000
    #    5    0.583333333333 0.1801888910128  0.844068691657
    #    10   0.218750000000 0.0120652705672  0.592799039064
    for t, s, lo, hi in [
        (1, 1.0, 1.0, 1.0),
        (5, 0.583333333333, 0.1801888910128, 0.844068691657),
        (10, 0.21875, 0.0120652705672, 0.592799039064),
    ]:
        lm = sv.landmark_survival(T8, E8, t)
        assert lm.survival == pytest.approx(s, abs=1e-11)
        assert lm.ci_low == pytest.approx(lo, abs=1e-11)
        assert lm.ci_high == pytest.approx(hi, abs=1e-11)
    # beyond the last follow-up (11, censored) S is unknown: None, not a number
    assert sv.landmark_survival(T8, E8, 12).survival is None


def test_landmark_matches_lifelines_exponential_greenwood():
    kmf = KaplanMeierFitter().fit(T8, E8)
    ci = kmf.confidence_interval_survival_function_
    lm = sv.landmark_survival(T8, E8, 6)
    assert lm.ci_low == pytest.approx(ci.loc[6.0].iloc[0], rel=1e-9)
    assert lm.ci_high == pytest.approx(ci.loc[6.0].iloc[1], rel=1e-9)


def _two_groups(ref_times, ref_events, trt_times, trt_events, endpoint="os"):
    return pd.DataFrame(
        {
            "patient_id": [f"p{i}" for i in range(len(ref_times) + len(trt_times))],
            "group": ["Chemo"] * len(ref_times) + ["ICIs + Chemo"] * len(trt_times),
            f"{endpoint}_months": list(ref_times) + list(trt_times),
            f"{endpoint}_event": list(ref_events) + list(trt_events),
        }
    )


def test_logrank_hand_calculation_statsmodels_and_r():
    # reference 1, 3, 5+; treatment 2, 4+, 6
    # t  n  n_ref  d  E_ref     V = d (n_ref/n)(1 - n_ref/n)(n - d)/(n - 1)
    # 1  6  3      1  3/6=0.5   0.25
    # 2  5  2      1  2/5=0.4   0.24
    # 3  4  2      1  2/4=0.5   0.25
    # 6  1  0      1  0         0
    # O_ref = 2, E_ref = 1.4, V = 0.74: chi2 = 0.6^2 / 0.74 = 0.486486
    # R survdiff(Surv(c(1,3,5,2,4,6), c(1,1,0,1,0,1)) ~ g): chisq 0.486486486486, obs 2 2, exp 1.4 2.6
    cohort = _two_groups([1, 3, 5], [1, 1, 0], [2, 4, 6], [1, 0, 1])
    lr = sv.logrank(cohort, "os", "Chemo", "ICIs + Chemo")
    assert lr.chi2 == pytest.approx(0.36 / 0.74, rel=1e-12)
    assert lr.df == 1
    assert lr.p == pytest.approx(0.485498802644, abs=1e-11)  # R: 1 - pchisq(0.36/0.74, 1)
    assert lr.observed == {"reference": 2, "treatment": 2}
    assert lr.expected["reference"] == pytest.approx(1.4)
    assert lr.expected["treatment"] == pytest.approx(2.6)
    from statsmodels.duration.survfunc import survdiff

    chi2, p = survdiff(
        np.array([1, 3, 5, 2, 4, 6.0]), np.array([1, 1, 0, 1, 0, 1]), np.array([0, 0, 0, 1, 1, 1])
    )
    assert lr.chi2 == pytest.approx(chi2, rel=1e-12)
    assert lr.p == pytest.approx(p, rel=1e-12)


def test_group_with_no_events():
    # treatment arm all censored. Log-rank by hand: t=1 n=6 n_ref=3 E=0.5 V=0.25;
    # t=3 n=4 n_ref=2 E=0.5 V=0.25; O_ref=2 E_ref=1 V=0.5: chi2 = 1/0.5 = 2.
    # R survdiff(Surv(c(1,3,5,2,4,6), c(1,1,0,0,0,0)) ~ g): chisq 2, obs 2 0, exp 1 1
    cohort = _two_groups([1, 3, 5], [1, 1, 0], [2, 4, 6], [0, 0, 0])
    lr = sv.logrank(cohort, "os", "Chemo", "ICIs + Chemo")
    assert lr.chi2 == pytest.approx(2.0)
    assert lr.observed == {"reference": 2, "treatment": 0}
    params = Parameters(landmark_months=3.0)
    table = survival_summary(cohort, "os", params)
    trt = table.loc["treatment"]
    assert trt["events"] == 0
    assert trt["median"] is None and trt["median_ci_low"] is None and trt["median_ci_bc_low"] is None
    assert trt["rate"] == 1.0 and trt["rate_ci_low"] == 1.0
    ref = table.loc["reference"]
    assert ref["median"] == 3.0  # S = 2/3 at 1, 1/3 at 3
    # no events at all: nothing to test
    none = sv.logrank(_two_groups([1, 2], [0, 0], [3, 4], [0, 0]), "os", "Chemo", "ICIs + Chemo")
    assert none.chi2 is None and none.p is None


def test_reverse_km_followup_hand_calculation():
    # censored = "event": 3, 7, 11. t=3: at risk 7 -> S = 6/7; t=7: at risk 3 (7, 9, 11)
    # -> S = 6/7 * 2/3 = 0.571; t=11: at risk 1 -> S = 0: median follow-up 11.
    # R: quantile(survfit(Surv(t8, 1 - e8) ~ 1, conf.type = "log-log"), 0.5) -> 11 3 NA
    fu = sv.reverse_km_followup(T8, E8)
    assert (fu.median, fu.ci_low, fu.ci_high, fu.n) == (11.0, 3.0, None, 8)


def test_rmst_difference_vs_r_rossi():
    from lifelines.datasets import load_rossi

    r = load_rossi()
    cohort = pd.DataFrame(
        {"group": np.where(r["fin"] == 1, "T", "R"), "os_months": r["week"], "os_event": r["arrest"]}
    )
    params = Parameters(reference_group="R", treatment_group="T")
    res = sv.rmst_difference(cohort, "os", params, tau=40)
    # R: summary(survfit(Surv(week, arrest) ~ 1, data = r[r$fin == g, ]), rmean = 40)$table
    #    fin=0: rmean 35.9351851852 se 0.622630842193; fin=1: 37.162037037 se 0.527723533269
    assert res.rmst["reference"] == pytest.approx(35.9351851852, abs=1e-9)
    assert res.rmst["treatment"] == pytest.approx(37.162037037, abs=1e-9)
    assert res.se["reference"] == pytest.approx(0.622630842193, abs=1e-11)
    assert res.se["treatment"] == pytest.approx(0.527723533269, abs=1e-11)
    sd = math.hypot(0.622630842193, 0.527723533269)
    assert res.difference == pytest.approx(37.162037037 - 35.9351851852, abs=1e-9)
    assert res.ci_high - res.ci_low == pytest.approx(2 * 1.959963985 * sd, rel=1e-8)
    # logrank on the same data, R survdiff(Surv(week, arrest) ~ fin): chisq 3.83756957655
    lr = sv.logrank(cohort, "os", "R", "T")
    assert lr.chi2 == pytest.approx(3.83756957655, rel=1e-10)
    assert lr.expected["reference"] == pytest.approx(55.5744427684, rel=1e-10)


# ---------------------------------------------------------------- cohort-level


def _cohort():
    rng = np.random.default_rng(7)
    n = 40
    df = pd.DataFrame(
        {
            "patient_id": [f"p{i}" for i in range(n)],
            "group": np.where(np.arange(n) < 20, "Chemo", "ICIs + Chemo"),
            "os_months": np.round(rng.exponential(12, n), 1) + 0.1,
            "os_event": (rng.random(n) < 0.8).astype(int),
        }
    )
    df["pfs_months"] = np.round(df["os_months"] * rng.uniform(0.3, 1, n), 1)
    df["pfs_event"] = (rng.random(n) < 0.9).astype(int)
    return df


def test_survival_results_has_every_key_and_matches_summary():
    params = Parameters()
    cohort = _cohort()
    res = survival_results(cohort, "pfs", params)
    assert set(res) == set(results_keys("pfs", params))
    for key in (
        "pfs.median.reference",
        "pfs.median_ci_low.treatment",
        "pfs.median_ci_bc_high.reference",
        "pfs.rate_12m.treatment",
        "pfs.rate_12m_ci_low.reference",
        "pfs.logrank.chi2",
        "pfs.logrank.p",
        "pfs.events.treatment",
    ):
        assert key in res
    ref = cohort[cohort.group == "Chemo"]
    assert res["pfs.median.reference"] == sv.km_median(ref.pfs_months, ref.pfs_event)
    assert res["pfs.events.reference"] == int(ref.pfs_event.sum())
    lm = sv.landmark_survival(ref.pfs_months, ref.pfs_event, 12.0)
    assert res["pfs.rate_12m.reference"] == lm.survival
    assert res["pfs.rate_12m_ci_high.reference"] == lm.ci_high


def test_landmark_key_follows_params():
    res = survival_results(_cohort(), "os", Parameters(landmark_months=6.0))
    assert "os.rate_6m.reference" in res and "os.rate_12m.reference" not in res


def test_missing_endpoint_columns():
    cohort = _cohort().drop(columns=["pfs_months", "pfs_event"])
    res = survival_results(cohort, "pfs", Parameters())
    assert res and all(v is None for v in res.values())
    with pytest.raises(sv.EndpointUnavailable, match="pfs_months"):
        survival_summary(cohort, "pfs", Parameters())


def test_missing_values_are_dropped_and_counted():
    cohort = _cohort()
    cohort.loc[[0, 1], "os_months"] = np.nan
    cohort.loc[25, "os_event"] = np.nan
    table = survival_summary(cohort, "os", Parameters())
    assert table.attrs["n_dropped"] == 3
    assert table.attrs["dropped_reasons"] == {"os_months": 2, "os_event": 1}
    assert table.loc["reference", "n"] == 18 and table.loc["treatment", "n"] == 19
    complete = cohort.dropna(subset=["os_months", "os_event"])
    ref = complete[complete.group == "Chemo"]
    assert table.loc["reference", "median"] == sv.km_median(ref.os_months, ref.os_event)
    with pytest.raises(ValueError, match="missing"):
        sv.km_median([1, np.nan], [1, 1])


def test_unknown_arm_label_is_a_clear_error():
    with pytest.raises(ValueError, match="Placebo"):
        sv.logrank(_cohort(), "os", "Placebo", "ICIs + Chemo")


def test_fit_km_per_role_with_group_labels():
    fitted = sv.fit_km(_cohort(), "os", Parameters())
    assert set(fitted) == {"reference", "treatment"}
    assert isinstance(fitted["reference"], KaplanMeierFitter)
    assert fitted["treatment"].label == "ICIs + Chemo"
    assert fitted["reference"].event_observed.sum() == _cohort().query("group == 'Chemo'").os_event.sum()


def test_followup_results_pools_both_arms():
    cohort = _two_groups([2, 3, 4, 4], [1, 0, 1, 1], [6, 7, 9, 11], [1, 0, 1, 0])
    # the same 8 patients as the hand example: reverse KM median 11
    assert followup_results(cohort, Parameters()) == {"followup.median": 11.0}
    assert followup_results(cohort.drop(columns="os_event"), Parameters()) == {"followup.median": None}


def test_total_landmark_ci_keys_use_pooled_curve():
    # pooled = hand example; landmark 5 months: R log-log CI 0.1801888910128 0.844068691657
    cohort = _two_groups([2, 3, 4, 4], [1, 0, 1, 1], [6, 7, 9, 11], [1, 0, 1, 0])
    res = survival_results(cohort, "os", Parameters(landmark_months=5.0))
    assert res["os.rate_5m_ci_low.total"] == pytest.approx(0.1801888910128, abs=1e-11)
    assert res["os.rate_5m_ci_high.total"] == pytest.approx(0.844068691657, abs=1e-11)


def test_landmark_beyond_follow_up_without_events_is_none():
    assert sv.landmark_survival([1, 2, 3], [0, 0, 0], 5).survival is None
    assert sv.landmark_survival([1, 2, 3], [0, 0, 0], 2).survival == 1.0
    # the curve reached 0 at 3: S(5) = 0 is known; R gives NA for its CI
    lm = sv.landmark_survival([1, 2, 3], [1, 1, 1], 5)
    assert (lm.survival, lm.ci_low, lm.ci_high) == (0.0, None, None)


def test_format_summary_headers_name_the_level_the_intervals_are_computed_at():
    """At alpha 0.10 the intervals are 90% ones (SPSS: 6 ± z_0.95 · 2.5774 = 1.8 to 10.2 months on
    the hand example, z_0.95 = scipy's norm.ppf(0.95) = 1.645 to three decimals), and the headers
    say so; at 0.05 they are the book's usual headers."""
    from scipy.stats import norm

    cohort = _two_groups(T8, E8, [t + 1 for t in T8], E8)
    headers = {}
    for alpha in (0.05, 0.10):
        params = Parameters(alpha=alpha, landmark_months=6.0)
        text = format_summary(survival_summary(cohort, "os", params), params)
        headers[alpha] = list(text.columns)[4:]
    assert headers[0.05] == [
        "95% CI (SPSS: median ± 1.96 SE)",
        "95% CI (Brookmeyer-Crowley)",
        "6-month rate, % (95% CI)",
    ]
    assert f"{norm.ppf(0.95):.3f}" == "1.645"
    assert headers[0.10] == [
        "90% CI (SPSS: median ± 1.645 SE)",
        "90% CI (Brookmeyer-Crowley)",
        "6-month rate, % (90% CI)",
    ]
    spss = sv.median_ci_spss(T8, E8, 0.10)
    assert spss.ci_low == pytest.approx(6 - norm.ppf(0.95) * spss.se)
    assert text.loc[1, "90% CI (SPSS: median ± 1.645 SE)"] == "1.8–10.2"


def test_format_summary_text():
    cohort = _two_groups([1, 3, 5], [1, 1, 0], [2, 4, 6], [0, 0, 0])
    params = Parameters(landmark_months=3.0)
    text = format_summary(survival_summary(cohort, "os", params), params)
    assert list(text["Arm"]) == ["ICIs + Chemo", "Chemo"]
    assert text.loc[0, "Median, months"] == "not reached"
    assert text.loc[1, "Median, months"] == "3.0"
    assert text.loc[0, "3-month rate, % (95% CI)"] == "100.0 (100.0–100.0)"
