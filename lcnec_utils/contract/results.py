"""``results.json``: the machine-readable headline numbers of a build.

Each chapter records its numbers under the stable dotted keys of the results
spec (``docs/spec/results-keys.md``, extended in ``data/results_keys.yaml``)
into a fragment ``<results_dir>/<chapter>.json``; the pipeline merges the
fragments into one flat, key-sorted ``results.json``. A number that cannot be
computed is stored as ``null``, never left out.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np


def to_json_value(value: Any) -> Any:
    """Plain JSON value: numpy scalars unwrapped, NaN and infinities as ``None``."""
    if value is None:
        return None
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return None if not math.isfinite(value) else value
    if isinstance(value, (int, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [to_json_value(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): to_json_value(v) for k, v in value.items()}
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return None
    except ImportError:  # pragma: no cover
        pass
    raise TypeError(f"cannot store {type(value).__name__} in results.json: {value!r}")


class ResultsRecorder:
    """Collects one chapter's results and writes them as a JSON fragment.

    >>> rec = ResultsRecorder("results", "survival")   # doctest: +SKIP
    >>> rec.record({"os.median.reference": 11.0})      # doctest: +SKIP
    """

    def __init__(self, results_dir: str | Path, chapter: str):
        self.path = Path(results_dir) / f"{chapter}.json"
        self.values: dict[str, Any] = {}

    def record(self, values: Mapping[str, Any]) -> None:
        for key, value in values.items():
            self.values[key] = to_json_value(value)
        self.save()

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(self.values, indent=2, sort_keys=True) + "\n")


def merge_fragments(results_dir: str | Path) -> dict[str, Any]:
    """Union of all chapter fragments; a key written by two chapters is an error."""
    merged: dict[str, Any] = {}
    owner: dict[str, str] = {}
    for path in sorted(Path(results_dir).glob("*.json")):
        for key, value in json.loads(path.read_text()).items():
            if key in merged and merged[key] != value:
                raise ValueError(f"results key '{key}' written by both {owner[key]} and {path.stem}")
            merged[key] = value
            owner[key] = path.stem
    return dict(sorted(merged.items()))


def write_results(results: Mapping[str, Any], path: str | Path) -> None:
    Path(path).write_text(json.dumps(dict(results), indent=2, sort_keys=True) + "\n")
