"""Table 3, second part: ICI class, ongoing treatment and immune-related adverse events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lcnec_utils.contract.params import Parameters
from lcnec_utils.contract.results_keys import ici_class_key, slug
from lcnec_utils.stats.format import format_n_pct
from lcnec_utils.tables.common import (
    ARMS,
    NOT_IN_DATA,
    SummaryTable,
    _Arms,
    _clean,
    _empty_stats_row,
    _frame,
    _missing_note,
    _numeric,
    _split_arms,
    _stats_frame,
    arm_labels,
)

#: ICI classes of the data contract, in the paper's order.
ICI_CLASSES = ("PD-1", "PD-L1", "PD-1/CTLA-4")


#: irAE terms of the paper (keys always written when an AE table is given).
PAPER_IRAE_TERMS = ("interstitial_lung_disease", "hypothyroidism", "hepatitis")


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

    def _repr_html_(self) -> str:
        return "".join(t._repr_html_() for t in (self.ici_class, self.ongoing, self.irae))


def _ici_table(arms: _Arms, params: Parameters) -> SummaryTable:
    df = arms.frame
    data_rows, stat_rows, results, notes = [], [], {}, []
    trt = arms.masks["treatment"]
    if "ici_class" not in df.columns:
        notes.append("ici_class: " + NOT_IN_DATA + ".")
        for cls in ICI_CLASSES:
            k = ici_class_key(cls)
            results[f"ici_class.{k}.n.treatment"] = None
            results[f"ici_class.{k}.pct.treatment"] = None
            stat_rows.append(_empty_stats_row(k, "treatment"))
            data_rows.append(
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
        cls_col = _clean(df["ici_class"]).astype("string")
        known = cls_col.notna().to_numpy()
        n_ref_with = int((known & arms.masks["reference"]).sum())
        if n_ref_with:
            notes.append(
                f"{n_ref_with} patient(s) of the {params.reference_group} arm have an "
                "ICI class recorded; not counted."
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
            results[f"ici_class.{k}.n.treatment"] = n
            results[f"ici_class.{k}.pct.treatment"] = pct
            row = _empty_stats_row(k, "treatment")
            row.update(n=n, denominator=d, pct=pct)
            stat_rows.append(row)
            data_rows.append(
                {
                    "key": k,
                    "label": f"{cls} inhibitor",
                    "kind": "n_pct",
                    "treatment": n,
                    "n_missing": n_missing,
                    "note": _missing_note(n_missing),
                }
            )
    data = _frame(data_rows, ["key", "label", "kind", "treatment", "n_missing", "note"])

    def fmt(t: SummaryTable) -> pd.DataFrame:
        header = t.column_header("treatment")
        rows = []
        for r in t.data.itertuples(index=False):
            if r.note == NOT_IN_DATA:
                cell = ""
            else:
                cell = format_n_pct(
                    t.stat(r.key, "treatment", "n"), t.stat(r.key, "treatment", "denominator")
                )
            rows.append({"ICI class": r.label, header: cell, "Note": r.note or ""})
        return pd.DataFrame(rows)

    return SummaryTable(
        data=data,
        stats=_stats_frame(stat_rows),
        labels=arm_labels(params),
        n=arms.n,
        notes=notes,
        title="Immune checkpoint inhibitor class",
        _results=results,
        _formatter=fmt,
    )


def _ongoing_table(arms: _Arms, params: Parameters) -> SummaryTable:
    df = arms.frame
    results, notes, stat_rows = {}, [], []
    if "ongoing_treatment" not in df.columns:
        notes.append("ongoing_treatment: " + NOT_IN_DATA + ".")
        vals = {arm: None for arm in ARMS}
        for arm in ARMS:
            stat_rows.append(_empty_stats_row("ongoing", arm))
        n_missing, note = None, NOT_IN_DATA
    else:
        x = _numeric(df["ongoing_treatment"]).to_numpy(float)
        known = ~np.isnan(x)
        vals = {}
        for arm in ARMS:
            m = arms.masks[arm]
            vals[arm] = int(((x == 1) & m).sum())
            d = int((known & m).sum())
            row = _empty_stats_row("ongoing", arm)
            row.update(n=vals[arm], denominator=d, pct=vals[arm] / d if d else None)
            stat_rows.append(row)
        n_missing = int((~known).sum())
        note = _missing_note(n_missing)
    for arm in ARMS:
        results[f"treatment.ongoing.n.{arm}"] = vals[arm]
    data = _frame(
        [
            {
                "key": "ongoing",
                "label": "Ongoing treatment, n",
                "kind": "n_pct",
                **vals,
                "n_missing": n_missing,
                "note": note,
            }
        ],
        ["key", "label", "kind", *ARMS, "n_missing", "note"],
    )

    def fmt(t: SummaryTable) -> pd.DataFrame:
        r = t.data.iloc[0]
        cells = {
            t.column_header(a): ("" if r["note"] == NOT_IN_DATA else str(r[a]))
            for a in ("treatment", "reference")
        }
        return pd.DataFrame([{"": r["label"], **cells, "Note": r["note"] or ""}])

    return SummaryTable(
        data=data,
        stats=_stats_frame(stat_rows),
        labels=arm_labels(params),
        n=arms.n,
        notes=notes,
        title="Ongoing first-line treatment",
        _results=results,
        _formatter=fmt,
    )


def _irae_table(arms: _Arms, ae: pd.DataFrame | None, params: Parameters) -> SummaryTable:
    """Patients with an immune-related AE by term: counted once per term at
    their worst grade; percentages of the arm's patients (all treated)."""
    df = arms.frame
    notes: list[str] = []
    results: dict[str, Any] = {}
    cols = [
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

    def fmt(t: SummaryTable) -> pd.DataFrame:
        if t.data.empty:
            return pd.DataFrame(
                {"Term": ["No adverse-event table" if ae is None else "No immune-related adverse events"]}
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

    def empty(reason: str) -> SummaryTable:
        notes.append(reason)
        for term in PAPER_IRAE_TERMS:
            results[f"safety.irae.{term}.n.treatment"] = None
            results[f"safety.irae.{term}.pct.treatment"] = None
        results["safety.irae_any.n.treatment"] = None
        results["safety.irae_any.treatment"] = None
        results["safety.grade3plus.n.treatment"] = None
        return SummaryTable(
            data=pd.DataFrame(columns=cols),
            stats=_stats_frame([]),
            labels=arm_labels(params),
            n=arms.n,
            notes=notes,
            title="Immune-related adverse events",
            _results=results,
            _formatter=fmt,
        )

    if ae is None:
        return empty("No adverse-event table given: safety not analysed.")
    missing_cols = [c for c in ("patient_id", "term", "grade") if c not in ae.columns]
    if missing_cols:
        return empty("Adverse-event table lacks " + ", ".join(missing_cols) + ": safety not analysed.")
    if "patient_id" not in df.columns:
        return empty("Cohort lacks patient_id: adverse events cannot be linked to arms.")

    pid = _clean(df["patient_id"]).astype("string").to_numpy(object)
    arm_of = pd.Series(np.where(arms.masks["treatment"], "treatment", "reference"), index=pid)
    arm_of = arm_of[~arm_of.index.duplicated()]
    events = pd.DataFrame(
        {
            "patient_id": _clean(ae["patient_id"]).astype("string"),
            "term": _clean(ae["term"]).astype("string"),
            "grade": _numeric(ae["grade"]),
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

    # grade >= 3 of any AE (the paper's "no grade 3 or higher adverse events")
    g3 = events[events["grade"] >= 3].groupby("arm")["patient_id"].nunique()
    results["safety.grade3plus.n.treatment"] = int(g3.get("treatment", 0))
    notes.append(
        "Patients with an adverse event of any kind of grade ≥3: "
        f"{int(g3.get('treatment', 0))} of {arms.n['treatment']} ({params.treatment_group}), "
        f"{int(g3.get('reference', 0))} of {arms.n['reference']} ({params.reference_group})."
    )

    if "immune_related" not in ae.columns:
        for term in PAPER_IRAE_TERMS:
            results[f"safety.irae.{term}.n.treatment"] = None
            results[f"safety.irae.{term}.pct.treatment"] = None
        results["safety.irae_any.n.treatment"] = None
        results["safety.irae_any.treatment"] = None
        notes.append("Adverse-event table lacks immune_related: immune-related AEs not identified.")
        return SummaryTable(
            data=pd.DataFrame(columns=cols),
            stats=_stats_frame([]),
            labels=arm_labels(params),
            n=arms.n,
            notes=notes,
            title="Immune-related adverse events",
            _results=results,
            _formatter=fmt,
        )
    imm = _numeric(ae["immune_related"]).reindex(events.index)
    n_imm_missing = int(imm.isna().sum())
    if n_imm_missing:
        notes.append(
            f"{n_imm_missing} adverse event(s) with immune_related missing left out of the irAE counts."
        )
    ir = events[(imm == 1).to_numpy()].copy()
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
    keys = ["irae_any"] + sorted(k for k in labels if k != "irae_any")
    for k in PAPER_IRAE_TERMS:
        if k not in labels:
            labels[k] = k.replace("_", " ").capitalize()
    rows = []
    for key in keys:
        for arm in ("treatment", "reference"):
            w = worst[(worst["key"] == key) & (worst["arm"] == arm)]["grade"]
            n_arm = arms.n[arm]
            r = {"key": key, "label": labels[key], "arm": arm, "n_arm": n_arm}
            for g in range(1, 6):
                r[f"grade_{g}"] = int((w == g).sum())
            r["grade_unknown"] = int(w.isna().sum())
            r["any_grade"] = int(w.size)
            r["grade3plus"] = int((w >= 3).sum())
            r["pct_any"] = r["any_grade"] / n_arm if n_arm else None
            r["pct_grade3plus"] = r["grade3plus"] / n_arm if n_arm else None
            rows.append(r)
    data = pd.DataFrame(rows, columns=cols)

    def get(key: str, arm: str, col: str) -> Any:
        sel = data[(data["key"] == key) & (data["arm"] == arm)]
        return None if sel.empty else sel.iloc[0][col]

    for term in set(PAPER_IRAE_TERMS) | {k for k in keys if k != "irae_any"}:
        n = get(term, "treatment", "any_grade")
        results[f"safety.irae.{term}.n.treatment"] = 0 if n is None else n
        pct = get(term, "treatment", "pct_any")
        n_arm = arms.n["treatment"]
        results[f"safety.irae.{term}.pct.treatment"] = pct if pct is not None else (0.0 if n_arm else None)
    results["safety.irae_any.n.treatment"] = get("irae_any", "treatment", "any_grade")
    results["safety.irae_any.treatment"] = get("irae_any", "treatment", "pct_any")

    st = []
    for r in rows:
        s = _empty_stats_row(r["key"], r["arm"])
        s.update(n=r["any_grade"], denominator=r["n_arm"], pct=r["pct_any"])
        st.append(s)
    return SummaryTable(
        data=data,
        stats=_stats_frame(st),
        labels=arm_labels(params),
        n=arms.n,
        notes=notes,
        title="Immune-related adverse events",
        _results=results,
        _formatter=fmt,
    )


def safety_tables(cohort: pd.DataFrame, ae: pd.DataFrame | None, params: Parameters) -> SafetyTables:
    """Table 3's treatment and safety rows.

    * irAEs (``ae`` rows with ``immune_related == 1``) by CTCAE v5.0 term:
      patients counted once per term at their worst grade, grade 1–2, ≥3 and
      any grade, n (%) of all patients of the arm (all were treated); "any
      immune-related AE" counts each patient once. ``safety.grade3plus.n.*``
      counts patients with a grade ≥3 AE of any kind (the paper's "no grade 3
      or higher adverse events"; the reference arm's count and the
      immune-related grade >=3 counts are in ``.irae.data``).
    * ICI class of the treatment arm, n (%) of the patients with a class
      recorded (``ici_class.<pd1|pdl1|pd1_ctla4>.{n,pct}.treatment``).
    * patients still on first-line treatment (``treatment.ongoing.n.<arm>``).

    ``ae=None`` (no AE file) gives an empty irAE table with a note and
    ``None`` for every ``safety.*`` key. Reference: NCI CTCAE v5.0 (2017).
    """
    arms = _split_arms(cohort, params)
    irae = _irae_table(arms, ae, params)
    ici = _ici_table(arms, params)
    ongoing = _ongoing_table(arms, params)
    return SafetyTables(irae=irae, ici_class=ici, ongoing=ongoing, notes=arms.notes + irae.notes)
