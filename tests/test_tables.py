"""lcnec_utils.tables: each statistic against an independent number (a hand
computation from its textbook formula, or the paper's printed summaries)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from lcnec_utils import tables as T
from lcnec_utils.contract.params import Parameters
from lcnec_utils.contract.results_keys import ici_class_key, slug
from lcnec_utils.stats import classical
from lcnec_utils.stats.classical import (
    clopper_pearson,
    fisher_freeman_halton_p,
    fisher_p,
    mann_whitney_p,
    newcombe_difference,
    spss_quartiles,
)
from lcnec_utils.stats.format import format_mean_sd, format_median_iqr, format_n_pct, format_p

REF, TRT = "Chemo", "ICIs + Chemo"


def paper_cohort() -> pd.DataFrame:
    """31 patients with the counts of the paper's Tables 2 and 3
    (treatment n=14, reference n=17); ages, labs and times are made up."""
    rng = np.random.default_rng(0)

    def arms(n_t: int, n_r: int) -> list[int]:
        return [1] * n_t + [0] * (14 - n_t) + [1] * n_r + [0] * (17 - n_r)

    d = {"patient_id": [f"P{i:03d}" for i in range(31)], "group": [TRT] * 14 + [REF] * 17}
    for col, (a, b) in {
        "met_bone": (2, 4),
        "met_liver": (3, 4),
        "met_brain": (3, 4),
        "met_adrenal": (1, 1),
        "met_pleura": (4, 4),
        "met_intrapulmonary": (5, 2),
        "met_other": (3, 0),
        "smoking": (12, 14),
        "thoracic_rt": (1, 2),
        "ongoing_treatment": (3, 3),
    }.items():
        d[col] = arms(a, b)
    d["sex"] = ["Male"] * 12 + ["Female"] * 2 + ["Male"] * 16 + ["Female"]
    d["ecog"] = [1] * 13 + [2] + [0] * 15 + [2] * 2
    d["age"] = [70] * 12 + [60, 62] + [70] * 10 + [55] * 7
    d["chemo_regimen"] = (["EP/EC/EL"] * 12 + ["IP", "TP"]) + (["EP/EC/EL"] * 15 + ["IP", "TP"])
    d["best_response"] = ["PR"] * 7 + ["SD"] * 5 + ["PD"] * 2 + ["PR"] * 5 + ["SD"] * 8 + ["PD"] * 4
    d["ici_class"] = ["PD-1"] * 5 + ["PD-L1"] * 8 + ["PD-1/CTLA-4"] + [None] * 17
    for lab in ("ldh", "sodium", "cea", "progrp", "nse"):
        d[lab] = rng.lognormal(5, 0.5, 31).round(2)
    d["os_months"] = rng.exponential(12, 31).round(1)
    d["os_event"] = [1] * 31
    return pd.DataFrame(d)


@pytest.fixture
def params() -> Parameters:
    return Parameters()


@pytest.fixture
def cohort() -> pd.DataFrame:
    return paper_cohort()


# --------------------------------------------------------------- Fisher's exact


def hypergeometric_two_sided_p(a: int, n1: int, c: int, n2: int) -> float:
    """Fisher's two-sided p by enumeration: with margins fixed, the count in
    cell (1,1) is hypergeometric, P(x) = C(n1,x) C(n2,m-x) / C(N,m) with
    m = a + c, N = n1 + n2; p = sum of P(x) over x with P(x) <= P(a)."""
    m, big_n = a + c, n1 + n2
    probs = {
        x: math.comb(n1, x) * math.comb(n2, m - x) / math.comb(big_n, m)
        for x in range(max(0, m - n2), min(n1, m) + 1)
    }
    p_obs = probs[a]
    return sum(p for p in probs.values() if p <= p_obs * (1 + 1e-7))


def test_fisher_p_intrapulmonary_5_of_14_vs_2_of_17_equals_hypergeometric_sum():
    hand = hypergeometric_two_sided_p(5, 14, 2, 17)
    # the eight tables x = 0..7 with margins 14/17 and 7 positives
    assert hand == pytest.approx(0.197548, abs=1e-6)
    assert fisher_p(5, 14, 2, 17) == pytest.approx(hand, rel=1e-12)


@pytest.mark.parametrize(
    "a,n1,c,n2",
    [(12, 14, 10, 17), (12, 14, 16, 17), (7, 14, 5, 17), (12, 14, 13, 17), (3, 14, 0, 17), (0, 5, 0, 6)],
)
def test_fisher_p_matches_enumeration(a, n1, c, n2):
    assert fisher_p(a, n1, c, n2) == pytest.approx(hypergeometric_two_sided_p(a, n1, c, n2), rel=1e-9)


def test_fisher_p_is_none_when_an_arm_has_no_known_value():
    assert fisher_p(0, 0, 3, 10) is None


def ffh_by_brute_force(t: list[int], r: list[int]) -> float:
    """Every 2 x k table with the observed margins, P = prod C(c_j, x_j) / C(N, n_t)."""
    cols = [a + b for a, b in zip(t, r)]
    n_t, big_n = sum(t), sum(cols)

    def prob(x):
        return math.prod(math.comb(c, xi) for c, xi in zip(cols, x)) / math.comb(big_n, n_t)

    p_obs = prob(t)
    tables = [x for x in itertools.product(*(range(c + 1) for c in cols)) if sum(x) == n_t]
    return sum(prob(x) for x in tables if prob(x) <= p_obs * (1 + 1e-7))


@pytest.mark.parametrize(
    "t,r", [([12, 1, 1], [15, 1, 1]), ([10, 1, 3], [5, 8, 4]), ([3, 0, 2, 1], [1, 4, 0, 2])]
)
def test_fisher_freeman_halton_equals_enumeration(t, r):
    p, name = fisher_freeman_halton_p(t, r)
    assert name == "Fisher-Freeman-Halton"
    assert p == pytest.approx(ffh_by_brute_force(t, r), rel=1e-9)


def test_fisher_freeman_halton_agrees_with_scipy_monte_carlo():
    table = np.array([[10, 1, 3], [5, 8, 4]])
    mc = stats.fisher_exact(
        table, method=stats.MonteCarloMethod(n_resamples=100_000, rng=np.random.default_rng(7))
    ).pvalue
    assert fisher_freeman_halton_p(table[0], table[1])[0] == pytest.approx(mc, abs=0.003)


def test_fisher_freeman_halton_large_table_falls_back_to_chi_square():
    p, name = fisher_freeman_halton_p([4000, 300, 500], [4500, 400, 300])
    assert name == "Pearson chi-square"
    expected = stats.chi2_contingency([[4000, 300, 500], [4500, 400, 300]], correction=False).pvalue
    assert p == pytest.approx(expected)


def test_baseline_intrapulmonary_row_uses_fisher(cohort, params):
    res = T.baseline_table(cohort, params).results()
    assert res["baseline.met_intrapulmonary.p"] == pytest.approx(
        hypergeometric_two_sided_p(5, 14, 2, 17), rel=1e-12
    )
    assert res["baseline.met_intrapulmonary.n.treatment"] == 5
    assert res["baseline.met_intrapulmonary.pct.treatment"] == pytest.approx(5 / 14)
    assert res["baseline.met_intrapulmonary.n.total"] == 7
    # the paper's printed p for age >= 65 (12/14 vs 10/17): 0.131
    assert round(res["baseline.age_ge65.p"], 3) == pytest.approx(0.132, abs=0.0011)


# ------------------------------------------------------------ Clopper-Pearson


@pytest.mark.parametrize("x,n", [(7, 14), (5, 17), (12, 14), (0, 10), (10, 10), (13, 17)])
@pytest.mark.parametrize("alpha", [0.05, 0.10])
def test_clopper_pearson_equals_beta_quantiles(x, n, alpha):
    # exact interval: lower = Beta(a/2; x, n-x+1), upper = Beta(1-a/2; x+1, n-x)
    lo_hand = 0.0 if x == 0 else stats.beta.ppf(alpha / 2, x, n - x + 1)
    hi_hand = 1.0 if x == n else stats.beta.ppf(1 - alpha / 2, x + 1, n - x)
    lo, hi = clopper_pearson(x, n, alpha)
    assert lo == pytest.approx(lo_hand, abs=1e-10)
    assert hi == pytest.approx(hi_hand, abs=1e-10)


def test_clopper_pearson_7_of_14():
    lo, hi = clopper_pearson(7, 14, 0.05)
    assert (round(lo, 4), round(hi, 4)) == (0.2304, 0.7696)


# --------------------------------------------------------- SPSS (type 6) quartiles


def test_weibull_quartiles_by_hand():
    # Hyndman-Fan type 6: h = (n + 1) p, Q = x[floor h] + (h - floor h)(x[floor h + 1] - x[floor h])
    x = [20, 1, 9, 4, 8, 3]  # sorted: 1 3 4 8 9 20, n = 6
    # Q1: h = 1.75 -> 1 + 0.75 * (3 - 1) = 2.5
    # Q2: h = 3.5  -> 4 + 0.5 * (8 - 4) = 6
    # Q3: h = 5.25 -> 9 + 0.25 * (20 - 9) = 11.75
    assert spss_quartiles(np.array(x, float)) == pytest.approx((2.5, 6.0, 11.75))
    # n = 7: h = 2, 4, 6 fall on order statistics
    assert spss_quartiles(np.array([2, 4, 7, 8, 11, 15, 20], float)) == (4.0, 8.0, 15.0)
    # differs from numpy's default (type 7), which gives Q1 = 3.25 for the first vector
    assert np.percentile(x, 25) == pytest.approx(3.25)


def test_lab_rows_use_weibull_quartiles(cohort, params):
    cohort = cohort.copy()
    cohort["ldh"] = np.nan
    trt_idx = cohort.index[cohort["group"] == TRT][:6]
    cohort.loc[trt_idx, "ldh"] = [20, 1, 9, 4, 8, 3]
    ref_idx = cohort.index[cohort["group"] == REF][:7]
    cohort.loc[ref_idx, "ldh"] = [2, 4, 7, 8, 11, 15, 20]
    table = T.baseline_table(cohort, params)
    res = table.results()
    assert (
        res["baseline.ldh.q1.treatment"],
        res["baseline.ldh.median.treatment"],
        res["baseline.ldh.q3.treatment"],
    ) == pytest.approx((2.5, 6.0, 11.75))
    assert (res["baseline.ldh.q1.reference"], res["baseline.ldh.q3.reference"]) == (4.0, 15.0)
    row = table.data.set_index("key").loc["ldh"]
    assert row["n_missing"] == 31 - 13 and row["note"] == "18 missing"
    shown = table.formatted().set_index("Characteristic").loc["– LDH (IU/L)"]
    assert shown[f"{TRT} (n=14)"] == "6.00 (2.50–11.75)"


# ------------------------------------------------------------------- t-test


def test_student_t_reproduces_paper_age_p():
    """Table 2 prints 70.4 ± 7.01 (n=14) vs 64.1 ± 8.63 (n=17), total 66.9 ±
    8.45, p = 0.034. With integer ages the arm sums are integers; the only
    sums that round to both arm means and to the total mean and SD are
    986 and 1089. At those means Student's pooled t gives 0.034 and Welch's
    0.031, so the paper used Student's (equal variances) test."""
    m1, m2 = 986 / 14, 1089 / 17
    assert round(m1, 1) == 70.4 and round(m2, 1) == 64.1
    tm = (986 + 1089) / 31
    total_sd = math.sqrt((13 * 7.01**2 + 16 * 8.63**2 + 14 * (m1 - tm) ** 2 + 17 * (m2 - tm) ** 2) / 30)
    assert round(tm, 1) == 66.9 and round(total_sd, 2) == 8.45
    student = stats.ttest_ind_from_stats(m1, 7.01, 14, m2, 8.63, 17, equal_var=True).pvalue
    welch = stats.ttest_ind_from_stats(m1, 7.01, 14, m2, 8.63, 17, equal_var=False).pvalue
    assert round(student, 3) == 0.034
    assert round(welch, 3) == 0.031
    # at the rounded printed means both are ~0.03: 0.036 (Student), 0.033 (Welch)
    assert stats.ttest_ind_from_stats(70.4, 7.01, 14, 64.1, 8.63, 17).pvalue == pytest.approx(
        0.0361, abs=1e-4
    )


def test_age_row_is_pooled_variance_t_by_hand(cohort, params):
    rng = np.random.default_rng(3)
    cohort = cohort.copy()
    cohort["age"] = rng.integers(50, 85, 31)
    x = cohort.loc[cohort.group == TRT, "age"].to_numpy(float)
    y = cohort.loc[cohort.group == REF, "age"].to_numpy(float)
    n1, n2 = len(x), len(y)
    sp2 = ((n1 - 1) * x.var(ddof=1) + (n2 - 1) * y.var(ddof=1)) / (n1 + n2 - 2)
    t = (x.mean() - y.mean()) / math.sqrt(sp2 * (1 / n1 + 1 / n2))
    p_hand = 2 * stats.t.sf(abs(t), n1 + n2 - 2)
    res = T.baseline_table(cohort, params).results()
    assert res["baseline.age.p"] == pytest.approx(p_hand, rel=1e-10)
    assert res["baseline.age.mean.treatment"] == pytest.approx(x.mean())
    assert res["baseline.age.sd.reference"] == pytest.approx(y.std(ddof=1))


# ------------------------------------------------------------- Mann-Whitney


def test_mann_whitney_tied_example_by_hand():
    x = [1, 2, 2, 3]
    y = [2, 3, 4, 4, 5]
    # pooled ranks: 1 -> 1; 2,2,2 -> 3; 3,3 -> 5.5; 4,4 -> 7.5; 5 -> 9
    r_x = 1 + 3 + 3 + 5.5
    u = r_x - 4 * 5 / 2  # 2.5
    assert u == 2.5
    n1, n2, n = 4, 5, 9
    ties = (3**3 - 3) + (2**3 - 2) + (2**3 - 2)  # 36
    var = n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1)))  # 15.8333
    z = (u - n1 * n2 / 2) / math.sqrt(var)  # -1.8848
    p_hand = math.erfc(abs(z) / math.sqrt(2))
    assert p_hand == pytest.approx(0.05946, abs=1e-5)
    assert stats.mannwhitneyu(x, y).statistic == 2.5
    assert mann_whitney_p(np.array(x), np.array(y)) == pytest.approx(p_hand, rel=1e-12)
    # the continuity-corrected variant (scipy's default) is a different number
    assert stats.mannwhitneyu(x, y, method="asymptotic").pvalue != pytest.approx(p_hand, rel=1e-3)


def test_mann_whitney_none_without_data():
    assert mann_whitney_p(np.array([]), np.array([1.0, 2.0])) is None
    assert mann_whitney_p(np.array([1.0, 1.0]), np.array([1.0, 1.0])) is None


# ------------------------------------------------------------ baseline table


TABLE2_ROWS = [
    "age_ge65",
    "sex_male",
    "ecog_0_1",
    "smoking",
    "met_bone",
    "met_liver",
    "met_brain",
    "met_adrenal",
    "met_pleura",
    "met_intrapulmonary",
    "met_other",
    "chemo_regimen_ep_ec_el",
    "chemo_regimen_ip",
    "chemo_regimen_tp",
    "thoracic_rt",
]
TABLE2_P = [
    "age",
    "age_ge65",
    "sex",
    "ecog",
    "smoking",
    "met_bone",
    "met_liver",
    "met_brain",
    "met_adrenal",
    "met_pleura",
    "met_intrapulmonary",
    "chemo_regimen_ep_ec_el",
    "chemo_regimen_ip",
    "chemo_regimen_tp",
    "thoracic_rt",
    "ldh",
    "sodium",
    "cea",
    "progrp",
    "nse",
]
ARM_KEYS = ("total", "reference", "treatment")


def expected_baseline_keys() -> set[str]:
    keys = {f"baseline.{r}.{s}.{a}" for r in TABLE2_ROWS for s in ("n", "pct") for a in ARM_KEYS}
    keys |= {f"baseline.{p}.p" for p in TABLE2_P + ["met_other", "chemo_regimen"]}
    keys |= {f"baseline.age.{s}.{a}" for s in ("mean", "sd") for a in ARM_KEYS}
    keys |= {
        f"baseline.{lab}.{s}.{a}"
        for lab in ("ldh", "sodium", "cea", "progrp", "nse")
        for s in ("median", "q1", "q3")
        for a in ARM_KEYS
    }
    return keys


def test_baseline_results_have_every_conventions_key(cohort, params):
    res = T.baseline_table(cohort, params).results()
    missing = expected_baseline_keys() - set(res)
    assert not missing
    assert res["baseline.sex_male.n.reference"] == 16
    assert res["baseline.ecog_0_1.n.treatment"] == 13
    assert res["baseline.chemo_regimen_ep_ec_el.pct.total"] == pytest.approx(27 / 31)
    assert all(0 <= res[k] <= 1 for k in res if ".pct." in k)


def test_baseline_paper_rows_print_as_in_table2(cohort, params):
    f = T.baseline_table(cohort, params).formatted().set_index("Characteristic")
    assert list(f.columns[:3]) == ["Total (n=31)", f"{TRT} (n=14)", f"{REF} (n=17)"]
    assert f.loc["Age ≥65, n (%)", "Total (n=31)"] == "22 (71.0)"
    assert f.loc["– Intrapulmonary", f"{TRT} (n=14)"] == "5 (35.7)"
    assert f.loc["– Bone", "p"] == "0.664"
    assert f.loc["– Liver", "p"] == "1.000"
    assert f.loc["Chemotherapy regimen, n (%)", "Test"] == "Fisher-Freeman-Halton"
    assert f.loc["Chemotherapy regimen, n (%)", "p"] == "1.000"
    assert list(f.index).count("Chemotherapy regimen, n (%)") == 1
    assert "Metastatic sites, n (%)" in f.index


def test_arm_labels_come_from_params(cohort):
    cohort = cohort.replace({"group": {TRT: "Experimental", REF: "Control"}})
    params = Parameters(reference_group="Control", treatment_group="Experimental")
    table = T.baseline_table(cohort, params)
    assert table.n == {"total": 31, "reference": 17, "treatment": 14}
    assert "Experimental (n=14)" in table.formatted().columns
    # swapping the roles swaps the arms
    swapped = T.baseline_table(cohort, Parameters(reference_group="Experimental", treatment_group="Control"))
    assert swapped.results()["baseline.met_other.n.reference"] == 3


def test_rows_of_other_groups_are_left_out_with_a_note(cohort, params):
    extra = cohort.iloc[:2].assign(group="Other arm")
    table = T.baseline_table(pd.concat([cohort, extra], ignore_index=True), params)
    assert table.n["total"] == 31
    assert any("2 row(s)" in n for n in table.notes)


def test_absent_optional_columns_do_not_crash_and_say_so(cohort, params):
    slim = cohort.drop(
        columns=[
            "age",
            "ldh",
            "chemo_regimen",
            "met_other",
            "best_response",
            "ici_class",
            "ongoing_treatment",
        ]
    )
    table = T.baseline_table(slim, params)
    res = table.results()
    assert expected_baseline_keys() <= set(res)
    assert res["baseline.age.p"] is None and res["baseline.age.mean.treatment"] is None
    assert res["baseline.ldh.median.total"] is None
    assert res["baseline.chemo_regimen_ip.n.treatment"] is None
    notes = table.data.set_index("key")["note"]
    assert notes["age"] == T.NOT_IN_DATA and notes["ldh"] == T.NOT_IN_DATA
    assert notes["chemo_regimen_tp"] == T.NOT_IN_DATA
    assert res["baseline.chemo_regimen.p"] is None
    f = table.formatted().set_index("Characteristic")
    assert f.loc["– LDH (IU/L)", "Note"] == "column not in data"
    assert f.loc["– LDH (IU/L)", "p"] == ""
    table.to_html()
    resp = T.response_table(slim, params)
    assert resp.results()["response.orr.p"] is None
    assert any("best_response" in n for n in resp.notes)
    resp.formatted()
    safety = T.safety_tables(slim, None, params)
    assert safety.results()["ici_class.pd1.n.treatment"] is None
    assert safety.results()["treatment.ongoing.n.treatment"] is None
    safety.to_html()


def test_partly_missing_values_are_counted_and_left_out(cohort, params):
    cohort = cohort.astype({"met_bone": object, "sex": object})
    cohort.loc[[2, 3, 20], "met_bone"] = None  # two of the 12 negatives of the treatment arm
    cohort.loc[2, "sex"] = "  "  # a blank cell
    table = T.baseline_table(cohort, params)
    res = table.results()
    assert res["baseline.met_bone.pct.treatment"] == pytest.approx(2 / 12)
    assert res["baseline.met_bone.pct.reference"] == pytest.approx(4 / 16)
    data = table.data.set_index("key")
    assert data.loc["met_bone", "n_missing"] == 3 and data.loc["met_bone", "note"] == "3 missing"
    assert data.loc["sex_male", "note"] == "1 missing"


def test_nullable_typed_cohort(cohort, params):
    # schema.typed_cohort returns Int64 / string columns with pd.NA
    typed = cohort.astype({"ecog": "Int64", "smoking": "Int64", "sex": "string"})
    typed.loc[0, "ecog"] = pd.NA
    typed.loc[1, "sex"] = pd.NA
    res = T.baseline_table(typed, params).results()
    assert res["baseline.ecog_0_1.n.treatment"] == 12
    assert res["baseline.sex_male.n.treatment"] == 11


def test_other_regimen_levels_appear_as_they_are(cohort, params):
    cohort = cohort.copy()
    cohort.loc[0, "chemo_regimen"] = "GP"
    res = T.baseline_table(cohort, params).results()
    assert res["baseline.chemo_regimen_gp.n.treatment"] == 1
    assert res["baseline.chemo_regimen_ep_ec_el.n.treatment"] == 11
    assert "baseline.chemo_regimen_gp.p" in res


# ------------------------------------------------------------ response table


def small_response_cohort() -> pd.DataFrame:
    trt = ["CR", "PR", "PR", "PR", "SD", "SD", "PD", "PD", "PD", "NE"]
    ref = ["PR", "PR", "SD", "SD", "SD", "PD", "PD", "PD", "PD", "PD", None]
    return pd.DataFrame(
        {
            "patient_id": [f"R{i}" for i in range(21)],
            "group": ["Arm B"] * 10 + ["Arm A"] * 11,
            "best_response": trt + ref,
        }
    )


def test_response_table_known_orr_dcr():
    params = Parameters(reference_group="Arm A", treatment_group="Arm B")
    table = T.response_table(small_response_cohort(), params)
    res = table.results()
    assert res["response.orr.treatment"] == pytest.approx(4 / 10)  # CR + PR
    assert res["response.dcr.treatment"] == pytest.approx(6 / 10)  # CR + PR + SD
    assert res["response.orr.reference"] == pytest.approx(2 / 10)  # missing response left out
    assert res["response.dcr.reference"] == pytest.approx(5 / 10)
    assert res["response.ne.n.treatment"] == 1 and res["response.cr.n.reference"] == 0
    assert res["response.pd.n.reference"] == 5
    assert res["response.orr.p"] == pytest.approx(hypergeometric_two_sided_p(4, 10, 2, 10))
    assert res["response.dcr.p"] == pytest.approx(hypergeometric_two_sided_p(6, 10, 5, 10))
    lo = stats.beta.ppf(0.025, 4, 7)
    hi = stats.beta.ppf(0.975, 5, 6)
    assert (res["response.orr.ci_low.treatment"], res["response.orr.ci_high.treatment"]) == pytest.approx(
        (lo, hi)
    )
    assert any("missing for 1" in n for n in table.notes)
    f = table.formatted().set_index("Response")
    assert f.loc["ORR, % (95% CI)", "Arm B (n=10)"].startswith("40.0 (")


def test_response_ci_level_follows_alpha():
    params = Parameters(reference_group="Arm A", treatment_group="Arm B", alpha=0.1)
    res = T.response_table(small_response_cohort(), params).results()
    assert res["response.orr.ci_low.treatment"] == pytest.approx(stats.beta.ppf(0.05, 4, 7))


# R 4.2.2: each arm's Wilson score limits from prop.test(correct = FALSE), combined by hand as Newcombe
# (Stat Med 1998;17:873-90) writes method 10:
#   newcombe <- function(x1, n1, x2, n2, level = 0.95) {
#     w1 <- prop.test(x1, n1, conf.level = level, correct = FALSE)$conf.int
#     w2 <- prop.test(x2, n2, conf.level = level, correct = FALSE)$conf.int
#     p1 <- x1 / n1; p2 <- x2 / n2; d <- p1 - p2
#     c(d, d - sqrt((p1 - w1[1])^2 + (w2[2] - p2)^2), d + sqrt((w1[2] - p1)^2 + (p2 - w2[1])^2))
#   }
_NEWCOMBE_R = [
    # (x1, n1, x2, n2, level), R's print(newcombe(...), digits = 10)
    ((7, 14, 5, 17, 0.95), (0.2058823529, -0.1259277181, 0.4884617532)),
    ((7, 14, 5, 17, 0.90), (0.20588235294, -0.07743642356, 0.45268968238)),
    ((12, 14, 13, 17, 0.95), (0.09243697479, -0.19970958139, 0.35105425171)),
    ((0, 10, 0, 20, 0.95), (0.0, -0.1611251581, 0.2775327999)),
    ((10, 10, 0, 20, 0.95), (1.0, 0.6790860371, 1.0)),
    ((9, 10, 1, 10, 0.95), (0.8, 0.3698669071, 0.9161405732)),
]


@pytest.mark.parametrize("counts,expected", _NEWCOMBE_R)
def test_newcombe_difference_matches_r_wilson_limits(counts, expected):
    """The response chapter's interval of a difference of rates is Newcombe's hybrid score interval
    (statsmodels' "newcomb"), recomputed from R's Wilson limits: zero responders in both arms and a
    limit at 1 included."""
    x1, n1, x2, n2, level = counts
    assert newcombe_difference(x1, n1, x2, n2, 1 - level) == pytest.approx(expected, abs=1e-9)


def test_newcombe_difference_of_an_empty_arm_is_not_computed():
    assert newcombe_difference(3, 10, 0, 0) == (None, None, None)


def test_response_table_records_the_difference_with_its_interval(cohort, params):
    """Treatment minus reference, with Newcombe's limits (R above), and None without a response column."""
    res = T.response_table(cohort, params).results()
    assert res["response.orr.difference"] == pytest.approx(7 / 14 - 5 / 17)
    got = (res["response.orr.difference_ci_low"], res["response.orr.difference_ci_high"])
    assert got == pytest.approx((-0.1259277181, 0.4884617532), abs=1e-9)
    got = (res["response.dcr.difference_ci_low"], res["response.dcr.difference_ci_high"])
    assert got == pytest.approx((-0.19970958139, 0.35105425171), abs=1e-9)
    slim = T.response_table(cohort.drop(columns=["best_response"]), params).results()
    assert [
        slim[f"response.{r}.{s}"] for r in ("orr", "dcr") for s in ("difference", "difference_ci_low")
    ] == [None] * 4


def test_response_paper_numbers(cohort, params):
    res = T.response_table(cohort, params).results()
    assert res["response.orr.treatment"] == 0.5
    assert res["response.orr.reference"] == pytest.approx(5 / 17)
    assert res["response.dcr.treatment"] == pytest.approx(12 / 14)
    assert res["response.dcr.reference"] == pytest.approx(13 / 17)
    # Fisher on the paper's own counts: 0.288 and 0.664 (the paper prints 0.285, 0.673)
    assert res["response.orr.p"] == pytest.approx(0.2883, abs=1e-4)
    assert res["response.dcr.p"] == pytest.approx(0.6638, abs=1e-4)


# ------------------------------------------------------------ safety tables


def paper_ae() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "patient_id": ["P000", "P001", "P001", "P002", "P003", "P020", "P004"],
            "term": [
                "Hypothyroidism",
                "Hypothyroidism",
                "Hypothyroidism",
                "Interstitial lung disease",
                "Hepatitis",
                "Neutrophil count decreased",
                "Nausea",
            ],
            "grade": [1, 1, 2, 2, 1, 3, 1],
            "immune_related": [1, 1, 1, 1, 1, 0, 0],
        }
    )


def test_safety_counts_patients_once_per_term_at_worst_grade(cohort, params):
    s = T.safety_tables(cohort, paper_ae(), params)
    res = s.results()
    assert res["safety.irae.hypothyroidism.n.treatment"] == 2  # P001 twice -> once
    assert res["safety.irae.interstitial_lung_disease.n.treatment"] == 1
    assert res["safety.irae.hepatitis.n.treatment"] == 1
    assert res["safety.irae_any.n.treatment"] == 4
    assert res["safety.irae_any.treatment"] == pytest.approx(4 / 14)
    assert res["safety.grade3plus.n.treatment"] == 0
    assert any("grade ≥3: 0 of 14 (ICIs + Chemo), 1 of 17 (Chemo)" in n for n in s.notes)
    data = s.irae.data.set_index(["key", "arm"])
    assert data.loc[("hypothyroidism", "treatment"), "grade_2"] == 1
    assert data.loc[("hypothyroidism", "treatment"), "grade_1"] == 1
    f = s.formatted()["irae"].set_index("Term")
    assert f.loc["Hypothyroidism", f"{TRT}: any grade"] == "2 (14.3)"


def test_safety_without_ae_table(cohort, params):
    s = T.safety_tables(cohort, None, params)
    res = s.results()
    for key in (
        "safety.irae_any.treatment",
        "safety.irae_any.n.treatment",
        "safety.grade3plus.n.treatment",
        "safety.irae.hypothyroidism.n.treatment",
    ):
        assert key in res and res[key] is None
    assert any("No adverse-event table" in n for n in s.notes)
    assert "No adverse-event table" in s.formatted()["irae"].iloc[0, 0]


def test_safety_paper_terms_are_zero_not_absent_when_ae_table_given(cohort, params):
    ae = paper_ae()[lambda d: d["term"] != "Hepatitis"]
    res = T.safety_tables(cohort, ae, params).results()
    assert res["safety.irae.hepatitis.n.treatment"] == 0


def test_ici_class_and_ongoing(cohort, params):
    res = T.safety_tables(cohort, None, params).results()
    assert res["ici_class.pd1.n.treatment"] == 5
    assert res["ici_class.pdl1.pct.treatment"] == pytest.approx(8 / 14)
    assert res["ici_class.pd1_ctla4.n.treatment"] == 1
    assert res["treatment.ongoing.n.treatment"] == 3
    assert res["treatment.ongoing.n.reference"] == 3


# ------------------------------------------------- missingness and dictionary


def test_missingness_table_lists_absent_and_missing(cohort):
    cohort = cohort.drop(columns=["nse"]).astype({"cea": object})
    cohort.loc[[0, 1], "cea"] = [None, ""]
    m = T.missingness_table(cohort).set_index("column")
    assert m.loc["nse", "status"] == "absent" and m.loc["nse", "n_missing"] is None
    assert m.loc["cea", "n_missing"] == 2
    assert m.loc["cea", "pct_missing"] == pytest.approx(2 / 31)
    assert m.loc["ici_class", "n_missing"] == 17
    assert bool(m.loc["group", "required"])
    assert "column not in data" in T.format_missingness(m.reset_index()).to_string()


def test_data_dictionary_summary_from_yaml(tmp_path, cohort):
    yaml = pytest.importorskip("yaml")
    doc = {
        "columns": {
            "patient_id": {"type": "text", "unit": None, "meaning": "pseudonymous id", "required": True},
            "age": {"type": "number", "unit": "years", "meaning": "age at start", "required": False},
            "pfs_months": {"type": "number", "unit": "months", "meaning": "PFS", "required": False},
        }
    }
    path = tmp_path / "data_dictionary.yaml"
    path.write_text(yaml.safe_dump(doc))
    out = T.data_dictionary_summary(cohort, path).set_index("column")
    assert out.loc["age", "unit"] == "years" and out.loc["age", "in_data"]
    assert out.loc["pfs_months", "summary"] == "column not in data"
    assert "P000" not in out.loc["patient_id", "summary"]
    assert out.loc["sex", "meaning"] == "not in dictionary"
    same = T.data_dictionary_summary(cohort, doc["columns"])
    assert same.equals(T.data_dictionary_summary(cohort, doc))


# ---------------------------------------------------------------- formatting


@pytest.mark.parametrize(
    "p,text",
    [
        (0.0336, "0.034"),
        (0.00049, "<0.001"),
        (0.001, "0.001"),
        (0.99996, "1.000"),
        (1.0, "1.000"),
        (None, "—"),
        (float("nan"), "—"),
    ],
)
def test_format_p(p, text):
    assert format_p(p) == text


@pytest.mark.parametrize(
    "p,text",
    [(0.0336, "p = 0.034"), (0.00040897, "p < 0.001"), (0.001, "p = 0.001"), (None, "p = —")],
)
def test_format_p_clause_states_a_p_below_the_printed_floor_as_an_inequality(p, text):
    """A sentence says "p < 0.001", not "p = <0.001" (chapter 17 printed the latter)."""
    from lcnec_utils.stats.format import format_p_clause, format_value

    assert format_p_clause(p) == text
    if p is not None:
        assert format_value(p, "p_clause") == text


def test_format_p_clause_with_four_decimals():
    """The exercises that print a p with four decimals (chapters 5 and 8) use "p_clause:4"."""
    from lcnec_utils.stats.format import format_value

    assert format_value(0.04567, "p_clause:4") == "p = 0.0457"
    assert format_value(0.00004, "p_clause:4") == "p < 0.0001"
    assert format_value(0.00004, "p_clause") == "p < 0.001"


def test_format_helpers():
    assert format_n_pct(7, 14) == "7 (50.0)"
    assert format_n_pct(0, 17) == "0 (0.0)"
    assert format_n_pct(None, 17) == "—"
    assert format_mean_sd(70.4, 7.01) == "70.4 ± 7.01"
    assert format_median_iqr(278, 234, 458) == "278.00 (234.00–458.00)"
    assert slug("EP/EC/EL") == "ep_ec_el"
    assert slug("Interstitial lung disease") == "interstitial_lung_disease"
    assert ici_class_key("PD-1/CTLA-4") == "pd1_ctla4" and ici_class_key("PD-L1") == "pdl1"


def test_style_table_scrolls_escapes_and_is_deterministic(cohort, params):
    table = T.baseline_table(cohort, params)
    html_1 = table.style().to_html()
    html_2 = T.baseline_table(cohort, params).style().to_html()
    assert html_1 == html_2
    assert html_1.startswith('<div class="lcnec-table lcnec-table-wrap" style="overflow-x:auto')
    assert "text-align: right" in html_1
    df = pd.DataFrame({"Row": ["a"], "p": [format_p(1e-5)]})
    assert "&lt;0.001" in T.style_table(df).to_html()


def test_style_table_gives_only_sentence_columns_a_readable_width():
    # a Note column is not squeezed to a few words by long identifiers beside it; others keep auto width
    import re

    df = pd.DataFrame(
        {
            "Target": ["os.cox_multivariable.ci_high"],
            "Achieved": ["1.22"],
            "Note": ["a sentence long enough to wrap over several lines of a narrow column"],
        }
    )
    rules = dict(re.findall(r"td\.(col\d) \{([^}]*)\}", T.style_table(df).to_html()))
    assert "min-width: 24em" in rules["col2"]
    assert "min-width" not in rules["col0"] and "min-width" not in rules["col1"]


# ---------------------------------------------------------------- scale


def test_style_table_is_a_string_ipython_html_accepts(cohort, params):
    from IPython.core.formatters import HTMLFormatter
    from IPython.display import HTML

    styled = T.style_table(T.baseline_table(cohort, params).formatted(), caption="Table 2")
    assert isinstance(styled, str) and HTMLFormatter()(styled) == str(styled)
    assert HTML(styled).data == str(styled)
    assert "Table 2" in styled


def test_tables_emit_no_warnings_on_degenerate_cohorts(cohort, params):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for data in (
            cohort,
            cohort[cohort["group"] == REF],
            cohort.iloc[:0],
            cohort.drop(columns=["age", "ldh", "best_response", "chemo_regimen"]),
        ):
            for table in (T.baseline_table(data, params), T.response_table(data, params)):
                table.results()
                table.to_html()
            T.safety_tables(data, paper_ae(), params).to_html()
            T.missingness_table(data)


# R 4.2.2, the exact power of fisher.test by enumerating every table:
#   pw <- function(n1, n2, p1, p2, alpha = 0.05) {
#     rej <- outer(0:n1, 0:n2, Vectorize(function(a, b)
#       fisher.test(matrix(c(a, n1 - a, b, n2 - b), 2))$p.value <= alpha))
#     sum(outer(dbinom(0:n1, n1, p1), dbinom(0:n2, n2, p2)) * rej)
#   }
#   sprintf("%.10f", c(pw(14, 17, 0.7, 0.5), pw(14, 17, 0.6, 0.4), pw(14, 17, 0.2, 0.0), pw(14, 17, 0.5, 0.3),
#                      pw(10, 10, 0.6, 0.1), pw(40, 60, 0.5, 0.3)))
R_FISHER_POWER = [
    ((14, 17, 0.7, 0.5), 0.1311639510),
    ((14, 17, 0.6, 0.4), 0.1451463563),
    ((14, 17, 0.2, 0.0), 0.3018101164),
    ((14, 17, 0.5, 0.3), 0.1646703827),
    ((10, 10, 0.6, 0.1), 0.4739610767),
    ((40, 60, 0.5, 0.3), 0.4624516336),
]


@pytest.mark.parametrize(("args", "expected"), R_FISHER_POWER)
def test_fisher_power_matches_r_enumeration(args, expected):
    assert classical.fisher_power(*args) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(("n1", "n2", "alpha"), [(14, 17, 0.05), (9, 4, 0.05), (14, 17, 0.1), (0, 5, 0.05)])
def test_fisher_rejection_region_is_scipys_test_table_by_table(n1, n2, alpha):
    region = classical.fisher_rejection_region(n1, n2, alpha)
    for a in range(n1 + 1):
        for b in range(n2 + 1):
            p = stats.fisher_exact([[a, n1 - a], [b, n2 - b]]).pvalue
            assert region[a, b] == (p <= alpha), (a, b, p)


def test_fisher_power_at_equal_rates_is_the_size_below_alpha():
    """With one probability in both arms the power is the test's size, which a conditional exact
    test keeps at or below alpha; at 0 or 1 every table is [[0, n], [0, m]] or [[n, 0], [m, 0]]."""
    for p in (0.1, 0.3, 0.5):
        assert 0.0 < classical.fisher_power(14, 17, p, p) < 0.05
    assert classical.fisher_power(14, 17, 0.0, 0.0) == 0.0
    assert classical.fisher_power(14, 17, 1.0, 0.0) == pytest.approx(1.0)


def test_safety_counts_immune_related_grade3_apart_from_any_grade3(cohort, params):
    """Grade >= 3 adverse events of any kind and immune-related ones are separate counts (review 61:
    chapter 6's exercise read the first as the second): two non-immune grade-3 events in the treated
    arm raise the first to 2 and leave the second at 0; a grade-3 irAE raises both; without the
    immune_related column or without an AE table the second is unknown."""
    from lcnec_utils.methods import safety_exercises

    treated = cohort.loc[cohort["group"] == TRT, "patient_id"].tolist()
    extra = pd.DataFrame(
        {"patient_id": treated[:2], "term": ["Neutrophil count decreased", "Anemia"], "grade": [3, 3],
         "immune_related": [0, 0]}
    )  # fmt: skip
    res = T.safety_tables(cohort, pd.concat([paper_ae(), extra], ignore_index=True), params).results()
    assert res["safety.grade3plus.n.treatment"] == 2
    assert res["safety.irae_any.grade3plus.n.treatment"] == 0
    glue = safety_exercises(res, 14)
    assert glue["ex2_premise"][0] == "None of the 14 treated patients had an irAE of grade 3 or higher."
    irae3 = pd.DataFrame(
        {"patient_id": [treated[0]], "term": ["Hepatitis"], "grade": [3], "immune_related": [1]}
    )
    res = T.safety_tables(cohort, pd.concat([paper_ae(), irae3], ignore_index=True), params).results()
    assert res["safety.grade3plus.n.treatment"] == 1 and res["safety.irae_any.grade3plus.n.treatment"] == 1
    res = T.safety_tables(cohort, paper_ae().drop(columns="immune_related"), params).results()
    assert res["safety.irae_any.grade3plus.n.treatment"] is None
    assert res["safety.grade3plus.n.treatment"] == 0
    assert T.safety_tables(cohort, None, params).results()["safety.irae_any.grade3plus.n.treatment"] is None
