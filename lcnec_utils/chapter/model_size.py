"""The Cox model with covariates that a methods chapter fits, in words: which model it is, its
coefficients and events, and its events per variable against the rules.

The paper's model is the arm and the paper's covariates (:data:`~lcnec_utils.contract.params.PAPER_COVARIATES`).
A cohort in force may hold only some of them, or none (a hospital export with the required columns
only), and the build's ``covariates`` parameter may name others; the model fitted is then not the
paper's and is never called so (:func:`~lcnec_utils.methods.model_name.fitted_model`, in the methods
layer, so that chapter 10's comparison table names its rows the same way). The events per variable are
read with :func:`~lcnec_utils.methods.smallsample.epv_verdict` as printed, to one decimal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from lcnec_utils.chapter.page import ENDPOINTS
from lcnec_utils.contract.params import PAPER_COVARIATES
from lcnec_utils.methods.model_name import FittedModel, fitted_model
from lcnec_utils.methods.smallsample import EPV_FLOOR, EPV_RULE, EXTREME_HR, epv_as_printed, epv_verdict
from lcnec_utils.stats.attainable import events_per_variable
from lcnec_utils.stats.cox import design_matrix
from lcnec_utils.stats.format import format_bootstrap_bound, format_count, format_pct
from lcnec_utils.stats.survival import EndpointUnavailable

#: Each endpoint's events as the methods chapters name them ("29 progressions", "25 deaths").
EVENT_NOUNS = {"pfs": "progression", "os": "death"}


def model_in_force(cohort: pd.DataFrame, params, endpoint: str | None = None) -> FittedModel:
    """The name of the model with covariates that the methods chapters fit on ``cohort``: the arm and
    the covariates of ``params`` present in it, named from the terms of their design matrix
    (:func:`~lcnec_utils.methods.model_name.fitted_model`).

    Each endpoint is fitted on its own complete cases, its time and event included (a blank PFS drops
    the patient from the PFS model only), so a covariate can be constant, or a level absent, in one
    endpoint's complete cases and not in the other's: the terms, and the name, are per endpoint. With
    ``endpoint`` the name is that endpoint's model's; without, it is the name every endpoint present
    gives, or, where they differ, "the model fitted here" with each endpoint's terms ("for progression
    the arm and 10 of the paper's 11 covariates, since adrenal metastasis is constant in the complete
    cases; for death the arm and the paper's 11 covariates"). A cohort with no endpoint falls back on the
    complete cases of the covariates alone."""
    present = [c for c in params.covariates if c in cohort.columns]
    if endpoint is None:
        names = {}
        for ep in ENDPOINTS:
            try:
                names[ep] = model_in_force(cohort, params, ep)
            except EndpointUnavailable:
                continue
        distinct = set(names.values())
        if len(distinct) == 1:
            return next(iter(distinct))
        if names:
            return FittedModel(
                "the model fitted here",
                "; ".join(f"for {EVENT_NOUNS[ep]} {name.terms_with_reason}" for ep, name in names.items()),
            )
    try:  # an absent endpoint's EndpointUnavailable (a LookupError) goes to the caller
        design = design_matrix(cohort, present, params.reference_group, params.treatment_group, endpoint)
    except ValueError:  # no complete case in an arm: no design to name the terms from
        design = None
    return fitted_model(present, cohort.columns, in_force=params.covariates, design=design)


def _events_text(events: Mapping[str, int]) -> str:
    """Each endpoint's events with their noun, in the page's order: "29 progressions and 25 deaths"."""
    return " and ".join(format_count(events[ep], EVENT_NOUNS[ep]) for ep in ENDPOINTS if ep in events)


def event_names(eps: Sequence[str]) -> str:
    """The endpoints ``eps`` by their events, listed: "progression and death"."""
    return " and ".join(EVENT_NOUNS[ep] for ep in eps)


def epv_values(epvs: Mapping[str, float], eps: Sequence[str]) -> str:
    """The events per variable of ``eps``, the unit on the first only: "2.4 events per variable for
    progression and 2.1 for death"."""
    return " and ".join(
        f"{epvs[ep]:.1f}{' events per variable' if i == 0 else ''} for {EVENT_NOUNS[ep]}"
        for i, ep in enumerate(eps)
    )


#: A model's number of coefficients: one for every endpoint, or per endpoint (each endpoint's model is
#: fitted on its own complete cases, so a covariate constant in one endpoint's has no term there).
_Terms = int | Mapping[str, int] | None


def _terms_of(terms: _Terms, ep: str) -> int | None:
    """The coefficients of ``ep``'s model (None where not known)."""
    if isinstance(terms, Mapping):
        return terms.get(ep)
    return terms


def _coefficients(terms: _Terms, eps: Sequence[str], noun: str = "coefficient") -> str:
    """The models' coefficients as a count: "12 coefficients", or per endpoint where they differ, "11
    coefficients for progression and 12 for death"."""
    counts = [_terms_of(terms, ep) for ep in eps]
    if len(set(counts)) <= 1:
        return format_count(counts[0], noun)
    return f"{format_count(counts[0], noun)} for {EVENT_NOUNS[eps[0]]}" + "".join(
        f" and {n} for {EVENT_NOUNS[ep]}" for n, ep in zip(counts[1:], eps[1:], strict=True)
    )


def _uniform(terms: _Terms, eps: Sequence[str]) -> bool:
    return len({_terms_of(terms, ep) for ep in eps}) <= 1


def _terms_on_events(terms: _Terms, events: Mapping[str, int], eps: Sequence[str], noun: str) -> str:
    """Each endpoint's coefficients on its events: "11 coefficients on 27 progressions and 12 on 25
    deaths"."""
    return " and ".join(
        f"{format_count(_terms_of(terms, ep), noun) if i == 0 else _terms_of(terms, ep)} on "
        f"{format_count(events[ep], EVENT_NOUNS[ep])}"
        for i, ep in enumerate(eps)
    )


def model_epvs(terms: _Terms, events: Mapping[str, int]) -> dict[str, float]:
    """Each endpoint's events per variable of a model with ``terms`` coefficients (one count, or per
    endpoint) fitted on ``events`` (the model's own events: its complete cases): the one place chapter
    10's readings take them from."""
    out = {}
    for ep, n in events.items():
        k = _terms_of(terms, ep)
        if k is not None and k > 0:
            out[ep] = events_per_variable(n, k)
    return out


def coefficients_at_epv(events: int, epv: float = EPV_RULE) -> int:
    """The most coefficients a model fitted on ``events`` events can have at ``epv`` events per variable,
    the events per variable compared as the book prints them, to one decimal (:func:`epv_as_printed`),
    so that a model whose events per variable print as ``epv`` is counted as reaching it, as
    :func:`adjustment_warning` and :func:`epv_verdict` read it: 249 events carry 25 coefficients at ten
    (249 / 25 = 9.96 prints 10.0), 248 carry 24 (248 / 25 = 9.92 prints 9.9); 0 where even one
    coefficient falls short."""
    events = int(events)
    k = int(events // epv)
    while epv_as_printed(events / (k + 1)) >= epv:
        k += 1
    return k


def confounders_at_rule(events: int, epv: float = EPV_RULE) -> int:
    """How many confounders a model of the arm and confounders can take at ``epv`` events per variable
    (by default the rule of ten), compared as printed: :func:`coefficients_at_epv`, one of them the
    arm's (never below 0). The page prints a model's events per variable to one decimal and reads 9.96
    ("10.0") as meeting the rule, so 249 events take 24 confounders, not the 23 of ``249 // 10 - 1``."""
    return max(coefficients_at_epv(events, epv) - 1, 0)


def model_question(model: FittedModel, terms: _Terms, events: Mapping[str, int]) -> str:
    """Chapter 10's question, after the paper's model is described: the model fitted on the cohort in
    force and the events it is fitted on. ``terms`` is its number of coefficients (per endpoint where
    they differ), ``events`` each endpoint's events in the model's complete cases (endpoints present)."""
    eps = [ep for ep in ENDPOINTS if ep in events]
    if not eps or any(_terms_of(terms, ep) is None for ep in eps):
        return "The cohort in force has no endpoint to fit a model to."
    if _uniform(terms, eps):
        each = "each endpoint's events: " if len(events) > 1 else ""
        on = f"{format_count(_terms_of(terms, eps[0]), 'term')} on {each}{_events_text(events)}"
    else:
        on = _terms_on_events(terms, events, eps, "term")
    if model.is_papers:
        return f"On the cohort in force it puts {on}."
    if model.terms is None:  # a model whose terms are not known (MODEL_FITTED_HERE) is not the paper's
        return f"On the cohort in force {model.short} puts {on}."
    if model.arm_alone:
        return (
            f"{model.reason[0].upper()}{model.reason[1:]}, so the model fitted here is the arm alone: {on}."
        )
    return f"On the cohort in force the model fitted here is {model.terms}: {on}."


def full_epv_reading(model: FittedModel, terms: _Terms, events: Mapping[str, int]) -> str:
    """Chapter 10's reading of its model's size: the model by name, its coefficients, and per endpoint
    present its events per variable (``events`` over ``terms``, with its events) and
    :func:`epv_verdict`, endpoints with the same verdict together ("each of which ...")."""
    epvs = model_epvs(terms, events)
    if not epvs:
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
    return f"{name} has {_coefficients(terms, eps)}: " + "; ".join(parts) + "."


def _carried(
    confounders: Mapping[str, int], eps: Sequence[str], events: Mapping[str, int] | None = None
) -> str:
    """The models the data can carry at ten events per variable: "the arm alone" or "the arm alone or
    the arm with at most 1 pre-specified confounder (ten events per variable)", per endpoint when the
    counts differ. Where an endpoint has fewer than ten events even the arm alone is below the rule,
    and that is said."""
    counts = [confounders[ep] for ep in eps]
    few = [ep for ep in eps if events is not None and ep in events and events[ep] < EPV_RULE]
    though = ""
    if few:
        on = " and ".join(format_count(events[ep], EVENT_NOUNS[ep]) for ep in few)
        though = (
            f", though on {on} even the arm alone is below the rule of ten (fewer than ten events for its "
            "one coefficient)"
        )
    if max(counts) == 0:
        return "the arm alone" + though
    if len(set(counts)) == 1:
        most = format_count(counts[0], "pre-specified confounder")
    else:
        most = (
            f"{counts[0]} pre-specified confounder{'s' if counts[0] != 1 else ''} for {EVENT_NOUNS[eps[0]]}"
            + "".join(f" and {n} for {EVENT_NOUNS[ep]}" for n, ep in zip(counts[1:], eps[1:], strict=True))
        )
    return f"the arm alone or the arm with at most {most} (ten events per variable){though}"


def adjustment_warning(
    model: FittedModel,
    terms: _Terms,
    events: Mapping[str, int],
    confounders: Mapping[str, int] | None = None,
) -> str:
    """Chapter 10's defensible summary: the warning that goes with it, from the model's coefficients,
    each endpoint's events in its complete cases and the events per variable they give against the
    rule of ten (compared as printed). The model the data can carry is the arm with at most
    ``confounders`` confounders per endpoint (by default :func:`confounders_at_rule` of the events;
    chapter 10 passes its exercise's counts). The page typed that 31 patients could not adjust for 11
    factors whatever the cohort, counted in patients although the information is in the events, and
    printed 0 factors on a cohort with the required columns only."""
    epvs = model_epvs(terms, events)
    if not epvs:
        return "No model was fitted, so there is no adjusted summary to qualify."
    if model.arm_alone:
        return (
            f"{model.reason[0].upper()}{model.reason[1:]}, so the model fitted here is the arm alone: it "
            "adjusts for nothing, and the hazard ratio it gives is the crude comparison of the arms, open to "
            "whatever confounding separates them."
        )
    conf = {ep: confounders_at_rule(n) for ep, n in events.items()}
    conf.update(confounders or {})
    eps = [ep for ep in ENDPOINTS if ep in epvs]
    low = [ep for ep in eps if epv_as_printed(epvs[ep]) < EPV_RULE]
    met = [ep for ep in eps if ep not in low]
    if low:
        carry = f"the defensible summary is a model the data can carry, {_carried(conf, low, events)}, reported with the warning that "
        if _uniform(terms, eps):
            on = f"{format_count(_terms_of(terms, low[0]), 'coefficient')} on " + " and on ".join(
                format_count(events[ep], EVENT_NOUNS[ep]) for ep in low
            )
        else:
            on = _terms_on_events(terms, events, low, "coefficient")
        values = " and ".join(f"{epvs[ep]:.1f}" for ep in low)
        warning = f"{model.short} spends {on}: {values} events per variable, below the rule of ten"
        if not met:
            return f"{carry[0].upper()}{carry[1:]}{warning}."
        return (
            f"For {event_names(low)}, {carry}{warning}; for {event_names(met)}, with "
            f"{' and '.join(f'{epvs[ep]:.1f}' for ep in met)} events per variable, it meets the rule."
        )
    name = model.capitalised
    spent = (
        f"{format_count(_terms_of(terms, met[0]), 'coefficient')} on {_events_text(events)}"
        if _uniform(terms, met)
        else _terms_on_events(terms, events, met, "coefficient")
    )
    return (
        f"{name} spends {spent}: "
        f"{epv_values(epvs, met)}, at or above the rule of ten, so by that rule the data can carry it; "
        "its adjustment removes only the confounding that its covariates measure."
    )


#: The share of bootstrap resamples that do not converge above which chapter 10 says "many".
MANY_NOT_CONVERGED = 0.10


@dataclass(frozen=True)
class BootstrapShares:
    """What chapter 10 reads of one endpoint's bootstrap of the model: the shares of resamples that
    did not converge and, of the others, that put the arm's HR below 0.05 or above 20 (``extreme``;
    ``below`` and ``above`` each side, None when not known), the percentile interval (None when no
    resample converged) and its ``alpha``."""

    not_converged: float
    extreme: float
    ci: tuple[float, float] | None = None
    below: float | None = None
    above: float | None = None
    alpha: float = 0.05

    @property
    def extremes_drive_interval(self) -> bool:
        """Whether the extreme fits set the percentile interval: on some side more than ``alpha``/2 of
        the converged resamples are extreme and the interval's bound on that side lies beyond 0.05 or
        20."""
        if self.ci is None:
            return False
        lo, hi = self.ci
        tail = self.alpha / 2
        low = self.below is not None and self.below > tail and lo < 1 / EXTREME_HR
        high = self.above is not None and self.above > tail and hi > EXTREME_HR
        return low or high


def instability_reading(
    model: FittedModel,
    events: Mapping[str, int],
    terms: _Terms,
    boot: Mapping[str, BootstrapShares],
    unstable: str | None = None,
) -> str:
    """Chapter 10's reading of the instability beyond the arm, from the numbers: the covariates'
    events per variable and least precise estimate (none when the model is the arm alone), and how
    often the bootstrap resamples could not carry the model, each endpoint judged against
    :data:`MANY_NOT_CONVERGED` ("many" only above it). The extreme fits are said to drive a percentile
    interval only where :attr:`BootstrapShares.extremes_drive_interval`; an endpoint on which no
    resample converged has no "of the rest"."""
    epvs = model_epvs(terms, events)
    eps = [ep for ep in ENDPOINTS if ep in boot]
    parts = []
    if epvs and not model.arm_alone:
        covs = f"the covariates' estimates rest on {epv_values(epvs, [ep for ep in ENDPOINTS if ep in epvs])}"
        if unstable is not None:
            covs += f", and the least precise, by the widest interval in either model, is {unstable}"
        parts.append(covs)
    if eps:
        multi = len(eps) > 1
        limit = f"{MANY_NOT_CONVERGED:.0%}"
        many = [ep for ep in eps if boot[ep].not_converged > MANY_NOT_CONVERGED]
        few = [ep for ep in eps if ep not in many]
        order = many + few

        def pct(v: float) -> str:
            return f"{format_pct(v)}%"

        def for_(ep: str) -> str:
            return f" for {EVENT_NOUNS[ep]}" if multi else ""

        rest = [ep for ep in order if boot[ep].not_converged < 1]
        tail = ""
        if rest:
            shares = " and ".join(f"{pct(boot[ep].extreme)}{for_(ep)}" for ep in rest)
            of = "of the rest" if any(boot[ep].not_converged > 0 for ep in rest) else "of them"
            tail = f", and {of} {shares} put the arm's HR below 0.05 or above 20"
            driven = [ep for ep in rest if boot[ep].extremes_drive_interval]
            if driven:
                cis = " and ".join(
                    f"{format_bootstrap_bound(boot[ep].ci[0])} to {format_bootstrap_bound(boot[ep].ci[1])}{for_(ep)}"
                    for ep in driven
                )
                tail += (
                    f", which is what drives the percentile interval{'s' if len(driven) > 1 else ''} ({cis})"
                )
        if many:
            if len(many) == 1:
                nc = f"{pct(boot[many[0]].not_converged)}{for_(many[0])} did not converge, more than the {limit} this page calls many"
            else:
                nc = (
                    f"{' and '.join(pct(boot[ep].not_converged) + for_(ep) for ep in many)} did not converge, "
                    f"both more than the {limit} this page calls many"
                )
            if few:
                nc += f", and {' and '.join(pct(boot[ep].not_converged) + for_(ep) for ep in few)}"
            boots = (
                f"{model.short} as a whole cannot be estimated on many bootstrap resamples: {nc}{tail}; "
                "the bootstrap cannot say in which direction the Wald intervals err, because it mostly shows "
                "that resampled data cannot carry the model"
            )
        else:
            nc = " and ".join(pct(boot[ep].not_converged) + for_(ep) for ep in few)
            on = (
                "every bootstrap resample"
                if all(boot[ep].not_converged == 0 for ep in few)
                else f"all but {nc} of the bootstrap resamples (at most the {limit} this page calls many)"
            )
            boots = f"{model.short} could be estimated on {on}{tail}"
        parts.append(boots)
    if not parts:
        return "Without a fitted model there is no instability beyond the arm to read."
    if len(parts) == 2:
        text = f"Beyond the arm, first, {parts[0]}; second, {parts[1]}."
    else:
        text = f"Beyond the arm, {parts[0]}." if parts[0].startswith("the covariates") else parts[0] + "."
    return text[0].upper() + text[1:]


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
