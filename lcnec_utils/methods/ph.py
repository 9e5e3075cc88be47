"""Proportional hazards: Schoenfeld-residual tests, β(t) estimates and what to report when hazards cross.

* :func:`ph_tests`: the Grambsch & Therneau (1994) test for the arm's term,
  in the arm-only model and in the paper's full model, with two time scales
  (:func:`lcnec_utils.stats.cox.schoenfeld_test`, lifelines): the fast
  approximation that R's ``cox.zph`` computed before survival 3.0, on
  lifelines' Kaplan-Meier scale (Ŝ at each event; R took Ŝ just before it,
  :func:`km_before`);
* :func:`zph_score_test`: the score test that ``cox.zph`` computes since
  survival 3.0 (its help page: "In versions of the package before survival3.0
  the function computed a fast approximation to the score test. Later versions
  compute the actual score test"); :func:`ph_test_conventions` puts the two
  side by side;
* :func:`null_rejection_rates`: how often these tests reject when hazards *are* proportional, by a
  seeded simulation in the model's own design (:func:`ph_null_rates` in the chapter);
* :func:`beta_t`: scaled Schoenfeld residuals plus the coefficient, whose
  smoothed trend against time estimates the log hazard ratio over time
  (Grambsch & Therneau 1994; R ``plot(cox.zph(fit))``);
* :func:`zph_band`: the trend and pointwise band that R's ``plot.cox.zph`` draws through those
  points: a natural cubic spline on cox.zph's 1 − KM(t−) scale, ±2 SE;
* :func:`piecewise_hr`: the arm's HR before and after a cut time, a
  time-split Cox model (Therneau & Grambsch 2000, §6.2), one of the honest
  summaries when hazards are not proportional.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from lcnec_utils.methods.model_name import fitted_model
from lcnec_utils.methods.smallsample import MODEL_LABELS
from lcnec_utils.stats import cox
from lcnec_utils.stats.normal import z_two_sided

#: Cut of the piecewise model, months: a round number typed here, the same on every cohort the book
#: runs on (it does not follow ``params.landmark_months``). It was not pre-specified before these
#: curves were seen; a cut placed where the curves cross manufactures the effect it then reports.
CUT_MONTHS = 6.0


def ph_tests(cohort: pd.DataFrame, endpoint: str, params, transforms=("km", "identity")) -> pd.DataFrame:
    """Schoenfeld-residual test of the arm's term, one row per (model, time transform).

    Models: ``univariable`` (arm alone) and ``full`` (``params.covariates``).
    Columns model, transform, statistic (chi-square, 1 df), p. A model that
    did not converge gives NaN.
    """
    from lcnec_utils.methods.sampling import analysis_sample

    cohort = analysis_sample(cohort, params, "the Schoenfeld-residual tests")
    rows = []
    models = {
        "univariable": cox.univariable_cox(cohort, endpoint, params),
        "full": cox.fit_cox(cohort, endpoint, params.covariates, params),
    }
    for name, res in models.items():
        for tr in transforms:
            if res.model is None or not res.converged:
                rows.append({"model": name, "transform": tr, "statistic": math.nan, "p": math.nan})
                continue
            t = cox.schoenfeld_test(res, transform=tr)
            arm = t.loc[t["term"] == "treatment"].iloc[0]
            rows.append(
                {
                    "model": name,
                    "transform": tr,
                    "statistic": float(arm["test_statistic"]),
                    "p": float(arm["p"]),
                }
            )
    return pd.DataFrame(rows)


def beta_t(result: cox.CoxResult, term: str = "treatment") -> pd.DataFrame:
    """β(t) points for ``term``: scaled Schoenfeld residual + β̂ at each event time.

    lifelines ``compute_residuals(kind="scaled_schoenfeld")`` (which, unlike
    R's ``residuals(fit, "scaledsch")``, does not add β̂: it is added here).
    Columns time, beta_t, and ``beta``, the model's constant β̂; ``g``, cox.zph's default time
    scale 1 − KM(t−) of the patients the residuals come from (:func:`km_before`: ``cox.zph``'s
    ``x``), and ``var``, d · Var(β̂) of ``term`` with d the events (``cox.zph``'s ``var``: the inverse
    of the mean information per event), which :func:`zph_band` uses.
    """
    if result.model is None:
        raise ValueError("the Cox model was not fitted")
    from lcnec_utils.methods.sampling import sample_rows

    model = result.model
    data = sample_rows(result.data, strata="treatment", what="the β(t) residuals")
    if len(data) < len(result.data):  # large-N branch: the model refitted on the sample
        from lifelines import CoxPHFitter

        cols = ["duration", "event", *model.params_.index]
        model = CoxPHFitter(alpha=model.alpha).fit(data[cols], "duration", "event")
        data = data[cols]
    res = model.compute_residuals(data, kind="scaled_schoenfeld")
    b = float(model.params_[term])
    times = result.data.loc[res.index, "duration"].to_numpy(float)
    g = km_before(data["duration"], data["event"]).loc[res.index].to_numpy(float)
    var = len(res) * float(model.variance_matrix_.loc[term, term])
    out = pd.DataFrame(
        {"time": times, "beta_t": res[term].to_numpy(float) + b, "beta": b, "g": g, "var": var}
    )
    return out.sort_values("time", kind="stable").reset_index(drop=True)


#: ``plot.cox.zph``'s defaults (survival 3.5-3): the natural spline's degrees of freedom, the points
#: its fit is drawn at, and the band's half-width in SEs (``temp <- 2 * sqrt(x$var[i, i] * seval)``).
ZPH_DF, ZPH_NSMO, ZPH_SE_MULTIPLIER = 4, 40, 2.0


def _ns_basis(x: np.ndarray, df: int) -> np.ndarray:
    """R's ``splines::ns(x, df = df, intercept = TRUE)``: the cubic B-splines (scipy) on the boundary
    knots range(x) and df − 2 interior knots at x's quantiles (R's type 7, numpy's default),
    projected as ``ns`` projects them, onto the null space of their second derivatives at the
    boundary knots (the complete Q of a Householder QR, whose reflectors LINPACK's ``dqrdc2`` and
    LAPACK choose alike, columns 3 on). Written here because patsy 1.0.3 has no ``ns`` (its ``cr``
    spans the same space in another basis) and statsmodels has none; the basis itself is R's to
    rounding (tests/test_zph_band_r.py)."""
    from scipy.interpolate import BSpline

    x = np.asarray(x, float)
    lo, hi = float(x.min()), float(x.max())
    inner = np.quantile(x, np.linspace(0.0, 1.0, df)[1:-1])
    knots = np.r_[[lo] * 4, inner, [hi] * 4]
    basis = BSpline.design_matrix(x, knots, 3).toarray()
    n = len(knots) - 4
    second = np.array([BSpline(knots, np.eye(n)[j], 3).derivative(2)([lo, hi]) for j in range(n)]).T
    q, _ = np.linalg.qr(second.T, mode="complete")
    return basis @ q[:, 2:]


def zph_band(
    points: pd.DataFrame, df: int = ZPH_DF, nsmo: int = ZPH_NSMO, var: float | None = None
) -> pd.DataFrame | None:
    """The spline fit of β(t) and its pointwise band, as R's ``plot.cox.zph`` computes them for one term
    with its defaults (survival 3.5-3: ``resid = TRUE, se = TRUE, df = 4, nsmo = 40``, ``hr = FALSE``).

    ``points``: :func:`beta_t` (columns ``g``, cox.zph's 1 − KM(t−) scale, ``beta_t`` and ``var``).
    The estimator: least squares of the β(t) points on a natural cubic spline basis in g
    (``ns(c(grid, g), df, intercept = TRUE)``: df − 2 interior knots at the quantiles of the g's
    *and* the grid together, as R computes them), evaluated on ``nsmo`` equally spaced g from the
    first event's to the last's; the band is fit ± 2·sqrt(var · pᵢ'(X'X)⁻¹pᵢ), pᵢ the basis at grid
    point i, with var cox.zph's coefficient variance ``x$var[i, i]`` (d · Var(β̂), by default
    ``points["var"]``), not the residual variance of the regression. Returns a frame with columns
    g (the grid, on cox.zph's time scale), fit, se, low and high, on the **log-HR** scale (exp them
    for R's ``hr = TRUE``); None where the basis has rank below df on the events by R's ``qr`` (its
    tolerance, :func:`_r_qr_rank`: with fewer distinct event times than df, for one), where R warns
    "spline fit is singular" and skips the term. Checked against a live R (tests/test_zph_band_r.py)."""
    keep = points["beta_t"].notna().to_numpy()
    g = points["g"].to_numpy(float)
    y = points["beta_t"].to_numpy(float)[keep]
    v = float(points["var"].iloc[0]) if var is None else float(var)
    grid = np.linspace(g.min(), g.max(), nsmo)
    basis = _ns_basis(np.r_[grid, g], df)
    pmat, xmat = basis[:nsmo], basis[nsmo:][keep]
    if _r_qr_rank(xmat) < df:
        return None
    q, r = np.linalg.qr(xmat)
    fit = pmat @ np.linalg.solve(r, q.T @ y)
    pr = pmat @ np.linalg.inv(r)  # rows pᵢ'R⁻¹: pᵢ'(X'X)⁻¹pᵢ = |pᵢ'R⁻¹|², R's seval
    se = np.sqrt(v * np.sum(pr**2, axis=1))
    half = ZPH_SE_MULTIPLIER * se
    return pd.DataFrame({"g": grid, "fit": fit, "se": se, "low": fit - half, "high": fit + half})


#: R's ``qr()`` default tolerance (LINPACK ``dqrdc2``), by which ``plot.cox.zph`` calls a fit singular.
_R_QR_TOL = 1e-7


def _r_qr_rank(x: np.ndarray, tol: float = _R_QR_TOL) -> int:
    """The rank R's ``qr(x)$rank`` reports (LINPACK ``dqrdc2``, R's src/appl/dqrdc2.f): Householder
    reduction with limited pivoting, where a column whose norm, updated as the reduction proceeds, has
    fallen below ``tol`` times its original norm is moved to the right-hand edge and not counted. Not
    numpy's SVD rank, whose tolerance scales with the largest singular value and the matrix's size."""
    a = np.array(x, float, copy=True)
    n, p = a.shape
    norms = np.linalg.norm(a, axis=0)
    work1 = norms.copy()  # dqrdc2's work(, 1): kept as in R, although only work(, 2) is tested
    orig = np.where(norms == 0.0, 1.0, norms)  # work(, 2)
    k = p  # columns not (yet) found negligible
    for col in range(min(n, p)):
        while col < k and norms[col] < orig[col] * tol:
            order = [*range(col), *range(col + 1, p), col]
            a, norms, work1, orig = a[:, order], norms[order], work1[order], orig[order]
            k -= 1
        if col == n - 1:
            continue
        v = a[col:, col]
        nrm = float(np.linalg.norm(v))
        if nrm == 0.0:
            continue
        if v[0] != 0.0:
            nrm = math.copysign(nrm, v[0])
        v = v / nrm
        v[0] += 1.0
        a[col:, col] = v
        for j in range(col + 1, p):
            a[col:, j] += -float(v @ a[col:, j]) / v[0] * v
            if norms[j] != 0.0:
                t = max(1.0 - (abs(a[col, j]) / norms[j]) ** 2, 0.0)
                if abs(t) >= 1e-6:
                    norms[j] *= math.sqrt(t)
                else:
                    norms[j] = work1[j] = float(np.linalg.norm(a[col + 1 :, j]))
        a[col, col] = -nrm
    return min(k, n)


def _r_approx(x: np.ndarray, y: np.ndarray, v: np.ndarray) -> np.ndarray:
    """R's ``approx(x, y, v)`` for sorted distinct x (linear, ``rule = 1``: NaN outside the range), with
    its own arithmetic, y_i + (y_j − y_i)·((v − x_i)/(x_j − x_i)) (``approx1`` in R's ``approx.c``),
    whose last bits numpy's ``interp`` does not share (and :func:`_r_signif` can round either way)."""
    out = np.full(len(v), np.nan)
    for k, u in enumerate(np.asarray(v, float)):
        if not x[0] <= u <= x[-1]:
            continue
        j = min(int(np.searchsorted(x, u, side="right")), len(x) - 1)
        i = max(j - 1, 0)
        if u == x[j] or u == x[i]:
            out[k] = y[j] if u == x[j] else y[i]
        else:
            out[k] = y[i] + (y[j] - y[i]) * ((u - x[i]) / (x[j] - x[i]))
    return out


def _r_signif(x: float, digits: int) -> float:
    """R's ``signif(x, digits)`` (``fprec`` in R's nmath): x scaled by a power of ten, rounded half to
    even and scaled back, which is not always the correctly rounded decimal Python's format gives."""
    if x == 0 or not math.isfinite(x):
        return x
    e10 = digits - 1 - math.floor(math.log10(abs(x)))
    if e10 > 0:
        p10 = 10.0**e10
        return float(np.rint(x * p10) / p10)
    p10 = 10.0**-e10
    return float(np.rint(x / p10) * p10)


def zph_axis_ticks(points: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Where ``plot.cox.zph`` puts its x axis labels on a transformed scale, and the times it prints:
    8 g's evenly inside the range of the points' g (``seq(min, max, length = 17)[2 * (1:8)]``),
    their times by linear interpolation, rounded to 2 significant digits, and those times put back
    on the g scale by interpolation (R's two ``approx`` calls over the first point of each distinct
    g, :func:`_r_approx`; ``signif``, :func:`_r_signif`). A time printed twice after rounding is kept
    once (R prints it twice at the same place); one outside the events' times is dropped (R's NA).
    With :func:`beta_t`'s g, which is cox.zph's x to the last bit (:func:`km_before`), the labels are
    R's even where a time falls on a rounding tie."""
    g = points["g"].to_numpy(float)
    t = points["time"].to_numpy(float)
    first = np.unique(g, return_index=True)[1]
    gu, tu = g[first], t[first]
    at = np.linspace(g.min(), g.max(), 17)[1::2]
    shown = np.unique([_r_signif(float(v), 2) for v in _r_approx(gu, tu, at)])
    where = _r_approx(tu, gu, shown)
    ok = np.isfinite(where)
    return where[ok], [f"{v:g}" for v in shown[ok]]


def piecewise_hr(
    cohort: pd.DataFrame, endpoint: str, params, cut: float = CUT_MONTHS, closed: str = "left"
) -> pd.DataFrame:
    """The arm's HR on [0, cut) and on [cut, ∞): a Cox model with a time-split arm effect (an event at
    exactly ``cut`` counts in the later period). ``closed="right"`` splits as R's ``survSplit`` does,
    (0, cut] and (cut, ∞): an event at the cut counts in the earlier period, and its patient is not
    at risk in the later one.

    With the arm as the only term, the partial likelihood of the split model
    factorises over event times, so the two HRs are two ordinary Cox fits:
    events before ``cut`` with follow-up censored at ``cut``, and the
    patients still at risk at ``cut`` with their own times (Efron ties,
    Wald CI, lifelines). A period with no event in an arm gives NaN.
    """
    from lifelines import CoxPHFitter

    t_col, e_col = f"{endpoint}_months", f"{endpoint}_event"
    sub = cohort.loc[
        cohort["group"].isin([params.reference_group, params.treatment_group]), [t_col, e_col, "group"]
    ].dropna()
    df = pd.DataFrame(
        {
            "duration": sub[t_col].astype(float),
            "event": sub[e_col].astype(int),
            "treatment": (sub["group"] == params.treatment_group).astype(int),
        }
    )
    if closed not in ("left", "right"):
        raise ValueError(f"closed must be 'left' or 'right', got {closed!r}")
    in_early = df["duration"] < cut if closed == "left" else df["duration"] <= cut
    early = df.assign(
        event=((df["event"] == 1) & in_early).astype(int),
        duration=df["duration"].clip(upper=cut),
    )
    late = df[~in_early]
    z = z_two_sided(params.alpha)
    rows = []
    names = ("before", "from") if closed == "left" else ("up to", "after")
    for period, frame in ((f"{names[0]} {cut:g} months", early), (f"{names[1]} {cut:g} months", late)):
        by_arm = frame.groupby("treatment")["event"].sum()
        n_events = {"treatment": int(by_arm.get(1, 0)), "reference": int(by_arm.get(0, 0))}
        row = {
            "period": period,
            "n_at_risk": len(frame),
            "events_treatment": n_events["treatment"],
            "events_reference": n_events["reference"],
            "hr": math.nan,
            "ci_low": math.nan,
            "ci_high": math.nan,
            "p": math.nan,
        }
        if min(n_events.values()) > 0 and frame["treatment"].nunique() == 2:
            m = CoxPHFitter(alpha=params.alpha).fit(frame, "duration", "event")
            b, se = float(m.params_["treatment"]), float(m.standard_errors_["treatment"])
            # |log HR| beyond 20 is separation (one arm's events all before the
            # other's), not an estimate: the period is reported as not estimable
            if math.isfinite(b) and math.isfinite(se) and abs(b) + z * se < 20:
                row.update(
                    hr=math.exp(b),
                    ci_low=math.exp(b - z * se),
                    ci_high=math.exp(b + z * se),
                    p=float(m.summary.loc["treatment", "p"]),
                )
        rows.append(row)
    return pd.DataFrame(rows)


def events_at(cohort: pd.DataFrame, endpoint: str, params, time: float = CUT_MONTHS) -> dict[str, int]:
    """Events at exactly ``time`` per arm (``reference``, ``treatment``): where a piecewise cut falls
    on an event, whether that event counts before or after the cut changes both periods' HRs."""
    t_col, e_col = f"{endpoint}_months", f"{endpoint}_event"
    out = {}
    for role in ("reference", "treatment"):
        arm = cohort.loc[cohort["group"] == getattr(params, f"{role}_group"), [t_col, e_col]].dropna()
        out[role] = int(((arm[t_col].astype(float) == time) & (arm[e_col].astype(int) == 1)).sum())
    return out


def _g_of_time(time: np.ndarray, event: np.ndarray, transform: str) -> dict[float, float]:
    """g(t) at each distinct event time, as ``cox.zph`` in survival >= 3.0: t itself ("identity"), the
    rank of t among all the observed times, censored ones included, ties averaged ("rank", R's
    ``rank(times)``), the number of events up to and including t ("event_count", lifelines' rank, a
    running count of events, with tied events given the count after the last of them), or 1 − KM(t−),
    the pooled Kaplan-Meier estimate just before t ("km")."""
    ev_times = np.unique(time[event])
    if transform == "identity":
        return {float(t): float(t) for t in ev_times}
    if transform == "event_count":  # lifelines' rank: the events up to and including t
        return {float(t): float(np.sum(event & (time <= t))) for t in ev_times}
    if transform == "rank":
        from scipy.stats import rankdata

        ranks = rankdata(time)
        return {float(t): float(ranks[time == t][0]) for t in ev_times}
    if transform != "km":
        raise ValueError(f"transform must be 'km', 'rank', 'event_count' or 'identity', got {transform!r}")
    s, g = 1.0, {}
    for t in ev_times:
        g[float(t)] = 1.0 - s
        s *= 1.0 - np.sum(event & (time == t)) / np.sum(time >= t)
    return g


def _efron_blocks(x: np.ndarray, w: np.ndarray, risk: np.ndarray, dead: np.ndarray):
    """At one event time: the score contribution U_k, the information S_k and the log-likelihood's
    denominator Σ_r log(S0 − (r/k) S0_dead) with Efron's ties."""
    k = int(dead.sum())
    s0r, s1r = w[risk].sum(), w[risk] @ x[risk]
    s2r = (x[risk] * w[risk, None]).T @ x[risk]
    s0d, s1d = w[dead].sum(), w[dead] @ x[dead]
    s2d = (x[dead] * w[dead, None]).T @ x[dead]
    u_k, s_k, log_den = x[dead].sum(axis=0), np.zeros((x.shape[1], x.shape[1])), 0.0
    for r in range(k):
        f = r / k
        s0, s1, s2 = s0r - f * s0d, s1r - f * s1d, s2r - f * s2d
        mean = s1 / s0
        u_k = u_k - mean
        s_k += s2 / s0 - np.outer(mean, mean)
        log_den += float(np.log(s0))  # not finite where s0 is not positive: efron_newton pulls back
    return u_k, s_k, log_den


def _efron_pass(time: np.ndarray, event: np.ndarray, x: np.ndarray, beta: np.ndarray):
    """Efron's partial log-likelihood at β, its score and information, with the linear predictor
    clamped to [-200, 22] as survival's ``coxsafe`` clamps it."""
    z = np.clip(x @ beta, -200.0, 22.0)
    w = np.exp(z)
    p = x.shape[1]
    loglik, score, info = float(z[event].sum()), np.zeros(p), np.zeros((p, p))
    for t in np.unique(time[event]):
        u_k, s_k, log_den = _efron_blocks(x, w, time >= t, event & (time == t))
        loglik -= log_den
        score += u_k
        info += s_k
    return loglik, score, info


#: R's ``coxph.control()`` defaults, which :func:`efron_newton` follows: ``eps`` (relative change of the
#: log-likelihood at convergence), ``toler.inf`` (sqrt(eps): the "coefficient may be infinite" check)
#: and ``iter.max``.
R_COXPH_EPS, R_COXPH_ITER_MAX = 1e-9, 20


def efron_newton(time: np.ndarray, event: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, bool]:
    """β̂ of the Cox model with Efron's ties, found as R's ``coxph`` finds it (survival 3.5-3's
    ``coxfit6.c``, ``x`` centred): Newton-Raphson from β = 0, the linear predictor clamped to
    [-200, 22] (``coxsafe``); converged when the log-likelihood is finite and |1 − ℓ_old/ℓ_new| ≤
    ``eps`` (1e-9), tested at every iteration, within ``iter.max`` (20); a step that lowers the
    log-likelihood or makes it not finite is pulled back toward the last accepted β, harder each
    time it fails again (the h-th time in a row to (new + h·β)/(h + 1)). Returns (β̂, warned):
    warned, as ``coxph.fit`` warns, when it ran out of iterations ("did not converge") or when the
    next Newton step |U'I⁻¹|_j of some coefficient exceeds both ``eps`` and sqrt(``eps``)·|β̂_j|
    ("Loglik converged before variable j; coefficient may be infinite"). A singular information
    matrix raises numpy's ``LinAlgError``. Written by hand for :func:`null_rejection_rates`: a
    thousand refits at a sixth of lifelines' cost each; checked against lifelines and a live R in
    the tests (review 56 matched R's warnings and iteration counts on 4,000 samples)."""
    beta = np.zeros(x.shape[1])
    loglik, score, info = _efron_pass(time, event, x, beta)
    new = beta + np.linalg.solve(info, score)
    halvings = 0
    for iteration in range(1, R_COXPH_ITER_MAX + 1):
        new_ll, new_score, new_info = _efron_pass(time, event, x, new)
        finite = np.isfinite(new_ll) and np.isfinite(new_score).all() and np.isfinite(new_info).all()
        if finite and abs(1.0 - loglik / new_ll) <= R_COXPH_EPS:
            step = np.abs(np.linalg.solve(new_info, new_score))
            infinite = (step > R_COXPH_EPS) & (step > math.sqrt(R_COXPH_EPS) * np.abs(new))
            return new, bool(infinite.any())
        if iteration == R_COXPH_ITER_MAX:
            break
        if not finite or new_ll < loglik:
            halvings += 1
            new = (new + halvings * beta) / (halvings + 1)
        else:
            halvings = 0
            loglik, beta = new_ll, new
            new = new + np.linalg.solve(new_info, new_score)
    return beta, True


def _zph_arrays(time: np.ndarray, event: np.ndarray, x: np.ndarray, beta: np.ndarray, transform: str):
    """:func:`_zph_score` from arrays (``x`` the design, ``beta`` its fitted coefficients), with the two
    pieces :func:`approximation_global_test` needs: the information of β (I_ββ) and Σ g̃² over the
    events. Returns (u, full, i_bb, sum of g̃²)."""
    x = x - x.mean(axis=0)
    w = np.exp(x @ beta)
    g_of = _g_of_time(time, event, transform)
    centre = float(np.mean([g_of[float(t)] for t in time[event]]))
    p = x.shape[1]
    u_g, i_bb, i_bg, i_gg = np.zeros(p), np.zeros((p, p)), np.zeros((p, p)), np.zeros((p, p))
    g_squares = 0.0
    for t in np.unique(time[event]):
        dead = event & (time == t)
        u_k, s_k, _ = _efron_blocks(x, w, time >= t, dead)
        g = g_of[float(t)] - centre
        u_g += g * u_k
        i_bb += s_k
        i_bg += g * s_k
        i_gg += g * g * s_k
        g_squares += int(dead.sum()) * g * g
    return np.concatenate([np.zeros(p), u_g]), np.block([[i_bb, i_bg], [i_bg.T, i_gg]]), i_bb, g_squares


def _zph_score(result: cox.CoxResult, transform: str) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The terms, the score u of (β, γ) at (β̂, 0) (zero for β) and the information matrix of (β, γ)
    of the model h₀(t) exp(x'β + g(t) x'γ), as ``cox.zph`` builds them (survival >= 3.0)."""
    if result.model is None or result.data is None:
        raise ValueError("the Cox model was not fitted; no score test")
    terms = list(result.model.params_.index)
    time = result.data["duration"].to_numpy(float)
    event = result.data["event"].to_numpy(int).astype(bool)
    x = result.data[terms].to_numpy(float)
    u, full, _, _ = _zph_arrays(time, event, x, result.model.params_.to_numpy(float), transform)
    return terms, u, full


def _score_chi2(u: np.ndarray, full: np.ndarray, p: int, j: int | None = None) -> float:
    """u' I⁻¹ u of :func:`_zph_arrays`: every γ (``j`` None, the global test) or γ_j with β."""
    if j is None:
        return float(u @ np.linalg.solve(full, u))
    keep = [*range(p), p + j]
    return float(u[keep] @ np.linalg.solve(full[np.ix_(keep, keep)], u[keep]))


def zph_score_test(result: cox.CoxResult, transform: str = "km") -> pd.DataFrame:
    """The proportional-hazards test of R's ``cox.zph`` since survival 3.0: a score test per term.

    For term j, the score test of γ_j = 0 in h(t) = h₀(t) exp(x'β + γ_j g(t) x_j)
    at the fitted β (β free, Efron's ties), as ``cox.zph(fit, transform,
    terms = FALSE)``: with U_k and S_k the Efron score and information at event
    time t_k and g centred at its mean over the events, the score of γ_j is
    Σ g_k U_kj and the information matrix of (β, γ_j) is built from Σ S_k,
    Σ g_k S_k and Σ g_k² S_k; the statistic is U' I⁻¹ U on 1 df. g is t
    ("identity"), the rank of t ("rank") or 1 − KM(t−) ("km", R's default).
    Columns term, chi2, p. Checked against a live R in ``tests/test_conventions_r.py``.
    """
    from scipy import stats as sps

    terms, u, full = _zph_score(result, transform)
    chi2 = [_score_chi2(u, full, len(terms), j) for j in range(len(terms))]
    return pd.DataFrame({"term": terms, "chi2": chi2, "p": [float(sps.chi2.sf(c, 1)) for c in chi2]})


def zph_global_test(result: cox.CoxResult, transform: str = "km") -> dict[str, float]:
    """The GLOBAL row of R's ``cox.zph`` (survival >= 3.0): the score test of γ = 0 for every term at
    once in h₀(t) exp(x'β + g(t) x'γ), u' I⁻¹ u with the whole information matrix of (β, γ), on as
    many df as the model has coefficients. Keys chi2, df, p."""
    from scipy import stats as sps

    terms, u, full = _zph_score(result, transform)
    chi2 = _score_chi2(u, full, len(terms))
    return {"chi2": chi2, "df": len(terms), "p": float(sps.chi2.sf(chi2, len(terms)))}


def approximation_global_test(result: cox.CoxResult, transform: str = "km") -> dict[str, float]:
    """The GLOBAL row of ``cox.zph`` before survival 3.0 (Grambsch & Therneau 1994): with S the
    Schoenfeld residuals (one row per event), V the model's variance, d the events and g̃ = g − mean
    g over the events, (g̃'S) V (g̃'S)' · d / Σ g̃² on as many df as coefficients; g is 1 − KM just
    before each event ("km", :func:`km_before`), the rank of the event times among the events, ties
    averaged ("rank", survival 2.x's ``rank(times)`` of the residuals' times) or t ("identity"). lifelines'
    ``proportional_hazard_test`` has no global row (one 1-df statistic per term); this one is built
    from its scaled residuals R = d · S V. Keys chi2, df, p."""
    from scipy import stats as sps

    if result.model is None or result.data is None:
        raise ValueError("the Cox model was not fitted; no residuals to test")
    if transform not in ("km", "rank", "identity"):
        raise ValueError(f"transform must be 'km', 'rank' or 'identity', got {transform!r}")
    model = result.model
    data = result.data[["duration", "event", *model.params_.index]]
    scaled = model.compute_residuals(data, kind="scaled_schoenfeld")
    times = data.loc[scaled.index, "duration"]
    if transform == "km":
        g = km_before(data["duration"], data["event"]).loc[scaled.index].to_numpy(float)
    elif transform == "rank":
        from scipy.stats import rankdata

        g = rankdata(times.to_numpy(float))
    else:
        g = times.to_numpy(float)
    g = g - float(np.mean(g))
    d = len(scaled)
    v = model.variance_matrix_.to_numpy(float)
    gr = g @ scaled[model.params_.index].to_numpy(float)  # g̃'R = d · (g̃'S) V
    chi2 = float(gr @ np.linalg.solve(v, gr)) / (d * float(g @ g))
    df = len(model.params_)
    return {"chi2": chi2, "df": df, "p": float(sps.chi2.sf(chi2, df))}


#: The programs' proportional-hazards tests compared on the chapter's page.
PH_TEST_CONVENTIONS = {
    "score": "R survival >= 3.0 cox.zph: exact score test",
    "approximation": "R survival < 3.0 cox.zph: Grambsch-Therneau approximation "
    "(its KM scale: 1 − KM just before each event)",
    "lifelines": "lifelines proportional_hazard_test: the same approximation "
    "(its KM scale: 1 − KM at each event, right-continuous)",
}


def km_before(durations, events, weights=None) -> pd.Series:
    """g(t) = 1 − Ŝ(t−), the pooled Kaplan-Meier curve just before each time: the ``km`` scale of R's
    ``cox.zph`` (survival 2.x: ``rep(c(1, surv), n.event)``; 3.x: ``findInterval(left.open = TRUE)``).
    lifelines' ``km`` takes Ŝ(t) at the time itself. A time transform for lifelines'
    ``proportional_hazard_test`` (unweighted: the models here have no case weights). Computed with
    R's arithmetic (``survfitKM``'s C code, survival 3.5-3: ``km *= (nrisk - d) / nrisk`` at each
    event time in turn), so that g is cox.zph's ``x`` to the last bit and :func:`zph_axis_ticks`
    rounds a tie as R does; a product of 1 − d/n differs from it in the last bits."""
    t = np.asarray(durations, float)
    dead = np.asarray(events, float) > 0
    times, deaths = np.unique(t[dead], return_counts=True)
    at_risk = (len(t) - np.searchsorted(np.sort(t), times, side="left")).astype(float)
    surv = np.cumprod((at_risk - deaths) / at_risk)  # sequential, as the C loop multiplies
    before = np.r_[1.0, surv][np.searchsorted(times, t, side="left")]
    return pd.Series(1.0 - before, index=getattr(durations, "index", None))


def _rank_of_events(durations, events, weights=None) -> pd.Series:
    """Survival 2.x's rank scale: the rank of each event time among the event times, ties averaged
    (``rank(times)`` of the Schoenfeld residuals' times); 0 for censored rows. A time transform for
    lifelines' ``proportional_hazard_test``."""
    from scipy.stats import rankdata

    t, e = np.asarray(durations, float), np.asarray(events).astype(bool)
    out = np.zeros(len(t))
    out[e] = rankdata(t[e])
    return pd.Series(out, index=getattr(durations, "index", None))


def _approximation(res: cox.CoxResult, transform: str) -> dict[str, float]:
    """Grambsch-Therneau approximation of the arm's term on R < 3.0's time scale."""
    from lifelines.statistics import proportional_hazard_test

    scale = {"km": km_before, "rank": _rank_of_events}.get(transform, transform)
    s = proportional_hazard_test(res.model, res.data, time_transform=scale).summary
    row = s.loc["treatment"] if "treatment" in s.index else s.iloc[0]
    return {"chi2": float(row["test_statistic"]), "p": float(row["p"])}


def ph_test_conventions(cohort: pd.DataFrame, endpoint: str, params) -> pd.DataFrame:
    """The arm's proportional-hazards test by each program's formula, both time scales and both models.

    One row per (model, transform, test): model (``univariable``, ``full``),
    transform (``km``, ``identity``), test (``score``: :func:`zph_score_test`;
    ``approximation``: the Grambsch-Therneau approximation on survival 2.x's
    scale, :func:`km_before`; ``lifelines``: :func:`lcnec_utils.stats.cox.schoenfeld_test`),
    chi2, p, events and terms (for the events per variable the test rests on) and label, the model
    named from the terms it was fitted with on this endpoint's complete cases, as chapter 10's table
    names it (:func:`~lcnec_utils.methods.smallsample.comparison_labels`: "Arm alone", "The paper's model
    (the arm and the paper's 11 covariates)" only with exactly those terms, "The model fitted here (the
    arm alone)" on the required columns). On the t scale the last two coincide. A model that did not
    converge gives NaN.
    """
    from lcnec_utils.methods.sampling import analysis_sample

    cohort = analysis_sample(cohort, params, "the Schoenfeld-residual tests")
    models = {
        "univariable": cox.univariable_cox(cohort, endpoint, params),
        "full": cox.fit_cox(cohort, endpoint, params.covariates, params),
    }
    full = fitted_model(params.covariates, cohort.columns, in_force=params.covariates, design=models["full"])
    labels = {"univariable": MODEL_LABELS["univariable"], "full": full.label}
    rows = []
    for name, res in models.items():
        ok = res.model is not None and res.converged
        for tr in ("km", "identity"):
            tests = {}
            if ok:
                tests["score"] = zph_score_test(res, tr).set_index("term").loc["treatment"]
                tests["approximation"] = _approximation(res, tr)
                lib = cox.schoenfeld_test(res, transform=tr).set_index("term").loc["treatment"]
                tests["lifelines"] = {"chi2": lib["test_statistic"], "p": lib["p"]}
            for test in PH_TEST_CONVENTIONS:
                r = tests.get(test)
                rows.append(
                    {
                        "model": name,
                        "label": labels[name],
                        "transform": tr,
                        "test": test,
                        "chi2": math.nan if r is None else float(r["chi2"]),
                        "p": math.nan if r is None else float(r["p"]),
                        "events": res.events,
                        "terms": len(res.table),
                    }
                )
    return pd.DataFrame(rows)


#: The global tests of the paper's model shown beside the per-term ones: (formula, time scale).
PH_GLOBAL_TESTS = (
    ("score", "km"),
    ("score", "rank"),
    ("score", "identity"),
    ("approximation", "km"),
    ("approximation", "rank"),
    ("approximation", "identity"),
)


def ph_global_tests(cohort: pd.DataFrame, endpoint: str, params) -> pd.DataFrame:
    """The global proportional-hazards test of the model with ``params.covariates`` (every term at
    once), by both formulas: one row per (test, transform) of :data:`PH_GLOBAL_TESTS` (``score``:
    :func:`zph_global_test`, R >= 3.0; ``approximation``: :func:`approximation_global_test`, R < 3.0),
    columns test, transform, chi2, df, p, events. A model that did not converge gives NaN."""
    from lcnec_utils.methods.sampling import analysis_sample

    cohort = analysis_sample(cohort, params, "the Schoenfeld-residual tests")
    res = cox.fit_cox(cohort, endpoint, params.covariates, params)
    ok = res.model is not None and res.converged
    rows = []
    for test, tr in PH_GLOBAL_TESTS:
        r = {"chi2": math.nan, "df": len(res.table), "p": math.nan}
        if ok:
            r = zph_global_test(res, tr) if test == "score" else approximation_global_test(res, tr)
        rows.append({"test": test, "transform": tr, **r, "events": res.events})
    return pd.DataFrame(rows)


def ph_global_results(table: pd.DataFrame, endpoint: str) -> dict[str, Any]:
    """Keys ``methods.ph.<endpoint>.global.<score|approximation>.{chi2,p}`` (1 − KM time scale) of
    :func:`ph_global_tests`."""
    out: dict[str, Any] = {}
    for _, r in table[table["transform"] == "km"].iterrows():
        for k in ("chi2", "p"):
            out[f"methods.ph.{endpoint}.global.{r['test']}.{k}"] = float(r[k]) if np.isfinite(r[k]) else None
    return out


def lifelines_ph_defaults() -> dict[str, Any]:
    """lifelines' own defaults, read from the installed functions' signatures: ``time_transform`` of
    ``statistics.proportional_hazard_test`` and ``p_value_threshold`` of
    ``CoxPHFitter.check_assumptions`` (which tests every term on the "rank" and the "km" scales and
    flags it when the smaller p is below the threshold; lifelines 0.30, ``fitters/mixins.py``)."""
    import inspect

    from lifelines import CoxPHFitter
    from lifelines.statistics import proportional_hazard_test

    test = inspect.signature(proportional_hazard_test).parameters
    check = inspect.signature(CoxPHFitter.check_assumptions).parameters
    return {
        "time_transform": test["time_transform"].default,
        "p_value_threshold": check["p_value_threshold"].default,
    }


def arm_test_on_rank_scale(cohort: pd.DataFrame, endpoint: str, params) -> dict[str, float]:
    """The arm's proportional-hazards p in the model with ``params.covariates``, each program's default
    against the other's and the two differences between them taken one at a time. Keys:
    ``r_default``, R >= 3.0's default (exact score test, 1 − KM(t−), :func:`zph_score_test`);
    ``lifelines``, lifelines' default (``proportional_hazard_test``, ``time_transform="rank"``: the
    approximation on the running count of events); ``score``, the exact test on R's ``rank(times)``;
    ``score_event_count``, the exact test on lifelines' event count; ``approximation_rank``, survival
    2.x's approximation on its rank of the event times (:func:`_rank_of_events`). NaN if the model
    did not converge."""
    from lcnec_utils.methods.sampling import analysis_sample

    keys = ("r_default", "lifelines", "score", "score_event_count", "approximation_rank")
    cohort = analysis_sample(cohort, params, "the Schoenfeld-residual tests")
    res = cox.fit_cox(cohort, endpoint, params.covariates, params)
    if res.model is None or not res.converged:
        return dict.fromkeys(keys, math.nan)
    lib = cox.schoenfeld_test(res, transform="rank").set_index("term")

    def exact(tr: str) -> float:
        return float(zph_score_test(res, tr).set_index("term").loc["treatment", "p"])

    return {
        "r_default": exact("km"),
        "lifelines": float(lib.loc["treatment", "p"]),
        "score": exact("rank"),
        "score_event_count": exact("event_count"),
        "approximation_rank": float(_approximation(res, "rank")["p"]),
    }


def format_ph_global_tests(table: pd.DataFrame) -> pd.DataFrame:
    """Text version of :func:`ph_global_tests`."""
    from lcnec_utils.stats.format import format_p

    scales = {"km": "1 − KM(t−)", "rank": "rank of t", "identity": "t"}
    return pd.DataFrame(
        {
            "Test (programs)": [PH_TEST_CONVENTIONS[t].split(" (")[0] for t in table["test"]],
            "Time scale g(t)": [scales[t] for t in table["transform"]],
            "Chi-square": ["—" if not np.isfinite(c) else f"{c:.2f}" for c in table["chi2"]],
            "df": table["df"].astype(int).astype(str),
            "p": [format_p(p) if np.isfinite(p) else "—" for p in table["p"]],
        }
    )


def format_ph_test_conventions(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Text version of :func:`ph_test_conventions` per endpoint (``tables``: label -> table), each model
    by its table's label (named from the terms fitted on that endpoint)."""
    from lcnec_utils.stats.format import format_p

    rows = []
    for label, table in tables.items():
        for _, r in table.iterrows():
            rows.append(
                {
                    "Endpoint": label,
                    "Model": r["label"],
                    "Events per variable": f"{r['events'] / r['terms']:.1f}",
                    "Time scale g(t)": (
                        "t"
                        if r["transform"] != "km"
                        else "1 − KM(t)"
                        if r["test"] == "lifelines"
                        else "1 − KM(t−)"
                    ),
                    "Test (programs)": PH_TEST_CONVENTIONS[r["test"]],
                    "Chi-square (1 df)": "—" if not np.isfinite(r["chi2"]) else f"{r['chi2']:.2f}",
                    "p": format_p(r["p"]) if np.isfinite(r["p"]) else "—",
                }
            )
    return pd.DataFrame(rows)


def zph_band_reading(points: pd.DataFrame, band: pd.DataFrame) -> dict[str, Any]:
    """What the β(t) figure's band shows, in numbers (``points``: :func:`beta_t`; ``band``:
    :func:`zph_band` of them): the first and the last event time, the band's limits there as HRs
    (its first and last grid points are those events' g), how many times as wide as at its
    narrowest the band is at each end (half-widths on the log scale) and the time of the narrowest
    point; the model's constant HR and, under ``outside``, the spans of time over which it lies
    outside the band as drawn (its limits joined by straight lines between the grid points, as R
    draws them), each a dict with ``side`` ("above" or "below" the band) and ``start`` and ``end``
    times, in time order (empty where it lies inside throughout). Times are read off the events'
    (g, time) by interpolation, as ``plot.cox.zph`` labels its axis. Pointwise: no test, which is
    the score test's job."""
    g = points["g"].to_numpy(float)
    t = points["time"].to_numpy(float)
    first = np.unique(g, return_index=True)[1]

    def time_of(v):
        return float(np.interp(v, g[first], t[first]))

    half = (band["high"] - band["fit"]).to_numpy(float)
    narrow = int(np.argmin(half))
    beta = float(points["beta"].iloc[0])
    grid = band["g"].to_numpy(float)
    spans = [
        {"side": side, "start": time_of(a), "end": time_of(b)}
        for side, gap in (
            ("above", beta - band["high"].to_numpy(float)),
            ("below", band["low"].to_numpy(float) - beta),
        )
        for a, b in _positive_spans(grid, gap)
    ]
    return {
        "first_time": float(t.min()),
        "last_time": float(t.max()),
        "hr_first_low": float(np.exp(band["low"].iloc[0])),
        "hr_first_high": float(np.exp(band["high"].iloc[0])),
        "hr_last_low": float(np.exp(band["low"].iloc[-1])),
        "hr_last_high": float(np.exp(band["high"].iloc[-1])),
        "width_first": float(half[0] / half[narrow]),
        "width_last": float(half[-1] / half[narrow]),
        "narrowest_time": time_of(band["g"].iloc[narrow]),
        "hr_model": float(np.exp(beta)),
        "n_points": len(points),
        "outside": sorted(spans, key=lambda s: s["start"]),
    }


def _positive_spans(x: np.ndarray, y: np.ndarray) -> list[tuple[float, float]]:
    """The intervals of x where y, given at the sorted x and joined by straight lines, is above 0:
    each end a point of x's range or where a segment crosses 0, found by linear interpolation."""
    spans, start = [], (float(x[0]) if y[0] > 0 else None)
    for i in range(len(x) - 1):
        a, b = float(y[i]), float(y[i + 1])
        if (a > 0) == (b > 0):
            continue
        cross = float(x[i] + (x[i + 1] - x[i]) * a / (a - b))
        if b > 0:
            start = cross
        else:
            spans.append((start, cross))
            start = None
    if start is not None:
        spans.append((start, float(x[-1])))
    return spans


def loglog_gaps(cohort: pd.DataFrame, endpoint: str, params, times=(3.0, 6.0, 12.0)) -> pd.DataFrame:
    """The vertical gap between the arms' log(−log Ŝ) curves at ``times``, and the HR it implies.

    Under proportional hazards log(−log S₁(t)) − log(−log S₀(t)) = log HR at every t, so
    exp(gap) should be about constant. Columns time, surv_treatment, surv_reference, gap, hr
    (NaN where a curve is at 1 or 0).
    """
    from lcnec_utils.stats.survival import endpoint_data, km_curve

    data = endpoint_data(cohort, endpoint, params.reference_group, params.treatment_group)
    curves = {r: km_curve(data.arm(r)["time"], data.arm(r)["event"]) for r in ("treatment", "reference")}
    rows = []
    for t in times:
        s = {}
        for role, curve in curves.items():
            idx = np.flatnonzero(curve.time <= t)
            s[role] = 1.0 if not idx.size else float(curve.survival[idx[-1]])
        ok = all(0 < v < 1 for v in s.values())
        gap = math.log(-math.log(s["treatment"])) - math.log(-math.log(s["reference"])) if ok else math.nan
        rows.append(
            {
                "time": float(t),
                "surv_treatment": s["treatment"],
                "surv_reference": s["reference"],
                "gap": gap,
                "hr": math.exp(gap) if ok else math.nan,
            }
        )
    return pd.DataFrame(rows)


def ph_results(tests: pd.DataFrame, pieces: pd.DataFrame, endpoint: str) -> dict[str, Any]:
    """Keys ``methods.ph.<endpoint>.<model>.{chi2,p}`` (KM time scale), ``.p_identity``,
    and ``methods.ph.<endpoint>.<early|late>.{hr,ci_low,ci_high,p}``."""

    def val(v):
        return None if v is None or not np.isfinite(v) else float(v)

    out: dict[str, Any] = {}
    for _, r in tests.iterrows():
        prefix = f"methods.ph.{endpoint}.{r['model']}"
        if r["transform"] == "km":
            out[f"{prefix}.chi2"] = val(r["statistic"])
            out[f"{prefix}.p"] = val(r["p"])
        elif r["transform"] == "identity":
            out[f"{prefix}.p_identity"] = val(r["p"])
    for name, (_, r) in zip(("early", "late"), pieces.iterrows()):
        for k in ("hr", "ci_low", "ci_high", "p"):
            out[f"methods.ph.{endpoint}.{name}.{k}"] = val(r[k])
    return out


def null_samples(result: cox.CoxResult, reps: int, seed: int):
    """The samples of :func:`null_rejection_rates`: the design of ``result`` (a fitted
    :class:`~lcnec_utils.stats.cox.CoxResult`; its terms and their values, unchanged) with new times
    drawn under proportional hazards: its fitted β̂, an exponential baseline hazard (the tests on
    the 1 − KM scale do not depend on the time unit) and independent exponential censoring whose
    rate makes the expected share of events equal the model's. Yields (duration, event) arrays,
    ``reps`` of them, seeded."""
    from scipy.optimize import brentq

    if result.model is None or result.data is None or not result.converged:
        raise ValueError("the Cox model was not fitted; no design to simulate from")
    x = result.data[list(result.model.params_.index)].to_numpy(float)
    lp = x @ result.model.params_.to_numpy(float)
    rate = np.exp(lp - lp.mean())
    share = float(result.data["event"].mean())
    if not 0 < share < 1:
        censor = 0.0 if share >= 1 else math.inf
    else:
        censor = brentq(lambda c: float(np.mean(rate / (rate + c))) - share, 1e-12, 1e12)
    rng = np.random.default_rng(seed)
    for _ in range(reps):
        t = rng.exponential(1 / rate)
        c = rng.exponential(1 / censor, size=len(t)) if censor > 0 else np.full(len(t), np.inf)
        yield np.minimum(t, c), t <= c


def null_replicate(
    duration: np.ndarray, event: np.ndarray, x: np.ndarray, term: int
) -> dict[str, Any] | None:
    """One sample of :func:`null_rejection_rates` refitted and tested: β̂ by :func:`efron_newton` (R's
    ``coxph``), then, on the 1 − KM(t−) scale, the exact global test (:func:`zph_global_test`), the
    approximation's global test (:func:`approximation_global_test`: its g̃'S, the Schoenfeld
    residuals weighted by g̃, is the score of γ, since the residuals at one event time sum to the
    Efron score there) and the exact test of column ``term`` (:func:`zph_score_test`). Keys
    ``score_global``, ``approximation_global``, ``score_term`` (p-values), ``events``, ``beta``;
    None, the sample dropped, when it has no event, when R's ``coxph`` would warn (did not
    converge, or a coefficient may be infinite) or when an information matrix is singular (as in an
    arm of 2 patients)."""
    from scipy import stats as sps

    if not event.any():
        return None
    n_terms = x.shape[1]
    centred = x - x.mean(axis=0)
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            beta, warned = efron_newton(duration, event, centred)
        if warned:
            return None
        u, full, i_bb, g_squares = _zph_arrays(duration, event, centred, beta, "km")
        u_g = u[n_terms:]
        approximation = int(event.sum()) * float(u_g @ np.linalg.solve(i_bb, u_g)) / g_squares
        return {
            "score_global": float(sps.chi2.sf(_score_chi2(u, full, n_terms), n_terms)),
            "approximation_global": float(sps.chi2.sf(approximation, n_terms)),
            "score_term": float(sps.chi2.sf(_score_chi2(u, full, n_terms, term), 1)),
            "events": int(event.sum()),
            "beta": beta,
        }
    except np.linalg.LinAlgError:
        return None


def null_rejection_rates(
    result: cox.CoxResult, alpha: float, reps: int = 200, seed: int = 20240611, term: str = "treatment"
) -> dict[str, Any]:
    """How often the proportional-hazards tests reject at ``alpha`` when hazards *are* proportional, in
    the design of ``result`` (a fitted :class:`~lcnec_utils.stats.cox.CoxResult`): ``reps`` samples
    of :func:`null_samples` (its design and β̂, new times), each refitted and tested by
    :func:`null_replicate` (R's ``coxph`` fit; the exact and the approximate global tests and the
    exact test of ``term``, on the 1 − KM scale); a sample with no event, whose fit R would warn
    about, or with a singular information matrix is dropped, as R's rebuild of this simulation
    drops them (tests/r/ph_null_sim.R).

    Keys ``score_global``, ``approximation_global``, ``score_term`` (share of kept replicates with
    p < ``alpha``), ``kept``, ``reps``, ``mean_events``, ``mean_beta`` (the kept fits' mean
    coefficients, by term: near β̂, which the samples are drawn from). Seeded: the same call gives
    the same numbers.
    """
    if result.model is None or result.data is None or not result.converged:
        raise ValueError("the Cox model was not fitted; no design to simulate from")
    terms = list(result.model.params_.index)
    if term not in terms:
        raise ValueError(f"no term {term!r} in the model (terms: {terms})")
    x = result.data[terms].to_numpy(float)
    rows = [
        r for d, e in null_samples(result, reps, seed) if (r := null_replicate(d, e, x, terms.index(term)))
    ]
    keys = ["score_global", "approximation_global", "score_term"]
    kept = len(rows)
    out = {k: (float(np.mean([r[k] < alpha for r in rows])) if kept else math.nan) for k in keys}
    betas = np.array([r["beta"] for r in rows]).reshape(kept, len(terms))
    return {
        **out,
        "kept": kept,
        "reps": reps,
        "mean_events": float(np.mean([r["events"] for r in rows])) if kept else math.nan,
        "mean_beta": dict(
            zip(terms, map(float, betas.mean(axis=0) if kept else [math.nan] * len(terms)), strict=True)
        ),
    }


#: Replicates of :func:`ph_null_rates` per endpoint (about 8 s for 1,000 on one core for the paper's
#: model of 31 patients), and the largest analysed cohort it is run on. 200 were too few: the book's
#: seed's first 200 put the approximation's PFS rate at 0.146, 3 simulation SEs above R's 0.078 (review
#: 50); 1,000 give 0.085, and every rate's simulation SE is at most 1.7 percentage points.
NULL_REPS = 1000
NULL_MAX_N = 500


def ph_null_rates(
    cohort: pd.DataFrame, endpoint: str, params, reps: int = NULL_REPS
) -> dict[str, float] | None:
    """:func:`null_rejection_rates` of the model with ``params.covariates`` at ``params.alpha``, seeded
    with ``params.seed``; None if the model did not converge or the cohort has more than
    :data:`NULL_MAX_N` patients (where every replicate would cost seconds)."""
    res = cox.fit_cox(cohort, endpoint, params.covariates, params)
    if res.model is None or not res.converged or res.n > NULL_MAX_N:
        return None
    return null_rejection_rates(res, params.alpha, reps=reps, seed=int(params.seed))


def ph_null_results(rates: dict[str, float] | None, endpoint: str) -> dict[str, Any]:
    """Keys ``methods.ph.<endpoint>.null.<score_global|approximation_global|score_term>`` and
    ``methods.ph.<endpoint>.null.kept`` of :func:`ph_null_rates` (None where it was not run)."""
    out: dict[str, Any] = {}
    for k in ("score_global", "approximation_global", "score_term"):
        v = None if rates is None else rates[k]
        out[f"methods.ph.{endpoint}.null.{k}"] = None if v is None or not np.isfinite(v) else float(v)
    out[f"methods.ph.{endpoint}.null.kept"] = None if rates is None else int(rates["kept"])
    return out
