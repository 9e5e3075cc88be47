"""What a printed number could have been: the interval of true values that print as it.

A printed 54.5 (one decimal, rounded half-up) stands for any true value in
[54.45, 54.55); the consistency checks and the reconstruction's targets ask
whether a computed value falls there. Exact arithmetic (``fractions.Fraction``)
so that the ends of the interval are not blurred by binary floating point.
"""

from __future__ import annotations

from fractions import Fraction

__all__ = ["as_fraction", "in_printed_interval", "printed_interval"]


def as_fraction(x: float | int | str | Fraction) -> Fraction:
    """``x`` as an exact fraction of its decimal text (``0.1`` is 1/10, not the double nearest it)."""
    return x if isinstance(x, Fraction) else Fraction(str(x))


def printed_interval(value: float, decimals: int, mode: str = "round") -> tuple[Fraction, Fraction]:
    """Half-open interval ``[lo, hi)`` of true values that print as ``value``.

    ``mode="round"``: rounded half-up to ``decimals`` places (value +- half a
    unit of the last printed decimal); ``mode="truncate"``: cut after
    ``decimals`` places (``[value, value + one unit)``).
    """
    unit = Fraction(1, 10**decimals)
    v = as_fraction(value)
    if mode == "round":
        return v - unit / 2, v + unit / 2
    if mode == "truncate":
        return v, v + unit
    raise ValueError(f"mode must be 'round' or 'truncate', not {mode!r}")


def in_printed_interval(x: float, value: float, decimals: int, mode: str = "round") -> bool:
    """True if ``x``, a float computed in floating point, prints as ``value`` at ``decimals`` places.

    The interval of :func:`printed_interval` with a margin for floating-point error:
    ``lo - 1e-12 <= x < hi - 1e-15``.
    """
    lo, hi = printed_interval(value, decimals, mode)
    return float(lo) - 1e-12 <= x < float(hi) - 1e-15
