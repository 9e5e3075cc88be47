"""Cox proportional hazards models of the arm and the covariates: design matrix, fit, penalised fits, PH test.

:func:`design_matrix` codes the cohort as the paper's Table 4 implies;
:func:`fit_cox` fits it with lifelines (Efron ties, Wald CI, as R ``coxph``);
:func:`firth_cox` and :func:`ridge_cox` are the penalised variants for small
samples; :func:`schoenfeld_test` tests proportional hazards. Every fit returns
a :class:`CoxResult`, with a failed fit reported, never raised.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lcnec_utils.contract.results_keys import slug
from lcnec_utils.stats.attainable import events_per_variable
from lcnec_utils.stats.normal import z_two_sided
from lcnec_utils.stats.survival import EndpointUnavailable, endpoint_columns

#: Human-readable labels of the terms the design matrix can produce.
TERM_LABELS = {
    "treatment": "Treatment arm (treatment vs reference)",
    "age": "Age (per year)",
    "sex_male": "Sex (male vs female)",
    "smoking": "Smoking history (yes vs no)",
    "ecog": "ECOG PS (per point)",
    "met_bone": "Bone metastasis (yes vs no)",
    "met_liver": "Liver metastasis (yes vs no)",
    "met_brain": "Brain metastasis (yes vs no)",
    "met_pleura": "Pleural metastasis (yes vs no)",
    "met_intrapulmonary": "Intrapulmonary metastasis (yes vs no)",
    "met_adrenal": "Adrenal metastasis (yes vs no)",
    "met_other": "Other metastasis (yes vs no)",
    "thoracic_rt": "Thoracic radiotherapy (yes vs no)",
    "ldh": "LDH (per IU/L)",
    "sodium": "Sodium (per mmol/L)",
    "cea": "CEA (per ng/mL)",
    "progrp": "ProGRP (per pg/mL)",
    "nse": "NSE (per ng/mL)",
}


TABLE_COLUMNS = ["term", "label", "hr", "ci_low", "ci_high", "p", "coef", "se"]


@dataclass
class DesignMatrix:
    """Model frame: ``duration``, ``event``, then the terms (``treatment`` first)."""

    frame: pd.DataFrame
    terms: list[str]
    term_of_covariate: dict[str, list[str]]  # covariate column -> its term(s)
    n_dropped: int
    dropped_reasons: dict[str, int]  # column -> rows missing it
    notes: list[str] = field(default_factory=list)

    @property
    def labels(self) -> dict[str, str]:
        return {t: term_label(t) for t in self.terms}


def term_label(term: str) -> str:
    """Readable label of a design-matrix term (falls back to the term name)."""
    if term in TERM_LABELS:
        return TERM_LABELS[term]
    if term.startswith("chemo_regimen_"):
        return f"Chemotherapy regimen: {term[len('chemo_regimen_') :]}"
    return term


#: The term whose label names a covariate column other than by its own name: ``sex`` is coded as
#: ``sex_male``, ``chemo_regimen`` as one term per level (``chemo_regimen_<level>``).
_TERM_OF_COLUMN = {"sex": "sex_male", "chemo_regimen": "chemo_regimen_"}


def covariate_name(column: str) -> str:
    """A covariate column's name as prose lists it: its term's label (:data:`TERM_LABELS`) without the
    coding ("per year", "yes vs no") or level, lower-cased unless its first word is an abbreviation:
    ``covariate_name("age") == "age"``, ``"ECOG PS"`` for ``ecog``, ``"adrenal metastasis"`` for
    ``met_adrenal``, ``"sex"``, ``"LDH"``, ``"ProGRP"``, ``"chemotherapy regimen"``; a column without a
    label by its own name."""
    label = term_label(_TERM_OF_COLUMN.get(column, column)).split(" (")[0].split(":")[0].strip()
    if not label:
        return column
    return _in_prose(label)


def term_in_prose(term: str) -> str:
    """A design-matrix term's label (:func:`term_label`) as a sentence names it mid-way, by
    :func:`covariate_name`'s rule: lower-cased unless its first word is an abbreviation, its coding
    kept: ``"sex (male vs female)"`` for ``sex_male``, ``"ECOG PS (per point)"`` for ``ecog``."""
    return _in_prose(term_label(term))


def _in_prose(label: str) -> str:
    """``label`` lower-cased at its start unless its first word is an abbreviation ("ECOG PS", "LDH")."""
    first = label.split()[0] if label.split() else ""
    return label[0].lower() + label[1:] if first[1:].islower() else label


def _is_binary(col: pd.Series) -> bool:
    values = set(pd.unique(col.dropna()))
    return values <= {0, 1} or values <= {True, False}


def design_matrix(
    cohort: pd.DataFrame,
    covariates: list[str],
    reference_group: str,
    treatment_group: str,
    endpoint: str | None = None,
) -> DesignMatrix:
    """Cox model frame with the field's codings, complete cases.

    ``treatment`` (1 = ``treatment_group``) first; then each covariate:
    numeric columns as numbers (age per year, ECOG per point, as Table 4's
    HRs of 1.02 and 1.48 imply); ``sex`` -> ``sex_male`` (Male = 1, Female =
    0); 0/1 columns as they are; text columns -> 0/1 dummies against the most
    frequent level (ties: first in sort order). With ``endpoint`` the frame
    also holds ``duration`` and ``event``. Rows with any value missing are
    dropped and counted per column. A term constant in the complete cases is
    left out with a note (it has no estimable coefficient).
    Raises ``ValueError`` naming any covariate column absent from the cohort.
    """
    needed = _model_columns(cohort, covariates, endpoint)
    sub = cohort.loc[
        cohort["group"].isin([reference_group, treatment_group]) | cohort["group"].isna(), needed
    ]
    reasons = {c: int(sub[c].isna().sum()) for c in needed if sub[c].isna().any()}
    n_before = len(sub)
    sub = sub.dropna()
    for label in (reference_group, treatment_group):
        if not (sub["group"] == label).any():
            raise ValueError(f"no complete case in arm '{label}' (column 'group')")

    out = pd.DataFrame(index=sub.index)
    if endpoint is not None:
        time_col, event_col = endpoint_columns(endpoint)
        out["duration"] = sub[time_col].astype(float)
        out["event"] = sub[event_col].astype(int)
    out["treatment"] = (sub["group"] == treatment_group).astype(int)
    term_of: dict[str, list[str]] = {}
    notes: list[str] = []
    for cov in covariates:
        columns, note = _covariate_terms(cov, sub[cov])
        for name, values in columns.items():
            out[name] = values
        term_of[cov] = list(columns)
        if note:
            notes.append(note)
    out, terms = _without_constant_terms(out, term_of, notes)
    return DesignMatrix(out, terms, term_of, n_before - len(out), reasons, notes)


def _model_columns(cohort: pd.DataFrame, covariates: list[str], endpoint: str | None) -> list[str]:
    """The cohort columns a model needs (endpoint, group, covariates); raises if one is absent."""
    absent = [c for c in covariates if c not in cohort.columns]
    if absent:
        raise ValueError("covariate column(s) absent from the cohort: " + ", ".join(absent))
    if "group" not in cohort.columns:
        raise ValueError("the cohort has no 'group' column")
    needed = ["group"] + list(covariates)
    if endpoint is None:
        return needed
    time_col, event_col = endpoint_columns(endpoint)
    missing = [c for c in (time_col, event_col) if c not in cohort.columns]
    if missing:
        raise EndpointUnavailable(
            f"endpoint '{endpoint}' needs column(s) {', '.join(missing)}, absent from the cohort"
        )
    return [time_col, event_col] + needed


def _covariate_terms(cov: str, col: pd.Series) -> tuple[dict[str, pd.Series], str | None]:
    """The term column(s) of one covariate in its coding (see :func:`design_matrix`), and a note
    naming the reference level of a text covariate."""
    if cov == "sex":
        values = set(col.unique())
        if not values <= {"Male", "Female"}:
            raise ValueError(f"column 'sex' must be 'Male' or 'Female', found {sorted(values)}")
        return {"sex_male": (col == "Male").astype(int)}, None
    if _is_binary(col):
        return {cov: col.astype(int)}, None
    if pd.api.types.is_numeric_dtype(col):
        return {cov: col.astype(float)}, None
    counts = col.astype(str).value_counts()
    reference_level = sorted(counts[counts == counts.max()].index)[0]
    dummies = {
        f"{cov}_{slug(level)}": (col.astype(str) == level).astype(int)
        for level in sorted(counts.index)
        if level != reference_level
    }
    return dummies, f"{cov}: reference level '{reference_level}' (most frequent)"


def _without_constant_terms(
    out: pd.DataFrame, term_of: dict[str, list[str]], notes: list[str]
) -> tuple[pd.DataFrame, list[str]]:
    """The frame without the terms constant in the complete cases (noted), and the terms kept."""
    terms = [c for c in out.columns if c not in ("duration", "event")]
    for term in list(terms):
        if out[term].nunique() < 2:
            notes.append(f"term '{term}' left out: constant in the complete cases")
            out = out.drop(columns=term)
            terms.remove(term)
            for names in term_of.values():
                if term in names:
                    names.remove(term)
    return out, terms


@dataclass
class CoxResult:
    """A fitted Cox model: per-term table and what the page must say about the fit."""

    table: pd.DataFrame  # TABLE_COLUMNS, one row per term
    n: int
    events: int
    n_dropped: int
    dropped_reasons: dict[str, int]
    converged: bool
    warnings: list[str]
    notes: list[str]
    model: Any = None  # the fitted model (None if the fit failed)
    data: pd.DataFrame | None = None  # the model frame it was fitted on
    method: str = "Cox PH, Efron ties, Wald CI"
    term_of_covariate: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_design(
        cls,
        dm: DesignMatrix,
        table: pd.DataFrame,
        converged: bool,
        warnings: list[str],
        model: Any,
        method: str,
    ) -> CoxResult:
        """The result of a model fitted (or not) on the design matrix ``dm``."""
        frame = dm.frame
        return cls(
            table,
            len(frame),
            int(frame["event"].sum()),
            dm.n_dropped,
            dm.dropped_reasons,
            converged,
            warnings,
            list(dm.notes),
            model,
            frame,
            method,
            dict(dm.term_of_covariate),
        )

    @property
    def events_per_variable(self) -> float | None:
        """Events per variable, the events divided by the model's coefficients
        (:func:`lcnec_utils.stats.attainable.events_per_variable`)."""
        return events_per_variable(self.events, len(self.table))

    def term(self, name: str) -> dict[str, Any]:
        """The row of term ``name`` (hr, ci_low, ci_high, p, coef, se, ...); ``KeyError`` if absent."""
        row = self.table.loc[self.table["term"] == name]
        if row.empty:
            raise KeyError(f"no term '{name}' in the model (terms: {list(self.table['term'])})")
        return row.iloc[0].to_dict()


def _empty_table(terms: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "term": terms,
            "label": [term_label(t) for t in terms],
            **{c: [math.nan] * len(terms) for c in TABLE_COLUMNS[2:]},
        }
    )[TABLE_COLUMNS]


def not_fitted(dm: DesignMatrix, reason: str, method: str) -> CoxResult:
    """The result of a model that could not be fitted: every estimate NaN, ``converged`` False,
    ``reason`` among the warnings that the page shows."""
    return CoxResult.from_design(dm, _empty_table(dm.terms), False, [reason], None, method)


def fit_design(
    dm: DesignMatrix,
    alpha: float,
    method: str = "Cox PH, Efron ties, Wald CI",
    wald_table: bool = True,
    **fitter_kwargs,
) -> CoxResult:
    """Cox model of the design matrix ``dm`` by lifelines ``CoxPHFitter`` (Efron ties, Wald CI and p).

    ``fitter_kwargs`` go to ``CoxPHFitter`` (e.g. a ridge ``penalizer``). The
    fit's convergence warnings are collected, never raised; see :func:`fit_cox`.
    ``wald_table=False`` leaves the table of estimates empty (NaN) and keeps the fitted model: for
    simulations that read only the model, where lifelines' ``summary`` is a sixth of a fit's time.
    """
    from lifelines import CoxPHFitter

    frame = dm.frame
    if int(frame["event"].sum()) == 0:
        return not_fitted(dm, "no events: the Cox model cannot be fitted", method)
    caught: list[str] = []
    model = None
    converged = True
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        try:
            # precision 1e-9: lifelines' default 1e-7 stops on a Newton decrement
            # < 1e-7, leaving the coefficient off by up to ~sqrt(2e-7)·SE (3e-3
            # relative on a 10-patient example); 1e-9 agrees with R coxph to 1e-6.
            model = CoxPHFitter(alpha=alpha, **fitter_kwargs).fit(
                frame,
                duration_col="duration",
                event_col="event",
                fit_options={"precision": 1e-9},
            )
        except Exception as exc:  # lifelines ConvergenceError, singular matrices
            converged = False
            caught.append(f"{type(exc).__name__}: {exc}")
    for w in record:
        name = type(w.message).__name__
        if "Convergence" in name or issubclass(w.category, RuntimeWarning):
            caught.append(f"{name}: {str(w.message).strip()}")
    # lifelines also warns on low variance / correlation with duration (possible
    # separation) without failing: kept in ``warnings``; only a Newton-Raphson
    # step that did not settle makes the fit "not converged".
    if any("norm(delta)" in c or "did not converge" in c for c in caught):
        converged = False
    table = _empty_table(dm.terms) if model is None or not wald_table else _wald_table(model.summary, alpha)
    return CoxResult.from_design(dm, table, converged, caught, model, method)


def _wald_table(summary: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Per-term table from a lifelines summary: Wald CI exp(b ± z·SE) and lifelines' Wald p."""
    z = z_two_sided(alpha)
    coef, se = summary["coef"].to_numpy(), summary["se(coef)"].to_numpy()
    with np.errstate(over="ignore"):
        return term_table(
            list(summary.index), coef, se, coef - z * se, coef + z * se, summary["p"].to_numpy()
        )


def term_table(
    terms: list[str],
    coef: np.ndarray,
    se: np.ndarray,
    log_low: np.ndarray,
    log_high: np.ndarray,
    p: np.ndarray,
) -> pd.DataFrame:
    """Per-term table of a Cox model (``TABLE_COLUMNS``): HR = exp(coef), CI exp(log_low) to
    exp(log_high), p, and the coefficient with its SE."""
    return pd.DataFrame(
        {
            "term": terms,
            "label": [term_label(t) for t in terms],
            "hr": np.exp(coef),
            "ci_low": np.exp(log_low),
            "ci_high": np.exp(log_high),
            "p": p,
            "coef": coef,
            "se": se,
        }
    )[TABLE_COLUMNS]


def fit_cox(cohort: pd.DataFrame, endpoint: str, covariates: list[str], params) -> CoxResult:
    """Cox proportional hazards model of the arm plus ``covariates``, complete cases.

    lifelines ``CoxPHFitter``: Efron's tie handling (R ``coxph`` default;
    SPSS COXREG uses Breslow's, so HRs can differ slightly with tied times),
    Wald CI exp(b ± z·SE) and Wald p, as R ``summary.coxph``. A failed or
    non-converged fit (e.g. separation with many terms and few events) is
    reported in ``converged``/``warnings``, never raised; HRs of a
    non-converged fit must not be shown as estimates. Reference: Cox (1972);
    Efron (1977); Therneau & Grambsch (2000). Raises ``ValueError`` naming a
    covariate column absent from the cohort, :class:`EndpointUnavailable` if
    the endpoint's columns are absent.
    """
    dm = design_matrix(cohort, covariates, params.reference_group, params.treatment_group, endpoint=endpoint)
    return fit_design(dm, params.alpha)


def univariable_cox(cohort: pd.DataFrame, endpoint: str, params) -> CoxResult:
    """Cox model with the arm alone (treatment vs reference); see :func:`fit_cox`."""
    return fit_cox(cohort, endpoint, [], params)


def available_covariates(cohort: pd.DataFrame, covariates: list[str]) -> tuple[list[str], list[str]]:
    """Split ``covariates`` into (present in the cohort, absent): optional columns may be missing."""
    present = [c for c in covariates if c in cohort.columns]
    return present, [c for c in covariates if c not in cohort.columns]


def firth_cox(
    cohort: pd.DataFrame,
    endpoint: str,
    covariates: list[str],
    params,
    ci_method: str = "pl",
    penalty_weight: float = 0.5,
) -> CoxResult:
    """Firth-penalised Cox model (Heinze & Schemper 2001) via ``firthmodels.FirthCoxPH``.

    Finite estimates under monotone likelihood (separation). CIs by profile
    penalised likelihood (``ci_method="pl"``, as R ``coxphf``) or Wald; p by
    the penalised likelihood-ratio test (as ``coxphf``) when ``pl``, else Wald.
    firthmodels handles tied times by Breslow's method (as ``coxphf``);
    ``penalty_weight=0`` gives the unpenalised Breslow fit.
    """
    from firthmodels import FirthCoxPH

    dm = design_matrix(cohort, covariates, params.reference_group, params.treatment_group, endpoint=endpoint)
    X = dm.frame[dm.terms]
    y = (dm.frame["event"].to_numpy().astype(bool), dm.frame["duration"].to_numpy())
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        try:
            model = FirthCoxPH(penalty_weight=penalty_weight).fit(X, y)
            ci = model.conf_int(alpha=params.alpha, method=ci_method)
            if ci_method == "pl":
                model.lrt()
                p = np.asarray(model.lrt_pvalues_)
            else:
                p = np.asarray(model.pvalues_)
        except np.linalg.LinAlgError as exc:  # e.g. a covariate constant or collinear in this cohort
            return not_fitted(dm, f"the Firth model could not be fitted: {exc}", "Firth Cox, Breslow ties")
    caught = [f"{type(w.message).__name__}: {w.message}" for w in record]
    coef = np.asarray(model.coef_)
    table = term_table(dm.terms, coef, np.asarray(model.bse_), ci[:, 0], ci[:, 1], p)
    return CoxResult.from_design(
        dm, table, bool(model.converged_), caught, model, f"Firth Cox, Breslow ties, {ci_method} CI"
    )


def ridge_cox(
    cohort: pd.DataFrame, endpoint: str, covariates: list[str], params, penalizer: float = 0.1
) -> CoxResult:
    """Ridge (L2) penalised Cox model: lifelines ``CoxPHFitter(penalizer, l1_ratio=0)``.

    lifelines penalises ``penalizer/2 · ||b||²`` on its internally
    standardised covariates; the CIs and p are the naive Wald ones from the
    penalised information, biased towards 0 and not valid inference:
    shrunken HRs for a sensitivity analysis only (Verweij & van Houwelingen 1994).
    """
    dm = design_matrix(cohort, covariates, params.reference_group, params.treatment_group, endpoint=endpoint)
    return fit_design(
        dm,
        params.alpha,
        method=f"ridge Cox (penalizer={penalizer}), Efron ties",
        penalizer=penalizer,
        l1_ratio=0.0,
    )


def schoenfeld_test(result: CoxResult, transform: str = "km") -> pd.DataFrame:
    """Test of proportional hazards per term from scaled Schoenfeld residuals.

    lifelines ``proportional_hazard_test`` (Grambsch & Therneau 1994) with
    ``time_transform`` "km" (1 - KM of the pooled data at each event time;
    ``cox.zph``'s default, in every R version, takes 1 - KM just before the
    event, so the two differ slightly with few events) or "identity". R
    survival >= 3 ``cox.zph`` also uses a different statistic, the exact score
    test (see ``methods.ph``), and gives somewhat different numbers.
    Columns: term, test_statistic, p, transform. lifelines builds the
    residuals with ``np.append`` in a loop: about 5 s per term at 100,000 rows.
    """
    from lifelines.statistics import proportional_hazard_test

    if result.model is None:
        raise ValueError("the Cox model was not fitted; no residuals to test")
    res = proportional_hazard_test(result.model, result.data, time_transform=transform)
    s = res.summary
    return pd.DataFrame(
        {
            "term": [i if not isinstance(i, tuple) else i[0] for i in s.index],
            "test_statistic": s["test_statistic"].to_numpy(),
            "p": s["p"].to_numpy(),
            "transform": transform,
        }
    ).reset_index(drop=True)
