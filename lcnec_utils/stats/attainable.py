"""What small samples can print: Kaplan-Meier values a small arm can reach, and the narrowest Cox interval a 0/1 term allows.

Used twice, so it lives once: by the paper's consistency checks
(:mod:`lcnec_utils.audit.consistency`) and by the reconstruction's proofs
that a target is out of reach (:mod:`lcnec_utils.reconstruct`).
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import cache

from scipy import stats

from lcnec_utils.stats.normal import wald_p
from lcnec_utils.stats.rounding import printed_interval


def binary_term_min_se(events: int) -> float:
    """Smallest model-based SE(log HR) of a 0/1 term in a Cox model with ``events`` events.

    The information about a 0/1 term is the sum, over event times, of the
    (weighted) variance of the term in the risk set, at most 1/4 each, so at
    most ``events`` / 4; adjusting for other terms can only raise the variance
    of its estimate above 1/information ([I^-1]_11 >= 1/I_11). Hence
    SE >= 2 / sqrt(events). (Cox 1972; the bound holds for Breslow's and
    Efron's handling of ties.)
    """
    return 2.0 / math.sqrt(events)


def binary_term_min_ci_ratio(events: int, level: float = 0.95) -> float:
    """Smallest upper/lower ratio of the Wald CI of a 0/1 Cox term: exp(2 z * 2/sqrt(events)).

    >>> round(binary_term_min_ci_ratio(31), 2)
    4.09
    """
    z = stats.norm.ppf(0.5 + level / 2)
    return math.exp(2 * z * binary_term_min_se(events))


def binary_term_min_p(hr: float, events: int, decimals: int = 2) -> float:
    """Smallest Wald p a 0/1 Cox term with printed ``hr`` can have on ``events`` events.

    Uses the largest |log HR| the printed rounding allows and the smallest SE
    of :func:`binary_term_min_se`.
    """
    h = 0.5 * 10**-decimals
    log_hr = max(abs(math.log(hr - h)), abs(math.log(hr + h)))
    return wald_p(log_hr, binary_term_min_se(events))


def events_per_variable(events: float, terms: int) -> float | None:
    """Events per model term (EPV); None for a model without terms.

    Peduzzi et al. 1995 (J Clin Epidemiol 48:1503) found Cox estimates biased
    and their intervals unreliable below about 10 EPV; Vittinghoff and
    McCulloch 2007 (Am J Epidemiol 165:710) relaxed this to 5-9 for many
    purposes, with problems common below 5.

    >>> round(events_per_variable(28, 12), 2)
    2.33
    """
    return None if terms <= 0 else events / terms


#: Largest arm for which the censored enumeration is exact and fast (n = 17 takes < 1 s).
KM_ENUMERATION_MAX_N = 20


@cache
def km_reachable_values(n: int) -> dict[Fraction, int]:
    """Every value a Kaplan-Meier curve on ``n`` patients can take, with the fewest censorings.

    Exact enumeration: a Kaplan-Meier estimate is a product of factors
    (1 - d_i / n_i) over event times (Kaplan and Meier 1958), where n_i falls
    by the events and censorings before each time. A dynamic programme over
    (patients at risk, value so far) visits every such product exactly once
    (as a fraction), recording the fewest censorings needed to reach it.
    Exponential in n in principle; limited to ``n <= KM_ENUMERATION_MAX_N``.
    """
    if n > KM_ENUMERATION_MAX_N:
        raise ValueError(
            f"exact enumeration of Kaplan-Meier values is limited to n <= {KM_ENUMERATION_MAX_N} (got {n})"
        )
    states: dict[int, dict[Fraction, int]] = {n: {Fraction(1): 0}}
    reached: dict[Fraction, int] = {}
    for r in range(n, -1, -1):
        for value, cens in states.get(r, {}).items():
            if reached.get(value, n + 1) > cens:
                reached[value] = cens
            if r == 0:
                continue
            nxt = states.setdefault(r - 1, {})
            if nxt.get(value, n + 1) > cens + 1:
                nxt[value] = cens + 1
            for d in range(1, r + 1):
                w = value * Fraction(r - d, r)
                nxt = states.setdefault(r - d, {})
                if nxt.get(w, n + 1) > cens:
                    nxt[w] = cens
    return reached


def km_rate_attainable(
    rate: float, n: int, decimals: int = 1, censoring: bool = False
) -> list[tuple[Fraction, int]]:
    """Kaplan-Meier values on ``n`` patients that print as ``rate`` (in percent).

    Without censoring the curve only takes the values k/n. With censoring it
    takes any product of (1 - d_i/n_i); these are enumerated exactly by
    :func:`km_reachable_values` (n <= 20). Returns ``[(value, fewest
    censorings), ...]`` sorted by the censorings needed; empty if none.

    >>> [str(v) for v, _ in km_rate_attainable(42.9, 14)]
    ['3/7']
    """
    lo, hi = printed_interval(rate, decimals)
    lo, hi = lo / 100, hi / 100
    if not censoring:
        return [(Fraction(k, n), 0) for k in range(n + 1) if lo <= Fraction(k, n) < hi]
    hits = [(v, c) for v, c in km_reachable_values(n).items() if lo <= v < hi]
    return sorted(hits, key=lambda vc: (vc[1], vc[0]))
