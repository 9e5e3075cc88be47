"""Compiled simulated annealing of the reconstruction's survival search (numba).

:class:`lcnec_utils.reconstruct.search.SurvivalSearch` anneals the synthetic cohort's
times and covariate placement in Python, one statistic call per move. This
module runs the same kind of search as one compiled loop: the same moves, the
same hard constraints (each arm's Kaplan-Meier medians and 12-month rates, PFS
<= OS), the statistics of :mod:`lcnec_utils.reconstruct.fastsurv`, and an objective
assembled from weighted pieces (:class:`Objective`). Without Python between the
moves an iteration costs a few microseconds plus its Cox fits, so the search's
hardest stage, placing both arm terms of the multivariable Cox models at once,
gets several times the iterations in the same time.

State: ``T`` (4 x n integers: PFS, PFS event, OS, OS event; times in tenths of
a month; the treatment arm's n1 patients first) and ``D`` (n x (1 + p): the arm
indicator, then the Cox covariates). Both are changed in place to the best
state found. :mod:`lcnec_utils.reconstruct.joint` sets it up and runs it for the committed
cohort.
"""

from __future__ import annotations

import math
from dataclasses import astuple, dataclass
from typing import NamedTuple

import numpy as np
from numba import njit

from lcnec_utils.reconstruct.fastsurv import (
    _arm_information,
    _cox_newton,
    _km_median_and_at,
    _median_ci_spss,
    _pooled_km_stats,
    arm_times_consistent,
)
from lcnec_utils.stats.normal import Z95

_LOG8 = math.log(8.0)

# metric vector M: what soft targets and holds read (joint maps a target's key to its index)
M_LOGRANK_Z = 0  # |log-rank z|, + endpoint (0 PFS, 1 OS)
M_FOLLOWUP = 2
M_MEDIAN_CI = 3  # + 4 * endpoint + 2 * arm (0 treatment, 1 reference) + (0 low, 1 high)
M_COX = 11  # + 4 * endpoint + (0 HR, 1 CI low, 2 CI high, 3 |z|)
M_BETA = 19  # + p * endpoint + covariate index (log HR of the covariate)


@dataclass(frozen=True)
class Objective:
    """Weights of one annealing objective's pieces (0 switches a piece off).

    * ``cost``: the search's usual cost, the soft targets of the :class:`Setting` plus the
      realism terms (as ``SurvivalSearch.cost``; with no soft target, the realism terms alone).
    * ``hold``: the Kaplan-Meier holds: log-rank p of both endpoints within 0.05 on the z scale
      of its target, the treatment arm ahead, median follow-up within 0.9 months, the symmetric
      median CIs within 0.9 of their tolerance.
    * ``info_pfs`` / ``info_os``: reward for the arm's unadjusted |z| at ``info_*_hr``
      (its information, ``fastsurv.arm_information``): times-only structure terms.
    * ``os_ci``: the OS arm term's upper 95% bound, minimised; ``os_hr_floor``: a wall
      (``os_hr_weight`` per unit) below its HR.
    * ``pfs_below``: a pull per unit of the PFS arm term's |z| below ``pfs_floor``;
      ``pfs_window``: a pull per unit of its HR outside [pfs_hr_lo, pfs_hr_hi].
    * ``beta_lin``: linear penalty for a covariate's |log HR| beyond log 8 in the fitted models.
    * ``keep_*``: bounds on the arm terms that decide which visited state a run returns (see
      :func:`_violation`); they do not enter the objective.
    """

    cost: float = 0.0
    hold: float = 0.0
    info_pfs: float = 0.0
    info_pfs_hr: float = 0.5
    info_os: float = 0.0
    info_os_hr: float = 0.5
    os_ci: float = 0.0
    os_hr_floor: float = 0.0
    os_hr_weight: float = 1e5
    pfs_floor: float = 0.0
    pfs_below: float = 0.0
    pfs_hr_lo: float = 0.0
    pfs_hr_hi: float = math.inf
    pfs_window: float = 0.0
    beta_lin: float = 0.0
    #: the arm terms' targets as bounds: the run returns the best state among those meeting them
    #: all, or failing that, the one violating them least (OS upper bound, OS HR, PFS |z|, PFS HR)
    keep_os_ci: float = math.inf
    keep_os_hr: float = 0.0
    keep_pfs_z: float = 0.0
    keep_pfs_hr_lo: float = 0.0

    def weights(self) -> np.ndarray:
        return np.array(astuple(self), float)


# indices into Objective.weights()
(
    _W_COST,
    _W_HOLD,
    _W_INFO_PFS,
    _INFO_PFS_HR,
    _W_INFO_OS,
    _INFO_OS_HR,
    _W_OS_CI,
    _OS_HR_FLOOR,
    _W_OS_HR,
    _PFS_FLOOR,
    _W_PFS_BELOW,
    _PFS_HR_LO,
    _PFS_HR_HI,
    _W_PFS_WINDOW,
    _W_BETA_LIN,
    _KEEP_OS_CI,
    _KEEP_OS_HR,
    _KEEP_PFS_Z,
    _KEEP_PFS_HR_LO,
) = range(19)

# per endpoint Kaplan-Meier side: signed log-rank z, Peto log HR, longest time, follow-up
# (OS only), alive patients sharing a follow-up time, pile-up, first-event lateness, info |z|
(_K_Z, _K_PETO, _K_LONGEST, _K_FU, _K_SAME, _K_PILEUP, _K_FIRST, _K_INFO_Z) = range(8)
# per endpoint Cox side: converged, max |covariate log HR|
(_C_OK, _C_MAXBETA) = range(2)


@dataclass(frozen=True)
class Setting:
    """What the compiled search needs to know about the cohort and the targets."""

    n1: int  # patients of the treatment arm (rows 0..n1-1)
    arm_targets: np.ndarray  # 2 x 4: PFS median, OS median (tenths), PFS rate, OS rate (%) per arm
    limits: np.ndarray  # min PFS, max PFS, max OS, landmark (tenths)
    ecog_column: int  # column of D holding ECOG (0/1 flips keep Table 2's "ECOG 2" count)
    realism: np.ndarray  # longest PFS, longest OS, first events PFS, OS (months) the realism terms aim at
    z_target: np.ndarray  # |log-rank z| targets, PFS and OS
    followup_target: float
    median_ci_tol: float
    hold_ci_id: np.ndarray  # metric ids of the symmetric median-CI bounds held
    hold_ci_target: np.ndarray
    soft_id: np.ndarray  # soft targets (``SurvivalSearch.soft``): metric id, target, tolerance, weight
    soft_target: np.ndarray
    soft_tol: np.ndarray
    soft_weight: np.ndarray


@njit(cache=True)
def _arm_ok(pfs, pfs_e, os_, os_e, arm_tg, limits, check_pfs, check_os):
    """One arm's hard constraints (times in tenths): PFS and OS consistent, and for the endpoints
    checked the Kaplan-Meier median exact and S(landmark) printing as the target rate (one
    decimal, clear of the rounding tie, as :func:`lcnec_utils.reconstruct.targets.matches_printed`)."""
    if not arm_times_consistent(pfs, pfs_e, os_, os_e, limits[0], limits[1], limits[2]):
        return False
    for ep in range(2):
        if (ep == 0 and not check_pfs) or (ep == 1 and not check_os):
            continue
        t, e = (pfs, pfs_e) if ep == 0 else (os_, os_e)
        med, at = _km_median_and_at(t.astype(np.float64), e.astype(np.float64), float(limits[3]))
        if med != arm_tg[ep]:
            return False
        if not abs(100.0 * at * 10.0 - round(arm_tg[2 + ep] * 10.0)) < 0.5 - 1e-6:
            return False
    return True


def arm_constraints_hold(
    pfs,
    pfs_e,
    os_,
    os_e,
    arm_targets: np.ndarray,
    limits: np.ndarray,
    check_pfs: bool = True,
    check_os: bool = True,
) -> bool:
    """:func:`_arm_ok` for one arm's integer arrays: ``arm_targets`` a row of
    ``Setting.arm_targets``, ``limits`` as ``Setting.limits``. The Python search's check too, so
    both searches keep the same hard constraints."""
    return bool(_arm_ok(pfs, pfs_e, os_, os_e, arm_targets, limits, check_pfs, check_os))


@njit(cache=True)
def _km_side(T, g, ep, realism, fu_target, W, K, M):
    """One endpoint's pooled Kaplan-Meier side into ``K`` and ``M``: log-rank, follow-up (OS),
    the realism counts, and the arm's information if the objective reads it."""
    t = T[2 * ep].astype(np.float64) / 10.0
    e = T[2 * ep + 1].astype(np.float64)
    oe, v, longest, fu, srev_last, same, heap, pairs, first1, first0 = _pooled_km_stats(t, e, g)
    z = oe / math.sqrt(v)
    K[ep, _K_Z] = z
    K[ep, _K_PETO] = oe / v
    K[ep, _K_LONGEST] = longest
    M[M_LOGRANK_Z + ep] = abs(z)
    if ep == 1:
        if not math.isfinite(fu):
            fu = fu_target + 10.0 + 40.0 * ((srev_last - 0.5) if math.isfinite(srev_last) else 1.0)
        K[ep, _K_FU] = fu
        K[ep, _K_SAME] = same
        M[M_FOLLOWUP] = fu
    K[ep, _K_PILEUP] = 3.0 * heap + 0.3 * pairs
    fe = realism[2 + ep]
    K[ep, _K_FIRST] = max(0.0, first1 - fe) + max(0.0, first0 - fe)
    w, hr = (W[_W_INFO_PFS], W[_INFO_PFS_HR]) if ep == 0 else (W[_W_INFO_OS], W[_INFO_OS_HR])
    if w != 0.0:
        K[ep, _K_INFO_Z] = abs(math.log(hr)) * math.sqrt(_arm_information(t, e, g, hr))


@njit(cache=True)
def _arm_side(T, ep, arm, lo, hi, M):
    """One arm's SPSS median CI of one endpoint into ``M``."""
    t = T[2 * ep, lo:hi].astype(np.float64) / 10.0
    e = T[2 * ep + 1, lo:hi].astype(np.float64)
    _, low, high = _median_ci_spss(t, e, Z95, 0.05)
    M[M_MEDIAN_CI + 4 * ep + 2 * arm] = low
    M[M_MEDIAN_CI + 4 * ep + 2 * arm + 1] = high


@njit(cache=True)
def _cox_side(T, D, ep, beta, warm, C, M):
    """Cox fit of one endpoint (Efron), warm-started from ``beta`` (updated in place)."""
    n, q = D.shape
    t = T[2 * ep].astype(np.float64) / 10.0
    order = np.argsort(t, kind="mergesort")
    ts = np.empty(n)
    es = np.empty(n)
    Ds = np.empty((n, q))
    for k in range(n):
        ts[k] = t[order[k]]
        es[k] = T[2 * ep + 1, order[k]]
        Ds[k] = D[order[k]]
    if warm:
        b, se, ok = _cox_newton(ts, es, Ds, beta, 3, 1e-9, False)
        if not ok:
            b, se, ok = _cox_newton(ts, es, Ds, np.zeros(q), 30, 1e-9, True)
    else:
        b, se, ok = _cox_newton(ts, es, Ds, np.zeros(q), 30, 1e-9, True)
    ok = ok and np.all(np.isfinite(se)) and se[0] > 0
    p = q - 1
    big = 0.0
    for k in range(1, q):
        big = max(big, abs(b[k]))
    C[ep, _C_OK] = 1.0 if ok else 0.0
    C[ep, _C_MAXBETA] = big
    base = M_COX + 4 * ep
    if ok:
        M[base] = math.exp(b[0])
        M[base + 1] = math.exp(b[0] - Z95 * se[0])
        M[base + 2] = math.exp(b[0] + Z95 * se[0])
        M[base + 3] = abs(b[0] / se[0])
        for k in range(p):
            M[M_BETA + p * ep + k] = b[k + 1]
    else:
        for k in range(4):
            M[base + k] = np.nan
        for k in range(p):
            M[M_BETA + p * ep + k] = np.nan
    beta[:] = b


@njit(cache=True)
def _cost(M, K, C, with_cox, realism, soft_id, soft_target, soft_tol, soft_weight):
    """``Objective.cost``'s piece: the soft targets (quadratic inside the tolerance, steeper linear
    growth outside it) and the realism terms, as ``SurvivalSearch.cost``."""
    s = 0.0
    for k in range(soft_id.size):
        mid = soft_id[k]
        if not with_cox and mid >= M_COX:
            continue
        v = M[mid]
        if not math.isfinite(v):
            s += 100.0 * soft_weight[k]
            continue
        x = abs(v - soft_target[k]) / soft_tol[k]
        s += soft_weight[k] * (x * x if x <= 1.0 else 4.0 * x - 3.0)
    s += (max(0.0, realism[0] - K[0, _K_LONGEST]) / 2.0) ** 2
    s += (max(0.0, realism[1] - K[1, _K_LONGEST]) / 2.0) ** 2
    s += 0.5 * K[1, _K_SAME] + K[0, _K_PILEUP] + K[1, _K_PILEUP]
    s += (K[0, _K_FIRST] ** 2 + K[1, _K_FIRST] ** 2) / 4.0
    s += 1e3 * (max(0.0, K[0, _K_Z]) + max(0.0, K[1, _K_Z]))
    if with_cox:
        for ep in range(2):
            if C[ep, _C_OK] == 0.0:
                s += 1e4
                continue
            shift = abs(math.log(M[M_COX + 4 * ep]) - K[ep, _K_PETO])
            s += 10.0 * max(0.0, shift - 0.35) ** 2
            s += 50.0 * max(0.0, C[ep, _C_MAXBETA] - _LOG8) ** 2
    return s


@njit(cache=True)
def _hold(M, K, z_target, fu_target, ci_tol, hold_ci_id, hold_ci_target):
    """``Objective.hold``'s piece: log-rank |z| within 0.05 of its target and the treatment arm
    ahead, follow-up within 0.9 months, the held median-CI bounds within 0.9 of their tolerance."""
    h = 0.0
    for ep in range(2):
        h += 200.0 * max(0.0, abs(abs(K[ep, _K_Z]) - z_target[ep]) - 0.05)
        h += 1e3 * max(0.0, K[ep, _K_Z])
    h += 50.0 * max(0.0, abs(K[1, _K_FU] - fu_target) - 0.9)
    for k in range(hold_ci_id.size):
        got = M[hold_ci_id[k]]
        h += 50.0 * max(0.0, abs(got - hold_ci_target[k]) - 0.9 * ci_tol) if math.isfinite(got) else 100.0
    return h


@njit(cache=True)
def _add_arm_terms(c, M, C, W, cox_use):
    """``c`` plus the pieces on the Cox fits' arm terms and covariates (``os_ci``, the OS HR wall,
    the PFS pulls, ``beta_lin``); 1e9 if a fit they read failed."""
    if W[_W_OS_CI] != 0.0 or W[_OS_HR_FLOOR] > 0.0:
        if C[1, _C_OK] == 0.0:
            return 1e9
        c += W[_W_OS_CI] * M[M_COX + 4 + 2]
        c += W[_W_OS_HR] * max(0.0, W[_OS_HR_FLOOR] - M[M_COX + 4])
    if W[_W_PFS_BELOW] != 0.0 or W[_W_PFS_WINDOW] != 0.0:
        if C[0, _C_OK] == 0.0:
            return 1e9
        z = M[M_COX + 3]
        hr = M[M_COX]
        c += W[_W_PFS_BELOW] * max(0.0, W[_PFS_FLOOR] - z)
        c += W[_W_PFS_WINDOW] * (max(0.0, W[_PFS_HR_LO] - hr) + max(0.0, hr - W[_PFS_HR_HI]))
    if W[_W_BETA_LIN] != 0.0:
        for ep in range(2):
            if cox_use[ep]:
                c += W[_W_BETA_LIN] * max(0.0, C[ep, _C_MAXBETA] - _LOG8)
    return c


@njit(cache=True)
def _objective(
    M,
    K,
    C,
    W,
    with_cox,
    cox_use,
    realism,
    z_target,
    fu_target,
    ci_tol,
    hold_ci_id,
    hold_ci_target,
    soft_id,
    soft_target,
    soft_tol,
    soft_weight,
):
    """The objective of a state from its metrics (``M``), Kaplan-Meier side (``K``) and Cox side
    (``C``), weighted by ``W`` (:meth:`Objective.weights`)."""
    c = 0.0
    if W[_W_COST] != 0.0:
        c += W[_W_COST] * _cost(M, K, C, with_cox, realism, soft_id, soft_target, soft_tol, soft_weight)
    if W[_W_HOLD] != 0.0:
        c += W[_W_HOLD] * _hold(M, K, z_target, fu_target, ci_tol, hold_ci_id, hold_ci_target)
    if W[_W_INFO_PFS] != 0.0:
        c -= W[_W_INFO_PFS] * K[0, _K_INFO_Z]
    if W[_W_INFO_OS] != 0.0:
        c -= W[_W_INFO_OS] * K[1, _K_INFO_Z]
    if with_cox:
        c = _add_arm_terms(c, M, C, W, cox_use)
    return c


@njit(cache=True)
def _violation(M, W, with_cox):
    """How far a state is from the ``keep_*`` bounds (0: meets them all)."""
    if not with_cox:
        return 0.0
    v = 0.0
    if math.isfinite(W[_KEEP_OS_CI]) or W[_KEEP_OS_HR] > 0.0:
        ci = M[M_COX + 4 + 2]
        hr = M[M_COX + 4]
        if not (math.isfinite(ci) and math.isfinite(hr)):
            return math.inf
        v += max(0.0, ci - W[_KEEP_OS_CI]) + max(0.0, W[_KEEP_OS_HR] - hr)
    if W[_KEEP_PFS_Z] > 0.0 or W[_KEEP_PFS_HR_LO] > 0.0:
        z = M[M_COX + 3]
        hr = M[M_COX]
        if not (math.isfinite(z) and math.isfinite(hr)):
            return math.inf
        v += max(0.0, W[_KEEP_PFS_Z] - z) + max(0.0, W[_KEEP_PFS_HR_LO] - hr)
    return v


@njit(cache=True)
def _anneal(  # noqa: C901 (one compiled loop, see the docstring)
    T,
    D,
    n1,
    arm_tg,
    limits,
    ecog_col,
    realism,
    z_target,
    fu_target,
    ci_tol,
    hold_ci_id,
    hold_ci_target,
    soft_id,
    soft_target,
    soft_tol,
    soft_weight,
    W,
    with_cox,
    cox_use,
    beta,
    iterations,
    temp0,
    temp1,
    p_time,
    p_structural,
    seed,
):
    """The loop behind :func:`anneal`, on :class:`Setting`'s fields and the run's options: returns
    (objective, violation) of the state it leaves in ``T`` and ``D``. The one function over 80
    lines: splitting a numba loop into calls costs speed, and its moves share state (the arm,
    the saved columns a rejected move restores)."""
    np.random.seed(seed)
    n, q = D.shape
    p = q - 1
    g = D[:, 0].copy()
    bounds = np.array([0, n1, n])
    K = np.zeros((2, 8))
    C = np.zeros((2, 2))
    M = np.full(M_BETA + 2 * p, np.nan)
    for ep in range(2):
        _km_side(T, g, ep, realism, fu_target, W, K, M)
        for arm in range(2):
            _arm_side(T, ep, arm, bounds[arm], bounds[arm + 1], M)
    warm = np.zeros(2, np.bool_)
    if with_cox:
        for ep in range(2):
            _cox_side(T, D, ep, beta[ep], False, C, M)
            warm[ep] = True
    args = (
        realism,
        z_target,
        fu_target,
        ci_tol,
        hold_ci_id,
        hold_ci_target,
        soft_id,
        soft_target,
        soft_tol,
        soft_weight,
    )
    cur = _objective(M, K, C, W, with_cox, cox_use, *args)
    best = cur
    best_viol = _violation(M, W, with_cox)
    bestT = T.copy()
    bestD = D.copy()
    Tb = T.copy()
    Db = D.copy()
    Kn = K.copy()
    Cn = C.copy()
    Mn = M.copy()
    bn = beta.copy()
    tenth_min_pfs = limits[0]
    max_os = limits[2]
    for it in range(iterations):
        temp = temp0 * (temp1 / temp0) ** (it / max(iterations - 1, 1))
        arm = np.random.randint(2)
        lo = bounds[arm]
        size = bounds[arm + 1] - lo
        ch_pfs = False
        ch_os = False
        cox_all = False  # covariates or outcome pairing changed: both fits, no Kaplan-Meier side
        touched_D = False
        validate = True
        Tb[:, lo : lo + size] = T[:, lo : lo + size]
        if p_structural > 0.0 and np.random.random() < p_structural:
            u = np.random.random()
            i = lo + np.random.randint(size)
            if u < 0.35:  # jump: one time anywhere in its range
                if T[1, i] == 0:
                    t = np.random.randint(tenth_min_pfs, max_os + 1)
                    T[0, i] = t
                    T[2, i] = t
                    ch_pfs = ch_os = True
                elif np.random.random() < 0.5:
                    T[0, i] = np.random.randint(tenth_min_pfs, T[2, i] + 1)
                    ch_pfs = True
                else:
                    T[2, i] = np.random.randint(T[0, i], max_os + 1)
                    ch_os = True
            elif u < 0.85:
                k = lo + np.random.randint(size - 1)
                if k >= i:
                    k += 1
                if u < 0.6:  # outcome swap: the arm's curves stay, the pairing with covariates changes
                    for r in range(4):
                        x = T[r, i]
                        T[r, i] = T[r, k]
                        T[r, k] = x
                    cox_all = True
                    validate = False
                else:  # progression swap between two progressed patients
                    if not (T[1, i] and T[1, k]) or T[0, i] > T[2, k] or T[0, k] > T[2, i]:
                        continue
                    x = T[0, i]
                    T[0, i] = T[0, k]
                    T[0, k] = x
                    ch_pfs = True
                    validate = False
            else:  # a patient alive at the cut-off gains or loses a recorded progression
                n_alive = 0
                for j in range(lo, lo + size):
                    if T[3, j] == 0:
                        n_alive += 1
                if n_alive == 0:
                    continue
                pick = np.random.randint(n_alive)
                i = -1
                for j in range(lo, lo + size):
                    if T[3, j] == 0:
                        if pick == 0:
                            i = j
                            break
                        pick -= 1
                if T[1, i]:
                    T[0, i] = T[2, i]
                    T[1, i] = 0
                elif T[2, i] > tenth_min_pfs:
                    T[0, i] = np.random.randint(tenth_min_pfs, T[2, i])
                    T[1, i] = 1
                else:
                    continue
                ch_pfs = True
        elif not with_cox or np.random.random() < p_time:
            i = lo + np.random.randint(size)
            step = np.random.randint(1, 30 if np.random.random() < 0.8 else 120)
            delta = step if np.random.random() < 0.5 else -step
            if T[1, i] == 0:
                T[0, i] += delta
                T[2, i] += delta
                ch_pfs = ch_os = True
            elif np.random.random() < 0.5:
                T[0, i] += delta
                ch_pfs = True
            else:
                T[2, i] += delta
                ch_os = True
        else:  # covariate move: a swap within the arm, or ECOG 0 <-> 1
            j = 1 + np.random.randint(p)
            i = lo + np.random.randint(size)
            k = lo + np.random.randint(size - 1)
            if k >= i:
                k += 1
            Db[i, j] = D[i, j]
            Db[k, j] = D[k, j]
            if j == ecog_col and np.random.random() < 0.3 and D[i, j] < 2:
                D[i, j] = 1.0 - D[i, j]
            else:
                if D[i, j] == D[k, j]:
                    continue
                x = D[i, j]
                D[i, j] = D[k, j]
                D[k, j] = x
            touched_D = True
            cox_all = True
            validate = False
        hi = lo + size
        if validate and not _arm_ok(
            T[0, lo:hi], T[1, lo:hi], T[2, lo:hi], T[3, lo:hi], arm_tg[arm], limits, ch_pfs, ch_os
        ):
            T[:, lo : lo + size] = Tb[:, lo : lo + size]
            continue
        Kn[:, :] = K
        Cn[:, :] = C
        Mn[:] = M
        bn[:, :] = beta
        for ep in range(2):
            if (ep == 0 and ch_pfs) or (ep == 1 and ch_os):
                _km_side(T, g, ep, realism, fu_target, W, Kn, Mn)
                _arm_side(T, ep, arm, lo, lo + size, Mn)
                if with_cox and cox_use[ep]:
                    _cox_side(T, D, ep, bn[ep], warm[ep], Cn, Mn)
            elif cox_all and with_cox and cox_use[ep]:
                _cox_side(T, D, ep, bn[ep], warm[ep], Cn, Mn)
        c = _objective(Mn, Kn, Cn, W, with_cox, cox_use, *args)
        if c <= cur or np.random.random() < math.exp(-(c - cur) / temp):
            cur = c
            K[:, :] = Kn
            C[:, :] = Cn
            M[:] = Mn
            beta[:, :] = bn
            viol = _violation(M, W, with_cox)
            if viol < best_viol or (viol == best_viol and c < best):
                best = c
                best_viol = viol
                bestT[:, :] = T
                bestD[:, :] = D
        else:
            T[:, lo : lo + size] = Tb[:, lo : lo + size]
            if touched_D:
                D[i, j] = Db[i, j]
                D[k, j] = Db[k, j]
    T[:, :] = bestT
    D[:, :] = bestD
    return best, best_viol


class Result(NamedTuple):
    """The state a run returned: its objective, and how far it is from the ``keep_*`` bounds."""

    value: float
    violation: float


def anneal(
    T: np.ndarray,
    D: np.ndarray,
    setting: Setting,
    objective: Objective,
    iterations: int,
    *,
    with_cox: bool,
    cox_use=(True, True),
    p_time: float = 0.6,
    p_structural: float = 0.1,
    temp0: float = 0.3,
    temp1: float = 0.003,
    seed: int = 0,
) -> Result:
    """Simulated annealing of ``objective`` over the times ``T`` and covariates ``D``, changed in
    place to the best state visited: the lowest objective among the states nearest to the
    objective's ``keep_*`` bounds (all states, if it sets none). Moves: with probability
    ``p_structural`` a jump, outcome swap, progression swap or progression toggle (as
    ``SurvivalSearch.structural_move``), else a time step with probability ``p_time`` (always
    without Cox fits) and a covariate swap otherwise. ``cox_use``: the fits refreshed after a
    move (PFS, OS). Geometric cooling from ``temp0`` to ``temp1``; ``seed`` fixes numba's
    random stream, so a run is reproducible."""
    s = setting
    beta = np.zeros((2, D.shape[1]))
    return Result(
        *_anneal(
            T,
            D,
            s.n1,
            s.arm_targets,
            s.limits,
            s.ecog_column,
            s.realism,
            s.z_target,
            float(s.followup_target),
            float(s.median_ci_tol),
            s.hold_ci_id,
            s.hold_ci_target,
            s.soft_id,
            s.soft_target,
            s.soft_tol,
            s.soft_weight,
            objective.weights(),
            bool(with_cox),
            np.array(cox_use, np.bool_),
            beta,
            int(iterations),
            float(temp0),
            float(temp1),
            float(p_time),
            float(p_structural),
            int(seed),
        )
    )
