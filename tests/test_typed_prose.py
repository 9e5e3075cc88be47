"""Sentences that the pages once typed for one cohort, now built from the numbers (review of chapters
5, 6, 15 and 16): each function's every branch, on small hand-made inputs, with the exact text."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lcnec_utils.chapter import (
    KMStep,
    adjusted_pfs_reading,
    km_steps_reading,
    largest_km_step,
    pfs_epv_caution,
    ph_epv_texts,
)
from lcnec_utils.contract import make_parameters
from lcnec_utils.methods import (
    correlation_range,
    correlation_reading,
    earlier_deaths_reading,
    first_deaths_sentence,
    grade3_premise,
    missed_event_caution,
    share_precision,
    ties_reading,
    union_reading,
)

INDEPENDENT = '"Independent" only says that each coefficient is conditional on the others'


def test_adjusted_pfs_reading_follows_the_events_per_variable_and_the_interval():
    """Chapter 5's last reading: fragile below 5 events per variable (and then the association only
    suggested, its Wald interval not at face value: review 61), between the rules below 10, the rule
    met from 10; an association with longer or shorter PFS only where the interval excludes 1."""
    longer = {"hr": 0.5, "ci_low": 0.28, "ci_high": 0.9, "p": 0.021}
    assert adjusted_pfs_reading(longer, 3.3, 0.05) == (
        f"{INDEPENDENT}, and with 3.3 events per variable, below 5, those conditional estimates are "
        "fragile (the small-sample chapter). At most, the model suggests an adjusted association of the "
        "ICI with longer progression-free survival (HR 0.50 (0.28–0.90), p = 0.021; its 95% CI is "
        "Wald's, not to be taken at face value with so few events per variable: the small-sample "
        "chapter gives Firth's), from a non-randomised comparison."
    )
    shorter = {"hr": 1.8, "ci_low": 1.1, "ci_high": 2.95, "p": 0.0004}
    assert adjusted_pfs_reading(shorter, 7.5, 0.05) == (
        f"{INDEPENDENT}, and with 7.5 events per variable, between 5 and the rule of 10, those "
        "conditional estimates sit where the small-sample chapter's two rules disagree. The defensible "
        "reading is an adjusted association of the ICI with shorter progression-free survival "
        "(HR 1.80 (1.10–2.95), p < 0.001; 95% CI in brackets), from a non-randomised comparison."
    )
    open_ = {"hr": 0.8, "ci_low": 0.5, "ci_high": 1.28, "p": 0.35}
    assert adjusted_pfs_reading(open_, 12.0, 0.1) == (
        f"{INDEPENDENT}; with 12.0 events per variable the model meets the rule of 10, which speaks to "
        "the estimates' small-sample behaviour, not to confounding. The defensible reading is that the "
        "adjusted model leaves the direction open: the 90% CI of the arm's hazard ratio includes 1 "
        "(HR 0.80 (0.50–1.28), p = 0.350), in a non-randomised comparison."
    )
    # a bound that prints as 1.00 gets its third decimal, on the side of 1 the verdict reads
    edge = {"hr": 0.6, "ci_low": 0.36, "ci_high": 0.9951, "p": 0.048}
    assert "longer progression-free survival (HR 0.60 (0.36–0.995), p = 0.048;" in adjusted_pfs_reading(
        edge, 4.0, 0.05
    )
    assert adjusted_pfs_reading(None, None, 0.05) == (
        f"{INDEPENDENT}. The model gives no adjusted hazard ratio of the arm for progression-free "
        "survival on the data in force, so there is no adjusted association to read."
    )
    nan = {"hr": float("nan"), "ci_low": float("nan"), "ci_high": float("nan"), "p": float("nan")}
    assert adjusted_pfs_reading(nan, 2.0, 0.05).endswith("so there is no adjusted association to read.")


def test_ties_reading_says_the_approximations_coincide_without_ties():
    assert ties_reading(20, 4) == (
        "Of the 20 deaths, 4 share their time with another, so the two approximations can differ; the "
        "size of the difference grows with the share of tied events."
    )
    assert ties_reading(20, 0) == (
        "None of the 20 deaths shares its time with another, so the two approximations give the same "
        "partial likelihood and the same estimate: they differ only at tied times."
    )
    assert ties_reading(1, 0) == (
        "The one death shares its time with no other, so the two approximations give the same partial "
        "likelihood and the same estimate: they differ only at tied times."
    )
    assert (
        ties_reading(0, 0) == "There are no deaths, so there is no tie for the two approximations to handle."
    )


def test_missed_event_caution_reads_the_chance_of_seeing_none():
    """0.9^5 = 59.0%, 0.9^14 = 22.9%, 0.9^20 = 12.2%, 0.9^40 = 1.5% (0.99^40 = 66.9%)."""
    lead = "treated patients, an event that affects one patient in ten"
    assert missed_event_caution(5) == (
        f"With 5 {lead} is more likely to be missed altogether than seen: the chance of seeing none is "
        "59.0%, that is 0.9 to the power 5."
    )
    assert missed_event_caution(14) == (
        f"With 14 {lead} can easily be missed altogether: the chance of seeing none is 22.9%, that is "
        "0.9 to the power 14."
    )
    assert missed_event_caution(20) == (
        f"With 20 {lead} can still be missed altogether: the chance of seeing none is 12.2%, that is "
        "0.9 to the power 20."
    )
    assert missed_event_caution(40) == (
        f"With 40 {lead} is unlikely to be missed altogether (the chance of seeing none is 1.5%, that is "
        "0.9 to the power 40), but one that affects one patient in a hundred goes unseen with "
        "probability 66.9% (0.99 to the power 40)."
    )
    # 0.9^80 = 0.00022: one decimal would print 0.0% (review 61)
    assert missed_event_caution(80).startswith(
        "With 80 treated patients, an event that affects one patient in ten is unlikely to be missed "
        "altogether (the chance of seeing none is below 0.1%, that is 0.9 to the power 80)"
    )
    assert missed_event_caution(0) == "With no treated patient, no adverse event could be seen at all."


def test_missed_event_caution_agrees_with_one_patient():
    """0.9^1 = 90.0%: "1 treated patient", not "1 treated patients"."""
    assert missed_event_caution(1) == (
        "With 1 treated patient, an event that affects one patient in ten is more likely to be missed "
        "altogether than seen: the chance of seeing none is 90.0%, that is 0.9 to the power 1."
    )


def test_missed_event_caution_says_when_neither_rare_event_is_likely_missed():
    """From n = 299 on 0.99^n is below 5% too (0.99^298 = 0.05004, 0.99^299 = 0.04954), so the
    contrast "but one that affects one patient in a hundred goes unseen" no longer holds (the page
    said it, and printed 0.0% for large n). 0.9^300 = 1.9e-14, 0.99^300 = 0.04904 (4.9%);
    0.9^1000 = 1.7e-46, 0.99^1000 = 0.0000432 (below 0.05%, printed "below 0.1%")."""
    assert 0.99**298 >= 0.05 > 0.99**299
    assert missed_event_caution(298).endswith(
        "but one that affects one patient in a hundred goes unseen with probability 5.0% (0.99 to the "
        "power 298)."
    )
    assert missed_event_caution(300) == (
        "With 300 treated patients, neither an event that affects one patient in ten nor one that affects "
        "one patient in a hundred is likely to be missed altogether: the chance of seeing none is below "
        "0.1% for the first (0.9 to the power 300) and 4.9% for the second (0.99 to the power 300)."
    )
    assert missed_event_caution(1000) == (
        "With 1000 treated patients, neither an event that affects one patient in ten nor one that "
        "affects one patient in a hundred is likely to be missed altogether: the chance of seeing none is "
        "below 0.1% for the first (0.9 to the power 1000) and below 0.1% for the second (0.99 to the "
        "power 1000)."
    )


def test_share_precision_reads_the_interval_width():
    assert share_precision((0.2, 0.6), 14) == (
        "The interval is 40.0 percentage points wide: with 14 patients the share is known only to "
        "within tens of percentage points."
    )
    assert share_precision((0.45, 0.55), 400) == (
        "The interval is 10.0 percentage points wide, the precision that 400 patients give."
    )
    assert share_precision(None, 0) == "Without treated patients there is no share to estimate."
    # treated patients but no immune-related events identified (review 61)
    assert share_precision(None, 14) == (
        "The cohort in force records no immune-related adverse events to count, so there is no share to "
        "estimate."
    )


def test_grade3_premise_supposes_none_only_where_some_were_seen():
    assert grade3_premise(0, 14) == "None of the 14 treated patients had an irAE of grade 3 or higher."
    assert grade3_premise(1, 14) == (
        "On the cohort in force 1 of the 14 treated patients was recorded with an irAE of grade 3 or "
        "higher; suppose instead that none had been."
    )
    assert grade3_premise(3, 14).startswith("On the cohort in force 3 of the 14 treated patients were")
    assert (
        grade3_premise(0, 0)
        == grade3_premise(None, 0)
        == ("Suppose an arm of n treated patients in which none had an irAE of grade 3 or higher.")
    )
    assert grade3_premise(None, 14) == (
        "The cohort in force records no grades of immune-related adverse events; suppose that none of "
        "the 14 treated patients had one of grade 3 or higher."
    )


def test_earlier_deaths_reading_counts_and_weighs_the_deaths_before():
    """Pooled S(t−) 1, 0.9, 0.8 at deaths at 2, 3 and 5 months: FH(0,1) weights 0, 0.1, 0.2."""
    curves = pd.DataFrame({"time": [2.0, 3.0, 5.0], "surv_before": [1.0, 0.9, 0.8], "d": [1, 1, 1]})
    assert earlier_deaths_reading(curves, 5.0, "Chemo") == (
        "The 2 earlier deaths of the Chemo arm get smaller FH(0,1) weights, from 0 at the cohort's first "
        "death time to 0.100 at the last before this one."
    )
    assert earlier_deaths_reading(curves, 2.0, "Chemo") == (
        "No death of the Chemo arm comes earlier: this is the cohort's first death time, where "
        "S(t−) = 1 and both FH(0,1) and FH(1,1) give weight 0."
    )
    assert earlier_deaths_reading(curves, 3.0, "Chemo") == (
        "The one earlier death of the Chemo arm comes at the cohort's first death time, where FH(0,1) "
        "gives weight 0."
    )
    tied = pd.DataFrame({"time": [2.0, 5.0], "surv_before": [1.0, 0.8], "d": [2, 1]})
    assert earlier_deaths_reading(tied, 5.0, "Chemo") == (
        "The 2 earlier deaths of the Chemo arm all come at the cohort's first death time, where FH(0,1) "
        "gives weight 0."
    )


def test_first_deaths_sentence_in_every_order():
    """Each order of the arms' first deaths; what early deaths in one arm can come from only where
    the reference arm's come first or alone (immortal time in the ICI arm explains no other order:
    review 61)."""
    from lcnec_utils.methods.landmark import EARLY_DEATHS_CAUSES

    def s(*args):
        return first_deaths_sentence(*args, "ICI", "Chemo")

    lead = "On the cohort in force"
    assert EARLY_DEATHS_CAUSES.startswith("Early deaths in one arm only can come from immortal time")
    assert s(4.0, 1.5, 3) == (
        f"{lead} the first death in the ICI arm comes at 4.0 months; by then the Chemo arm has had 3 "
        f"deaths, the first at 1.5 months. {EARLY_DEATHS_CAUSES}"
    )
    assert s(4.0, 1.5, 1).endswith(
        f"by then the Chemo arm has had 1 death, the first at 1.5 months. {EARLY_DEATHS_CAUSES}"
    )
    assert s(2.0, 3.5, 0) == (
        f"{lead} the first death in the ICI arm comes at 2.0 months, before any in the Chemo arm, whose "
        "first comes at 3.5 months."
    )
    assert s(2.0, 2.0, 1) == f"{lead} the first deaths of the two arms come at the same time, 2.0 months."
    assert s(None, 3.0, None) == (
        f"{lead} the ICI arm has no death; the first in the Chemo arm comes at 3.0 months. {EARLY_DEATHS_CAUSES}"
    )
    assert (
        s(2.0, None, 0) == f"{lead} the Chemo arm has no death; the first in the ICI arm comes at 2.0 months."
    )
    assert s(None, None, None) == f"{lead} neither arm has a death."


def test_correlation_reading_gives_each_endpoints_range():
    """Chapter 16's method section: the range of the four statistics' pairwise correlations per
    endpoint present (the page typed "some pairs strongly" whatever the cohort); on the shipped cohort
    0.57 to 0.93 (OS) and 0.55 to 0.92 (PFS)."""
    both = {"overall survival": (0.5737, 0.9302), "progression-free survival": (0.551, 0.92)}
    assert correlation_reading(both) == (
        "On the cohort in force their pairwise correlations run from 0.57 to 0.93 for overall survival "
        "and from 0.55 to 0.92 for progression-free survival."
    )
    assert correlation_reading({"overall survival": (0.2, 0.45)}) == (
        "On the cohort in force their pairwise correlations run from 0.20 to 0.45 for overall survival."
    )
    assert correlation_reading({"overall survival": (0.2, 0.45), "progression-free survival": None}) == (
        "On the cohort in force their pairwise correlations run from 0.20 to 0.45 for overall survival; "
        "for progression-free survival none can be computed (the statistics have no variance)."
    )
    assert correlation_reading({"overall survival": None}) == (
        "On the cohort in force no correlation between them can be computed: the statistics have no variance."
    )

    class Combo:  # a statistic without variance leaves NaN in its row and column
        correlation = np.array([[1.0, 0.9, np.nan], [0.9, 1.0, np.nan], [np.nan, np.nan, np.nan]])

    assert correlation_range(Combo()) == (0.9, 0.9)
    Combo.correlation = np.full((2, 2), np.nan)
    assert correlation_range(Combo()) is None


def test_union_reading_says_how_much_of_bonferronis_sum_the_max_combo_p_is():
    """Chapter 16's exercise 2 (the page typed "overlap a great deal and their union is much smaller
    than the sum" whatever the cohort): the max-combo p over 4 × the smallest p, rounded to a whole
    percentage. Shipped cohort's OS: 0.047522 / (4 × 0.021859) = 0.5435, 54%; 0.03 / (4 × 0.02) = 37.5%,
    printed 38%; 0.0199 / (4 × 0.01) = 49.75% rounds to 50%, so not "less than half"."""
    lead = "so the regions overlap"
    assert union_reading(0.047522, 0.021859) == f"{lead}: their union, the max-combo p, is 54% of the sum."
    assert union_reading(0.03, 0.02) == (
        f"{lead} a great deal: their union, the max-combo p, is 38% of the sum, less than half."
    )
    assert union_reading(0.0199, 0.01) == f"{lead}: their union, the max-combo p, is 50% of the sum."
    assert (
        union_reading(float("nan"), 0.02)
        == union_reading(0.03, None)
        == (f"{lead} and their union is smaller than the sum.")
    )


def test_pfs_epv_caution_counts_the_pfs_model_or_says_there_is_none():
    """Chapter 5's caution on the PFS model's size: its parameters and events with their nouns, the
    events per variable (events / parameters) and epv_verdict's branch; without PFS columns one plain
    sentence (the page printed "spends not available parameters on not available events"). Shipped
    cohort: 12 parameters, 29 events, 29 / 12 = 2.42."""
    assert pfs_epv_caution(29, 12) == (
        "The PFS model spends 12 parameters on 29 events: 2.4 events per variable, which falls below five "
        "events per variable (Vittinghoff and McCulloch found problems fairly frequent at 2 to 4)."
    )
    assert pfs_epv_caution(29, 3) == (  # 9.67
        "The PFS model spends 3 parameters on 29 events: 9.7 events per variable, which falls below the "
        "rule of ten, between 5 and 10 events per variable, the range in which Vittinghoff and McCulloch "
        "found problems uncommon."
    )
    assert pfs_epv_caution(120, 12) == (
        "The PFS model spends 12 parameters on 120 events: 10.0 events per variable, which meets the rule "
        "of ten."
    )
    assert pfs_epv_caution(1, 1).startswith("The PFS model spends 1 parameter on 1 event: 1.0 events per")
    assert (
        pfs_epv_caution(None, None)
        == pfs_epv_caution(None, 12)
        == (
            "The cohort has no progression-free survival columns, so there is no PFS model whose events "
            "per variable could be counted."
        )
    )


def _arms(times: dict[str, list[float]], events: dict[str, list[int]], endpoints=("os",)) -> pd.DataFrame:
    """A cohort of the two default arms with the given times and events for each endpoint."""
    params = make_parameters()
    label = {"treatment": params.treatment_group, "reference": params.reference_group}
    rows = [
        (label[role], t, e) for role in ("treatment", "reference") for t, e in zip(times[role], events[role])
    ]
    frame = pd.DataFrame(rows, columns=["group", "months", "event"])
    cohort = frame[["group"]].copy()
    for ep in endpoints:
        cohort[f"{ep}_months"], cohort[f"{ep}_event"] = frame["months"], frame["event"]
    return cohort


def test_largest_km_step_by_hand():
    """Treatment times 1, 2+, 3, 4 (+ censored): steps 1/4 at 1 (1 to 0.75), then 0.75 x 1/2 = 0.375 at 3
    and 0.375 x 1/1 = 0.375 at 4 (after the censoring at 2 the risk set is 2, then 1). Reference 1, 1, 5+:
    2 of 3 at 1, 1 to 1/3, the largest step (0.667). Without the reference's tie the treatment arm's
    largest is the first of its two equal steps, at 3; with PFS columns equal to OS's the PFS curve
    comes first."""
    params = make_parameters()
    times = {"treatment": [1, 2, 3, 4], "reference": [1, 1, 5]}
    cohort = _arms(times, {"treatment": [1, 0, 1, 1], "reference": [1, 1, 0]})
    step = largest_km_step(cohort, params)
    assert step == KMStep("os", "reference", 1.0, 2, 3, 1.0, pytest.approx(1 / 3, rel=1e-12))
    cohort = _arms(times, {"treatment": [1, 0, 1, 1], "reference": [0, 0, 0]})
    step = largest_km_step(cohort, params)
    assert (step.role, step.time, step.events, step.at_risk, step.before, step.after) == (
        "treatment",
        3.0,
        1,
        2,
        0.75,
        0.375,
    )
    both = _arms(times, {"treatment": [1, 0, 1, 1], "reference": [1, 1, 0]}, endpoints=("pfs", "os"))
    assert largest_km_step(both, params).endpoint == "pfs"
    assert largest_km_step(_arms(times, {"treatment": [0] * 4, "reference": [0] * 3}), params) is None


def test_km_steps_reading_gives_the_first_and_the_largest_step():
    """Chapter 4's sentence on the curves' steps (the page typed "large steps" whatever the arms' sizes).
    Shipped cohort: 14 and 17 patients (1/14 = 7.1, 1/17 = 5.9 points); the largest step is the ICI arm's
    OS at 11.5 months, 2 deaths among 11 at risk, from 12/14 = 85.7% to 12/14 x 9/11 = 70.1% (15.6
    points)."""
    params = make_parameters()
    step = KMStep("os", "treatment", 11.5, 2, 11, 12 / 14, 12 / 14 * 9 / 11)
    lead = "Two arms of 14 patients and 17 patients give step curves: before any censoring, one patient"
    assert km_steps_reading({"treatment": 14, "reference": 17}, step, params) == (
        f"{lead} moves a curve by 7.1 or 5.9 percentage points, and the largest single step of the curves is "
        "15.6 percentage points (overall survival, ICIs + Chemo arm, 2 events at 11.5 months among 11 "
        "patients at risk: from 85.7% to 70.1%)."
    )
    one = KMStep("pfs", "reference", 1.0, 1, 1, 1.0, 0.0)
    assert km_steps_reading({"treatment": 200, "reference": 1}, one, params) == (
        "Two arms of 200 patients and 1 patient give step curves: before any censoring, one patient moves a "
        "curve by 0.5 or 100.0 percentage points, and the largest single step of the curves is 100.0 "
        "percentage points (progression-free survival, Chemo arm, 1 event at 1.0 months among 1 patient "
        "at risk: from 100.0% to 0.0%)."
    )
    assert km_steps_reading({"treatment": 14, "reference": 17}, None, params) == (
        f"{lead} moves a curve by 7.1 or 5.9 percentage points; with no event recorded, no curve has a step "
        "yet."
    )


def test_ph_epv_texts_read_each_endpoint_against_the_rule_of_ten():
    """Chapter 11's three readings of the paper's model's events per variable (the page typed "so few
    events per variable", "these few events" and "no answer is reliable" whatever the cohort). Shipped
    cohort: 29 / 12 = 2.4 (progression), 25 / 12 = 2.1 (death); the required columns only: the arm alone
    on 25 deaths, 25.0; a mixed cohort with exactly 10.0 (the rule met) and 8.3."""
    choice = "a choice among tests made after seeing their p-values would"
    rule = "the rule of ten (the small-sample chapter)"
    assert ph_epv_texts({"pfs": 29 / 12, "os": 25 / 12}) == {
        "ph_epv_check": (
            f"The paper's model has 2.4 events per variable for progression and 2.1 for death, below {rule}, "
            "so here the tests are themselves unreliable."
        ),
        "ph_lesson": (
            "Below the rule of ten, as the paper's model is for progression and death, a proportional-hazards "
            f"test is too unstable to certify or to refute proportionality, and {choice} be a choice of "
            "conclusion."
        ),
        "ph_epv_conclusion": (
            "With the paper's model below the rule of ten for progression and death, no answer is reliable."
        ),
    }
    assert ph_epv_texts({"os": 25.0}) == {
        "ph_epv_check": (
            f"The paper's model has 25.0 events per variable for death, at or above {rule}; that does not "
            "make a large-sample test exact."
        ),
        "ph_lesson": (
            "Even with the paper's model at or above the rule of ten, a proportional-hazards test cannot "
            "certify proportionality (a large p-value is weak evidence, not proof), and "
            f"{choice} still be a choice of conclusion."
        ),
        "ph_epv_conclusion": (
            "With the paper's model at or above the rule of ten, the tests' answer is still no proof of "
            "proportionality."
        ),
    }
    assert ph_epv_texts({"pfs": 10.0, "os": 8.3}) == {
        "ph_epv_check": (
            f"The paper's model has 8.3 events per variable for death, below {rule}, and 10.0 events per "
            "variable for progression, at or above it: for death the tests are themselves unreliable."
        ),
        "ph_lesson": (
            "Below the rule of ten, as the paper's model is for death, a proportional-hazards test is too "
            f"unstable to certify or to refute proportionality, and {choice} be a choice of conclusion."
        ),
        "ph_epv_conclusion": (
            "With the paper's model below the rule of ten for death, that answer is not reliable; for "
            "progression, at or above the rule, the test's answer is still no proof of proportionality."
        ),
    }
    assert ph_epv_texts({}) == {
        "ph_epv_check": "No model was fitted, so there are no events per variable to read.",
        "ph_lesson": "",
        "ph_epv_conclusion": "",
    }
