"""The dictionary of results keys (``data/results_keys.yaml``): what ``results.json`` may hold.

Patterns such as ``baseline.<row>.n.<arm>`` expand to concrete keys;
:func:`complete` gives a chapter's values with every key of its block
present and refuses a key the dictionary does not list.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from lcnec_utils.contract.params import DATA_DIR
from lcnec_utils.contract.published import PublishedDataError, read_yaml

RESULTS_KEYS_PATH = DATA_DIR / "results_keys.yaml"


#: Unit of the same quantity in ``results.json`` (proportions there are in [0, 1]).
RESULTS_UNIT_OF = {"percent": "proportion"}


_PLACEHOLDER_RE = re.compile(r"<([a-z_0-9]+)>")


def expand_pattern(pattern: str, placeholders: dict[str, list]) -> list[tuple[str, dict]]:
    """Concrete keys of ``pattern``: each ``<name>`` replaced by every value of ``placeholders[name]``.

    Returns ``[(key, {name: value, ...}), ...]`` in the order of the value lists.
    """
    names = list(dict.fromkeys(_PLACEHOLDER_RE.findall(pattern)))
    missing = [n for n in names if n not in placeholders]
    if missing:
        raise PublishedDataError(f"pattern {pattern!r}: no values for placeholder(s) {', '.join(missing)}")
    out = []
    for combo in itertools.product(*(placeholders[n] for n in names)):
        binding = dict(zip(names, (str(v) for v in combo)))
        key = _PLACEHOLDER_RE.sub(lambda m, b=binding: b[m.group(1)], pattern)
        out.append((key, binding))
    return out


def load_results_keys(path: str | Path | None = None) -> dict[str, dict]:
    """Every results key, patterns expanded: ``{key: {meaning, unit, chapter, origin, pattern}}``.

    ``meaning`` has its placeholders filled in; ``pattern`` is the entry of
    ``results_keys.yaml`` the key came from. A key produced by two patterns is an
    error.
    """
    path = Path(path) if path is not None else RESULTS_KEYS_PATH
    doc = read_yaml(path)
    chapters = set(doc.get("chapters") or [])
    units = set(doc.get("units") or {})
    placeholders = doc.get("placeholders") or {}
    out: dict[str, dict] = {}
    for name, meta in (doc.get("keys") or {}).items():
        pattern = meta.get("pattern", name)
        for field in ("meaning", "unit", "chapter", "origin"):
            if field not in meta:
                raise PublishedDataError(f"{path}: key {name!r} has no {field}")
        if meta["chapter"] not in chapters:
            raise PublishedDataError(f"{path}: key {name!r}: unknown chapter {meta['chapter']!r}")
        if meta["unit"] not in units:
            raise PublishedDataError(f"{path}: key {name!r}: unknown unit {meta['unit']!r}")
        local = {**placeholders, **(meta.get("values") or {})}
        for key, binding in expand_pattern(pattern, local):
            if key in out:
                raise PublishedDataError(
                    f"{path}: key {key!r} comes from both {out[key]['pattern']!r} and {pattern!r}"
                )
            meaning = " ".join(str(meta["meaning"]).split())
            meaning = _PLACEHOLDER_RE.sub(lambda m, b=binding: b.get(m.group(1), m.group(0)), meaning)
            out[key] = {
                "meaning": meaning,
                "unit": meta["unit"],
                "chapter": meta["chapter"],
                "origin": meta["origin"],
                "pattern": pattern,
            }
    return out


def results_unit(published_unit: str) -> str:
    """The ``results.json`` unit of a quantity ``published.yaml`` stores in ``published_unit``."""
    return RESULTS_UNIT_OF.get(published_unit, published_unit)


def slug(text: str) -> str:
    """Results-key form of a level or term: lower case, words joined by ``_``
    (``"EP/EC/EL"`` -> ``"ep_ec_el"``, ``"Interstitial lung disease"`` ->
    ``"interstitial_lung_disease"``)."""
    return re.sub(r"[^a-z0-9]+", "_", str(text).strip().lower()).strip("_")


def ici_class_key(cls: str) -> str:
    """Results-key form of an ICI class: hyphens dropped, as the keys spell
    the classes (``"PD-L1"`` -> ``"pdl1"``, ``"PD-1/CTLA-4"`` -> ``"pd1_ctla4"``)."""
    return slug(str(cls).replace("-", ""))


@lru_cache(maxsize=1)
def _keys() -> dict[str, dict]:
    return load_results_keys()


def expected_keys(chapter: str) -> list[str]:
    """Every results key whose ``chapter`` is ``chapter``, sorted."""
    return sorted(k for k, meta in _keys().items() if meta["chapter"] == chapter)


def complete(chapter: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` with the chapter's missing keys set to None; unknown keys raise ``KeyError``."""
    expected = expected_keys(chapter)
    unknown = sorted(set(values) - set(expected))
    if unknown:
        raise KeyError(
            f"results key(s) not in data/results_keys.yaml for chapter '{chapter}': " + ", ".join(unknown)
        )
    return {k: values.get(k) for k in expected}
