"""The audit's tolerances (``data/audit_tolerances.yaml``): how far a reproduced number may lie from the printed one."""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from lcnec_utils.contract.params import (
    DATA_DIR,
)

TOLERANCES_PATH = DATA_DIR / "audit_tolerances.yaml"


@dataclass(frozen=True)
class Tolerance:
    """``kind`` is ``exact``, ``rounding``, ``absolute`` or ``none``; ``value`` the absolute tolerance."""

    kind: str
    value: float | None
    pattern: str
    why: str

    def limit(self, decimals: int) -> float | None:
        """Largest allowed |book - published| (``None``: not targeted)."""
        if self.kind == "exact":
            return 0.0
        if self.kind == "rounding":
            return 0.5 * 10**-decimals
        if self.kind == "absolute":
            return float(self.value)
        return None

    def text(self, decimals: int) -> str:
        if self.kind == "exact":
            return "exact"
        if self.kind == "rounding":
            return f"±{0.5 * 10**-decimals:g} (rounding)"
        if self.kind == "absolute":
            return f"±{self.value:g}"
        return "none"


def load_tolerances(path: str | Path | None = None) -> list[Tolerance]:
    """The rules of ``data/audit_tolerances.yaml``, in order."""
    doc = yaml.safe_load(Path(path or TOLERANCES_PATH).read_text(encoding="utf-8"))
    rules = []
    for i, rule in enumerate(doc.get("rules") or []):
        tol = rule.get("tolerance")
        if tol in ("exact", "rounding"):
            kind, value = tol, None
        elif tol is None:
            kind, value = "none", None
        elif isinstance(tol, (int, float)) and not isinstance(tol, bool) and tol >= 0:
            kind, value = "absolute", float(tol)
        else:
            raise ValueError(
                f"{path or TOLERANCES_PATH}: rules[{i}]: tolerance {tol!r} is not exact, rounding, a number or null"
            )
        rules.append(Tolerance(kind, value, str(rule["pattern"]), " ".join(str(rule.get("why", "")).split())))
    return rules


def tolerance_for(key: str, rules: Sequence[Tolerance]) -> Tolerance:
    """The first rule whose pattern matches ``key``."""
    for rule in rules:
        if fnmatch.fnmatchcase(key, rule.pattern):
            return rule
    return Tolerance("none", None, "", "no rule matches")
