"""Chapters 15, 16 and 19 (immortal time, weighted log-rank tests, a Bayesian reading) against
independent numbers: hand computations written out below, lifelines and scipy used directly, a
seeded simulation, and R values pasted beside the assertions (R 4.2.2, survival 3.5-3, mvtnorm 1.1-3,
on the shipped cohort of seed 20250103; the live R runs are in ``tests/test_immunotherapy_r.py``).

The exercises' solutions of the three chapters are recomputed here from their definitions
(``test_exercise_*``), independently of the functions that glue them.
"""

from __future__ import annotations

import math
from fractions import Fraction as F

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from lcnec_utils.contract import results_keys
from lcnec_utils.contract.io import load_study
from lcnec_utils.contract.params import ParameterError, make_parameters
from lcnec_utils.contract.published import published_values
from lcnec_utils.methods import bayes, delayed_effects, landmark
from lcnec_utils.stats import posterior, weighted_logrank

PARAMS = make_parameters()
#: Relative tolerance on Cox estimates, as tests/test_r_agreement.py's TOL.
COX_TOL = 1e-4
REQUIRED = ["patient_id", "group", "os_months", "os_event"]


@pytest.fixture(scope="module")
def cohort():
    return load_study(PARAMS.data_path, PARAMS.ae_path, PARAMS.reference_group, PARAMS.treatment_group).cohort


def _arrays(cohort, endpoint="os"):
    t = cohort[f"{endpoint}_months"].to_numpy(float)
    e = cohort[f"{endpoint}_event"].to_numpy(int)
    g = (cohort["group"] == PARAMS.treatment_group).to_numpy().astype(int)
    return t, e, g


# ------------------------------------------------------------------ the hand example
# Reference arm (0): 1, 2, 4, 6+; treatment arm (1): 2, 3+, 5, 7. Written out by hand:
#
#   t   n  n1  d  d1  S(t-)   O-E (arm 1)        v = d(n-d)n1 n0 / (n^2 (n-1))
#   1   8  4   1  0   1       0 - 1*4/8 = -1/2   1*7*4*4/(64*7)   = 1/4
#   2   7  4   2  1   7/8     1 - 2*4/7 = -1/7   2*5*4*3/(49*6)   = 20/49
#   4   4  2   1  0   5/8     0 - 1*2/4 = -1/2   1*3*2*2/(16*3)   = 1/4
#   5   3  2   1  1   15/32   1 - 1*2/3 = 1/3    1*2*2*1/(9*2)    = 2/9
#   7   1  1   1  1   5/16    1 - 1     = 0      n = 1: 0
#
# (S(t-) = 1, 7/8, 7/8 * 5/7 = 5/8, 5/8 * 3/4 = 15/32, 15/32 * 2/3 = 5/16.)
HAND_TIME = [1, 2, 4, 6, 2, 3, 5, 7]
HAND_EVENT = [1, 1, 1, 0, 1, 0, 1, 1]
HAND_ARM = [0, 0, 0, 0, 1, 1, 1, 1]
HAND_TABLE = [  # (t, S(t-), O - E, v)
    (1, F(1), F(-1, 2), F(1, 4)),
    (2, F(7, 8), F(-1, 7), F(20, 49)),
    (4, F(5, 8), F(-1, 2), F(1, 4)),
    (5, F(15, 32), F(1, 3), F(2, 9)),
    (7, F(5, 16), F(0), F(0)),
]


def _hand_fh(rho, gamma):
    u = sum(s**rho * (1 - s) ** gamma * oe for _, s, oe, _ in HAND_TABLE)
    v = sum((s**rho * (1 - s) ** gamma) ** 2 * var for _, s, _, var in HAND_TABLE)
    return u, v


def test_event_time_table_is_the_hand_table():
    table = weighted_logrank.event_time_table(HAND_TIME, HAND_EVENT, HAND_ARM)
    assert table["time"].tolist() == [t for t, *_ in HAND_TABLE]
    np.testing.assert_allclose(table["surv_before"], [float(s) for _, s, _, _ in HAND_TABLE], rtol=1e-15)
    np.testing.assert_allclose(table["o_minus_e"], [float(x) for _, _, x, _ in HAND_TABLE], atol=1e-15)
    np.testing.assert_allclose(table["v"], [float(v) for *_, v in HAND_TABLE], atol=1e-15)


def test_fh01_and_fh11_equal_the_hand_computation():
    # FH(0,1): U = (1/8)(-1/7) + (3/8)(-1/2) + (17/32)(1/3) = -19/672
    #          V = (1/8)^2 (20/49) + (3/8)^2 (1/4) + (17/32)^2 (2/9) = 23539/225792
    # FH(1,1): U = (7/64)(-1/7) + (15/64)(-1/2) + (255/1024)(1/3) = -51/1024, V = 16985/524288
    assert _hand_fh(0, 1) == (F(-19, 672), F(23539, 225792))
    assert _hand_fh(1, 1) == (F(-51, 1024), F(16985, 524288))
    for (rho, gamma), (u, v) in {(0, 1): _hand_fh(0, 1), (1, 1): _hand_fh(1, 1)}.items():
        res = weighted_logrank.fleming_harrington(HAND_TIME, HAND_EVENT, HAND_ARM, rho, gamma)
        assert res.u == pytest.approx(float(u), abs=1e-15)
        assert res.variance == pytest.approx(float(v), abs=1e-15)
        assert res.z == pytest.approx(float(u) / math.sqrt(float(v)), rel=1e-12)
        assert res.p == pytest.approx(2 * stats.norm.sf(abs(res.z)), rel=1e-12)


def test_fh_rho_0_and_1_on_the_hand_example_equal_r_survdiff():
    # time <- c(1, 2, 4, 6, 2, 3, 5, 7); event <- c(1, 1, 1, 0, 1, 0, 1, 1); arm <- c(0,0,0,0,1,1,1,1)
    # s <- survdiff(Surv(time, event) ~ arm, rho = rho); c(s$obs[2] - s$exp[2], s$var[2, 2], s$chisq)
    #   rho = 0: -0.809523809523809  1.130385487528345  0.579739217652959
    #   rho = 1: -0.781250000000000  0.708984375000000  0.860881542699725
    r = {
        0: (-0.809523809523809, 1.130385487528345, 0.579739217652959),
        1: (-0.78125, 0.708984375, 0.860881542699725),
    }
    for rho, (oe, var, chisq) in r.items():
        res = weighted_logrank.fleming_harrington(HAND_TIME, HAND_EVENT, HAND_ARM, rho, 0)
        assert (res.u, res.variance, res.chi2) == pytest.approx((oe, var, chisq), abs=1e-6)
        assert (F(res.u).limit_denominator(1000), F(res.variance).limit_denominator(1000)) == _hand_fh(rho, 0)


def test_fh_rho_on_the_cohort_equals_r_survdiff(cohort):
    # survdiff(Surv(os_months, os_event) ~ factor(arm), rho = r): chisq, obs - exp, var (treatment arm)
    r = {
        ("os", 0): (4.1771991911325195, -4.7352741566834524, 5.3679080917553561),
        ("os", 1): (5.2570037051376479, -3.5761904761904777, 2.4327809222384045),
        ("pfs", 0): (4.4904851205264071, -5.2814327156165781, 6.2116966833007163),
        ("pfs", 1): (5.5486384768651726, -3.806451612903226, 2.6112845415655004),
    }
    for (ep, rho), (chisq, oe, var) in r.items():
        res = weighted_logrank.fleming_harrington(*_arrays(cohort, ep), rho, 0)
        assert (res.chi2, res.u, res.variance) == pytest.approx((chisq, oe, var), abs=1e-6)


def test_fh00_is_the_books_log_rank_test(cohort):
    from lcnec_utils.stats.survival import logrank

    for ep in ("os", "pfs"):
        lr = logrank(cohort, ep, PARAMS.reference_group, PARAMS.treatment_group)
        fh = weighted_logrank.fleming_harrington(*_arrays(cohort, ep), 0, 0)
        assert fh.chi2 == pytest.approx(lr.chi2, rel=1e-10)
        assert fh.u == pytest.approx(lr.observed["treatment"] - lr.expected["treatment"], abs=1e-10)


def test_fh_covariance_by_hand_on_the_hand_example():
    table = weighted_logrank.event_time_table(HAND_TIME, HAND_EVENT, HAND_ARM)
    cov = weighted_logrank.weighted_logrank_covariance(table)
    weights = [(0, 0), (1, 0), (0, 1), (1, 1)]
    for a, (ra, ga) in enumerate(weights):
        for b, (rb, gb) in enumerate(weights):
            by_hand = sum(s**ra * (1 - s) ** ga * s**rb * (1 - s) ** gb * v for _, s, _, v in HAND_TABLE)
            assert cov[a, b] == pytest.approx(float(by_hand), abs=1e-15)


def test_first_fh01_weight_is_zero_and_fh00_weight_is_one():
    assert weighted_logrank.fh_weights([1.0, 0.5], 0, 1).tolist() == [0.0, 0.5]
    assert weighted_logrank.fh_weights([1.0, 0.0], 0, 0).tolist() == [1.0, 1.0]  # 0^0 = 1


def test_max_combo_p_against_a_seeded_simulation(cohort):
    """2,000,000 draws of N(0, R): the share with max |Z| >= observed, within 4 Monte Carlo SE + 1e-4.

    R has rank 3, since the weights 1 = S + (1 - S) make U(0,0) = U(1,0) + U(0,1): the draws use
    numpy's eigendecomposition, which takes a singular R, where a Cholesky factor exists or not by
    rounding alone."""
    for ep in ("os", "pfs"):
        combo = weighted_logrank.max_combo(*_arrays(cohort, ep))
        rng = np.random.default_rng(12345)
        draws = rng.multivariate_normal(np.zeros(4), combo.correlation, size=2_000_000, method="eigh")
        sim = float((np.abs(draws).max(axis=1) >= combo.z_max).mean())
        se = math.sqrt(sim * (1 - sim) / len(draws))
        assert abs(combo.p - sim) < 4 * se + weighted_logrank.MVN_ABSEPS, (ep, combo.p, sim)


def test_max_combo_p_equals_r_mvtnorm_on_the_cohort(cohort):
    # corr <- cov2cor(cov_u); m <- max(abs(z)); set.seed(20250101)
    # 1 - mvtnorm::pmvnorm(-rep(m, 4), rep(m, 4), corr = corr,
    #                      algorithm = GenzBretz(maxpts = 1e6, abseps = 1e-6, releps = 0))
    #   os: 0.047523691648023725 (error 3.0e-06)
    combo = weighted_logrank.max_combo(*_arrays(cohort, "os"))
    assert combo.p == pytest.approx(0.047523691648023725, abs=2 * weighted_logrank.MVN_ABSEPS)
    # the R covariances of the four U statistics (fh.cov in tests/r/immunotherapy_reference.R)
    r_cov_12, r_cov_34 = 3.3616139990342919, 0.40667376857201182
    table = weighted_logrank.event_time_table(*_arrays(cohort, "os"))
    cov = weighted_logrank.weighted_logrank_covariance(table)
    assert (cov[0, 1], cov[2, 3]) == pytest.approx((r_cov_12, r_cov_34), rel=1e-10)


def test_max_combo_p_lies_between_the_smallest_p_and_bonferroni(cohort):
    for ep in ("os", "pfs"):
        combo = weighted_logrank.max_combo(*_arrays(cohort, ep))
        p_min = min(t.p for t in combo.tests)
        assert p_min - 1e-4 <= combo.p <= min(1.0, 4 * p_min)
        assert combo.z_max == pytest.approx(max(abs(t.z) for t in combo.tests))


def test_max_combo_is_deterministic_under_its_seed(cohort):
    a = weighted_logrank.max_combo(*_arrays(cohort, "os"), seed=7)
    b = weighted_logrank.max_combo(*_arrays(cohort, "os"), seed=7)
    assert a.p == b.p


def test_max_abs_normal_tail_of_one_and_of_independent_statistics():
    assert weighted_logrank.max_abs_normal_tail(1.96, np.eye(1)) == pytest.approx(0.04999579, abs=1e-8)
    # independent: 1 - (1 - 2 Phi(-m))^2
    m = 2.0
    exact = 1 - (1 - 2 * stats.norm.sf(m)) ** 2
    assert weighted_logrank.max_abs_normal_tail(m, np.eye(2)) == pytest.approx(exact, abs=1e-8)
    assert weighted_logrank.max_abs_normal_tail(m, np.eye(3)) == pytest.approx(
        1 - (1 - 2 * stats.norm.sf(m)) ** 3, abs=2e-4
    )


# ------------------------------------------------------------------ landmark
def test_landmark_hr_equals_lifelines_on_the_landmark_subset(cohort):
    from lifelines import CoxPHFitter

    for ep, lm in (("os", 3.0), ("os", 4.0), ("pfs", 3.0), ("pfs", 5.5)):
        t, e, g = _arrays(cohort, ep)
        keep = t > lm
        frame = pd.DataFrame({"t": t[keep] - lm, "e": e[keep], "x": g[keep]})
        ref = CoxPHFitter().fit(frame, "t", "e", fit_options={"precision": 1e-12})
        ours = landmark.landmark_hr(cohort, ep, PARAMS, lm)
        # COX_TOL: the book's Cox fits stop at lifelines precision 1e-9 (stats.cox), which can leave an
        # error of order 1e-5 relative on an HR
        assert ours["hr"] == pytest.approx(math.exp(ref.params_["x"]), rel=COX_TOL)
        assert ours["p"] == pytest.approx(float(ref.summary.loc["x", "p"]), abs=COX_TOL)
        assert ours["n_at_risk_treatment"] + ours["n_at_risk_reference"] == int(keep.sum())


def test_landmark_hr_equals_r_coxph_on_the_landmark_subset(cohort):
    # coxph(Surv(os_months - L, os_event) ~ arm, subset = os_months > L, ties = "efron"); no death
    # before 4.9 months, so the HR moves only at 5.5, past the reference arm's death at 4.9 (and its
    # 2.6+ censoring, which leaves from 2.6 on):
    #   L     hr                   lower                upper               p                     n
    #   0     0.43702856026609643  0.19194991708010001  0.99501977074861669 0.048625889996578256  31
    #   2.6   0.43702856026609643  0.19194991708010001  0.99501977074861669 0.048625889996578256  30
    #   3     0.43702856026609643  0.19194991708010001  0.99501977074861669 0.048625889996578256  30
    #   3.25  0.43702856026609643  0.19194991708010001  0.99501977074861669 0.048625889996578256  30
    #   4     0.43702856026609643  0.19194991708010001  0.99501977074861669 0.048625889996578256  30
    #   5.5   0.45961752229766301  0.19930574153902728  1.0599206283361233  0.06823405048250146   29
    r = {
        0.0: (0.43702856026609643, 0.19194991708010001, 0.99501977074861669, 0.048625889996578256, 31),
        2.6: (0.43702856026609643, 0.19194991708010001, 0.99501977074861669, 0.048625889996578256, 30),
        3.0: (0.43702856026609643, 0.19194991708010001, 0.99501977074861669, 0.048625889996578256, 30),
        3.25: (0.43702856026609643, 0.19194991708010001, 0.99501977074861669, 0.048625889996578256, 30),
        4.0: (0.43702856026609643, 0.19194991708010001, 0.99501977074861669, 0.048625889996578256, 30),
        5.5: (0.45961752229766301, 0.19930574153902728, 1.0599206283361233, 0.06823405048250146, 29),
    }
    # 2.6 is off the chapter's grid: the landmark that drops the 2.6+ patient and no death
    curve = landmark.landmark_curve(cohort, "os", PARAMS, landmark.CURVE_LANDMARKS + (2.6,))
    for lm, (hr, lo, hi, p, n) in r.items():
        row = curve.loc[np.isclose(curve["landmark"], lm)].iloc[0]
        assert (row["hr"], row["ci_low"], row["ci_high"]) == pytest.approx((hr, lo, hi), rel=COX_TOL)
        assert row["p"] == pytest.approx(p, abs=COX_TOL)
        assert row["n_at_risk_treatment"] + row["n_at_risk_reference"] == n


def test_landmark_counts_by_hand(cohort):
    # Reference arm OS (17 patients, from the CSV): 2.6+ (censored), deaths at 4.9, 5.6, 7.1, 8.4, 8.9,
    # 9.8, 10.5, 11.0 (and 11.0+), then 12.1 ...; treatment arm (14): first deaths 11.1, 11.4 (and 11.4+).
    # At risk after L means time > L; an event at or before L is left out.
    at25 = landmark.landmark_hr(cohort, "os", PARAMS, 2.5)
    assert (at25["n_at_risk_reference"], at25["events_before_reference"]) == (17, 0)  # 2.6+ is still > 2.5
    # the 2.6+ patient leaves at 2.6; the death at 4.9 leaves at 4.9 (an event at L is left out)
    at26 = landmark.landmark_hr(cohort, "os", PARAMS, 2.6)
    assert (at26["n_at_risk_reference"], at26["events_before_reference"]) == (16, 0)
    at3 = landmark.landmark_hr(cohort, "os", PARAMS, 3.0)
    assert (at3["n_at_risk_reference"], at3["events_before_reference"]) == (16, 0)
    at4 = landmark.landmark_hr(cohort, "os", PARAMS, 4.0)
    assert (at4["n_at_risk_reference"], at4["events_before_reference"]) == (16, 0)
    at49 = landmark.landmark_hr(cohort, "os", PARAMS, 4.9)
    assert (at49["n_at_risk_reference"], at49["events_before_reference"]) == (15, 1)
    # 17 less 2.6+ and 4.9
    at55 = landmark.landmark_hr(cohort, "os", PARAMS, 5.5)
    assert (at55["n_at_risk_reference"], at55["events_before_reference"]) == (15, 1)
    assert (at55["n_at_risk_treatment"], at55["events_before_treatment"]) == (14, 0)
    early = landmark.early_events(cohort, "os", PARAMS, before=11.1)
    assert (early["first_event_treatment"], early["first_event_reference"]) == (11.1, 4.9)
    assert early["events_by_reference"] == 8  # 4.9 5.6 7.1 8.4 8.9 9.8 10.5 11.0


def test_landmark_keeps_time_above_the_landmark():
    c = pd.DataFrame(
        {
            "group": ["A", "A", "A", "B", "B", "B"],
            "os_months": [2.0, 3.0, 5.0, 3.5, 6.0, 7.0],
            "os_event": [1, 0, 1, 1, 0, 1],
        }
    )
    p = make_parameters({"reference_group": "A", "treatment_group": "B"})
    row = landmark.landmark_hr(c, "os", p, 3.0)  # A keeps 5.0 only (3.0+ is not > 3); B keeps all three
    assert (row["n_at_risk_reference"], row["events_before_reference"], row["events_after_reference"]) == (
        1,
        1,
        1,
    )
    assert (row["n_at_risk_treatment"], row["events_before_treatment"], row["events_after_treatment"]) == (
        3,
        0,
        2,
    )
    at0 = landmark.landmark_hr(c, "os", p, 0.0)
    assert (at0["n_at_risk_reference"], at0["n_at_risk_treatment"]) == (3, 3)


def test_landmark_without_events_after_it_is_not_estimable(cohort):
    row = landmark.landmark_hr(cohort, "os", PARAMS, 40.0)
    assert row["hr"] is None and row["n_at_risk_treatment"] == 0


def test_hr_movement_and_includes_one():
    c = pd.DataFrame({"landmark": [0.0, 1.0], "hr": [0.5, 0.6]})
    assert landmark.hr_movement(c) == "moves steadily towards 1"
    assert landmark.hr_movement(c.assign(hr=[0.5, 0.4])) == "moves steadily away from 1"
    assert landmark.hr_movement(c.assign(hr=[0.5, 0.5])) == "does not move"
    # first and last alone say "towards 1"; the curve falls below its start on the way (the shipped
    # PFS curve: 0.442, 0.461, 0.509, 0.453, 0.420, 0.411, 0.520 on the way from 0 to 6 months)
    wavy = pd.DataFrame({"landmark": [0.0, 1.0, 2.0, 3.0], "hr": [0.44, 0.51, 0.41, 0.52]})
    assert landmark.hr_movement(wavy) == "moves back and forth, with no steady direction"
    assert landmark.hr_movement(c.assign(hr=[0.8, 1.25])) == "crosses 1"  # |log HR| equal on both sides
    assert landmark.includes_one(0.2, 1.04) == "includes" and landmark.includes_one(0.2, 0.97) == "excludes"


def test_person_time_rates_by_hand():
    c = pd.DataFrame(
        {"group": ["A", "A", "B", "B"], "os_months": [2.0, 4.0, 3.0, 5.0], "os_event": [1, 0, 1, 1]}
    )
    p = make_parameters({"reference_group": "A", "treatment_group": "B"})
    r = landmark.person_time_rates(c, "os", p, delay=1.0)
    # B: 2 deaths / 8 months (naive), 2 / (8 - 2) corrected; A: 1 / 6, 1 / (6 + 2)
    assert r["rate_naive_treatment"] == pytest.approx(100 * 2 / 8)
    assert r["rate_corrected_treatment"] == pytest.approx(100 * 2 / 6)
    assert r["rate_corrected_reference"] == pytest.approx(100 * 1 / 8)
    assert r["rate_ratio_corrected"] == pytest.approx((2 / 6) / (1 / 8))
    with pytest.raises(ValueError):
        landmark.person_time_rates(c, "os", p, delay=3.5)


def test_landmark_parameter_default_and_validation():
    assert make_parameters().landmark_analysis_months == 3.0
    assert make_parameters({"landmark_analysis_months": 2}).landmark_analysis_months == 2
    for bad in (0, -1.0):
        with pytest.raises(ParameterError, match="landmark_analysis_months"):
            make_parameters({"landmark_analysis_months": bad})
    with pytest.raises(ParameterError, match="must be int or float"):
        make_parameters({"landmark_analysis_months": "three"})


# ------------------------------------------------------------------ Bayes
def _hand_efron_loglik(time, event, arm, beta):
    """Efron partial log-likelihood of one covariate, straight from the definition (a loop per time)."""
    time, event, arm = map(np.asarray, (time, event, arm))
    total = 0.0
    for t in np.unique(time[event == 1]):
        risk = time >= t
        dead = (time == t) & (event == 1)
        r_sum = np.exp(beta * arm[risk]).sum()
        d_sum = np.exp(beta * arm[dead]).sum()
        m = int(dead.sum())
        total += beta * arm[dead].sum() - sum(math.log(r_sum - (k / m) * d_sum) for k in range(m))
    return total


def test_arm_partial_loglik_equals_hand_r_and_lifelines(cohort):
    t, e, g = _arrays(cohort, "os")
    betas = np.array([-1.0, 0.0, 0.5])
    ours = posterior.arm_partial_loglik(t, e, g, betas)
    # coxph(Surv(os_months, os_event) ~ arm, init = b, control = coxph.control(iter.max = 0))$loglik[1]
    r = [-64.948722108210845, -66.830995447077356, -69.846973679898369]
    np.testing.assert_allclose(ours, r, rtol=1e-12)
    np.testing.assert_allclose(ours, [_hand_efron_loglik(t, e, g, b) for b in betas], rtol=1e-12)
    lik = bayes.arm_likelihood(cohort, "os", PARAMS)
    # R: cox.coef -0.82775673072211964, cox.loglik -64.865207835831683
    assert lik.estimate == pytest.approx(-0.82775673072211964, rel=COX_TOL)
    assert posterior.arm_partial_loglik(t, e, g, lik.estimate)[0] == pytest.approx(
        -64.865207835831683, abs=1e-9
    )


def test_arm_partial_loglik_with_heavy_ties_equals_the_hand_definition():
    from lifelines.datasets import load_waltons

    w = load_waltons()
    t, e, g = w["T"].to_numpy(), w["E"].to_numpy(), (w["group"] == "miR-137").to_numpy().astype(int)
    for b in (-0.5, 0.3, 1.2):
        assert posterior.arm_partial_loglik(t, e, g, b)[0] == pytest.approx(
            _hand_efron_loglik(t, e, g, b), rel=1e-12
        )


def test_normal_posterior_by_hand():
    post = posterior.normal_posterior(0.0, 0.2, -0.77, 0.41)
    precision = 1 / 0.2**2 + 1 / 0.41**2
    assert post.mean == pytest.approx((-0.77 / 0.41**2) / precision, rel=1e-14)
    assert post.sd == pytest.approx(precision**-0.5, rel=1e-14)
    assert post.prob_hr_below(1.0) == pytest.approx(stats.norm.cdf(-post.mean / post.sd), rel=1e-14)
    assert post.hr_quantile(0.5) == pytest.approx(math.exp(post.mean), rel=1e-14)


def test_grid_posterior_of_a_normal_likelihood_is_the_normal_posterior():
    beta = np.linspace(-4, 3, 20001)
    loglik = stats.norm.logpdf(beta, -0.7, 0.4)
    grid = posterior.grid_posterior(beta, loglik, 0.0, 0.3)
    exact = posterior.normal_posterior(0.0, 0.3, -0.7, 0.4)
    for hr in (0.5, 0.8, 1.0):
        assert grid.prob_hr_below(hr) == pytest.approx(exact.prob_hr_below(hr), abs=1e-6)
    assert grid.hr_quantile(0.975) == pytest.approx(exact.hr_quantile(0.975), rel=1e-4)


@pytest.mark.parametrize("ep", ["os", "pfs"])
def test_grid_posterior_against_quadrature_and_the_normal_approximation(cohort, ep):
    lik = bayes.arm_likelihood(cohort, ep, PARAMS)
    priors = bayes.spiegelhalter_priors(bayes.pooled_trial_hr(ep)["hr"])
    table, _ = bayes.posterior_table(lik, priors)
    t, e, g = lik.time, lik.event, lik.treatment
    peak = _hand_efron_loglik(t, e, g, lik.estimate)
    for name, prior in priors.items():

        def density(b, prior=prior):
            return math.exp(_hand_efron_loglik(t, e, g, b) - peak) * stats.norm.pdf(b, prior.mean, prior.sd)

        lo, hi = -6.0, 4.0
        total = integrate.quad(density, lo, hi, points=[lik.estimate, prior.mean], limit=200)[0]
        below_1 = integrate.quad(density, lo, 0.0, limit=200)[0] / total
        below_08 = integrate.quad(density, lo, math.log(0.8), limit=200)[0] / total
        grid = table[(table["prior"] == name) & (table["method"] == "grid")].iloc[0]
        normal = table[(table["prior"] == name) & (table["method"] == "normal")].iloc[0]
        assert grid["p_benefit"] == pytest.approx(below_1, abs=5e-6)
        assert grid["p_worthwhile"] == pytest.approx(below_08, abs=5e-6)
        # the likelihood is near normal here: the approximation is within half a percentage point
        assert normal["p_benefit"] == pytest.approx(below_1, abs=5e-3)
        assert normal["p_worthwhile"] == pytest.approx(below_08, abs=5e-3)


@pytest.mark.parametrize("ep", ["os", "pfs"])
def test_priors_hold_their_stated_probabilities(ep):
    pooled = bayes.pooled_trial_hr(ep)
    priors = bayes.spiegelhalter_priors(pooled["hr"])
    sc, ne, en = priors["sceptical"], priors["neutral"], priors["enthusiastic"]
    assert sc.mean == 0 and sc.normal.prob_hr_below(pooled["hr"]) == pytest.approx(0.05, abs=1e-12)
    assert en.mean == pytest.approx(math.log(pooled["hr"])) and en.sd == sc.sd
    assert 1 - en.normal.prob_hr_below(1.0) == pytest.approx(0.05, abs=1e-12)
    assert ne.normal.prob_hr_below(10.0) - ne.normal.prob_hr_below(0.1) == pytest.approx(0.95, abs=1e-12)


def test_the_trials_hazard_ratios_are_the_published_ones():
    """data/external_trials.yaml against the publications (checked in this session, sources in
    docs/claims/immunotherapy.md): IMpower133 (Horn et al. 2018) OS 0.70 (0.54-0.91), PFS 0.77
    (0.62-0.96); CASPIAN (Paz-Ares et al. 2019, planned interim analysis) OS 0.73 (0.59-0.91),
    PFS 0.78 (0.65-0.94)."""
    published = {
        "os": {"IMpower133": (0.70, 0.54, 0.91), "CASPIAN": (0.73, 0.59, 0.91)},
        "pfs": {"IMpower133": (0.77, 0.62, 0.96), "CASPIAN": (0.78, 0.65, 0.94)},
    }
    for ep, trials in published.items():
        assert {t["trial"]: (t["hr"], t["ci_low"], t["ci_high"]) for t in bayes.trial_hrs(ep)} == trials


@pytest.mark.parametrize(
    ("ep", "trials", "hr_2dp", "sceptical_sd"),
    [
        # R: pooled exp(est) 0.71760526960775139, s0 = -est / qnorm(0.95) 0.2017417352217222
        ("os", [(0.70, 0.54, 0.91), (0.73, 0.59, 0.91)], 0.72, 0.2017417352217222),
        # R: pooled exp(est) 0.77582562634779062, s0 0.15431615810991917
        ("pfs", [(0.77, 0.62, 0.96), (0.78, 0.65, 0.94)], 0.78, 0.15431615810991917),
    ],
)
def test_pooled_trial_hr_by_hand(ep, trials, hr_2dp, sceptical_sd):
    # log HR and SE from each CI; inverse-variance weights
    z = stats.norm.ppf(0.975)
    (h1, l1, u1), (h2, l2, u2) = trials
    se1 = (math.log(u1) - math.log(l1)) / (2 * z)
    se2 = (math.log(u2) - math.log(l2)) / (2 * z)
    w1, w2 = 1 / se1**2, 1 / se2**2
    pooled = (w1 * math.log(h1) + w2 * math.log(h2)) / (w1 + w2)
    got = bayes.pooled_trial_hr(ep)
    assert got["hr"] == pytest.approx(math.exp(pooled), rel=1e-14)
    assert got["se"] == pytest.approx((w1 + w2) ** -0.5, rel=1e-14)
    assert round(got["hr"], 2) == hr_2dp
    assert bayes.spiegelhalter_priors(got["hr"])["sceptical"].sd == pytest.approx(sceptical_sd, rel=1e-12)


#: (posterior median HR, P(HR < 1), P(HR < 0.8)) of the normal approximation, from R:
#:   d <- read.csv("data/lcnec_synthetic_cohort.csv"); d$arm <- as.integer(d$group == "ICIs + Chemo")
#:   pool <- function(hr, lo, hi) { se <- (log(hi) - log(lo)) / (2 * qnorm(0.975)); w <- 1 / se^2
#:                                  sum(w * log(hr)) / sum(w) }
#:   pe <- pool(c(0.70, 0.73), c(0.54, 0.59), c(0.91, 0.91))   # PFS: c(0.77, 0.78), c(0.62, 0.65), c(0.96, 0.94)
#:   f <- coxph(Surv(os_months, os_event) ~ arm, data = d); b <- coef(f); se <- sqrt(vcov(f)[1, 1])
#:   s0 <- -pe / qnorm(0.95); sn <- log(10) / qnorm(0.975)
#:   for each prior (m0, v0) in (0, s0^2), (0, sn^2), (pe, s0^2):
#:     prec <- 1 / v0 + 1 / se^2; m <- (m0 / v0 + b / se^2) / prec; s <- sqrt(1 / prec)
#:     exp(m); pnorm(0, m, s); pnorm(log(0.8), m, s)
R_POSTERIORS = {
    "os": {
        "sceptical": (0.85615084200502101, 0.80348245994854128, 0.35455175664167216),
        "neutral": (0.47996801148378804, 0.96833555946851657, 0.90188958701770316),
        "enthusiastic": (0.65384606601057649, 0.99027162269400348, 0.86638748228476736),
    },
    "pfs": {
        "sceptical": (0.89613319856638074, 0.77749149885898572, 0.21467907294715968),
        "neutral": (0.47932626691917274, 0.97602070285647213, 0.91583759702621848),
        "enthusiastic": (0.71933200693810906, 0.98911238668293611, 0.77041879422420256),
    },
}


@pytest.mark.parametrize("ep", ["os", "pfs"])
def test_normal_posteriors_equal_r_with_each_endpoints_own_priors(cohort, ep):
    """The PFS priors come from the trials' PFS HRs (0.78), not their OS HRs (0.72): with the OS
    priors the PFS sceptical P(HR < 0.8) would be 38.6%, not 21.5%."""
    _, _, fits = bayes.bayes_page(cohort, PARAMS)
    rows = bayes.quoted_rows(fits[ep][1])
    for prior, (median, p1, p08) in R_POSTERIORS[ep].items():
        assert rows[prior]["method"] == "normal"
        assert rows[prior]["hr_median"] == pytest.approx(median, rel=COX_TOL)
        assert rows[prior]["p_benefit"] == pytest.approx(p1, abs=1e-5)
        assert rows[prior]["p_worthwhile"] == pytest.approx(p08, abs=1e-5)
    if ep == "pfs":
        os_priors = bayes.spiegelhalter_priors(bayes.pooled_trial_hr("os")["hr"])
        sc = os_priors["sceptical"]
        lik = fits["pfs"][0]
        borrowed = posterior.normal_posterior(sc.mean, sc.sd, lik.estimate, lik.se)
        assert round(100 * borrowed.prob_hr_below(0.8), 1) == 38.6  # the page before this fix
        assert round(100 * rows["sceptical"]["p_worthwhile"], 1) == 21.5


def _posterior_rows(probs: dict[str, tuple[float, float, float]]) -> pd.DataFrame:
    """A posterior table of normal rows from {prior: (median, P(HR < 1), P(HR < 0.8))}."""
    return pd.DataFrame(
        [
            {
                "prior": k,
                "method": "normal",
                "hr_median": m,
                "cri_low": m / 2,
                "cri_high": m * 2,
                "p_benefit": p1,
                "p_worthwhile": p08,
            }
            for k, (m, p1, p08) in probs.items()
        ]
    )


def test_promising_reading_follows_the_posteriors(cohort):
    """Which priors make a worthwhile benefit more likely than not, and what that says of
    "promising": on the shipped cohort (R values above: OS 35.5%, 90.2%, 86.6%; PFS 21.5%, 91.6%,
    77.0%), and on made-up tables for the other cases, the sentence changes with the numbers."""
    _, _, fits = bayes.bayes_page(cohort, PARAMS)
    text = bayes.promising_reading({ep: fit[1] for ep, fit in fits.items()})
    assert text == (
        "For overall survival, P(HR < 0.8) is above 50% under the neutral and enthusiastic priors "
        "(90.2% and 86.6%) and not under the sceptical prior (35.5%); for progression-free survival, "
        "under the neutral and enthusiastic priors (91.6% and 77.0%) and not under the sceptical prior "
        "(21.5%). For both endpoints, a reader who lets the data speak finds the combination as "
        "promising as the enthusiast does: only the sceptical prior separates the readings."
    )
    only_trials = _posterior_rows(
        {"sceptical": (0.95, 0.6, 0.1), "neutral": (0.9, 0.7, 0.3), "enthusiastic": (0.78, 0.9, 0.55)}
    )
    nobody = _posterior_rows(
        {"sceptical": (0.99, 0.5, 0.05), "neutral": (1.0, 0.5, 0.2), "enthusiastic": (0.85, 0.8, 0.4)}
    )
    everyone = _posterior_rows(
        {"sceptical": (0.7, 0.99, 0.6), "neutral": (0.4, 0.99, 0.9), "enthusiastic": (0.6, 0.99, 0.8)}
    )
    assert bayes.promising_reading({"os": only_trials}) == (
        "For overall survival, P(HR < 0.8) is above 50% under the enthusiastic prior (55.0%) and not "
        "under the sceptical and neutral priors (10.0% and 30.0%). For overall survival, only the "
        "enthusiast's reading makes it promising, and that reading borrows its confidence from the trials in "
        "small-cell lung cancer rather than from the study."
    )
    assert bayes.promising_reading({"os": nobody, "pfs": everyone}) == (
        "For overall survival, P(HR < 0.8) is above 50% under none of the three priors (5.0%, 20.0% "
        "and 40.0%); for progression-free survival, under all three priors (60.0%, 90.0% and 80.0%). "
        "For overall survival, no reading makes the combination promising, not even the enthusiast's; "
        "for progression-free survival, every reading makes the combination promising, the sceptic's "
        "included."
    )
    # trials' pooled HR above the worthwhile one: the data alone can be more promising
    data_only = _posterior_rows(
        {"sceptical": (0.95, 0.6, 0.1), "neutral": (0.7, 0.9, 0.6), "enthusiastic": (0.82, 0.95, 0.45)}
    )
    assert bayes.promising_reading({"os": data_only}).endswith(
        "For overall survival, the data alone make the combination promising; the enthusiastic prior, "
        "which pulls the estimate toward the trials' smaller effect, does not."
    )
    odd = _posterior_rows({"sceptical": (0.7, 0.9, 0.6), "neutral": (0.9, 0.7, 0.4)})  # a grid's oddity
    assert bayes.promising_reading({"os": odd}).endswith(
        "For overall survival, the combination is promising only under the sceptical prior."
    )
    # exactly one half is not above one half: the sceptic's verdict uses the same boundary
    assert bayes.promising_split(_posterior_rows({"sceptical": (0.8, 0.9, 0.5)}))[0] == []


def test_enthusiast_reading_says_what_the_trials_prior_adds(cohort):
    """Against the neutral prior, the enthusiastic one raises P(HR < 1) and lowers P(HR < 0.8) on
    the shipped cohort (R values above; the study's HRs exp(-0.8278) = 0.437 and exp(-0.8172) =
    0.442, the trials' 0.72 and 0.78, the enthusiastic medians 0.654 and 0.719)."""
    _, _, fits = bayes.bayes_page(cohort, PARAMS)
    texts = {
        ep: bayes.enthusiast_reading(ep, lik, table, bayes.pooled_trial_hr(ep)["hr"])
        for ep, (lik, table, _) in fits.items()
    }
    assert texts["os"] == (
        "For overall survival the enthusiastic prior pulls the study's hazard ratio of 0.44 toward the "
        "trials' 0.72 (posterior median 0.65); against the neutral prior it raises P(HR < 1) from 96.8% "
        "to 99.0% and lowers P(HR < 0.8) from 90.2% to 86.6%."
    )
    assert texts["pfs"] == (
        "For progression-free survival the enthusiastic prior pulls the study's hazard ratio of 0.44 "
        "toward the trials' 0.78 (posterior median 0.72); against the neutral prior it raises P(HR < 1) "
        "from 97.6% to 98.9% and lowers P(HR < 0.8) from 91.6% to 77.0%."
    )


def test_gap_reading_covers_every_endpoint_the_gaps_show():
    # the shipped cohort's gaps: 0.24 (OS) and 0.12 (PFS) percentage points
    assert bayes.gap_reading({"os": 0.0024, "pfs": 0.0012}) == (
        "for both endpoints the Cox likelihood of the arm is close to normal on the log scale"
    )
    assert bayes.gap_reading({"os": 0.0024, "pfs": 0.02}) == (
        "for OS the Cox likelihood of the arm is close to normal on the log scale; for PFS the normal "
        "approximation is not to be trusted: read the exact grid"
    )
    assert (
        bayes.gap_reading({"os": 0.0024})
        == "for OS the Cox likelihood of the arm is close to normal on the log scale"
    )
    assert bayes.gap_reading({"os": None, "pfs": None}) is None


def test_hand_decimals_make_the_exercise_reproduce():
    # shipped cohort: weight 0.812369, estimate -0.827757, posterior mean -0.155308 (printed -0.155);
    # (1 - 0.812) * -0.828 = -0.155664 -> -0.156, (1 - 0.8124) * -0.828 = -0.155333 -> -0.155
    assert bayes.hand_decimals(0.812369, -0.827757, -0.155308) == 4
    assert bayes.hand_decimals(0.5, -0.8, -0.4) == 3
    assert bayes.hand_decimals(0.5, -0.8, 0.3) == 5  # nothing reproduces: the most decimals


def test_prior_events_by_the_schoenfeld_variance():
    # Var(log HR) = 1 / (d p (1 - p)); equal arms: 4 / d
    assert bayes.prior_events(0.5, 0.5) == pytest.approx(16.0)
    assert bayes.prior_events(0.2, 14 / 31) == pytest.approx(1 / (0.04 * (14 / 31) * (17 / 31)))


# ------------------------------------------------------------------ the exercises' solutions
def _texts(numbers):
    return {k: v for k, (v, _fmt, _missing) in numbers.texts.items()}


def test_chapter_15_names_the_level_of_its_intervals(cohort):
    """The landmark HRs' intervals are computed at ``params.alpha``; the prose reads their level from
    ``level``: 90 at alpha 0.10, 95 by default."""
    for alpha, level in ((0.10, "90"), (0.05, "95")):
        params = make_parameters({"alpha": alpha})
        value, fmt, _ = landmark.landmark_page(cohort, params, published_values())[0].texts["level"]
        assert fmt.format(value) == level


def test_exercise_solutions_of_chapter_15(cohort):
    """Ex. 1: the landmark chosen by its rule (counted here from the data), its HR (lifelines directly),
    the deaths it leaves out and the direction of the move; the landmark in force, which leaves out no
    death; ex. 2: person-time."""
    from lifelines import CoxPHFitter

    numbers, _ = landmark.landmark_page(cohort, PARAMS, published_values())
    texts = _texts(numbers)
    L = PARAMS.landmark_analysis_months
    t, e, g = _arrays(cohort, "os")

    def left_out(lm):
        return int(((t <= lm) & (e == 1) & (g == 1)).sum()), int(((t <= lm) & (e == 1) & (g == 0)).sum())

    def estimable(lm):
        return all(((t > lm) & (e == 1) & (g == arm)).any() for arm in (0, 1))

    lm = next(
        x
        for x in landmark.RECORDED_LANDMARKS
        if x > L and sum(left_out(x)) > sum(left_out(L)) and estimable(x)
    )
    # no death before 4.9 months: 4 leaves none out, 5 the reference arm's 4.9
    assert (lm, left_out(4.0), left_out(lm)) == (5, (0, 0), (0, 1))
    assert texts["ex1_landmark"] == lm
    assert texts["ex1_os_left_out"] == "none in the treatment arm and 1 death in the reference arm"
    keep = t > lm
    # lifelines' default precision (1e-7) stops 1.8e-4 (relative) short of the HR on this subset
    # (0.45970 against R coxph's 0.45961752229766301 at 5 months): fitted to convergence, as above
    frame = pd.DataFrame({"t": t[keep], "e": e[keep], "x": g[keep]})
    fit = CoxPHFitter().fit(frame, "t", "e", fit_options={"precision": 1e-12})
    hr = math.exp(fit.params_["x"])
    assert texts["ex1_os_hr"][0] == pytest.approx(hr, rel=COX_TOL)
    assert texts["ex1_question"] == f"why does the estimate differ from the one at {L:g} months?"
    # only reference-arm deaths leave: the score rises at every beta, so the estimate rises
    assert (
        f"1 reference-arm death and no treatment-arm death, and the hazard ratio rises from 0.44 to {hr:.2f}"
        in (texts["ex1_os_why"])
    )
    # the landmark in force drops one patient, the reference arm's 2.6+, censored before the first death
    # (4.9): it leaves out no death and the fit is the one from time zero
    assert (int((t <= L).sum()), int(((t <= L) & (e == 1)).sum()), t[e == 1].min()) == (1, 0, 4.9)
    assert texts["os_left_out"].startswith(
        f"The landmark leaves out no death: no patient of either arm died by {L:g} months"
    )
    assert texts["os_hr_L"] == texts["os_hr_0"]
    delay = landmark.EXERCISE_DELAY
    pt_t, pt_r = t[g == 1].sum(), t[g == 0].sum()
    d_t, d_r = e[g == 1].sum(), e[g == 0].sum()
    assert texts["ex2_immortal"] == pytest.approx(delay * (g == 1).sum())
    assert texts["ex2_rate_naive_treatment"] == pytest.approx(100 * d_t / pt_t)
    assert texts["ex2_rr_naive"] == pytest.approx((d_t / pt_t) / (d_r / pt_r))
    immortal = delay * (g == 1).sum()
    assert texts["ex2_rr_corrected"] == pytest.approx((d_t / (pt_t - immortal)) / (d_r / (pt_r + immortal)))


def test_exercise_landmark_rule_and_words_at_other_landmarks(cohort):
    """The texts are right for any landmark in force: at 2.6 months no death is left out (the patient
    censored at 2.6 leaves; the first death is at 4.9); at 5.75 months the later landmark of the table
    (6) leaves out no more deaths (the reference arm's 4.9 and 5.6; the next death is at 7.1), so the
    exercise takes 6.75 months, where the estimate does not move; at 30 months there is no estimate."""
    at26 = landmark.landmark_curve(cohort, "os", make_parameters({"landmark_analysis_months": 2.6}))
    row26 = at26.loc[at26["landmark"] == 2.6].iloc[0]
    assert (row26["n_at_risk_reference"], row26["events_before_reference"]) == (16, 0)
    assert landmark.landmark_effect_words(row26, 31, "os").startswith(
        "The landmark leaves out no death: no patient of either arm died by 2.6 months"
    )
    assert landmark.exercise_landmark(at26, 2.6) == 5.0
    texts = _texts(
        landmark.landmark_page(
            cohort, make_parameters({"landmark_analysis_months": 5.75}), published_values()
        )[0]
    )
    assert texts["ex1_landmark"] == 6.75 and texts["ex1_rule"].startswith(
        "one month after the landmark in force"
    )
    assert texts["ex1_question"] == "why does the estimate not differ from the one at 5.75 months?"
    assert texts["ex1_os_why"].startswith(
        "The estimate does not move: there is no death between 5.75 and 6.75 months"
    )
    assert texts["ex1_os_hr"] == texts["os_hr_L"]
    assert (
        texts["os_left_out"]
        == "The landmark leaves out none in the treatment arm and 2 deaths in the reference arm."
    )
    late = _texts(
        landmark.landmark_page(
            cohort, make_parameters({"landmark_analysis_months": 30.0}), published_values()
        )[0]
    )
    assert late["ex1_os_hr"] is None and late["ex1_question"] == "why is there no estimate?"


def test_exercise_solutions_of_chapter_16(cohort):
    """Ex. 1: pooled S(t-) (lifelines' Kaplan-Meier) and the FH(0,1), FH(1,1) weights at the first
    treatment-arm death; ex. 2: smallest p, Bonferroni, max-combo p."""
    from lifelines import KaplanMeierFitter

    numbers, _, _ = delayed_effects.weighted_logrank_page(cohort, PARAMS)
    texts = _texts(numbers)
    t, e, g = _arrays(cohort, "os")
    first = t[(g == 1) & (e == 1)].min()
    km = KaplanMeierFitter().fit(t, e)
    s_before = float(km.survival_function_.loc[km.survival_function_.index < first].iloc[-1, 0])
    assert texts["ex1_time"] == first
    assert texts["ex1_surv"] == pytest.approx(s_before, rel=1e-12)
    assert texts["ex1_w01"] == pytest.approx(1 - s_before, rel=1e-12)
    assert texts["ex1_w11"] == pytest.approx(s_before * (1 - s_before), rel=1e-12)
    ps = [
        weighted_logrank.fleming_harrington(t, e, g, r, gm).p for r, gm in weighted_logrank.MAX_COMBO_WEIGHTS
    ]
    assert texts["ex2_min_p"] == pytest.approx(min(ps))
    assert texts["ex2_bonferroni"] == pytest.approx(min(1.0, 4 * min(ps)))
    assert texts["ex2_min_p"] < texts["ex2_maxcombo_p"] < texts["ex2_bonferroni"]


def test_exercise_solutions_of_chapter_19(cohort):
    """Ex. 1: the sceptical posterior by hand; ex. 2: each prior's worth in events."""
    numbers, priors, _ = bayes.bayes_page(cohort, PARAMS)
    priors = priors["os"]
    texts = _texts(numbers)
    b, se = texts["ex1_b"], texts["ex1_se"]
    s0 = priors["sceptical"].sd
    w_prior = se**2 / (se**2 + s0**2)
    assert texts["ex1_w_prior"] == pytest.approx(w_prior, rel=1e-12)
    assert texts["ex1_post_mean"] == pytest.approx((1 - w_prior) * b, rel=1e-12)
    # the solution as printed: (1 - 0.8124) x (-0.828) = -0.1553 rounds to the printed -0.155
    value, fmt, _ = numbers.texts["ex1_w_prior"]
    assert fmt.format(value) == "0.8124" and f"{texts['ex1_post_mean']:.3f}" == "-0.155"
    assert f"{(1 - 0.8124) * -0.828:.3f}" == "-0.155"
    assert texts["ex1_post_sd"] == pytest.approx((1 / s0**2 + 1 / se**2) ** -0.5, rel=1e-12)
    p = 14 / 31
    assert texts["ex2_alloc"] == pytest.approx(p)
    assert texts["ex2_sceptical_events"] == pytest.approx(1 / (s0**2 * p * (1 - p)), rel=1e-12)
    assert texts["ex2_neutral_events"] == pytest.approx(
        1 / (priors["neutral"].sd ** 2 * p * (1 - p)), rel=1e-12
    )
    assert texts["ex2_data_events"] == int(cohort["os_event"].sum())
    # the grid against the normal approximation, printed with two decimals (session 15's verifier,
    # R grid over coxph's Efron log-likelihood: 0.239 points for OS, 0.116 for PFS)
    assert (f"{texts['os_max_gap']:.2f}", f"{texts['pfs_max_gap']:.2f}") == ("0.24", "0.12")
    assert numbers.texts["os_max_gap"][1] == "{:.2f}"


# ------------------------------------------------------------------ results keys and the required-only cohort
def test_new_chapters_record_only_dictionary_keys_and_all_of_them(cohort):
    pages = {
        "methods_landmark": landmark.landmark_page(cohort, PARAMS, published_values())[0],
        "methods_weighted_logrank": delayed_effects.weighted_logrank_page(cohort, PARAMS)[0],
        "methods_bayes": bayes.bayes_page(cohort, PARAMS)[0],
    }
    for chapter, numbers in pages.items():
        values = results_keys.complete(chapter, numbers.values)
        assert [k for k, v in values.items() if v is None] == [], chapter
    fh = pages["methods_weighted_logrank"].values
    # R: 1 - pchisq(survdiff(Surv(os_months, os_event) ~ arm)$chisq, 1)
    assert fh["methods.fh.os.fh00.p"] == pytest.approx(0.040971356819627713, abs=1e-9)


def test_required_columns_only_cohort_says_what_it_cannot_do(cohort):
    minimal = cohort[REQUIRED]
    for numbers in (
        landmark.landmark_page(minimal, PARAMS, published_values())[0],
        delayed_effects.weighted_logrank_page(minimal, PARAMS)[0],
        bayes.bayes_page(minimal, PARAMS)[0],
    ):
        pfs_texts = {k: v for k, v in numbers.texts.items() if k.startswith("pfs_")}
        assert pfs_texts and all(v[0] is None and "no PFS columns" in v[2] for v in pfs_texts.values())
        assert all(v is None for k, v in numbers.values.items() if ".pfs." in k)
        assert any(v is not None for k, v in numbers.values.items() if ".os." in k)


def test_every_name_chapter_19_glues_is_glued_on_either_cohort(cohort):
    """Each {glue:text} name of the notebook comes from bayes_page (n_total from the page itself), on
    the full cohort and on the required columns only."""
    import json
    import re
    from pathlib import Path

    nb = json.loads((Path(__file__).parents[1] / "notebooks" / "19_bayesian_reading.ipynb").read_text())
    text = "".join("".join(c["source"]) for c in nb["cells"])
    names = set(re.findall(r"\{glue:text\}`([^`]+)`", text)) - {"n_total"}
    assert {"promising_reading", "enthusiast_reading", "gap_reading", "trials_hr_pfs"} <= names
    for data in (cohort, cohort[REQUIRED]):
        assert names <= set(bayes.bayes_page(data, PARAMS)[0].texts)


def test_survdiff_rho_weight_is_the_kaplan_meier_just_before_each_time(cohort):
    """R's help says "S(t)^rho, S the Kaplan-Meier estimate": the left-continuous S(t-) reproduces
    survdiff(rho = 1) (chisq 5.2570037051376479 on OS); the right-continuous S(t) does not."""
    table = weighted_logrank.event_time_table(*_arrays(cohort, "os"))
    s_after = table["surv_before"] * (1 - table["d"] / table["n"])
    u = float((s_after * table["o_minus_e"]).sum())
    v = float((s_after**2 * table["v"]).sum())
    assert abs(u * u / v - 5.2570037051376479) > 0.05
    assert weighted_logrank.fleming_harrington(*_arrays(cohort, "os"), 1, 0).chi2 == pytest.approx(
        5.2570037051376479, abs=1e-9
    )


def test_large_cohort_branch_curves_whole_months_only(cohort, monkeypatch):
    from lcnec_utils.methods import sampling

    monkeypatch.setattr(sampling, "LARGE_N", 20)  # the 31 patients count as large; the sample is all of them
    _, curves = landmark.landmark_page(cohort, PARAMS, published_values())
    assert curves["os"]["landmark"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    full = landmark.landmark_curve(cohort, "os", PARAMS)
    at4 = full.loc[full["landmark"] == 4.0, "hr"].iloc[0]
    assert curves["os"].loc[curves["os"]["landmark"] == 4.0, "hr"].iloc[0] == pytest.approx(at4, rel=1e-12)


def test_where_the_difference_comes_from_compares_the_weights_as_r_does(cohort):
    """Chapter 16's comparison of the weights: |Z| of FH(1,0), FH(0,1) and FH(1,1) on the shipped
    cohort, against the session-15 reviewer's hand-coded R (U = sum w (d1 - d n1/n), V = sum w^2 v,
    w from the pooled Kaplan-Meier just before each time; FH(0,0) and FH(1,0) equal survdiff's):
    OS Z -2.04, -2.29, -1.12, -1.49; PFS -2.12, -2.36, -1.22, -2.31 (FH(0,0), (1,0), (0,1), (1,1)).
    The clause names FH(1,1) too, since on PFS it comes within 0.05 of FH(1,0)."""
    numbers, _, _ = delayed_effects.weighted_logrank_page(cohort, PARAMS)
    texts = _texts(numbers)
    assert texts["os_where"] == (
        "the early-weighted FH(1,0) test has the larger |Z|, 2.29 against 1.12 for the late-weighted "
        "FH(0,1); the middle-weighted FH(1,1) gives 1.49"
    )
    assert texts["pfs_where"] == (
        "the early-weighted FH(1,0) test has the larger |Z|, 2.36 against 1.22 for the late-weighted "
        "FH(0,1); the middle-weighted FH(1,1) gives 2.31"
    )
    late = pd.DataFrame({"rho": [1.0, 0.0, 1.0], "gamma": [0.0, 1.0, 1.0], "z": [-1.0, -2.5, 0.4]})
    assert delayed_effects.where_it_comes_from(late).startswith(
        "the late-weighted FH(0,1) test has the larger |Z|, 2.50 against 1.00 for the early-weighted FH(1,0)"
    )
    assert delayed_effects.where_it_comes_from(late.iloc[:2]) is None


def test_landmark_reading_by_hand():
    """The reading of the estimate and its interval (session 15's review: an interval that comes to
    include 1 while the estimate hardly moves is lost precision, not a benefit resting on early events)."""

    def row(hr, lo, hi, trt=0, ref=0):
        return pd.Series(
            {
                "hr": hr,
                "ci_low": lo,
                "ci_high": hi,
                "events_before_treatment": trt,
                "events_before_reference": ref,
            }
        )

    zero = row(0.442, 0.205, 0.952)
    # |log 0.453| / |log 0.442| = 0.972: a shift of 2.8% of the distance from 1, below SMALL_SHIFT
    assert landmark.landmark_reading(zero, row(0.453, 0.199, 1.029, 1, 3)) == (
        "the estimate hardly moves (0.44 from time zero, 0.45 from the landmark) and its interval widens as "
        "4 events leave the analysis (1 in the treatment arm and 3 in the reference arm, which pull the "
        "estimate in opposite directions): at this landmark a change of precision, not a benefit that "
        "rested on the early events (the curve shows the other landmarks)"
    )
    assert landmark.landmark_reading(zero, row(0.60, 0.25, 1.44, 0, 3)) == (
        "the estimate moves towards 1 (0.44 from time zero, 0.60 from the landmark) as 3 events leave the "
        "analysis: part of the difference came from the events before the landmark"
    )
    # across 1 (the session-15 verifier: 0.8 to 1.5 had read as "away from 1")
    assert landmark.landmark_reading(row(0.8, 0.5, 1.3), row(1.5, 0.7, 3.2, 0, 4)).startswith(
        "the estimate crosses 1 (0.80 from time zero, 1.50 from the landmark)"
    )
    assert landmark.landmark_reading(zero, row(0.35, 0.15, 0.82, 2, 0)).startswith(
        "the estimate moves away from 1"
    )
    assert (
        landmark.landmark_reading(zero, zero) == "the landmark changes neither the estimate nor its interval"
    )
    assert landmark.landmark_reading(zero, row(None, None, None)) is None


def test_a_time_dependent_ici_with_a_uniform_delay_is_the_landmark_analysis(cohort):
    """The page's bound on immortal time: with the ICI as a time-dependent covariate started d months
    after time zero in every treated patient (lifelines' CoxTimeVaryingFitter), the hazard ratio is
    the landmark one at d (PFS, d = 3: 0.4529) and, for a d before the cohort's first death (OS,
    d = 4 < 4.9), the one from time zero (0.4370). The session-15 reviewer found the same with R
    coxph(Surv(start, stop, event) ~ z): 0.437 (0.192-0.995) for OS at delays 1, 2, 3 and 4.5."""
    import warnings

    from lifelines import CoxTimeVaryingFitter

    def time_dependent_hr(endpoint: str, delays) -> float:
        rows = []
        for i, r in enumerate(cohort.itertuples()):
            t, e = getattr(r, f"{endpoint}_months"), getattr(r, f"{endpoint}_event")
            delay = float(np.broadcast_to(delays, len(cohort))[i])
            treated = r.group == PARAMS.treatment_group
            if treated and t > delay:
                rows += [(i, 0.0, delay, 0, 0), (i, delay, t, 1, e)]
            else:  # the reference arm, and treated patients who left before the ICI: never exposed
                rows.append((i, 0.0, t, 0, e))
        frame = pd.DataFrame(rows, columns=["id", "start", "stop", "z", "event"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = CoxTimeVaryingFitter().fit(
                frame, id_col="id", start_col="start", stop_col="stop", event_col="event"
            )
        return float(np.exp(fit.params_["z"]))

    pfs_landmark = landmark.landmark_hr(cohort, "pfs", PARAMS, 3.0)["hr"]
    assert time_dependent_hr("pfs", 3.0) == pytest.approx(pfs_landmark, rel=1e-6)
    assert pfs_landmark == pytest.approx(0.4529, abs=1e-4)
    os_zero = landmark.landmark_hr(cohort, "os", PARAMS, 0.0)["hr"]
    assert time_dependent_hr("os", 4.0) == pytest.approx(os_zero, rel=1e-6)
    assert os_zero == pytest.approx(0.4370, abs=1e-4)
    # waits that differ, each within D = 6 months (before the ICI arm's first death, 11.1): the OS
    # HR lies between the one from time zero and the landmark one at D (every death before D is in
    # the chemotherapy arm; fewer exposed ICI patients at it, a score term nearer 0, a higher root)
    rng = np.random.default_rng(20251206)
    landmark_6 = landmark.landmark_hr(cohort, "os", PARAMS, 6.0)["hr"]
    for _ in range(3):
        waits = rng.uniform(0.0, 6.0, len(cohort))
        hr = time_dependent_hr("os", waits)
        assert os_zero * (1 - 1e-6) <= hr <= landmark_6 * (1 + 1e-6), (hr, os_zero, landmark_6)
    numbers, _ = landmark.landmark_page(cohort, PARAMS, {})
    texts = _texts(numbers)
    # PFS: every event before 2.6 months (the ICI arm's first) is a chemotherapy-arm event, so waits
    # within 2.5 months put the HR between the time-zero one and the landmark one at 2.5
    pfs_zero = landmark.landmark_hr(cohort, "pfs", PARAMS, 0.0)["hr"]
    pfs_25 = landmark.landmark_hr(cohort, "pfs", PARAMS, 2.5)["hr"]
    for _ in range(3):
        hr = time_dependent_hr("pfs", rng.uniform(0.0, 2.5, len(cohort)))
        assert pfs_zero * (1 - 1e-6) <= hr <= pfs_25 * (1 + 1e-6), (hr, pfs_zero, pfs_25)
    assert texts["os_bound"].startswith(
        "if every ICI started before the cohort's first death (4.9 months), the hazard ratio is exactly the "
        "one from time zero; if every ICI started within D months, with D before the first death in the ICI "
        "arm (11.1 months), it lies between"
    )
    assert "first event (1.0 months)" in texts["pfs_bound"] and "ICI arm (2.6 months)" in texts["pfs_bound"]
    # the ICI arm's event first: no interval bound, only the common-delay statement
    early = {"first_event_treatment": 1.0, "first_event_reference": 2.0}
    assert "within D months" not in landmark.bound_words(early, "pfs")
    assert landmark.bound_words({"first_event_treatment": None, "first_event_reference": None}, "os") is None
    assert texts["ex2_cox_note"].startswith(
        "The Cox hazard ratio does not move with the same delay: no patient died within 1 month "
        "(the first death at 4.9 months)"
    )


def test_released_bayes_keys_are_kept_with_the_os_values(cohort):
    """methods.bayes.design_hr and methods.bayes.prior.* of earlier releases stay in results.json,
    equal to the per-endpoint OS keys that replaced them (session 15); the PFS priors differ."""
    numbers, _, _ = bayes.bayes_page(cohort, PARAMS)
    v = numbers.values
    assert v["methods.bayes.design_hr"] == v["methods.bayes.os.trials_hr"] == pytest.approx(0.7176, abs=1e-4)
    for prior in ("sceptical", "neutral", "enthusiastic"):
        for stat in ("mean", "sd"):
            assert v[f"methods.bayes.prior.{prior}.{stat}"] == v[f"methods.bayes.os.prior.{prior}.{stat}"]
    assert v["methods.bayes.pfs.trials_hr"] == pytest.approx(0.7758, abs=1e-4)
