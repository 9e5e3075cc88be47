"""Cumulative incidence with a competing event: the Aalen-Johansen estimator, the naive 1 − Kaplan-Meier,
and Gray's K-sample test.

Status codes: 0 censored, 1 the event of interest, 2 the competing event (any other positive
code is competing too). The cumulative incidence function of cause k is
F_k(t) = P(T ≤ t, cause k); its Aalen-Johansen estimate (Aalen & Johansen 1978) is

    F̂_k(t) = Σ_{t_j ≤ t} Ŝ(t_j−) d_kj / n_j,

Ŝ the Kaplan-Meier estimate of being free of every event, d_kj the cause-k events at t_j, n_j
at risk; events of every cause at a tied time count together, censorings after them. The naive
1 − KM treats the competing event as censoring. It is the incidence in a world where the competing
event could not happen if the times to the two events were independent and removing the competing
event changed nothing else (independence is enough, not necessary: what is needed is that the
cause-specific hazard equal the marginal one), which competing-risks data cannot check (Tsiatis
1975; Putter, Fiocco & Geskus 2007). It is never below
the Aalen-Johansen estimate and equals it up to the first event of interest that comes after a
competing event (strictly after: a competing event tied with it does not count); from that
event on it is higher, by a gap that never closes. At each event of interest before it, Ŝ(t−)
equals the Kaplan-Meier estimate that censors the competing events, so the two steps are the same; after it Ŝ(t−) is
smaller, so each later step of the Aalen-Johansen estimate is the smaller one.

The estimate is lifelines' ``AalenJohansenFitter``. That fitter (0.30.3, ``fit``, ``_jitter`` and
``_check_for_duplicates``) jitters when events of different causes share a time (exactly: when an
event's time recurs among the events while its pair of time and cause does not; ties within one
cause alone are left as they are, as are ties where every cause has two or more events). It then
moves every event time, tied or not (censorings stay),
by its own draw from U(−``jitter_level``, ``jitter_level``), 1e-4 by default, after
``numpy.random.seed(seed)`` with ``seed`` None by default (a new draw at each fit), and draws
again until no such tie is left. A move can put an event after a censoring at the same time and
change the risk set. So the times are untied here first, deterministically
(:func:`untie_event_times`): within a tied time the events
are moved earlier by distinct tiny steps, keeping them before the censorings as the estimator's
convention wants. The estimator's value after all the tied events is the same whatever their
order (each of m events at a time with n at risk adds Ŝ(t−)/n), so the estimate read at the
original times is the exact Aalen-Johansen estimate and lifelines never jitters.

Gray's test (Gray 1988) compares the cumulative incidence of one cause across K groups through
the groups' subdistribution hazards: score Σ_t w(t) [d_1k(t) − d_1(t) R_k(t)/Σ_l R_l(t)], R_k =
n_k (1 − F̂_1k(t−)) / Ŝ_k(t−), weight w = (1 − F̂_1(t−))^ρ, and the variance estimator of the
paper's section 2; χ² on K − 1 degrees of freedom, a large-sample approximation. It is defined when
a group has no event of the cause (its incidence is 0), not when no group has one (score and
variance are then 0; ``cuminc`` then reports no test for the cause). lifelines (0.30.3) and
scikit-survival (0.28) offer no such test; PyPI has small packages that do (pycmprsk, comprisk,
and cmprsk, a wrapper of R's), but rather than depend on one little used, the book writes the
test out here (:func:`gray_test`) and checks it against R ``cmprsk::cuminc``'s ``Tests``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

#: How far apart untied event times are put (months); far below any recorded precision.
UNTIE_STEP = 1e-7


@dataclass(frozen=True)
class GrayTest:
    """Gray's test of one cause: χ² on ``df`` degrees of freedom, its p, the score and its variance."""

    chi2: float
    df: int
    p: float
    score: np.ndarray
    variance: np.ndarray


def _status(status) -> np.ndarray:
    s = np.asarray(status, dtype=int)
    if (s < 0).any():
        raise ValueError("status codes must be 0 (censored) or a positive cause")
    return s


def untie_event_times(time, status) -> np.ndarray:
    """``time`` with the events of each tied time moved earlier by 1, 2, ... × :data:`UNTIE_STEP`
    (in the order given); censorings, and an event alone at its time, keep their time."""
    t = np.asarray(time, dtype=float).copy()
    s = _status(status)
    events = np.flatnonzero(s > 0)
    if events.size == 0:
        return t
    order = events[np.argsort(t[events], kind="stable")]
    tied = pd.Series(t[order]).groupby(t[order]).cumcount(ascending=False).to_numpy()
    group_size = pd.Series(t[order]).groupby(t[order]).transform("size").to_numpy()
    shift = np.where(group_size > 1, (tied + 1) * UNTIE_STEP, 0.0)
    t[order] = t[order] - shift
    return t


def aalen_johansen(time, status, cause: int = 1) -> pd.DataFrame:
    """The Aalen-Johansen cumulative incidence of ``cause`` at each distinct time with an event of any
    cause (lifelines' ``AalenJohansenFitter`` on untied times; module docstring), as a frame with
    ``time`` and ``cif``, starting at time 0 with 0."""
    from lifelines import AalenJohansenFitter

    t = np.asarray(time, dtype=float)
    s = _status(status)
    event_times = np.unique(t[s > 0])
    if not (s == cause).any():
        return pd.DataFrame({"time": np.concatenate(([0.0], event_times)), "cif": 0.0})
    untied = untie_event_times(t, s)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lifelines warns about its own variance at the last time
        fitter = AalenJohansenFitter(calculate_variance=False).fit(untied, s, event_of_interest=cause)
    curve = fitter.cumulative_density_.iloc[:, 0]
    at = np.searchsorted(curve.index.to_numpy(float), event_times, side="right") - 1
    cif = curve.to_numpy(float)[np.clip(at, 0, None)]
    return pd.DataFrame({"time": np.concatenate(([0.0], event_times)), "cif": np.concatenate(([0.0], cif))})


def naive_incidence(time, status, cause: int = 1) -> pd.DataFrame:
    """1 − Kaplan-Meier of ``cause`` with every other cause taken as censoring, at the same times as
    :func:`aalen_johansen` (lifelines' ``KaplanMeierFitter``)."""
    from lifelines import KaplanMeierFitter

    t = np.asarray(time, dtype=float)
    s = _status(status)
    event_times = np.unique(t[s > 0])
    km = KaplanMeierFitter().fit(t, (s == cause).astype(int))
    surv = km.survival_function_at_times(event_times).to_numpy(float)
    return pd.DataFrame(
        {"time": np.concatenate(([0.0], event_times)), "cif": np.concatenate(([0.0], 1.0 - surv))}
    )


def value_at(curve: pd.DataFrame, t: float) -> float:
    """The right-continuous step function ``curve`` (``time``, ``cif``) at time ``t``."""
    idx = int(np.searchsorted(curve["time"].to_numpy(float), t, side="right")) - 1
    return float(curve["cif"].iloc[max(idx, 0)])


def _group_state(y, m, g, groups):
    """Per distinct time with an event: counts by group of the cause (d1), the other causes (d2) and
    the patients at risk (n), in time order."""
    times = np.unique(y[m > 0])
    k = len(groups)
    n = np.empty((times.size, k))
    d1 = np.zeros((times.size, k))
    d2 = np.zeros((times.size, k))
    for j, grp in enumerate(groups):
        yg, mg = y[g == grp], m[g == grp]
        n[:, j] = yg.size - np.searchsorted(np.sort(yg), times, side="left")
        pos = np.searchsorted(times, yg)
        hit = (pos < times.size) & (times[np.minimum(pos, times.size - 1)] == yg)
        np.add.at(d1[:, j], pos[hit & (mg == 1)], 1)
        np.add.at(d2[:, j], pos[hit & (mg > 1)], 1)
    return n, d1, d2


def gray_test(time, status, group, cause: int = 1, rho: float = 0.0) -> GrayTest:
    """Gray's (1988) K-sample test of the cumulative incidence of ``cause`` across the values of ``group``.

    Score and variance as in the module docstring and :func:`_gray_variance`; groups in sorted
    order, the score of all but the last (the statistic does not depend on which is left out).
    """
    y = np.asarray(time, dtype=float)
    s = _status(status)
    m = np.where(s == cause, 1, np.where(s > 0, 2, 0))
    g = np.asarray(group)
    groups = np.unique(g)
    if groups.size < 2:
        raise ValueError("Gray's test needs at least two groups")
    if not (m == 1).any():
        raise ValueError(f"Gray's test needs an event of cause {cause} in some group; there is none")
    n, d1, d2 = _group_state(y, m, g, groups)
    score, variance = _gray_score_variance(n, d1, d2, rho)
    k1 = groups.size - 1
    stat = float(score[:k1] @ np.linalg.solve(variance[:k1, :k1], score[:k1]))
    return GrayTest(stat, k1, float(stats.chi2.sf(stat, k1)), score[:k1], variance[:k1, :k1])


def _gray_score_variance(n, d1, d2, rho):
    """Score vector and its variance matrix (all K groups) of Gray's test from the per-time counts.

    At each time: Ŝ_k(t−) (all-cause Kaplan-Meier of group k), F̂_k(t−) (its cumulative incidence
    of the cause), h_k = n_k/Ŝ_k(t−), F the pooled cumulative incidence F(t) = F(t−) + d_1/Σh,
    A = w (diag(h) − h hᵀ/Σh) and C = Σ A d_1/(Σh (1 − F(t−))) accumulated over time; the
    variance sums, per group, the terms of the cause's events and of the other causes' events
    (Gray 1988, section 2).
    """
    times, k = n.shape
    surv_before, cif_before, fm = np.ones(k), np.zeros(k), 0.0
    score, c = np.zeros(k), np.zeros((k, k))
    v, v2, v3 = np.zeros((k, k)), np.zeros((k, k)), np.zeros(k)
    for j in range(times):
        at_risk = n[j] > 0
        nd1 = d1[j].sum()
        surv_after = np.where(
            at_risk, surv_before * (n[j] - d1[j] - d2[j]) / np.where(at_risk, n[j], 1), surv_before
        )
        h = np.where(at_risk, n[j] / np.where(at_risk, surv_before, 1), 0.0)
        total_h = h.sum()
        risk = h * (1 - cif_before)
        f = fm + nd1 / total_h
        w = (1 - fm) ** rho
        a = w * (np.diag(h) - np.outer(h, h) / total_h)
        c += a * nd1 / (total_h * (1 - fm))
        score += np.where(at_risk, w * (d1[j] - nd1 * risk / risk.sum()), 0.0)
        if nd1 > 0:
            _cause_terms(v, v2, v3, a, c, f, surv_before, surv_after, n[j], nd1, total_h, at_risk)
        _other_cause_terms(v, v2, v3, c, f, surv_before, surv_after, n[j], d2[j])
        cif_before = np.where(
            at_risk, cif_before + surv_before * d1[j] / np.where(at_risk, n[j], 1), cif_before
        )
        surv_before, fm = surv_after, f
    v += (c * v3) @ c.T + c @ v2.T + v2 @ c.T
    return score, v


def _cause_terms(v, v2, v3, a, c, f, surv_before, surv_after, n, nd1, total_h, at_risk) -> None:
    """The variance terms of the events of the cause at one time (in place)."""
    for k in np.flatnonzero(at_risk):
        t4 = 1 - (1 - f) / surv_after[k] if surv_after[k] > 0 else 1.0
        t5 = 1 - (nd1 - 1) / (total_h * surv_before[k] - 1) if nd1 > 1 else 1.0
        t3 = t5 * surv_before[k] * nd1 / (total_h * n[k])
        v3[k] += t4 * t4 * t3
        col = a[:, k] - t4 * c[:, k]
        v2[:, k] += col * t4 * t3
        v += np.outer(col, col) * t3


def _other_cause_terms(v, v2, v3, c, f, surv_before, surv_after, n, d2) -> None:
    """The variance terms of the other causes' events at one time (in place)."""
    for k in np.flatnonzero((d2 > 0) & (surv_after > 0)):
        t4 = (1 - f) / surv_after[k]
        t5 = 1 - (d2[k] - 1) / (n[k] - 1) if d2[k] > 1 else 1.0
        t3 = t5 * surv_before[k] ** 2 * d2[k] / n[k] ** 2
        v3[k] += t4 * t4 * t3
        col = t4 * c[:, k]
        v2[:, k] -= col * t4 * t3
        v += np.outer(col, col) * t3
