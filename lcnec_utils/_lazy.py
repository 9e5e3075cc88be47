"""Lazy re-exports for the subpackages' ``__init__`` (PEP 562), so ``lcnec`` starts without pandas.

Each ``__init__`` lists its public names by home module under ``TYPE_CHECKING``
(what readers, IDEs and the build cache's import analysis see) and hands the same
table to :func:`exports`, which imports a home module on the first use of one of
its names. Written by hand: the stdlib has no helper for it and the pattern is ten
lines (``tests/test_architecture.py`` checks each __init__ against ``tools/gen_init.py``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any


def exports(
    package: str, homes: Mapping[str, Sequence[str]], subpackages: Sequence[str] = ()
) -> tuple[list[str], Callable[[str], Any], Callable[[], list[str]]]:
    """``__all__``, ``__getattr__`` and ``__dir__`` for ``package`` from ``{module: names}``."""
    where = {name: module for module, names in homes.items() for name in names}
    public = sorted([*where, *subpackages])

    def __getattr__(name: str) -> Any:
        if name in where:
            return getattr(importlib.import_module(where[name]), name)
        if name in subpackages:
            return importlib.import_module(f"{package}.{name}")
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return public

    return public, __getattr__, __dir__
