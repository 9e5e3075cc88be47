"""Every target of the reconstruction checked on a cohort with the book's own analysis code.

:func:`evaluate_targets` assembles one row per target from one function per kind of check
(counts, ages, labs, table p-values, Kaplan-Meier medians and rates, section 3.3's rates,
log-rank and follow-up, every term of the multivariable Cox models (Table 4), the median CIs); a target the printed numbers
cannot meet is marked "impossible" with its evidence in the row's note.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from lcnec_utils.reconstruct.bounds import TermPlan, ideal_covariate_se, term_plans
from lcnec_utils.reconstruct.settings import LABS, ROLES, TABLE4, TOLERANCES, TREATMENT
from lcnec_utils.reconstruct.targets import is_table4_covariate_key, matches_printed, published_targets
from lcnec_utils.stats.attainable import km_rate_path
from lcnec_utils.stats.normal import Z95
from lcnec_utils.tables.multivariable import cox_results
from lcnec_utils.tables.survival import survival_results

TARGET_COLUMNS = ["key", "description", "published", "achieved", "tolerance", "status", "note"]


def book_results(cohort: pd.DataFrame, ae: pd.DataFrame | None, params=None) -> dict[str, Any]:
    """Every results key the book's modules compute on ``cohort`` (Tables 2-4, survival, follow-up)."""
    from lcnec_utils import tables
    from lcnec_utils.contract.params import Parameters
    from lcnec_utils.stats import survival

    params = params or Parameters()
    res: dict[str, Any] = {}
    res.update(tables.baseline_table(cohort, params).results())
    res.update(tables.response_table(cohort, params).results())
    res.update(tables.safety_tables(cohort, ae, params).results())
    for ep in ("pfs", "os"):
        res.update(survival_results(cohort, ep, params))
        res.update(cox_results(cohort, ep, params))
    res["followup.median"] = survival.reverse_km_followup(
        cohort["os_months"].to_numpy(float), cohort["os_event"].to_numpy(int)
    ).median
    for r, label in (("treatment", params.treatment_group), ("reference", params.reference_group)):
        res[f"n.{r}"] = int((cohort["group"] == label).sum())
    res["n.total"] = res["n.treatment"] + res["n.reference"]
    return res


def _plain(x: Any) -> Any:
    """numpy scalars as Python numbers (the table's cells)."""
    if x is None:
        return None
    if isinstance(x, (float, np.floating)):
        return float(x)
    if isinstance(x, (np.integer,)):
        return int(x)
    return x


def _row(
    key, description, published_value, achieved, tolerance, ok, note="", impossible=False
) -> dict[str, Any]:
    """One target's row: status "met" if ``ok``, else "impossible" or "missed"."""
    return {
        "key": key,
        "description": description,
        "published": _plain(published_value),
        "achieved": _plain(achieved),
        "tolerance": tolerance,
        "status": "met" if ok else ("impossible" if impossible else "missed"),
        "note": note,
    }


def _count_rows(tg: Mapping[str, Any], res: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every printed count, exact; a printed total that is not the sum of its arms is impossible."""
    rows = []
    for key in sorted(k for k in tg if (".n." in k or k.startswith("n.")) and tg[k] is not None):
        got = res.get(key)
        if got is None and key.startswith("safety.irae") and key.endswith(".n.treatment"):
            got = 0
        note, impossible = "", False
        if key.endswith(".n.total") and key.startswith("baseline."):
            parts = [tg.get(key.replace(".total", f".{r}")) for r in ROLES]
            if None not in parts and sum(parts) != tg[key]:
                impossible = True
                note = f"printed arm counts {parts[0]} + {parts[1]} = {sum(parts)}, printed total {tg[key]}"
        rows.append(
            _row(key, "count", tg[key], got, "exact", got == tg[key] and not impossible, note, impossible)
        )
    return rows


def _age_rows(tg: Mapping[str, Any], res: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Age mean and SD per arm and in total, at their printed decimals."""
    rows = []
    for arm in ("treatment", "reference", "total"):
        for stat, dec in (("mean", 1), ("sd", 2)):
            key = f"baseline.age.{stat}.{arm}"
            if key in tg:
                got = res.get(key)
                ok = got is not None and matches_printed(got, tg[key], dec)
                rows.append(_row(key, f"age {stat}", tg[key], got, f"rounds to {dec} decimals", ok))
    return rows


def _lab_rows(tg: Mapping[str, Any], res: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each laboratory value's SPSS quartiles per arm and in total, at two decimals."""
    rows = []
    for lab in LABS:
        for arm in ("treatment", "reference", "total"):
            for stat in ("q1", "median", "q3"):
                key = f"baseline.{lab}.{stat}.{arm}"
                if key in tg:
                    got = res.get(key)
                    ok = got is not None and matches_printed(got, tg[key], 2)
                    rows.append(
                        _row(key, f"{lab} {stat} (SPSS quartiles)", tg[key], got, "rounds to 2 decimals", ok)
                    )
    return rows


def _table_p_rows(tg: Mapping[str, Any], res: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Tables 2 and 3's p-values; a Fisher p is fixed by the printed counts, so a miss is impossible."""
    rows = []
    p_keys = sorted(k for k in tg if k.startswith("baseline.") and k.endswith(".p")) + [
        "response.orr.p",
        "response.dcr.p",
    ]
    for key in p_keys:
        if tg.get(key) is None:
            continue
        got = res.get(key)
        ok = got is not None and abs(got - tg[key]) <= TOLERANCES["p_table"]
        name = key.split(".")[1]
        fisher = name not in ("age",) and name not in LABS
        note, impossible = "", False
        if not ok and fisher:
            impossible = True
            note = (
                f"Fisher's exact p is fixed by the printed counts: {got:.3f} "
                f"(printed {tg[key]:.3f}); no cohort with these counts gives the printed p"
            )
        description = "Fisher exact p" if fisher else "test p"
        rows.append(_row(key, description, tg[key], got, TOLERANCES["p_table"], ok, note, impossible))
    return rows


def _km_rows(tg: Mapping[str, Any], res: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each arm's Kaplan-Meier median (exact) and 12-month rate (at one decimal, in percent)."""
    rows = []
    for ep in ("pfs", "os"):
        for arm in ROLES:
            key = f"{ep}.median.{arm}"
            got = res.get(key)
            ok = got is not None and abs(got - tg[key]) < 1e-9
            rows.append(_row(key, f"{ep.upper()} KM median (first S <= 0.5)", tg[key], got, "exact", ok))
            key = f"{ep}.rate_12m.{arm}"
            got = res.get(key)
            got_pct = None if got is None else 100 * got
            ok = got_pct is not None and matches_printed(got_pct, tg[key], 1)
            description = f"{ep.upper()} 12-month KM rate (%)"
            rows.append(_row(key, description, tg[key], got_pct, "rounds to 1 decimal", ok))
    return rows


def _text_rate_rows(tg: Mapping[str, Any], res: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Section 3.3's 12-month OS rates, which differ from Table 3's for the same curves: impossible,
    with the fewest censorings a Kaplan-Meier curve on the arm needs to print them
    (:func:`lcnec_utils.stats.attainable.km_rate_path`)."""
    try:
        from lcnec_utils.contract.published import published_values

        text = published_values("text-3.3")
    except Exception:
        text = {}
    rows = []
    for arm in ROLES:
        key = f"os.rate_12m.{arm}"
        if key not in text:
            continue
        n_arm = int(tg[f"n.{arm}"])
        path = km_rate_path(text[key], n_arm)
        note = (
            f"section 3.3 prints {text[key]} where Table 3 prints {tg[key]} for the same S(12); "
            "one curve has one value, the Table's is used. "
        )
        if path is None:
            note += f"{text[key]}% is not a Kaplan-Meier value on {n_arm} patients at all."
        else:
            note += (
                f"{text[key]}% on {n_arm} patients needs at least {path.count('C')} censoring(s) "
                f"before 12 months (shortest sequence {path}; E = event, C = censoring)."
            )
        got = res.get(key)
        description = "OS 12-month rate, section 3.3's printing"
        achieved = None if got is None else 100 * got
        rows.append(
            _row(
                key + " (text-3.3)",
                description,
                text[key],
                achieved,
                "rounds to 1 decimal",
                False,
                note,
                True,
            )
        )
    return rows


def _logrank_followup_rows(tg: Mapping[str, Any], res: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The log-rank p of both endpoints and the reverse Kaplan-Meier median follow-up."""
    rows = []
    for ep in ("pfs", "os"):
        key = f"{ep}.logrank.p"
        got = res.get(key)
        tol = TOLERANCES["logrank_p"]
        ok = got is not None and abs(got - tg[key]) <= tol
        rows.append(_row(key, f"{ep.upper()} log-rank p", tg[key], got, tol, ok))
    got = res.get("followup.median")
    tol = TOLERANCES["followup"]
    ok = got is not None and abs(got - tg["followup.median"]) <= tol
    rows.append(
        _row("followup.median", "median follow-up, reverse KM (OS)", tg["followup.median"], got, tol, ok)
    )
    return rows


def _cox_term_rows(
    tg: Mapping[str, Any], res: Mapping[str, Any], cohort: pd.DataFrame
) -> list[dict[str, Any]]:
    """Every term of the multivariable Cox models of both endpoints (Table 4: the arm and the
    covariates; HR, CI bounds, p). Each term's plan (:func:`term_plan`: the SE floor of a 0/1
    term on its largest possible event counts, the regions where its printed numbers can hold)
    says which statistics no cohort can meet within tolerance: those are impossible, with the
    plan's evidence in the note."""
    rows = []
    for plan in term_plans(tg):
        t, tol = plan.printed, plan.tol
        for stat in ("hr", "ci_low", "ci_high", "p"):
            key = f"{plan.prefix}.{stat}"
            got = res.get(key)
            tolerance = tol["ci" if stat.startswith("ci") else stat]
            ok = got is not None and abs(got - t[stat]) <= tolerance
            which = "ci" if stat.startswith("ci") else stat
            impossible = not plan.reachable(which)
            note = plan.why_not(which)
            if plan.term == "treatment" and stat != "hr":
                note = note or _cohort_se_note(plan, res)
                if not ok and not impossible and which == "ci":
                    note += _ideal_covariate_note(cohort, plan.ep, stat, t)
            description = f"{plan.ep.upper()} multivariable Cox, {plan.term} {stat}"
            rows.append(_row(key, description, t[stat], got, tolerance, ok, note, impossible and not ok))
    return rows


def _cohort_se_note(plan: TermPlan, res: Mapping[str, Any]) -> str:
    """The arm term's SE floor against the printed CI, and this cohort's SE (adjusted and alone)."""
    t = plan.printed
    printed_se = math.log(t["ci_high"] / t["ci_low"]) / (2 * Z95)
    note = (
        f"{plan.floor_note}; the printed CI implies SE {printed_se:.3f}: within tolerance only near the floor"
    )
    ep = plan.ep
    lo, hi = res.get(f"{ep}.cox_multivariable.ci_low"), res.get(f"{ep}.cox_multivariable.ci_high")
    ulo, uhi = res.get(f"{ep}.cox_univariable.ci_low"), res.get(f"{ep}.cox_univariable.ci_high")
    if None not in (lo, hi, ulo, uhi):
        note += (
            f"; this cohort: SE {math.log(hi / lo) / (2 * Z95):.3f} "
            f"(arm alone: {math.log(uhi / ulo) / (2 * Z95):.3f})"
        )
    return note


def _ideal_covariate_note(cohort: pd.DataFrame, ep: str, stat: str, t: Mapping[str, float]) -> str:
    """For a missed CI bound the floor allows: whether this cohort's order of events leaves room,
    measured by the ideal covariate (:func:`ideal_covariate_se`) at the HR end that leaves the bound
    most room. Empty if the solver finds no feasible covariate."""
    tol = TOLERANCES["cox_ci"]
    side = 1 if stat == "ci_high" else -1
    edge = t["hr"] - side * TOLERANCES["cox_hr"]
    ideal = ideal_covariate_se(
        cohort[f"{ep}_months"],
        cohort[f"{ep}_event"],
        (cohort["group"] == TREATMENT).astype(float),
        edge,
    )
    if not ideal.converged:
        return ""
    bound = edge * math.exp(side * Z95 * ideal.se)
    room = abs(bound - t[stat]) <= tol
    return (
        f"; on this cohort's times the smallest SE found for an ideal covariate "
        f"(one free value per patient, the most any covariates could give: "
        f"ideal_covariate_se) is {ideal.se:.3f} at HR {edge:.2f}, {stat} {bound:.3f}: "
        + (
            "these times leave room, the covariates fall short"
            if room
            else "no covariate found reaches it on these times: the timing of the deaths appears "
            "to be what prevents it"
        )
    )


def _median_ci_rows(tg: Mapping[str, Any], res: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each arm's SPSS median CI (median +/- 1.96 SE, symmetric): a printed interval that is not
    symmetric about its median cannot have both bounds within tolerance, so is impossible."""
    rows = []
    tol = TOLERANCES["median_ci"]
    for ep in ("pfs", "os"):
        for arm in ROLES:
            med = tg[f"{ep}.median.{arm}"]
            lo, hi = tg.get(f"{ep}.median_ci_low.{arm}"), tg.get(f"{ep}.median_ci_high.{arm}")
            if lo is None or hi is None:
                continue
            half_lo, half_hi = med - lo, hi - med
            symmetric = abs(half_lo - half_hi) <= 0.1 + 1e-9  # one printed decimal of rounding
            note = ""
            if not symmetric:
                note = (
                    f"printed interval {lo}-{hi} around {med} is not symmetric (half-widths "
                    f"{half_lo:.1f} and {half_hi:.1f}); SPSS's median +/- 1.96 SE is, so "
                    f"|low - {lo}| + |high - {hi}| >= {abs(half_lo - half_hi):.1f}: both bounds "
                    f"within 0.5 only at half-width {(half_lo + half_hi) / 2:.2f} exactly"
                )
            for b, target in (("low", lo), ("high", hi)):
                key = f"{ep}.median_ci_{b}.{arm}"
                got = res.get(key)
                ok = got is not None and abs(got - target) <= tol + 1e-9
                description = f"{ep.upper()} median CI {b} (SPSS)"
                rows.append(_row(key, description, target, got, tol, ok, note, not symmetric))
    return rows


def evaluate_targets(
    cohort: pd.DataFrame, ae: pd.DataFrame | None, published: Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """The reconstruction's targets, each measured by the book's own modules on ``cohort``.

    One row per target: ``key`` (results key), ``description``, ``published``
    (as printed), ``achieved`` (same unit as printed), ``tolerance``, ``status``
    ("met", "missed", or "impossible": the printed numbers cannot all hold, with
    the evidence in ``note``) and ``note``.
    """
    tg = published_targets(published)
    res = book_results(cohort, ae)
    rows = [
        *_count_rows(tg, res),
        *_age_rows(tg, res),
        *_lab_rows(tg, res),
        *_table_p_rows(tg, res),
        *_km_rows(tg, res),
        *_text_rate_rows(tg, res),
        *_logrank_followup_rows(tg, res),
        *_cox_term_rows(tg, res, cohort),
        *_median_ci_rows(tg, res),
    ]
    return pd.DataFrame(rows, columns=TARGET_COLUMNS)


def table4_conclusions_hold(targets: pd.DataFrame) -> bool:
    """Whether a cohort keeps Table 4's conclusions: every covariate term's p (both models) on the
    printed p's side of ``significance_level`` (data/reconstruction_targets.yaml: the paper's "only
    ECOG", PFS p 0.043, is significant, every other term not), whether or not the p itself is
    within its tolerance or reachable; a p the fit did not give (missing, or NaN) keeps nothing.
    ``targets``: :func:`evaluate_targets`' rows."""
    level = float(TABLE4["significance_level"])
    rows = targets[targets["key"].map(is_table4_covariate_key) & targets["key"].str.endswith(".p")]
    achieved, printed = rows["achieved"].astype(float), rows["published"].astype(float)
    if rows.empty or not np.isfinite(achieved).all():
        return False
    return bool(((achieved < level) == (printed < level)).all())
