"""The Cox model with covariates that a methods chapter fits, in words: which model it is, its
coefficients and events, and its events per variable against the rules.

The paper's model is the arm and the paper's covariates (:data:`~lcnec_utils.contract.params.PAPER_COVARIATES`).
A cohort in force may hold only some of them, or none (a hospital export with the required columns
only), and the build's ``covariates`` parameter may name others; the model fitted is then not the
paper's and is never called so (:func:`fitted_model`). The events per variable are read with
:func:`~lcnec_utils.methods.smallsample.epv_verdict` as printed, to one decimal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from lcnec_utils.chapter.page import ENDPOINTS
from lcnec_utils.contract.params import PAPER_COVARIATES
from lcnec_utils.methods.smallsample import EPV_FLOOR, EPV_RULE, epv_as_printed, epv_verdict
from lcnec_utils.stats.attainable import events_per_variable
from lcnec_utils.stats.format import format_count

#: Each endpoint's events as the methods chapters name them ("29 progressions", "25 deaths").
EVENT_NOUNS = {"pfs": "progression", "os": "death"}


@dataclass(frozen=True)
class FittedModel:
    """The name of a chapter's model with covariates. ``short`` is "the paper's model" when its
    covariates are the paper's, all of them and no other, else "the model fitted here"; ``terms``
    says which terms it has ("the arm alone", "the arm and 4 of the paper's 11 covariates"; None for
    the paper's model) and ``reason`` why it has no covariate (None when it has some)."""

    short: str
    terms: str | None = None
    reason: str | None = None

    @property
    def is_papers(self) -> bool:
        return self.terms is None

    @property
    def arm_alone(self) -> bool:
        return self.terms == "the arm alone"

    @property
    def long(self) -> str:
        """The name with its terms: "the model fitted here (the arm alone: the cohort has none of the
        paper's covariates)"."""
        if self.terms is None:
            return self.short
        return f"{self.short} ({self.terms}{'' if self.reason is None else ': ' + self.reason})"


#: The name when the model's covariates are not known: true of any model.
MODEL_FITTED_HERE = FittedModel("the model fitted here")


def fitted_model(covariates: Sequence[str], cohort_columns: Iterable[str] | None = None) -> FittedModel:
    """Name the model of the arm and ``covariates`` (those in force and in the cohort). Without
    covariates it is the arm alone, because the cohort has none of the paper's covariates (where
    ``cohort_columns`` show it) or because no covariate is in force."""
    paper = list(PAPER_COVARIATES)
    ours = [c for c in covariates if c in paper]
    others = [c for c in covariates if c not in paper]
    if len(ours) == len(paper) and not others:
        return FittedModel("the paper's model")
    short = "the model fitted here"
    if not covariates:
        lacking = cohort_columns is not None and not set(paper) & set(cohort_columns)
        reason = "the cohort has none of the paper's covariates" if lacking else "no covariate is in force"
        return FittedModel(short, "the arm alone", reason)
    extra = format_count(len(others), "other covariate")
    if not ours:
        return FittedModel(
            short, f"the arm and {format_count(len(others), 'covariate')}, none of them the paper's"
        )
    if len(ours) == len(paper):
        return FittedModel(short, f"the arm, the paper's {len(paper)} covariates and {extra}")
    terms = f"the arm and {len(ours)} of the paper's {len(paper)} covariates"
    return FittedModel(short, terms + (f" and {extra}" if others else ""))


def _events_text(events: Mapping[str, int]) -> str:
    """Each endpoint's events with their noun, in the page's order: "29 progressions and 25 deaths"."""
    return " and ".join(format_count(events[ep], EVENT_NOUNS[ep]) for ep in ENDPOINTS if ep in events)


def _names(eps: Sequence[str]) -> str:
    return " and ".join(EVENT_NOUNS[ep] for ep in eps)


def _epv_values(epvs: Mapping[str, float], eps: Sequence[str]) -> str:
    """The events per variable of ``eps``, the unit on the first only: "2.4 events per variable for
    progression and 2.1 for death"."""
    return " and ".join(
        f"{epvs[ep]:.1f}{' events per variable' if i == 0 else ''} for {EVENT_NOUNS[ep]}"
        for i, ep in enumerate(eps)
    )


def model_question(model: FittedModel, terms: int | None, events: Mapping[str, int]) -> str:
    """Chapter 10's question, after the paper's model is described: the model fitted on the cohort in
    force and the events it is fitted on. ``terms`` is its number of coefficients, ``events`` each
    endpoint's events (endpoints present)."""
    if terms is None or not events:
        return "The cohort in force has no endpoint to fit a model to."
    each = "each endpoint's events: " if len(events) > 1 else ""
    on = f"{format_count(terms, 'term')} on {each}{_events_text(events)}"
    if model.is_papers:
        return f"On the cohort in force it puts {on}."
    if model.arm_alone:
        return (
            f"{model.reason[0].upper()}{model.reason[1:]}, so the model fitted here is the arm alone: {on}."
        )
    return f"On the cohort in force the model fitted here is {model.terms}: {on}."


def full_epv_reading(
    model: FittedModel, terms: int | None, events: Mapping[str, int], epvs: Mapping[str, float]
) -> str:
    """Chapter 10's reading of its model's size: the model by name, its coefficients, and per endpoint
    present its events per variable (with its events) and :func:`epv_verdict`, endpoints with the same
    verdict together ("each of which ...")."""
    if terms is None or not epvs:
        return "No model was fitted, so there are no events per variable to read."
    eps = [ep for ep in ENDPOINTS if ep in epvs]
    groups: dict[str, list[str]] = {}
    for ep in eps:
        groups.setdefault(epv_verdict(epvs[ep]), []).append(ep)
    parts, first = [], True
    for verdict, group in groups.items():
        values = " and ".join(
            f"{epvs[ep]:.1f}{' events per variable' if first and i == 0 else ''} for {EVENT_NOUNS[ep]} "
            f"({format_count(events[ep], EVENT_NOUNS[ep])})"
            for i, ep in enumerate(group)
        )
        first = False
        parts.append(f"{values}, {'which' if len(group) == 1 else 'each of which'} {verdict}")
    name = model.long[0].upper() + model.long[1:]
    return f"{name} has {format_count(terms, 'coefficient')}: " + "; ".join(parts) + "."


def adjustment_warning(
    model: FittedModel, terms: int | None, events: Mapping[str, int], epvs: Mapping[str, float]
) -> str:
    """Chapter 10's defensible summary: the warning that goes with it, from the model's coefficients,
    each endpoint's events and the events per variable against the rule of ten (compared as printed).
    The page typed that 31 patients could not adjust for 11 factors whatever the cohort, counted in
    patients although the information is in the events, and printed 0 factors on a cohort with the
    required columns only."""
    if terms is None or not epvs:
        return "No model was fitted, so there is no adjusted summary to qualify."
    if model.arm_alone:
        return (
            f"{model.reason[0].upper()}{model.reason[1:]}, so the model fitted here is the arm alone: it "
            "adjusts for nothing, and the hazard ratio it gives is the crude comparison of the arms, open to "
            "whatever confounding separates them."
        )
    eps = [ep for ep in ENDPOINTS if ep in epvs]
    low = [ep for ep in eps if epv_as_printed(epvs[ep]) < EPV_RULE]
    met = [ep for ep in eps if ep not in low]
    spends = f"{model.short} spends {format_count(terms, 'coefficient')} on "
    carry = (
        "the defensible summary is a model the data can carry, the arm alone or the arm with a few "
        "pre-specified confounders, reported with the warning that "
    )
    if low:
        on = " and on ".join(format_count(events[ep], EVENT_NOUNS[ep]) for ep in low)
        values = " and ".join(f"{epvs[ep]:.1f}" for ep in low)
        warning = f"{spends}{on}: {values} events per variable, below the rule of ten"
        if not met:
            return f"{carry[0].upper()}{carry[1:]}{warning}."
        return (
            f"For {_names(low)}, {carry}{warning}; for {_names(met)}, with "
            f"{' and '.join(f'{epvs[ep]:.1f}' for ep in met)} events per variable, it meets the rule."
        )
    name = model.short[0].upper() + model.short[1:]
    return (
        f"{name} spends {format_count(terms, 'coefficient')} on {_events_text(events)}: "
        f"{_epv_values(epvs, met)}, at or above the rule of ten, so by that rule the data can carry it; "
        "its adjustment removes only the confounding that its covariates measure."
    )


def paper_model_caution(published: Mapping[str, float]) -> str:
    """The paper's own model against its events, from its printed numbers: the arm and the covariates
    of Table 4 on at most one event per patient (the paper does not print its events), and what that
    means for its "only ECOG" finding. The same on every cohort the book runs on."""
    n = published.get("n.total")
    covs = [c for c in PAPER_COVARIATES if f"pfs.cox_multivariable.{c}.hr" in published]
    if n is None or not covs:
        return (
            'The paper\'s "only ECOG was an independent prognostic factor" finding, and with it the claim '
            'that the other factors "did not demonstrate significant effects", rest on its own model, '
            "whose size the printed numbers do not give."
        )
    terms = 1 + len(covs)
    bound = events_per_variable(int(n), terms)
    # a verdict on the bound holds for the model only where the bound itself falls below a threshold
    shown = epv_as_printed(bound)
    verdict = (
        f", which {epv_verdict(bound)}"
        if shown < EPV_FLOOR
        else ", below the rule of ten"
        if shown < EPV_RULE
        else ""
    )
    return (
        f"The paper's own model put {format_count(terms, 'coefficient')} on at most "
        f"{format_count(int(n), 'event')} (the paper does not print its events; there is at most one per "
        f'patient), at most {bound:.1f} events per variable{verdict}: its "only ECOG was an independent '
        'prognostic factor" finding, and with it the claim that the other factors "did not demonstrate '
        'significant effects", rest on that model' + (" and fall under the same caution." if verdict else ".")
    )
