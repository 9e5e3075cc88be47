"""What a chapter records and glues, assembled in one object by the chapter's methods module.

A methods module computes; the notebook shows. Between them travels a
:class:`ChapterNumbers`: the results keys the chapter records and the
numbers its prose glues, each with the format and the text shown when it
cannot be computed (:func:`lcnec_utils.stats.format.format_value`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: What a chapter glues for a number of the PFS endpoint when the cohort has no PFS columns.
NO_PFS = "not available (the cohort has no PFS columns)"


@dataclass
class ChapterNumbers:
    """``values``: results keys; ``texts``: glue name -> (value, format, text when missing)."""

    values: dict[str, Any] = field(default_factory=dict)
    texts: dict[str, tuple[Any, str, str]] = field(default_factory=dict)

    def text(self, name: str, value: Any, fmt: str = "{}", missing: str = "not available") -> None:
        self.texts[name] = (value, fmt, missing)

    def glue_into(self, chapter: Any) -> None:
        """Glue every text into ``chapter`` (a :class:`lcnec_utils.chapter.page.Chapter`)."""
        for name, (value, fmt, missing) in self.texts.items():
            chapter.glue_text(name, value, fmt, missing)
