"""A starting mapping file from a file's headers (``lcnec map --init FILE``), to be checked and completed.

Each header gets the contract column it most likely is (same name; the same
but for case, spaces or punctuation; a resemblance) or a commented line when
none is close; the value labels of an SPSS or Stata file become a ``values:``
skeleton for the columns that take listed values or 0/1; columns whose
cells are dates suggest a ``dates:`` section. Only headers and value labels
are written, never a cell of the file.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from pathlib import Path

from lcnec_utils.contract.headers import closest_contract_name, normal_name
from lcnec_utils.contract.readers.dispatch import read_table
from lcnec_utils.contract.readers.table import RawTable
from lcnec_utils.contract.schema import COHORT_SPEC

#: Names hospital exports often give contract columns, by their letters only (``normal_name``): offered
#: by ``map --init`` as a guess to check, never applied to a file without a mapping.
USUAL_NAMES = {
    "arm": "group",
    "treatmentarm": "group",
    "treatmentgroup": "group",
    "cohort": "group",
    "vitalstatus": "os_event",
    "status": "os_event",
    "dead": "os_event",
    "died": "os_event",
    "death": "os_event",
    "gender": "sex",
    "smoker": "smoking",
    "smokingstatus": "smoking",
    "eversmoker": "smoking",
    "regimen": "chemo_regimen",
    "chemotherapy": "chemo_regimen",
    "ecogps": "ecog",
    "performancestatus": "ecog",
    "response": "best_response",
    "bestoverallresponse": "best_response",
    "id": "patient_id",
    "patientnumber": "patient_id",
    "mrn": "patient_id",
}
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_ ./-]*")
_YAML_WORDS = {"yes", "no", "on", "off", "true", "false", "null", "y", "n", "~"}


def yaml_text(text: str) -> str:
    """``text`` as a YAML scalar: as it is when YAML reads it back as the same text, else quoted."""
    if _PLAIN.fullmatch(text) and text.strip() == text and text.casefold() not in _YAML_WORDS:
        return text
    return json.dumps(text, ensure_ascii=False)


def _is_date_column(raw: RawTable, header: str) -> bool:
    values = raw.frame[header].dropna()
    typed = len(values) and all(isinstance(v, _dt.date) for v in values)
    return bool(typed) or "date" in header.casefold()


def _columns_section(raw: RawTable) -> tuple[list[str], dict[str, str]]:
    lines = ["columns:  # the file's header: the contract's column"]
    chosen: dict[str, str] = {}
    for header in raw.frame.columns:
        taken = set(chosen.values())
        name, why = closest_contract_name(header, [n for n in COHORT_SPEC if n not in taken])
        usual = USUAL_NAMES.get(normal_name(header))
        if name is None and usual is not None and usual not in taken:
            name, why = usual, "a usual name for it: check the meaning and the codes"
        if name is None:
            lines.append(
                f"  # {yaml_text(header)}: ~  # no contract column is close: map it, or leave it out"
            )
            continue
        chosen[header] = name
        lines.append(f"  {yaml_text(header)}: {name}  # {why}")
    return lines, chosen


def _values_section(raw: RawTable, chosen: dict[str, str]) -> list[str]:
    lines = []
    for header, labels in raw.value_labels.items():
        name = chosen.get(header)
        if name is None or COHORT_SPEC[name].kind not in ("category", "binary", "text"):
            continue
        if COHORT_SPEC[name].kind == "binary" and set(labels) <= {"0", "1"}:
            continue  # the codes are the contract's already
        want = "0 or 1" if COHORT_SPEC[name].kind == "binary" else "the contract's value"
        lines.append(f"  {name}:  # the file's value labels; replace each with {want}")
        lines += [f"    {yaml_text(code)}: {yaml_text(label)}" for code, label in labels.items()]
    return (["values:  # contract column: {the file's code: the contract's value}"] + lines) if lines else []


def starting_mapping(path: str | Path, sheet: str | None = None) -> str:
    """The text of a starting mapping file for the file at ``path`` (see the module's docstring)."""
    raw = read_table(path, sheet)
    columns, chosen = _columns_section(raw)
    dated = [h for h in raw.frame.columns if _is_date_column(raw, h) and h not in chosen]
    lines = [
        f"# Mapping file for {Path(path).name} ({raw.describe()}), started by lcnec map --init.",
        "# Check every line: a guess is marked with why it was made. The schema is in",
        "# docs/spec/data-contract.md, section 'The mapping file'.",
        *columns,
        *_values_section(raw, chosen),
    ]
    if dated:
        lines += [
            "# dates:  # to derive os_months/pfs_months from dates; the file's date columns are "
            + ", ".join(yaml_text(h) for h in dated),
            "#   start: ...",
            "#   death: ...",
            "#   last_contact: ...",
            "#   progression: ...",
            "#   cutoff: YYYY-MM-DD",
            "#   decimals: 1",
        ]
    if sheet:
        lines.append(f"sheet: {yaml_text(sheet)}")
    return "\n".join(lines) + "\n"
