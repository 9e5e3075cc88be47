"""Long-term survivors and plateaus: a Weibull mixture cure model per arm (chapter 17).

Per arm and endpoint: the cure fraction with its profile-likelihood interval
(:mod:`lcnec_utils.stats.cure`), the likelihood-ratio test of no cure, and the follow-up beyond
the last event that decides whether the data can show a plateau at all. A plateau is taken as
seen when at least :data:`PLATEAU_MIN_PATIENTS` patients are followed for at least
:data:`PLATEAU_MIN_MONTHS` months beyond the arm's last event: a working rule of this book, not a
test; the chapter prints the numbers it reads, so that the reader can apply another.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from lcnec_utils.methods.glued import NO_PFS, ChapterNumbers
from lcnec_utils.stats.cure import (
    CureFit,
    CureInterval,
    PlateauEvidence,
    cure_fraction_interval,
    fit_weibull_cure,
    plateau_evidence,
    profile_loglik,
)
from lcnec_utils.stats.format import ci_label, format_p, format_p_clause
from lcnec_utils.stats.survival import endpoint_data, has_endpoint, km_curve

#: The working rule for "a plateau can be seen" (module docstring).
PLATEAU_MIN_PATIENTS = 5
PLATEAU_MIN_MONTHS = 6.0
#: What an event is, per endpoint, in the prose.
EVENT_WORD = {"os": "death", "pfs": "progression or death"}
EVENT_PLURAL = {"os": "deaths", "pfs": "progressions and deaths"}
_ROLES = ("treatment", "reference")
#: Exercise 1 reads the fitted population survival at this many months.
_EXERCISE_MONTHS = 24.0


@dataclass(frozen=True)
class ArmCure:
    """One arm's cure model, its interval, the LR test of no cure and the follow-up beyond the last event."""

    role: str
    label: str
    time: np.ndarray
    event: np.ndarray
    fit: CureFit | None
    interval: CureInterval | None
    no_cure_loglik: float | None
    evidence: PlateauEvidence
    lr_without_late: float | None = None

    @property
    def lr_no_cure(self) -> float | None:
        """2(ℓ̂ − ℓ(c = 0)) (:func:`lr_statistic`)."""
        return lr_statistic(self.fit, self.no_cure_loglik)

    @property
    def p_no_cure(self) -> float | None:
        """p of LR under the 50:50 mixture of χ²₀ and χ²₁ (Self & Liang 1987): ½ P(χ²₁ ≥ LR), 1 if LR = 0."""
        lr = self.lr_no_cure
        if lr is None:
            return None
        return 1.0 if lr == 0 else float(0.5 * stats.chi2.sf(lr, 1))


def lr_statistic(fit: CureFit | None, no_cure_loglik: float | None) -> float | None:
    """2(ℓ̂ − ℓ(c = 0)), 0 when ĉ = 0 (rounding below 1e-6 set to 0); None without a fit."""
    if fit is None or no_cure_loglik is None:
        return None
    lr = 2 * (fit.loglik - no_cure_loglik)
    return 0.0 if lr < 1e-6 else float(lr)


def _no_cure_test(t: np.ndarray, e: np.ndarray) -> tuple[CureFit | None, float | None]:
    """The cure fit and the log-likelihood at c = 0 (the Weibull model), None without an event."""
    fit = fit_weibull_cure(t, e) if len(t) else None
    return fit, (profile_loglik(0.0, t, e, (fit.scale, fit.shape))[0] if fit is not None else None)


def arm_cure(cohort: pd.DataFrame, endpoint: str, params, role: str) -> ArmCure:
    """The Weibull mixture cure model of one arm (complete cases of ``endpoint``), and the LR statistic
    of no cure once more without the patients censored after the arm's last event (``lr_without_late``;
    None when there are none), to show how much of the test rests on them."""
    data = endpoint_data(cohort, endpoint, params.reference_group, params.treatment_group).arm(role)
    t, e = data["time"].to_numpy(float), data["event"].to_numpy(int)
    label = params.treatment_group if role == "treatment" else params.reference_group
    fit, no_cure = _no_cure_test(t, e)
    interval = cure_fraction_interval(t, e, fit, params.alpha) if fit is not None else None
    evidence = plateau_evidence(t, e)
    without = None
    if fit is not None and evidence.censored_after_last_event:
        early = t <= evidence.last_event
        without = lr_statistic(*_no_cure_test(t[early], e[early]))
    return ArmCure(role, label, t, e, fit, interval, no_cure, evidence, without)


def plateau_verdict(evidence: PlateauEvidence) -> str:
    """``"none"`` (no patient followed beyond the last event, or no event), ``"short"`` (fewer than
    :data:`PLATEAU_MIN_PATIENTS` patients followed at least :data:`PLATEAU_MIN_MONTHS` months beyond
    it) or ``"seen"``: the working rule as the chapter states it, each patient's follow-up counted."""
    if evidence.last_event is None or evidence.censored_after_last_event == 0:
        return "none"
    if evidence.followed_beyond(PLATEAU_MIN_MONTHS) < PLATEAU_MIN_PATIENTS:
        return "short"
    return "seen"


def plateau_words(evidence: PlateauEvidence, endpoint: str) -> str:
    """What the follow-up beyond the last event says about a plateau, in a sentence's words."""
    event = EVENT_WORD[endpoint]
    verdict = plateau_verdict(evidence)
    if evidence.last_event is None:
        return f"no {event} at all: the cure fraction is not estimable"
    n, gap = evidence.censored_after_last_event, evidence.followup_after_last_event
    if verdict == "none":
        return (
            f"no patient is followed beyond the last {event}, so the Kaplan-Meier curve ends at its "
            f"last step ({100 * evidence.km_at_last_event:.0f}%) and the data cannot identify a plateau"
        )
    patients = f"{n} patient{'s' if n != 1 else ''}"
    if verdict == "short":
        if n >= PLATEAU_MIN_PATIENTS:  # enough patients, too few of them followed long enough
            long = evidence.followed_beyond(PLATEAU_MIN_MONTHS)
            return (
                f"{patients} are followed beyond the last {event}, but only {long} of them for "
                f"{PLATEAU_MIN_MONTHS:g} months or more: too little to identify a plateau"
            )
        return (
            f"only {patients} {'is' if n == 1 else 'are'} followed beyond the last {event}, for at most "
            f"{gap:.1f} months: too little to identify a plateau"
        )
    return (
        f"{patients} are followed for up to {gap:.1f} months beyond the last {event}, the curve flat at "
        f"{100 * evidence.km_at_last_event:.0f}%: a plateau can be seen"
    )


def _patients(n: int) -> str:
    return f"{n} patient{'s' if n != 1 else ''}"


_SMALL = {1: "one", 2: "two", 3: "three", 4: "four"}


def _late_survivors(counts: list[int]) -> str:
    """The patients followed beyond the last event in the arms ``counts`` counts, as the prose names
    them: "that one long survival", "those two long survivals" (one arm), "the one long survival",
    "the one or two long survivals" (several arms, each)."""
    ns = sorted(set(counts))
    words = " or ".join(_SMALL.get(n, str(n)) for n in ns)
    noun = "long survival" if ns == [1] else "long survivals"
    if len(counts) > 1:
        return f"the {words} {noun}"
    return f"{'that' if ns == [1] else 'those'} {words} {noun}"


def _extrapolated(arm: ArmCure, alpha: float) -> bool:
    """The test rejects no cure although the follow-up beyond the last event cannot show a plateau and
    some patients are followed beyond it."""
    p = arm.p_no_cure
    ev = arm.evidence
    return p is not None and p < alpha and plateau_verdict(ev) != "seen" and ev.censored_after_last_event > 0


def lr_test_reading(arm: ArmCure, endpoint: str, alpha: float) -> str | None:
    """What the likelihood-ratio test of no cure of one arm says, beside the follow-up beyond the last
    event: a clause ("in the ... arm the test ..."), with the statistic once more without the patients
    followed beyond the last event when the test rejects no cure on a plateau the data cannot show;
    None without a fit."""
    p, lr = arm.p_no_cure, arm.lr_no_cure
    if p is None:
        return None
    event, ev = EVENT_WORD[endpoint], arm.evidence
    n = ev.censored_after_last_event
    head = f"in the {arm.label} arm the likelihood-ratio test"
    if p >= alpha:
        return f"{head} does not reject “no cure” ({format_p_clause(p)})"
    if plateau_verdict(ev) == "seen":
        return (
            f"{head} rejects “no cure” ({format_p_clause(p)}), and {_patients(n)} followed for up to "
            f"{ev.followup_after_last_event:.1f} months beyond the last {event} let the data show the "
            "plateau the model describes"
        )
    if n == 0:
        return (
            f"{head} rejects “no cure” ({format_p_clause(p)}), yet no patient is followed beyond the last {event}: "
            "the small p comes from the Weibull shape alone, not from a plateau in the data"
        )
    return (
        f"{head} rejects “no cure” ({format_p_clause(p)}), but only {_patients(n)} {'is' if n == 1 else 'are'} "
        f"followed beyond the last {event}, and without {'that patient' if n == 1 else 'them'} the "
        f"statistic is {arm.lr_without_late:.2f} instead of {lr:.2f}"
    )


def lr_test_readings(arms: list[ArmCure], endpoint: str, alpha: float) -> str:
    """:func:`lr_test_reading` of each arm in one sentence and, when a test rejects no cure on a plateau
    the follow-up cannot show, what its small p means: the test compares two parametric curves, and
    with one or two patients followed beyond the last event it measures how badly one Weibull curve
    fits the events and those few long survivals together (Maller & Zhou 1996)."""
    clauses = [c for c in (lr_test_reading(a, endpoint, alpha) for a in arms) if c]
    if not clauses:
        return f"No test of no cure: neither arm has a {EVENT_WORD[endpoint]}."
    text = "; ".join(clauses) + "."
    text = text[0].upper() + text[1:]
    late = [a.evidence.censored_after_last_event for a in arms if _extrapolated(a, alpha)]
    if late:
        text += (
            f" {'Such a small p says that' if len(late) == 1 else 'Such small p-values say that, in each arm,'}"
            f" a single Weibull curve cannot fit both the {EVENT_PLURAL[endpoint]} and "
            f"{_late_survivors(late)} beyond them, which a cure fraction is one way to mend. It shows "
            "that the curve's last level lies above where one Weibull curve would take it, not that the "
            "curve stays there. Its fall without the patients followed beyond the last event is no "
            "test either: without them the Kaplan-Meier curve ends at 0, and the statistic falls to 0 "
            "or near it under a real plateau too. What tells a plateau apart is how many patients are "
            "followed beyond the last event, and for how long."
        )
    return text


def exercise_reading(arm: ArmCure, endpoint: str) -> str | None:
    """Exercise 2's last word: what the likelihood-ratio statistic of the arm means, whether it is 0
    or positive, read beside the follow-up beyond the last event."""
    lr, ev = arm.lr_no_cure, arm.evidence
    if lr is None:
        return None
    event = EVENT_WORD[endpoint]
    if lr == 0:
        return (
            "A statistic of 0 means the cure fraction adds nothing to the fit: the data give no sign of a "
            "plateau, which is not the same as evidence that there is none."
        )
    n = ev.censored_after_last_event
    if plateau_verdict(ev) == "seen":
        return (
            f"A statistic of {lr:.2f} says the cure fraction improves the fit, and with {_patients(n)} "
            f"followed for up to {ev.followup_after_last_event:.1f} months beyond the last {event} the "
            "data can show the plateau it describes, under the model's assumptions."
        )
    if n == 0:
        return (
            f"A statistic of {lr:.2f} says the cure model fits better than one Weibull curve, not that a "
            f"plateau exists: no patient is followed beyond the last {event}, so the cure fraction comes "
            "from the Weibull shape alone."
        )
    return (
        f"A statistic of {lr:.2f} says the cure model fits better than one Weibull curve, not that a "
        f"plateau exists: only {_patients(n)} {'is' if n == 1 else 'are'} followed beyond the last "
        f"{event}, and without {'that patient' if n == 1 else 'them'} the statistic is "
        f"{arm.lr_without_late:.2f}. It measures how badly one Weibull curve fits both the "
        f"{EVENT_PLURAL[endpoint]} and {_late_survivors([n])}; a cure fraction is one way to mend that, "
        f"a curve with a heavier tail another, and follow-up that ends so soon after the last {event} "
        "gives little to choose between them."
    )


def cure_table(arms: list[ArmCure]) -> pd.DataFrame:
    """One row per arm: patients, events, cure fraction with its interval, LR test of no cure, and the
    follow-up beyond the last event."""
    rows = []
    for a in arms:
        ev = a.evidence
        rows.append(
            {
                "role": a.role,
                "arm": a.label,
                "n": len(a.time),
                "events": int(a.event.sum()),
                "cure_fraction": None if a.fit is None else a.fit.cure_fraction,
                "ci_low": None if a.interval is None else a.interval.low,
                "ci_high": None if a.interval is None else a.interval.high,
                "lr_no_cure": a.lr_no_cure,
                "p_no_cure": a.p_no_cure,
                "last_event": ev.last_event,
                "last_followup": ev.last_followup,
                "followup_after_last_event": ev.followup_after_last_event,
                "censored_after_last_event": ev.censored_after_last_event,
                "km_at_last_event": ev.km_at_last_event,
                "median_followup": ev.median_followup,
                "plateau": plateau_verdict(ev),
            }
        )
    return pd.DataFrame(rows)


def _val(v) -> float | None:
    """A table cell as a float, None when missing (None or NaN)."""
    return None if v is None or pd.isna(v) else float(v)


def _num(v, fmt: str, missing: str = "—") -> str:
    return missing if _val(v) is None else format(v, fmt)


def format_cure_table(table: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Text rows of :func:`cure_table`; ``alpha`` is the level of the profile intervals
    (``params.alpha``, as :func:`arm_cure` computes them), named in the header."""
    return pd.DataFrame(
        {
            "Arm": table["arm"],
            "Patients (events)": [f"{r.n} ({r.events})" for r in table.itertuples()],
            f"Cure fraction ({ci_label(alpha, 'profile CI')})": [
                "—"
                if _val(r.cure_fraction) is None
                else f"{100 * r.cure_fraction:.1f}% ({100 * r.ci_low:.1f}%–{100 * r.ci_high:.1f}%)"
                for r in table.itertuples()
            ],
            "LR test of no cure, p": [
                "—" if _val(r.p_no_cure) is None else format_p(r.p_no_cure) for r in table.itertuples()
            ],
            "Last event (months)": [_num(r.last_event, ".1f") for r in table.itertuples()],
            "Last follow-up (months)": [_num(r.last_followup, ".1f") for r in table.itertuples()],
            "Censored after the last event": table["censored_after_last_event"].astype(int),
            "Follow-up beyond the last event (months)": [
                _num(r.followup_after_last_event, ".1f") for r in table.itertuples()
            ],
            "Median follow-up, reverse KM (months)": [
                _num(r.median_followup, ".1f", "not reached") for r in table.itertuples()
            ],
        }
    )


def cure_results(table: pd.DataFrame, endpoint: str) -> dict[str, Any]:
    """Keys ``methods.cure.<endpoint>.<group>.<stat>``."""
    stats_recorded = (
        "cure_fraction",
        "ci_low",
        "ci_high",
        "lr_no_cure",
        "last_event",
        "last_followup",
        "followup_after_last_event",
        "censored_after_last_event",
        "km_at_last_event",
        "median_followup",
    )
    out: dict[str, Any] = {}
    for r in table.to_dict("records"):
        for k in stats_recorded:
            out[f"methods.cure.{endpoint}.{r['role']}.{k}"] = _val(r[k])
    return out


def _endpoint_texts(
    numbers: ChapterNumbers, ep: str, arms: list[ArmCure] | None, missing: str, alpha: float
) -> None:
    """The glued texts of one endpoint; each says ``missing`` when the cohort lacks the endpoint."""
    t = numbers.text
    table = None if arms is None else cure_table(arms)
    rows = {} if table is None else {r["role"]: r for r in table.to_dict("records")}
    evidence = {} if arms is None else {a.role: a.evidence for a in arms}
    for role in _ROLES:
        r = rows.get(role, {})
        pre = f"{ep}_{role}"
        t(f"{pre}_cure", _val(r.get("cure_fraction")), "pct", missing)
        ci = None if _val(r.get("ci_low")) is None else (r["ci_low"], r["ci_high"])
        t(f"{pre}_cure_ci", ci, "pct_ci", missing)
        t(f"{pre}_last_event", _val(r.get("last_event")), "{:.1f}", missing)
        after = r.get("censored_after_last_event")
        t(f"{pre}_after", None if after is None else int(after), "{:d}", missing)
        t(f"{pre}_p_no_cure", _val(r.get("p_no_cure")), "p", missing)
        words = plateau_words(evidence[role], ep) if role in evidence else None
        t(f"{pre}_plateau", words, "{}", missing)
    tests = None if arms is None else lr_test_readings(arms, ep, alpha)
    t(f"{ep}_tests", tests, "{}", f"The tests of no cure are {missing}.")
    plateaus = [] if table is None else list(table["plateau"])
    rejected = arms is not None and any(a.p_no_cure is not None and a.p_no_cure < alpha for a in arms)
    t(f"{ep}_conclusion", None if table is None else conclusion(plateaus, rejected), "{}", missing)


#: A cure fraction within this many percentage points of the Kaplan-Meier level after the arm's
#: last event is read as that level (:func:`cure_against_km`); a wording threshold, not a test.
CURE_KM_CLOSE_POINTS = 1.0


def cure_against_km(fits: dict[str, list[ArmCure]]) -> str | None:
    """How far each arm's cure fraction lies from the Kaplan-Meier estimate after its last event (the
    nonparametric estimate of the cure fraction, Maller & Zhou 1996), at most, over the arms and
    endpoints fitted: within :data:`CURE_KM_CLOSE_POINTS` percentage points the fraction restates the
    curve's last level, beyond it the Weibull shape sets part of it (on either side: session 15's
    reviewer found 0.314 against a level of 0.25 on a small example). None without a fit."""
    gaps = [
        abs(a.fit.cure_fraction - a.evidence.km_at_last_event)
        for arms in fits.values()
        for a in arms
        if a.fit is not None and a.evidence.km_at_last_event is not None
    ]
    if not gaps:
        return None
    points = 100 * max(gaps)
    if points < CURE_KM_CLOSE_POINTS:
        return (
            f"on the cohort in force each cure fraction is within {points:.2f} percentage points of it: "
            "the model reads the curve's last level as the plateau"
        )
    return (
        f"on the cohort in force they differ by up to {points:.1f} percentage points: there the Weibull "
        "shape, not only the curve's last level, sets the estimate"
    )


def conclusion(plateaus: list[str], rejected: bool = False) -> str:
    """The chapter's reading from the arms' plateau verdicts (``rejected``: a test of no cure rejects
    it in some arm)."""
    if all(p != "seen" for p in plateaus):
        tests = ", however small the p-value of the test of no cure" if rejected else ""
        return (
            "in neither arm can the data identify a plateau: the cure fractions assume that each curve "
            "stays flat beyond a follow-up that cannot show it, so they are not an observed share of "
            f"long-term survivors{tests}, and the upper limits of their intervals say how large a cure "
            "fraction these data cannot rule out"
        )
    if all(p == "seen" for p in plateaus):
        return (
            "in both arms enough patients are followed beyond the last event for a plateau to be seen, "
            "and the cure fractions estimate the share of long-term survivors, under the model"
        )
    return (
        "a plateau can be seen in one arm only: a difference in cure fractions cannot be read, since "
        "the other arm's follow-up cannot show its plateau"
    )


def cure_page(cohort: pd.DataFrame, params) -> tuple[ChapterNumbers, dict[str, list[ArmCure]]]:
    """Everything chapter 17 records and glues; the arms' fits by endpoint."""
    numbers = ChapterNumbers()
    fits: dict[str, list[ArmCure]] = {}
    for ep in ("os", "pfs"):
        if not has_endpoint(cohort, ep):
            _endpoint_texts(numbers, ep, None, NO_PFS, params.alpha)
            continue
        fits[ep] = [arm_cure(cohort, ep, params, role) for role in _ROLES]
        numbers.values.update(cure_results(cure_table(fits[ep]), ep))
        _endpoint_texts(numbers, ep, fits[ep], "not available", params.alpha)
    numbers.text("level", 100 * params.confidence_level, "{:g}")
    numbers.text("alpha", params.alpha, "{:g}")
    numbers.text("min_patients", PLATEAU_MIN_PATIENTS, "{:d}")
    numbers.text("min_months", PLATEAU_MIN_MONTHS, "{:g}")
    numbers.text("reader_advice", reader_advice(fits["os"][0]))
    numbers.text("cure_vs_km", cure_against_km(fits), "{}", "not available")
    _exercise_texts(numbers, fits["os"][0])
    return numbers, fits


def reader_advice(arm: ArmCure) -> str:
    """What a reader of the paper's Kaplan-Meier figure may take from the last patients of the
    treatment arm still alive, by the arm's plateau verdict for overall survival."""
    if plateau_verdict(arm.evidence) == "seen":
        return (
            f"on the cohort in force the {arm.label} arm's follow-up beyond its last death is long enough "
            "for the flat end of its Kaplan-Meier curve to be read as a plateau, under the model"
        )
    return (
        f"a reader who sees the last patients of the {arm.label} arm still alive in the Kaplan-Meier "
        "figure should not read a plateau into it, nor into a small p of a cure model's test of no cure"
    )


def _exercise_texts(numbers: ChapterNumbers, arm: ArmCure) -> None:
    """Exercise 1: the population survival at :data:`_EXERCISE_MONTHS` by hand, beside the Kaplan-Meier
    estimate; exercise 2: the likelihood-ratio test of no cure."""
    t = numbers.text
    missing = "not available (no event in the arm)"
    fit = arm.fit
    t("ex1_months", _EXERCISE_MONTHS, "{:g}")
    t("ex1_c", None if fit is None else fit.cure_fraction, "{:.3f}", missing)
    t("ex1_scale", None if fit is None else fit.scale, "{:.2f}", missing)
    t("ex1_shape", None if fit is None else fit.shape, "{:.3f}", missing)
    s_fit = None if fit is None else float(fit.survival(_EXERCISE_MONTHS))
    t("ex1_s_fit", s_fit, "pct", missing)
    curve = km_curve(arm.time, arm.event)
    before = curve.time <= _EXERCISE_MONTHS
    t("ex1_s_km", float(curve.survival[before][-1]) if before.any() else 1.0, "pct")
    t("ex2_loglik", None if fit is None else fit.loglik, "{:.3f}", missing)
    t("ex2_loglik0", arm.no_cure_loglik, "{:.3f}", missing)
    t("ex2_lr", arm.lr_no_cure, "{:.2f}", missing)
    t("ex2_p", arm.p_no_cure, "p_clause", missing)
    t("ex2_reading", exercise_reading(arm, "os"), "{}", missing)
