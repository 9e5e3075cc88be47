"""Table 4: univariable and multivariable Cox models of PFS and OS, with results keys and forest rows.

The models are fitted by :mod:`lcnec_utils.stats.cox`; this module lines
up each term's hazard ratio, Wald CI and p under the results keys
(``pfs.cox.<term>.hr`` ...), prints the table and gives the forest plot its rows.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from lcnec_utils.stats.cox import (
    available_covariates,
    design_matrix,
    fit_cox,
    fit_design,
    term_label,
    univariable_cox,
)
from lcnec_utils.stats.format import NA_TEXT, ci_label, format_hr_ci, format_p
from lcnec_utils.stats.survival import EndpointUnavailable


def _none_if_nan(value):
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def _term_keys(prefix: str, row: dict | None) -> dict[str, Any]:
    return {
        f"{prefix}.{k}": (None if row is None else _none_if_nan(row[k]))
        for k in ("hr", "ci_low", "ci_high", "p")
    }


def cox_results(cohort: pd.DataFrame, endpoint: str, params) -> dict[str, Any]:
    """Results keys of the Cox models of one endpoint.

    ``{endpoint}.cox_univariable.{hr,ci_low,ci_high,p}`` (arm alone),
    ``{endpoint}.cox_multivariable.{...}`` (arm's term with
    the covariates of ``params.covariates`` present in the cohort) and
    ``{endpoint}.cox_multivariable.<term>.{...}`` for each covariate: the key
    is the covariate's name (``sex`` for ``sex_male``); a text covariate gives
    one key per dummy term. An absent covariate column leaves its keys None
    and the model adjusts for the others (the page must say so: see
    :func:`available_covariates`). All None when the endpoint's columns are
    absent or a fit did not converge.
    """
    out: dict[str, Any] = {}
    uni_prefix = f"{endpoint}.cox_univariable"
    multi_prefix = f"{endpoint}.cox_multivariable"
    present, _absent = available_covariates(cohort, params.covariates)
    try:
        uni = univariable_cox(cohort, endpoint, params)
    except EndpointUnavailable:
        uni = None
    out.update(_term_keys(uni_prefix, uni.term("treatment") if uni and uni.converged else None))
    multi = None
    if uni is not None:
        try:
            multi = fit_cox(cohort, endpoint, present, params)
        except ValueError:  # e.g. no complete case left in an arm
            multi = None
    ok = multi is not None and multi.converged
    out.update(_term_keys(multi_prefix, multi.term("treatment") if ok else None))
    for cov in params.covariates:
        if multi is not None and cov in multi.term_of_covariate:
            names = multi.term_of_covariate[cov]
        else:
            names = ["sex_male"] if cov == "sex" else [cov]
        for name in names:
            key = cov if name == "sex_male" else name
            row = multi.term(name) if ok and name in set(multi.table["term"]) else None
            out.update(_term_keys(f"{multi_prefix}.{key}", row))
    return out


def cox_table(cohort: pd.DataFrame, endpoint: str, params) -> pd.DataFrame:
    """Univariable and multivariable hazard ratios side by side, one row per term.

    Univariable: each covariate alone (all dummies of a text covariate
    together; the arm alone for ``treatment``), each on its own complete
    cases. Multivariable: the arm with the covariates of ``params.covariates``
    present in the cohort (absent ones listed in ``.attrs["absent_covariates"]``). Columns
    ``uni_*``/``multi_*`` hold hr, ci_low, ci_high, p and n; numbers only:
    format with :func:`format_hr_ci` and :func:`format_p`.
    """
    ref, trt = params.reference_group, params.treatment_group
    present, absent = available_covariates(cohort, params.covariates)
    multi = fit_cox(cohort, endpoint, present, params)
    rows = []
    uni_arm = univariable_cox(cohort, endpoint, params)
    per_cov = {None: uni_arm}
    for cov in present:
        try:
            dm = design_matrix(cohort, [cov], ref, trt, endpoint=endpoint)
        except ValueError:  # e.g. no complete case in an arm: no univariable row
            continue
        dm.frame = dm.frame.drop(columns="treatment")
        dm.terms = [t for t in dm.terms if t != "treatment"]
        per_cov[cov] = fit_design(dm, params.alpha) if dm.terms else None
    for cov, res in per_cov.items():
        if res is None:
            continue
        for _, r in res.table.iterrows():
            term = r["term"]
            if cov is None and term != "treatment":
                continue
            m = multi.table.loc[multi.table["term"] == term]
            m = m.iloc[0] if len(m) and multi.converged else None
            rows.append(
                {
                    "term": term,
                    "label": term_label(term),
                    "uni_hr": r["hr"],
                    "uni_ci_low": r["ci_low"],
                    "uni_ci_high": r["ci_high"],
                    "uni_p": r["p"],
                    "uni_n": res.n,
                    "uni_converged": res.converged,
                    "multi_hr": math.nan if m is None else m["hr"],
                    "multi_ci_low": math.nan if m is None else m["ci_low"],
                    "multi_ci_high": math.nan if m is None else m["ci_high"],
                    "multi_p": math.nan if m is None else m["p"],
                    "multi_n": multi.n,
                }
            )
    table = pd.DataFrame(rows)
    table.attrs["multivariable_converged"] = multi.converged
    table.attrs["multivariable_warnings"] = multi.warnings
    table.attrs["events_per_variable"] = multi.events_per_variable
    table.attrs["absent_covariates"] = absent
    table.attrs["notes"] = multi.notes
    table.attrs["n_dropped"] = multi.n_dropped
    return table


def format_cox_table(table: pd.DataFrame, params=None) -> pd.DataFrame:
    """Text version of :func:`cox_table`: term, univariable and multivariable HR (CI at the level in
    force: ``params.alpha``, 95% without ``params``) and p.

    En dash in the intervals, as the rest of the book; "—" where a model did
    not converge or a term was not estimable.
    """
    ci = ci_label(0.05 if params is None else params.alpha)
    rows = []
    for _, r in table.iterrows():
        rows.append(
            {
                "Term": r["label"],
                f"Univariable HR ({ci})": format_hr_ci(
                    r["uni_hr"], r["uni_ci_low"], r["uni_ci_high"], sep="–"
                )
                if r.get("uni_converged", True)
                else NA_TEXT,
                "p (univariable)": format_p(r["uni_p"]) if r.get("uni_converged", True) else NA_TEXT,
                f"Multivariable HR ({ci})": format_hr_ci(
                    r["multi_hr"], r["multi_ci_low"], r["multi_ci_high"], sep="–"
                ),
                "p (multivariable)": format_p(r["multi_p"]),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "Term",
            f"Univariable HR ({ci})",
            "p (univariable)",
            f"Multivariable HR ({ci})",
            "p (multivariable)",
        ],
    )


def forest_rows(table: pd.DataFrame) -> pd.DataFrame:
    """Multivariable rows of :func:`cox_table` as ``plots.forest_plot`` wants them.

    Columns term, label, hr, ci_low, ci_high, p (NaN when the multivariable
    model did not converge: the plot lists them as not estimable).
    """
    out = table[["term", "label", "multi_hr", "multi_ci_low", "multi_ci_high", "multi_p"]].copy()
    out.columns = ["term", "label", "hr", "ci_low", "ci_high", "p"]
    return out.reset_index(drop=True)
