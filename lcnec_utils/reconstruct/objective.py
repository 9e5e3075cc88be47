"""The compiled search's objective: the metric vector it reads, its weighted pieces, and the keep rule.

A state of :mod:`lcnec_utils.reconstruct.annealing` is measured by three arrays: ``M`` (the
statistics the targets name: log-rank, follow-up, median CIs, every Cox term's HR, CI and |z|),
``K`` (per endpoint, what the Kaplan-Meier side of the search reads: signed log-rank z, realism
counts, the arm's information, the gap between the arm-only tests' p-values) and ``C`` (per
endpoint, whether the Cox fit converged and its largest covariate |log HR|). :class:`Objective`
weights the pieces built from them; :func:`objective_value` adds them up and :func:`violation`
says how far a state is from the bounds a run must meet.

numba's on-disk cache of ``annealing._anneal`` holds these functions compiled into it and is
keyed on annealing.py alone: after editing this module, delete
``lcnec_utils/reconstruct/__pycache__/*.nbi`` and ``*.nbc`` (or touch annealing.py).
"""

from __future__ import annotations

import math
from dataclasses import astuple, dataclass
from typing import NamedTuple

import numpy as np
from numba import njit

_LOG8 = math.log(8.0)

# metric vector M: what soft targets, holds and windows read (joint maps a target's key to its index)
M_LOGRANK_Z = 0  # |log-rank z|, + endpoint (0 PFS, 1 OS)
M_FOLLOWUP = 2
M_MEDIAN_CI = 3  # + 4 * endpoint + 2 * arm (0 treatment, 1 reference) + (0 low, 1 high)
M_COX = 11  # + 4 * endpoint + (0 HR, 1 CI low, 2 CI high, 3 |z|) of the arm term
M_BETA = 19  # + p * endpoint + covariate index (log HR of the covariate)


@njit(cache=True)
def term_metric(ep: int, k: int, stat: int, p: int) -> int:
    """Index in M of statistic ``stat`` (0 HR, 1 CI low, 2 CI high, 3 |z|) of covariate ``k``
    (0-based, after the arm) of endpoint ``ep`` in a model with ``p`` covariates."""
    return M_BETA + 2 * p + 4 * (ep * p + k) + stat


@njit(cache=True)
def metric_size(p: int) -> int:
    """Length of M for ``p`` covariates."""
    return M_BETA + 10 * p


# per endpoint Kaplan-Meier side: signed log-rank z, Peto log HR, longest time, follow-up
# (OS only), alive patients sharing a follow-up time, pile-up, first-event lateness, info |z|,
# the largest gap between the arm-only log-rank, Cox Wald and Cox score p-values
(K_Z, K_PETO, K_LONGEST, K_FU, K_SAME, K_PILEUP, K_FIRST, K_INFO_Z, K_GAP) = range(9)
K_SIZE = 9
# per endpoint Cox side: converged, max |covariate log HR|
(C_OK, C_MAXBETA) = range(2)

#: Weight of the arm-only p-value gap above :data:`GAP_PENALTY_START` of its bound in
#: ``Objective.cost`` (per unit of p).
GAP_WEIGHT = 1e3

#: Share of the arm-only p-value gap's bound from which ``Objective.cost`` penalises the gap (the
#: keep rule holds the bound itself).
GAP_PENALTY_START = 0.8


@dataclass(frozen=True)
class Objective:
    """Weights of one annealing objective's pieces (0 switches a piece off).

    * ``cost``: the search's usual cost, the soft targets of the ``Setting`` plus the realism
      and plausibility terms (as ``SurvivalSearch.cost``; with no soft target, those terms alone).
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
    * ``windows``: the window targets of the ``Setting`` (Table 4's terms), per unit of scaled
      distance outside each window.
    * ``keep_*``: what decides which visited state a run returns (see :func:`violation`); they
      do not enter the objective. ``keep_windows`` and ``keep_gap`` (1 = on) add the window
      misses and the arm-only p-value gaps beyond their bound to the arm-term bounds.
    * ``walls``: the arm-term bounds (``keep_os_ci``, ``keep_os_hr``, ``keep_pfs_z``,
      ``keep_pfs_hr_lo``) as walls in the objective, per unit of violation (:func:`arm_violation`):
      a stage that keeps what an earlier stage reached.
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
    windows: float = 0.0
    keep_windows: float = 0.0
    keep_gap: float = 0.0
    walls: float = 0.0

    def weights(self) -> np.ndarray:
        return np.array(astuple(self), float)


class Targets(NamedTuple):
    """The targets the objective's pieces read, as the compiled loop takes them (built from a
    ``Setting`` by ``annealing``): the realism aims (longest PFS, longest OS, first events PFS,
    OS), the log-rank |z| and follow-up targets, the median-CI tolerance and the held bounds, the
    soft targets (metric id, target, tolerance, weight), the window targets (metric id, low,
    high, scale) and the bound on the arm-only p-value gap."""

    realism: np.ndarray
    z_target: np.ndarray
    fu_target: float
    ci_tol: float
    hold_ci_id: np.ndarray
    hold_ci_target: np.ndarray
    soft_id: np.ndarray
    soft_target: np.ndarray
    soft_tol: np.ndarray
    soft_weight: np.ndarray
    win_id: np.ndarray
    win_lo: np.ndarray
    win_hi: np.ndarray
    win_scale: np.ndarray
    gap_bound: float


# indices into Objective.weights()
(
    W_COST,
    W_HOLD,
    W_INFO_PFS,
    INFO_PFS_HR,
    W_INFO_OS,
    INFO_OS_HR,
    W_OS_CI,
    W_OS_HR_FLOOR,
    W_OS_HR,
    PFS_FLOOR,
    W_PFS_BELOW,
    PFS_HR_LO,
    PFS_HR_HI,
    W_PFS_WINDOW,
    W_BETA_LIN,
    KEEP_OS_CI,
    KEEP_OS_HR,
    KEEP_PFS_Z,
    KEEP_PFS_HR_LO,
    W_WINDOWS,
    KEEP_WINDOWS,
    KEEP_GAP,
    W_WALLS,
) = range(23)


@njit(cache=True)
def needs_gap(W) -> bool:
    """Whether an objective reads the arm-only p-value gap (its cost or its keep rule)."""
    return W[W_COST] != 0.0 or W[KEEP_GAP] != 0.0


@njit(cache=True)
def _cost(M, K, C, with_cox, realism, gap_bound, soft_id, soft_target, soft_tol, soft_weight):
    """``Objective.cost``'s piece: the soft targets (quadratic inside the tolerance, steeper linear
    growth outside it), the realism terms and the arm-only p-value gaps above :data:`GAP_PENALTY_START` of their
    bound, as ``SurvivalSearch.cost``."""
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
    s += (max(0.0, realism[0] - K[0, K_LONGEST]) / 2.0) ** 2
    s += (max(0.0, realism[1] - K[1, K_LONGEST]) / 2.0) ** 2
    s += 0.5 * K[1, K_SAME] + K[0, K_PILEUP] + K[1, K_PILEUP]
    s += (K[0, K_FIRST] ** 2 + K[1, K_FIRST] ** 2) / 4.0
    s += 1e3 * (max(0.0, K[0, K_Z]) + max(0.0, K[1, K_Z]))
    for ep in range(2):
        gap = K[ep, K_GAP]
        s += GAP_WEIGHT * (max(0.0, gap - GAP_PENALTY_START * gap_bound) if math.isfinite(gap) else 1.0)
    if with_cox:
        for ep in range(2):
            if C[ep, C_OK] == 0.0:
                s += 1e4
                continue
            shift = abs(math.log(M[M_COX + 4 * ep]) - K[ep, K_PETO])
            s += 10.0 * max(0.0, shift - 0.35) ** 2
            s += 50.0 * max(0.0, C[ep, C_MAXBETA] - _LOG8) ** 2
    return s


@njit(cache=True)
def _hold(M, K, z_target, fu_target, ci_tol, hold_ci_id, hold_ci_target):
    """``Objective.hold``'s piece: log-rank |z| within 0.05 of its target and the treatment arm
    ahead, follow-up within 0.9 months, the held median-CI bounds within 0.9 of their tolerance."""
    h = 0.0
    for ep in range(2):
        h += 200.0 * max(0.0, abs(abs(K[ep, K_Z]) - z_target[ep]) - 0.05)
        h += 1e3 * max(0.0, K[ep, K_Z])
    h += 50.0 * max(0.0, abs(K[1, K_FU] - fu_target) - 0.9)
    for k in range(hold_ci_id.size):
        got = M[hold_ci_id[k]]
        h += 50.0 * max(0.0, abs(got - hold_ci_target[k]) - 0.9 * ci_tol) if math.isfinite(got) else 100.0
    return h


@njit(cache=True)
def window_misses(M, win_id, win_lo, win_hi, win_scale):
    """Sum over the window targets of the distance outside each window, in units of its scale
    (100 for a statistic the fit could not give)."""
    s = 0.0
    for k in range(win_id.size):
        v = M[win_id[k]]
        if not math.isfinite(v):
            s += 100.0
            continue
        s += max(0.0, win_lo[k] - v, v - win_hi[k]) / win_scale[k]
    return s


@njit(cache=True)
def _add_arm_terms(c, M, C, W, cox_use):
    """``c`` plus the pieces on the Cox fits' arm terms and covariates (``os_ci``, the OS HR wall,
    the PFS pulls, ``beta_lin``); 1e9 if a fit they read failed."""
    if W[W_OS_CI] != 0.0 or W[W_OS_HR_FLOOR] > 0.0:
        if C[1, C_OK] == 0.0:
            return 1e9
        c += W[W_OS_CI] * M[M_COX + 4 + 2]
        c += W[W_OS_HR] * max(0.0, W[W_OS_HR_FLOOR] - M[M_COX + 4])
    if W[W_PFS_BELOW] != 0.0 or W[W_PFS_WINDOW] != 0.0:
        if C[0, C_OK] == 0.0:
            return 1e9
        z = M[M_COX + 3]
        hr = M[M_COX]
        c += W[W_PFS_BELOW] * max(0.0, W[PFS_FLOOR] - z)
        c += W[W_PFS_WINDOW] * (max(0.0, W[PFS_HR_LO] - hr) + max(0.0, hr - W[PFS_HR_HI]))
    if W[W_BETA_LIN] != 0.0:
        for ep in range(2):
            if cox_use[ep]:
                c += W[W_BETA_LIN] * max(0.0, C[ep, C_MAXBETA] - _LOG8)
    return c


@njit(cache=True)
def objective_value(M, K, C, W, with_cox, cox_use, tg):
    """The objective of a state from its metrics (``M``), Kaplan-Meier side (``K``) and Cox side
    (``C``), weighted by ``W`` (:meth:`Objective.weights`), on the targets ``tg`` (:class:`Targets`)."""
    c = 0.0
    if W[W_COST] != 0.0:
        c += W[W_COST] * _cost(
            M,
            K,
            C,
            with_cox,
            tg.realism,
            tg.gap_bound,
            tg.soft_id,
            tg.soft_target,
            tg.soft_tol,
            tg.soft_weight,
        )
    if W[W_HOLD] != 0.0:
        c += W[W_HOLD] * _hold(M, K, tg.z_target, tg.fu_target, tg.ci_tol, tg.hold_ci_id, tg.hold_ci_target)
    if W[W_INFO_PFS] != 0.0:
        c -= W[W_INFO_PFS] * K[0, K_INFO_Z]
    if W[W_INFO_OS] != 0.0:
        c -= W[W_INFO_OS] * K[1, K_INFO_Z]
    if with_cox:
        c = _add_arm_terms(c, M, C, W, cox_use)
        if W[W_WINDOWS] != 0.0:
            c += W[W_WINDOWS] * window_misses(M, tg.win_id, tg.win_lo, tg.win_hi, tg.win_scale)
        if W[W_WALLS] != 0.0:
            v = arm_violation(M, W)
            c += W[W_WALLS] * v if math.isfinite(v) else 1e9
    return c


@njit(cache=True)
def arm_violation(M, W):
    """How far the Cox arm terms are from the ``keep_*`` bounds (0: within them all; inf if a fit
    they read failed): OS upper bound and HR, PFS |z| and HR."""
    v = 0.0
    if math.isfinite(W[KEEP_OS_CI]) or W[KEEP_OS_HR] > 0.0:
        ci = M[M_COX + 4 + 2]
        hr = M[M_COX + 4]
        if not (math.isfinite(ci) and math.isfinite(hr)):
            return math.inf
        v += max(0.0, ci - W[KEEP_OS_CI]) + max(0.0, W[KEEP_OS_HR] - hr)
    if W[KEEP_PFS_Z] > 0.0 or W[KEEP_PFS_HR_LO] > 0.0:
        z = M[M_COX + 3]
        hr = M[M_COX]
        if not (math.isfinite(z) and math.isfinite(hr)):
            return math.inf
        v += max(0.0, W[KEEP_PFS_Z] - z) + max(0.0, W[KEEP_PFS_HR_LO] - hr)
    return v


@njit(cache=True)
def violation(M, K, W, with_cox, tg):
    """How far a state is from the ``keep_*`` bounds (0: meets them all): the arm terms' bounds
    (:func:`arm_violation`), and if switched on the window misses (times ``keep_windows``) and
    the arm-only p-value gaps beyond their bound."""
    v = 0.0
    if W[KEEP_GAP] != 0.0:
        for ep in range(2):
            gap = K[ep, K_GAP]
            v += max(0.0, gap - tg.gap_bound) if math.isfinite(gap) else 1.0
    if not with_cox:
        return v
    v += arm_violation(M, W)
    if W[KEEP_WINDOWS] != 0.0:
        v += W[KEEP_WINDOWS] * window_misses(M, tg.win_id, tg.win_lo, tg.win_hi, tg.win_scale)
    return v
