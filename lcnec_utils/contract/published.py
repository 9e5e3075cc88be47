"""The paper's printed numbers (``data/published.yaml``): loading, validating and looking them up.

Each entry is one printing of one number (key, value, unit, decimals, where in
the paper); the chapters compare with these values and the audit checks them.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import yaml

from lcnec_utils.contract.params import DATA_DIR

PUBLISHED_PATH = DATA_DIR / "published.yaml"


#: Units an entry of ``published.yaml`` may carry.
PUBLISHED_UNITS = frozenset(
    {"count", "percent", "years", "months", "IU/L", "mmol/L", "ng/mL", "pg/mL", "ratio", "p"}
)


REQUIRED_FIELDS = ("key", "value", "unit", "decimals", "source")


OPTIONAL_FIELDS = ("also_in", "note", "variant", "bound")


_KEY_RE = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")


_BOUND_RE = re.compile(r"^(<|<=|>|>=)\s*\d+(\.\d+)?$")


class PublishedDataError(ValueError):
    """An entry of ``published.yaml`` (or a pattern of ``results_keys.yaml``) that breaks the format."""


def round_half_up(x: float, decimals: int) -> float:
    """``x`` rounded to ``decimals`` places, ties away from zero (as journals print)."""
    q = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(float(x))).quantize(q, rounding=ROUND_HALF_UP))


def bound_holds(value: float, bound: str) -> bool:
    """True if ``value`` satisfies a printed bound such as ``">0.05"`` or ``"<= 0.001"``."""
    op, limit = re.match(r"^(<=|>=|<|>)\s*([0-9.]+)$", bound.strip()).groups()
    limit = float(limit)
    return {"<": value < limit, "<=": value <= limit, ">": value > limit, ">=": value >= limit}[op]


def _validate_entry(i: int, entry: Any) -> list[str]:
    where = f"values[{i}]"
    if not isinstance(entry, dict):
        return [f"{where}: expected a mapping, got {type(entry).__name__}"]
    key = entry.get("key")
    if isinstance(key, str):
        where = f"values[{i}] ({key})"
    problems = []
    missing = [f for f in REQUIRED_FIELDS if f not in entry]
    if missing:
        problems.append(f"{where}: missing field(s) {', '.join(missing)}")
    unknown = sorted(set(entry) - set(REQUIRED_FIELDS) - set(OPTIONAL_FIELDS))
    if unknown:
        problems.append(f"{where}: unknown field(s) {', '.join(unknown)}")
    if "key" in entry and not (isinstance(key, str) and _KEY_RE.match(key)):
        problems.append(f"{where}: key must be a dotted lower-case name, got {key!r}")
    unit = entry.get("unit")
    if "unit" in entry and unit not in PUBLISHED_UNITS:
        problems.append(f"{where}: unit {unit!r} is not one of {', '.join(sorted(PUBLISHED_UNITS))}")
    decimals = entry.get("decimals")
    if "decimals" in entry and (isinstance(decimals, bool) or not isinstance(decimals, int) or decimals < 0):
        problems.append(f"{where}: decimals must be a non-negative integer, got {decimals!r}")
    value = entry.get("value")
    bound = entry.get("bound")
    if "value" in entry:
        if value is None:
            if not (isinstance(bound, str) and _BOUND_RE.match(bound)):
                problems.append(f"{where}: value null needs a bound such as '>0.05'")
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.append(f"{where}: value must be a number or null, got {value!r}")
        else:
            if bound is not None:
                problems.append(f"{where}: bound is only for entries with value null")
            whole_decimals = isinstance(decimals, int) and not isinstance(decimals, bool) and decimals >= 0
            if whole_decimals and round_half_up(float(value), decimals) != float(value):
                problems.append(f"{where}: value {value} has more than {decimals} decimals")
            if unit == "count" and (float(value) != int(value) or value < 0):
                problems.append(f"{where}: a count must be a non-negative integer, got {value}")
            if unit == "p" and not 0 <= value <= 1:
                problems.append(f"{where}: a p-value must lie in [0, 1], got {value}")
            if unit == "percent" and not 0 <= value <= 100:
                problems.append(f"{where}: a percentage must lie in [0, 100], got {value}")
            if unit == "ratio" and value <= 0:
                problems.append(f"{where}: a ratio must be positive, got {value}")
    source = entry.get("source")
    if "source" in entry and not (isinstance(source, dict) and isinstance(source.get("where"), str)):
        problems.append(f"{where}: source must be a mapping with 'where'")
    also_in = entry.get("also_in")
    if also_in is not None and not (isinstance(also_in, list) and all(isinstance(a, str) for a in also_in)):
        problems.append(f"{where}: also_in must be a list of strings")
    for text_field in ("note", "variant"):
        if entry.get(text_field) is not None and not isinstance(entry[text_field], str):
            problems.append(f"{where}: {text_field} must be text")
    return problems


def read_yaml(path: Path) -> Any:
    """A data file's YAML document, by the safe loader."""
    with open(path, encoding="utf-8") as fh:
        # the C loader parses the 345 entries ~10x faster than the pure-Python one
        return yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def load_published(path: str | Path | None = None) -> list[dict]:
    """Entries of ``published.yaml``, validated.

    Checks that every entry has ``key``, ``value``, ``unit``, ``decimals`` and
    ``source`` (with ``where``), that the unit is one of :data:`PUBLISHED_UNITS`,
    that the value has no more decimals than printed, that a null value carries a
    ``bound``, and that each (key, variant) pair occurs once. Raises
    :class:`PublishedDataError` listing every problem found.
    """
    path = Path(path) if path is not None else PUBLISHED_PATH
    doc = read_yaml(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("values"), list):
        raise PublishedDataError(f"{path}: expected a mapping with a 'values' list")
    entries = doc["values"]
    problems: list[str] = []
    seen: dict[tuple[str, str | None], int] = {}
    for i, entry in enumerate(entries):
        problems.extend(_validate_entry(i, entry))
        if isinstance(entry, dict) and isinstance(entry.get("key"), str):
            pair = (entry["key"], entry.get("variant"))
            if pair in seen:
                problems.append(
                    f"values[{i}] ({pair[0]}): duplicate of values[{seen[pair]}] "
                    f"(variant {pair[1]!r}); give a second printing its own variant"
                )
            else:
                seen[pair] = i
    if problems:
        raise PublishedDataError(f"{path}:\n  " + "\n  ".join(problems))
    return entries


def study_description(path: str | Path | None = None) -> dict:
    """The ``study`` block of ``published.yaml`` (title, citation, n, arms, notes)."""
    path = Path(path) if path is not None else PUBLISHED_PATH
    return dict(read_yaml(path).get("study") or {})


def published_values(variant: str | None = None, path: str | Path | None = None) -> dict[str, Any]:
    """``{key: value}`` of the entries with this ``variant``.

    The default (``None``) gives the table values and the values printed only once;
    ``variant="text-3.3"`` gives section 3.3's differing printings. A printed bound
    ("p > 0.05") has value ``None``.
    """
    return {e["key"]: e["value"] for e in load_published(path) if e.get("variant") == variant}
