"""Immune-related adverse events over time, with death as a competing risk (chapter 18).

Each patient's time to the first irAE: the ``onset_months`` of the earliest immune-related row
of the adverse-event table (status 1); a patient without an irAE who died has the competing
event at ``os_months`` (status 2); the others are censored at their last follow-up
(``os_months``, status 0). A patient with an irAE whose onset is unknown (an empty cell) is left
out, since the first irAE could be the unknown one. The cumulative incidence is the
Aalen-Johansen estimate, against the naive 1 − Kaplan-Meier that censors the deaths
(:mod:`lcnec_utils.stats.competing_risks`). Gray's test compares the arms whenever a patient has
an irAE, one arm without any included (its incidence is 0); with no irAE at all there is nothing to
test. Beside it, Fisher's exact test of the crude counts, a check that needs no large-sample
approximation (the irAEs may be few).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from lcnec_utils.contract.io import arm_role
from lcnec_utils.contract.params import DEFAULT_AE
from lcnec_utils.contract.published import published_values
from lcnec_utils.methods.glued import ChapterNumbers
from lcnec_utils.stats.competing_risks import (
    GrayTest,
    aalen_johansen,
    gray_test,
    naive_incidence,
    value_at,
)
from lcnec_utils.stats.format import format_p

#: Times (months) at which the incidences are recorded and tabulated.
HORIZONS = (3.0, 6.0, 12.0)
_ROLES = ("treatment", "reference")
STATUS_WORDS = {0: "censored", 1: "first irAE", 2: "death without irAE"}
#: Exercise 2 reads the incidences at this time, after moving every irAE onset later by the delay of
#: :func:`exercise_delay` ...
DELAYED_HORIZON = 24.0
#: ... or by this many months when no delay makes the two estimates differ (then they agree for any).
FALLBACK_DELAY = 6.0
#: Two incidences are taken to differ from this gap on (0.1 percentage point: they print differently).
VISIBLE_GAP = 1e-3


@dataclass(frozen=True)
class FirstIrae:
    """Competing-risks data of the first irAE (``frame``: role, time, status, and the patient's
    os_months, os_event), the patients left out
    for an unknown onset, or why the analysis cannot be done (``unavailable``)."""

    frame: pd.DataFrame | None
    unknown_onset: int = 0
    unavailable: str | None = None


@dataclass(frozen=True)
class ArmIncidence:
    """One arm's counts, its Aalen-Johansen and naive curves (``time``, ``cif``)."""

    role: str
    counts: dict[str, int]
    cif: pd.DataFrame
    naive: pd.DataFrame

    def at(self, t: float) -> tuple[float, float]:
        return value_at(self.cif, t), value_at(self.naive, t)


def first_irae_data(cohort: pd.DataFrame, adverse_events: pd.DataFrame | None, params) -> FirstIrae:
    """The time to the first irAE with death as the competing event (module docstring)."""
    if adverse_events is None:
        return FirstIrae(None, unavailable="the study has no adverse-event table")
    if "onset_months" not in adverse_events.columns:
        return FirstIrae(None, unavailable="the adverse-event table has no onset_months column")
    role = arm_role(cohort, params.reference_group, params.treatment_group)
    keep = role.notna() & cohort["os_months"].notna() & cohort["os_event"].notna()
    ids = cohort.loc[keep, "patient_id"]
    irae = adverse_events[adverse_events["immune_related"] == 1]
    unknown = set(irae.loc[irae["onset_months"].isna(), "patient_id"]) & set(ids)
    first = irae.dropna(subset=["onset_months"]).groupby("patient_id")["onset_months"].min()
    frame = pd.DataFrame(
        {
            "patient_id": ids.to_numpy(),
            "role": role[keep].to_numpy(),
            "os_months": cohort.loc[keep, "os_months"].to_numpy(float),
            "os_event": cohort.loc[keep, "os_event"].to_numpy(int),
        }
    )
    frame = frame[~frame["patient_id"].isin(unknown)]
    onset = frame["patient_id"].map(first)
    frame["time"] = onset.fillna(frame["os_months"]).to_numpy(float)
    frame["status"] = np.where(onset.notna(), 1, np.where(frame["os_event"] == 1, 2, 0))
    columns = ["role", "time", "status", "os_months", "os_event"]
    return FirstIrae(frame[columns].reset_index(drop=True), len(unknown))


def arm_incidence(data: pd.DataFrame, role: str) -> ArmIncidence:
    """Counts by status, the Aalen-Johansen cumulative incidence of the first irAE and 1 − KM, each
    drawn on to the arm's last follow-up."""
    arm = data[data["role"] == role]
    t, s = arm["time"].to_numpy(float), arm["status"].to_numpy(int)
    counts = {word: int((s == code).sum()) for code, word in STATUS_WORDS.items()}
    cif, naive = aalen_johansen(t, s, 1), naive_incidence(t, s, 1)
    if t.size and t.max() > cif["time"].iloc[-1]:  # the curves run on to the arm's last follow-up
        cif, naive = (
            pd.concat([c, c.iloc[[-1]].assign(time=t.max())], ignore_index=True) for c in (cif, naive)
        )
    return ArmIncidence(role, counts, cif, naive)


def arms_gray_test(data: pd.DataFrame) -> GrayTest | None:
    """Gray's test of the first irAE between the arms, run when at least one patient has an irAE (an
    arm without any has incidence 0, which the test compares like any other); None when nobody has
    one (the score and its variance are both 0: there is nothing to test) or an arm is empty."""
    if data["role"].nunique() < 2 or not (data["status"] == 1).any():
        return None
    return gray_test(data["time"], data["status"], data["role"], cause=1)


def arms_fisher_test(arms: list[ArmIncidence]) -> float | None:
    """Two-sided p of Fisher's exact test of the crude counts, patients with a first irAE against the
    others, between the arms; None when nobody has an irAE (as Gray's test). It ignores when the
    irAEs came and who was censored before one could be seen."""
    if len(arms) != 2 or not any(a.counts["first irAE"] for a in arms):
        return None
    table = [[a.counts["first irAE"], _arm_size(a) - a.counts["first irAE"]] for a in arms]
    return float(stats.fisher_exact(table).pvalue)


def _arm_size(arm: ArmIncidence) -> int:
    return sum(arm.counts.values())


def incidence_table(arms: list[ArmIncidence], labels: dict[str, str]) -> pd.DataFrame:
    """Text rows: per arm, the counts and the two estimates at each horizon."""
    rows = []
    for a in arms:
        row = {
            "Arm": labels[a.role],
            "First irAE": a.counts["first irAE"],
            "Death without irAE": a.counts["death without irAE"],
            "Censored": a.counts["censored"],
        }
        for h in HORIZONS:
            cif, naive = a.at(h)
            row[f"{h:g} months: Aalen-Johansen"] = f"{100 * cif:.1f}%"
            row[f"{h:g} months: 1 − KM"] = f"{100 * naive:.1f}%"
        rows.append(row)
    return pd.DataFrame(rows)


def largest_overstatement(arm: ArmIncidence) -> tuple[float, float | None]:
    """The largest excess of 1 − KM over the Aalen-Johansen estimate, and the first time it is reached."""
    diff = arm.naive["cif"].to_numpy(float) - arm.cif["cif"].to_numpy(float)
    if diff.size == 0 or diff.max() <= 1e-12:
        return 0.0, None
    return float(diff.max()), float(arm.cif["time"].iloc[int(np.argmax(diff))])


def deaths_before_last_irae(data: pd.DataFrame, role: str, by: float | None = None) -> int:
    """Deaths without an irAE, in the arm, before its last first-irAE onset (the last by ``by`` months
    when given)."""
    arm = data[data["role"] == role]
    onsets = arm.loc[arm["status"] == 1, "time"]
    if by is not None:
        onsets = onsets[onsets <= by]
    if onsets.empty:
        return 0
    return int(((arm["status"] == 2) & (arm["time"] < onsets.max())).sum())


def incidence_results(
    arms: list[ArmIncidence], gray: GrayTest | None, fisher_p: float | None, unknown: int
) -> dict[str, Any]:
    """Keys ``methods.competing.irae.*``."""
    out: dict[str, Any] = {}
    for a in arms:
        pre = f"methods.competing.irae.{a.role}"
        out[f"{pre}.first_irae"] = a.counts["first irAE"]
        out[f"{pre}.death_without_irae"] = a.counts["death without irAE"]
        out[f"{pre}.censored"] = a.counts["censored"]
        for h in HORIZONS:
            cif, naive = a.at(h)
            out[f"{pre}.cif.{h:g}m"] = cif
            out[f"{pre}.naive.{h:g}m"] = naive
    out["methods.competing.irae.unknown_onset"] = unknown
    out["methods.competing.irae.gray.chi2"] = None if gray is None else gray.chi2
    out["methods.competing.irae.gray.p"] = None if gray is None else gray.p
    out["methods.competing.irae.fisher.p"] = fisher_p
    return out


def _p_words(p: float) -> str:
    """ "p = 0.021", "p < 0.001"."""
    text = format_p(p)
    return f"p < {text[1:]}" if text.startswith("<") else f"p = {text}"


def gray_words(
    arms: list[ArmIncidence], gray: GrayTest | None, fisher_p: float | None, labels: dict[str, str]
) -> str:
    """Gray's test's result with how many irAEs it rests on and Fisher's exact test beside it, or why
    it is not run (no irAE in either arm)."""
    if gray is None and any(a.counts["first irAE"] for a in arms):
        return "Gray's test is not run: an arm has no patient"
    if gray is None:
        return (
            "Gray's test is not run: no patient has an irAE, so both cumulative incidences are 0 and "
            "there is nothing to test"
        )
    total = sum(a.counts["first irAE"] for a in arms)
    by_arm = " and ".join(f"{a.counts['first irAE'] or 'none'} in the {labels[a.role]} arm" for a in arms)
    crude = " against ".join(f"{a.counts['first irAE']} of {_arm_size(a)}" for a in arms)
    df = f"{gray.df} degree{'s' if gray.df != 1 else ''} of freedom"
    words = (
        f"Gray's test of the arms' cumulative incidences gives χ² = {gray.chi2:.2f} on {df} "
        f"({_p_words(gray.p)}). That p is a large-sample (χ²) approximation, which needs many events; "
        f"here there are {_count(total, 'irAE')} ({by_arm})"
    )
    if fisher_p is None:
        return words
    return (
        f"{words}. Fisher's exact test of the crude counts ({crude}), free of large-sample approximation (conservative in small samples) but blind to "
        f"when the irAEs came and to censoring, gives {_p_words(fisher_p)}"
    )


#: The paper's section whose percentages by kind of irAE add up to its share with any irAE.
PRINTED_BY_KIND = "text-3.2"


def published_irae_count(published: dict[str, Any] | None = None) -> tuple[int, int] | None:
    """The paper's share of the treatment arm with an irAE as a count: (k, n) with n the arm's size and k
    the whole number of its patients whose share is nearest the printed percentage; None without them."""
    published = published_values() if published is None else published
    pct, n = published.get("safety.irae_any.treatment"), published.get("n.treatment")
    if pct is None or not n:
        return None
    return round(pct * n / 100), int(n)


def published_share_words(
    published: dict[str, Any] | None = None, printed: dict[str, Any] | None = None
) -> str:
    """The paper's share with an irAE as the count it is, and how the printed figure comes about when it
    is the sum of the same section's percentages by kind ("4 of the arm's 14 patients (the only count of
    14 that comes near: 4/14 = 28.571%), printed as the sum ...")."""
    published = published_values() if published is None else published
    printed = published_values(PRINTED_BY_KIND) if printed is None else printed
    count = published_irae_count(published)
    if count is None:
        return "a count the paper does not give"
    k, n = count
    if abs(100 * k / n - published["safety.irae_any.treatment"]) > 0.5:  # no whole count prints as it
        return f"not a share of whole patients of the arm's {n} (the nearest, {k}/{n}, is {100 * k / n:.3f}%)"
    words = (
        f"{k} of the arm's {n} patients (the only count of {n} that comes near: {k}/{n} = {100 * k / n:.3f}%)"
    )
    kinds = [
        v for key, v in printed.items() if key.startswith("safety.irae.") and key.endswith(".pct.treatment")
    ]
    if kinds and abs(sum(kinds) - published["safety.irae_any.treatment"]) < 1e-6:
        words += (
            ", which equals the sum of the same section's percentages by kind of irAE ("
            + " + ".join(f"{v:g}" for v in kinds)
            + ")"
        )
    return words


def crude_share_words(
    data: pd.DataFrame, arm: ArmIncidence, horizon: float, paper: tuple[int, int] | None
) -> str:
    """The arm's cumulative incidence at ``horizon`` set against its crude share (patients with an irAE
    over the arm's size) and the paper's count: the same count when no patient of the arm was
    censored before its last irAE and that came by ``horizon``."""
    k, n = arm.counts["first irAE"], _arm_size(arm)
    cif = arm.at(horizon)[0]
    head = f"the cumulative incidence by {horizon:g} months is {100 * cif:.1f}%"
    rows = data[data["role"] == arm.role]
    onsets = rows.loc[rows["status"] == 1, "time"]
    if onsets.empty:
        return f"{head}, as is the crude share: no patient of the arm had an irAE"
    last = float(onsets.max())
    censored_before = int(((rows["status"] == 0) & (rows["time"] < last)).sum())
    if censored_before == 0 and last <= horizon:
        same = ", the same count as the paper's" if paper == (k, n) else ""
        return (
            f"{head}: {k} of {n} patients again{same}, since no patient of the arm was censored before its "
            f"last irAE ({last:.1f} months) and the estimate is then the crude share"
        )
    return f"{head}, against a crude share of {k} of {n} ({100 * k / n:.1f}%)"


def agreement_words(arm: ArmIncidence, deaths_before: int) -> str:
    """How far 1 − KM overstates the incidence in one arm, and why."""
    excess, when = largest_overstatement(arm)
    if when is None:
        if arm.counts["first irAE"] == 0:
            return "both estimates stay at 0"
        return (
            "the two estimates agree at every time, because no patient of the arm died without an irAE "
            "before its last irAE onset"
        )
    return (
        f"1 − KM overstates the incidence by up to {100 * excess:.1f} percentage points (from {when:.1f} "
        f"months on), because {deaths_before} patient{'s' if deaths_before != 1 else ''} of the arm died "
        "without an irAE before its last irAE onset"
    )


def delayed_onsets(data: pd.DataFrame, delay: float) -> pd.DataFrame:
    """Exercise 2's data: every first-irAE onset moved ``delay`` months later; an onset that would
    fall after the patient's ``os_months`` is lost, and the patient's death (competing) or censoring
    at ``os_months`` takes its place."""
    out = data.copy()
    irae = out["status"] == 1
    later = out["time"] + delay
    lost = irae & (later > out["os_months"])
    out.loc[irae & ~lost, "time"] = later[irae & ~lost]
    out.loc[lost, "time"] = out.loc[lost, "os_months"]
    out.loc[lost, "status"] = np.where(out.loc[lost, "os_event"] == 1, 2, 0)
    return out


def exercise_delay(data: pd.DataFrame, role: str, horizon: float = DELAYED_HORIZON) -> float | None:
    """Exercise 2's delay: the smallest whole number of months that, added to every first-irAE onset
    (:func:`delayed_onsets`), makes 1 − KM and the Aalen-Johansen estimate of the arm at ``horizon``
    differ by at least :data:`VISIBLE_GAP`; None when no delay up to the arm's last follow-up does
    (every onset is lost beyond it), which happens when no patient of the arm dies without an irAE
    while an irAE patient is still under observation."""
    arm = data[data["role"] == role]
    if not (arm["status"] == 1).any():
        return None
    for delay in np.arange(1.0, np.ceil(arm["os_months"].max()) + 1.0):
        cif, naive = arm_incidence(delayed_onsets(data, float(delay)), role).at(horizon)
        if naive - cif >= VISIBLE_GAP:
            return float(delay)
    return None


def _count(n: int, noun: str) -> str:
    """ "no patient", "1 patient", "4 patients"."""
    return f"no {noun}" if n == 0 else f"{n} {noun}{'s' if n != 1 else ''}"


def counts_words(arm: ArmIncidence) -> str:
    """Who had which first event in the arm, in words ("4 patients had an irAE as their first event,
    9 died without one and 1 was censored")."""
    c = arm.counts
    deaths, censored = c["death without irAE"], c["censored"]
    return (
        f"{_count(c['first irAE'], 'patient')} had an irAE as their first event, "
        f"{deaths or 'none'} died without one and {censored or 'none'} "
        f"{'was' if censored <= 1 else 'were'} censored"
    )


def delayed_difference_words(
    cif: float, naive: float, deaths_before: int, last_onset: float | None, horizon: float
) -> str:
    """Exercise 2's answer to "do they differ, and why?", from the two estimates at ``horizon``, the last
    delayed onset by then and the deaths without an irAE before it."""
    if naive <= 0 or last_onset is None:
        return f"They agree at 0: with the later onsets no irAE of the arm comes by {horizon:g} months."
    if naive - cif >= VISIBLE_GAP:
        return (
            f"They differ: with the later onsets, {_count(deaths_before, 'patient')} of the arm "
            f"{'dies' if deaths_before == 1 else 'die'} without an irAE before the last onset (at "
            f"{last_onset:.1f} months). 1 − Kaplan-Meier treats them as censored, as if each could still "
            "have had an irAE afterwards, and so spreads their share over the irAEs that follow; the "
            "Aalen-Johansen estimate counts them as what they are, patients who will never have one."
        )
    return (
        "They agree: even with the later onsets no patient of the arm dies without an irAE before the "
        f"last onset (at {last_onset:.1f} months), so 1 − Kaplan-Meier has no death to treat as a "
        "censoring before an irAE. The two estimates part only when deaths come before irAEs still to come."
    )


def aalen_johansen_step(data: pd.DataFrame, role: str) -> dict[str, float] | None:
    """Exercise 1: the Aalen-Johansen step at the arm's last first-irAE onset t, written out: n at
    risk (time >= t), Ŝ(t−) the Kaplan-Meier estimate of being free of both events just before t,
    d irAEs at t, the step Ŝ(t−) d / n and the incidence after it. None without an irAE."""
    arm = data[data["role"] == role]
    t_all, s_all = arm["time"].to_numpy(float), arm["status"].to_numpy(int)
    if not (s_all == 1).any():
        return None
    t = float(t_all[s_all == 1].max())
    surv = 1.0
    for u in np.unique(t_all[(s_all > 0) & (t_all < t)]):
        surv *= 1 - ((t_all == u) & (s_all > 0)).sum() / (t_all >= u).sum()
    n = int((t_all >= t).sum())
    d = int(((t_all == t) & (s_all == 1)).sum())
    after = value_at(aalen_johansen(t_all, s_all, 1), t)
    return {"time": t, "n": n, "surv_before": surv, "d": d, "step": surv * d / n, "cif_after": after}


def _arm_texts(numbers: ChapterNumbers, arm: ArmIncidence | None, data, missing: str) -> None:
    t = numbers.text
    role = "treatment" if arm is None else arm.role
    for key, word in (
        ("first_irae", "first irAE"),
        ("deaths", "death without irAE"),
        ("censored", "censored"),
    ):
        t(f"{role}_{key}", None if arm is None else arm.counts[word], "{:d}", missing)
    t(f"{role}_counts", None if arm is None else counts_words(arm), "{}", missing)
    for h in HORIZONS:
        cif, naive = (None, None) if arm is None else arm.at(h)
        t(f"{role}_cif_{h:g}m", cif, "pct", missing)
        t(f"{role}_naive_{h:g}m", naive, "pct", missing)
    words = None if arm is None else agreement_words(arm, deaths_before_last_irae(data, arm.role))
    t(f"{role}_agreement", words, "{}", missing)


def irae_page(
    cohort: pd.DataFrame, adverse_events: pd.DataFrame | None, params
) -> tuple[ChapterNumbers, FirstIrae, list[ArmIncidence], GrayTest | None]:
    """Everything chapter 18 records and glues; the data, the arms' curves and Gray's test (or None)."""
    numbers = ChapterNumbers()
    labels = {"treatment": params.treatment_group, "reference": params.reference_group}
    data = first_irae_data(cohort, adverse_events, params)
    numbers.text("horizon_last", HORIZONS[-1], "{:g}")
    numbers.text("unavailable", data.unavailable or "", "{}")
    numbers.text("pub_irae_count", published_share_words())
    if data.frame is None:
        missing = f"not available ({data.unavailable})"
        for role in _ROLES:
            numbers.texts.update(
                {k.replace("treatment", role): v for k, v in _missing_texts(missing).items()}
            )
        numbers.text("gray", None, "{}", missing)
        numbers.text("treatment_crude", None, "{}", f"the cumulative incidence is {missing}")
        numbers.text("unknown_onset", None, "{:d}", missing)
        _exercise_texts(numbers, None, missing)
        return numbers, data, [], None
    arms = [arm_incidence(data.frame, r) for r in _ROLES]
    gray = arms_gray_test(data.frame)
    fisher_p = arms_fisher_test(arms)
    numbers.values.update(incidence_results(arms, gray, fisher_p, data.unknown_onset))
    for arm in arms:
        _arm_texts(numbers, arm, data.frame, "not available")
    numbers.text("gray", gray_words(arms, gray, fisher_p, labels))
    treated = next(a for a in arms if a.role == "treatment")
    crude = crude_share_words(data.frame, treated, HORIZONS[-1], published_irae_count())
    numbers.text("treatment_crude", crude)
    numbers.text("unknown_onset", data.unknown_onset, "{:d}")
    _exercise_texts(numbers, data.frame, "not available (no irAE in the treatment arm)")
    return numbers, data, arms, gray


def _missing_texts(missing: str) -> dict[str, tuple]:
    scratch = ChapterNumbers()
    _arm_texts(scratch, None, None, missing)
    return scratch.texts


def _exercise_texts(numbers: ChapterNumbers, data: pd.DataFrame | None, missing: str) -> None:
    """Exercise 1: the last Aalen-Johansen step of the treatment arm by hand; exercise 2
    (:func:`_delayed_exercise_texts`) when the arm has an irAE."""
    t = numbers.text
    step = None if data is None else aalen_johansen_step(data, "treatment")
    for key, fmt in (("time", "{:.1f}"), ("n", "{:d}"), ("surv_before", "{:.3f}"), ("d", "{:d}")):
        t(f"ex1_{key}", None if step is None else step[key], fmt, missing)
    n = None if step is None else step["n"]
    at_risk = None if n is None else f"{_count(n, 'patient')} {'was' if n == 1 else 'were'} at risk"
    t("ex1_at_risk", at_risk, "{}", missing)
    t("ex1_step", None if step is None else step["step"], "{:.3f}", missing)
    t("ex1_cif_after", None if step is None else step["cif_after"], "{:.3f}", missing)
    _delayed_exercise_texts(numbers, None if step is None else data, missing)


def _delayed_exercise_texts(numbers: ChapterNumbers, data: pd.DataFrame | None, missing: str) -> None:
    """Exercise 2: the two estimates of the treatment arm at :data:`DELAYED_HORIZON` had every irAE come
    later, by :func:`exercise_delay` (or :data:`FALLBACK_DELAY`), and whether they differ; ``missing``
    for all of them when ``data`` is None."""
    t = numbers.text
    t("ex2_months", DELAYED_HORIZON, "{:g}")
    delay = None if data is None else exercise_delay(data, "treatment")
    rule = (
        f"a fixed {FALLBACK_DELAY:g} months: no whole number of months makes the two estimates at "
        f"{DELAYED_HORIZON:g} months differ on the cohort in force"
        if delay is None
        else f"the smallest whole number of months that makes the two estimates at {DELAYED_HORIZON:g} "
        "months differ by at least 0.1 percentage point on the cohort in force"
    )
    t("ex2_delay_rule", None if data is None else rule, "{}", missing)
    delay = FALLBACK_DELAY if delay is None else delay
    t("ex2_delay", delay, "{:g}")
    t("ex2_delay_months", delay, "count:month")  # a whole number of months: "1 month", "9 months"
    if data is None:
        for key in ("lost", "lost_words", "cif", "naive", "deaths_before", "why"):
            t(f"ex2_{key}", None, "{}", missing)
        return
    delayed = delayed_onsets(data, delay)
    cif, naive = arm_incidence(delayed, "treatment").at(DELAYED_HORIZON)
    lost = int(((data["status"] == 1) & (delayed["status"] != 1)).sum())
    deaths = deaths_before_last_irae(delayed, "treatment", by=DELAYED_HORIZON)
    onsets = delayed.loc[(delayed["role"] == "treatment") & (delayed["status"] == 1), "time"]
    onsets = onsets[onsets <= DELAYED_HORIZON]
    last_onset = float(onsets.max()) if len(onsets) else None
    t("ex2_lost", lost, "{:d}")
    t("ex2_lost_words", f"{_count(lost, 'irAE')} lost")
    t("ex2_cif", cif, "pct")
    t("ex2_naive", naive, "pct")
    t("ex2_deaths_before", deaths, "{:d}")
    t("ex2_why", delayed_difference_words(cif, naive, deaths, last_onset, DELAYED_HORIZON))


def page_notes(data: FirstIrae, params) -> list[str]:
    """What the chapter says above its results: why it cannot run, the patients it leaves out, and
    that the shipped onsets are synthetic."""
    if data.frame is None:
        return [
            f"No cumulative incidence of irAEs: {data.unavailable}. The analysis needs the adverse-event "
            "table with its optional column onset_months (months from treatment start to the event's "
            "onset; see the data contract). Its results keys are recorded as missing."
        ]
    notes = []
    if data.unknown_onset:
        n = data.unknown_onset
        notes.append(
            f"{n} patient{'s' if n != 1 else ''} with an irAE of unknown onset (an empty onset_months) "
            f"{'are' if n != 1 else 'is'} left out: the first irAE could be the undated one."
        )
    if params.ae_path and Path(params.ae_path).resolve() == DEFAULT_AE.resolve():
        notes.append(
            "The onsets of the shipped adverse events are synthetic: the paper gives none, so each was "
            "drawn within the usual onset window of its kind of irAE (docs/reconstruction.md). The "
            "timing below illustrates the method; it is not the study's."
        )
    return notes
