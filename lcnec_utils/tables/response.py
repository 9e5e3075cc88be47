"""Table 3, first part: best response by RECIST category, objective response and disease control."""

from __future__ import annotations

import pandas as pd

from lcnec_utils.contract.params import Parameters
from lcnec_utils.stats.classical import clopper_pearson, fisher_p
from lcnec_utils.stats.format import format_ci, format_n_pct, format_p, format_pct
from lcnec_utils.tables.common import (
    ARMS,
    NOT_IN_DATA,
    SummaryTable,
    _clean,
    _empty_stats_row,
    _frame,
    _missing_note,
    _split_arms,
    _stats_frame,
    arm_labels,
)

RESPONSE_CATEGORIES = ("CR", "PR", "SD", "PD", "NE")


_RESPONSE_LABELS = {
    "CR": "Complete response (CR)",
    "PR": "Partial response (PR)",
    "SD": "Stable disease (SD)",
    "PD": "Progressive disease (PD)",
    "NE": "Not evaluable (NE)",
}


def response_table(cohort: pd.DataFrame, params: Parameters) -> SummaryTable:
    """Table 3: best response at the first evaluation (RECIST 1.1) by arm.

    Counts of CR, PR, SD, PD and NE; ORR = (CR + PR) / n and DCR =
    (CR + PR + SD) / n, where n is the arm's patients with a recorded
    response (NE counts in n as a non-responder, as RECIST's intention-to-treat
    reading does); Clopper-Pearson (exact) CIs at level ``1 - params.alpha``;
    ORR and DCR compared by Fisher's exact test, two-sided. Values other than
    the five RECIST categories count as missing and are reported in a note.
    Reference: Eisenhauer et al., Eur J Cancer 2009;45:228-47 (RECIST 1.1).
    """
    arms = _split_arms(cohort, params)
    df = arms.frame
    notes = list(arms.notes)
    data_rows, stat_rows, results = [], [], {}
    level = f"{100 * (1 - params.alpha):g}%"
    if "best_response" not in df.columns:
        notes.append("best_response: " + NOT_IN_DATA + "; response rates not computed.")
        for cat in RESPONSE_CATEGORIES:
            k = cat.lower()
            for arm in ARMS:
                stat_rows.append(_empty_stats_row(k, arm))
                results[f"response.{k}.n.{arm}"] = None
                results[f"response.{k}.pct.{arm}"] = None
            data_rows.append(
                {
                    "key": k,
                    "label": _RESPONSE_LABELS[cat],
                    "kind": "n_pct",
                    "total": None,
                    "reference": None,
                    "treatment": None,
                    "p": None,
                    "test": None,
                    "n_missing": None,
                    "note": NOT_IN_DATA,
                }
            )
        for k, label in (("orr", "ORR"), ("dcr", "DCR")):
            for arm in ARMS:
                stat_rows.append(_empty_stats_row(k, arm))
                for s in ("ci_low.", "ci_high.") + (("",) if arm != "total" else ()):
                    results[f"response.{k}.{s}{arm}"] = None
            results[f"response.{k}.p"] = None
            data_rows.append(
                {
                    "key": k,
                    "label": f"{label}, % ({level} CI)",
                    "kind": "rate",
                    "total": None,
                    "reference": None,
                    "treatment": None,
                    "p": None,
                    "test": "Fisher exact",
                    "n_missing": None,
                    "note": NOT_IN_DATA,
                }
            )
    else:
        resp = _clean(df["best_response"]).astype("string").str.upper()
        invalid = resp.notna() & ~resp.isin(RESPONSE_CATEGORIES)
        n_invalid = int(invalid.sum())
        if n_invalid:
            bad = sorted(resp[invalid].unique().tolist())
            notes.append(
                f"{n_invalid} response value(s) not in CR/PR/SD/PD/NE "
                f"({', '.join(map(str, bad))}) counted as missing."
            )
        resp = resp.mask(invalid)
        known = resp.notna().to_numpy()
        n_missing = int((~known).sum())
        if n_missing:
            notes.append(
                f"best_response missing for {n_missing} patient(s); "
                "rates use the patients with a recorded response."
            )
        denom = {arm: int((known & arms.masks[arm]).sum()) for arm in ARMS}
        is_cat = {c: (resp == c).fillna(False).to_numpy(bool) for c in RESPONSE_CATEGORIES}
        counts = {
            c: {arm: int((is_cat[c] & arms.masks[arm]).sum()) for arm in ARMS} for c in RESPONSE_CATEGORIES
        }
        for cat in RESPONSE_CATEGORIES:
            k = cat.lower()
            for arm in ARMS:
                pct = counts[cat][arm] / denom[arm] if denom[arm] else None
                row = _empty_stats_row(k, arm)
                row.update(n=counts[cat][arm], denominator=denom[arm], pct=pct)
                stat_rows.append(row)
                results[f"response.{k}.n.{arm}"] = counts[cat][arm]
                results[f"response.{k}.pct.{arm}"] = pct
            data_rows.append(
                {
                    "key": k,
                    "label": _RESPONSE_LABELS[cat],
                    "kind": "n_pct",
                    **{a: counts[cat][a] for a in ARMS},
                    "p": None,
                    "test": None,
                    "n_missing": n_missing,
                    "note": _missing_note(n_missing),
                }
            )
        for k, label, cats in (("orr", "ORR", ("CR", "PR")), ("dcr", "DCR", ("CR", "PR", "SD"))):
            n_yes = {arm: sum(counts[c][arm] for c in cats) for arm in ARMS}
            for arm in ARMS:
                rate = n_yes[arm] / denom[arm] if denom[arm] else None
                lo, hi = clopper_pearson(n_yes[arm], denom[arm], params.alpha)
                row = _empty_stats_row(k, arm)
                row.update(n=n_yes[arm], denominator=denom[arm], pct=rate, ci_low=lo, ci_high=hi)
                stat_rows.append(row)
                if arm != "total":  # response.<rate>.<group>: the spec names the arms only
                    results[f"response.{k}.{arm}"] = rate
                results[f"response.{k}.ci_low.{arm}"] = lo
                results[f"response.{k}.ci_high.{arm}"] = hi
            p = fisher_p(n_yes["treatment"], denom["treatment"], n_yes["reference"], denom["reference"])
            results[f"response.{k}.p"] = p
            data_rows.append(
                {
                    "key": k,
                    "label": f"{label}, % ({level} CI)",
                    "kind": "rate",
                    **n_yes,
                    "p": p,
                    "test": "Fisher exact",
                    "n_missing": n_missing,
                    "note": _missing_note(n_missing),
                }
            )
    data = _frame(data_rows, ["key", "label", "kind", *ARMS, "p", "test", "n_missing", "note"])
    return SummaryTable(
        data=data,
        stats=_stats_frame(stat_rows),
        labels=arm_labels(params),
        n=arms.n,
        notes=notes,
        title="Response at the first evaluation",
        _results=results,
        _formatter=_format_response,
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
