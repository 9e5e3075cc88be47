"""The results keys a methods chapter must write, from ``data/results_keys.yaml``.

:func:`complete` returns a chapter's values with every key of its dictionary
block present (None where nothing was computed, e.g. PFS on a cohort without
PFS columns) and refuses a key the dictionary does not list, so a typo in a
notebook fails the build instead of adding an undocumented key.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Mapping


@lru_cache(maxsize=1)
def _keys() -> dict[str, dict]:
    from .published import load_results_keys

    return load_results_keys()


def expected_keys(chapter: str) -> list[str]:
    """Every results key whose ``chapter`` is ``chapter``, sorted."""
    return sorted(k for k, meta in _keys().items() if meta["chapter"] == chapter)


def complete(chapter: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` with the chapter's missing keys set to None; unknown keys raise ``KeyError``."""
    expected = expected_keys(chapter)
    unknown = sorted(set(values) - set(expected))
    if unknown:
        raise KeyError(f"results key(s) not in data/results_keys.yaml for chapter '{chapter}': "
                       + ", ".join(unknown))
    return {k: values.get(k) for k in expected}
