"""The survival chapter's table and results: per arm, the Kaplan-Meier median with
its intervals and the landmark rate; the log-rank p; follow-up.

Numbers from :mod:`lcnec_utils.stats.survival`; this module lines them up
under the results keys and prints them.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from lcnec_utils.stats.format import (
    NA_TEXT,
    ci_label,
    format_interval,
    format_pct,
    format_value,
    is_missing,
    z_label,
)
from lcnec_utils.stats.survival import (
    ROLES,
    endpoint_data,
    has_endpoint,
    km_median,
    landmark_survival,
    logrank,
    median_ci_brookmeyer_crowley,
    median_ci_spss,
    reverse_km_followup,
)


def followup_results(cohort: pd.DataFrame, params) -> dict[str, Any]:
    """``{"followup.median": ...}``: reverse Kaplan-Meier median follow-up of OS.

    Both arms pooled, complete cases of ``os_months``/``os_event``; see
    :func:`reverse_km_followup`. None if the OS columns are absent.
    """
    if not has_endpoint(cohort, "os"):
        return {"followup.median": None}
    data = endpoint_data(cohort, "os", params.reference_group, params.treatment_group)
    fu = reverse_km_followup(data.frame["time"], data.frame["event"], params.alpha)
    return {"followup.median": fu.median}


def _float(value) -> float | None:
    return None if value is None else float(value)


SUMMARY_COLUMNS = [
    "group",
    "n",
    "events",
    "median",
    "median_ci_low",
    "median_ci_high",
    "median_se",
    "median_ci_bc_low",
    "median_ci_bc_high",
    "rate",
    "rate_ci_low",
    "rate_ci_high",
]


def survival_summary(cohort: pd.DataFrame, endpoint: str, params) -> pd.DataFrame:
    """One row per arm role: n, events, KM median with SPSS and Brookmeyer-Crowley CIs, landmark rate.

    Median CI "median_ci_*" = SPSS's median ± z·SE (:func:`median_ci_spss`);
    "median_ci_bc_*" = Brookmeyer-Crowley log-log as R. The rate is S at
    ``params.landmark_months`` with its log-log CI. Complete cases; the number
    dropped is in ``.attrs["n_dropped"]``. Raises :class:`EndpointUnavailable`
    if the endpoint's columns are absent.
    """
    data = endpoint_data(cohort, endpoint, params.reference_group, params.treatment_group)
    labels = {"reference": params.reference_group, "treatment": params.treatment_group}
    rows = {}
    for role in ROLES:
        arm = data.arm(role)
        t, e = arm["time"].to_numpy(), arm["event"].to_numpy()
        spss = median_ci_spss(t, e, params.alpha)
        bc = median_ci_brookmeyer_crowley(t, e, params.alpha, "log-log")
        lm = landmark_survival(t, e, params.landmark_months, params.alpha)
        rows[role] = {
            "group": labels[role],
            "n": len(arm),
            "events": int(e.sum()),
            "median": km_median(t, e),
            "median_ci_low": _float(spss.ci_low),
            "median_ci_high": _float(spss.ci_high),
            "median_se": _float(spss.se),
            "median_ci_bc_low": bc.ci_low,
            "median_ci_bc_high": bc.ci_high,
            "rate": lm.survival,
            "rate_ci_low": lm.ci_low,
            "rate_ci_high": lm.ci_high,
        }
    # object columns so that "not computable" stays None (pandas would turn it into NaN)
    table = pd.DataFrame(
        {col: pd.Series({role: rows[role][col] for role in ROLES}, dtype=object) for col in SUMMARY_COLUMNS}
    )
    table.index.name = "role"
    table.attrs["n_dropped"] = data.n_dropped
    table.attrs["dropped_reasons"] = data.dropped_reasons
    table.attrs["endpoint"] = endpoint
    return table


def results_keys(endpoint: str, params) -> list[str]:
    """Every results key :func:`survival_results` fills for ``endpoint``."""
    lk = params.landmark_key
    keys = []
    for stat in (
        "events",
        "median",
        "median_ci_low",
        "median_ci_high",
        "median_ci_bc_low",
        "median_ci_bc_high",
        lk,
        f"{lk}_ci_low",
        f"{lk}_ci_high",
    ):
        keys += [f"{endpoint}.{stat}.{role}" for role in ROLES]
    # CONVENTIONS.md lists the landmark CI keys for <arm> = total as well
    keys += [f"{endpoint}.{lk}_ci_low.total", f"{endpoint}.{lk}_ci_high.total"]
    return keys + [f"{endpoint}.logrank.chi2", f"{endpoint}.logrank.p"]


def survival_results(cohort: pd.DataFrame, endpoint: str, params) -> dict[str, Any]:
    """Results keys of one endpoint (``results-keys.md`` and CONVENTIONS.md).

    ``{endpoint}.events|median|median_ci_low|median_ci_high|median_ci_bc_low|
    median_ci_bc_high|<landmark_key>|<landmark_key>_ci_low|_ci_high.<role>``,
    ``{endpoint}.<landmark_key>_ci_low|_ci_high.total`` (both arms pooled, as
    CONVENTIONS.md lists them) and ``{endpoint}.logrank.chi2|p``. If the endpoint's columns are absent every
    key is present with value None.
    """
    keys = results_keys(endpoint, params)
    if not has_endpoint(cohort, endpoint):
        return {k: None for k in keys}
    table = survival_summary(cohort, endpoint, params)
    lr = logrank(cohort, endpoint, params.reference_group, params.treatment_group)
    lk = params.landmark_key
    column_for = {
        "events": "events",
        "median": "median",
        "median_ci_low": "median_ci_low",
        "median_ci_high": "median_ci_high",
        "median_ci_bc_low": "median_ci_bc_low",
        "median_ci_bc_high": "median_ci_bc_high",
        lk: "rate",
        f"{lk}_ci_low": "rate_ci_low",
        f"{lk}_ci_high": "rate_ci_high",
    }
    out: dict[str, Any] = {}
    for stat, col in column_for.items():
        for role in ROLES:
            value = table.loc[role, col]
            out[f"{endpoint}.{stat}.{role}"] = None if is_missing(value) else value
    pooled = endpoint_data(cohort, endpoint, params.reference_group, params.treatment_group).frame
    total = landmark_survival(pooled["time"], pooled["event"], params.landmark_months, params.alpha)
    out[f"{endpoint}.{lk}_ci_low.total"] = total.ci_low
    out[f"{endpoint}.{lk}_ci_high.total"] = total.ci_high
    out[f"{endpoint}.logrank.chi2"] = lr.chi2
    out[f"{endpoint}.logrank.p"] = lr.p
    assert set(out) == set(keys)
    return out


def format_summary(table: pd.DataFrame, params) -> pd.DataFrame:
    """Text version of :func:`survival_summary` for the page, one row per arm (treatment first).

    Median "not reached" when None; a CI limit that the curve never reaches
    is printed "not reached" (upper) or "—"; the rate in percent. The headers give the
    intervals' level, ``params.alpha`` as :func:`survival_summary` computes them
    ("95% CI (SPSS: median ± 1.96 SE)" at 0.05, "90% CI (SPSS: median ± 1.645 SE)" at 0.10).
    """
    lm = f"{params.landmark_months:g}"
    ci = ci_label(params.alpha)
    rows = []
    for role in ("treatment", "reference"):
        r = table.loc[role]
        rate = (
            NA_TEXT
            if r["rate"] is None
            else f"{format_pct(r['rate'])} ({format_interval(r['rate_ci_low'], r['rate_ci_high'], 1, 100.0)})"
        )
        rows.append(
            {
                "Arm": r["group"],
                "n": str(r["n"]),
                "Events": str(r["events"]),
                "Median, months": "not reached"
                if r["median"] is None
                else format_value(r["median"], "{:.1f}", NA_TEXT),
                f"{ci} (SPSS: median ± {z_label(params.alpha)} SE)": format_interval(
                    r["median_ci_low"], r["median_ci_high"]
                )
                if r["median"] is not None
                else NA_TEXT,
                f"{ci} (Brookmeyer-Crowley)": format_interval(r["median_ci_bc_low"], r["median_ci_bc_high"]),
                f"{lm}-month rate, % ({ci})": rate,
            }
        )
    return pd.DataFrame(rows)
