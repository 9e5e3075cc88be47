"""What a chapter notebook imports at run time: parameters, the study, glue, tables and notes on the page.

``ch = Chapter.start(name, globals())`` opens a chapter; the build sets the study loader with :func:`set_study_loader`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lcnec_utils._lazy import exports

if TYPE_CHECKING:  # the same names, loaded on first use (lcnec starts without pandas)
    from lcnec_utils.chapter.page import (
        Chapter,
        is_synthetic,
        set_study_loader,
    )

__all__, __getattr__, __dir__ = exports(
    __name__,
    {
        "lcnec_utils.chapter.page": ("Chapter", "is_synthetic", "set_study_loader"),
    },
)
