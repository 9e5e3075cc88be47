"""Compiled survival statistics for the reconstruction's inner loop (numba).

The synthetic-cohort search evaluates a few hundred thousand candidate cohorts
of 31 patients. At that size numpy's per-call overhead, not arithmetic,
dominates, so the statistics it needs are written here as numba-compiled loops
over the patients, one pass in time order. They are the book's estimators,
restated for speed only; each is tested against lifelines, statsmodels or the
book's own modules (``tests/test_fastsurv.py``), and the book's analysis never
uses them.

* :func:`km_median`, :func:`km_at`, :func:`km_median_and_at`: the
  Kaplan-Meier product-limit estimate (median as the first time S <= 0.5; S
  at a time).
* :func:`median_ci_spss`: SPSS's median CI, median +/- z SE (as
  :func:`lcnec_utils.stats.survival.median_ci_spss`).
* :func:`followup`: median follow-up by reverse Kaplan-Meier.
* :func:`logrank`, :func:`logrank_oe_v`: two-group log-rank (Mantel-Haenszel:
  observed minus expected events of the group coded 1, hypergeometric
  variance).
* :func:`cox_efron`: Cox proportional hazards, Efron's tie correction,
  Newton-Raphson with step halving (the estimator of lifelines'
  ``CoxPHFitter`` with no penalty), warm-startable.
* :func:`arm_information`: information of a 0/1 arm's log hazard ratio in a
  Cox model with no other term, at a given hazard ratio (Breslow).
* :func:`pooled_km_stats`: what the search reads off one endpoint's pooled
  times; :func:`arm_times_consistent`: one arm's PFS and OS agree (with the
  Kaplan-Meier targets, the arm's hard constraints:
  :func:`lcnec_utils.reconstruct.annealing.arm_constraints_hold`).

The functions above take any array-likes; the compiled kernels behind them
(``_name``) take float arrays and are what the compiled search
(:mod:`lcnec_utils.reconstruct.annealing`) calls. No fast-math flags: sums run
in a fixed order, so results are the same on every machine that runs the same
numba.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from lcnec_utils.stats.normal import Z95

_TOL = math.sqrt(np.finfo(float).eps)  # as lcnec_utils.stats.survival: "S(t) <= 0.5" up to rounding


@njit(cache=True)
def _risk_table(t, e, g):
    """One pass over the distinct times, ascending: (time, at risk, at risk in group 1, events,
    events in group 1, patients leaving), one row per distinct time. Every statistic below
    reads this table instead of walking the tie groups itself."""
    n = t.size
    order = np.argsort(t, kind="mergesort")
    out = np.empty((n, 6))
    n1 = 0.0
    for i in range(n):
        n1 += g[i]
    at_risk = float(n)
    m = 0
    i = 0
    while i < n:
        tt = t[order[i]]
        d = 0.0
        d1 = 0.0
        c = 0.0
        c1 = 0.0
        j = i
        while j < n and t[order[j]] == tt:
            k = order[j]
            d += e[k]
            d1 += e[k] * g[k]
            c += 1.0
            c1 += g[k]
            j += 1
        out[m, 0] = tt
        out[m, 1] = at_risk
        out[m, 2] = n1
        out[m, 3] = d
        out[m, 4] = d1
        out[m, 5] = c
        m += 1
        at_risk -= c
        n1 -= c1
        i = j
    return out[:m]


@njit(cache=True)
def _km_table(t, e):
    """Kaplan-Meier table of (t, e): distinct event times, at risk, events, S after each.

    S is the product-limit estimate ``cumprod(1 - d / n)``; censorings tied with
    an event time count as at risk at it.
    """
    rt = _risk_table(t, e, np.zeros(t.size))
    m = rt.shape[0]
    ut = np.empty(m)
    nr = np.empty(m)
    dd = np.empty(m)
    s = np.empty(m)
    k = 0
    surv = 1.0
    for r in range(m):
        d = rt[r, 3]
        if d > 0:
            at_risk = rt[r, 1]
            surv *= 1.0 - d / at_risk
            ut[k] = rt[r, 0]
            nr[k] = at_risk
            dd[k] = d
            s[k] = surv
            k += 1
    return ut[:k], nr[:k], dd[:k], s[:k]


@njit(cache=True)
def _median_index(s):
    """Index of the first survival value at or below 0.5 (up to rounding); -1 if none."""
    for k in range(s.size):
        if s[k] <= 0.5 + _TOL:
            return k
    return -1


@njit(cache=True)
def _median_ci_spss(t, e, z, eps):
    """(median, low, high) as SPSS: median +/- z * SE, SE = Greenwood SE of S at the median
    divided by the curve's slope between the last time with S >= 0.5 + eps and the first with
    S <= 0.5 - eps (Collett's density estimate)."""
    ut, n, d, s = _km_table(t, e)
    m = ut.size
    i = _median_index(s)
    if i < 0:
        return np.nan, np.nan, np.nan
    med = ut[i]
    g = 0.0
    for k in range(i + 1):
        if n[k] - d[k] <= 0:
            return med, np.nan, np.nan
        g += d[k] / (n[k] * (n[k] - d[k]))
    se_s = s[i] * math.sqrt(g)
    # curve with its start (0, 1)
    up = -1  # index -1 is the start (0, 1), which is always above 0.5 + eps
    lo = -2  # -2: the curve never falls to 0.5 - eps
    for k in range(m):
        if s[k] >= 0.5 + eps - _TOL:
            up = k
        if lo == -2 and s[k] <= 0.5 - eps + _TOL:
            lo = k
    if lo == -2:
        return med, np.nan, np.nan
    s_up = 1.0 if up < 0 else s[up]
    t_up = 0.0 if up < 0 else ut[up]
    dens = (s_up - s[lo]) / (ut[lo] - t_up)
    if not dens > 0:
        return med, np.nan, np.nan
    half = z * se_s / dens
    return med, med - half, med + half


@njit(cache=True)
def _logrank_oe_v(t, e, g):
    """Log-rank: (observed - expected events of group 1, hypergeometric variance)."""
    return _logrank_on(_risk_table(t, e, g))


@njit(cache=True)
def _logrank_on(rt):
    """Log-rank sums over the event rows of a :func:`_risk_table`."""
    oe = 0.0
    var = 0.0
    for r in range(rt.shape[0]):
        n_all, n1, d, d1 = rt[r, 1], rt[r, 2], rt[r, 3], rt[r, 4]
        if d > 0:
            share = n1 / n_all
            oe += d1 - d * share
            if n_all > 1:
                var += d * share * (1.0 - share) * (n_all - d) / (n_all - 1.0)
    return oe, var


@njit(cache=True)
def _arm_information(t, e, g, hr):
    """Information of a 0/1 arm's log HR, no other term, at ``hr`` (Breslow): the sum over
    events of p (1 - p), p = the arm's HR-weighted share of the risk set."""
    rt = _risk_table(t, e, g)
    info = 0.0
    for r in range(rt.shape[0]):
        d = rt[r, 3]
        if d > 0:
            r1 = rt[r, 2]
            r0 = rt[r, 1] - r1
            p = hr * r1 / (hr * r1 + r0)
            info += d * p * (1.0 - p)
    return info


@njit(cache=True)
def arm_times_consistent(pfs, pfs_e, os_, os_e, min_pfs, max_pfs, max_os):
    """One arm's PFS and OS agree: PFS <= OS, PFS >= ``min_pfs``, both within their axes, and a
    patient with no recorded progression is alive with PFS censored at the OS time."""
    for i in range(pfs.size):
        if pfs[i] > os_[i] or pfs[i] < min_pfs or pfs[i] > max_pfs or os_[i] > max_os:
            return False
        if pfs_e[i] == 0 and (os_e[i] != 0 or pfs[i] != os_[i]):
            return False
    return True


@njit(cache=True)
def _km_median_and_at(t, e, when):
    """(Kaplan-Meier median, S(when)) in one pass; the median is NaN if never reached."""
    ut, _, _, s = _km_table(t, e)
    k = _median_index(s)
    med = ut[k] if k >= 0 else np.nan
    at = 1.0
    for k in range(ut.size):
        if ut[k] <= when:
            at = s[k]
    return med, at


@njit(cache=True)
def _pooled_km_stats(t, e, g):
    """What the search reads off one endpoint's pooled times (``g`` = 1 for the treatment arm):
    (log-rank O - E, its variance, longest time, reverse-KM median follow-up (NaN if never
    reached), reverse-KM S at its last time (NaN if no censoring), number of alive patients
    sharing a follow-up time with an earlier one, pile-up count (sum over event times of
    max(d - 2, 0)), number of event times with exactly two events, first event time in arm 1,
    in arm 0 (inf if none))."""
    n = t.size
    rt = _risk_table(t, e, g)
    oe, var = _logrank_on(rt)
    longest = -np.inf
    first1 = np.inf
    first0 = np.inf
    rev = np.empty(n)
    for i in range(n):
        longest = max(longest, t[i])
        rev[i] = 1.0 - e[i]
        if e[i] > 0:
            if g[i] > 0:
                first1 = min(first1, t[i])
            else:
                first0 = min(first0, t[i])
    ut, _, _, srev = _km_table(t, rev)
    k = _median_index(srev)
    fu = ut[k] if k >= 0 else np.nan
    srev_last = srev[srev.size - 1] if srev.size else np.nan
    same = 0
    heap = 0
    pairs = 0
    for r in range(rt.shape[0]):
        dead = int(rt[r, 3])
        alive = int(rt[r, 5]) - dead
        if alive > 1:
            same += alive - 1
        if dead > 2:
            heap += dead - 2
        if dead == 2:
            pairs += 1
    return oe, var, longest, fu, srev_last, same, heap, pairs, first1, first0


@njit(cache=True)
def _tied_second_moments(w, Xs, es, lo, hi, D2):
    """Add the weighted second moments of the events among rows ``lo``..``hi - 1`` (one tied
    time) to the lower triangle of ``D2``."""
    p = Xs.shape[1]
    for k in range(lo, hi):
        if es[k] > 0:
            for a in range(p):
                xa = w[k] * Xs[k, a]
                if xa != 0.0:
                    for b in range(a + 1):
                        D2[a, b] += xa * Xs[k, b]


@njit(cache=True)
def _efron_pieces(ts, es, Xs, beta, with_info):
    """Log partial likelihood (Efron), score and information at ``beta``; rows sorted by time.

    Risk-set sums S0, S1, S2 are accumulated from the longest time down; at a time with d
    tied deaths the l-th (l = 0..d-1) uses S - (l/d) * (the tied deaths' sums).
    Returns (loglik, score, information, ok); ok is False if the weights underflow. Only the
    information's lower triangle (b <= a) is filled: its one reader, :func:`_cholesky`, reads no
    more, and the upper half would double the costliest loop of the search.
    """
    n, p = Xs.shape
    eta = np.empty(n)
    m = -np.inf
    for i in range(n):
        v = 0.0
        for a in range(p):
            v += Xs[i, a] * beta[a]
        eta[i] = v
        if v > m:
            m = v
    w = np.empty(n)
    for i in range(n):
        w[i] = math.exp(eta[i] - m)
    S0 = 0.0
    S1 = np.zeros(p)
    S2 = np.zeros((p, p))
    D1 = np.zeros(p)
    D2 = np.zeros((p, p))
    s1 = np.zeros(p)
    ll = 0.0
    score = np.zeros(p)
    info = np.zeros((p, p))
    n_ev = 0
    i = n - 1
    while i >= 0:
        tt = ts[i]
        D0 = 0.0
        D1[:] = 0.0
        if with_info:
            D2[:, :] = 0.0
        d = 0
        j = i
        while j >= 0 and ts[j] == tt:
            wj = w[j]
            S0 += wj
            for a in range(p):
                xa = wj * Xs[j, a]
                S1[a] += xa
                if with_info and xa != 0.0:  # a 0/1 covariate at 0 adds nothing
                    for b in range(a + 1):
                        S2[a, b] += xa * Xs[j, b]
            if es[j] > 0:
                d += 1
                D0 += wj
                ll += eta[j]
                for a in range(p):
                    D1[a] += wj * Xs[j, a]
                    score[a] += Xs[j, a]
            j -= 1
        if with_info and d > 1:  # the tied deaths' second moments (unused when a death is alone)
            _tied_second_moments(w, Xs, es, j + 1, i + 1, D2)
        for r in range(d):
            f = r / d
            s0 = S0 - f * D0
            if not s0 > 0:
                return -np.inf, score, info, False
            ll -= math.log(s0)
            for a in range(p):
                s1[a] = (S1[a] - f * D1[a]) / s0
                score[a] -= s1[a]
            if with_info and r == 0:  # f = 0: the risk set's own second moments
                for a in range(p):
                    for b in range(a + 1):
                        info[a, b] += S2[a, b] / s0 - s1[a] * s1[b]
            elif with_info:
                for a in range(p):
                    for b in range(a + 1):
                        info[a, b] += (S2[a, b] - f * D2[a, b]) / s0 - s1[a] * s1[b]
        n_ev += d
        i = j
    ll -= m * n_ev
    return ll, score, info, True


@njit(cache=True)
def _cholesky(a):
    """Lower Cholesky factor of a symmetric positive definite ``a``: (L, ok), ok False if ``a``
    is not positive definite. By hand (not np.linalg) so that a singular information matrix is a
    flag, not an exception, inside compiled loops, and a 13 x 13 system costs no LAPACK call."""
    p = a.shape[0]
    low = np.zeros((p, p))
    for j in range(p):
        s = a[j, j]
        for k in range(j):
            s -= low[j, k] * low[j, k]
        if not s > 0.0:
            return low, False
        low[j, j] = math.sqrt(s)
        for i in range(j + 1, p):
            s = a[i, j]
            for k in range(j):
                s -= low[i, k] * low[j, k]
            low[i, j] = s / low[j, j]
    return low, True


@njit(cache=True)
def _cholesky_solve(low, b):
    """x with L L^T x = b."""
    p = low.shape[0]
    y = np.empty(p)
    for i in range(p):  # L y = b
        s = b[i]
        for k in range(i):
            s -= low[i, k] * y[k]
        y[i] = s / low[i, i]
    x = np.empty(p)
    for i in range(p - 1, -1, -1):  # L^T x = y
        s = y[i]
        for k in range(i + 1, p):
            s -= low[k, i] * x[k]
        x[i] = s / low[i, i]
    return x


@njit(cache=True)
def _cholesky_inverse_diagonal(low):
    """diag((L L^T)^-1): the column sums of squares of L^-1."""
    p = low.shape[0]
    inv_low = np.zeros((p, p))
    for j in range(p):
        inv_low[j, j] = 1.0 / low[j, j]
        for i in range(j + 1, p):
            s = 0.0
            for k in range(j, i):
                s -= low[i, k] * inv_low[k, j]
            inv_low[i, j] = s / low[i, i]
    diag = np.zeros(p)
    for j in range(p):
        for i in range(j, p):
            diag[j] += inv_low[i, j] * inv_low[i, j]
    return diag


@njit(cache=True)
def _cox_newton(ts, es, Xs, beta0, max_iter, tol, require_convergence):
    """Newton-Raphson with step halving on sorted rows; returns (beta, se, converged)."""
    p = Xs.shape[1]
    nan_se = np.full(p, np.nan)
    beta = beta0.copy()
    ll, score, info, ok = _efron_pieces(ts, es, Xs, beta, True)
    if not ok or not math.isfinite(ll):
        beta = np.zeros(p)
        ll, score, info, ok = _efron_pieces(ts, es, Xs, beta, True)
        if not ok:
            return beta, nan_se, False
    converged = False
    for _ in range(max_iter):
        low, ok = _cholesky(info)
        if not ok:
            return beta, nan_se, False
        step = _cholesky_solve(low, score)
        scale = 1.0
        accepted = False
        for half in range(20):
            nb = beta + scale * step
            # the full step usually holds: its pass carries the information, which the next
            # iteration needs (the same numbers as a second pass at the accepted estimate)
            ll2, s2, i2, ok2 = _efron_pieces(ts, es, Xs, nb, half == 0)
            if ok2 and ll2 >= ll - 1e-12:
                accepted = True
                break
            scale /= 2.0
        if not accepted:
            return beta, nan_se, False
        delta = ll2 - ll
        beta = nb
        if half == 0:
            ll, score, info = ll2, s2, i2
        else:
            ll, score, info, ok = _efron_pieces(ts, es, Xs, beta, True)
        big = 0.0
        for a in range(p):
            big = max(big, abs(scale * step[a]))
        if abs(delta) < tol and big < 1e-6:
            converged = True
            break
    else:
        converged = not require_convergence
    low, ok = _cholesky(info)
    if not ok:
        return beta, nan_se, False
    var = _cholesky_inverse_diagonal(low)
    se = np.empty(p)
    for a in range(p):
        se[a] = math.sqrt(max(var[a], 0.0))
    for a in range(p):
        if not math.isfinite(beta[a]) or abs(beta[a]) > 15:
            converged = False
    return beta, se, converged


@njit(cache=True)
def _binary_efron_pieces(rt, beta):
    """Log partial likelihood (Efron), score and information of a 0/1 term alone at ``beta``,
    from a :func:`_risk_table`: at a time with d events (d1 in group 1) the l-th tied event
    (l = 0..d-1) sees the risk set less l/d of the tied events, group 1 weighted by exp(beta)."""
    w = math.exp(beta)
    ll = 0.0
    score = 0.0
    info = 0.0
    for r in range(rt.shape[0]):
        d, d1 = rt[r, 3], rt[r, 4]
        if d <= 0:
            continue
        n1 = rt[r, 2]
        n0 = rt[r, 1] - n1
        ll += d1 * beta
        score += d1
        for k in range(int(d)):
            f = k / d
            s1 = (n1 - f * d1) * w
            s0 = s1 + n0 - f * (d - d1)
            mu = s1 / s0
            ll -= math.log(s0)
            score -= mu
            info += mu * (1.0 - mu)
    return ll, score, info


@njit(cache=True)
def _arm_only_tests(t, e, g):
    """(Wald z, score z) of the 0/1 arm alone in a Cox model (Efron ties): the Wald z at the
    estimate, beta / SE(beta), and the score test at beta = 0, U(0) / sqrt(I(0)) (the log-rank
    test when no events tie); NaN where the fit fails. Newton-Raphson with step halving on the
    risk table (a handful of passes over the distinct times)."""
    rt = _risk_table(t, e, g)
    ll, score, info = _binary_efron_pieces(rt, 0.0)
    if not info > 0:
        return np.nan, np.nan
    z_score = score / math.sqrt(info)
    beta = 0.0
    for _ in range(50):
        step = score / info
        scale = 1.0
        for _half in range(30):
            ll2, s2, i2 = _binary_efron_pieces(rt, beta + scale * step)
            if ll2 >= ll - 1e-12:
                break
            scale /= 2.0
        beta += scale * step
        done = abs(ll2 - ll) < 1e-12 and abs(scale * step) < 1e-9
        ll, score, info = ll2, s2, i2
        if done or not info > 0 or abs(beta) > 15.0:
            break
    if not info > 0 or abs(beta) > 15.0:
        return np.nan, z_score
    return beta * math.sqrt(info), z_score


@njit(cache=True)
def _p_gap(z_logrank, z_wald, z_score):
    """The largest difference between the two-sided p-values of three z statistics (inf if one
    is missing)."""
    if not (math.isfinite(z_logrank) and math.isfinite(z_wald) and math.isfinite(z_score)):
        return np.inf
    a = math.erfc(abs(z_logrank) / math.sqrt(2.0))
    b = math.erfc(abs(z_wald) / math.sqrt(2.0))
    c = math.erfc(abs(z_score) / math.sqrt(2.0))
    return max(a, b, c) - min(a, b, c)


def cox_efron(
    t, e, X, beta0=None, max_iter: int = 30, tol: float = 1e-9, require_convergence: bool = True, order=None
):
    """Cox model with Efron ties: (beta, se, converged); ``X`` the n x p design matrix.

    Newton-Raphson with step halving from ``beta0`` (zeros if None). With
    ``require_convergence=False`` the fit counts as good after ``max_iter`` steps if the
    estimates are finite and moderate (a warm start inside the search). ``order``: a stable
    sort of ``t`` already at hand (the search reuses it while only covariates move). A singular
    information matrix gives NaN standard errors and converged=False.
    """
    t = np.asarray(t, float)
    order = np.argsort(t, kind="stable") if order is None else order
    X = np.asarray(X, float)
    beta0 = np.zeros(X.shape[1]) if beta0 is None else np.asarray(beta0, float)
    return _cox_newton(
        t[order],
        np.asarray(e, float)[order],
        np.ascontiguousarray(X[order]),
        beta0,
        max_iter,
        tol,
        require_convergence,
    )


def _f(x) -> np.ndarray:
    return np.asarray(x, dtype=float)


def km_median(t, e) -> float:
    """First time the Kaplan-Meier curve is at or below 0.5 (NaN if never)."""
    return km_median_and_at(t, e, 0.0)[0]


def km_at(t, e, when: float) -> float:
    """Kaplan-Meier S(when)."""
    return km_median_and_at(t, e, when)[1]


def median_ci_spss(t, e, eps: float = 0.05) -> tuple[float, float, float]:
    """(median, low, high): median +/- 1.96 SE as SPSS (NaN bounds where it prints none)."""
    med, lo, hi = _median_ci_spss(_f(t), _f(e), Z95, float(eps))
    return float(med), float(lo), float(hi)


def followup(t, e) -> float:
    """Median follow-up by reverse Kaplan-Meier (censorings counted as the events)."""
    return km_median(t, 1.0 - _f(e))


def logrank_oe_v(t, e, g) -> tuple[float, float]:
    """Log-rank: observed minus expected events of group ``g`` = 1, and its variance."""
    oe, v = _logrank_oe_v(_f(t), _f(e), _f(g))
    return float(oe), float(v)


def logrank(t, e, g) -> tuple[float, float]:
    """Two-group log-rank test: (chi-square, p), one degree of freedom."""
    oe, v = logrank_oe_v(t, e, g)
    if not v > 0:
        return math.nan, math.nan
    z = oe / math.sqrt(v)
    return z * z, math.erfc(abs(z) / math.sqrt(2.0))


def arm_information(t, e, g, hr: float) -> float:
    """Information of a 0/1 arm's log HR in a Cox model with no other term, at ``hr``
    (Breslow): the sum over events of p (1 - p), p = the arm's HR-weighted share of the risk
    set."""
    return float(_arm_information(_f(t), _f(e), _f(g), float(hr)))


def pooled_km_stats(t, e, g):
    """What the search reads off one endpoint's pooled times in one pass (``g`` = 1 for the
    treatment arm): log-rank O - E and its variance, the longest time, the reverse-KM median
    follow-up (NaN if never reached) and S at its last time (NaN if no censoring), alive
    patients sharing a follow-up time, the pile-up count, event times with exactly two events,
    and the first event time in each arm (inf if none)."""
    return _pooled_km_stats(_f(t), _f(e), _f(g))


def km_median_and_at(t, e, when: float) -> tuple[float, float]:
    """(Kaplan-Meier median, S(when)) in one pass; the median is NaN if never reached."""
    med, at = _km_median_and_at(_f(t), _f(e), float(when))
    return float(med), float(at)


def arm_only_tests(t, e, g) -> tuple[float, float, float]:
    """The three tests of the arm alone on one endpoint: (log-rank z, Cox Wald z, Cox score z),
    Efron ties, signed as observed minus expected events of ``g`` = 1 (NaN where a fit fails)."""
    t, e, g = _f(t), _f(e), _f(g)
    oe, v = _logrank_oe_v(t, e, g)
    z_wald, z_score = _arm_only_tests(t, e, g)
    return float(oe / math.sqrt(v)) if v > 0 else math.nan, float(z_wald), float(z_score)


def arm_only_p_gap(t, e, g) -> float:
    """The largest difference between the log-rank, Cox Wald and Cox score p-values of the arm
    alone (:func:`arm_only_tests`); about 0.01 or less in untied data of this size."""
    return float(_p_gap(*arm_only_tests(t, e, g)))
