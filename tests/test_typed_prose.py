"""Sentences that the pages once typed for one cohort, now built from the numbers (review of chapters
5, 6, 15 and 16): each function's every branch, on small hand-made inputs, with the exact text."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lcnec_utils.chapter import (
    BootstrapShares,
    KMStep,
    adjusted_pfs_reading,
    adjustment_warning,
    full_epv_reading,
    instability_reading,
    km_steps_reading,
    largest_km_step,
    model_in_force,
    model_question,
    paper_model_caution,
    pfs_epv_caution,
    ph_epv_texts,
    small_sample_teaching_glue,
)
from lcnec_utils.contract import make_parameters
from lcnec_utils.contract.params import PAPER_COVARIATES
from lcnec_utils.methods import (
    MODEL_FITTED_HERE,
    CorrelationRange,
    correlation_range,
    correlation_reading,
    earlier_deaths_reading,
    first_deaths_sentence,
    fitted_model,
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


def test_adjusted_pfs_reading_compares_the_events_per_variable_as_printed():
    """4.96 prints 5.0 and 9.96 prints 10.0: the verdict beside them is the printed value's (it said
    "5.0 events per variable, below 5" and "10.0 ..., between 5 and the rule of 10")."""
    open_ = {"hr": 0.8, "ci_low": 0.5, "ci_high": 1.28, "p": 0.35}
    assert adjusted_pfs_reading(open_, 124 / 25, 0.05).startswith(
        f"{INDEPENDENT}, and with 5.0 events per variable, between 5 and the rule of 10, those conditional "
        "estimates sit where the small-sample chapter's two rules disagree."
    )
    assert adjusted_pfs_reading(open_, 249 / 25, 0.05).startswith(
        f"{INDEPENDENT}; with 10.0 events per variable the model meets the rule of 10, which speaks"
    )
    assert adjusted_pfs_reading(open_, 4.94, 0.05).startswith(
        f"{INDEPENDENT}, and with 4.9 events per variable, below 5, those conditional estimates are fragile"
    )


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
    said it, and printed 0.0% for large n). One decimal prints both as 5.0%, so each gets two (5.00%
    and 4.95%): the two branches must not print the same chance. 0.9^298 = 2.3e-14 and 0.9^299 =
    2.1e-14 print "below 0.1%". 0.9^300 = 1.9e-14, 0.99^300 = 0.04904 (4.9%); 0.9^1000 = 1.7e-46,
    0.99^1000 = 0.0000432 (below 0.05%, printed "below 0.1%")."""
    assert missed_event_caution(298) == (
        "With 298 treated patients, an event that affects one patient in ten is unlikely to be missed "
        "altogether (the chance of seeing none is below 0.1%, that is 0.9 to the power 298), but one that "
        "affects one patient in a hundred goes unseen with probability 5.00% (0.99 to the power 298)."
    )
    assert missed_event_caution(299) == (
        "With 299 treated patients, neither an event that affects one patient in ten nor one that affects "
        "one patient in a hundred is likely to be missed altogether: the chance of seeing none is below "
        "0.1% for the first (0.9 to the power 299) and 4.95% for the second (0.99 to the power 299)."
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
    both = {
        "overall survival": CorrelationRange(0.5737, 0.9302, 6, 6),
        "progression-free survival": CorrelationRange(0.551, 0.92, 6, 6),
    }
    assert correlation_reading(both) == (
        "On the cohort in force their pairwise correlations run from 0.57 to 0.93 for overall survival "
        "and from 0.55 to 0.92 for progression-free survival."
    )
    os_only = {"overall survival": CorrelationRange(0.2, 0.45, 6, 6)}
    assert correlation_reading(os_only) == (
        "On the cohort in force their pairwise correlations run from 0.20 to 0.45 for overall survival."
    )
    assert correlation_reading({**os_only, "progression-free survival": None}) == (
        "On the cohort in force their pairwise correlations run from 0.20 to 0.45 for overall survival; "
        "for progression-free survival none can be computed (no two of its statistics both have variance)."
    )
    assert correlation_reading({"overall survival": None}) == (
        "On the cohort in force no correlation between them can be computed: no two of the statistics both "
        "have variance."
    )


def test_correlation_reading_says_when_only_some_pairs_can_be_computed():
    """A statistic without variance leaves NaN in its row and column: with four statistics and one
    without variance, 3 of the 6 pairs can be computed (the sentence said nothing of the other 3); with
    only one statistic with variance none can, although that one has variance (the sentence said "the
    statistics have no variance")."""

    class Combo:
        correlation = np.array(
            [
                [1.0, 0.9, 0.7, np.nan],
                [0.9, 1.0, 0.8, np.nan],
                [0.7, 0.8, 1.0, np.nan],
                [np.nan, np.nan, np.nan, np.nan],
            ]
        )

    r = correlation_range(Combo())
    assert r == CorrelationRange(0.7, 0.9, 3, 6)
    assert correlation_reading({"overall survival": r}) == (
        "On the cohort in force their pairwise correlations run from 0.70 to 0.90 for overall survival "
        "(3 pairs of 6; the others cannot be computed, one of their statistics having no variance)."
    )
    Combo.correlation = np.array([[1.0, 0.9, np.nan], [0.9, 1.0, np.nan], [np.nan, np.nan, np.nan]])
    assert correlation_range(Combo()) == CorrelationRange(0.9, 0.9, 1, 3)
    assert correlation_reading({"overall survival": correlation_range(Combo())}) == (
        "On the cohort in force their pairwise correlations run from 0.90 to 0.90 for overall survival "
        "(1 pair of 3; the others cannot be computed, one of their statistics having no variance)."
    )
    Combo.correlation = np.array([[1.0, np.nan], [np.nan, np.nan]])  # one statistic with variance
    assert correlation_range(Combo()) is None
    Combo.correlation = np.full((2, 2), np.nan)
    assert correlation_range(Combo()) is None


def test_union_reading_says_how_much_of_bonferronis_sum_the_max_combo_p_is():
    """Chapter 16's exercise 2 (the page typed "overlap a great deal and their union is much smaller
    than the sum" whatever the cohort): the max-combo p over K × the smallest p, K the statistics with
    variance, rounded half up to a whole percentage where the integration's absolute error (1e-4 on p,
    1e-4 / (K × min p) on the share) leaves one whole percentage, else the range rounded outward. Shipped
    cohort's OS: 0.047522 / (4 × 0.021859) = 0.5435 +/- 0.0011, 54%; 0.0199 / (4 × 0.01) = 49.75% +/-
    0.25% rounds to 50% either way, so not "less than half". The share lies in [100/K, 100]%: outside it, or with the max-combo p below ten
    times the integration's absolute error, the integration cannot resolve it."""
    from lcnec_utils.stats import MVN_ABSEPS

    assert MVN_ABSEPS == 1e-4
    lead = "so the regions overlap"
    assert union_reading(0.047522, 0.021859) == f"{lead}: their union, the max-combo p, is 54% of the sum."
    assert union_reading(0.031, 0.02) == (  # 38.75% +/- 0.125%: 39% either way
        f"{lead} a great deal: their union, the max-combo p, is 39% of the sum, less than half."
    )
    between = "(the integration's absolute error of 0.0001 allows no closer figure)"
    # 37.5% +/- 0.125% straddles 37.5: the integration cannot say 37% or 38%
    assert union_reading(0.03, 0.02) == (
        f"{lead} a great deal: their union, the max-combo p, is between 37% and 38% of the sum {between}, "
        "less than half."
    )
    assert union_reading(0.0199, 0.01) == f"{lead}: their union, the max-combo p, is 50% of the sum."
    # 0.05 / (4 x 0.02) = 62.5% exactly, +/- 0.125%: not resolved to a whole percentage
    assert (
        union_reading(0.05, 0.02)
        == f"{lead}: their union, the max-combo p, is between 62% and 63% of the sum {between}."
    )
    # 99.875% +/- 0.25% prints 100%: the regions of correlated statistics still overlap, if only slightly;
    # not "so" after "positively correlated"
    assert union_reading(0.03995, 0.01) == (
        "but the regions overlap only slightly: their union, the max-combo p, rounds to 100% of the sum."
    )
    # K = 2 statistics with variance: the sum is 2 × 0.02; 0.03 is 75% of it (of 4 × 0.02 it would be 38%)
    assert union_reading(0.03, 0.02, k=2) == f"{lead}: their union, the max-combo p, is 75% of the sum."
    outside = (
        "but the max-combo p, computed by numerical integration to an absolute error of 0.0001, falls outside "
        "the range it must lie in (from the smallest p to {k} times it), so the integration cannot resolve how "
        "much of the sum it is."
    )
    assert union_reading(0.025, 0.05) == outside.format(k=4)  # below the smallest p: impossible
    assert union_reading(0.0801, 0.02) == outside.format(k=4)  # above the sum
    assert union_reading(0.03, 0.02, k=1) == (
        "but only one statistic has variance: the max-combo p is its p, and the sum has one term."
    )
    assert union_reading(0.0009, 0.0003) == (
        "but the max-combo p is below ten times the absolute error (0.0001) of the numerical integration that "
        "computes it, so the integration cannot resolve how much of the sum it is."
    )
    # 10 x 1e-4 itself is computed, but 0.001 +/- 0.0001 over 0.0012 is 75% to 91.7%: the range is printed
    assert union_reading(0.001, 0.0003) == (
        f"{lead}: their union, the max-combo p, is between 75% and 92% of the sum {between}."
    )
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
        "rule of ten, between 5 and 10 events per variable (Vittinghoff and McCulloch found problems "
        "uncommon at 5 to 9)."
    )
    # as printed: 124 / 25 = 4.96 prints 5.0, 249 / 25 = 9.96 prints 10.0 (the verdicts were below five
    # and below the rule of ten)
    assert pfs_epv_caution(124, 25) == (
        "The PFS model spends 25 parameters on 124 events: 5.0 events per variable, which falls below the "
        "rule of ten, between 5 and 10 events per variable (Vittinghoff and McCulloch found problems "
        "uncommon at 5 to 9)."
    )
    assert pfs_epv_caution(249, 25) == (
        "The PFS model spends 25 parameters on 249 events: 10.0 events per variable, which meets the rule "
        "of ten."
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
    assert step.equal == (KMStep("os", "treatment", 4.0, 1, 1, 0.375, 0.0),)
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


def test_largest_km_step_counts_the_steps_as_large_as_it():
    """Equal largest steps: treatment 1 and 2+ against reference 3 and 4+ gives two steps of 1/2 on two
    curves (the treatment arm's at 1 month named, the other given); deaths at 1 and 2 in both arms give
    four (1/2 at the first, then 1/2 x 1/1). The shipped cohort's ICI arm takes two equal steps on its
    OS curve: at 11.5 months 2 deaths of 11 at risk, 12/14 x 2/11, and at 11.8 months 2 of 9,
    12/14 x 9/11 x 2/9, both 24/154 = 15.6 points (the sentence named the first only, as if it were the
    one largest step)."""
    params = make_parameters()
    two = _arms({"treatment": [1, 2], "reference": [3, 4]}, {"treatment": [1, 0], "reference": [1, 0]})
    step = largest_km_step(two, params)
    assert (step.role, step.time) == ("treatment", 1.0)
    assert step.equal == (KMStep("os", "reference", 3.0, 1, 2, 1.0, 0.5),)
    assert km_steps_reading({"treatment": 2, "reference": 2}, step, params) == (
        "Two arms of 2 patients and 2 patients give step curves: before any censoring, one patient moves a "
        "curve by 50.0 or 50.0 percentage points, and the largest single step of the curves is 50.0 "
        "percentage points (overall survival, ICIs + Chemo arm, 1 event at 1.0 months among 2 patients at "
        "risk: from 100.0% to 50.0%; one of 2 equal largest steps, the other on the overall survival "
        "curve of the Chemo arm, 1 event at 3.0 months among 2 patients at risk: from 100.0% to 50.0%)."
    )
    four = _arms({"treatment": [1, 2], "reference": [1, 2]}, {"treatment": [1, 1], "reference": [1, 1]})
    step = largest_km_step(four, params)
    assert len(step.equal) == 3
    assert km_steps_reading({"treatment": 2, "reference": 2}, step, params).endswith(
        "(overall survival, ICIs + Chemo arm, 1 event at 1.0 months among 2 patients at risk: from 100.0% "
        "to 50.0%; one of 4 equal largest steps)."
    )
    from lcnec_utils.contract import load_study

    shipped = load_study(params.data_path, params.ae_path, params.reference_group, params.treatment_group)
    step = largest_km_step(shipped.cohort, params)
    assert (step.endpoint, step.role, step.time, step.events, step.at_risk) == (
        "os",
        "treatment",
        11.5,
        2,
        11,
    )
    assert step.size == pytest.approx(24 / 154, rel=1e-12)
    (other,) = step.equal
    assert (other.endpoint, other.role, other.time, other.events, other.at_risk) == (
        "os",
        "treatment",
        11.8,
        2,
        9,
    )
    assert other.size == pytest.approx(24 / 154, rel=1e-12)
    assert km_steps_reading({"treatment": 14, "reference": 17}, step, params) == (
        "Two arms of 14 patients and 17 patients give step curves: before any censoring, one patient moves "
        "a curve by 7.1 or 5.9 percentage points, and the largest single step of the curves is 15.6 "
        "percentage points (overall survival, ICIs + Chemo arm, 2 events at 11.5 months among 11 patients "
        "at risk: from 85.7% to 70.1%; one of 2 equal largest steps, the other on the same curve, 2 "
        "events at 11.8 months among 9 patients at risk: from 70.1% to 54.5%)."
    )


def test_ph_epv_texts_read_each_endpoint_against_the_rule_of_ten():
    """Chapter 11's three readings of its model's events per variable (the page typed "so few events
    per variable", "these few events" and "no answer is reliable" whatever the cohort). Shipped cohort:
    the paper's model, 29 / 12 = 2.4 (progression), 25 / 12 = 2.1 (death); a mixed cohort with exactly
    10.0 (the rule met) and 8.3. Below the rule, the fit the tests are computed from is one the rule warns about (the rule
    of ten concerns the model's coefficients, intervals and Wald tests, not the Grambsch-Therneau test)."""
    choice = "a choice among tests made after seeing their p-values would"
    rule = "the rule of ten (the small-sample chapter)"
    # the rule concerns coefficients and Wald tests: the PH test's answer is read with caution, not
    # declared unable to certify or refute proportionality
    caution = (
        "(it concerns the coefficients and their Wald tests, not this test directly), so the test's answer, "
        "either way, is to be read with that caution"
    )
    # without null_rates the lesson says that neither the size nor the power was simulated
    unmeasured = (
        " This page did not simulate the tests' size or power in this design, so how often they reject when "
        "the hazards are proportional, and how often they detect a departure, is not measured here."
    )
    papers = fitted_model(PAPER_COVARIATES)
    assert ph_epv_texts({"pfs": 29 / 12, "os": 25 / 12}, papers) == {
        "ph_epv_check": (
            f"The paper's model has 2.4 events per variable for progression and 2.1 for death, below {rule}: "
            "its fit is one the rule of ten warns about, so the tests built on it are to be read with caution."
        ),
        "ph_lesson": (
            "Below the rule of ten, as the paper's model is for progression and death, the fit a "
            f"proportional-hazards test is built on is one that rule warns about {caution}, and {choice} be "
            "a choice of conclusion." + unmeasured
        ),
        "ph_epv_conclusion": (
            "With the paper's model below the rule of ten for progression and death, the tests rest on a fit "
            "that rule warns about, and their answer is to be read with that caution."
        ),
    }
    assert ph_epv_texts({"pfs": 10.0, "os": 8.3}, papers) == {
        "ph_epv_check": (
            f"The paper's model has 8.3 events per variable for death, below {rule}, and 10.0 events per "
            "variable for progression, at or above it: for death its fit is one the rule of ten "
            "warns about, so the tests built on it are to be read with caution."
        ),
        "ph_lesson": (
            "Below the rule of ten, as the paper's model is for death, the fit a proportional-hazards test is "
            f"built on is one that rule warns about {caution}, and {choice} be a choice of conclusion."
            + unmeasured
        ),
        "ph_epv_conclusion": (
            "With the paper's model below the rule of ten for death, that answer rests on a fit that rule "
            "warns about and is to be read with that caution; for progression, at or above the rule, the "
            "tests' answer is still no proof of proportionality."
        ),
    }
    assert ph_epv_texts({}, papers) == {
        "ph_epv_check": "No model was fitted, so there are no events per variable to read.",
        "ph_lesson": "",
        "ph_epv_conclusion": "",
    }


def _null_rates(term: float, kept: int, score_global: float = 0.65) -> dict:
    """One endpoint's simulated rejection rates (``methods.ph_null_rates``' shape): the arm term's
    exact test at ``term`` of ``kept`` samples kept, of 1,000 simulated."""
    return {
        "score_global": score_global,
        "approximation_global": 0.07,
        "score_term": term,
        "kept": kept,
        "reps": 1000,
    }


def test_ph_lesson_cites_the_simulated_size_of_the_arms_term_test():
    """Chapter 11 reads the simulated rejection rate under proportional hazards of one test of the arm's
    term, the exact test (1 − KM scale) in the model with covariates: the results section
    (``term_size``) with its rates, the samples kept and each endpoint judged against alpha ± two
    binomial SEs of its kept samples, none below ``min_kept_samples`` (it judged 1 kept sample against
    ±2·√(0.0475/1) = ±44 points); the lesson recalls that reading without its numbers (review 78: it
    repeated the same ~60 words) and keeps what was and was not simulated, power included. Shipped
    cohort (seed 20250101, 1,000 replicates): 118/988 = 11.94% for progression, 96/738 = 13.01% for
    death, both above 5% + 2·√(0.0475/n) (6.39% and 6.60%)."""
    from lcnec_utils.chapter.methods_glue import MIN_EXPECTED_REJECTIONS, MIN_KEPT_SAMPLES, _term_size

    assert (MIN_KEPT_SAMPLES, MIN_EXPECTED_REJECTIONS) == (100, 5)
    papers = fitted_model(PAPER_COVARIATES)

    rates = _null_rates

    head = (
        "Of these tests only one had its size simulated: under proportional hazards in the paper's model, "
        "the exact test on the 1 − KM scale "
    )
    lesson_head = (
        " Of the tests of the arm's term, this chapter simulated the size of one, under proportional hazards "
        "in the paper's model: the exact test on the 1 − KM scale. The approximation, the other time scales "
        "and the arm-only model's test were not simulated. The exact test's simulated size, given with the "
        "results above, is "
    )
    power = (
        ". The tests' power, how often they would detect a given departure from proportional hazards, was "
        "not simulated either, so the weight of a large p-value is not measured here."
    )
    shipped = {"pfs": rates(118 / 988, 988), "os": rates(96 / 738, 738)}
    assert _term_size(shipped, 0.05, papers) == (
        head + "rejects at the 5% level in 12% of the 988 samples kept for progression and 13% of the 738 "
        "kept for death, more than 5% by over two simulation standard errors. So for progression and death "
        "its p-values just below the 5% level are weaker evidence against proportional hazards than they look."
    )
    lesson = ph_epv_texts({"pfs": 29 / 12, "os": 25 / 12}, papers, shipped)["ph_lesson"]
    assert lesson.endswith(lesson_head + "more than 5% for progression and death" + power)
    assert "988" not in lesson and "12%" not in lesson  # recalled, not repeated
    assert lesson.startswith("Below the rule of ten, as the paper's model is for progression and death")
    # each endpoint judged on its own: 6.0% of 988 is within 5% + 1.39 points, 2.0% below 5% − 1.39
    mixed = {"pfs": rates(0.12, 988), "os": rates(0.06, 988)}
    assert _term_size(mixed, 0.05, papers) == (
        head + "rejects at the 5% level in 12% of the 988 samples kept for progression, more than 5% by over "
        "two simulation standard errors; 6% of the 988 kept for death, within two simulation standard errors "
        "of 5%. So for progression its p-values just below the 5% level are weaker evidence against "
        "proportional hazards than they look."
    )
    assert ph_epv_texts({"pfs": 10.0, "os": 10.0}, papers, mixed)["ph_lesson"].endswith(
        lesson_head
        + "more than 5% for progression and within two simulation standard errors of 5% for death"
        + power
    )
    low = {"os": rates(0.02, 988)}
    assert _term_size(low, 0.05, papers) == (
        head + "rejects at the 5% level in 2% of the 988 samples kept for death, less than 5% by over two "
        "simulation standard errors. So for death it rejects less often than its 5% level says."
    )
    # too few kept samples to judge: 1 and 5 (both), 30 (beside 988 judged); 20% of 5 was "above"
    few = {"pfs": rates(1.0, 1), "os": rates(0.2, 5)}
    assert _term_size(few, 0.05, papers) == (
        head + "has a size this page does not judge: the simulation kept only 1 sample for progression and "
        "5 samples for death, fewer than the 100 needed."
    )
    assert ph_epv_texts({"pfs": 2.0, "os": 2.0}, papers, few)["ph_lesson"].endswith(
        lesson_head + "not judged (too few samples kept) for progression and death" + power
    )
    thirty = {"pfs": rates(0.12, 988), "os": rates(0.1, 30)}
    assert _term_size(thirty, 0.05, papers) == (
        head + "rejects at the 5% level in 12% of the 988 samples kept for progression, more than 5% by over "
        "two simulation standard errors. The simulation kept only 30 samples for death, fewer than the 100 "
        "needed to judge a rate. So for progression its p-values just below the 5% level are weaker "
        "evidence against proportional hazards than they look."
    )
    # 5.4% of 100,000 is above 5% + 0.14 points but prints "5%" whole: one decimal there
    many = {"pfs": rates(0.054, 100_000)}
    assert "in 5.4% of the 100,000 samples kept for progression, more than 5%" in _term_size(
        many, 0.05, papers
    )
    # at the build's alpha, and a run that kept no sample or was not run is not cited
    p10 = _term_size({"pfs": rates(0.11, 988)}, 0.1, papers)
    assert (  # 11% of 988 is within 10% + 2·√(0.09/988) = 11.91%
        "rejects at the 10% level in 11% of the 988 samples kept for progression, within two simulation "
        "standard errors of 10%." in p10
    )
    for none in ({"pfs": None}, {"pfs": rates(float("nan"), 0)}, {}):
        assert ph_epv_texts({"pfs": 2.0}, papers, none)["ph_lesson"].endswith(
            "so how often they reject when the hazards are proportional, and how often they detect a "
            "departure, is not measured here."
        )


def test_the_minimum_of_kept_samples_scales_with_alpha():
    """Review 78: ``MIN_KEPT_SAMPLES`` = 100 alone let 100 samples judge a size of 0.1%, where they
    expect 0.1 rejections. The minimum is now also ``MIN_EXPECTED_REJECTIONS`` / alpha: 100 at 0.05 and
    0.1 (the shipped data's 988 and 738 still judged), 200 at 0.025, 5,000 at 0.001."""
    from lcnec_utils.chapter.methods_glue import _null_size, _size_judgement, _term_size, min_kept_samples

    assert [min_kept_samples(a) for a in (0.1, 0.05, 0.025, 0.001)] == [100, 100, 200, 5000]
    assert _size_judgement(0.12, 988, 0.05) == "above" and _size_judgement(0.13, 738, 0.05) == "above"
    assert _size_judgement(0.12, 99, 0.05) == "too few"
    # at 0.001, 988 kept samples expect about 1 rejection: not judged (the old rule judged 0.3% "above")
    assert _size_judgement(0.003, 988, 0.001) == "too few"
    assert _size_judgement(0.003, 5000, 0.001) == "above"
    papers = fitted_model(PAPER_COVARIATES)
    r = {
        "pfs": {
            "score_global": 0.6,
            "approximation_global": 0.002,
            "score_term": 0.003,
            "kept": 988,
            "reps": 1000,
        }
    }
    assert _term_size(r, 0.001, papers) == (
        "Of these tests only one had its size simulated: under proportional hazards in the paper's model, "
        "the exact test on the 1 − KM scale has a size this page does not judge: the simulation kept only 988 "
        "samples for progression, fewer than the 5,000 needed at 0.1%, where a test of size 0.1% would expect "
        "5 rejections in 5,000 samples."
    )
    assert _null_size(r, 0.001).endswith(
        "the global tests reject at the 0.1% level on the 1 − KM scale with these rates: the exact global test "
        "in 60.0%; the old approximation's global test in 0.2%. The simulation kept only 988 samples for "
        "progression, fewer than the 5,000 needed to judge a rate at 0.1%, where a test of size 0.1% would "
        "expect 5 rejections in 5,000 samples, so its rates are not judged."
    )


def test_the_arms_term_size_reads_the_same_in_the_results_the_lesson_and_the_conclusion():
    """The results section (``term_size``), the lesson (``ph_lesson``) and the conclusion
    (``term_size_recalled``) read the simulated size of the exact test of the arm's term from one
    per-endpoint judgement, with the same endpoint names: ``term_size`` said "more than 5%" only when
    every endpoint was above and named them "overall survival", the lesson judged each and said "death".
    Mixed rates, 12% and 6% of 988: above for progression, within for death, in all three; the
    conclusion refers back without the numbers, so the page gives them twice, not three times."""
    from lcnec_utils.chapter import ph_global_glue

    params = make_parameters()
    papers = fitted_model(PAPER_COVARIATES)

    rates = _null_rates

    mixed = {"pfs": rates(0.12, 988), "os": rates(0.06, 988)}
    reading = (
        "rejects at the 5% level in 12% of the 988 samples kept for progression, more than 5% by over two "
        "simulation standard errors; 6% of the 988 kept for death, within two simulation standard errors of "
        "5%. So for progression its p-values just below the 5% level are weaker evidence against "
        "proportional hazards than they look."
    )
    recalled = "more than 5% for progression and within two simulation standard errors of 5% for death"
    glue = ph_global_glue({}, {}, {}, params, mixed, papers)
    assert glue["term_size"][0] == (
        "Of these tests only one had its size simulated: under proportional hazards in the paper's model, "
        "the exact test on the 1 − KM scale " + reading
    )
    assert (
        "given with the results above, is " + recalled + ". "
        in (ph_epv_texts({"pfs": 2.0, "os": 2.0}, papers, mixed)["ph_lesson"])
    )
    # review 78: "its simulated size" after "R's current test" read as covering all its tests
    assert glue["term_size_recalled"][0] == (
        "the simulated size of its exact test on the 1 − KM scale, given above, is " + recalled
    )
    assert "overall survival" not in glue["term_size"][0] + glue["term_size_recalled"][0]
    # the global tests' paragraph no longer repeats the arm's term's rates
    assert "arm's term" not in glue["global_size"][0]
    shipped = {"pfs": rates(118 / 988, 988), "os": rates(96 / 738, 738)}
    assert ph_global_glue({}, {}, {}, params, shipped)["term_size_recalled"][0] == (
        "the simulated size of its exact test on the 1 − KM scale, given above, is more than 5% for "
        "progression and death"
    )


def test_ph_epv_texts_name_the_model_from_its_terms():
    """The model is "the paper's" only with all of the paper's covariates and no other. On the required
    columns it is the arm alone on the 25 deaths of the shipped cohort, 25.0 events per variable (the
    page said "The paper's model has 25.0 events per variable"); with 4 of the 11 covariates it is named
    so; without a name, "the model fitted here". 9.96 prints 10.0 and meets the rule."""
    choice = "a choice among tests made after seeing their p-values would"
    rule = "the rule of ten (the small-sample chapter)"
    alone = fitted_model([], ["patient_id", "group", "os_months", "os_event"])
    assert ph_epv_texts({"os": 25.0}, alone) == {
        "ph_epv_check": (
            "The model fitted here (the arm alone: the cohort has none of the paper's covariates) has 25.0 "
            f"events per variable for death, at or above {rule}; that does not make a large-sample test "
            "exact."
        ),
        "ph_lesson": (  # power is not simulated: "weak evidence" was a reading of it
            "Even with the model fitted here at or above the rule of ten, a proportional-hazards test cannot "
            "certify proportionality (a large p-value is not proof of it), and "
            f"{choice} still be a choice of conclusion. This page did not simulate the tests' size or power "
            "in this design, so how often they reject when the hazards are proportional, and how often they "
            "detect a departure, is not measured here."
        ),
        "ph_epv_conclusion": (
            "With the model fitted here at or above the rule of ten, the tests' answer is still no proof of "
            "proportionality."
        ),
    }
    four = fitted_model(["age", "sex", "ecog", "smoking"])
    assert ph_epv_texts({"os": 25 / 5}, four)["ph_epv_check"] == (
        "The model fitted here (the arm and 4 of the paper's 11 covariates) has 5.0 events per variable for "
        f"death, below {rule}: its fit is one the rule of ten warns about, so the tests built on it are to be "
        "read with caution."
    )
    assert ph_epv_texts({"os": 249 / 25})["ph_epv_check"] == (
        f"The model fitted here has 10.0 events per variable for death, at or above {rule}; that does not "
        "make a large-sample test exact."
    )
    assert ph_epv_texts({"os": 9.94})["ph_epv_conclusion"] == (
        "With the model fitted here below the rule of ten for death, the tests rest on a fit that rule warns "
        "about, and their answer is to be read with that caution."
    )


REQUIRED = ["patient_id", "group", "os_months", "os_event"]
VM_BELOW_FIVE = "falls below five events per variable (Vittinghoff and McCulloch found problems fairly frequent at 2 to 4)"


def test_fitted_model_is_the_papers_only_with_all_of_its_covariates():
    """Chapters 10 and 11 name the model with covariates from its terms: the paper's with all 11 of the
    paper's covariates and no other; otherwise "the model fitted here" with what it holds."""
    papers = fitted_model(PAPER_COVARIATES)
    assert (papers.short, papers.long, papers.is_papers, papers.arm_alone) == (
        "the paper's model",
        "the paper's model",
        True,
        False,
    )
    assert fitted_model([], REQUIRED).long == (
        "the model fitted here (the arm alone: the cohort has none of the paper's covariates)"
    )
    # the cohort has covariates, but none is in force (the build's covariates parameter)
    assert (
        fitted_model([], [*REQUIRED, "age"]).long
        == "the model fitted here (the arm alone: no covariate is in force)"
    )
    assert fitted_model([]).long == "the model fitted here (the arm alone: no covariate is in force)"
    assert (
        fitted_model(["age", "ecog"]).long
        == "the model fitted here (the arm and 2 of the paper's 11 covariates)"
    )
    assert fitted_model(["age", "ldh"]).long == (
        "the model fitted here (the arm and 1 of the paper's 11 covariates and 1 other covariate)"
    )
    assert (
        fitted_model(["ldh", "nse"]).long
        == "the model fitted here (the arm and 2 covariates, none of them the paper's)"
    )
    assert fitted_model([*PAPER_COVARIATES, "ldh"]).long == (
        "the model fitted here (the arm, the paper's 11 covariates and 1 other covariate)"
    )
    assert MODEL_FITTED_HERE.long == "the model fitted here"
    # as a table's row label (chapter 10's comparison table): capitalised, its terms, not the reason
    assert papers.label == "The paper's model (the arm and the paper's 11 covariates)"
    assert fitted_model([], REQUIRED).label == "The model fitted here (the arm alone)"
    assert (
        fitted_model(["age", "ecog"]).label
        == "The model fitted here (the arm and 2 of the paper's 11 covariates)"
    )
    assert MODEL_FITTED_HERE.label == "The model fitted here"


def test_a_model_whose_terms_are_not_known_is_not_the_papers():
    """MODEL_FITTED_HERE, the name when a model's covariates are not known, has no terms, and is_papers
    read "no terms" as "the paper's": it was True, and model_question put it as the paper's model ("On the
    cohort in force it puts ..."). Only fitted_model's paper's model is the paper's."""
    assert not MODEL_FITTED_HERE.is_papers and not MODEL_FITTED_HERE.arm_alone
    assert fitted_model(PAPER_COVARIATES).is_papers
    assert not fitted_model([], REQUIRED).is_papers
    assert model_question(MODEL_FITTED_HERE, 12, {"pfs": 29, "os": 25}) == (
        "On the cohort in force the model fitted here puts 12 terms on each endpoint's events: 29 "
        "progressions and 25 deaths."
    )


def test_covariates_are_listed_by_their_names_not_their_columns():
    """The models' names list covariates as the book names them (stats.covariate_name, from the Cox
    tables' term labels), not by column: "Reduced, pre-specified (the arm, age and ecog)" and "met_adrenal
    is constant in the complete cases" printed the columns."""
    from lcnec_utils.methods import arm_and
    from lcnec_utils.stats import covariate_name

    assert arm_and(["age", "ecog"]) == "the arm, age and ECOG PS"
    assert arm_and([]) == "the arm alone"
    assert arm_and(["ecog"]) == "the arm and ECOG PS"
    assert [
        covariate_name(c) for c in ("sex", "smoking", "met_adrenal", "ldh", "progrp", "chemo_regimen")
    ] == [
        "sex",
        "smoking history",
        "adrenal metastasis",
        "LDH",
        "ProGRP",
        "chemotherapy regimen",
    ]
    assert covariate_name("not_a_column") == "not_a_column"


def _shipped():
    from lcnec_utils.contract.params import DEFAULT_COHORT

    return pd.read_csv(DEFAULT_COHORT)


def test_fitted_model_is_named_from_the_designs_terms():
    """The model is named from its design's terms, not from the covariates asked for: met_adrenal set to
    0 for every patient is left out of the design (the page said "The paper's model has 11
    coefficients"), a three-level text smoking gives two terms (13 in all); the paper's model only with
    exactly its 12 terms. Without covariates the reason is what is true: the cohort lacks the covariates
    in force, which need not be the paper's."""
    params = make_parameters()
    cohort = _shipped()
    assert model_in_force(cohort, params).long == "the paper's model"
    flat = cohort.assign(met_adrenal=0)
    assert model_in_force(flat, params).long == (
        "the model fitted here (the arm and 10 of the paper's 11 covariates: adrenal metastasis is constant in "
        "the complete cases)"
    )
    three = cohort.assign(smoking=np.resize(["never", "former", "current"], len(cohort)))
    named = model_in_force(three, params)
    assert not named.is_papers
    assert (
        named.long == "the model fitted here (the arm and 12 covariate terms from the paper's 11 covariates)"
    )
    minimal = cohort[REQUIRED]
    assert model_in_force(minimal, params).long == (
        "the model fitted here (the arm alone: the cohort has none of the paper's covariates)"
    )
    others = make_parameters({"covariates": ["ldh", "nse"]})
    assert model_in_force(minimal, others).long == (
        "the model fitted here (the arm alone: the cohort has none of the covariates in force)"
    )
    assert model_in_force(minimal, make_parameters({"covariates": []})).long == (
        "the model fitted here (the arm alone: no covariate is in force)"
    )
    alone = model_in_force(cohort.assign(age=60.0), make_parameters({"covariates": ["age"]}))
    assert alone.arm_alone and alone.reason == "its covariate (age) is constant in the complete cases"


def test_instability_reading_follows_the_bootstrap_and_the_model():
    """Chapter 10's reading of the instability beyond the arm (it printed "the covariates' estimates rest
    on not available ... cannot be estimated on many bootstrap resamples: ... 0.1% did not converge" on the
    required columns): "many" judged per endpoint above 10% not converged; no covariate clause for the arm
    alone; the extreme fits "drive" an interval only where more than alpha/2 of the converged resamples are
    extreme on a side whose bound lies beyond 0.05 or 20; bounds to 3 significant figures, "below 0.001"."""
    papers = fitted_model(PAPER_COVARIATES)
    boot = {
        "pfs": BootstrapShares(0.254, 0.279, (0.0004, 2.89), 0.279, 0.0),
        "os": BootstrapShares(0.476, 0.187, (0.0011, 5.83), 0.187, 0.0),
    }
    sex = "sex (male vs female): HR 1.21 (0.15 to 9.64) for progression"
    wald = (
        "; the bootstrap cannot say in which direction the Wald intervals err, because it mostly shows that "
        "resampled data cannot carry the model."
    )
    assert instability_reading(papers, {"pfs": 29, "os": 25}, 12, boot, sex) == (
        "Beyond the arm, first, the covariates' estimates rest on 2.4 events per variable for progression and "
        f"2.1 for death, and the least precise, by the widest interval in either model, is {sex}; second, "
        "the paper's model as a whole cannot be estimated on many bootstrap resamples: 25.4% for progression "
        "and 47.6% for death did not converge, both more than the 10% this page calls many, and of the rest "
        "27.9% for progression and 18.7% for death put the arm's HR below 0.05 or above 20, which is what "
        "drives the percentile intervals (below 0.001 to 2.89 for progression and 0.0011 to 5.83 for death)"
        + wald
    )
    # one endpoint on each side of 10%: each judged on its own; 3.0% and 1.0% extreme, at most alpha/2 on
    # the one side (3.0% split 2.0% below, 1.0% above): no "drives"
    mixed = {
        "pfs": BootstrapShares(0.05, 0.01, (0.2, 2.89), 0.01, 0.0),
        "os": BootstrapShares(0.40, 0.03, (0.01, 30.0), 0.02, 0.01),
    }
    assert instability_reading(papers, {"pfs": 29, "os": 25}, 12, mixed) == (
        "Beyond the arm, first, the covariates' estimates rest on 2.4 events per variable for progression and "
        "2.1 for death; second, the paper's model as a whole cannot be estimated on many bootstrap resamples: "
        "40.0% for death did not converge, more than the 10% this page calls many, and 5.0% for progression, "
        "and of the rest 3.0% for death and 1.0% for progression put the arm's HR below 0.05 or above 20"
        + wald
    )
    # more than 2.5% extreme but the bound is not beyond 0.05: no "drives"; above 20 with the bound beyond
    assert "drives" not in instability_reading(
        papers, {"os": 25}, 12, {"os": BootstrapShares(0.2, 0.04, (0.06, 5.0), 0.04, 0.0)}
    )
    assert instability_reading(
        papers, {"os": 25}, 12, {"os": BootstrapShares(0.2, 0.04, (0.2, 123.4), 0.0, 0.04)}
    ).endswith("which is what drives the percentile interval (0.2 to 123)" + wald)
    # nothing converged: no "of the rest", no interval
    assert instability_reading(papers, {"os": 25}, 12, {"os": BootstrapShares(1.0, float("nan"))}) == (
        "Beyond the arm, first, the covariates' estimates rest on 2.1 events per variable for death; second, "
        "the paper's model as a whole cannot be estimated on many bootstrap resamples: 100.0% did not "
        "converge, more than the 10% this page calls many" + wald
    )
    alone = fitted_model([], REQUIRED)
    assert instability_reading(
        alone, {"os": 25}, 1, {"os": BootstrapShares(0.001, 0.001, (0.2, 0.9), 0.001, 0.0)}
    ) == (
        "The model fitted here could be estimated on all but 0.1% of the bootstrap resamples (at most the 10% "
        "this page calls many), and of the rest 0.1% put the arm's HR below 0.05 or above 20."
    )
    assert instability_reading(
        alone, {"os": 25}, 1, {"os": BootstrapShares(0.0, 0.04, (0.2, 25.0), 0.0, 0.04)}
    ) == (
        "The model fitted here could be estimated on every bootstrap resample, and of them 4.0% put the arm's "
        "HR below 0.05 or above 20, which is what drives the percentile interval (0.2 to 25)."
    )
    # exactly 10% is not "many"; without a bootstrap only the covariates are read
    assert "all but 10.0% of" in instability_reading(
        papers, {"os": 25}, 12, {"os": BootstrapShares(0.1, 0.0)}
    )
    assert instability_reading(papers, {"os": 25}, 12, {}) == (
        "Beyond the arm, the covariates' estimates rest on 2.1 events per variable for death."
    )
    assert instability_reading(alone, {}, None, {}) == (
        "Without a fitted model there is no instability beyond the arm to read."
    )


def test_model_question_says_which_model_is_fitted_on_which_events():
    """Chapter 10's question (it printed "The paper's ... model puts 1 term (the arm and 0 covariates)"
    on the required columns): shipped cohort 12 terms on 29 progressions and 25 deaths."""
    events = {"pfs": 29, "os": 25}
    assert model_question(fitted_model(PAPER_COVARIATES), 12, events) == (
        "On the cohort in force it puts 12 terms on each endpoint's events: 29 progressions and 25 deaths."
    )
    assert model_question(fitted_model([], REQUIRED), 1, {"os": 25}) == (
        "The cohort has none of the paper's covariates, so the model fitted here is the arm alone: 1 term on "
        "25 deaths."
    )
    assert model_question(fitted_model(["age", "ecog"]), 3, {"os": 1}) == (
        "On the cohort in force the model fitted here is the arm and 2 of the paper's 11 covariates: 3 terms "
        "on 1 death."
    )
    assert (
        model_question(fitted_model([]), None, {}) == "The cohort in force has no endpoint to fit a model to."
    )


def test_full_epv_reading_names_the_model_and_reads_each_endpoint():
    """Chapter 10's reading of the full model's size, endpoints with the same verdict together; the
    verdicts compare the value as printed (124 / 25 = 4.96 prints 5.0)."""
    papers = fitted_model(PAPER_COVARIATES)
    assert full_epv_reading(papers, 12, {"pfs": 29, "os": 25}) == (
        "The paper's model has 12 coefficients: 2.4 events per variable for progression (29 progressions) "
        f"and 2.1 for death (25 deaths), each of which {VM_BELOW_FIVE}."
    )
    assert full_epv_reading(fitted_model([], REQUIRED), 1, {"os": 25}) == (
        "The model fitted here (the arm alone: the cohort has none of the paper's covariates) has 1 "
        "coefficient: 25.0 events per variable for death (25 deaths), which meets the rule of ten."
    )
    assert full_epv_reading(papers, 25, {"pfs": 249, "os": 124}) == (
        "The paper's model has 25 coefficients: 10.0 events per variable for progression (249 progressions), "
        "which meets the rule of ten; 5.0 for death (124 deaths), which falls below the rule of ten, between "
        "5 and 10 events per variable (Vittinghoff and McCulloch found problems uncommon at 5 to 9)."
    )
    assert (
        full_epv_reading(papers, None, {})
        == "No model was fitted, so there are no events per variable to read."
    )


def test_confounders_at_rule_count_the_events_per_variable_as_printed():
    """The model the data can carry at ten events per variable is counted with the events per variable
    as the page prints and judges them, to one decimal: 249 / 25 = 9.96 prints "10.0" and meets the rule,
    so 249 events carry 25 coefficients, the arm and 24 confounders (``249 // 10 - 1`` said 23, calling a
    printed 10.0 below ten); 248 / 25 = 9.92 prints 9.9; 199 / 20 is 9.9499... in floating point and
    prints 9.9; at five, 99 / 20 = 4.95 prints 5.0."""
    from lcnec_utils.chapter.model_size import coefficients_at_epv, confounders_at_rule
    from lcnec_utils.methods.smallsample import epv_verdict

    assert [coefficients_at_epv(e) for e in (0, 9, 10, 29, 199, 248, 249)] == [0, 0, 1, 2, 19, 24, 25]
    assert [confounders_at_rule(e) for e in (0, 9, 19, 20, 29, 248, 249)] == [0, 0, 0, 1, 1, 23, 24]
    assert coefficients_at_epv(99, 5.0) == 20 and coefficients_at_epv(98, 5.0) == 19
    # the count agrees with the verdict the page prints beside it, at every number of events
    for events in range(1, 700):
        k = coefficients_at_epv(events)
        assert k == 0 or epv_verdict(events / k) == "meets the rule of ten"
        assert epv_verdict(events / (k + 1)) != "meets the rule of ten"
    # the warning: a model of 26 coefficients on 249 deaths (9.6) is below the rule, and the model the
    # data can carry is the one of 25 (24 confounders), which the same function says meets it
    papers = fitted_model(PAPER_COVARIATES)
    assert "at most 24 pre-specified confounders (ten events per variable)" in adjustment_warning(
        papers, 26, {"os": 249}
    )
    assert "10.0 events per variable for death, at or above the rule of ten" in adjustment_warning(
        papers, 25, {"os": 249}
    )


def test_chapter_10_readings_take_the_terms_per_endpoint():
    """Each endpoint's model has its own complete cases and so its own terms: the readings count them
    per endpoint where they differ (the page applied the first endpoint's to both)."""
    from lcnec_utils.chapter.model_size import model_epvs, model_question

    named = fitted_model(["age", "sex", "ecog", "smoking"])
    terms, events = {"pfs": 5, "os": 4}, {"pfs": 50, "os": 40}
    assert model_epvs(terms, events) == {"pfs": 10.0, "os": 10.0}
    assert model_question(named, terms, events) == (
        "On the cohort in force the model fitted here is the arm and 4 of the paper's 11 covariates: 5 terms "
        "on 50 progressions and 4 on 40 deaths."
    )
    assert full_epv_reading(named, terms, events).startswith(
        "The model fitted here (the arm and 4 of the paper's 11 covariates) has 5 coefficients for "
        "progression and 4 for death: 10.0 events per variable for progression (50 progressions) and 10.0 "
        "for death (40 deaths), each of which meets the rule of ten."
    )
    assert adjustment_warning(named, terms, events).startswith(
        "The model fitted here spends 5 coefficients on 50 progressions and 4 on 40 deaths: 10.0 events per "
        "variable for progression and 10.0 for death, at or above the rule of ten"
    )
    assert adjustment_warning(named, {"pfs": 5, "os": 12}, {"pfs": 50, "os": 25}).endswith(
        "the model fitted here spends 12 coefficients on 25 deaths: 2.1 events per variable, below the rule "
        "of ten; for progression, with 10.0 events per variable, it meets the rule."
    )
    # equal counts read as one, as before
    assert model_question(named, {"pfs": 5, "os": 5}, events).endswith(
        "5 terms on each endpoint's events: 50 progressions and 40 deaths."
    )


def test_adjustment_warning_follows_the_models_terms_and_events_per_variable():
    """Chapter 10's summary warning (it typed "31 patients cannot adjust for 11 factors" whatever the
    cohort, and "cannot adjust for 0 factors" on the required columns): below the rule of ten for every
    endpoint, for one, for none, and the arm alone. The events per variable are the events over the
    terms, computed inside (125 / 12 = 10.4 meets the rule, 100 / 12 = 8.3 does not). The model the data
    can carry is the arm with at most confounders_at_rule(events) confounders (the chapter's exercise 1;
    events // 10 - 1 away from the printing boundary): 1 on the
    shipped cohort (29 and 25 events), none below 20 events ("the arm alone"), per endpoint when the
    counts differ."""
    papers = fitted_model(PAPER_COVARIATES)

    def carry(models):
        return (
            f"the defensible summary is a model the data can carry, {models}, reported with the warning that"
        )

    one = carry("the arm alone or the arm with at most 1 pre-specified confounder (ten events per variable)")
    assert adjustment_warning(papers, 12, {"pfs": 29, "os": 25}) == (
        f"T{one[1:]} the paper's model spends 12 coefficients on 29 progressions and on 25 deaths: 2.4 and "
        "2.1 events per variable, below the rule of ten."
    )
    # the chapter passes its exercise's counts, which agree with the default here
    assert adjustment_warning(papers, 12, {"pfs": 29, "os": 25}, {"pfs": 1, "os": 1}) == adjustment_warning(
        papers, 12, {"pfs": 29, "os": 25}
    )
    nine = carry(
        "the arm alone or the arm with at most 9 pre-specified confounders (ten events per variable)"
    )
    assert adjustment_warning(papers, 12, {"pfs": 125, "os": 100}) == (
        f"For death, {nine} the paper's model spends 12 coefficients on 100 deaths: 8.3 events per "
        "variable, below the rule of ten; for progression, with 10.4 events per variable, it meets the rule."
    )
    assert adjustment_warning(papers, 12, {"os": 19}) == (
        f"T{carry('the arm alone')[1:]} the paper's model spends 12 coefficients on 19 deaths: 1.6 events per "
        "variable, below the rule of ten."
    )
    # fewer than ten events: even the arm alone is below the rule of ten, and the page says so
    below = ", though on 9 deaths even the arm alone is below the rule of ten (fewer than ten events for its one coefficient)"
    assert adjustment_warning(papers, 12, {"os": 9}) == (
        f"T{carry('the arm alone' + below)[1:]} the paper's model spends 12 coefficients on 9 deaths: 0.8 "
        "events per variable, below the rule of ten."
    )
    assert adjustment_warning(papers, 12, {"pfs": 9, "os": 25}) == (
        "The defensible summary is a model the data can carry, the arm alone or the arm with at most 0 "
        "pre-specified confounders for progression and 1 for death (ten events per variable), though on 9 "
        "progressions even the arm alone is below the rule of ten (fewer than ten events for its one "
        "coefficient), reported with the warning that the paper's model spends 12 coefficients on 9 "
        "progressions and on 25 deaths: 0.8 and 2.1 events per variable, below the rule of ten."
    )
    differ = carry(
        "the arm alone or the arm with at most 4 pre-specified confounders for progression and 2 for death "
        "(ten events per variable)"
    )
    assert adjustment_warning(papers, 12, {"pfs": 50, "os": 30}) == (
        f"T{differ[1:]} the paper's model spends 12 coefficients on 50 progressions and on 30 deaths: 4.2 and "
        "2.5 events per variable, below the rule of ten."
    )
    four = fitted_model(["age", "sex", "ecog", "smoking"])
    assert adjustment_warning(four, 5, {"os": 50}) == (
        "The model fitted here spends 5 coefficients on 50 deaths: 10.0 events per variable for death, at or "
        "above the rule of ten, so by that rule the data can carry it; its adjustment removes only the "
        "confounding that its covariates measure."
    )
    assert adjustment_warning(fitted_model([], REQUIRED), 1, {"os": 25}) == (
        "The cohort has none of the paper's covariates, so the model fitted here is the arm alone: it adjusts "
        "for nothing, and the hazard ratio it gives is the crude comparison of the arms, open to whatever "
        "confounding separates them."
    )
    assert (
        adjustment_warning(papers, None, {})
        == "No model was fitted, so there is no adjusted summary to qualify."
    )


def test_paper_model_caution_reads_the_papers_own_model():
    """The paper's "only ECOG" finding is read against the paper's own model, whatever the cohort: 12
    coefficients (the arm and Table 4's 11 covariates) on at most 31 events, 31 / 12 = 2.58."""
    from lcnec_utils.contract.published import published_values

    tail = (
        ': its "only ECOG was an independent prognostic factor" finding, and with it the claim that the '
        'other factors "did not demonstrate significant effects", rest on that model'
    )
    assert paper_model_caution(published_values()) == (
        "The paper's own model put 12 coefficients on at most 31 events (the paper does not print its "
        "events; there is at most one per patient), at most 2.6 events per variable, which "
        f"{VM_BELOW_FIVE}{tail} and fall under the same caution."
    )
    table4 = {f"pfs.cox_multivariable.{c}.hr": 1.0 for c in PAPER_COVARIATES}
    assert paper_model_caution({"n.total": 96, **table4}).endswith(  # 8.0: below ten, not "between"
        "at most 8.0 events per variable, below the rule of ten" + tail + " and fall under the same caution."
    )
    assert paper_model_caution({"n.total": 600, **table4}).endswith(
        "at most 50.0 events per variable" + tail + "."
    )
    assert paper_model_caution({}).endswith(
        "rest on its own model, whose size the printed numbers do not give."
    )


def test_small_sample_teaching_glue_reads_the_epv_as_printed():
    """Chapter 10's verdicts beside EPVs printed to one decimal: 4.96 prints 5.0 (not "below five"),
    9.96 prints 10.0 (the rule met), in the full and reduced rows, the summary warning and the Wald
    reading."""

    def table(events, terms, reduced_terms):
        return pd.DataFrame(
            {
                "model": ["univariable", "full", "firth", "ridge", "reduced"],
                "hr": [0.5] * 5,
                "ci_low": [0.3] * 5,
                "ci_high": [0.9] * 5,
                "converged": [True] * 5,
                "epv": [events, events / terms, events / terms, events / terms, events / reduced_terms],
                "events": [events] * 5,
                "terms": [1, terms, terms, terms, reduced_terms],
            }
        )

    model = fitted_model(PAPER_COVARIATES)
    glue = small_sample_teaching_glue({"os": table(124, 25, 25)}, {}, 200, 0.1, published={}, model=model)
    between = (
        "falls below the rule of ten, between 5 and 10 events per variable (Vittinghoff and McCulloch found "
        "problems uncommon at 5 to 9)"
    )
    assert glue["os_full_verdict"] == (between, "{}") and glue["os_reduced_verdict"] == (between, "{}")
    assert glue["adjust_warning"][0].endswith(
        "on 124 deaths: 5.0 events per variable, below the rule of ten."
    )
    glue = small_sample_teaching_glue({"os": table(249, 25, 3)}, {}, 300, 0.1, published={}, model=model)
    assert glue["os_full_verdict"] == ("meets the rule of ten", "{}")
    assert glue["full_epv_text"][0] == (
        "The paper's model has 25 coefficients: 10.0 events per variable for death (249 deaths), which meets "
        "the rule of ten."
    )
    assert glue["wald_reading"][0] == (  # Peduzzi et al. call ten the most prudent, not a guarantee
        "At these events per variable the model meets the rule of ten, the level Peduzzi and colleagues "
        "found the most prudent; it is a rule of thumb, not a guarantee that the Wald intervals of the "
        "ordinary fit have their nominal coverage"
    )
    # without a name, a one-term full model is the arm alone, for a reason true of any cohort
    glue = small_sample_teaching_glue({"os": table(25, 1, 1)}, {}, 31, 0.1, published={})
    assert glue["model_question"][0] == (
        "No covariate is in force, so the model fitted here is the arm alone: 1 term on 25 deaths."
    )


def test_format_bootstrap_bound_never_prints_zero():
    # a percentile bound the resamples push towards 0 printed as "0.000" before (review 71)
    from lcnec_utils.stats.format import format_bootstrap_bound

    assert format_bootstrap_bound(0.0004) == "below 0.001"
    assert format_bootstrap_bound(0.001) == "0.001"
    assert format_bootstrap_bound(0.2) == "0.2"
    assert format_bootstrap_bound(2.891) == "2.89"
    assert format_bootstrap_bound(1234.6) == "1,235"


def test_comparison_table_prints_bootstrap_bounds_as_the_prose_does():
    # chapter 10's table printed the percentile interval to two decimals, "0.53 (0.00–5.83)", where
    # its paragraph read "below 0.001 to 5.83"; the Wald and profile rows keep two decimals
    import pandas as pd

    from lcnec_utils.methods import smallsample

    common = {"terms": 12, "events": 25, "epv": 25 / 12, "converged": True}
    rows = [
        {
            **common,
            "model": "full",
            "label": "Full",
            "hr": 0.53,
            "ci_low": 0.2249,
            "ci_high": 1.2351,
            "p": 0.143,
            "method": "Cox PH, Efron ties, Wald CI",
        },
        {
            **common,
            "model": "firth",
            "label": "Firth",
            "hr": 0.5512,
            "ci_low": 0.0004,
            "ci_high": 1.2249,
            "p": 0.143,
            "method": "Firth",
        },
        {
            **common,
            "model": "bootstrap",
            "label": "Bootstrap",
            "hr": 0.53,
            "ci_low": 0.0004,
            "ci_high": 5.8312,
            "p": float("nan"),
            "method": "percentile",
        },
        {
            **common,
            "model": "bootstrap",
            "label": "Bootstrap, wide",
            "hr": 0.53,
            "ci_low": 0.01234,
            "ci_high": 1234.6,
            "p": float("nan"),
            "method": "percentile",
        },
        {
            **common,
            "model": "bootstrap",
            "label": "Bootstrap, none converged",
            "hr": 0.53,
            "ci_low": float("nan"),
            "ci_high": float("nan"),
            "p": float("nan"),
            "method": "percentile",
        },
    ]
    table = pd.DataFrame(rows, columns=smallsample.COMPARISON_COLUMNS)
    cells = list(smallsample.format_comparison(table)["HR of the arm (95% CI)"])
    assert cells == [
        "0.53 (0.22–1.24)",
        "0.55 (0.00–1.22)",  # a profile bound keeps the two decimals of every non-bootstrap interval
        "0.53 (below 0.001 to 5.83)",
        "0.53 (0.0123 to 1,235)",
        "—",
    ]


def test_the_least_precise_term_is_named_mid_sentence_as_prose_names_covariates():
    """Chapter 10's instability paragraph names the least precise term inside a sentence: lower-cased
    unless its first word is an abbreviation (stats.covariate_name's rule), its coding kept. It printed
    the table's label, "is Sex (male vs female)"."""
    from types import SimpleNamespace

    from lcnec_utils.chapter.methods_glue import _unstable_covariate
    from lcnec_utils.stats.cox import term_in_prose, term_label

    assert [term_in_prose(t) for t in ("sex_male", "ecog", "met_adrenal", "chemo_regimen_EP")] == [
        "sex (male vs female)",
        "ECOG PS (per point)",
        "adrenal metastasis (yes vs no)",
        "chemotherapy regimen: EP",
    ]

    def fit(widest):
        table = pd.DataFrame(
            {
                "term": ["treatment", "age", widest],
                "label": [term_label(t) for t in ("treatment", "age", widest)],
                "hr": [0.5, 1.02, 1.48],
                "ci_low": [0.2, 0.98, 0.1],
                "ci_high": [1.1, 1.06, 21.0],
            }
        )
        return SimpleNamespace(
            converged=True, table=table, term=lambda t: table.set_index("term").loc[t].to_dict()
        )

    # review 78: named by event, as the rest of chapter 10's instability sentence names the endpoints
    # ("2.4 events per variable for progression"); it said "for overall survival" there
    assert _unstable_covariate({"os": fit("sex_male")}) == (
        "sex (male vs female): HR 1.48 (0.10 to 21.00) for death"
    )
    assert _unstable_covariate({"pfs": fit("sex_male"), "os": fit("sex_male")}) == (
        "sex (male vs female): HR 1.48 (0.10 to 21.00) for progression and 1.48 (0.10 to 21.00) for death"
    )
    assert _unstable_covariate({"os": fit("ecog")}).startswith("ECOG PS (per point): HR 1.48")


def test_alpha_prints_exactly_as_a_percentage():
    """The size sentences print alpha as a percentage with the decimals it needs: f"{alpha:.0%}" printed
    2.5% as "2%" and 0.1% as "0%"."""
    from lcnec_utils.chapter.methods_glue import _term_size
    from lcnec_utils.stats.format import format_alpha_pct

    assert [format_alpha_pct(a) for a in (0.05, 0.025, 0.001, 0.1, 0.07)] == [
        "5%",
        "2.5%",
        "0.1%",
        "10%",
        "7%",
    ]
    papers = fitted_model(PAPER_COVARIATES)

    def rates(term, kept):
        return _null_rates(term, kept, score_global=0.6)

    # 3.0% of 988 at 0.025: within 2.5% ± 2·√(0.024375/988) = 0.99 points; the rate to alpha's one decimal
    assert (
        "rejects at the 2.5% level in 3.0% of the 988 samples kept for progression, within two simulation "
        "standard errors of 2.5%" in _term_size({"pfs": rates(0.03, 988)}, 0.025, papers)
    )
    # 0.15% of 100,000 at 0.001: above 0.1% + 0.02 points; "0.1%" would print alpha's, so one more decimal
    assert (
        "rejects at the 0.1% level in 0.15% of the 100,000 samples kept for death, more than 0.1% by over two "
        "simulation standard errors" in _term_size({"os": rates(0.0015, 100_000)}, 0.001, papers)
    )
