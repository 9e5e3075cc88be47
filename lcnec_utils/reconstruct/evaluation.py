"""Every target checked on a cohort with the book's own analysis code."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from lcnec_utils.reconstruct.bounds import cox_reachable, ideal_covariate_se, reachable_km_rates
from lcnec_utils.reconstruct.settings import LABS, ROLES, TOLERANCES, TREATMENT
from lcnec_utils.reconstruct.targets import _matches, published_targets
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


def _fmt(x: Any) -> Any:
    if x is None:
        return None
    if isinstance(x, (float, np.floating)):
        return float(x)
    if isinstance(x, (np.integer,)):
        return int(x)
    return x


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
    rows: list[dict[str, Any]] = []

    def add(key, description, published_value, achieved, tolerance, ok, note="", impossible=False):
        status = "met" if ok else ("impossible" if impossible else "missed")
        rows.append(
            {
                "key": key,
                "description": description,
                "published": _fmt(published_value),
                "achieved": _fmt(achieved),
                "tolerance": tolerance,
                "status": status,
                "note": note,
            }
        )

    # exact counts
    count_keys = sorted(k for k in tg if (".n." in k or k.startswith("n.")) and tg[k] is not None)
    for key in count_keys:
        got = res.get(key)
        if got is None and key.startswith("safety.irae") and key.endswith(".n.treatment"):
            got = 0
        note, impossible = "", False
        if key.endswith(".n.total") and key.startswith("baseline."):
            parts = [tg.get(key.replace(".total", f".{r}")) for r in ROLES]
            if None not in parts and sum(parts) != tg[key]:
                impossible = True
                note = f"printed arm counts {parts[0]} + {parts[1]} = {sum(parts)}, printed total {tg[key]}"
        add(key, "count", tg[key], got, "exact", got == tg[key] and not impossible, note, impossible)

    # age
    for arm in ("treatment", "reference", "total"):
        for stat, dec in (("mean", 1), ("sd", 2)):
            key = f"baseline.age.{stat}.{arm}"
            if key in tg:
                got = res.get(key)
                add(
                    key,
                    f"age {stat}",
                    tg[key],
                    got,
                    f"rounds to {dec} decimals",
                    got is not None and _matches(got, tg[key], dec),
                )
    # labs
    for lab in LABS:
        for arm in ("treatment", "reference", "total"):
            for stat in ("q1", "median", "q3"):
                key = f"baseline.{lab}.{stat}.{arm}"
                if key in tg:
                    got = res.get(key)
                    add(
                        key,
                        f"{lab} {stat} (SPSS quartiles)",
                        tg[key],
                        got,
                        "rounds to 2 decimals",
                        got is not None and _matches(got, tg[key], 2),
                    )
    # Table 2 and Table 3 p-values
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
        add(
            key,
            "Fisher exact p" if fisher else "test p",
            tg[key],
            got,
            TOLERANCES["p_table"],
            ok,
            note,
            impossible,
        )

    # Kaplan-Meier medians and 12-month rates
    for ep in ("pfs", "os"):
        for arm in ROLES:
            key = f"{ep}.median.{arm}"
            got = res.get(key)
            add(
                key,
                f"{ep.upper()} KM median (first S <= 0.5)",
                tg[key],
                got,
                "exact",
                got is not None and abs(got - tg[key]) < 1e-9,
            )
            key = f"{ep}.rate_12m.{arm}"
            got = res.get(key)
            got_pct = None if got is None else 100 * got
            add(
                key,
                f"{ep.upper()} 12-month KM rate (%)",
                tg[key],
                got_pct,
                "rounds to 1 decimal",
                got_pct is not None and _matches(got_pct, tg[key], 1),
            )
    try:
        from lcnec_utils.contract.published import published_values

        text = published_values("text-3.3")
    except Exception:
        text = {}
    for arm in ROLES:
        key = f"os.rate_12m.{arm}"
        if key in text:
            n_arm = int(tg[f"n.{arm}"])
            reach = reachable_km_rates(n_arm).get(text[key], [])
            shortest = min(reach, key=lambda q: (q.count("C"), len(q))) if reach else None
            note = (
                f"section 3.3 prints {text[key]} where Table 3 prints {tg[key]} for the same S(12); "
                "one curve has one value, the Table's is used. "
            )
            if not reach:
                note += f"{text[key]}% is not a Kaplan-Meier value on {n_arm} patients at all."
            else:
                note += (
                    f"{text[key]}% on {n_arm} patients needs at least {shortest.count('C')} censoring(s) "
                    f"before 12 months (shortest sequence {shortest}; E = event, C = censoring)."
                )
            got = res.get(key)
            add(
                key + " (text-3.3)",
                "OS 12-month rate, section 3.3's printing",
                text[key],
                None if got is None else 100 * got,
                "rounds to 1 decimal",
                False,
                note,
                impossible=True,
            )

    # log-rank and follow-up
    for ep in ("pfs", "os"):
        key = f"{ep}.logrank.p"
        got = res.get(key)
        add(
            key,
            f"{ep.upper()} log-rank p",
            tg[key],
            got,
            TOLERANCES["logrank_p"],
            got is not None and abs(got - tg[key]) <= TOLERANCES["logrank_p"],
        )
    got = res.get("followup.median")
    add(
        "followup.median",
        "median follow-up, reverse KM (OS)",
        tg["followup.median"],
        got,
        TOLERANCES["followup"],
        got is not None and abs(got - tg["followup.median"]) <= TOLERANCES["followup"],
    )

    # multivariable Cox, arm term
    alive = {r: int(tg.get(f"treatment.ongoing.n.{r}", 0)) for r in ROLES}
    for ep in ("pfs", "os"):
        t = {s: tg[f"{ep}.cox_multivariable.{s}"] for s in ("hr", "ci_low", "ci_high", "p")}
        d1, d0 = (int(tg[f"n.{r}"]) - (alive[r] if ep == "os" else 0) for r in ROLES)
        reach = cox_reachable(t["hr"], t["ci_low"], t["ci_high"], t["p"], d1, d0)
        why_d = (
            f"at most {d1} + {d0} deaths: the {sum(alive.values())} patients on treatment at the "
            "cut-off are alive"
            if ep == "os"
            else f"at most {d1} + {d0} events"
        )
        for stat, tol in (
            ("hr", TOLERANCES["cox_hr"]),
            ("ci_low", TOLERANCES["cox_ci"]),
            ("ci_high", TOLERANCES["cox_ci"]),
            ("p", TOLERANCES["cox_p"]),
        ):
            key = f"{ep}.cox_multivariable.{stat}"
            got = res.get(key)
            ok = got is not None and abs(got - t[stat]) <= tol
            note, impossible = "", False
            if stat != "hr":
                printed_se = math.log(t["ci_high"] / t["ci_low"]) / (2 * Z95)
                note = (
                    f"printed CI implies SE(log HR) = {printed_se:.3f} < {reach['se_min']:.3f} = "
                    f"sqrt(1/{d1} + 1/{d0}), the floor for the 0/1 arm term ({why_d}); "
                )
                if not reach[stat]:
                    impossible = True
                    note += f"no SE above the floor puts {stat} within {tol} while the HR is within 0.05"
                else:
                    note += "within tolerance only near the SE floor"
                lo_, hi_ = (
                    res.get(f"{ep}.cox_multivariable.ci_low"),
                    res.get(f"{ep}.cox_multivariable.ci_high"),
                )
                ulo, uhi = res.get(f"{ep}.cox_univariable.ci_low"), res.get(f"{ep}.cox_univariable.ci_high")
                if None not in (lo_, hi_, ulo, uhi):
                    note += (
                        f"; this cohort: SE {math.log(hi_ / lo_) / (2 * Z95):.3f} "
                        f"(arm alone: {math.log(uhi / ulo) / (2 * Z95):.3f})"
                    )
                if not ok and reach[stat] and stat in ("ci_low", "ci_high"):
                    side = 1 if stat == "ci_high" else -1
                    edge = t["hr"] - side * TOLERANCES["cox_hr"]  # the HR end leaving the bound most room
                    ideal = ideal_covariate_se(
                        cohort[f"{ep}_months"],
                        cohort[f"{ep}_event"],
                        (cohort["group"] == TREATMENT).astype(float),
                        edge,
                    )
                    if ideal.converged:
                        bound = edge * math.exp(side * Z95 * ideal.se)
                        room = abs(bound - t[stat]) <= tol
                        note += (
                            f"; on this cohort's times the smallest SE found for an ideal covariate "
                            f"(one free value per patient, the most any covariates could give: "
                            f"ideal_covariate_se) is {ideal.se:.3f} at HR {edge:.2f}, {stat} {bound:.3f}: "
                            + (
                                "these times leave room, the covariates fall short"
                                if room
                                else "the order of the deaths, more than the covariates, keeps it out of reach"
                            )
                        )
            add(
                key,
                f"{ep.upper()} multivariable Cox, arm {stat}",
                t[stat],
                got,
                tol,
                ok,
                note,
                impossible and not ok,
            )

    # median CIs (SPSS: median +/- 1.96 SE, symmetric)
    for ep in ("pfs", "os"):
        for arm in ROLES:
            med = tg[f"{ep}.median.{arm}"]
            lo, hi = tg.get(f"{ep}.median_ci_low.{arm}"), tg.get(f"{ep}.median_ci_high.{arm}")
            if lo is None or hi is None:
                continue
            half_lo, half_hi = med - lo, hi - med
            symmetric = abs(half_lo - half_hi) <= 0.1 + 1e-9  # one printed decimal of rounding
            for b, target in (("low", lo), ("high", hi)):
                key = f"{ep}.median_ci_{b}.{arm}"
                got = res.get(key)
                ok = got is not None and abs(got - target) <= TOLERANCES["median_ci"] + 1e-9
                note = ""
                if not symmetric:
                    note = (
                        f"printed interval {lo}-{hi} around {med} is not symmetric (half-widths "
                        f"{half_lo:.1f} and {half_hi:.1f}); SPSS's median +/- 1.96 SE is, so "
                        f"|low - {lo}| + |high - {hi}| >= {abs(half_lo - half_hi):.1f}: both bounds "
                        f"within 0.5 only at half-width {(half_lo + half_hi) / 2:.2f} exactly"
                    )
                add(
                    key,
                    f"{ep.upper()} median CI {b} (SPSS)",
                    target,
                    got,
                    TOLERANCES["median_ci"],
                    ok,
                    note,
                    impossible=not symmetric,
                )
    return pd.DataFrame(rows, columns=TARGET_COLUMNS)
