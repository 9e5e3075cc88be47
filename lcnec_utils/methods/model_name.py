"""The name of a Cox model of the arm and covariates, from its design's terms: "the paper's model" only
when its terms are the arm and one for each of the paper's covariates
(:data:`~lcnec_utils.contract.params.PAPER_COVARIATES`), else "the model fitted here" with the terms it
has ("the arm alone", "the arm and 10 of the paper's 11 covariates").

The methods layer names its tables' rows with it (:func:`~lcnec_utils.methods.smallsample.comparison_table`)
and the chapter layer its prose (:mod:`lcnec_utils.chapter.model_size`, which names the model in force per
endpoint): one naming for both.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from lcnec_utils.contract.params import PAPER_COVARIATES
from lcnec_utils.stats.cox import CoxResult, DesignMatrix, covariate_name
from lcnec_utils.stats.format import format_count

#: The paper's model's name: :func:`fitted_model` gives it only to the arm and one term for each of the
#: paper's covariates.
PAPERS_MODEL = "the paper's model"


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
        """Whether it is the paper's model: named so (:func:`fitted_model` names it so only from its
        terms), not a model whose terms are not known (:data:`MODEL_FITTED_HERE`)."""
        return self.short == PAPERS_MODEL and self.terms is None

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

    @property
    def terms_named(self) -> str | None:
        """Its terms as a phrase, the paper's model's included: "the arm and the paper's 11 covariates",
        "the arm alone"; None when they are not known (:data:`MODEL_FITTED_HERE`)."""
        if self.terms is not None:
            return self.terms
        if self.is_papers:
            return f"the arm and the paper's {len(PAPER_COVARIATES)} covariates"
        return None

    @property
    def terms_with_reason(self) -> str:
        """Its terms as a phrase with the reason it has no covariate, or its name when the terms are not
        known: "the arm alone, since the cohort has none of the paper's covariates", "the arm and the
        paper's 11 covariates"."""
        return (self.terms_named or self.short) + ("" if self.reason is None else f", since {self.reason}")

    @property
    def capitalised(self) -> str:
        """The short name as a sentence or a table's row starts it: "The paper's model", "The model
        fitted here"."""
        return f"{self.short[0].upper()}{self.short[1:]}"

    @property
    def label(self) -> str:
        """The name as a table's row label, capitalised, with its terms and without the reason: "The
        paper's model (the arm and the paper's 11 covariates)", "The model fitted here (the arm alone)",
        "The model fitted here (the arm and 10 of the paper's 11 covariates)"; "The model fitted here"
        when the terms are not known."""
        name = self.capitalised
        return name if self.terms_named is None else f"{name} ({self.terms_named})"


#: The name when the model's covariates are not known: true of any model.
MODEL_FITTED_HERE = FittedModel("the model fitted here")


def fitted_model(
    covariates: Sequence[str],
    cohort_columns: Iterable[str] | None = None,
    *,
    in_force: Sequence[str] | None = None,
    design: DesignMatrix | CoxResult | None = None,
) -> FittedModel:
    """Name the model of the arm and ``covariates`` (those in force and in the cohort).

    With ``design`` (:func:`~lcnec_utils.stats.cox.design_matrix` of those covariates, or a
    :class:`~lcnec_utils.stats.cox.CoxResult` fitted on it: either has ``term_of_covariate``) the name
    follows the design's terms: a covariate constant in the complete cases has no term and is not in
    the model, and a text covariate may give several; "the paper's model" only when the terms are the
    arm and one term for each of the paper's covariates. Without covariates it is the arm alone,
    because no covariate is in force, because the cohort has none of the covariates in force (where
    ``in_force`` and ``cohort_columns`` show it: "the paper's" when they are the paper's), or because
    every covariate is constant in the complete cases."""
    paper = list(PAPER_COVARIATES)
    covariates = list(covariates)
    constant: list[str] = []
    n_terms = None
    if design is not None:
        constant = [c for c in covariates if not design.term_of_covariate.get(c)]
        covariates = [c for c in covariates if design.term_of_covariate.get(c)]
        n_terms = sum(len(design.term_of_covariate[c]) for c in covariates)
    ours = [c for c in covariates if c in paper]
    others = [c for c in covariates if c not in paper]
    one_term_each = n_terms is None or n_terms == len(covariates)
    if len(ours) == len(paper) and not others and one_term_each:
        return FittedModel(PAPERS_MODEL)
    short = "the model fitted here"
    left_out = (
        None
        if not constant
        else f"{_named(constant)} {'is' if len(constant) == 1 else 'are'} constant in the complete cases"
    )
    if not covariates:
        if constant:
            reason = (
                f"its covariate{'s' if len(constant) > 1 else ''} ({_named(constant)}) "
                f"{'are' if len(constant) > 1 else 'is'} constant in the complete cases"
            )
        elif in_force is not None and not list(in_force):
            reason = "no covariate is in force"
        elif cohort_columns is not None and not set(paper if in_force is None else in_force) & set(
            cohort_columns
        ):
            papers = in_force is None or set(in_force) == set(paper)
            reason = (
                "the cohort has none of the paper's covariates"
                if papers
                else ("the cohort has none of the covariates in force")
            )
        else:
            reason = "no covariate is in force"
        return FittedModel(short, "the arm alone", reason)
    extra = format_count(len(others), "other covariate")
    if not ours:
        which = f"{format_count(len(others), 'covariate')}, none of them the paper's"
    elif len(ours) == len(paper):
        which = f"the paper's {len(paper)} covariates" + (f" and {extra}" if others else "")
    else:
        which = f"{len(ours)} of the paper's {len(paper)} covariates" + (f" and {extra}" if others else "")
    if not one_term_each:
        terms = f"the arm and {format_count(n_terms, 'covariate term')} from {which}"
    elif len(ours) == len(paper):
        terms = f"the arm, the paper's {len(paper)} covariates and {extra}"
    else:
        terms = f"the arm and {which}"
    return FittedModel(short, terms, left_out)


def arm_and(covariates: Sequence[str]) -> str:
    """A model's terms listed by its covariates' names (:func:`~lcnec_utils.stats.cox.covariate_name`):
    ``arm_and(["age", "ecog"]) == "the arm, age and ECOG PS"``, ``arm_and([]) == "the arm alone"``."""
    return "the arm alone" if not covariates else _listed(["the arm", *map(covariate_name, covariates)])


def _named(covariates: Sequence[str]) -> str:
    """Covariate columns by their names, listed: "adrenal metastasis", "age and ECOG PS"."""
    return _listed([covariate_name(c) for c in covariates])


def _listed(names: Sequence[str]) -> str:
    """Names joined as a list is read: "a", "a and b", "a, b and c"."""
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
