"""The compiled search (:mod:`lcnec_utils.reconstruct.annealing`) against independent
references: the Python search's objective (``SurvivalSearch.cost``, every soft target and realism
term), the Kaplan-Meier holds and the arm-term bounds computed here by hand from the book's own
modules, and the hard constraints checked after a run with :mod:`lcnec_utils.stats.survival`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from lcnec_utils import reconstruct
from lcnec_utils.contract.params import DEFAULT_COHORT
from lcnec_utils.reconstruct import annealing, fastsurv
from lcnec_utils.stats import survival
from lcnec_utils.stats.normal import Z95, z_of_p

TG = reconstruct.published_targets()


def _committed_state():
    """The committed cohort as the search's state: arms (times in tenths) and design matrices."""
    cohort = pd.read_csv(DEFAULT_COHORT)
    arms, X = {}, {}
    for role, group in (("treatment", reconstruct.TREATMENT), ("reference", reconstruct.REFERENCE)):
        d = cohort[cohort["group"] == group]
        tenths = {c: np.rint(d[f"{c}_months"].to_numpy() * 10).astype(np.int64) for c in ("pfs", "os")}
        arms[role] = reconstruct.Arm(
            tenths["pfs"], d["pfs_event"].to_numpy(np.int64), tenths["os"], d["os_event"].to_numpy(np.int64)
        )
        cols = [d["age"].to_numpy(float), (d["sex"] == "Male").to_numpy(float)]
        cols += [d[t].to_numpy(float) for t in reconstruct.COX_TERMS[3:]]
        X[role] = np.ascontiguousarray(np.column_stack(cols))
    return arms, X


def _evaluate(T, D, setting, objective, with_cox=True):
    """The objective (and violation) at a state: a run of no iterations, on copies."""
    return annealing.anneal(T.copy(), D.copy(), setting, objective, 0, with_cox=with_cox)


@pytest.fixture(scope="module")
def state():
    arms, X = _committed_state()
    search = reconstruct.SurvivalSearch(np.random.default_rng(0), TG, arms, X)
    search.cost_parts(True)  # a cold fit, then the warm start the compiled run also begins from
    parts = search.cost_parts(True)
    T, D = reconstruct.to_state(arms, X)
    return search, parts, T, D


def test_state_round_trip(state):
    search, _, T, D = state
    arms, X = reconstruct.from_state(T, D, int(TG["n.treatment"]))
    for role in reconstruct.ROLES:
        for f in ("pfs", "pfs_e", "os", "os_e"):
            np.testing.assert_array_equal(getattr(arms[role], f), getattr(search.arms[role], f))
        np.testing.assert_array_equal(X[role], search.X[role])
    assert D[:, 0].sum() == TG["n.treatment"] and D[:14, 0].all()


def test_cost_equals_the_python_search(state):
    """Every soft target (log-rank, follow-up, median CIs, both Cox arm terms, Table 4's other
    terms) and the realism terms, with and without the Cox fits."""
    search, parts, T, D = state
    setting = reconstruct.annealing_setting(TG, search.soft)
    compiled = _evaluate(T, D, setting, annealing.Objective(cost=1.0))
    assert compiled.value == pytest.approx(search.cost(parts), rel=1e-10)
    no_cox = _evaluate(T, D, setting, annealing.Objective(cost=1.0), with_cox=False)
    assert no_cox.value == pytest.approx(search.cost(search.cost_parts(False)), rel=1e-10)


def test_holds_by_hand(state):
    """The Kaplan-Meier holds from the book's own log-rank, follow-up and SPSS median CI."""
    _, _, T, D = state
    cohort = pd.read_csv(DEFAULT_COHORT)
    expected = 0.0
    for ep in ("pfs", "os"):
        lr = survival.logrank(cohort, ep, reconstruct.REFERENCE, reconstruct.TREATMENT)
        z = math.copysign(math.sqrt(lr.chi2), lr.observed["treatment"] - lr.expected["treatment"])
        expected += 200 * max(0.0, abs(abs(z) - z_of_p(TG[f"{ep}.logrank.p"])) - 0.05) + 1e3 * max(0.0, z)
        for role, group in (("treatment", reconstruct.TREATMENT), ("reference", reconstruct.REFERENCE)):
            lo, hi = TG[f"{ep}.median_ci_low.{role}"], TG[f"{ep}.median_ci_high.{role}"]
            if abs((lo + hi) / 2 - TG[f"{ep}.median.{role}"]) > reconstruct.TOLERANCES["median_ci"]:
                continue
            d = cohort[cohort["group"] == group]
            ci = survival.median_ci_spss(d[f"{ep}_months"], d[f"{ep}_event"])
            for got, target in ((ci.ci_low, lo), (ci.ci_high, hi)):
                expected += 50 * max(0.0, abs(got - target) - 0.9 * reconstruct.TOLERANCES["median_ci"])
    fu = survival.reverse_km_followup(cohort["os_months"], cohort["os_event"]).median
    expected += 50 * max(0.0, abs(fu - TG["followup.median"]) - 0.9)
    setting = reconstruct.annealing_setting(TG)
    got = _evaluate(T, D, setting, annealing.Objective(hold=1.0)).value
    assert got == pytest.approx(expected, abs=1e-9)
    # the committed cohort meets every Kaplan-Meier target: only the asymmetric PFS interval of the
    # treatment arm (which no SPSS interval meets) is left
    assert 0 < got < 10


def test_arm_term_bounds_and_the_information_term(state):
    search, parts, T, D = state
    m = {k: v for part in parts.values() for k, v in part.items()}
    setting = reconstruct.annealing_setting(TG)
    os_ci, os_hr = m["os.cox_multivariable.ci_high"], m["os.cox_multivariable.hr"]
    pfs_hr = m["pfs.cox_multivariable.hr"]
    pfs_z = abs(math.log(pfs_hr)) / (math.log(m["pfs.cox_multivariable.ci_high"] / pfs_hr) / Z95)
    met = annealing.Objective(
        keep_os_ci=os_ci + 0.01,
        keep_os_hr=os_hr - 0.01,
        keep_pfs_z=pfs_z - 0.01,
        keep_pfs_hr_lo=pfs_hr - 0.01,
    )
    assert _evaluate(T, D, setting, met).violation == 0.0
    missed = annealing.Objective(
        keep_os_ci=os_ci - 0.02,
        keep_os_hr=os_hr + 0.03,
        keep_pfs_z=pfs_z + 0.05,
        keep_pfs_hr_lo=pfs_hr + 0.07,
    )
    assert _evaluate(T, D, setting, missed).violation == pytest.approx(0.02 + 0.03 + 0.05 + 0.07, abs=1e-6)
    # walls and pulls of the objective, by hand
    ob = annealing.Objective(
        os_ci=100.0,
        os_hr_floor=os_hr + 0.02,
        os_hr_weight=1e4,
        pfs_floor=pfs_z + 0.1,
        pfs_below=10.0,
        pfs_hr_lo=pfs_hr + 0.05,
        pfs_window=100.0,
    )
    expected = 100 * os_ci + 1e4 * 0.02 + 10 * 0.1 + 100 * 0.05
    assert _evaluate(T, D, setting, ob).value == pytest.approx(expected, rel=1e-6)
    # the information term: |log HR| sqrt(information) of the arm alone at the given HR
    t, e = search.times_events("os")
    z = abs(math.log(0.5)) * math.sqrt(fastsurv.arm_information(t, e, search.g, 0.5))
    info = annealing.Objective(info_os=3.0, info_os_hr=0.5)
    assert _evaluate(T, D, setting, info, with_cox=False).value == pytest.approx(-3.0 * z, rel=1e-12)


def _run(T, D, seed, iterations=20000):
    T, D = T.copy(), D.copy()
    setting = reconstruct.annealing_setting(TG)
    objective = annealing.Objective(hold=1.0, os_ci=100.0, pfs_floor=3.0, pfs_below=10.0)
    result = annealing.anneal(
        T,
        D,
        setting,
        objective,
        iterations,
        with_cox=True,
        p_time=0.5,
        p_structural=0.3,
        temp0=5.0,
        temp1=1.0,
        seed=seed,
    )
    return result, T, D


def test_moves_keep_the_hard_constraints(state):
    """After a hot run (most moves accepted): each arm's Kaplan-Meier medians and 12-month rates
    (the book's estimator), PFS <= OS, the deaths, and every covariate's values per arm."""
    _, _, T0, D0 = state
    _, T, D = _run(T0, D0, seed=3)
    assert not np.array_equal(T, T0) and not np.array_equal(D, D0)
    n1 = int(TG["n.treatment"])
    for role, rows in (("treatment", slice(0, n1)), ("reference", slice(n1, None))):
        for k, ep in ((0, "pfs"), (2, "os")):
            t, e = T[k, rows] / 10.0, T[k + 1, rows]
            assert survival.km_median(t, e) == TG[f"{ep}.median.{role}"]
            at = survival.landmark_survival(t, e, reconstruct.LANDMARK).survival
            assert round(100 * at, 1) == TG[f"{ep}.rate_12m.{role}"]
        assert (T[0, rows] <= T[2, rows]).all() and (T[0, rows] >= 10).all()
        assert T[3, rows].sum() == T0[3, rows].sum()  # deaths: the alive stay alive
        alive = T[3, rows] == 0
        assert (T[0, rows][alive & (T[1, rows] == 0)] == T[2, rows][alive & (T[1, rows] == 0)]).all()
        ecog = reconstruct.COX_TERMS.index("ecog")
        for j in range(1, D.shape[1]):
            if j == ecog:  # moves within Table 2's classes (0-1, >= 2) keep each class's count
                assert (D[rows, j] >= 2).sum() == (D0[rows, j] >= 2).sum()
                assert set(np.unique(D[rows, j])) <= {0.0, 1.0, 2.0, 3.0}
            else:
                np.testing.assert_array_equal(np.sort(D[rows, j]), np.sort(D0[rows, j]))


def test_runs_are_reproducible(state):
    _, _, T0, D0 = state
    a, Ta, Da = _run(T0, D0, seed=5, iterations=3000)
    b, Tb, Db = _run(T0, D0, seed=5, iterations=3000)
    _c, Tc, _ = _run(T0, D0, seed=6, iterations=3000)
    assert a == b and np.array_equal(Ta, Tb) and np.array_equal(Da, Db)
    assert not np.array_equal(Ta, Tc)


def test_a_run_returns_the_best_state_it_visited(state):
    """The returned objective is the objective of the returned state (up to the warm-started fits
    inside the loop, at most three Newton steps from the last estimate: here 1e-4 of the OS upper
    bound, the margin the search keeps below each tolerance), and no worse than the start."""
    _, _, T0, D0 = state
    setting = reconstruct.annealing_setting(TG)
    objective = annealing.Objective(hold=1.0, os_ci=100.0)
    start = _evaluate(T0, D0, setting, objective).value
    T, D = T0.copy(), D0.copy()
    result = annealing.anneal(T, D, setting, objective, 5000, with_cox=True, seed=1)
    assert result.value <= start
    assert _evaluate(T, D, setting, objective).value == pytest.approx(result.value, abs=0.01)
