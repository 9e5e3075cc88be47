"""Power and sample size for a two-arm comparison of survival by the log-rank test.

* :func:`schoenfeld_events`: events needed, Schoenfeld (1983):
  d = (z_{1-α/2} + z_{1-β})² / (p(1-p) · log(HR)²), p the share allocated
  to the treatment arm (14/31 here);
* :func:`schoenfeld_power`: the same formula solved for power at a given
  number of events;
* :func:`patients_needed`: events divided by the probability that a patient
  has the event during the study;
* :func:`simulate_logrank_power`: Monte Carlo power of the two-sided
  log-rank test under exponential survival, uniform accrual and
  administrative censoring, vectorised over replicates (:func:`logrank_z`);
* :func:`design_table`: events by Schoenfeld's and Freedman's formulas, the event
  probability and the patients needed for each design hazard ratio;
* :func:`power_chapter`: all of these for the cohort, as the power chapter
  records, glues and shows them, with the external design of
  :mod:`lcnec_utils.methods.design` (a hazard ratio from the randomised trials,
  Freedman's formula beside Schoenfeld's, the event probability from accrual and
  follow-up) and the "observed power" flagged for what it is.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from lcnec_utils.contract.io import arm_role
from lcnec_utils.contract.published import published_values
from lcnec_utils.contract.results_keys import complete
from lcnec_utils.methods.conventions import km_quantile
from lcnec_utils.methods.design import (
    event_probability,
    external_trials,
    freedman_events,
    freedman_power,
    observed_power,
)
from lcnec_utils.stats.format import format_count, format_hr_ci, format_value
from lcnec_utils.stats.normal import z_two_sided
from lcnec_utils.stats.survival import endpoint_data, has_endpoint, km_median, logrank


def schoenfeld_events(hr: float, power: float = 0.8, alpha: float = 0.05, allocation: float = 0.5) -> float:
    """Events needed to detect ``hr`` with a two-sided level-``alpha`` log-rank test (unrounded).

    Schoenfeld (1983): d = (z_{1-α/2} + z_{power})² / (p (1 - p) (log HR)²) with
    ``allocation`` = p, the share of patients in the treatment arm. Round up
    (:func:`required_events`) to plan a study.
    """
    if not 0 < allocation < 1:
        raise ValueError("allocation must lie in (0, 1)")
    if hr <= 0 or hr == 1:
        raise ValueError("hr must be positive and different from 1")
    z = z_two_sided(alpha) + stats.norm.ppf(power)
    return float(z**2 / (allocation * (1 - allocation) * math.log(hr) ** 2))


def required_events(hr: float, power: float = 0.8, alpha: float = 0.05, allocation: float = 0.5) -> int:
    """:func:`schoenfeld_events` rounded up to a whole event."""
    return int(math.ceil(schoenfeld_events(hr, power, alpha, allocation) - 1e-9))


def schoenfeld_power(events: float, hr: float, alpha: float = 0.05, allocation: float = 0.5) -> float:
    """Power of the two-sided log-rank test with ``events`` events (Schoenfeld 1983, inverted).

    Φ(√(d p (1-p)) · |log HR| - z_{1-α/2}); the far tail is ignored, as in the formula.
    """
    z = math.sqrt(events * allocation * (1 - allocation)) * abs(math.log(hr)) - z_two_sided(alpha)
    return float(stats.norm.cdf(z))


def patients_needed(events: int, event_probability: float) -> int:
    """Patients to enrol so that ``events`` are expected: ceil(d / P(event))."""
    if not 0 < event_probability <= 1:
        raise ValueError("event_probability must lie in (0, 1]")
    return int(math.ceil(events / event_probability - 1e-9))


def logrank_z(time: np.ndarray, event: np.ndarray, treatment: np.ndarray) -> np.ndarray:
    """Log-rank z statistics, one per row of (R, n) arrays (observed minus expected in the treatment arm).

    z = Σ_events (a_i - Y₁/Y) / sqrt(Σ_events Y₁Y₀/Y²), Y the numbers at risk
    just before each event time. Assumes no tied times (continuous simulated
    times); with ties it is the version that breaks them in sorted order.
    z² is the chi-square statistic of lifelines ``logrank_test`` and R
    ``survdiff`` when times are distinct. Negative z: fewer treatment-arm
    events than expected.
    """
    t = np.atleast_2d(np.asarray(time, dtype=float))
    order = np.argsort(t, axis=1, kind="stable")
    e = np.take_along_axis(np.atleast_2d(event).astype(float), order, axis=1)
    a = np.take_along_axis(np.atleast_2d(treatment).astype(float) * np.ones_like(t), order, axis=1)
    n = t.shape[1]
    at_risk = n - np.arange(n)  # Y just before the i-th smallest time
    at_risk_1 = np.flip(np.cumsum(np.flip(a, axis=1), axis=1), axis=1)
    frac = at_risk_1 / at_risk
    o_minus_e = (e * (a - frac)).sum(axis=1)
    var = (e * frac * (1 - frac)).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(var > 0, o_minus_e / np.sqrt(var), 0.0)


@dataclass(frozen=True)
class SimulatedPower:
    power: float
    mc_se: float  # Monte Carlo standard error of the power
    mean_events: float
    hr: float  # the true hazard ratio simulated
    n_treatment: int
    n_reference: int
    n_sim: int
    seed: int


#: Large trials: at most MAX_CELLS patient-replicates in all (at least
#: MIN_LARGE_SIMS replicates), simulated CHUNK_CELLS at a time. A 31-patient
#: design (4,000 x 31) is far below both and runs as one batch as before.
MAX_CELLS = 10_000_000
MIN_LARGE_SIMS = 100
CHUNK_CELLS = 2_000_000


def simulate_logrank_power(
    n_treatment: int,
    n_reference: int,
    median_treatment: float,
    median_reference: float,
    accrual_months: float,
    followup_months: float = 0.0,
    alpha: float = 0.05,
    n_sim: int = 4000,
    seed: int = 0,
) -> SimulatedPower:
    """Monte Carlo power of the two-sided log-rank test for a two-arm design.

    Survival times are exponential with the given medians (rate log 2 /
    median), entry is uniform over ``accrual_months``, and every patient is
    censored at the analysis, ``accrual_months + followup_months`` after the
    first entry; no other loss to follow-up. The test rejects when
    |z| > z_{1-α/2}. ``numpy.random.default_rng(seed)``; all replicates at
    once (a few hundred ms for 4,000 replicates of 31 patients).
    """
    rng = np.random.default_rng(seed)
    n = n_treatment + n_reference
    arm = np.r_[np.ones(n_treatment), np.zeros(n_reference)]
    rate = np.where(arm == 1, math.log(2) / median_treatment, math.log(2) / median_reference)
    if n_sim * n > MAX_CELLS:  # large trials: fewer replicates, in chunks (bounded memory)
        n_sim = min(n_sim, max(MIN_LARGE_SIMS, MAX_CELLS // n))
    rejected, events = 0, 0.0
    chunk = max(1, CHUNK_CELLS // n)
    for lo in range(0, n_sim, chunk):
        k = min(chunk, n_sim - lo)
        t_event = rng.exponential(1.0, size=(k, n)) / rate
        entry = rng.uniform(0.0, accrual_months, size=(k, n))
        censor = accrual_months + followup_months - entry
        time = np.minimum(t_event, censor)
        event = (t_event <= censor).astype(float)
        z = logrank_z(time, event, np.broadcast_to(arm, (k, n)))
        rejected += int((np.abs(z) > z_two_sided(alpha)).sum())
        events += float(event.sum())
    pw = rejected / n_sim
    return SimulatedPower(
        pw,
        math.sqrt(pw * (1 - pw) / n_sim),
        events / n_sim,
        median_reference / median_treatment,
        n_treatment,
        n_reference,
        n_sim,
        seed,
    )


def power_curve(
    totals,
    hr: float,
    median_reference: float,
    allocation: float,
    accrual_months: float,
    followup_months: float = 0.0,
    alpha: float = 0.05,
    n_sim: int = 2000,
    seed: int = 0,
) -> list[SimulatedPower]:
    """:func:`simulate_logrank_power` over total sample sizes at a fixed HR and allocation."""
    out = []
    for i, total in enumerate(totals):
        n1 = int(round(total * allocation))
        out.append(
            simulate_logrank_power(
                n1,
                int(total) - n1,
                median_reference / hr,
                median_reference,
                accrual_months,
                followup_months,
                alpha,
                n_sim,
                seed + i,
            )
        )
    return out


#: The study's accrual, January 2019 to December 2024, with the analysis at its end
#: (the paper, sections 2.1 and 2.3): what the simulations assume.
ACCRUAL_MONTHS, FOLLOWUP_MONTHS = 72.0, 0.0

#: Replicates per simulated scenario, and per point of the power curve.
CHAPTER_SIMS, CURVE_SIMS = 4000, 2000

#: Study sizes of the power curve beyond the cohort's own.
CURVE_TOTALS = (50, 75, 100, 150, 200, 250)

#: The endpoints in the order that sets their simulation seeds (seed + index).
_ENDPOINTS = ("pfs", "os")


@dataclass
class PowerChapter:
    """What the power chapter records, glues and shows (:func:`power_chapter`)."""

    design_hr: float  # the paper's adjusted PFS HR: the results keys' calculations, shown for contrast
    events_table: pd.DataFrame  # events and patients for 80% and 90% power at design_hr
    design_table: pd.DataFrame  # design_table(): the external design HRs and the paper's
    curve: pd.DataFrame | None  # n, simulated, mc_se, analytic; None without a reference median
    curve_title: str | None  # the curve's HR, and the endpoint and reference median it was simulated with
    results: dict[str, Any]  # the chapter's results keys, complete
    glue: dict[str, tuple]  # name: (value, format) for the prose


def power_chapter(cohort: pd.DataFrame, params, published: dict[str, Any] | None = None) -> PowerChapter:
    """The power chapter on ``cohort``: events and patients needed, the study's power, a power curve.

    The design HR is the paper's adjusted PFS HR (``published``, by default the
    paper's values; 0.51 when absent), the allocation the cohort's. Per endpoint
    present: the event share, the patients needed (:func:`patients_needed`), the
    power by Schoenfeld's formula at the observed number of events, and, when both
    arms reach their median, the simulated power (:func:`simulate_logrank_power`,
    :data:`CHAPTER_SIMS` replicates, seeds ``params.seed + i`` and ``+ 10 + i``)
    with the observed medians and with the design HR. The curve
    (:func:`power_curve`, seed ``params.seed + 100``) starts from the PFS reference
    median, else the OS one.
    """
    paper = published_values() if published is None else published
    roles = arm_role(cohort, params.reference_group, params.treatment_group)
    sizes = {"total": len(cohort), **{r: int((roles == r).sum()) for r in ("treatment", "reference")}}
    allocation = sizes["treatment"] / sizes["total"]
    design_hr = paper.get("pfs.cox_multivariable.hr", 0.51)
    alpha = params.alpha
    values = {
        "methods.power.design_hr": design_hr,
        "methods.power.events_80": required_events(design_hr, 0.8, alpha, allocation),
        "methods.power.events_90": required_events(design_hr, 0.9, alpha, allocation),
    }
    start = time.perf_counter()
    medians, sims = {}, {}
    for i, ep in enumerate(_ENDPOINTS):
        if not has_endpoint(cohort, ep):
            continue
        values.update(_event_values(cohort, ep, design_hr, alpha, allocation, values))
        data = endpoint_data(cohort, ep, params.reference_group, params.treatment_group)
        medians[ep] = {
            r: km_median(data.arm(r)["time"], data.arm(r)["event"]) for r in ("treatment", "reference")
        }
        if all(m is not None for m in medians[ep].values()):
            sims[ep] = _simulated(sizes, medians[ep], design_hr, alpha, params.seed + i, params.seed + 10 + i)
            values[f"methods.power.simulated.{ep}.observed"] = sims[ep][0].power
            values[f"methods.power.simulated.{ep}.design"] = sims[ep][1].power
    curve = _curve(sizes, medians, design_hr, allocation, alpha, params.seed + 100)
    curve_ep = _curve_endpoint(medians)
    seconds = time.perf_counter() - start
    table, design_glue, trial_values = _external_design(cohort, params, sizes, design_hr, allocation)
    values.update(trial_values)
    glue = _glue(cohort, sizes, design_hr, alpha, allocation, values, sims, seconds)
    glue.update(design_glue)
    glue["patients_reconciled"] = (
        reconcile_patient_counts(
            values["methods.power.events_80"],
            values.get("methods.power.event_fraction.pfs"),
            glue["prob_own"][0],
        ),
        "{}",
    )
    glue.update(_median_rule_glue(cohort, params, medians))
    glue.update(contrast_glue(glue, values))
    return PowerChapter(
        design_hr=design_hr,
        events_table=_events_table(values),
        design_table=table,
        curve=curve,
        curve_title=None
        if curve is None
        else curve_title(design_hr, curve_ep, medians[curve_ep]["reference"]),
        results=complete("methods_power", values),
        glue=glue,
    )


def _median_rule_glue(cohort: pd.DataFrame, params, medians: dict[str, dict[str, float | None]]) -> dict:
    """Per endpoint, the ratio of the medians (reference over treatment) by R's ``survfit`` rule, the
    midpoint of a step at exactly 0.5 (:func:`lcnec_utils.methods.conventions.km_quantile`,
    ``midpoint_or_last``), beside the book's first time Ŝ(t) ≤ 0.5 that the simulations use."""
    glue: dict[str, tuple] = {}
    for ep in _ENDPOINTS:
        ratio = None
        if ep in medians and all(m is not None for m in medians[ep].values()):
            data = endpoint_data(cohort, ep, params.reference_group, params.treatment_group)
            r = {
                role: km_quantile(data.arm(role)["time"], data.arm(role)["event"], 0.5, "midpoint_or_last")
                for role in ("treatment", "reference")
            }
            ratio = None if None in r.values() else r["reference"] / r["treatment"]
        glue[f"{ep}_sim_hr_r"] = (ratio, "{:.2f}")
    return glue


def _external_exercises(cohort: pd.DataFrame, alpha: float, allocation: float) -> dict[str, tuple]:
    """Exercises 1 and 2 with the design trial's HR: events at 1:1 allocation (both formulas) and the
    power of the deaths the cohort observed."""
    trials, design = external_trials()
    hr = trials[design].hr
    deaths = int(cohort["os_event"].sum())
    return {
        "ex_equal_ext": (required_events(hr, 0.8, alpha, 0.5), "{}"),
        "ex_equal_ext_freedman": (math.ceil(freedman_events(hr, 0.8, alpha, 0.5) - 1e-9), "{}"),
        "ex_pw_ext": (schoenfeld_power(deaths, hr, alpha, allocation), "pct"),
    }


#: Short names of the endpoints in the design table's labels.
_ENDPOINT_SHORT = {"os": "OS", "pfs": "PFS"}
#: The label of the design table's row for the paper's own HR, shown for contrast.
PAPER_ROW = "the paper's adjusted PFS HR, with the cohort's reference PFS median"


def trial_designs(trials) -> dict[str, tuple[float, float]]:
    """The design table's rows from the external trials: per trial and endpoint, ``"<trial>, <OS|PFS>"``:
    (that endpoint's HR, that endpoint's control median), so that a design never pairs one endpoint's
    HR with the other's median (:meth:`lcnec_utils.methods.design.ExternalTrial.endpoint`)."""
    rows = {}
    for name, t in trials.items():
        for ep in _ENDPOINTS[::-1]:
            r = t.endpoint(ep)
            rows[f"{name}, {_ENDPOINT_SHORT[ep]}"] = (r.hr, r.median_control)
    return rows


def _external_design(
    cohort: pd.DataFrame, params, sizes: dict[str, int], paper_hr: float, allocation: float
) -> tuple[pd.DataFrame, dict[str, tuple], dict[str, Any]]:
    """The design table (each trial's OS and PFS hazard ratios with that endpoint's control median, and,
    for contrast, the paper's adjusted PFS HR with the cohort's reference-arm PFS median: one endpoint
    per row), its glue (``ext_*`` the design trial's OS design, ``ext_pfs_*`` its PFS design), the
    results keys ``methods.power.trial.<endpoint>.*``, and each endpoint's "observed power" from its
    log-rank p (:func:`lcnec_utils.methods.design.observed_power`)."""
    alpha = params.alpha
    trials, design = external_trials()
    hrs = trial_designs(trials)
    trial = trials[design]
    others = [t for t in trials.values() if t is not trial]
    own_median = None
    if has_endpoint(cohort, "pfs"):
        data = endpoint_data(cohort, "pfs", params.reference_group, params.treatment_group).arm("reference")
        own_median = km_median(data["time"], data["event"])
    if own_median is not None:
        hrs[PAPER_ROW] = (paper_hr, own_median)
    table = design_table(allocation, alpha, ACCRUAL_MONTHS, FOLLOWUP_MONTHS, sizes["total"], hrs)
    rows = table.set_index("design")
    glue: dict[str, tuple] = {"ext_trial": (trial.name, "{}")}
    values: dict[str, Any] = {}
    for ep in _ENDPOINTS:
        res = trial.endpoint(ep)
        row = rows.loc[f"{design}, {_ENDPOINT_SHORT[ep]}"]
        glue.update(
            _trial_glue("ext_" if ep == "os" else "ext_pfs_", res, row, [t.endpoint(ep) for t in others])
        )
        glue["ext_pfs_other_detail" if ep == "pfs" else "ext_other_detail"] = (
            "; ".join(
                f"{t.name}, median {t.endpoint(ep).median_experimental:.1f} against "
                f"{t.endpoint(ep).median_control:.1f} months"
                for t in others
            ),
            "{}",
        )
        k = f"methods.power.trial.{ep}"
        values.update(
            {
                f"{k}.hr": res.hr,
                f"{k}.median_reference": res.median_control,
                f"{k}.events_80": int(row["schoenfeld_80"]),
                f"{k}.event_probability": float(row["event_probability"]),
                f"{k}.patients_80": int(row["patients_80"]),
                f"{k}.power": float(row["power_schoenfeld"]),
            }
        )
    own = rows.loc[PAPER_ROW] if own_median is not None else None
    glue.update(
        {
            "freedman_vs_schoenfeld": (freedman_comparison(trial.hr, alpha, allocation), "{}"),
            "own_median_reference": (own_median, "{:.1f}"),
            "paper_d80_freedman": (math.ceil(freedman_events(paper_hr, 0.8, alpha, allocation) - 1e-9), "{}"),
            "prob_own": (None if own is None else float(own["event_probability"]), "pct"),
            "own_n80": (None if own is None else int(own["patients_80"]), "{}"),
            "observed_power_at_alpha": (observed_power(alpha, alpha), "pct"),
        }
    )
    for ep in _ENDPOINTS:
        p = (
            logrank(cohort, ep, params.reference_group, params.treatment_group).p
            if has_endpoint(cohort, ep)
            else None
        )
        glue[f"{ep}_logrank_p"] = (p, "p_clause")
        glue[f"{ep}_observed_power"] = (None if p is None else observed_power(p, alpha), "pct")
    return table, glue, values


def _trial_glue(prefix: str, res, row: pd.Series, others: list) -> dict[str, tuple]:
    """The design trial's numbers for one endpoint (``res``, its design-table ``row``) and the other
    trials' HRs (``others``, :class:`lcnec_utils.methods.design.EndpointResult`)."""
    return {
        f"{prefix}hr": (res.hr, "{:.2f}"),
        f"{prefix}hr_ci": ((res.hr, res.ci_low, res.ci_high), "hr_ci"),
        f"{prefix}median_control": (res.median_control, "{:.1f}"),
        f"{prefix}median_experimental": (res.median_experimental, "{:.1f}"),
        f"{prefix}other": ("; ".join(format_hr_ci(t.hr, t.ci_low, t.ci_high, sep="–") for t in others), "{}"),
        f"{prefix}power_verdict": (power_verdict(row["power_schoenfeld"]), "{}"),
        f"{prefix}d80": (int(row["schoenfeld_80"]), "{}"),
        f"{prefix}d80_freedman": (int(row["freedman_80"]), "{}"),
        f"{prefix}d90": (int(row["schoenfeld_90"]), "{}"),
        f"{prefix}prob": (row["event_probability"], "pct"),
        f"{prefix}n80": (int(row["patients_80"]), "{:,}"),
        f"{prefix}expected": (row["expected_events"], "{:.1f}"),
        f"{prefix}power": (row["power_schoenfeld"], "pct"),
        f"{prefix}power_freedman": (row["power_freedman"], "pct"),
    }


def reconcile_patient_counts(events: int, share: float | None, probability: float | None) -> str | None:
    """Why two patient counts for one design differ, as a sentence: both divide the same ``events``
    (Schoenfeld's formula, which the HR, α, power and allocation set) by a probability that a patient
    has the event by the analysis, ``share`` (the cohort's observed share) or ``probability`` (the
    accrual model's, :func:`lcnec_utils.methods.design.event_probability`). None without either."""
    if share is None or probability is None or share <= 0:
        return None
    n_share, n_model = patients_needed(events, share), patients_needed(events, probability)
    if math.isclose(share, probability):
        relation, count = "equal to", "as many patients"
    elif share > probability:
        relation, count = "higher than", "fewer patients"
    else:
        relation, count = "lower than", "more patients"
    return (
        f"Both counts divide the same {events} events by the probability that a patient has the event "
        f"by the analysis, and differ only in that probability: the share of this cohort that had a PFS "
        f"event (progression or death), {100 * share:.1f}%, is {relation} the accrual model's {100 * probability:.1f}%, so it asks for "
        f"{count} ({n_share} against {n_model})"
    )


def freedman_comparison(hr: float, alpha: float, allocation: float) -> str:
    """Which of Freedman's and Schoenfeld's formulas asks for more events for ``hr`` at 80% power with
    ``allocation`` (the treatment arm's share), as a clause with both counts (rounded up).

    With 1:1 allocation Freedman's count is never the smaller, since |log HR| ≥ 2|1 − HR|/(1 + HR);
    with more patients in the experimental arm it can be, so the direction is computed, not assumed.
    """
    s = math.ceil(schoenfeld_events(hr, 0.8, alpha, allocation) - 1e-9)
    f = math.ceil(freedman_events(hr, 0.8, alpha, allocation) - 1e-9)
    k = allocation / (1 - allocation)
    relation = "more" if f > s else "fewer" if f < s else "as many"
    return (
        f"with this allocation (k = {k:.2f} patients in the experimental arm per patient in the other) "
        f"Freedman's formula asks for {relation} events than Schoenfeld's for HR {hr:.2f}: "
        f"{f} against {s}"
    )


def power_verdict(power: float) -> str:
    """The reading of a study's power against a design hazard ratio: below 50% "far too small", below the
    conventional 80% "too small", else "large enough" (thresholds stated in the clause)."""
    if power < 0.5:
        return "far too small to detect a benefit of that size reliably (less than an even chance)"
    if power < 0.8:
        return "too small for the conventional 80% power to detect a benefit of that size"
    return "large enough for the conventional 80% power to detect a benefit of that size"


def design_table(
    allocation: float,
    alpha: float,
    accrual: float,
    followup: float,
    n_total: int,
    hrs: dict[str, tuple[float, float]],
) -> pd.DataFrame:
    """Per design hazard ratio: events for 80% and 90% power by Schoenfeld's and Freedman's formulas,
    the event probability, the patients needed, and the power ``n_total`` patients give.

    ``hrs`` maps a label to (hazard ratio, reference-arm median in months). Columns design, hr,
    schoenfeld_80, freedman_80, schoenfeld_90, freedman_90 (events, rounded up), event_probability,
    patients_80 (Schoenfeld's events / probability, rounded up), expected_events (``n_total`` ×
    probability), power_schoenfeld, power_freedman (at the expected events).
    """
    rows = []
    for label, (hr, median_reference) in hrs.items():
        prob = event_probability(median_reference, hr, accrual, followup, allocation)
        expected = n_total * prob
        row = {"design": label, "hr": hr, "median_reference": median_reference}
        for level in (80, 90):
            row[f"schoenfeld_{level}"] = math.ceil(
                schoenfeld_events(hr, level / 100, alpha, allocation) - 1e-9
            )
            row[f"freedman_{level}"] = math.ceil(freedman_events(hr, level / 100, alpha, allocation) - 1e-9)
        row["event_probability"] = prob
        row["patients_80"] = patients_needed(row["schoenfeld_80"], prob)
        row["expected_events"] = expected
        row["power_schoenfeld"] = schoenfeld_power(expected, hr, alpha, allocation)
        row["power_freedman"] = freedman_power(expected, hr, alpha, allocation)
        rows.append(row)
    return pd.DataFrame(rows)


def format_design_table(table: pd.DataFrame) -> pd.DataFrame:
    """Text version of :func:`design_table` for the page."""
    return pd.DataFrame(
        {
            "Design hazard ratio": [f"{d}: {h:.2f}" for d, h in zip(table["design"], table["hr"])],
            "Events, 80% power (Schoenfeld / Freedman)": [
                f"{s} / {f}" for s, f in zip(table["schoenfeld_80"], table["freedman_80"])
            ],
            "Events, 90% power (Schoenfeld / Freedman)": [
                f"{s} / {f}" for s, f in zip(table["schoenfeld_90"], table["freedman_90"])
            ],
            "P(event) by the analysis": table["event_probability"].map("{:.1%}".format),
            "Patients, 80% power": table["patients_80"],
            "Power of this study (Schoenfeld / Freedman)": [
                f"{a:.0%} / {b:.0%}" for a, b in zip(table["power_schoenfeld"], table["power_freedman"])
            ],
        }
    )


def _event_values(
    cohort: pd.DataFrame, ep: str, design_hr: float, alpha: float, allocation: float, values: dict[str, Any]
) -> dict[str, Any]:
    """Event share, patients needed and Schoenfeld power at the observed events of ``ep``."""
    share = float(cohort[f"{ep}_event"].mean())
    events = int(cohort[f"{ep}_event"].sum())
    out: dict[str, Any] = {f"methods.power.event_fraction.{ep}": share}
    if share > 0:
        for level in (80, 90):
            out[f"methods.power.patients_{level}.{ep}"] = patients_needed(
                values[f"methods.power.events_{level}"], share
            )
    out[f"methods.power.analytic.{ep}"] = schoenfeld_power(events, design_hr, alpha, allocation)
    return out


def _simulated(
    sizes: dict[str, int],
    median: dict[str, float],
    design_hr: float,
    alpha: float,
    seed_obs: int,
    seed_des: int,
) -> tuple[SimulatedPower, SimulatedPower]:
    """Simulated power with the observed medians, and with the reference median and the design HR."""
    n = (sizes["treatment"], sizes["reference"])
    observed = simulate_logrank_power(
        *n,
        median["treatment"],
        median["reference"],
        ACCRUAL_MONTHS,
        FOLLOWUP_MONTHS,
        alpha,
        CHAPTER_SIMS,
        seed_obs,
    )
    design = simulate_logrank_power(
        *n,
        median["reference"] / design_hr,
        median["reference"],
        ACCRUAL_MONTHS,
        FOLLOWUP_MONTHS,
        alpha,
        CHAPTER_SIMS,
        seed_des,
    )
    return observed, design


def _curve(
    sizes: dict[str, int],
    medians: dict[str, dict[str, float | None]],
    design_hr: float,
    allocation: float,
    alpha: float,
    seed: int,
) -> pd.DataFrame | None:
    """Simulated and analytic power by study size, from the cohort's size up to :data:`CURVE_TOTALS`, with
    the reference median of :func:`_curve_endpoint`'s endpoint."""
    ref_ep = _curve_endpoint(medians)
    if ref_ep is None:
        return None
    totals = [sizes["total"]] + [n for n in CURVE_TOTALS if n > sizes["total"]]
    points = power_curve(
        totals,
        design_hr,
        medians[ref_ep]["reference"],
        allocation,
        ACCRUAL_MONTHS,
        FOLLOWUP_MONTHS,
        alpha,
        CURVE_SIMS,
        seed,
    )
    return pd.DataFrame(
        {
            "n": totals,
            "simulated": [p.power for p in points],
            "mc_se": [p.mc_se for p in points],
            "analytic": [schoenfeld_power(p.mean_events, design_hr, alpha, allocation) for p in points],
        }
    )


def _curve_endpoint(medians: dict[str, dict[str, float | None]]) -> str | None:
    """The endpoint whose reference-arm median the power curve uses: PFS when its reference arm reaches
    its median, else OS when it does, else None (no curve)."""
    for ep in _ENDPOINTS:
        if ep in medians and medians[ep]["reference"] is not None:
            return ep
    return None


def curve_title(hr: float, endpoint: str, median_reference: float) -> str:
    """The power curve's title: the HR it is drawn for (the paper's adjusted PFS HR) and the endpoint and
    reference-arm median it was simulated with, which is overall survival's when the cohort has no
    PFS median to use."""
    name = _ENDPOINT_NAMES[endpoint]
    applied = "" if endpoint == "pfs" else f", applied to {name}"
    return (
        f"Power to detect the paper's adjusted PFS HR {hr:.2f}{applied}, by study size\n"
        f"(simulated with the cohort's reference-arm {_ENDPOINT_SHORT[endpoint]} median, "
        f"{median_reference:.1f} months)"
    )


#: The endpoints' names in the prose.
_ENDPOINT_NAMES = {"pfs": "progression-free survival", "os": "overall survival"}


def _pair(texts: dict[str, str | None], label: bool) -> str | None:
    """The endpoints' values in the chapter's order (PFS, then OS) joined by "and", or the one there is
    (with its endpoint in brackets when ``label``, so that it is not read as the other's); None if none."""
    have = [(ep, t) for ep, t in texts.items() if t is not None]
    if len(have) == 2:
        return f"{have[0][1]} and {have[1][1]}"
    if len(have) == 1:
        ep, t = have[0]
        return f"{t} ({_ENDPOINT_NAMES[ep]})" if label else t
    return None


def model_check(share: float, probability: float, n_model: int) -> str:
    """What setting the accrual model beside the cohort shows: the model's event probability for the
    paper's HR against the cohort's PFS event share, and the direction this gives its patient count
    (a model that under-predicts events asks for more patients than needed: conservative)."""
    if math.isclose(share, probability, abs_tol=5e-4):
        verdict = f"it predicts the events this study had, so its {n_model} patients are neither too many nor too few"
    elif probability < share:
        verdict = (
            f"it under-predicts the events this study had, so its count of {n_model} patients errs on the "
            "conservative side"
        )
    else:
        verdict = (
            f"it over-predicts the events this study had, so its count of {n_model} patients may be too small"
        )
    return (
        f"Set beside the cohort as a check, the model gives {100 * probability:.1f}% of patients a PFS event "
        f"by the analysis where the cohort had {100 * share:.1f}%: {verdict}"
    )


def contrast_glue(glue: dict[str, tuple], values: dict[str, Any]) -> dict[str, tuple]:
    """The sentences of the paragraph on the paper's own HR that depend on the cohort's endpoints, as
    finished text: with progression-free survival, its event share, the accrual model's count, why the
    two differ (:func:`reconcile_patient_counts`) and the model's check (:func:`model_check`); without it,
    one sentence that says so, and the overall-survival parts alone (:func:`_pair`)."""

    def text(key: str) -> str | None:
        value, fmt = glue[key][:2]
        return None if value is None else format_value(value, fmt)

    has_pfs = glue["pfs_events"][0] is not None
    out: dict[str, tuple] = {}
    if has_pfs:
        out["contrast_shares"] = (
            f"with the cohort's own event shares ({text('pfs_share')} had a PFS event, progression or death; "
            f"{text('os_share')} died) that is {text('pfs_n80')} patients for progression-free survival and "
            f"{text('os_n80')} for overall survival at 80% ({text('pfs_n90')} and {text('os_n90')} at 90%), "
            "if that HR held for either endpoint (the paper's own OS HR is a different number)",
            "{}",
        )
    else:
        out["contrast_shares"] = (
            f"with the cohort's share of deaths ({text('os_share')}) that is {text('os_n80')} patients for "
            f"overall survival at 80% ({text('os_n90')} at 90%), if that HR held for overall survival "
            "(the paper's own OS HR is a different number)",
            "{}",
        )
    share = values.get("methods.power.event_fraction.pfs")
    prob = glue["prob_own"][0]
    if not has_pfs:
        model = (
            "The cohort has no progression-free-survival columns, so the counts for progression-free survival "
            "(from its PFS event share, or from the accrual model with its reference-arm PFS median) and their "
            "check against each other cannot be computed; what follows is for overall survival."
        )
    elif prob is None:
        model = (
            "The cohort's reference arm does not reach its PFS median, so the accrual model has no median to "
            "give a second count for progression-free survival, and no check of the model can be made."
        )
    else:
        n_model = glue["own_n80"][0]
        model = (
            f"The event probability that the accrual implies for that design, with the cohort's reference-arm "
            f"PFS median of {text('own_median_reference')} months, is {text('prob_own')}, that is {n_model} "
            f"patients for progression-free survival at 80%, the count of the design table above. "
            f"{glue['patients_reconciled'][0]}. The chapter plans with the accrual model's probability, as in "
            "the designs above: it follows from the design's assumptions (the hazard ratio, the control "
            f"median, and the accrual and follow-up, here this study's own: entry over {ACCRUAL_MONTHS:g} "
            f"months and the analysis at its end, F = {FOLLOWUP_MONTHS:g}) and changes with them, whereas the "
            "cohort's share is what this study's follow-up and its observed effect happened to give, and "
            f"carries over to no other study. {model_check(share, prob, n_model)}."
        )
    out["contrast_model"] = (model, "{}")
    names = {"pfs": "progression", "os": "death"}
    events = {ep: glue[f"{ep}_events"][0] for ep in _ENDPOINTS}
    out["contrast_events"] = (
        _pair(
            {ep: None if events[ep] is None else format_count(events[ep], names[ep]) for ep in _ENDPOINTS},
            False,
        ),
        "{}",
    )
    for key in ("analytic", "sim_des", "sim_hr", "sim_hr_r", "sim_obs", "logrank_p", "observed_power"):
        out[f"contrast_{key}"] = (_pair({ep: text(f"{ep}_{key}") for ep in _ENDPOINTS}, has_pfs), "{}")
    return out


def _events_table(values: dict[str, Any]) -> pd.DataFrame:
    """Events (Schoenfeld) and patients (by each endpoint's event share) for 80% and 90% power."""
    return pd.DataFrame(
        [
            {
                "Power": f"{level}%",
                "Events (Schoenfeld)": values[f"methods.power.events_{level}"],
                "Patients, PFS event share": values.get(f"methods.power.patients_{level}.pfs") or "—",
                "Patients, OS event share": values.get(f"methods.power.patients_{level}.os") or "—",
            }
            for level in (80, 90)
        ]
    )


def _glue(
    cohort: pd.DataFrame,
    sizes: dict[str, int],
    design_hr: float,
    alpha: float,
    allocation: float,
    values: dict[str, Any],
    sims: dict[str, tuple[SimulatedPower, SimulatedPower]],
    seconds: float,
) -> dict[str, tuple]:
    """The numbers of the chapter's prose and exercises."""
    glue: dict[str, tuple] = {
        "design_hr": (design_hr, "{:.2f}"),
        "alloc": (f"{sizes['treatment']}:{sizes['reference']}", "{}"),
        "p_alloc": (allocation, "{:.3f}"),
        "alpha": (alpha, "{:g}"),
        "d80_exact": (schoenfeld_events(design_hr, 0.8, alpha, allocation), "{:.1f}"),
        "d90_exact": (schoenfeld_events(design_hr, 0.9, alpha, allocation), "{:.1f}"),
        "d80": (values["methods.power.events_80"], "{}"),
        "d90": (values["methods.power.events_90"], "{}"),
        "accrual": (ACCRUAL_MONTHS, "{:g}"),
        "seconds": (seconds, "{:.1f}"),
        "n_sim": (next((observed.n_sim for observed, _ in sims.values()), None), "{:,}"),
    }
    for ep in _ENDPOINTS:
        glue[f"{ep}_share"] = (values.get(f"methods.power.event_fraction.{ep}"), "pct")
        glue[f"{ep}_n80"] = (values.get(f"methods.power.patients_80.{ep}"), "{}")
        glue[f"{ep}_n90"] = (values.get(f"methods.power.patients_90.{ep}"), "{}")
        glue[f"{ep}_analytic"] = (values.get(f"methods.power.analytic.{ep}"), "pct")
        glue[f"{ep}_sim_obs"] = (values.get(f"methods.power.simulated.{ep}.observed"), "pct")
        glue[f"{ep}_sim_des"] = (values.get(f"methods.power.simulated.{ep}.design"), "pct")
        observed = sims[ep][0] if ep in sims else None
        glue[f"{ep}_sim_hr"] = (None if observed is None else observed.hr, "{:.2f}")
        glue[f"{ep}_sim_events"] = (None if observed is None else observed.mean_events, "{:.1f}")
        glue[f"{ep}_events"] = (int(cohort[f"{ep}_event"].sum()) if has_endpoint(cohort, ep) else None, "{}")
    glue["os_deaths"] = (glue["os_events"][0], "count:death")  # "1 death", "25 deaths"
    glue.update(_external_exercises(cohort, alpha, allocation))
    return glue
