"""Numbers in the prose: formatted by code, and printed as formatted by myst-nb."""

import math

import pytest
from myst_nb.core.variables import format_plain_text

from lcnec_utils.stats.format import format_value


@pytest.mark.parametrize(
    "value,fmt,expected",
    [
        (0.0100, "p", "0.010"),
        (0.00004, "p", "<0.001"),
        (0.4286, "pct", "42.9%"),
        ((0.268, 0.732), "pct_ci", "26.8%–73.2%"),
        ((0.51, 0.28, 0.92), "hr_ci", "0.51 (0.28–0.92)"),
        (24.0, "{:.1f}", "24.0"),
        (None, "{:.1f}", "not available"),
        (math.nan, "p", "not available"),
        ((0.5, None, 0.9), "hr_ci", "not available"),
    ],
)
def test_format_value(value, fmt, expected):
    assert format_value(value, fmt) == expected


@pytest.mark.parametrize("text", ["0.010", "24.0", "1.00", "not reached", "42.9%"])
def test_glued_text_is_printed_as_formatted(text):
    # glue stores a str's repr as text/plain; {glue:text} reads it back with
    # literal_eval: the quotes keep "0.010" a string, so its trailing zero stays
    assert format_plain_text(repr(text), "") == text
