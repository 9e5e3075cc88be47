"""Immortal time and the landmark analysis (chapter 15).

In a retrospective cohort whose arms are defined by a treatment received
after time zero, a patient must live long enough to receive it: the time
before the first dose is "immortal" for the treated arm, and counting it as
treated time biases the comparison in the treatment's favour (Suissa 2008;
Lévesque et al. 2010). A landmark analysis (Anderson, Cain & Gelber 1983;
Dafni 2011) fixes a time L after time zero, keeps only the patients still
alive and under observation at L, and compares the arms from L on. Patients
whose treatment would start after L have to be classified by what they had
received by L; this cohort has no date of the first ICI dose, so the arms
are taken as recorded (see the chapter).

* :func:`landmark_hr`: the arm's Cox HR among the patients at risk just after L
  (time > L), their times counted from L (:func:`lcnec_utils.stats.cox.univariable_cox`);
* :func:`landmark_curve`: the same for a grid of landmarks (the sensitivity curve);
* :func:`early_events`: each arm's first event and events before a time;
* :func:`person_time_rates`: Suissa's person-time illustration of the bias.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from lcnec_utils.methods.glued import NO_PFS, ChapterNumbers
from lcnec_utils.methods.sampling import analysis_sample, is_large
from lcnec_utils.stats import cox
from lcnec_utils.stats.format import ci_label, format_hr_ci, format_p
from lcnec_utils.stats.survival import ROLES, endpoint_data, has_endpoint

#: Landmarks of the sensitivity curve, months (0 is the ordinary analysis from time zero).
CURVE_LANDMARKS = tuple(np.round(np.arange(0.0, 6.0 + 1e-9, 0.25), 2))
#: Whole-month landmarks recorded in results.json.
RECORDED_LANDMARKS = (0, 1, 2, 3, 4, 5, 6)


def _shifted(data: pd.DataFrame, endpoint: str, landmark: float) -> pd.DataFrame:
    """Cohort-format rows of ``data`` (an ``EndpointData.frame``) at risk after the landmark, time from it."""
    kept = data[_after(data["time"], landmark)]
    return pd.DataFrame(
        {
            "group": kept["group"].to_numpy(),
            f"{endpoint}_months": kept["time"].to_numpy() - landmark,
            f"{endpoint}_event": kept["event"].to_numpy(),
        },
        index=kept.index,
    )


def _after(time: pd.Series, landmark: float) -> pd.Series:
    """At risk just after the landmark: time > L (everyone at L = 0)."""
    return time > landmark if landmark > 0 else time == time


def _counts(data: pd.DataFrame, landmark: float) -> dict[str, int]:
    time, event = data["time"].to_numpy(), data["event"].to_numpy() == 1
    after = time > landmark if landmark > 0 else np.ones(len(time), dtype=bool)
    out = {}
    for role in ROLES:
        arm = data["role"].to_numpy() == role
        out[f"n_at_risk_{role}"] = int((arm & after).sum())
        out[f"events_before_{role}"] = int((arm & ~after & event).sum())
        out[f"events_after_{role}"] = int((arm & after & event).sum())
    return out


def _fit(sub: pd.DataFrame, endpoint: str, params) -> dict[str, float | None]:
    res = cox.univariable_cox(sub, endpoint, params)
    row = res.table.iloc[0] if len(res.table) else None
    if row is None or not res.converged or not np.isfinite(row["coef"]) or abs(row["coef"]) > 20:
        return {"hr": None, "ci_low": None, "ci_high": None, "p": None}
    return {k: float(row[k]) for k in ("hr", "ci_low", "ci_high", "p")}


def _landmark_row(data: pd.DataFrame, endpoint: str, params, landmark: float, memo: dict) -> dict[str, Any]:
    row: dict[str, Any] = {"landmark": float(landmark), **_counts(data, landmark)}
    if not all(row[f"events_after_{r}"] > 0 for r in ROLES):
        return {**row, "hr": None, "ci_low": None, "ci_high": None, "p": None}
    # Patients who leave at or before L are in no risk set after L, so the fit
    # depends only on which events are left out: their number names the set.
    key = sum(row[f"events_before_{r}"] for r in ROLES)
    if key not in memo:
        memo[key] = _fit(_shifted(data, endpoint, landmark), endpoint, params)
    return {**row, **memo[key]}


def landmark_hr(cohort: pd.DataFrame, endpoint: str, params, landmark: float) -> dict[str, Any]:
    """The arm's Cox HR from the landmark on, with the patients kept and the events left out.

    Keys: landmark, n_at_risk_<role>, events_before_<role> (events at or
    before L, outside the analysis), events_after_<role>, hr, ci_low,
    ci_high, p (Efron, Wald, :func:`lcnec_utils.stats.cox.univariable_cox`).
    HR and CI are None when an arm has no patient or no event after L (the
    partial likelihood has no finite maximum). The Cox HR does not change
    when every time is shifted by L, so counting from L or from time zero
    gives the same number.
    """
    data = endpoint_data(cohort, endpoint, params.reference_group, params.treatment_group).frame
    return _landmark_row(data, endpoint, params, landmark, {})


def landmark_curve(cohort: pd.DataFrame, endpoint: str, params, landmarks=CURVE_LANDMARKS) -> pd.DataFrame:
    """:func:`landmark_hr` for each landmark and the one in force (one Cox fit per distinct set of
    events left out)."""
    data = endpoint_data(cohort, endpoint, params.reference_group, params.treatment_group).frame
    memo: dict = {}
    grid = sorted({float(x) for x in landmarks} | {float(params.landmark_analysis_months)})
    return pd.DataFrame([_landmark_row(data, endpoint, params, lm, memo) for lm in grid])


def early_events(cohort: pd.DataFrame, endpoint: str, params, before: float) -> dict[str, Any]:
    """Each arm's first event time and number of events at or before ``before`` months."""
    data = endpoint_data(cohort, endpoint, params.reference_group, params.treatment_group).frame
    out: dict[str, Any] = {}
    for role in ROLES:
        arm = data[(data["role"] == role) & (data["event"] == 1)]
        out[f"first_event_{role}"] = float(arm["time"].min()) if len(arm) else None
        out[f"events_by_{role}"] = int((arm["time"] <= before).sum())
    return out


def person_time_rates(cohort: pd.DataFrame, endpoint: str, params, delay: float) -> dict[str, float]:
    """Event rates per 100 person-months if every treated patient had waited ``delay`` months for the ICI.

    Suissa (2008): the "ever treated" analysis counts the wait as treated time;
    the correct one moves it to the untreated experience. Treated patients
    are assumed to reach the first dose (all lived beyond ``delay``; the
    function refuses otherwise). Returns the two rates per arm and the rate
    ratios (treatment / reference) ``naive`` and ``corrected``.
    """
    data = endpoint_data(cohort, endpoint, params.reference_group, params.treatment_group).frame
    trt, ref = data[data["role"] == "treatment"], data[data["role"] == "reference"]
    if (trt["time"] <= delay).any():
        raise ValueError(f"a treated patient left observation before the assumed delay of {delay:g} months")
    immortal = delay * len(trt)
    pt = {"treatment": float(trt["time"].sum()), "reference": float(ref["time"].sum())}
    ev = {"treatment": int(trt["event"].sum()), "reference": int(ref["event"].sum())}
    naive = {r: 100 * ev[r] / pt[r] for r in ROLES}
    corrected = {
        "treatment": 100 * ev["treatment"] / (pt["treatment"] - immortal),
        "reference": 100 * ev["reference"] / (pt["reference"] + immortal),
    }
    return {
        "immortal_person_months": immortal,
        "rate_naive_treatment": naive["treatment"],
        "rate_naive_reference": naive["reference"],
        "rate_corrected_treatment": corrected["treatment"],
        "rate_corrected_reference": corrected["reference"],
        "rate_ratio_naive": naive["treatment"] / naive["reference"],
        "rate_ratio_corrected": corrected["treatment"] / corrected["reference"],
    }


def _key_landmark(lm: float) -> str:
    return f"{int(lm)}m" if float(lm).is_integer() else f"{lm:g}m".replace(".", "_")


def landmark_results(curve: pd.DataFrame, endpoint: str, params) -> dict[str, Any]:
    """Keys ``methods.landmark.<endpoint>.{hr,ci_low,ci_high,p}`` at the landmark in force,
    ``.n_at_risk.<group>``, ``.events_before.<group>`` and ``.curve.<L>m.{hr,ci_low,ci_high}``."""
    out: dict[str, Any] = {}
    prefix = f"methods.landmark.{endpoint}"
    at = curve.loc[np.isclose(curve["landmark"], params.landmark_analysis_months)].iloc[0]
    for k in ("hr", "ci_low", "ci_high", "p"):
        out[f"{prefix}.{k}"] = _value(at[k])
    for role in ROLES:
        out[f"{prefix}.n_at_risk.{role}"] = int(at[f"n_at_risk_{role}"])
        out[f"{prefix}.events_before.{role}"] = int(at[f"events_before_{role}"])
    for lm in RECORDED_LANDMARKS:
        row = curve.loc[np.isclose(curve["landmark"], lm)]
        for k in ("hr", "ci_low", "ci_high"):
            out[f"{prefix}.curve.{_key_landmark(lm)}.{k}"] = None if row.empty else _value(row.iloc[0][k])
    return out


def _value(v) -> float | None:
    return None if v is None or (isinstance(v, float) and not math.isfinite(v)) else float(v)


def format_landmark_table(curve: pd.DataFrame, params, landmarks) -> pd.DataFrame:
    """Text rows of :func:`landmark_curve` at ``landmarks``: patients kept and left out, HR (CI at the
    level in force), p."""
    rows = []
    for lm in landmarks:
        r = curve.loc[np.isclose(curve["landmark"], lm)].iloc[0]
        hr = (
            "not estimable"
            if r["hr"] is None or pd.isna(r["hr"])
            else format_hr_ci(r["hr"], r["ci_low"], r["ci_high"], sep="–", side_of_one=True)
        )
        rows.append(
            {
                "Landmark (months)": f"{lm:g}",
                f"At risk, {params.treatment_group}": str(int(r["n_at_risk_treatment"])),
                f"At risk, {params.reference_group}": str(int(r["n_at_risk_reference"])),
                "Events left out (treatment / reference)": (
                    f"{int(r['events_before_treatment'])} / {int(r['events_before_reference'])}"
                ),
                f"HR ({ci_label(params.alpha)})": hr,
                "p": "—" if r["p"] is None or pd.isna(r["p"]) else format_p(r["p"]),
            }
        )
    return pd.DataFrame(rows)


#: Assumed wait for the first ICI dose in the person-time exercise, months (about 1.5 three-week cycles).
EXERCISE_DELAY = 1.0


def includes_one(lo: float | None, hi: float | None) -> str | None:
    """``"includes"`` or ``"excludes"`` (1 in the CI or not); None without a CI."""
    if lo is None or hi is None or pd.isna(lo) or pd.isna(hi):
        return None
    return "includes" if lo <= 1 <= hi else "excludes"


def hr_movement(curve: pd.DataFrame) -> str | None:
    """How the HR moves along the curve's estimable landmarks, in words: across 1, steadily towards 1
    or away from it (each step |log HR| not larger, or not smaller, than the one before), not at all,
    or back and forth (session 15's review: comparing the first and the last landmark alone called a
    curve that falls and rises "towards 1")."""
    ok = curve.dropna(subset=["hr"])
    if len(ok) < 2:
        return None
    log_hr = np.log(ok["hr"].to_numpy(float))
    if log_hr.min() < 0 < log_hr.max():
        return "crosses 1"
    dist = np.abs(log_hr)
    steps = np.diff(dist)
    tol = 1e-9 * max(1.0, float(dist.max()))
    if np.all(np.abs(steps) <= tol):
        return "does not move"
    if np.all(steps <= tol):
        return "moves steadily towards 1"
    if np.all(steps >= -tol):
        return "moves steadily away from 1"
    return "moves back and forth, with no steady direction"


#: What an event is, per endpoint, in the prose: the noun, and what a patient did who had one.
EVENT_WORDS = {"os": ("death", "died"), "pfs": ("event", "had an event")}


def _row_at(curve: pd.DataFrame, lm: float) -> pd.Series:
    return curve.loc[np.isclose(curve["landmark"], lm)].iloc[0]


def _left_out(row: pd.Series) -> int:
    return int(row["events_before_treatment"]) + int(row["events_before_reference"])


def exercise_landmark(curve: pd.DataFrame, landmark: float, tabulated=RECORDED_LANDMARKS) -> float | None:
    """Exercise 1's landmark: the earliest of the ``tabulated`` landmarks after ``landmark`` that
    leaves out more events than it (so that the estimate can move) and still gives a hazard ratio
    (an event in each arm after it, and a fit); None when no tabulated landmark does both."""
    before = _left_out(_row_at(curve, landmark))
    for lm in sorted(float(x) for x in tabulated if x > landmark):
        row = curve.loc[np.isclose(curve["landmark"], lm)]
        if not row.empty and _left_out(row.iloc[0]) > before and not _missing_hr(row.iloc[0]):
            return lm
    return None


def _missing_hr(row: pd.Series) -> bool:
    return row["hr"] is None or pd.isna(row["hr"])


def _months(x: float) -> str:
    """ "1 month", "2.5 months"."""
    return f"{x:g} month{'' if x == 1 else 's'}"


def _counted(n: int, noun: str) -> str:
    """ "no death", "1 death", "3 deaths"."""
    return f"no {noun}" if n == 0 else f"{n} {noun}{'s' if n != 1 else ''}"


def _extra_events(row_l: pd.Series, row_x: pd.Series) -> tuple[int, int]:
    """Events (treatment, reference) that the later landmark ``row_x`` leaves out beyond ``row_l``."""
    return tuple(
        int(row_x[f"events_before_{role}"]) - int(row_l[f"events_before_{role}"])
        for role in ("treatment", "reference")
    )


def left_out_words(row: pd.Series, noun: str) -> str:
    """The events a landmark leaves out, by arm, in words: "no death in either arm", "none in the
    treatment arm and 3 deaths in the reference arm", "1 death in the treatment arm and 2 in the
    reference arm"."""
    trt, ref = int(row["events_before_treatment"]), int(row["events_before_reference"])
    if trt == 0 and ref == 0:
        return f"no {noun} in either arm"
    if trt == 0:
        return f"none in the treatment arm and {_counted(ref, noun)} in the reference arm"
    if ref == 0:
        return f"{_counted(trt, noun)} in the treatment arm and none in the reference arm"
    return f"{_counted(trt, noun)} in the treatment arm and {ref} in the reference arm"


def landmark_effect_words(row: pd.Series, n_total: int, endpoint: str) -> str:
    """What a landmark (``row`` of the curve) does to the estimate, in a sentence: the events it leaves
    out or, when it leaves none out, why the hazard ratio is the one from time zero (``n_total``
    patients)."""
    noun, verb = EVENT_WORDS[endpoint]
    kept = int(row["n_at_risk_treatment"]) + int(row["n_at_risk_reference"])
    lm = f"{row['landmark']:g}"
    if _left_out(row):
        return f"The landmark leaves out {left_out_words(row, noun)}."
    if kept == n_total:
        return (
            f"The landmark leaves nobody out: every patient was still alive and under observation at {lm} "
            "months, "
            "so the hazard ratio, its CI and p are those from time zero."
        )
    return (
        f"The landmark leaves out no {noun}: no patient of either arm {verb} by {lm} months, so the "
        f"patients it drops were censored before the first {noun}, at risk at no {noun} time, and the "
        "hazard ratio, its CI and p are those from time zero."
    )


def exercise_answer_words(row_l: pd.Series, row_x: pd.Series, noun: str) -> str:
    """Why the hazard ratio from exercise 1's landmark moves from the one at the landmark in force, or
    why it does not (the Cox score: a reference-arm event adds a negative term, a treatment-arm event
    a positive one; leaving out only terms of one sign moves the root one way)."""
    lm_l, lm_x = f"{row_l['landmark']:g}", f"{row_x['landmark']:g}"
    if _missing_hr(row_x):
        return (
            f"From {lm_x} months on the hazard ratio cannot be estimated: an arm has no {noun} left, or "
            "the partial likelihood has no finite maximum."
        )
    extra_trt, extra_ref = _extra_events(row_l, row_x)
    if extra_trt == 0 and extra_ref == 0:
        return (
            f"The estimate does not move: there is no {noun} between {lm_l} and {lm_x} months, so the "
            f"patients the later landmark drops were censored before any {noun} it keeps, at risk at no "
            f"{noun} time, and the partial likelihood is the same."
        )
    direction = "rises" if row_x["hr"] > row_l["hr"] else "falls"
    return (
        f"Each {noun} before the landmark leaves the analysis. A reference-arm {noun} contributes a "
        "negative term to the Cox score of the arm, so leaving it out raises the estimate (towards 1 "
        f"while the HR is below 1); leaving out a treatment-arm {noun} lowers it. Between {lm_l} and "
        f"{lm_x} months the analysis loses {_counted(extra_ref, 'reference-arm ' + noun)} and "
        f"{_counted(extra_trt, 'treatment-arm ' + noun)}, and the hazard ratio {direction} from "
        f"{row_l['hr']:.2f} to {row_x['hr']:.2f}."
    )


#: An estimate whose |log HR| changes by less than this share between time zero and the landmark
#: "hardly moves" (:func:`landmark_reading`): a wording threshold, not a test.
SMALL_SHIFT = 0.10


def landmark_reading(row_0: pd.Series, row_l: pd.Series) -> str | None:
    """What the landmark does to the estimate and its interval, read from both: an interval that
    changes while the estimate hardly moves (|log HR| within :data:`SMALL_SHIFT` of its share) is a
    change of precision; an estimate that moves towards 1, away from it or across it is named so,
    with the events left out in each arm (they pull in opposite directions: a reference-arm event
    left out raises the estimate, a treatment-arm one lowers it). Session 15's reviews: the page had
    read any interval that came to include 1 as a benefit resting on the early events. None without
    both fits."""
    if _missing_hr(row_0) or _missing_hr(row_l):
        return None
    hr0, hrl = float(row_0["hr"]), float(row_l["hr"])
    pair = f"{hr0:.2f} from time zero, {hrl:.2f} from the landmark"
    if math.isclose(hr0, hrl, rel_tol=1e-9) and math.isclose(
        float(row_0["ci_high"]), float(row_l["ci_high"]), rel_tol=1e-9
    ):
        return "the landmark changes neither the estimate nor its interval"
    trt, ref = int(row_l["events_before_treatment"]), int(row_l["events_before_reference"])
    lost = trt + ref
    both = (
        f" ({trt} in the treatment arm and {ref} in the reference arm, which pull the estimate in "
        "opposite directions)"
        if trt and ref
        else ""
    )
    leave = f"as {_counted(lost, 'event')} {'leaves' if lost == 1 else 'leave'} the analysis{both}"
    l0, ll = math.log(hr0), math.log(hrl)
    if l0 * ll < 0:
        return f"the estimate crosses 1 ({pair}) {leave}"
    d0, dl = abs(l0), abs(ll)
    if d0 == 0.0:
        return f"the estimate moves away from 1 ({pair}) {leave}"
    shift = (d0 - dl) / d0
    width0 = math.log(float(row_0["ci_high"]) / float(row_0["ci_low"]))
    widthl = math.log(float(row_l["ci_high"]) / float(row_l["ci_low"]))
    if abs(shift) < SMALL_SHIFT:
        change = "widens" if widthl > width0 else "narrows"
        return (
            f"the estimate hardly moves ({pair}) and its interval {change} {leave}: at this landmark a "
            "change of precision, not a benefit that rested on the early events (the curve shows the "
            "other landmarks)"
        )
    if shift > 0:
        return (
            f"the estimate moves towards 1 ({pair}) {leave}: part of the difference came from the events "
            "before the landmark"
        )
    return f"the estimate moves away from 1 ({pair}) {leave}: the events before the landmark did not carry the difference"


def bound_words(early: dict[str, Any], endpoint: str) -> str | None:
    """What the printed event times bound of the immortal-time bias, without the date of the first
    ICI dose (``early``: :func:`early_events`' first event per arm). In a time-dependent Cox model a
    patient counts as exposed from the ICI's start, so starts before the cohort's first event change
    nothing; starts within D, with D before the ICI arm's first event, put the hazard ratio between
    the one from time zero and the landmark one at D (every earlier event is a reference-arm event
    whose score term -k e^b / (n - k + k e^b) moves towards 0 as fewer, k, ICI patients count as
    exposed, so the root rises towards the landmark's); beyond that only a delay common to every
    ICI patient gives the landmark hazard ratio (session 15's verifier: mixed waits put the PFS HR
    at 0.384, below the landmark curve). None without an event."""
    noun = "death" if endpoint == "os" else "event"
    first_trt, first_ref = early["first_event_treatment"], early["first_event_reference"]
    firsts = [t for t in (first_trt, first_ref) if t is not None]
    if not firsts:
        return None
    words = (
        f"if every ICI started before the cohort's first {noun} ({min(firsts):.1f} months), the hazard "
        "ratio is exactly the one from time zero"
    )
    if first_trt is not None and first_trt > min(firsts):
        words += (
            f"; if every ICI started within D months, with D before the first {noun} in the ICI arm "
            f"({first_trt:.1f} months), it lies between the one from time zero and the landmark one at D, "
            f"since every {noun} before D is in the chemotherapy arm and the later the starts, the fewer "
            f"ICI patients count as exposed at those {noun}s and the less they favour the ICI"
        )
    return words + (
        "; for longer waits only a delay common to every ICI patient gives the landmark hazard ratio at "
        "that delay, and waits that differ can give hazard ratios outside the landmark curve"
    )


def _endpoint_texts(numbers, ep: str, curve: pd.DataFrame | None, params, missing: str) -> None:
    """The glued numbers of one endpoint (``missing`` for all of them when ``curve`` is None)."""
    L = float(params.landmark_analysis_months)
    rows = {} if curve is None else {lm: _row_at(curve, lm) for lm in (0.0, L)}

    def hr_ci(lm):
        r = rows.get(lm)
        return None if r is None or _missing_hr(r) else (r["hr"], r["ci_low"], r["ci_high"])

    t = numbers.text
    t(f"{ep}_hr_0", hr_ci(0.0), "hr_ci_side", missing)
    t(f"{ep}_p_0", rows[0.0]["p"] if rows else None, "p_clause", missing)
    t(
        f"{ep}_hr_L",
        hr_ci(L),
        "hr_ci_side",
        missing if not rows else "not estimable (an arm has no event after it)",
    )
    t(f"{ep}_p_L", rows[L]["p"] if rows else None, "p_clause", missing if not rows else "not estimable")
    for role, short in (("treatment", "trt"), ("reference", "ref")):
        t(f"{ep}_n_L_{short}", int(rows[L][f"n_at_risk_{role}"]) if rows else None, "{:d}", missing)
        # the same with its noun, in the number it takes ("1 patient", "14 patients")
        t(
            f"{ep}_n_L_{short}_patients",
            int(rows[L][f"n_at_risk_{role}"]) if rows else None,
            "count:patient",
            missing,
        )
    n_total = None if not rows else int(rows[0.0]["n_at_risk_treatment"] + rows[0.0]["n_at_risk_reference"])
    effect = None if not rows else landmark_effect_words(rows[L], n_total, ep)
    t(f"{ep}_left_out", effect, "{}", f"The events it leaves out are {missing}.")
    t(f"{ep}_ci0_word", includes_one(*(hr_ci(0.0) or (None, None, None))[1:]), "{}", missing)
    t(f"{ep}_ciL_word", includes_one(*(hr_ci(L) or (None, None, None))[1:]), "{}", missing)
    grid = None if curve is None else curve[curve["landmark"].isin(CURVE_LANDMARKS)].dropna(subset=["hr"])
    t(f"{ep}_hr_min", None if grid is None or grid.empty else float(grid["hr"].min()), "{:.2f}", missing)
    t(f"{ep}_hr_max", None if grid is None or grid.empty else float(grid["hr"].max()), "{:.2f}", missing)
    t(f"{ep}_movement", None if grid is None else hr_movement(grid), "{}", missing)
    reading = None if not rows else landmark_reading(rows[0.0], rows[L])
    t(f"{ep}_reading", reading, "{}", missing)


def _exercise_texts(numbers, curve: pd.DataFrame, params) -> None:
    """Exercise 1 on overall survival: the landmark of :func:`exercise_landmark` (one month after the
    landmark in force when no tabulated landmark qualifies), its HR, the deaths it leaves out and why
    the estimate moves or not."""
    L = float(params.landmark_analysis_months)
    chosen = exercise_landmark(curve, L)
    x = L + 1.0 if chosen is None else chosen
    row_l, row_x = _row_at(curve, L), _row_at(curve, x)
    t = numbers.text
    t("ex1_landmark", x, "{:g}")
    t("ex1_landmark_months", x, "months")  # with its unit: "1 month", "3.25 months"
    t(
        "ex1_rule",
        f"the earliest landmark of the table after the {L:g}-month one that leaves out more deaths than "
        "it and still gives a hazard ratio"
        if chosen is not None
        else "one month after the landmark in force, since no landmark of the table after it leaves out "
        "more deaths than it and still gives a hazard ratio",
    )
    moves = any(_extra_events(row_l, row_x)) and not _missing_hr(row_x)
    t(
        "ex1_question",
        f"why does the estimate differ from the one at {L:g} months?"
        if moves
        else f"why does the estimate not differ from the one at {L:g} months?"
        if not _missing_hr(row_x)
        else "why is there no estimate?",
    )
    hr = None if _missing_hr(row_x) else (row_x["hr"], row_x["ci_low"], row_x["ci_high"])
    t("ex1_os_hr", hr, "hr_ci_side", "not estimable")
    t("ex1_os_left_out", left_out_words(row_x, "death"))
    t("ex1_os_why", exercise_answer_words(row_l, row_x, "death"))


#: What early deaths in the reference arm only can come from (chapter 15, after
#: :func:`first_deaths_sentence` where the reference arm's deaths come first).
EARLY_DEATHS_CAUSES = (
    "Early deaths in one arm only can come from immortal time (if ICIs started late: immortal time "
    "lasts only until the first dose), from the selection of fitter patients for the ICI, from a real "
    "early effect, or from chance; the pattern alone does not tell them apart."
)


def first_deaths_sentence(
    first_treatment: float | None,
    first_reference: float | None,
    reference_by_then: int | None,
    treatment_label: str,
    reference_label: str,
) -> str:
    """Chapter 15's opening sentence on the first deaths: each arm's first death time (None: no death
    in that arm) and the reference arm's deaths at or before the treatment arm's first
    (``reference_by_then``), in whichever order they came. The page typed "by then the reference arm
    has had N deaths, the first at ..." whatever the order, and a missing time as "never ... months".
    Where the reference arm's deaths come first (or only there), the sentence adds what such early
    deaths in one arm can come from (:data:`EARLY_DEATHS_CAUSES`); immortal time in the ICI arm can
    explain no other order (review 61)."""
    lead = "On the cohort in force"
    if first_treatment is None and first_reference is None:
        return f"{lead} neither arm has a death."
    if first_treatment is None:
        return (
            f"{lead} the {treatment_label} arm has no death; the first in the {reference_label} arm "
            f"comes at {first_reference:.1f} months. {EARLY_DEATHS_CAUSES}"
        )
    if first_reference is None:
        return (
            f"{lead} the {reference_label} arm has no death; the first in the {treatment_label} arm "
            f"comes at {first_treatment:.1f} months."
        )
    if first_reference == first_treatment:
        return f"{lead} the first deaths of the two arms come at the same time, {first_treatment:.1f} months."
    if first_reference > first_treatment:
        return (
            f"{lead} the first death in the {treatment_label} arm comes at {first_treatment:.1f} months, "
            f"before any in the {reference_label} arm, whose first comes at {first_reference:.1f} months."
        )
    deaths = "1 death" if reference_by_then == 1 else f"{reference_by_then} deaths"
    return (
        f"{lead} the first death in the {treatment_label} arm comes at {first_treatment:.1f} months; by "
        f"then the {reference_label} arm has had {deaths}, the first at {first_reference:.1f} months. "
        f"{EARLY_DEATHS_CAUSES}"
    )


def landmark_page(cohort: pd.DataFrame, params, published: dict[str, Any]) -> tuple[Any, dict]:
    """Everything chapter 15 records and glues, and its curves by endpoint (absent endpoints left out).

    Above ``sampling.LARGE_N`` patients (one Cox fit per distinct set of events left out would mean one
    per landmark) the chapter works on the stratified sample of :func:`sampling.analysis_sample`, with
    a note on the page, and its curve on whole months only.
    """
    numbers = ChapterNumbers(values={"methods.landmark.months": float(params.landmark_analysis_months)})
    L = float(params.landmark_analysis_months)
    grid = CURVE_LANDMARKS
    if is_large(cohort):
        cohort = analysis_sample(cohort, params, "the landmark analyses")
        grid = tuple(float(x) for x in RECORDED_LANDMARKS)
    curves = {}
    for ep in ("os", "pfs"):
        if not has_endpoint(cohort, ep):
            _endpoint_texts(numbers, ep, None, params, NO_PFS)
            numbers.text(f"{ep}_bound", None, "{}", NO_PFS)
            continue
        curves[ep] = landmark_curve(cohort, ep, params, grid + (L + 1.0,))
        numbers.values.update(landmark_results(curves[ep], ep, params))
        early = early_events(cohort, ep, params, before=0.0)
        for role in ROLES:
            numbers.values[f"methods.landmark.{ep}.first_event.{role}"] = early[f"first_event_{role}"]
        _endpoint_texts(numbers, ep, curves[ep], params, "not available")
        numbers.text(f"{ep}_bound", bound_words(early, ep), "{}", "no event, so nothing to bound")
    t = numbers.text
    t("landmark", L, "{:g}")
    t("landmark_months", L, "months")  # with its unit: "1 month", "3 months"
    t("curve_step", float(np.diff(grid).min()), "{:g}")
    t("level", 100 * params.confidence_level, "{:g}")
    _exercise_texts(numbers, curves["os"], params)
    early = early_events(cohort, "os", params, before=0.0)
    first_trt = early["first_event_treatment"]
    t("os_first_trt", first_trt, "{:.1f}", "never (no death in that arm)")
    t("os_first_ref", early["first_event_reference"], "{:.1f}", "never (no death in that arm)")
    before = (
        early_events(cohort, "os", params, before=first_trt)["events_by_reference"] if first_trt else None
    )
    t("os_ref_before_first_trt", before, "{:d}")
    t(
        "os_first_deaths",
        first_deaths_sentence(
            first_trt,
            early["first_event_reference"],
            before,
            str(params.treatment_group),
            str(params.reference_group),
        ),
    )
    for ep in ("os", "pfs"):
        t(f"pub_{ep}_logrank_p", published.get(f"{ep}.logrank.p"), "{}")
    _person_time_texts(numbers, cohort, params)
    return numbers, curves


def _person_time_texts(numbers, cohort: pd.DataFrame, params) -> None:
    """The person-time exercise's answer (Suissa 2008) with :data:`EXERCISE_DELAY`."""
    missing = f"not computable: a treated patient left observation within {EXERCISE_DELAY:g} month"
    try:
        r = person_time_rates(cohort, "os", params, EXERCISE_DELAY)
    except ValueError:
        r = {}
    t = numbers.text
    t("ex2_delay", EXERCISE_DELAY, "{:g}")
    t("ex2_immortal", r.get("immortal_person_months"), "{:.0f}", missing)
    for k in (
        "rate_naive_treatment",
        "rate_naive_reference",
        "rate_corrected_treatment",
        "rate_corrected_reference",
    ):
        t(f"ex2_{k}", r.get(k), "{:.2f}", missing)
    t("ex2_rr_naive", r.get("rate_ratio_naive"), "{:.2f}", missing)
    t("ex2_rr_corrected", r.get("rate_ratio_corrected"), "{:.2f}", missing)
    early = early_events(cohort, "os", params, before=EXERCISE_DELAY)
    firsts = [early[f"first_event_{role}"] for role in ROLES if early[f"first_event_{role}"] is not None]
    deaths_within = sum(early[f"events_by_{role}"] for role in ROLES)
    if not firsts:
        cox_note = None
    elif deaths_within == 0:
        cox_note = (
            f"The Cox hazard ratio does not move with the same delay: no patient died within "
            f"{_months(EXERCISE_DELAY)} (the first death at {min(firsts):.1f} months), so in a "
            "time-dependent analysis no risk set at a death changes. The rate ratio moves because it "
            "counts person-time as if the hazard were constant."
        )
    else:
        cox_note = (
            f"A time-dependent Cox analysis would move too: {_counted(deaths_within, 'death')} within "
            f"{_months(EXERCISE_DELAY)} would leave the comparison, as from a landmark at "
            f"{_months(EXERCISE_DELAY)}."
        )
    t("ex2_cox_note", cox_note, "{}", missing)
