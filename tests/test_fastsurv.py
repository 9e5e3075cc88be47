"""The compiled statistics of the reconstruction's inner loop, against independent references:
lifelines and the book's own modules (Kaplan-Meier, log-rank, SPSS median CI, follow-up, Efron
Cox with heavy ties), hand-computed small examples and plain numpy (the one-pass kernels the
search reads), the warm start and the failure paths.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from lcnec_utils.reconstruct import fastsurv
from lcnec_utils.stats import survival


def _numpy_pooled(t, e, g):
    """The same quantities written with numpy set operations (the search's former code)."""
    oe, v = fastsurv.logrank_oe_v(t, e, g)
    alive = t[e == 0]
    _, counts = np.unique(t[e == 1], return_counts=True)
    first1 = t[(g == 1) & (e == 1)].min()
    first0 = t[(g == 0) & (e == 1)].min()
    srev = survival.km_curve(t, 1.0 - e).survival  # reverse Kaplan-Meier, the book's estimator
    return (
        oe,
        v,
        t.max(),
        fastsurv.followup(t, e),
        srev[-1] if srev.size else math.nan,
        alive.size - np.unique(alive).size,
        np.maximum(counts - 2, 0).sum(),
        (counts == 2).sum(),
        first1,
        first0,
    )


def test_pooled_km_stats_by_hand():
    # times 1 2 2 2 3 3 4 5 (events 1 1 1 1 0 0 1 0); arm 1 = first four
    t = np.array([1.0, 2.0, 2.0, 2.0, 3.0, 3.0, 4.0, 5.0])
    e = np.array([1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0])
    g = np.array([1.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0])
    oe, v, longest, fu, srev_last, same, heap, pairs, first1, first0 = fastsurv.pooled_km_stats(t, e, g)
    # log-rank by hand: at 1, 1 of 8 at risk (4 in arm 1) dies; at 2, 3 of 7 (3 in arm 1); at 4, 1 of 2 (0)
    expected_oe = (1 - 4 / 8) + (2 - 3 * 3 / 7) + (0 - 1 * 0 / 2)
    expected_v = (1 * 4 / 8 * 4 / 8 * 7 / 7) + (3 * 3 / 7 * 4 / 7 * 4 / 6) + 0.0
    assert oe == pytest.approx(expected_oe) and v == pytest.approx(expected_v)
    assert longest == 5.0
    # reverse KM: "events" are the censorings at 3 (2 of 4 at risk) and 5 (1 of 1): S = 0.5 at 3
    assert fu == 3.0 and srev_last == 0.0
    assert same == 1  # two alive patients share 3.0
    assert heap == 1 and pairs == 0  # three deaths at 2.0: one beyond a pair
    assert (first1, first0) == (1.0, 2.0)


@pytest.mark.parametrize("seed", range(20))
def test_pooled_km_stats_equal_numpy(seed):
    rng = np.random.default_rng(seed)
    t = rng.integers(10, 80, 31) / 2.0  # many ties
    e = (rng.random(31) < 0.75).astype(float)
    g = (np.arange(31) < 14).astype(float)
    e[0] = e[20] = 1.0
    got = fastsurv.pooled_km_stats(t, e, g)
    ref = _numpy_pooled(t, e, g)
    np.testing.assert_allclose(np.array(got, float), np.array(ref, float), rtol=1e-12, equal_nan=True)


def test_km_median_and_at_agree_with_the_single_statistics():
    rng = np.random.default_rng(5)
    for _ in range(50):
        t = rng.integers(5, 300, 17)
        e = (rng.random(17) < 0.8).astype(int)
        med, at = fastsurv.km_median_and_at(t, e, 120)
        ref_med = fastsurv.km_median(t, e)
        assert (math.isnan(med) and math.isnan(ref_med)) or med == ref_med
        assert at == fastsurv.km_at(t, e, 120)


def test_arm_times_consistent():
    pfs, pfs_e = np.array([50, 120]), np.array([1, 0])
    os_, os_e = np.array([80, 120]), np.array([1, 0])
    assert fastsurv.arm_times_consistent(pfs, pfs_e, os_, os_e, 10, 400, 500)
    assert not fastsurv.arm_times_consistent(np.array([90, 120]), pfs_e, os_, os_e, 10, 400, 500)  # PFS > OS
    assert not fastsurv.arm_times_consistent(np.array([5, 120]), pfs_e, os_, os_e, 10, 400, 500)  # too early
    assert not fastsurv.arm_times_consistent(
        pfs, pfs_e, os_, np.array([1, 1]), 10, 400, 500
    )  # censored PFS, dead
    assert not fastsurv.arm_times_consistent(pfs, pfs_e, np.array([80, 130]), os_e, 10, 400, 500)  # PFS != OS
    assert not fastsurv.arm_times_consistent(pfs, pfs_e, os_, os_e, 10, 400, 100)  # beyond the OS axis


def test_arm_information_is_the_cox_information_of_the_arm_term():
    # independent reference: minus statsmodels' PHReg Hessian (Breslow), at a fixed HR, no ties
    from statsmodels.duration.hazard_regression import PHReg

    rng = np.random.default_rng(3)
    t = rng.permutation(np.arange(1, 41)) / 2.0
    e = (rng.random(40) < 0.8).astype(float)
    g = (rng.random(40) < 0.45).astype(float)
    hr = 0.46
    model = PHReg(t, g[:, None], status=e, ties="breslow")
    expected = -model.hessian(np.array([math.log(hr)]))[0, 0]
    assert fastsurv.arm_information(t, e, g, hr) == pytest.approx(expected, rel=1e-10)
    # hand-computed: events at 1 (risk set T, C) and 2 (risk set C): p = hr / (hr + 1), then 0
    small = fastsurv.arm_information(np.array([1.0, 2.0]), np.array([1.0, 1.0]), np.array([1.0, 0.0]), 0.5)
    assert small == pytest.approx((1 / 3) * (2 / 3))


def test_arm_information_by_hand_with_ties():
    # two tied events at 1, risk set {T, C, C, C}: each adds p (1 - p), p = hr / (hr + 3);
    # the event at 2 has only a C at risk: p = 0
    t = np.array([1.0, 1.0, 1.0, 2.0])
    e = np.array([1.0, 1.0, 0.0, 1.0])
    g = np.array([1.0, 0.0, 0.0, 0.0])
    p = 0.5 / (0.5 + 3)
    assert fastsurv.arm_information(t, e, g, 0.5) == pytest.approx(2 * p * (1 - p))


def _lifelines_cox(t, e, X):
    """The reference fit: lifelines' CoxPHFitter (Efron, no penalty)."""
    from lifelines import CoxPHFitter

    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])]).assign(T=t, E=e)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return CoxPHFitter().fit(frame, "T", "E")


def _random_survival(rng, n=31):
    t = np.round(rng.exponential(10, n), 1) + 0.1
    t[rng.choice(n, 4, replace=False)] = t[0]  # ties
    e = (rng.random(n) < 0.8).astype(float)
    return t, e


@pytest.mark.parametrize("seed", range(5))
def test_cox_efron_equals_lifelines(seed):
    rng = np.random.default_rng(seed)
    t, e = _random_survival(rng)
    X = np.column_stack(
        [
            rng.integers(0, 2, 31),
            rng.integers(45, 85, 31),
            rng.integers(0, 2, (31, 9)),
            rng.integers(0, 3, 31),
        ]
    ).astype(float)
    beta, se, ok = fastsurv.cox_efron(t, e, X)
    ref = _lifelines_cox(t, e, X)
    assert ok
    np.testing.assert_allclose(beta, ref.params_.to_numpy(), atol=1e-4)
    np.testing.assert_allclose(se, ref.standard_errors_.to_numpy(), atol=1e-4)


@pytest.mark.parametrize("seed", range(5))
def test_km_logrank_median_ci_followup_equal_lifelines_and_the_books(seed):
    from lifelines import KaplanMeierFitter
    from lifelines.statistics import logrank_test

    rng = np.random.default_rng(100 + seed)
    t, e = _random_survival(rng)
    g = (rng.random(31) < 0.45).astype(float)
    km = KaplanMeierFitter().fit(t, e)
    assert fastsurv.km_median(t, e) == pytest.approx(survival.km_median(t, e))
    assert fastsurv.km_median(t, e) == pytest.approx(km.median_survival_time_)
    for when in (6.0, 12.0):
        assert fastsurv.km_at(t, e, when) == pytest.approx(float(km.predict(when)))
    lr = logrank_test(t[g == 1], t[g == 0], e[g == 1], e[g == 0])
    chi2, p = fastsurv.logrank(t, e, g)
    assert chi2 == pytest.approx(lr.test_statistic) and p == pytest.approx(lr.p_value)
    med, lo, hi = fastsurv.median_ci_spss(t, e)
    book = survival.median_ci_spss(t, e)
    if book.ci_low is None:
        assert np.isnan(lo)
    else:
        assert (med, lo, hi) == pytest.approx((book.median, book.ci_low, book.ci_high))
    fu = fastsurv.followup(t, e)
    book_fu = survival.reverse_km_followup(t, e).median
    assert (np.isnan(fu) and book_fu is None) or fu == pytest.approx(book_fu)


def test_cox_efron_with_heavy_ties_equals_lifelines_and_warm_starts():
    rng = np.random.default_rng(11)
    t = rng.integers(1, 8, 40).astype(float)  # 7 distinct times: Efron's correction matters
    e = (rng.random(40) < 0.8).astype(float)
    X = np.column_stack([rng.integers(0, 2, 40), rng.normal(0, 1, 40)])
    beta, se, ok = fastsurv.cox_efron(t, e, X)
    ref = _lifelines_cox(t, e, X)
    assert ok
    np.testing.assert_allclose(beta, ref.params_.to_numpy(), atol=1e-6)
    np.testing.assert_allclose(se, ref.standard_errors_.to_numpy(), atol=1e-6)
    # a warm start at the estimate stays there, in at most three steps
    warm, warm_se, warm_ok = fastsurv.cox_efron(t, e, X, beta0=beta, max_iter=3, require_convergence=False)
    assert warm_ok
    np.testing.assert_allclose(warm, beta, atol=1e-9)
    np.testing.assert_allclose(warm_se, se, atol=1e-9)


def test_cox_efron_reports_failures():
    t = np.arange(1.0, 11.0)
    e = np.ones(10)
    same = np.column_stack([np.r_[np.ones(5), np.zeros(5)]] * 2)  # two identical columns: singular
    _, se, ok = fastsurv.cox_efron(t, e, same)
    assert not ok and np.isnan(se).all()
    separated = np.r_[np.ones(5), np.zeros(5)][:, None]  # arm 1 dies first, always: beta diverges
    _beta, se, ok = fastsurv.cox_efron(t, e, separated)
    assert not ok
