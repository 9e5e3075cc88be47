"""The normal quantiles and Wald p-values the book uses, in one place.

``Z95`` is the two-sided 95% quantile, z_{0.975} = 1.959963984540054
(``scipy.stats.norm.ppf(0.975)``, the same double); :func:`z_two_sided` gives
z_{1-alpha/2} for any alpha; :func:`wald_p` the two-sided p of a Wald z;
:func:`z_of_p` the |z| of a two-sided p.
"""

from __future__ import annotations

from statistics import NormalDist

from scipy import stats

__all__ = ["Z95", "wald_p", "z_of_p", "z_two_sided"]

#: z_{0.975}: the two-sided 95% normal quantile (a plain float, so compiled kernels can read it).
Z95 = float(stats.norm.ppf(0.975))


def z_two_sided(alpha: float) -> float:
    """z_{1 - alpha/2}, the half-width multiplier of a two-sided (1 - alpha) Wald interval."""
    return float(stats.norm.ppf(1 - alpha / 2))


def wald_p(estimate: float, se: float) -> float:
    """Two-sided p of the Wald statistic estimate / se: 2 (1 - Phi(|estimate| / se))."""
    return float(2 * stats.norm.sf(abs(estimate) / se))


_NORMAL = NormalDist()


def z_of_p(p: float) -> float:
    """|z| of a two-sided p-value, -Phi^{-1}(p / 2), by ``statistics.NormalDist`` (no numpy call:
    the reconstruction's search compares p-values on this scale hundreds of thousands of times)."""
    p = min(max(p, 1e-300), 1.0)
    return -_NORMAL.inv_cdf(p / 2.0)
