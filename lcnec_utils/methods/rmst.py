"""Restricted mean survival time (RMST): an effect measure that needs no proportional hazards.

RMST(τ) is the area under the Kaplan-Meier curve from 0 to τ: the mean
survival time over the first τ months. The difference between arms is in
months gained (or lost) over that window (Royston & Parmar 2013; Uno et al.
2014). The numbers come from :func:`lcnec_utils.stats.survival.rmst_difference`
(lifelines' area, Greenwood-type variance, normal CI); this module tabulates
them for several τ and checks that τ lies within both arms' follow-up.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from lcnec_utils.stats import survival
from lcnec_utils.stats.format import NA_TEXT, format_p, format_value

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
                "Difference (95% CI), months": "beyond follow-up"
                if not r["admissible"]
                else f"{num(r['difference'])} ({num(r['ci_low'])} to {num(r['ci_high'])})",
                "p": format_p(r["p"]),
            }
        )
    return pd.DataFrame(rows)
