"""Table 3, first part: best response by RECIST category, objective response and disease control."""

from __future__ import annotations

from typing import Any

import pandas as pd

from lcnec_utils.contract.params import Parameters
from lcnec_utils.contract.schema import RESPONSE_LEVELS
from lcnec_utils.stats.classical import clopper_pearson, fisher_p, newcombe_difference
from lcnec_utils.stats.format import format_ci, format_n_pct, format_p, format_pct
from lcnec_utils.tables.arms import ARMS, split_arms
from lcnec_utils.tables.cells import NOT_IN_DATA, blank_as_missing, missing_note
from lcnec_utils.tables.summary import SummaryTable, TableRows

_RESPONSE_LABELS = {
    "CR": "Complete response (CR)",
    "PR": "Partial response (PR)",
    "SD": "Stable disease (SD)",
    "PD": "Progressive disease (PD)",
    "NE": "Not evaluable (NE)",
}


#: The rates of the table: key, label, the categories that count as a response.
_RATES = (("orr", "ORR", ("CR", "PR")), ("dcr", "DCR", ("CR", "PR", "SD")))


#: The results keys of a rate's difference between the arms (treatment minus reference), after ``response.<rate>.``.
_DIFFERENCE = ("difference", "difference_ci_low", "difference_ci_high")

_COLUMNS = ["key", "label", "kind", *ARMS, "p", "test", "n_missing", "note"]


def response_table(cohort: pd.DataFrame, params: Parameters) -> SummaryTable:
    """Table 3: best response at the first evaluation (RECIST 1.1) by arm.

    Counts of CR, PR, SD, PD and NE; ORR = (CR + PR) / n and DCR =
    (CR + PR + SD) / n, where n is the arm's patients with a recorded
    response (NE counts in n as a non-responder, as RECIST's intention-to-treat
    reading does); Clopper-Pearson (exact) CIs at level ``1 - params.alpha``;
    ORR and DCR compared by Fisher's exact test, two-sided, and their difference
    (treatment minus reference) given with Newcombe's hybrid score interval
    (:func:`lcnec_utils.stats.classical.newcombe_difference`; results keys
    ``response.<rate>.difference`` and its ``_ci_low``/``_ci_high``). Values other than
    the five RECIST categories count as missing and are reported in a note.
    Reference: Eisenhauer et al., Eur J Cancer 2009;45:228-47 (RECIST 1.1).
    """
    arms = split_arms(cohort, params)
    notes = list(arms.notes)
    rows = TableRows()
    level = f"{100 * (1 - params.alpha):g}%"
    if "best_response" not in arms.frame.columns:
        notes.append("best_response: " + NOT_IN_DATA + "; response rates not computed.")
        _absent_rows(rows, level)
    else:
        resp = _recorded_responses(arms.frame["best_response"], notes)
        known = resp.notna().to_numpy()
        n_missing = int((~known).sum())
        denom = {arm: int((known & arms.masks[arm]).sum()) for arm in ARMS}
        is_cat = {c: (resp == c).fillna(False).to_numpy(bool) for c in RESPONSE_LEVELS}
        counts = {c: {arm: int((is_cat[c] & arms.masks[arm]).sum()) for arm in ARMS} for c in RESPONSE_LEVELS}
        _category_rows(rows, counts, denom, n_missing)
        _rate_rows(rows, counts, denom, n_missing, params.alpha, level)
    return rows.summary_table(
        _COLUMNS, arms, params, notes, "Response at the first evaluation", _format_response
    )


def _data_row(
    key: str,
    label: str,
    kind: str,
    values: dict[str, Any] | None,
    p: float | None,
    test: str | None,
    n_missing: int | None,
) -> dict[str, Any]:
    """A ``data`` row: ``values`` per arm; all None and ``n_missing`` None when the column is absent."""
    return {
        "key": key,
        "label": label,
        "kind": kind,
        **(values or dict.fromkeys(ARMS)),
        "p": p,
        "test": test,
        "n_missing": n_missing,
        "note": NOT_IN_DATA if n_missing is None else missing_note(n_missing),
    }


def _absent_rows(rows: TableRows, level: str) -> None:
    """Every row empty, with its results keys None, when the cohort has no ``best_response``."""
    for cat in RESPONSE_LEVELS:
        k = cat.lower()
        for arm in ARMS:
            rows.add_stats(k, arm)
            rows.results[f"response.{k}.n.{arm}"] = None
            rows.results[f"response.{k}.pct.{arm}"] = None
        rows.data.append(_data_row(k, _RESPONSE_LABELS[cat], "n_pct", None, None, None, None))
    for k, label, _cats in _RATES:
        for arm in ARMS:
            rows.add_stats(k, arm)
            for s in ("ci_low.", "ci_high.") + (("",) if arm != "total" else ()):
                rows.results[f"response.{k}.{s}{arm}"] = None
        rows.results[f"response.{k}.p"] = None
        for stat in _DIFFERENCE:
            rows.results[f"response.{k}.{stat}"] = None
        rows.data.append(_data_row(k, f"{label}, % ({level} CI)", "rate", None, None, "Fisher exact", None))


def _recorded_responses(column: pd.Series, notes: list[str]) -> pd.Series:
    """Best responses in upper case; values outside the RECIST categories count as missing,
    and the notes say how many are missing or invalid."""
    resp = blank_as_missing(column).astype("string").str.upper()
    invalid = resp.notna() & ~resp.isin(RESPONSE_LEVELS)
    n_invalid = int(invalid.sum())
    if n_invalid:
        bad = sorted(resp[invalid].unique().tolist())
        notes.append(
            f"{n_invalid} response value(s) not in CR/PR/SD/PD/NE "
            f"({', '.join(map(str, bad))}) counted as missing."
        )
    resp = resp.mask(invalid)
    n_missing = int(resp.isna().sum())
    if n_missing:
        notes.append(
            f"best_response missing for {n_missing} patient(s); "
            "rates use the patients with a recorded response."
        )
    return resp


def _category_rows(
    rows: TableRows, counts: dict[str, dict[str, int]], denom: dict[str, int], n_missing: int
) -> None:
    """One row per RECIST category: n (%) of the patients with a recorded response."""
    for cat in RESPONSE_LEVELS:
        k = cat.lower()
        for arm in ARMS:
            pct = counts[cat][arm] / denom[arm] if denom[arm] else None
            rows.add_stats(k, arm, n=counts[cat][arm], denominator=denom[arm], pct=pct)
            rows.results[f"response.{k}.n.{arm}"] = counts[cat][arm]
            rows.results[f"response.{k}.pct.{arm}"] = pct
        rows.data.append(_data_row(k, _RESPONSE_LABELS[cat], "n_pct", counts[cat], None, None, n_missing))


def _rate_rows(
    rows: TableRows,
    counts: dict[str, dict[str, int]],
    denom: dict[str, int],
    n_missing: int,
    alpha: float,
    level: str,
) -> None:
    """ORR and DCR per arm with Clopper-Pearson CIs, Fisher's p between the arms and the
    difference with Newcombe's interval."""
    for k, label, cats in _RATES:
        n_yes = {arm: sum(counts[c][arm] for c in cats) for arm in ARMS}
        for arm in ARMS:
            rate = n_yes[arm] / denom[arm] if denom[arm] else None
            lo, hi = clopper_pearson(n_yes[arm], denom[arm], alpha)
            rows.add_stats(k, arm, n=n_yes[arm], denominator=denom[arm], pct=rate, ci_low=lo, ci_high=hi)
            if arm != "total":  # response.<rate>.<group>: the spec names the arms only
                rows.results[f"response.{k}.{arm}"] = rate
            rows.results[f"response.{k}.ci_low.{arm}"] = lo
            rows.results[f"response.{k}.ci_high.{arm}"] = hi
        p = fisher_p(n_yes["treatment"], denom["treatment"], n_yes["reference"], denom["reference"])
        rows.results[f"response.{k}.p"] = p
        difference = newcombe_difference(
            n_yes["treatment"], denom["treatment"], n_yes["reference"], denom["reference"], alpha
        )
        rows.results.update({f"response.{k}.{stat}": v for stat, v in zip(_DIFFERENCE, difference)})
        rows.data.append(
            _data_row(k, f"{label}, % ({level} CI)", "rate", n_yes, p, "Fisher exact", n_missing)
        )


def _format_response(table: SummaryTable) -> pd.DataFrame:
    order = ("treatment", "reference")
    out = []
    for row in table.data.itertuples(index=False):
        cells = {}
        for arm in order:
            header = table.column_header(arm)
            if row.note == NOT_IN_DATA:
                cells[header] = ""
                continue
            s = table.stats[(table.stats["key"] == row.key) & (table.stats["arm"] == arm)].iloc[0]
            if row.kind == "rate":
                cells[header] = f"{format_pct(s['pct'])} ({format_ci(s['ci_low'], s['ci_high'])})"
            else:
                cells[header] = format_n_pct(s["n"], s["denominator"])
        p_text = "" if (row.test is None or row.note == NOT_IN_DATA) else format_p(row.p)
        out.append({"Response": row.label, **cells, "p": p_text, "Note": row.note or ""})
    return pd.DataFrame(out)
