"""Proportional hazards: Schoenfeld-residual tests, β(t) estimates and what to report when hazards cross.

* :func:`ph_tests`: the Grambsch & Therneau (1994) test for the arm's term,
  in the arm-only model and in the paper's full model, with two time scales
  (:func:`lcnec_utils.stats.cox.schoenfeld_test`, lifelines);
* :func:`beta_t`: scaled Schoenfeld residuals plus the coefficient, whose
  smoothed trend against time estimates the log hazard ratio over time
  (Grambsch & Therneau 1994; R ``plot(cox.zph(fit))``);
* :func:`piecewise_hr`: the arm's HR before and after a cut time, a
  time-split Cox model (Therneau & Grambsch 2000, §6.2), one of the honest
  summaries when hazards are not proportional.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from lcnec_utils.stats import cox
from lcnec_utils.stats.normal import z_two_sided

#: Cut of the piecewise model, months. Fixed (half the 12-month landmark),
#: not chosen from the curves: a cut placed where the curves cross
#: manufactures the effect it then reports.
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
    Columns time, beta_t, and ``beta``, the model's constant β̂.
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
    out = pd.DataFrame({"time": times, "beta_t": res[term].to_numpy(float) + b, "beta": b})
    return out.sort_values("time", kind="stable").reset_index(drop=True)


def smooth(x: np.ndarray, y: np.ndarray, frac: float = 2 / 3) -> tuple[np.ndarray, np.ndarray]:
    """LOWESS trend of y on x (statsmodels ``lowess``, default span 2/3, 3 robustness steps)."""
    from statsmodels.nonparametric.smoothers_lowess import lowess

    x, y = np.asarray(x, float), np.asarray(y, float)
    # statsmodels' own speed-up for long series: local fits 1% of the range apart
    delta = 0.01 * float(np.ptp(x)) if len(x) > 2000 else 0.0
    fit = lowess(y, x, frac=frac, return_sorted=True, delta=delta)
    return fit[:, 0], fit[:, 1]


def piecewise_hr(cohort: pd.DataFrame, endpoint: str, params, cut: float = CUT_MONTHS) -> pd.DataFrame:
    """The arm's HR on [0, cut) and on [cut, ∞): a Cox model with a time-split arm effect.

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
    early = df.assign(
        event=((df["event"] == 1) & (df["duration"] < cut)).astype(int),
        duration=df["duration"].clip(upper=cut),
    )
    late = df[df["duration"] >= cut]
    z = z_two_sided(params.alpha)
    rows = []
    for period, frame in ((f"before {cut:g} months", early), (f"from {cut:g} months", late)):
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
