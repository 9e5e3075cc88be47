"""The keys that ``shared/spec/results-keys.md`` promises, expanded from its table."""

import itertools
import re
from pathlib import Path

SPEC = Path(__file__).resolve().parents[2] / "shared" / "spec" / "results-keys.md"


def _expand(pattern: str) -> list[str]:
    # `{...}` in the spec stands for the arms of the row above: {reference,treatment}
    parts = re.split(r"(\{[^}]*\})", pattern.replace("{...}", "{reference,treatment}"))
    options = [p[1:-1].split(",") if p.startswith("{") else [p] for p in parts]
    return ["".join(combo) for combo in itertools.product(*options)]


def spec_keys(spec: Path = SPEC) -> list[str]:
    keys: list[str] = []
    for line in spec.read_text().splitlines():
        if not line.startswith("| `"):
            continue
        cell = line.split("|")[1]
        for pattern in re.findall(r"`([^`]+)`", cell):
            if "<" not in pattern:  # baseline.<column>.p: one key per compared column
                keys.extend(_expand(pattern))
    return sorted(set(keys))
