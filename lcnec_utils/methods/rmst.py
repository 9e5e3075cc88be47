"""Restricted mean survival time (RMST): an effect measure that needs no proportional hazards.

RMST(τ) is the area under the Kaplan-Meier curve from 0 to τ: the mean
survival time over the first τ months. The difference between arms is in
months gained (or lost) over that window (Royston & Parmar 2013; Uno et al.
2014). The numbers come from :func:`lcnec_utils.stats.survival.rmst_difference`
(lifelines' area, Greenwood-type variance, normal CI); this module tabulates
them for several τ and checks that τ lies within both arms' follow-up.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from lcnec_utils.stats import survival
from lcnec_utils.stats.format import NA_TEXT, ci_label, format_p, format_value

#: Truncation times of the chapter, in months.
TAUS = (12.0, 24.0)


def max_tau(cohort: pd.DataFrame, endpoint: str, params) -> float:
    """Largest admissible τ: the shorter of the two arms' last observed times.

    Beyond it one arm's Kaplan-Meier curve is undefined (Tian et al. 2020
    discuss the choice of τ; survRM2 uses the same default).
    """
    data = survival.endpoint_data(cohort, endpoint, params.reference_group, params.treatment_group)
    return float(min(data.arm(r)["time"].max() for r in survival.ROLES))


def rmst_table(cohort: pd.DataFrame, endpoint: str, params, taus=TAUS) -> pd.DataFrame:
    """One row per τ: RMST per arm with SE, difference (treatment - reference), CI, p.

    A τ beyond :func:`max_tau` gives a row of None with ``admissible`` False.
    """
    limit = max_tau(cohort, endpoint, params)
    rows = []
    for tau in taus:
        if tau > limit:
            rows.append(
                {
                    "tau": float(tau),
                    "admissible": False,
                    "rmst_treatment": None,
                    "rmst_reference": None,
                    "se_treatment": None,
                    "se_reference": None,
                    "difference": None,
                    "ci_low": None,
                    "ci_high": None,
                    "p": None,
                }
            )
            continue
        r = survival.rmst_difference(cohort, endpoint, params, tau)
        rows.append(
            {
                "tau": float(tau),
                "admissible": True,
                "rmst_treatment": r.rmst["treatment"],
                "rmst_reference": r.rmst["reference"],
                "se_treatment": r.se["treatment"],
                "se_reference": r.se["reference"],
                "difference": r.difference,
                "ci_low": r.ci_low,
                "ci_high": r.ci_high,
                "p": r.p,
            }
        )
    table = pd.DataFrame(rows).astype(object)
    return table.where(table.notna(), None)  # keep 'not computable' as None, not NaN


def _key_tau(tau: float) -> str:
    return f"{int(tau)}m" if float(tau).is_integer() else f"{tau:g}m".replace(".", "_")


def rmst_results(table: pd.DataFrame, endpoint: str) -> dict[str, Any]:
    """Keys ``methods.rmst.<endpoint>.<tau>m.{difference,ci_low,ci_high,p}`` and ``.rmst.<group>``."""
    out: dict[str, Any] = {}
    for _, r in table.iterrows():
        prefix = f"methods.rmst.{endpoint}.{_key_tau(r['tau'])}"
        for k in ("difference", "ci_low", "ci_high", "p"):
            out[f"{prefix}.{k}"] = r[k]
        out[f"{prefix}.rmst.treatment"] = r["rmst_treatment"]
        out[f"{prefix}.rmst.reference"] = r["rmst_reference"]
    return out


def rmst_curve(cohort: pd.DataFrame, endpoint: str, params, n_points: int = 15) -> pd.DataFrame:
    """RMST difference and its CI on a grid of τ from 1 month to :func:`max_tau` (for a figure)."""
    grid = np.linspace(1.0, max_tau(cohort, endpoint, params), n_points)
    rows = []
    for tau in grid:
        r = survival.rmst_difference(cohort, endpoint, params, float(tau))
        rows.append({"tau": float(tau), "difference": r.difference, "ci_low": r.ci_low, "ci_high": r.ci_high})
    return pd.DataFrame(rows)


def format_rmst_table(table: pd.DataFrame, params) -> pd.DataFrame:
    """Text version of :func:`rmst_table`."""

    def num(v):
        return format_value(v, "{:.1f}", NA_TEXT)

    rows = []
    for _, r in table.iterrows():
        rows.append(
            {
                "τ (months)": f"{r['tau']:g}",
                f"RMST, {params.treatment_group}": num(r["rmst_treatment"]),
                f"RMST, {params.reference_group}": num(r["rmst_reference"]),
                f"Difference ({ci_label(params.alpha)}), months": "beyond follow-up"
                if not r["admissible"]
                else f"{num(r['difference'])} ({num(r['ci_low'])} to {num(r['ci_high'])})",
                "p": format_p(r["p"]),
            }
        )
    return pd.DataFrame(rows)


def rmst_by_hand(times, events, tau: float) -> tuple[float, list[tuple[float, float, float]]]:
    """RMST(τ) as the sum of the Kaplan-Meier curve's rectangles: (start, width, height) of each step
    from 0 to τ, and their total area."""
    curve = survival.km_curve(times, events)
    keep = curve.time < tau
    starts = np.concatenate(([0.0], curve.time[keep]))
    heights = np.concatenate(([1.0], curve.survival[keep]))
    widths = np.diff(np.append(starts, tau))
    steps = [(float(a), float(w), float(h)) for a, w, h in zip(starts, widths, heights)]
    return float(np.sum(widths * heights)), steps


def _km_area(time: np.ndarray, event: np.ndarray, tau: float) -> float:
    """RMST(τ) of one sample: the area under its Kaplan-Meier curve from 0 to τ (events before
    censorings at a tied time), vectorised for the permutation test."""
    order = np.lexsort((1 - event, time))
    t, e = time[order], event[order]
    at_risk = len(t) - np.arange(len(t))
    factor = np.where(e == 1, 1.0 - 1.0 / at_risk, 1.0)
    surv = np.cumprod(factor)
    keep = t < tau
    starts = np.concatenate(([0.0], t[keep]))
    heights = np.concatenate(([1.0], surv[keep]))
    return float(np.sum(np.diff(np.append(starts, tau)) * heights))


#: Relabellings of the arms in :func:`rmst_permutation_p` and their seed.
PERMUTATIONS, PERMUTATION_SEED = 5000, 20251206


def rmst_permutation_p(
    cohort: pd.DataFrame,
    endpoint: str,
    params,
    tau: float,
    n_perm: int = PERMUTATIONS,
    seed: int = PERMUTATION_SEED,
) -> float | None:
    """Two-sided permutation p of the RMST(τ) difference: the arm labels shuffled ``n_perm`` times
    (seeded), p = (1 + #{|difference| at least the observed}) / (1 + n_perm); a relabelling whose
    shorter arm ends before τ counts with the curve flat after its last time (it is rare at the
    first τ). With 14 and 17 patients the z-test's normal approximation can be far smaller
    (session 15's review: 0.005 against about 0.015). None when τ is beyond follow-up."""
    if tau > max_tau(cohort, endpoint, params):
        return None
    data = survival.endpoint_data(cohort, endpoint, params.reference_group, params.treatment_group).frame
    t, e = data["time"].to_numpy(float), data["event"].to_numpy(int)
    treated = (data["role"] == "treatment").to_numpy()

    def diff(mask: np.ndarray) -> float:
        return _km_area(t[mask], e[mask], tau) - _km_area(t[~mask], e[~mask], tau)

    observed = abs(diff(treated))
    rng = np.random.default_rng(seed)
    hits = sum(abs(diff(rng.permutation(treated))) >= observed - 1e-12 for _ in range(n_perm))
    return (1 + hits) / (1 + n_perm)


def events_before_tau(cohort: pd.DataFrame, endpoint: str, params, tau: float, window: float = 1.0) -> str:
    """A caveat when an arm's restricted mean rests on a cluster of events just before τ: for each arm
    with at least 3 events before τ and half or more of them in the ``window`` months before it, how
    many and where ("" when no arm has such a cluster). Session 15's review: the treated arm's OS
    RMST at 12 months had SE 0.08, its first 6 deaths falling at 11.1-11.8 months."""
    data = survival.endpoint_data(cohort, endpoint, params.reference_group, params.treatment_group).frame
    noun = "deaths" if endpoint == "os" else "events"
    parts = []
    for role in ("treatment", "reference"):
        arm = data[(data["role"] == role) & (data["event"] == 1) & (data["time"] <= tau)]["time"]
        late = arm[arm > tau - window]
        if len(arm) >= 3 and 2 * len(late) >= len(arm):
            group = params.treatment_group if role == "treatment" else params.reference_group
            parts.append(
                f"in the {group} arm {len(late)} of the {len(arm)} {noun} by {tau:g} months fall in the "
                f"{window:g} month{'' if window == 1 else 's'} before it ({late.min():.1f} to {late.max():.1f})"
            )
    if not parts:
        return ""
    return (
        " ".join(["Read the", f"{tau:g}-month difference with care:"] + ["; ".join(parts) + ","])
        + " so the restricted mean there rests on where those events fall just below τ, and its"
        " standard error is small for that reason, not because the arm is well measured."
    )


#: Where the RMST's standard error comes from in each program.
RMST_SE_SOFTWARE = {
    "greenwood": "R print(survfit, rmean = τ), survRM2, this book: Σ A_j² d_j / (n_j (n_j − d_j))",
    "lifelines": "lifelines restricted_mean_survival_time(return_variance=True): Var[min(T, τ)], "
    "the spread of the patients' restricted times, not the estimate's sampling variance",
    "lifelines_n": "the same variance divided by n (its square root): close to the first only when nobody "
    "is censored before τ",
}


def rmst_conventions(cohort: pd.DataFrame, endpoint: str, params, tau: float) -> pd.DataFrame:
    """Each arm's RMST(τ) and the 'standard error' each program or shortcut gives, one row per (arm, source).

    Columns role, group, source (:data:`RMST_SE_SOFTWARE`), rmst, se. The RMST itself is the same
    area everywhere (lifelines' ``restricted_mean_survival_time`` on the fitted curve).
    """
    from lifelines import KaplanMeierFitter
    from lifelines.utils import restricted_mean_survival_time
    from scipy.integrate import IntegrationWarning

    data = survival.endpoint_data(cohort, endpoint, params.reference_group, params.treatment_group)
    rows = []
    for role, group in (("treatment", params.treatment_group), ("reference", params.reference_group)):
        arm = data.arm(role)
        t, e = arm["time"].to_numpy(float), arm["event"].to_numpy(float)
        km = KaplanMeierFitter().fit(t, e)
        with warnings.catch_warnings():
            # lifelines integrates the step curve with scipy's quad, which warns about the steps
            # (never on the page: the chapter shows what lifelines returns)
            warnings.simplefilter("ignore", IntegrationWarning)
            mean, var = restricted_mean_survival_time(km, t=tau, return_variance=True)
        r = survival.rmst_difference(cohort, endpoint, params, tau)
        ses = {
            "greenwood": r.se[role],
            "lifelines": float(np.sqrt(var)),
            "lifelines_n": float(np.sqrt(var / len(t))),
        }
        for source, se in ses.items():
            rows.append({"role": role, "group": group, "source": source, "rmst": float(mean), "se": se})
    return pd.DataFrame(rows)


def format_rmst_conventions(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Text version of :func:`rmst_conventions` (``tables``: label -> table)."""
    return pd.DataFrame(
        [
            {
                "Endpoint": label,
                "Arm": r["group"],
                "RMST (months)": f"{r['rmst']:.2f}",
                "Standard error (months)": f"{r['se']:.2f}",
                "Source": RMST_SE_SOFTWARE[r["source"]],
            }
            for label, table in tables.items()
            for _, r in table.iterrows()
        ]
    )


def rmst_teaching_glue(
    cohort: pd.DataFrame, params, conventions: dict[str, pd.DataFrame]
) -> dict[str, tuple]:
    """The RMST chapter's τ values, the SE comparison and the exercises' numbers (the first endpoint's
    reference arm's RMST at the first τ as a sum of rectangles)."""
    glue: dict[str, tuple] = {"tau1": (TAUS[0], "{:g}"), "tau2": (TAUS[1], "{:g}")}
    glue["n_perm"] = (PERMUTATIONS, "{:,}")
    for endpoint in ("pfs", "os"):
        present = survival.has_endpoint(cohort, endpoint)
        perm = rmst_permutation_p(cohort, endpoint, params, TAUS[0]) if present else None
        glue[f"{endpoint}_12m_perm_p"] = (perm, "p_clause", "not computable")
        glue[f"{endpoint}_12m_cluster"] = (
            events_before_tau(cohort, endpoint, params, TAUS[0]) if present else "",
            "{}",
        )
    ep = "pfs" if "pfs" in conventions else next(iter(conventions), None)
    if ep is None:
        return glue
    table = conventions[ep]
    row = table[(table["role"] == "reference")].set_index("source")
    glue["se_endpoint"] = ("progression-free survival" if ep == "pfs" else "overall survival", "{}")
    for source in RMST_SE_SOFTWARE:
        glue[f"se_{source}"] = (row.loc[source, "se"], "{:.2f}")
    data = survival.endpoint_data(cohort, ep, params.reference_group, params.treatment_group).arm("reference")
    area, steps = rmst_by_hand(data["time"], data["event"], TAUS[0])
    glue["ex3_area"] = (area, "{:.3f}")
    glue["ex3_steps"] = (len(steps), "{}")
    glue["ex3_first"] = (
        " + ".join(f"{w:.1f}×{h:.3f}" for _, w, h in steps[:3]) + (" + …" if len(steps) > 3 else ""),
        "{}",
    )
    return glue
