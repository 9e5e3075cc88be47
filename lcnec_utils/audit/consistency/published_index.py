"""The paper's printed numbers as the consistency checks read them: by key and printing, with where each is printed."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

#: Results keys of the arms' sizes.
ARM_N_KEYS = {"total": "n.total", "treatment": "n.treatment", "reference": "n.reference"}


#: The arm a key ends with (``.total``, ``.treatment``, ``.reference``).
ARM_OF = re.compile(r"\.(total|treatment|reference)$")


def where_text(entry: Mapping[str, Any]) -> str:
    """'Table 2, Gender, Male, n (%) / Chemo-immune (n=14)' or 'Section 3.3: "quote"'."""
    src = entry.get("source") or {}
    parts = [src.get("where", "")]
    if src.get("row"):
        parts.append(" ".join(str(src["row"]).split()))
    if src.get("column"):
        parts.append(" ".join(str(src["column"]).split()))
    text = ", ".join(p for p in parts[:2] if p)
    if len(parts) > 2 and parts[2]:
        text += f" / {parts[2]}"
    if src.get("quote") and not src.get("row"):
        text += f': "{" ".join(str(src["quote"]).split())}"'
    return text


def row_label(entry: Mapping[str, Any]) -> str:
    """The table row an entry is printed in, e.g. a Table 4 term (its key if it has none)."""
    return " ".join(str((entry.get("source") or {}).get("row", entry["key"])).split())


class PublishedIndex:
    """The entries of ``published.yaml`` by (key, variant)."""

    def __init__(self, entries: Sequence[Mapping[str, Any]]):
        self.entries = list(entries)
        self.by = {(e["key"], e.get("variant")): e for e in self.entries}

    def get(self, key: str, variant: str | None = None) -> Mapping[str, Any] | None:
        """The entry of one printing, or None."""
        return self.by.get((key, variant))

    def value(self, key: str, variant: str | None = None) -> Any:
        """The printed value of one printing (None if not printed, or printed as a bound)."""
        e = self.get(key, variant)
        return None if e is None else e["value"]

    def where(self, key: str, variant: str | None = None) -> str:
        """Where in the paper one printing is (:func:`where_text`), empty if not printed."""
        e = self.get(key, variant)
        if e is None:
            return ""
        return where_text(e)

    def arm_n(self, arm: str) -> int:
        """The printed number of patients of ``arm`` (``total``, ``treatment``, ``reference``)."""
        return int(self.value(ARM_N_KEYS[arm]))
