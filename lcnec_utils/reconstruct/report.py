"""How the book shows the reconstruction: the target table, the seed scan and the ensemble's spread.

The generator and its checks live in :mod:`lcnec_utils.reconstruct`; this
module only formats their output for the chapter "How the synthetic cohort
was built" and records the ensemble's summary under ``reconstruction.*``
results keys.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lcnec_utils.reconstruct.bounds import censored_pfs_caps, on_treatment_progression_free
from lcnec_utils.reconstruct.evaluation import table4_conclusions_hold
from lcnec_utils.reconstruct.joint import FULL_BUDGET, PFS_HR_WINDOW, PFS_Z_FLOOR
from lcnec_utils.reconstruct.reach import schedule_iterations
from lcnec_utils.reconstruct.settings import TREATMENT
from lcnec_utils.reconstruct.targets import (
    conclusions_kept,
    default_seed_eligible,
    is_table4_covariate_key,
    missed_keys,
)
from lcnec_utils.stats.normal import Z95, z_of_p

#: The ensemble summary shipped beside the cohort (``lcnec synth --ensemble N``).
ENSEMBLE_FILE = "lcnec_synthetic_ensemble.csv"
#: The scan of seeds behind the default seed (``lcnec synth --scan N``).
SCAN_FILE = "lcnec_seed_scan.csv"
#: The state a longer search than a reconstruction's ends in (``benchmarks/table4_reach.py --schedule
#: long --write``): which of Table 4's hazard ratios can hold with the arm terms.
WITNESS_FILE = "lcnec_table4_witness.csv"
#: The witness that keeps what the committed cohort keeps: the committed search's own last stage
#: run longer (``benchmarks/table4_reach.py --schedule table4_stage --write``).
KEPT_WITNESS_FILE = "lcnec_table4_witness_kept.csv"
#: The arm terms' results keys (HR, interval, p of both models).
ARM_TERM_KEYS = tuple(
    f"{ep}.cox_multivariable.{s}" for ep in ("pfs", "os") for s in ("hr", "ci_low", "ci_high", "p")
)
#: The OS arm term's HR and upper bound: the hardest pair of targets, counted together in the scan
#: (a seed can meet the bound alone by letting the HR fall below its tolerance).
OS_BOUND_KEYS = ("os.cox_multivariable.hr", "os.cox_multivariable.ci_high")

_STATUS_LABEL = {"met": "met", "missed": "MISSED", "impossible": "impossible (see note)"}


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


_STATUS_ORDER = {"missed": 0, "impossible": 1, "met": 2}


def format_targets(targets: pd.DataFrame) -> pd.DataFrame:
    """The printed target table, missed and impossible targets first, then by key."""
    targets = targets.assign(_order=targets["status"].map(_STATUS_ORDER).fillna(3)).sort_values(
        ["_order", "key"], kind="stable"
    )
    return pd.DataFrame(
        {
            "Target": targets["key"],
            "What": targets["description"],
            "Published": targets["published"].map(_text),
            "Achieved": targets["achieved"].map(_text),
            "Tolerance": targets["tolerance"].map(_text),
            "Status": targets["status"].map(lambda s: _STATUS_LABEL.get(s, s)),
            "Note": targets["note"].fillna(""),
        }
    )


@dataclass
class SeedScan:
    """The scan of seeds behind the default seed: a printable table and the glued numbers."""

    table: pd.DataFrame
    glue: dict[str, tuple[Any, str]] = field(default_factory=dict)


def seed_scan(scan: pd.DataFrame | None, default_seed: int) -> SeedScan:
    """What ``lcnec synth --scan N`` found (``reconstruct.scan_seeds``): per seed, the targets
    met and missed (outside Table 4's covariate terms, and among them), the OS upper bound and
    the PFS p of the arm; glued: how many seeds were scanned, from which, how many miss nothing,
    how many keep Table 4's conclusions, how many may be the default
    (:func:`~lcnec_utils.reconstruct.targets.default_seed_eligible`: at most an arm term's CI bound
    missed, and the conclusions kept), whether the default seed is the first of those, and
    how many met the OS HR and upper bound together (:data:`OS_BOUND_KEYS`).
    With no scan every glued number is missing (the page says so)."""
    names = (
        "scan_n", "scan_start", "scan_good", "scan_eligible", "scan_default_rank", "scan_os_bound_met",
        "scan_conclusions",
    )  # fmt: skip
    glue: dict[str, tuple[Any, str]] = {name: (None, "{}") for name in names}
    if scan is None or scan.empty:
        return SeedScan(pd.DataFrame(), glue)
    good = scan.loc[scan["missed"] == 0, "seed"].tolist()
    conclusions = scan["table4_conclusions"].map(conclusions_kept)
    eligible = scan.loc[
        [default_seed_eligible(m, c) for m, c in zip(scan["missed_targets"], conclusions)], "seed"
    ].tolist()
    glue["scan_conclusions"] = (int(conclusions.sum()), "{}")
    glue["scan_n"] = (len(scan), "{}")
    glue["scan_start"] = (int(scan["seed"].min()), "{}")
    glue["scan_good"] = (len(good), "{}")
    glue["scan_eligible"] = (len(eligible), "{}")
    os_missed = scan["missed_targets"].map(lambda m: any(k in missed_keys(m) for k in OS_BOUND_KEYS))
    glue["scan_os_bound_met"] = (int((~os_missed).sum()), "{}")
    glue["scan_default_rank"] = (
        "the first"
        if eligible and eligible[0] == default_seed
        else "not the first"
        if default_seed in eligible
        else "none",
        "{}",
    )
    table = pd.DataFrame(
        {
            "Seed": scan["seed"].astype(str) + np.where(scan["seed"] == default_seed, " (default)", ""),
            "Targets met": scan["met"],
            "Missed": scan["missed"],
            "Table 4 missed": scan.get("missed_table4", pd.NA),
            "Missed targets": scan["missed_targets"].fillna(""),
            "OS HR upper bound": scan["os.cox_multivariable.ci_high"].map("{:.4f}".format),
            "PFS HR p": scan["pfs.cox_multivariable.p"].map("{:.4f}".format),
            "Table 4 conclusions": np.where(conclusions, "kept", "not kept"),
        }
    )
    return SeedScan(table, glue)


@dataclass
class EnsembleSpread:
    """Summary of an ensemble of reconstructions (one row per member)."""

    table: pd.DataFrame
    results: dict[str, Any] = field(default_factory=dict)
    glue: dict[str, tuple[Any, str]] = field(default_factory=dict)


_QUANTITIES = (
    ("pfs.cox_multivariable.hr", "PFS hazard ratio, multivariable", "{:.2f}"),
    ("pfs.cox_multivariable.p", "PFS hazard ratio p, multivariable", "{:.3f}"),
    ("pfs.cox_univariable.hr", "PFS hazard ratio, arm alone", "{:.2f}"),
    ("pfs.logrank.p", "PFS log-rank p", "{:.3f}"),
    ("os.cox_multivariable.hr", "OS hazard ratio, multivariable", "{:.2f}"),
    ("os.cox_multivariable.p", "OS hazard ratio p, multivariable", "{:.3f}"),
    ("os.cox_univariable.hr", "OS hazard ratio, arm alone", "{:.2f}"),
    ("os.logrank.p", "OS log-rank p", "{:.3f}"),
    ("pfs.median_difference", "PFS median difference (months)", "{:.1f}"),
    ("os.median_difference", "OS median difference (months)", "{:.1f}"),
    ("followup.median", "Median follow-up (months)", "{:.1f}"),
)


GLUE_NAMES = {
    **{f"{ep}_hr_{s}": "{:.2f}" for ep in ("pfs", "os") for s in ("min", "max", "median")},
    "pfs_share_sig": "pct",
    "os_share_sig": "pct",
}


def ensemble_spread(ensemble: pd.DataFrame | None, alpha: float = 0.05) -> EnsembleSpread:
    """Minimum, quartiles, maximum of each quantity across members; share of p < alpha.

    With no ensemble every glued number is missing (the page says so).
    """
    glue: dict[str, tuple[Any, str]] = {name: (None, fmt) for name, fmt in GLUE_NAMES.items()}
    if ensemble is None:
        return EnsembleSpread(pd.DataFrame(), {"reconstruction.ensemble.n": 0}, glue)
    rows, results = [], {"reconstruction.ensemble.n": len(ensemble)}
    for column, label, fmt in _QUANTITIES:
        if column not in ensemble:
            continue
        values = pd.to_numeric(ensemble[column], errors="coerce").dropna().to_numpy(float)
        if values.size == 0:
            continue
        q = np.quantile(values, [0, 0.25, 0.5, 0.75, 1.0])
        row = {
            "Quantity": label,
            **{name: fmt.format(v) for name, v in zip(("min", "Q1", "median", "Q3", "max"), q)},
        }
        base = f"reconstruction.ensemble.{column}"
        results.update({f"{base}.min": q[0], f"{base}.median": q[2], f"{base}.max": q[4]})
        if column.endswith(".p"):
            share = float(np.mean(values < alpha))
            row[f"share below {alpha:g}"] = f"{100 * share:.0f}%"
            results[f"{base}.share_below_alpha"] = share
        else:
            row[f"share below {alpha:g}"] = ""
        rows.append(row)
    for ep in ("pfs", "os"):
        column = f"{ep}.cox_multivariable.hr"
        if column in ensemble:
            hr = pd.to_numeric(ensemble[column], errors="coerce").dropna()
            glue[f"{ep}_hr_min"] = (hr.min(), "{:.2f}")
            glue[f"{ep}_hr_max"] = (hr.max(), "{:.2f}")
            glue[f"{ep}_hr_median"] = (hr.median(), "{:.2f}")
        pcol = f"{ep}.cox_multivariable.p"
        if pcol in ensemble:
            p = pd.to_numeric(ensemble[pcol], errors="coerce").dropna()
            glue[f"{ep}_share_sig"] = (float((p < alpha).mean()) if len(p) else None, "pct")
    return EnsembleSpread(pd.DataFrame(rows), results, glue)


def plot_ensemble(ensemble: pd.DataFrame):
    """Histograms of the arm's multivariable HR (PFS, OS) across reconstructions, paper's HR marked."""
    import matplotlib.pyplot as plt

    from lcnec_utils.contract.published import published_values
    from lcnec_utils.plots.style import ARM_COLOURS, OKABE_ITO, set_style

    set_style()
    paper = published_values()
    fig, axes = plt.subplots(1, 2, figsize=(7.2, 2.8), sharey=True)
    for ax, ep, title in zip(axes, ("pfs", "os"), ("Progression-free survival", "Overall survival")):
        hr = pd.to_numeric(ensemble[f"{ep}.cox_multivariable.hr"], errors="coerce").dropna()
        bins = np.exp(np.linspace(np.log(max(hr.min(), 1e-3)) - 0.05, np.log(hr.max()) + 0.05, 25))
        ax.hist(hr, bins=bins, color=ARM_COLOURS["treatment"], alpha=0.8)
        ax.set_xscale("log")
        if paper.get(f"{ep}.cox_multivariable.hr") is not None:
            ax.axvline(
                paper[f"{ep}.cox_multivariable.hr"],
                color=OKABE_ITO["black"],
                ls="--",
                lw=1.2,
                label="published HR",
            )
        ax.axvline(1.0, color=OKABE_ITO["grey"], lw=0.8)
        ax.set_title(title)
        ax.set_xlabel("Hazard ratio of the arm (log scale)")
    axes[0].set_ylabel("Reconstructed cohorts")
    axes[0].legend(loc="upper left")
    fig.tight_layout()
    return fig


_ARM_STATISTIC = {"hr": "hazard ratio", "ci_low": "lower bound", "ci_high": "upper bound", "p": "p-value"}


def _target_label(key: str, description: str) -> str:
    """A target as the text names it: an arm term's statistic in words, any other by its description."""
    if key not in ARM_TERM_KEYS:
        return description
    return f"the {key.split('.')[0].upper()} arm term's {_ARM_STATISTIC[key.rsplit('.', 1)[1]]}"


def pfs_arm_room(
    cohort: pd.DataFrame, tables: Mapping[str, pd.DataFrame | None]
) -> dict[str, tuple[Any, str]]:
    """How close the progression model's arm term must come to its standard-error floor: the
    largest SE that its HR and p allow, HR >= printed - tolerance and p <= printed + tolerance
    (``pfs_se_room_tol``), and within the search's narrower windows (``joint.PFS_HR_WINDOW``'s low
    end, ``joint.PFS_Z_FLOOR``: ``pfs_se_room``), each as a share above the 0/1 floor
    sqrt(1/d1 + 1/d0) of ``cohort``'s progression events per arm; and for each named target table
    (``evaluate_targets`` rows) the arm term's SE from its 95% Wald interval, (ln upper - ln
    lower) / (2 z), as a share above that floor (``pfs_se_over_<name>``; missing for a table that
    is None). The tolerances are read from the first table given."""
    events = cohort.groupby(cohort["group"] == TREATMENT)["pfs_event"].sum()
    floor = math.sqrt(float((1.0 / events).sum()))
    first = next(t for t in tables.values() if t is not None).set_index("key")
    hr, p = first.loc["pfs.cox_multivariable.hr"], first.loc["pfs.cox_multivariable.p"]
    tol_se = math.log(1.0 / (hr["published"] - hr["tolerance"])) / z_of_p(p["published"] + p["tolerance"])
    search_se = math.log(1.0 / PFS_HR_WINDOW[0]) / PFS_Z_FLOOR
    glue: dict[str, tuple[Any, str]] = {
        "pfs_se_room_tol": (tol_se / floor - 1.0, "{:.2%}"),
        "pfs_se_room": (search_se / floor - 1.0, "{:.2%}"),
    }
    for name, table in tables.items():
        if table is None:  # no such cohort: the number is missing (the page says n/a)
            glue[f"pfs_se_over_{name}"] = (None, "{:.2%}")
            continue
        got = table.set_index("key")["achieved"]
        se = math.log(got["pfs.cox_multivariable.ci_high"] / got["pfs.cox_multivariable.ci_low"]) / (2 * Z95)
        glue[f"pfs_se_over_{name}"] = (se / floor - 1.0, "{:.2%}")
    return glue


def on_treatment_progression(cohort: pd.DataFrame, tg: Mapping[str, Any]) -> dict[str, tuple[Any, str]]:
    """Chapter 7's numbers on the patients on treatment at the cut-off (Table 3's counts ``tg``).

    From the printed numbers (:func:`~lcnec_utils.reconstruct.bounds.on_treatment_progression_free`):
    how many Table 3 counts (``on_treatment_printed``); the most censored PFS times the reference
    arm's 12-month PFS rate allows (``on_treatment_rate_cap_reference``, missing if the rate prints
    as no Kaplan-Meier value of its arm); the SE floor and smallest p with all of them free
    (``on_treatment_all_pf_se``, ``on_treatment_all_pf_p``); the most that can be free with both
    limits (``on_treatment_pf_max``), so the fewest that have progressed, in all and, from the rate
    alone, among the reference arm's printed count (``on_treatment_pd_min``,
    ``on_treatment_pd_min_reference``); the smallest p with one more free, in a split the rates
    allow (``on_treatment_one_more_p``: how thin the SE limit's margin is; missing if none); the SE
    the printed HR and p need as a Wald pair (``on_treatment_printed_se``) beside the floor with
    every patient an event (``on_treatment_all_events_se``). From
    ``cohort``: how many it flags (``on_treatment``), how
    many of them are free of progression (``on_treatment_pf``) or beyond it (``on_treatment_pd``,
    ``on_treatment_pd_reference`` in the reference arm), and the most room one more patient free of
    progression, in a split both limits allow, would leave the arm term's SE above its floor
    (``on_treatment_next_room``; missing if no such split). A cohort without the flag or the PFS
    columns gets missing cohort numbers."""
    splits = on_treatment_progression_free(tg)
    on = {r: int(tg[f"treatment.ongoing.n.{r}"]) for r in ("treatment", "reference")}
    allowed = [r for r in splits if r["reachable"]]
    most = max((r["k_treatment"] + r["k_reference"] for r in allowed), default=0)
    # the reference arm's own rate cap (not the splits', which also need the treated arm's rate)
    cap_reference = censored_pfs_caps(tg)["reference"]
    one_more = [
        r["p_min"] for r in splits if r["rate_allows"] and r["k_treatment"] + r["k_reference"] == most + 1
    ]
    all_pf = next(
        r for r in splits if (r["k_treatment"], r["k_reference"]) == (on["treatment"], on["reference"])
    )
    glue: dict[str, tuple[Any, str]] = {
        "on_treatment_printed": (sum(on.values()), "{}"),
        "on_treatment_rate_cap_reference": (cap_reference, "{}"),
        "on_treatment_all_pf_se": (all_pf["se_floor"], "{:.3f}"),
        "on_treatment_all_pf_p": (all_pf["p_min"], "{:.4f}"),
        "on_treatment_pf_max": (most, "{}"),
        "on_treatment_pd_min": (sum(on.values()) - most, "{}"),
        "on_treatment_pd_min_reference": (
            None if cap_reference is None else max(on["reference"] - cap_reference, 0),
            "{}",
        ),
        "on_treatment_one_more_p": (min(one_more, default=None), "{:.4f}"),
        # the printed HR and p as a Wald pair need this SE; no cohort goes below the all-events floor
        "on_treatment_printed_se": (
            abs(math.log(tg["pfs.cox_multivariable.hr"])) / z_of_p(tg["pfs.cox_multivariable.p"]),
            "{:.3f}",
        ),
        "on_treatment_all_events_se": (splits[0]["se_floor"], "{:.3f}"),
    }
    cohort_names = ("on_treatment", "on_treatment_pf", "on_treatment_pd", "on_treatment_pd_reference")
    if not {"ongoing_treatment", "pfs_event", "group"} <= set(cohort.columns):
        glue.update({name: (None, "{}") for name in cohort_names})
        glue["on_treatment_next_room"] = (None, "{:.1%}")
        return glue
    flagged = cohort[pd.to_numeric(cohort["ongoing_treatment"], errors="coerce") == 1]
    free = flagged["pfs_event"] == 0
    treated = flagged["group"] == TREATMENT
    k1, k0 = int((free & treated).sum()), int((free & ~treated).sum())
    glue["on_treatment"] = (len(flagged), "{}")
    glue["on_treatment_pf"] = (k1 + k0, "{}")
    glue["on_treatment_pd"] = (len(flagged) - k1 - k0, "{}")
    glue["on_treatment_pd_reference"] = (int((~free & ~treated).sum()), "{}")
    more = [
        r["room"] for r in allowed if (r["k_treatment"], r["k_reference"]) in ((k1 + 1, k0), (k1, k0 + 1))
    ]
    glue["on_treatment_next_room"] = (max(more, default=None), "{:.1%}")
    return glue


def table4_witness(
    targets: pd.DataFrame | None, schedule: str = "long", prefix: str = "witness"
) -> dict[str, tuple[Any, str]]:
    """Chapter 7's numbers on a witness (:data:`WITNESS_FILE`, or :data:`KEPT_WITNESS_FILE` with
    ``schedule="table4_stage"``), ``targets`` its
    :func:`~lcnec_utils.reconstruct.evaluation.evaluate_targets` rows: how many of Table 4's 22
    covariate HRs are within tolerance, Table 4's statistics met / impossible / missed, the
    targets met, the missed targets outside Table 4 (the arm terms' first, each with
    its value), whether Table 4's conclusions hold, and what the search took: the iterations of
    ``reach.SCHEDULES[schedule]`` and their ratio to one chain of a reconstruction's search
    (:data:`~lcnec_utils.reconstruct.joint.FULL_BUDGET`). Each name starts with ``prefix``; with no
    witness every number is missing."""
    stems = (
        "hr_met", "t4_met", "t4_impossible", "t4_missed", "n_met", "missed_arm", "missed_other", "conclusions",
        "iterations", "budget_ratio",
    )  # fmt: skip
    names = tuple(f"{prefix}_{stem}" for stem in stems)
    glue: dict[str, tuple[Any, str]] = {name: (None, "{}") for name in names}
    if targets is None or targets.empty:
        return glue
    in_t4 = targets["key"].map(is_table4_covariate_key)
    t4, outside = targets[in_t4], targets[~in_t4]
    hr = t4[t4["key"].str.endswith(".hr")]
    glue[f"{prefix}_hr_met"] = (int((hr["status"] == "met").sum()), "{}")
    for status in ("met", "impossible", "missed"):
        glue[f"{prefix}_t4_{status}"] = (int((t4["status"] == status).sum()), "{}")
    glue[f"{prefix}_n_met"] = (int((targets["status"] == "met").sum()), "{}")
    missed = outside[outside["status"] == "missed"]
    arm = missed["key"].isin(ARM_TERM_KEYS)

    def listing(rows: pd.DataFrame) -> str:
        items = [
            f"{_target_label(k, d)}, {a:.4g} (printed {p:g})"
            for k, d, a, p in zip(rows["key"], rows["description"], rows["achieved"], rows["published"])
        ]
        return "; ".join(items) if items else "none"

    glue[f"{prefix}_missed_arm"] = (listing(missed[arm]), "{}")
    glue[f"{prefix}_missed_other"] = (listing(missed[~arm]), "{}")
    glue[f"{prefix}_conclusions"] = ("kept" if table4_conclusions_hold(targets) else "not kept", "{}")
    iterations = schedule_iterations(schedule)
    glue[f"{prefix}_iterations"] = (iterations / 1e6, "{:.0f} million")
    glue[f"{prefix}_budget_ratio"] = (iterations / FULL_BUDGET.chain_iterations, "{:.1f}")
    return glue
