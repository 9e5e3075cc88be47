"""Compiled simulated annealing of the reconstruction's survival search (numba).

:class:`lcnec_utils.reconstruct.search.SurvivalSearch` anneals the synthetic cohort's
times and covariate placement in Python, one statistic call per move. This
module runs the same kind of search as one compiled loop: the same moves, the
same hard constraints (each arm's Kaplan-Meier medians and 12-month rates, PFS
<= OS, the plausibility limits), the statistics of
:mod:`lcnec_utils.reconstruct.fastsurv`, and an objective assembled from weighted
pieces (:mod:`lcnec_utils.reconstruct.objective`). Without Python between the moves an
iteration costs a few microseconds plus its Cox fits, so the search's hardest
stages, the arm terms and Table 4's terms of the multivariable Cox models at once,
get several times the iterations in the same time.

State: ``T`` (4 x n integers: PFS, PFS event, OS, OS event; times in tenths of
a month; the treatment arm's n1 patients first) and ``D`` (n x (1 + p): the arm
indicator, then the Cox covariates). Both are changed in place to the best
state found. :mod:`lcnec_utils.reconstruct.joint` sets it up and runs it for the committed
cohort.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numba import njit

from lcnec_utils.reconstruct.fastsurv import (
    _arm_information,
    _arm_only_tests,
    _cox_newton,
    _km_table,
    _median_ci_spss,
    _median_index,
    _p_gap,
    _pooled_km_stats,
    arm_times_consistent,
)
from lcnec_utils.reconstruct.objective import (
    C_MAXBETA,
    C_OK,
    INFO_OS_HR,
    INFO_PFS_HR,
    K_FIRST,
    K_FU,
    K_GAP,
    K_INFO_Z,
    K_LONGEST,
    K_PETO,
    K_PILEUP,
    K_SAME,
    K_SIZE,
    K_Z,
    M_BETA,
    M_COX,
    M_FOLLOWUP,
    M_LOGRANK_Z,
    M_MEDIAN_CI,
    W_INFO_OS,
    W_INFO_PFS,
    Objective,
    Targets,
    metric_size,
    needs_gap,
    objective_value,
    term_metric,
    violation,
)
from lcnec_utils.stats.normal import Z95

# the arm's hard limits as the compiled check reads them (``Setting.limits``), in this order
(
    L_MIN_PFS,
    L_MAX_PFS,
    L_MAX_OS,
    L_LANDMARK,
    L_MAX_TIED,
    L_DWP_MIN,
    L_DWP_MAX_PERMILLE,
    L_TAIL_PFS,
    L_TAIL_OS,
    L_MAX_TIED_TIMES,
    L_MAX_TIED_TIMES_POOLED,
) = range(11)


@dataclass(frozen=True)
class Setting:
    """What the compiled search needs to know about the cohort and the targets."""

    n1: int  # patients of the treatment arm (rows 0..n1-1)
    arm_targets: np.ndarray  # 2 x 4: PFS median, OS median (tenths), PFS rate, OS rate (%) per arm
    limits: np.ndarray  # an arm's hard limits, indexed by the L_* constants
    ecog_column: int  # column of D holding ECOG (0/1 flips keep Table 2's "ECOG >= 2" count)
    ecog_max: int  # the highest score of the "ECOG >= 2" class (2: all are 2; 3: 2 <-> 3 flips)
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
    win_id: np.ndarray  # window targets (Table 4's terms): metric id, low, high, scale
    win_lo: np.ndarray
    win_hi: np.ndarray
    win_scale: np.ndarray
    gap_bound: float  # the largest gap between the arm-only log-rank, Wald and score p-values

    def targets(self) -> Targets:
        return Targets(
            self.realism,
            self.z_target,
            float(self.followup_target),
            float(self.median_ci_tol),
            self.hold_ci_id,
            self.hold_ci_target,
            self.soft_id,
            self.soft_target,
            self.soft_tol,
            self.soft_weight,
            self.win_id,
            self.win_lo,
            self.win_hi,
            self.win_scale,
            float(self.gap_bound),
        )


@njit(cache=True)
def _endpoint_ok(t, e, median, rate, limits, tail_censored):
    """One arm's endpoint against its targets and plausibility limits (times in tenths): the
    Kaplan-Meier median exact, S(landmark) printing as ``rate`` (one decimal, clear of the
    rounding tie, as :func:`lcnec_utils.reconstruct.targets.matches_printed`), at most
    ``limits[L_MAX_TIED]`` events at one time, at most ``limits[L_MAX_TIED_TIMES]`` times shared
    by two or more events, and (if ``tail_censored``) a curve that ends above 0."""
    ut, _, dd, s = _km_table(t.astype(np.float64), e.astype(np.float64))
    k = _median_index(s)
    if k < 0 or ut[k] != median:
        return False
    at = 1.0
    shared = 0
    for r in range(ut.size):
        if ut[r] <= limits[L_LANDMARK]:
            at = s[r]
        if dd[r] > limits[L_MAX_TIED]:
            return False
        if dd[r] >= 2:
            shared += 1
    if shared > limits[L_MAX_TIED_TIMES]:
        return False
    if not abs(100.0 * at * 10.0 - round(rate * 10.0)) < 0.5 - 1e-6:
        return False
    return not (tail_censored and s.size > 0 and s[s.size - 1] <= 0.0)


@njit(cache=True)
def _deaths_without_progression_ok(pfs, pfs_e, os_, os_e, limits):
    """At least ``limits[L_DWP_MIN]`` deaths without progression (a PFS event at the death) in the
    arm, and at most ``limits[L_DWP_MAX_PERMILLE]`` per mille of its PFS events."""
    events = 0
    deaths = 0
    for i in range(pfs.size):
        if pfs_e[i]:
            events += 1
            if os_e[i] and pfs[i] == os_[i]:
                deaths += 1
    return deaths >= limits[L_DWP_MIN] and 1000 * deaths <= limits[L_DWP_MAX_PERMILLE] * events


@njit(cache=True)
def _arm_ok(pfs, pfs_e, os_, os_e, arm_tg, limits, check_pfs, check_os):
    """One arm's hard constraints (times in tenths): PFS and OS consistent, the deaths without
    progression within their limits, and for the endpoints checked the Kaplan-Meier targets and
    plausibility limits of :func:`_endpoint_ok`."""
    if not arm_times_consistent(
        pfs, pfs_e, os_, os_e, limits[L_MIN_PFS], limits[L_MAX_PFS], limits[L_MAX_OS]
    ):
        return False
    if not _deaths_without_progression_ok(pfs, pfs_e, os_, os_e, limits):
        return False
    if check_pfs and not _endpoint_ok(pfs, pfs_e, arm_tg[0], arm_tg[2], limits, limits[L_TAIL_PFS] != 0):
        return False
    return not (
        check_os and not _endpoint_ok(os_, os_e, arm_tg[1], arm_tg[3], limits, limits[L_TAIL_OS] != 0)
    )


@njit(cache=True)
def tied_times_pooled(t, e):
    """How many times (tenths) are shared by two or more events of both arms together."""
    times = np.sort(t[e > 0])
    shared = 0
    r = 0
    while r < times.size:
        k = r
        while k + 1 < times.size and times[k + 1] == times[r]:
            k += 1
        if k > r:
            shared += 1
        r = k + 1
    return shared


@njit(cache=True)
def pooled_ties_ok(T, ch_pfs, ch_os, before, after, limit):
    """Both arms' events of each changed endpoint (PFS, OS) share at most ``limit`` times, or
    (a start that breaks the limit) no more than ``before`` did; the counts go to ``after``."""
    for ep in range(2):
        if (ep == 0 and ch_pfs) or (ep == 1 and ch_os):
            after[ep] = tied_times_pooled(T[2 * ep], T[2 * ep + 1])
            if after[ep] > limit and after[ep] > before[ep]:
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
    both searches keep the same per-arm constraints (and each holds the limit on times both arms'
    events share: :func:`tied_times_pooled`)."""
    return bool(_arm_ok(pfs, pfs_e, os_, os_e, arm_targets, limits, check_pfs, check_os))


@njit(cache=True)
def _km_side(T, g, ep, realism, fu_target, W, K, M):
    """One endpoint's pooled Kaplan-Meier side into ``K`` and ``M``: log-rank, follow-up (OS),
    the realism counts, the arm's information if the objective reads it, and the gap between
    the arm-only tests' p-values if it reads that."""
    t = T[2 * ep].astype(np.float64) / 10.0
    e = T[2 * ep + 1].astype(np.float64)
    oe, v, longest, fu, srev_last, same, heap, pairs, first1, first0 = _pooled_km_stats(t, e, g)
    z = oe / math.sqrt(v)
    K[ep, K_Z] = z
    K[ep, K_PETO] = oe / v
    K[ep, K_LONGEST] = longest
    M[M_LOGRANK_Z + ep] = abs(z)
    if ep == 1:
        if not math.isfinite(fu):
            fu = fu_target + 10.0 + 40.0 * ((srev_last - 0.5) if math.isfinite(srev_last) else 1.0)
        K[ep, K_FU] = fu
        K[ep, K_SAME] = same
        M[M_FOLLOWUP] = fu
    K[ep, K_PILEUP] = 3.0 * heap + 0.3 * pairs
    fe = realism[2 + ep]
    K[ep, K_FIRST] = max(0.0, first1 - fe) + max(0.0, first0 - fe)
    w, hr = (W[W_INFO_PFS], W[INFO_PFS_HR]) if ep == 0 else (W[W_INFO_OS], W[INFO_OS_HR])
    if w != 0.0:
        K[ep, K_INFO_Z] = abs(math.log(hr)) * math.sqrt(_arm_information(t, e, g, hr))
    if needs_gap(W):
        z_wald, z_score = _arm_only_tests(t, e, g)
        K[ep, K_GAP] = _p_gap(z, z_wald, z_score)


@njit(cache=True)
def _arm_side(T, ep, arm, lo, hi, M):
    """One arm's SPSS median CI of one endpoint into ``M``."""
    t = T[2 * ep, lo:hi].astype(np.float64) / 10.0
    e = T[2 * ep + 1, lo:hi].astype(np.float64)
    _, low, high = _median_ci_spss(t, e, Z95, 0.05)
    M[M_MEDIAN_CI + 4 * ep + 2 * arm] = low
    M[M_MEDIAN_CI + 4 * ep + 2 * arm + 1] = high


@njit(cache=True)
def _cox_side(T, D, ep, beta, warm, C, M, warm_iterations=3, warm_converged=False):
    """Cox fit of one endpoint (Efron), warm-started from ``beta`` (updated in place; at most
    ``warm_iterations`` Newton-Raphson steps from it, converged within them if ``warm_converged``,
    else a fit from 0 that must converge): every term's HR, Wald CI and |z| into ``M``."""
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
        b, se, ok = _cox_newton(ts, es, Ds, beta, warm_iterations, 1e-9, warm_converged)
        if not ok:
            b, se, ok = _cox_newton(ts, es, Ds, np.zeros(q), 30, 1e-9, True)
    else:
        b, se, ok = _cox_newton(ts, es, Ds, np.zeros(q), 30, 1e-9, True)
    ok = ok and np.all(np.isfinite(se)) and np.all(se > 0)
    p = q - 1
    big = 0.0
    for k in range(1, q):
        big = max(big, abs(b[k]))
    C[ep, C_OK] = 1.0 if ok else 0.0
    C[ep, C_MAXBETA] = big
    for k in range(q):
        base = M_COX + 4 * ep if k == 0 else term_metric(ep, k - 1, 0, p)
        if ok:
            M[base] = math.exp(b[k])
            M[base + 1] = math.exp(b[k] - Z95 * se[k])
            M[base + 2] = math.exp(b[k] + Z95 * se[k])
            M[base + 3] = abs(b[k] / se[k])
        else:
            for s in range(4):
                M[base + s] = np.nan
        if k > 0:
            M[M_BETA + p * ep + k - 1] = b[k] if ok else np.nan
    beta[:] = b


@njit(cache=True)
def _moves_together(T, i):
    """Whether patient ``i``'s PFS is their OS time (alive without progression, or a death
    without progression): a time move shifts both."""
    return T[1, i] == 0 or (T[3, i] == 1 and T[0, i] == T[2, i])


@njit(cache=True)
def _toggle(T, lo, size, min_pfs):
    """A patient's progression toggled: an alive patient gains or loses a recorded progression,
    a dead one's PFS event becomes the death (no progression) or a progression before it.
    Returns False if the drawn patient allows neither."""
    i = lo + np.random.randint(size)
    if T[3, i] == 0:
        if T[1, i]:
            T[0, i] = T[2, i]
            T[1, i] = 0
            return True
    elif T[0, i] != T[2, i]:
        T[0, i] = T[2, i]
        return True
    if T[2, i] > min_pfs:
        T[0, i] = np.random.randint(min_pfs, T[2, i])
        T[1, i] = 1
        return True
    return False


@njit(cache=True)
def _anneal(  # noqa: C901 (one compiled loop, see the docstring)
    T,
    D,
    n1,
    arm_tg,
    limits,
    ecog_col,
    ecog_max,
    tg,
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
    """The loop behind :func:`anneal`, on :class:`Setting`'s fields (``tg`` its
    :class:`~lcnec_utils.reconstruct.objective.Targets`) and the run's options: returns
    (objective, violation) of the state it leaves in ``T`` and ``D``. The one function over 80
    lines: splitting a numba loop into calls costs speed, and its moves share state (the arm,
    the saved columns a rejected move restores)."""
    np.random.seed(seed)
    n, q = D.shape
    p = q - 1
    g = D[:, 0].copy()
    bounds = np.array([0, n1, n])
    K = np.zeros((2, K_SIZE))
    C = np.zeros((2, 2))
    M = np.full(metric_size(p), np.nan)
    for ep in range(2):
        _km_side(T, g, ep, tg.realism, tg.fu_target, W, K, M)
        for arm in range(2):
            _arm_side(T, ep, arm, bounds[arm], bounds[arm + 1], M)
    warm = np.zeros(2, np.bool_)
    if with_cox:
        for ep in range(2):
            _cox_side(T, D, ep, beta[ep], False, C, M)
            warm[ep] = True
    cur = objective_value(M, K, C, W, with_cox, cox_use, tg)
    best = cur
    best_viol = violation(M, K, W, with_cox, tg)
    bestT = T.copy()
    bestD = D.copy()
    Tb = T.copy()
    Db = D.copy()
    Kn = K.copy()
    Cn = C.copy()
    Mn = M.copy()
    bn = beta.copy()
    tenth_min_pfs = limits[L_MIN_PFS]
    max_os = limits[L_MAX_OS]
    pooled = np.array([tied_times_pooled(T[0], T[1]), tied_times_pooled(T[2], T[3])])
    pooled_new = pooled.copy()
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
                if _moves_together(T, i):
                    t = np.random.randint(tenth_min_pfs, max_os + 1)
                    T[0, i] = t
                    T[2, i] = t
                    ch_pfs = ch_os = True
                elif np.random.random() < 0.5:
                    if T[2, i] <= tenth_min_pfs:
                        continue
                    T[0, i] = np.random.randint(tenth_min_pfs, T[2, i])
                    ch_pfs = True
                else:
                    if T[0, i] >= max_os:
                        continue
                    T[2, i] = np.random.randint(T[0, i] + 1, max_os + 1)
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
                    if (
                        not (T[1, i] and T[1, k])
                        or _moves_together(T, i)
                        or _moves_together(T, k)
                        or T[0, i] >= T[2, k]
                        or T[0, k] >= T[2, i]
                    ):
                        continue
                    x = T[0, i]
                    T[0, i] = T[0, k]
                    T[0, k] = x
                    ch_pfs = True
                    validate = False
            else:  # a progression toggled (alive: recorded or not; dead: before or at the death)
                if not _toggle(T, lo, size, tenth_min_pfs):
                    continue
                ch_pfs = True
        elif not with_cox or np.random.random() < p_time:
            i = lo + np.random.randint(size)
            step = np.random.randint(1, 30 if np.random.random() < 0.8 else 120)
            delta = step if np.random.random() < 0.5 else -step
            if _moves_together(T, i):
                T[0, i] += delta
                T[2, i] += delta
                ch_pfs = ch_os = True
            elif np.random.random() < 0.5:
                T[0, i] += delta
                ch_pfs = True
            else:
                T[2, i] += delta
                ch_os = True
            if T[3, i] and T[1, i] and T[0, i] == T[2, i] and not (ch_pfs and ch_os):
                T[:, lo : lo + size] = Tb[:, lo : lo + size]  # a progression may not land on the death
                continue
        else:  # covariate move: a swap within the arm, or ECOG 0 <-> 1
            j = 1 + np.random.randint(p)
            i = lo + np.random.randint(size)
            k = lo + np.random.randint(size - 1)
            if k >= i:
                k += 1
            Db[i, j] = D[i, j]
            Db[k, j] = D[k, j]
            if j == ecog_col and np.random.random() < 0.3:  # ECOG within its Table 2 class
                if D[i, j] < 2:
                    D[i, j] = 1.0 - D[i, j]
                elif ecog_max > 2:
                    D[i, j] = 2.0 + ecog_max - D[i, j]
                else:
                    continue
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
        pooled_new[:] = pooled
        if validate and not (
            _arm_ok(T[0, lo:hi], T[1, lo:hi], T[2, lo:hi], T[3, lo:hi], arm_tg[arm], limits, ch_pfs, ch_os)
            and pooled_ties_ok(T, ch_pfs, ch_os, pooled, pooled_new, limits[L_MAX_TIED_TIMES_POOLED])
        ):
            T[:, lo : lo + size] = Tb[:, lo : lo + size]
            continue
        Kn[:, :] = K
        Cn[:, :] = C
        Mn[:] = M
        bn[:, :] = beta
        for ep in range(2):
            if (ep == 0 and ch_pfs) or (ep == 1 and ch_os):
                _km_side(T, g, ep, tg.realism, tg.fu_target, W, Kn, Mn)
                _arm_side(T, ep, arm, lo, lo + size, Mn)
                if with_cox and cox_use[ep]:
                    _cox_side(T, D, ep, bn[ep], warm[ep], Cn, Mn)
            elif cox_all and with_cox and cox_use[ep]:
                _cox_side(T, D, ep, bn[ep], warm[ep], Cn, Mn)
        c = objective_value(Mn, Kn, Cn, W, with_cox, cox_use, tg)
        if c <= cur or np.random.random() < math.exp(-(c - cur) / temp):
            cur = c
            K[:, :] = Kn
            C[:, :] = Cn
            M[:] = Mn
            beta[:, :] = bn
            pooled[:] = pooled_new
            viol = violation(M, K, W, with_cox, tg)
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
    without Cox fits) and a covariate swap (or an ECOG score changed within its Table 2 class)
    otherwise. ``cox_use``: the fits refreshed after a
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
            s.ecog_max,
            s.targets(),
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
