"""Table 3, second part: ICI class, ongoing treatment and immune-related adverse events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lcnec_utils.contract.params import Parameters
from lcnec_utils.contract.results_keys import ici_class_key, slug
from lcnec_utils.contract.schema import ICI_CLASSES
from lcnec_utils.stats.format import format_n_pct
from lcnec_utils.tables.arms import ARMS, Arms, arm_labels, split_arms
from lcnec_utils.tables.cells import NOT_IN_DATA, as_float, blank_as_missing, missing_note
from lcnec_utils.tables.summary import SummaryTable, TableRows, stats_frame, stats_row

#: irAE terms of the paper (keys always written when an AE table is given).
PAPER_IRAE_TERMS = ("interstitial_lung_disease", "hypothyroidism", "hepatitis")


#: Columns of the irAE table's ``data``: one row per term and arm.
IRAE_COLUMNS = [
    "key",
    "label",
    "arm",
    "n_arm",
    "grade_1",
    "grade_2",
    "grade_3",
    "grade_4",
    "grade_5",
    "grade_unknown",
    "any_grade",
    "grade3plus",
    "pct_any",
    "pct_grade3plus",
]


@dataclass
class SafetyTables:
    """Table 3's treatment rows: ``irae`` (immune-related AEs by term and
    grade), ``ici_class`` and ``ongoing``, each a :class:`SummaryTable`; the
    AE table's notes in ``notes``."""

    irae: SummaryTable
    ici_class: SummaryTable
    ongoing: SummaryTable
    notes: list[str]

    def results(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for t in (self.irae, self.ici_class, self.ongoing):
            out.update(t.results())
        return out

    def formatted(self) -> dict[str, pd.DataFrame]:
        return {
            "irae": self.irae.formatted(),
            "ici_class": self.ici_class.formatted(),
            "ongoing": self.ongoing.formatted(),
        }

    def to_html(self) -> str:
        """The three tables' HTML: ICI class, ongoing treatment, irAEs."""
        return "".join(t.to_html() for t in (self.ici_class, self.ongoing, self.irae))

    def _repr_html_(self) -> str:
        return self.to_html()


def _ici_table(arms: Arms, params: Parameters) -> SummaryTable:
    """ICI class of the treatment arm: n (%) of the patients with a class recorded."""
    rows, notes = TableRows(), []
    if "ici_class" not in arms.frame.columns:
        notes.append("ici_class: " + NOT_IN_DATA + ".")
        for cls in ICI_CLASSES:
            k = ici_class_key(cls)
            rows.results[f"ici_class.{k}.n.treatment"] = None
            rows.results[f"ici_class.{k}.pct.treatment"] = None
            rows.add_stats(k, "treatment")
            rows.data.append(
                {
                    "key": k,
                    "label": cls,
                    "kind": "n_pct",
                    "treatment": None,
                    "n_missing": None,
                    "note": NOT_IN_DATA,
                }
            )
    else:
        _ici_rows(arms, params, rows, notes)
    columns = ["key", "label", "kind", "treatment", "n_missing", "note"]
    return rows.summary_table(columns, arms, params, notes, "Immune checkpoint inhibitor class", _format_ici)


def _ici_rows(arms: Arms, params: Parameters, rows: TableRows, notes: list[str]) -> None:
    """One row per ICI class (the contract's, then any other recorded), with notes on classes
    recorded in the reference arm or missing in the treatment arm."""
    trt = arms.masks["treatment"]
    cls_col = blank_as_missing(arms.frame["ici_class"]).astype("string")
    known = cls_col.notna().to_numpy()
    n_ref_with = int((known & arms.masks["reference"]).sum())
    if n_ref_with:
        notes.append(
            f"{n_ref_with} patient(s) of the {params.reference_group} arm have an ICI class recorded; not counted."
        )
    n_missing = int((~known & trt).sum())
    if n_missing:
        notes.append(
            f"ICI class missing for {n_missing} patient(s) of the "
            f"{params.treatment_group} arm; percentages use the others."
        )
    d = int((known & trt).sum())
    levels = list(ICI_CLASSES) + sorted(set(cls_col[trt & known].unique().tolist()) - set(ICI_CLASSES))
    for cls in levels:
        k = ici_class_key(cls)
        n = int(((cls_col == cls).fillna(False).to_numpy(bool) & trt).sum())
        pct = n / d if d else None
        rows.results[f"ici_class.{k}.n.treatment"] = n
        rows.results[f"ici_class.{k}.pct.treatment"] = pct
        rows.add_stats(k, "treatment", n=n, denominator=d, pct=pct)
        rows.data.append(
            {
                "key": k,
                "label": f"{cls} inhibitor",
                "kind": "n_pct",
                "treatment": n,
                "n_missing": n_missing,
                "note": missing_note(n_missing),
            }
        )


def _format_ici(t: SummaryTable) -> pd.DataFrame:
    header = t.column_header("treatment")
    rows = []
    for r in t.data.itertuples(index=False):
        if r.note == NOT_IN_DATA:
            cell = ""
        else:
            cell = format_n_pct(t.stat(r.key, "treatment", "n"), t.stat(r.key, "treatment", "denominator"))
        rows.append({"ICI class": r.label, header: cell, "Note": r.note or ""})
    return pd.DataFrame(rows)


def _ongoing_table(arms: Arms, params: Parameters) -> SummaryTable:
    """Patients still on first-line treatment, per arm."""
    rows, notes = TableRows(), []
    if "ongoing_treatment" not in arms.frame.columns:
        notes.append("ongoing_treatment: " + NOT_IN_DATA + ".")
        vals = {arm: None for arm in ARMS}
        for arm in ARMS:
            rows.add_stats("ongoing", arm)
        n_missing, note = None, NOT_IN_DATA
    else:
        x = as_float(arms.frame["ongoing_treatment"]).to_numpy(float)
        known = ~np.isnan(x)
        vals = {}
        for arm in ARMS:
            m = arms.masks[arm]
            vals[arm] = int(((x == 1) & m).sum())
            d = int((known & m).sum())
            rows.add_stats("ongoing", arm, n=vals[arm], denominator=d, pct=vals[arm] / d if d else None)
        n_missing = int((~known).sum())
        note = missing_note(n_missing)
    for arm in ARMS:
        rows.results[f"treatment.ongoing.n.{arm}"] = vals[arm]
    rows.data.append(
        {
            "key": "ongoing",
            "label": "Ongoing treatment, n",
            "kind": "n_pct",
            **vals,
            "n_missing": n_missing,
            "note": note,
        }
    )
    columns = ["key", "label", "kind", *ARMS, "n_missing", "note"]
    return rows.summary_table(columns, arms, params, notes, "Ongoing first-line treatment", _format_ongoing)


def _format_ongoing(t: SummaryTable) -> pd.DataFrame:
    r = t.data.iloc[0]
    cells = {
        t.column_header(a): ("" if r["note"] == NOT_IN_DATA else str(r[a]))
        for a in ("treatment", "reference")
    }
    return pd.DataFrame([{"": r["label"], **cells, "Note": r["note"] or ""}])


def _irae_table(arms: Arms, ae: pd.DataFrame | None, params: Parameters) -> SummaryTable:
    """Patients with an immune-related AE by term: counted once per term at
    their worst grade; percentages of the arm's patients (all treated)."""
    notes: list[str] = []
    results: dict[str, Any] = {}

    def table(data: pd.DataFrame, stats: list[dict[str, Any]]) -> SummaryTable:
        return SummaryTable(
            data=data,
            stats=stats_frame(stats),
            labels=arm_labels(params),
            n=arms.n,
            notes=notes,
            title="Immune-related adverse events",
            _results=results,
            _formatter=_irae_formatter(ae is not None),
        )

    reason = _unanalysable_ae_reason(arms, ae)
    if reason:
        notes.append(reason)
        _no_irae_results(results)
        results["safety.grade3plus.n.treatment"] = None
        return table(pd.DataFrame(columns=IRAE_COLUMNS), [])
    events = _linked_events(arms, ae, notes)
    _grade3plus_result(events, arms, params, results, notes)
    if "immune_related" not in ae.columns:
        _no_irae_results(results)
        notes.append("Adverse-event table lacks immune_related: immune-related AEs not identified.")
        return table(pd.DataFrame(columns=IRAE_COLUMNS), [])
    imm = as_float(ae["immune_related"]).reindex(events.index)
    n_imm_missing = int(imm.isna().sum())
    if n_imm_missing:
        notes.append(
            f"{n_imm_missing} adverse event(s) with immune_related missing left out of the irAE counts."
        )
    worst, labels = _worst_grades(events[(imm == 1).to_numpy()].copy())
    keys = ["irae_any"] + sorted(k for k in labels if k != "irae_any")
    rows = [
        _irae_row(worst, key, labels[key], arm, arms.n[arm])
        for key in keys
        for arm in ("treatment", "reference")
    ]
    data = pd.DataFrame(rows, columns=IRAE_COLUMNS)
    _irae_results(data, keys, arms.n["treatment"], results)
    stats = [
        stats_row(r["key"], r["arm"], n=r["any_grade"], denominator=r["n_arm"], pct=r["pct_any"])
        for r in rows
    ]
    return table(data, stats)


def _unanalysable_ae_reason(arms: Arms, ae: pd.DataFrame | None) -> str | None:
    """Why the adverse events cannot be analysed at all (None when they can)."""
    if ae is None:
        return "No adverse-event table given: safety not analysed."
    missing_cols = [c for c in ("patient_id", "term", "grade") if c not in ae.columns]
    if missing_cols:
        return "Adverse-event table lacks " + ", ".join(missing_cols) + ": safety not analysed."
    if "patient_id" not in arms.frame.columns:
        return "Cohort lacks patient_id: adverse events cannot be linked to arms."
    return None


def _no_irae_results(results: dict[str, Any]) -> None:
    for term in PAPER_IRAE_TERMS:
        results[f"safety.irae.{term}.n.treatment"] = None
        results[f"safety.irae.{term}.pct.treatment"] = None
    results["safety.irae_any.n.treatment"] = None
    results["safety.irae_any.treatment"] = None
    results["safety.irae_any.grade3plus.n.treatment"] = None


def _linked_events(arms: Arms, ae: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """The adverse events with their patient's arm; events of unknown patients or without a
    term are left out, and the notes say how many (and how many lack a grade)."""
    pid = blank_as_missing(arms.frame["patient_id"]).astype("string").to_numpy(object)
    arm_of = pd.Series(np.where(arms.masks["treatment"], "treatment", "reference"), index=pid)
    arm_of = arm_of[~arm_of.index.duplicated()]
    events = pd.DataFrame(
        {
            "patient_id": blank_as_missing(ae["patient_id"]).astype("string"),
            "term": blank_as_missing(ae["term"]).astype("string"),
            "grade": as_float(ae["grade"]),
        }
    )
    events["arm"] = events["patient_id"].map(arm_of)
    unlinked = int(events["arm"].isna().sum())
    if unlinked:
        notes.append(f"{unlinked} adverse event(s) of patients not in the analysed cohort left out.")
    events = events[events["arm"].notna()]
    no_term = int(events["term"].isna().sum())
    if no_term:
        notes.append(f"{no_term} adverse event(s) without a term left out.")
        events = events[events["term"].notna()]
    n_grade_missing = int(events["grade"].isna().sum())
    if n_grade_missing:
        notes.append(f"{n_grade_missing} adverse event(s) without a grade: counted in 'any grade' only.")
    return events


def _grade3plus_result(
    events: pd.DataFrame, arms: Arms, params: Parameters, results: dict[str, Any], notes: list[str]
) -> None:
    """Patients with an adverse event of any kind of grade >= 3 (the paper's "no grade 3 or
    higher adverse events"): the treatment arm's count as a result, both arms in a note."""
    g3 = events[events["grade"] >= 3].groupby("arm")["patient_id"].nunique()
    results["safety.grade3plus.n.treatment"] = int(g3.get("treatment", 0))
    notes.append(
        "Patients with an adverse event of any kind of grade ≥3: "
        f"{int(g3.get('treatment', 0))} of {arms.n['treatment']} ({params.treatment_group}), "
        f"{int(g3.get('reference', 0))} of {arms.n['reference']} ({params.reference_group})."
    )


def _worst_grades(ir: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """Each patient's worst grade per irAE term and over all irAEs (key ``irae_any``), and the
    label of every term key (the paper's terms always among them)."""
    ir["key"] = ir["term"].map(slug)
    # worst grade per patient and term (NaN grade only when no graded event)
    worst = (
        ir.groupby(["arm", "key", "patient_id"], sort=False)
        .agg(label=("term", "first"), grade=("grade", "max"))
        .reset_index()
    )
    anyp = ir.groupby(["arm", "patient_id"])["grade"].max().reset_index()
    anyp["key"] = "irae_any"
    anyp["label"] = "Any immune-related AE"
    worst = pd.concat([worst, anyp], ignore_index=True)
    labels = worst.drop_duplicates("key").set_index("key")["label"].to_dict()
    labels.setdefault("irae_any", "Any immune-related AE")
    for k in PAPER_IRAE_TERMS:
        if k not in labels:
            labels[k] = k.replace("_", " ").capitalize()
    return worst, labels


def _irae_row(worst: pd.DataFrame, key: str, label: str, arm: str, n_arm: int) -> dict[str, Any]:
    """Patients of ``arm`` by worst grade of irAE ``key``, with shares of the arm."""
    w = worst[(worst["key"] == key) & (worst["arm"] == arm)]["grade"]
    r = {"key": key, "label": label, "arm": arm, "n_arm": n_arm}
    for g in range(1, 6):
        r[f"grade_{g}"] = int((w == g).sum())
    r["grade_unknown"] = int(w.isna().sum())
    r["any_grade"] = int(w.size)
    r["grade3plus"] = int((w >= 3).sum())
    r["pct_any"] = r["any_grade"] / n_arm if n_arm else None
    r["pct_grade3plus"] = r["grade3plus"] / n_arm if n_arm else None
    return r


def _irae_results(data: pd.DataFrame, keys: list[str], n_treatment: int, results: dict[str, Any]) -> None:
    """The treatment arm's ``safety.irae.<term>`` and ``safety.irae_any`` keys; a paper term
    nobody had counts 0 (0% of a non-empty arm)."""

    def get(key: str, col: str) -> Any:
        sel = data[(data["key"] == key) & (data["arm"] == "treatment")]
        return None if sel.empty else sel.iloc[0][col]

    for term in set(PAPER_IRAE_TERMS) | {k for k in keys if k != "irae_any"}:
        n = get(term, "any_grade")
        results[f"safety.irae.{term}.n.treatment"] = 0 if n is None else n
        pct = get(term, "pct_any")
        results[f"safety.irae.{term}.pct.treatment"] = (
            pct if pct is not None else (0.0 if n_treatment else None)
        )
    results["safety.irae_any.n.treatment"] = get("irae_any", "any_grade")
    results["safety.irae_any.treatment"] = get("irae_any", "pct_any")
    # immune-related events identified, none in the arm: no patient had one of grade >= 3
    g3 = get("irae_any", "grade3plus")
    results["safety.irae_any.grade3plus.n.treatment"] = g3 if g3 is not None else (0 if n_treatment else None)


def _irae_formatter(ae_given: bool):
    """The printed irAE table: per term and arm, n (%) at grade 1–2, grade ≥3 and any grade."""

    def formatted(t: SummaryTable) -> pd.DataFrame:
        if t.data.empty:
            return pd.DataFrame(
                {"Term": ["No immune-related adverse events" if ae_given else "No adverse-event table"]}
            )
        rows = []
        for _, g in t.data.groupby("key", sort=False):
            out = {"Term": g["label"].iloc[0]}
            for arm in ("treatment", "reference"):
                r = g[g["arm"] == arm].iloc[0]
                h = t.labels[arm]
                out[f"{h}: grade 1–2"] = format_n_pct(r["grade_1"] + r["grade_2"], r["n_arm"])
                out[f"{h}: grade ≥3"] = format_n_pct(r["grade3plus"], r["n_arm"])
                out[f"{h}: any grade"] = format_n_pct(r["any_grade"], r["n_arm"])
            rows.append(out)
        return pd.DataFrame(rows)

    return formatted


def safety_tables(cohort: pd.DataFrame, ae: pd.DataFrame | None, params: Parameters) -> SafetyTables:
    """Table 3's treatment and safety rows.

    * irAEs (``ae`` rows with ``immune_related == 1``) by CTCAE v5.0 term:
      patients counted once per term at their worst grade, grade 1–2, ≥3 and
      any grade, n (%) of all patients of the arm (all were treated); "any
      immune-related AE" counts each patient once (``safety.irae_any.grade3plus.n.treatment``:
      those with one of grade >=3). ``safety.grade3plus.n.*``
      counts patients with a grade ≥3 AE of any kind (the paper's "no grade 3
      or higher adverse events"; the reference arm's count and the
      immune-related grade >=3 counts are in ``.irae.data``).
    * ICI class of the treatment arm, n (%) of the patients with a class
      recorded (``ici_class.<pd1|pdl1|pd1_ctla4>.{n,pct}.treatment``).
    * patients still on first-line treatment (``treatment.ongoing.n.<arm>``).

    ``ae=None`` (no AE file) gives an empty irAE table with a note and
    ``None`` for every ``safety.*`` key. Reference: NCI CTCAE v5.0 (2017).
    """
    arms = split_arms(cohort, params)
    irae = _irae_table(arms, ae, params)
    ici = _ici_table(arms, params)
    ongoing = _ongoing_table(arms, params)
    return SafetyTables(irae=irae, ici_class=ici, ongoing=ongoing, notes=arms.notes + irae.notes)
