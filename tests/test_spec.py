"""The specifications hold: ``docs/spec/`` agrees with the code and the dictionaries, and keeps
every promise of the project's original (``../shared/spec/``).

The repository's copy of the data contract and of the results-key specification
(``docs/spec/``) is the one to extend; the original may be absent (a clone on its own),
and the tests that read it are skipped then. What "keeps every promise" means here:

* every column of the original contract is in the copy's table with the same type,
  allowed values and required status, and the code's column specs
  (``lcnec_utils.contract.schema.COHORT_COLUMNS``/``AE_COLUMNS``) and
  ``data/data_dictionary.yaml`` say the same;
* every rule of the contract is enforced: a small valid cohort is accepted, and each
  one-cell break of a rule is refused with a message that names the file, the column
  and the row;
* every key of the original results-key table, patterns expanded, is in the copy with
  the original's meaning (the same words), and in ``data/results_keys.yaml`` as a key
  of origin ``spec`` (the dictionary's word for "the spec's meaning") with the unit the
  original's conventions give it; the copy's full key table and the dictionary list the
  same keys with the same units and chapters.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

sys.path.insert(0, str(Path(__file__).parent))
from spec_keys import (
    KEY_TABLE,
    ORIGINAL_SPEC_DIR,
    SPEC_DIR,
    code_names,
    expand_braces,
    markdown_table,
    spec_keys,
)

from lcnec_utils.cli import EXIT_BAD_DATA, main
from lcnec_utils.contract import schema
from lcnec_utils.contract.io import load_cohort
from lcnec_utils.contract.params import DATA_DICTIONARY
from lcnec_utils.contract.results_keys import RESULTS_KEYS_PATH, expand_pattern, load_results_keys

needs_original = pytest.mark.skipif(
    not ORIGINAL_SPEC_DIR.is_dir(), reason="../shared/spec is absent: the repository's copy stands alone"
)

COHORT_TABLE = ("column", "type and allowed values", "required", "meaning")
AE_TABLE = ("column", "type", "meaning")
FULL_KEY_TABLE = ("key", "unit", "chapter", "its own placeholders", "meaning")
PLACEHOLDER_TABLE = ("placeholder", "values")


def _same_words(text: str) -> str:
    return " ".join(text.split())


# --------------------------------------------------------------------------- the column tables


def contract_column(type_text: str) -> dict:
    """What a cell "type and allowed values" says, in the terms of ``schema.ColumnSpec``."""
    if type_text.startswith("non-empty text"):
        kind = "id"
    elif type_text.startswith("text"):
        kind = "text"
    elif type_text == "0 or 1":
        kind = "binary"
    elif type_text.startswith(("number", "integer")):
        kind = type_text.split()[0].rstrip(",")
    elif code_names(type_text):
        kind = "category"
    else:
        raise ValueError(f"a type this test does not know: {type_text!r}")
    low = high = None
    if m := re.search(r"(\d+) to (\d+)", type_text):
        low, high = float(m[1]), float(m[2])
    elif m := re.search(r">= (\d+)", type_text):
        low = float(m[1])
    levels = tuple(code_names(type_text)) if kind == "category" else ()
    return {"kind": kind, "low": low, "high": high, "levels": levels, "open": "others allowed" in type_text}


def code_column(spec: schema.ColumnSpec) -> dict:
    low = None if spec.low is None else float(spec.low)
    high = None if spec.high is None else float(spec.high)
    return {"kind": spec.kind, "low": low, "high": high, "levels": spec.levels, "open": spec.open_levels}


def column_rows(path: Path, header: tuple[str, ...]) -> dict[str, list[str]]:
    """``{column: row}`` of a contract table; a row naming several columns gives each the row."""
    return {name: row for row in markdown_table(path, header) for name in code_names(row[0])}


def required_in_table(cell: str) -> bool:
    """'yes' is required; 'no' and 'with `pfs_months`' (the pair rule, tested below) are not."""
    assert cell == "yes" or cell == "no" or cell.startswith("with "), cell
    return cell == "yes"


def _check_cohort_columns(path: Path) -> dict[str, list[str]]:
    rows = column_rows(path, COHORT_TABLE)
    for name, row in rows.items():
        assert name in schema.COHORT_SPEC, f"{name} is in {path.name} but not in the schema"
        spec = schema.COHORT_SPEC[name]
        assert code_column(spec) == contract_column(row[1]), name
        assert spec.required == required_in_table(row[2]), name
    return rows


def _check_ae_columns(path: Path) -> None:
    for name, row in column_rows(path, AE_TABLE).items():
        assert code_column(schema.AE_SPEC[name]) == contract_column(row[1]), name


def test_the_copy_of_the_contract_is_what_the_schema_checks():
    rows = _check_cohort_columns(SPEC_DIR / "data-contract.md")
    assert set(rows) == set(schema.COHORT_SPEC), "a column of the schema is missing from docs/spec"
    _check_ae_columns(SPEC_DIR / "data-contract.md")
    assert set(column_rows(SPEC_DIR / "data-contract.md", AE_TABLE)) == set(schema.AE_SPEC)


@needs_original
def test_every_column_of_the_original_is_in_the_copy_unchanged():
    original = ORIGINAL_SPEC_DIR / "data-contract.md"
    for header in (COHORT_TABLE, AE_TABLE):
        copy = column_rows(SPEC_DIR / "data-contract.md", header)
        for name, row in column_rows(original, header).items():
            assert name in copy, f"column {name} of the original contract is missing from docs/spec"
            assert copy[name][1:-1] == row[1:-1], f"{name}: type or required status changed"
            assert _same_words(row[-1]) in _same_words(copy[name][-1]), f"{name}: meaning changed"


@needs_original
def test_every_column_of_the_original_is_checked_as_it_says():
    _check_cohort_columns(ORIGINAL_SPEC_DIR / "data-contract.md")
    _check_ae_columns(ORIGINAL_SPEC_DIR / "data-contract.md")


def _dictionary_allowed(column: dict, entry: dict) -> None:
    allowed = entry["allowed"]
    if column["kind"] == "binary":
        assert allowed == [0, 1]
    elif column["kind"] == "category":
        assert [str(v) for v in allowed if v != "empty"] == list(column["levels"])
    elif column["kind"] == "integer" and isinstance(allowed, list):
        assert allowed == list(range(int(column["low"]), int(column["high"]) + 1))
    elif column["kind"] in ("number", "integer"):
        assert (allowed.get("min"), allowed.get("max")) == (column["low"], column["high"])


@pytest.mark.parametrize("table, section", [(COHORT_TABLE, "columns"), (AE_TABLE, "adverse_events")])
def test_the_data_dictionary_restates_the_contract(table, section):
    entries = yaml.safe_load(DATA_DICTIONARY.read_text(encoding="utf-8"))[section]
    rows = column_rows(SPEC_DIR / "data-contract.md", table)
    assert set(entries) == set(rows)
    kinds = {"id": "text", "text": "text", "category": "text"}
    for name, row in rows.items():
        column = contract_column(row[1])
        assert entries[name]["type"] == kinds.get(column["kind"], column["kind"]), name
        if table == COHORT_TABLE:
            assert entries[name]["required"] == required_in_table(row[2]), name
            if row[2].startswith("with "):
                assert entries[name]["required_with"] == code_names(row[2])[0], name
        if column["kind"] not in ("id", "text"):
            _dictionary_allowed(column, entries[name])


# --------------------------------------------------------------------------- the rules

FILE = "cohort.csv"


def valid_cohort() -> pd.DataFrame:
    """Eight patients, four per arm, every column of the contract filled in, read as text."""
    rows = []
    for i in range(8):
        treated = i >= 4
        rows.append(
            {
                "patient_id": f"P{i + 1}",
                "group": "B" if treated else "A",
                "os_months": f"{6 + i}.5",
                "os_event": str(i % 2),
                "pfs_months": str(3 + i),
                "pfs_event": "1",
                "age": "64",
                "sex": "Female" if i % 3 else "Male",
                "ecog": str(i % 3),
                "smoking": "1",
                **{c: str((i + j) % 2) for j, c in enumerate(schema.MET_COLUMNS)},
                "chemo_regimen": "EP/EC/EL",
                "thoracic_rt": "0",
                **{c: "12.5" for c in schema.LAB_COLUMNS},
                "best_response": "PR",
                "ici_class": "PD-1" if treated else "",
                "ongoing_treatment": "0",
            }
        )
    return pd.DataFrame(rows, dtype=object).replace("", pd.NA)


def errors(frame: pd.DataFrame) -> list[schema.DataProblem]:
    return schema.errors_only(schema.validate_cohort_frame(frame, FILE, "A", "B"))


def with_cell(column: str, value, row: int = 3) -> pd.DataFrame:
    """The valid cohort with one cell changed (``row`` counted from 1, as messages count)."""
    frame = valid_cohort()
    if column == "os_months":  # without PFS, so that 'pfs_months within os_months' stays out of it
        frame = frame.drop(columns=["pfs_months", "pfs_event"])
    frame.loc[row - 1, column] = pd.NA if value == "" else value
    return frame


def test_the_valid_cohort_is_accepted_without_a_warning():
    assert schema.validate_cohort_frame(valid_cohort(), FILE, "A", "B") == []


BINARY = [name for name, spec in schema.COHORT_SPEC.items() if spec.kind == "binary"]

#: (column, value put in row 3): each breaks one rule of the contract.
BROKEN_CELLS = [
    ("patient_id", ""),
    ("group", ""),
    ("os_months", "-1"),
    ("os_months", "twelve"),
    ("os_months", ""),
    ("os_event", ""),
    *[(column, "2") for column in BINARY],
    ("os_event", "yes"),
    ("os_event", "1.0"),
    ("pfs_months", "-0.5"),
    ("pfs_months", "40"),  # longer than os_months
    ("pfs_months", ""),  # pfs_event given without it
    ("age", "17"),
    ("age", "111"),
    ("age", "NA"),
    ("sex", "male"),
    ("sex", "Other"),
    ("ecog", "5"),
    ("ecog", "-1"),
    ("ecog", "2.5"),
    *[(lab, "-1") for lab in schema.LAB_COLUMNS],
    ("best_response", "CRR"),
    ("ici_class", "CTLA-4"),
]


@pytest.mark.parametrize("column, value", BROKEN_CELLS, ids=[f"{c}={v!r}" for c, v in BROKEN_CELLS])
def test_a_broken_cell_is_refused_with_file_column_and_row(column, value):
    problems = errors(with_cell(column, value))
    assert [(p.file, p.column, p.rows) for p in problems] == [(FILE, column, [3])], problems
    where = f"{FILE}, column '{column}', row 3: "
    text = str(problems[0])
    assert text.startswith(where) and len(text) > len(where) + 10  # and then what was expected
    assert "P3" not in text  # the patient id is never quoted


ACCEPTED_CELLS = [
    ("age", "18"),
    ("age", "110"),
    ("ecog", "0"),
    ("ecog", "4"),
    ("chemo_regimen", "FOLFIRI"),  # others allowed, reported as they are
    *[("chemo_regimen", level) for level in ("EP/EC/EL", "IP", "TP")],
    *[("best_response", level) for level in ("CR", "PR", "SD", "PD", "NE")],
    *[("ici_class", level) for level in ("PD-1", "PD-L1", "PD-1/CTLA-4", "")],
    *[(lab, "0") for lab in schema.LAB_COLUMNS],
    ("os_months", "0"),
    ("pfs_months", "8.5"),  # equal to os_months
    *[(c, "") for c, s in schema.COHORT_SPEC.items() if not s.required and not c.startswith("pfs")],
]


@pytest.mark.parametrize("column, value", ACCEPTED_CELLS, ids=[f"{c}={v!r}" for c, v in ACCEPTED_CELLS])
def test_an_allowed_value_or_an_empty_optional_cell_is_accepted(column, value):
    assert errors(with_cell(column, value)) == []


def test_the_pfs_pair_is_both_or_neither():
    both_empty = valid_cohort()
    both_empty.loc[1, ["pfs_months", "pfs_event"]] = pd.NA
    assert errors(both_empty) == []
    assert errors(valid_cohort().drop(columns=["pfs_months", "pfs_event"])) == []
    for kept in ("pfs_months", "pfs_event"):
        other = "pfs_event" if kept == "pfs_months" else "pfs_months"
        problems = errors(valid_cohort().drop(columns=[other]))
        assert [(p.column, p.rows) for p in problems] == [(other, [])], problems


@pytest.mark.parametrize("column", [c for c, s in schema.COHORT_SPEC.items() if s.required])
def test_a_required_column_cannot_be_left_out(column):
    problems = errors(valid_cohort().drop(columns=[column]))
    assert [(p.file, p.column) for p in problems] == [(FILE, column)], problems


@pytest.mark.parametrize(
    "column", [c for c, s in schema.COHORT_SPEC.items() if not s.required and not c.startswith("pfs")]
)
def test_an_optional_column_can_be_left_out(column):
    assert errors(valid_cohort().drop(columns=[column])) == []


def test_patient_ids_are_unique():
    problems = errors(with_cell("patient_id", "P2", row=5))
    assert [(p.column, p.rows) for p in problems] == [("patient_id", [2, 5])], problems


@pytest.mark.parametrize("groups", [["A"] * 8, ["A", "B", "C"] + ["A"] * 2 + ["B"] * 3])
def test_group_has_exactly_two_values(groups):
    problems = errors(valid_cohort().assign(group=groups))
    assert [p.column for p in problems] == ["group"], problems


def test_the_arm_parameters_name_the_two_groups():
    problems = schema.errors_only(schema.validate_cohort_frame(valid_cohort(), FILE, "A", "Chemo-IO"))
    assert [p.column for p in problems] == ["group"] and "treatment_group 'Chemo-IO'" in str(problems[0])


def test_extra_columns_are_allowed_and_never_reach_the_analyses(tmp_path):
    path = tmp_path / FILE
    valid_cohort().assign(name="Jane Roe", notes="free text").to_csv(path, index=False)
    before = path.read_bytes()
    loaded = load_cohort(path, "A", "B")
    assert loaded.ignored_columns == ["name", "notes"]
    assert not {"name", "notes"} & set(loaded.frame.columns)
    assert path.read_bytes() == before


def valid_adverse_events() -> pd.DataFrame:
    rows = [
        ("P5", "Hypothyroidism", "2", "1", "2.1"),
        ("P6", "Hepatitis", "3", "1", "11.5"),  # P6's os_months: 11.5, the onset may equal it
        ("P1", "Anaemia", "1", "0", pd.NA),  # an unknown onset
    ]
    columns = ["patient_id", "term", "grade", "immune_related", "onset_months"]
    return pd.DataFrame(rows, columns=columns, dtype=object)


AE_BREAKS = [
    ("patient_id", "P99"),  # not in the cohort table
    ("grade", "0"),
    ("grade", "6"),
    ("grade", "2.5"),
    ("immune_related", "2"),
    ("immune_related", "yes"),
    ("onset_months", "-0.5"),
    ("onset_months", "3 weeks"),
    ("onset_months", "11.6"),  # after P6's os_months of 11.5
]


def _ae_problems(frame: pd.DataFrame) -> list[schema.DataProblem]:
    cohort = valid_cohort()
    return schema.validate_ae_frame(frame, "ae.csv", cohort["patient_id"], os_months=cohort["os_months"])


def test_the_valid_adverse_events_are_accepted():
    assert _ae_problems(valid_adverse_events()) == []
    assert _ae_problems(valid_adverse_events().drop(columns="onset_months")) == []


@pytest.mark.parametrize("column, value", AE_BREAKS, ids=[f"{c}={v!r}" for c, v in AE_BREAKS])
def test_a_broken_adverse_event_is_refused(column, value):
    frame = valid_adverse_events()
    frame.loc[1, column] = value
    problems = schema.errors_only(_ae_problems(frame))
    assert [(p.file, p.column, p.rows) for p in problems] == [("ae.csv", column, [2])], problems


def test_bad_data_stop_the_build_and_leave_the_previous_book_and_the_input_alone(tmp_path, capsys):
    data = tmp_path / FILE
    with_cell("os_event", "2").to_csv(data, index=False)
    before = data.read_bytes()
    out = tmp_path / "book"
    out.mkdir()
    (out / "index.html").write_text("the previous good build")
    status = main(["build", "--data", str(data), "--ae", "", "--out", str(out)])
    assert status == EXIT_BAD_DATA
    assert f"{FILE}, column 'os_event', row 3: expected 0 or 1" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["index.html"]
    assert (out / "index.html").read_text() == "the previous good build"
    assert data.read_bytes() == before


# --------------------------------------------------------------------------- the results keys

RESULTS_KEYS = load_results_keys()


def full_table_keys() -> dict[str, tuple[str, str]]:
    """``{key: (unit, chapter)}`` of the copy's table of every key, expanded with its placeholders."""
    shared = {
        row[0].strip("`<>"): code_names(row[1])
        for row in markdown_table(SPEC_DIR / "results-keys.md", PLACEHOLDER_TABLE)
    }
    keys: dict[str, tuple[str, str]] = {}
    for row in markdown_table(SPEC_DIR / "results-keys.md", FULL_KEY_TABLE):
        own = {}
        for part in filter(None, (p.strip() for p in row[3].split(";"))):
            name, values = part.split(":", 1)
            own[name.strip("`<> ")] = code_names(values)
        (pattern,) = code_names(row[0])
        for key, _ in expand_pattern(pattern, {**shared, **own}):
            assert key not in keys, f"{key} comes from two rows of docs/spec/results-keys.md"
            keys[key] = (row[1], row[2])
    return keys


def test_the_copy_and_the_dictionary_list_the_same_keys_with_the_same_units_and_chapters():
    documented = full_table_keys()
    dictionary = {k: (m["unit"], m["chapter"]) for k, m in RESULTS_KEYS.items()}
    assert sorted(set(dictionary) - set(documented)) == [], (
        "keys of data/results_keys.yaml missing from docs/spec"
    )
    assert sorted(set(documented) - set(dictionary)) == [], (
        "keys of docs/spec missing from data/results_keys.yaml"
    )
    assert {k: v for k, v in documented.items() if dictionary[k] != v} == {}


def test_the_copy_lists_the_dictionary_placeholders():
    documented = {
        row[0].strip("`<>"): code_names(row[1])
        for row in markdown_table(SPEC_DIR / "results-keys.md", PLACEHOLDER_TABLE)
    }
    placeholders = yaml.safe_load(RESULTS_KEYS_PATH.read_text(encoding="utf-8"))["placeholders"]
    assert documented == {k: [str(v) for v in vs] for k, vs in placeholders.items()}


def test_the_spec_keys_are_the_dictionary_keys_of_origin_spec():
    spec_origin = {k for k, m in RESULTS_KEYS.items() if m["origin"] == "spec"}
    assert set(spec_keys()) == spec_origin


#: The unit the original's conventions give each row of its table, by the row's first
#: pattern ("Times are in months, rates and proportions in [0, 1], p-values as computed";
#: counts and hazard ratios as the row's meaning says). Keys ending in ``.p`` are p-values
#: and ``.chi2`` chi-square statistics whatever their row.
ORIGINAL_ROW_UNITS = {
    "n.total": "count",
    "{os,pfs}.events.{reference,treatment}": "count",
    "{os,pfs}.median.{reference,treatment}": "months",
    "{os,pfs}.median_ci_low.{reference,treatment}": "months",
    "{os,pfs}.median_ci_bc_low.{...}": "months",
    "{os,pfs}.rate_12m.{reference,treatment}": "proportion",
    "{os,pfs}.logrank.chi2": "chi2",
    "{os,pfs}.cox_univariable.{hr,ci_low,ci_high,p}": "ratio",
    "{os,pfs}.cox_multivariable.{hr,ci_low,ci_high,p}": "ratio",
    "followup.median": "months",
    "response.{orr,dcr}.{reference,treatment}": "proportion",
    "baseline.<column>.p": "p",
    "safety.irae_any.treatment": "proportion",
}


def original_unit(key: str, row_unit: str) -> str:
    return {"p": "p", "chi2": "chi2"}.get(key.rsplit(".", 1)[-1], row_unit)


@needs_original
def test_every_row_of_the_original_key_table_is_in_the_copy_with_its_meaning():
    copy = {row[0]: row[1] for row in markdown_table(SPEC_DIR / "results-keys.md", KEY_TABLE)}
    for row in markdown_table(ORIGINAL_SPEC_DIR / "results-keys.md", KEY_TABLE):
        assert row[0] in copy, f"row {row[0]} of the original is missing from docs/spec/results-keys.md"
        assert _same_words(copy[row[0]]) == _same_words(row[1]), f"{row[0]}: meaning changed"
    assert set(spec_keys(ORIGINAL_SPEC_DIR / "results-keys.md")) <= set(spec_keys())


@needs_original
def test_the_original_conventions_still_stand_in_the_copy():
    original = (ORIGINAL_SPEC_DIR / "results-keys.md").read_text(encoding="utf-8")
    copy = _same_words((SPEC_DIR / "results-keys.md").read_text(encoding="utf-8"))
    conventions = original.split("Conventions:", 1)[1].split("\n\n", 1)[0]
    for item in conventions.split("\n- ")[1:]:
        assert _same_words(item) in copy, item


@needs_original
def test_every_original_key_is_in_the_dictionary_with_the_spec_meaning_and_its_unit():
    for row in markdown_table(ORIGINAL_SPEC_DIR / "results-keys.md", KEY_TABLE):
        patterns = code_names(row[0])
        assert patterns[0] in ORIGINAL_ROW_UNITS, f"a row this test does not know: {row[0]}"
        row_unit = ORIGINAL_ROW_UNITS[patterns[0]]
        for pattern in patterns:
            if "<column>" in pattern:  # one key per compared column
                regex = re.compile(re.escape(pattern).replace(re.escape("<column>"), r"[a-z0-9_]+"))
                matching = [k for k in RESULTS_KEYS if regex.fullmatch(k)]
                assert matching and {RESULTS_KEYS[k]["unit"] for k in matching} == {row_unit}, pattern
                continue
            for key in expand_braces(pattern):
                assert key in RESULTS_KEYS, (
                    f"{key} of the original spec is missing from data/results_keys.yaml"
                )
                meta = RESULTS_KEYS[key]
                assert meta["origin"] == "spec", f"{key}: origin {meta['origin']}, not the spec's meaning"
                assert meta["unit"] == original_unit(key, row_unit), f"{key}: unit {meta['unit']}"


def test_the_key_tables_are_generated_from_the_dictionary():
    """docs/spec/results-keys.md's placeholder and key tables are what tools/results_keys_table.py
    writes from data/results_keys.yaml (a key added to the dictionary shows up in the spec)."""
    import subprocess
    import sys

    tool = Path(__file__).resolve().parents[1] / "tools" / "results_keys_table.py"
    done = subprocess.run([sys.executable, str(tool), "--check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
