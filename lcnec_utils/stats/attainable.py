"""What small samples can print: Kaplan-Meier values a small arm can reach, and the narrowest Cox interval a 0/1 term allows.

Used twice, so it lives once: by the paper's consistency checks
(:mod:`lcnec_utils.audit.consistency`) and by the reconstruction's proofs
that a target is out of reach (:mod:`lcnec_utils.reconstruct`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from statistics import NormalDist

from scipy import stats

from lcnec_utils.stats.normal import Z95, wald_p
from lcnec_utils.stats.rounding import printed_interval

_NORMAL = NormalDist()


def binary_term_min_se(events: int, group_events: int | None = None) -> float:
    """Smallest model-based SE(log HR) of a 0/1 term in a Cox model with ``events`` events,
    ``group_events`` of them in the group coded 1 if that split is known.

    The information about a 0/1 term is the sum, over events (tied events one
    by one, with Efron's or Breslow's risk-set weights), of the
    (weighted) variance p_j (1 - p_j) of the term in the risk set, at most 1/4
    each, so at most ``events`` / 4; adjusting for other terms can only raise
    the variance of its estimate above 1/information ([I^-1]_11 >= 1/I_11).
    Hence SE >= 2 / sqrt(events). With the split d1 + d0 known the floor is
    higher: at the estimate the term's score equation makes the p_j sum to d1,
    and by concavity the sum of p_j (1 - p_j) is then at most d1 d0 / (d1 + d0),
    so SE >= sqrt(1/d1 + 1/d0) (equal to 2 / sqrt(events) at d1 = d0). (The
    partial likelihood of Cox 1972; the bounds hold for Breslow's and Efron's
    handling of ties.)

    >>> round(binary_term_min_se(25, 11), 5)
    0.40291
    """
    if group_events is None:
        return 2.0 / math.sqrt(events)
    return math.sqrt(1.0 / group_events + 1.0 / (events - group_events))


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
    """Events per variable (EPV): the events divided by the number of the model's coefficients
    (``terms``, one per estimated parameter); None for a model without terms.

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
def km_reachable_paths(n: int) -> dict[Fraction, str]:
    """Every value a Kaplan-Meier curve on ``n`` patients can take, each with an order of events
    (``E``) and censorings (``C``) that reaches it: the one with the fewest censorings, then the
    fewest patients, then the earliest events (``E`` before ``C``, letter by letter).

    Exact enumeration: a Kaplan-Meier estimate is a product of factors
    (1 - d_i / n_i) over event times (Kaplan and Meier 1958), where n_i falls
    by the events and censorings before each time; tied events give the same
    product as the same events one after another. A dynamic programme over
    (patients at risk, value so far), one patient leaving the risk set per
    step, keeps for each state its best order (as a fraction, exactly).
    Exponential in n in principle; limited to ``n <= KM_ENUMERATION_MAX_N``.
    """
    if n > KM_ENUMERATION_MAX_N:
        raise ValueError(
            f"exact enumeration of Kaplan-Meier values is limited to n <= {KM_ENUMERATION_MAX_N} (got {n})"
        )
    # a state's orders all have n - r letters: (censorings, the order read as a binary number, E = 0)
    # ranks them by the fewest censorings, then E before C
    states: dict[Fraction, tuple[int, int, str]] = {Fraction(1): (0, 0, "")}
    best: dict[Fraction, tuple[int, int, int, str]] = {Fraction(1): (0, 0, 0, "")}
    for r in range(n, 0, -1):
        nxt: dict[Fraction, tuple[int, int, str]] = {}
        for value, (cens, code, path) in states.items():
            for step in (
                (value * Fraction(r - 1, r), cens, 2 * code, path + "E"),
                (value, cens + 1, 2 * code + 1, path + "C"),
            ):
                w, rank = step[0], step[1:]
                if w not in nxt or rank[:2] < nxt[w][:2]:
                    nxt[w] = rank
        states = nxt
        length = n - r + 1
        for value, (cens, code, path) in states.items():
            if value not in best or (cens, length, code) < best[value][:3]:
                best[value] = (cens, length, code, path)
    return {value: path for value, (*_, path) in best.items()}


@cache
def km_reachable_values(n: int) -> dict[Fraction, int]:
    """Every value a Kaplan-Meier curve on ``n`` patients can take, with the fewest censorings
    needed to reach it (the censorings of :func:`km_reachable_paths`' orders; ``n <= 20``)."""
    return {value: path.count("C") for value, path in km_reachable_paths(n).items()}


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


def km_rate_path(rate: float, n: int, decimals: int = 1) -> str | None:
    """The shortest order of events (``E``) and censorings (``C``) with the fewest censorings
    after which a Kaplan-Meier curve on ``n`` patients prints as ``rate`` (in percent); None if
    no curve on ``n`` patients takes such a value (:func:`km_reachable_paths`, ``n <= 20``).

    >>> km_rate_path(42.9, 14)
    'EEEEEEEE'
    """
    lo, hi = printed_interval(rate, decimals)
    lo, hi = lo / 100, hi / 100
    paths = [p for v, p in km_reachable_paths(n).items() if lo <= v < hi]
    return min(
        paths, key=lambda p: (p.count("C"), len(p), p.replace("E", "0").replace("C", "1")), default=None
    )


@cache
def _km_most_censored(n: int) -> dict[tuple[int, Fraction], int]:
    """For each (patients still at risk r, Kaplan-Meier value v) that an order of events and
    censorings on ``n`` patients reaches, the most censorings among such orders (the dynamic
    programme of :func:`km_reachable_paths`, keeping the maximum instead of the best order)."""
    if n > KM_ENUMERATION_MAX_N:
        raise ValueError(
            f"exact enumeration of Kaplan-Meier values is limited to n <= {KM_ENUMERATION_MAX_N} (got {n})"
        )
    states = {(n, Fraction(1)): 0}
    out = dict(states)
    for r in range(n, 0, -1):
        nxt: dict[tuple[int, Fraction], int] = {}
        for (_, value), cens in ((k, c) for k, c in states.items() if k[0] == r):
            for key, c in (((r - 1, value * Fraction(r - 1, r)), cens), ((r - 1, value), cens + 1)):
                if c > nxt.get(key, -1):
                    nxt[key] = c
        states = nxt
        for key, c in nxt.items():
            out[key] = max(out.get(key, -1), c)
    return out


def km_rate_most_censored(rate: float, n: int, decimals: int = 1) -> int | None:
    """The most patients of an arm of ``n`` whose time can be censored when its Kaplan-Meier rate at
    a landmark prints as ``rate`` (in percent): over every order of events and censorings before
    the landmark whose value prints so (:func:`_km_most_censored`, exact, ``n <= 20``), the
    censorings before it plus the patients still at risk at it (each of whom may be censored
    later). None if no curve on ``n`` patients prints as ``rate``. The rate is read as a
    Kaplan-Meier estimate (not a crude share k/n); orders that leave nobody at risk before the
    landmark, where R and SPSS print no value, are counted too: a censoring moves a patient from
    at risk to censored, so they never raise the count.

    >>> km_rate_most_censored(5.9, 17), km_rate_most_censored(50.0, 3)
    (1, 2)
    """
    lo, hi = printed_interval(rate, decimals)
    lo, hi = lo / 100, hi / 100
    counts = [c + r for (r, v), c in _km_most_censored(n).items() if lo <= v < hi]
    return max(counts, default=None)


def binary_term_se_floor(n_with: int, n_without: int, max_events: int) -> tuple[float, int, int]:
    """Smallest SE(log HR) a 0/1 term can have in a Cox model on ``n_with`` patients coded 1 and
    ``n_without`` coded 0 with at most ``max_events`` events in all: the floor of
    :func:`binary_term_min_se` at the split of events (d1 <= n_with, d0 <= n_without,
    d1 + d0 <= max_events) that makes it lowest. Returns (floor, d1, d0).

    A term with no event on one side has no finite estimate, so both sides need one.

    >>> [round(x, 4) if isinstance(x, float) else x for x in binary_term_se_floor(3, 28, 25)]
    [0.6155, 3, 22]
    """
    best = None
    for d1 in range(1, min(n_with, max_events - 1) + 1):
        d0 = min(n_without, max_events - d1)
        if d0 < 1:
            continue
        se = binary_term_min_se(d1 + d0, d1)
        if best is None or se < best[0]:
            best = (se, d1, d0)
    if best is None:
        raise ValueError("a 0/1 term needs an event on each side")
    return best


@dataclass(frozen=True)
class WaldRegion:
    """Where a Cox term's printed HR, CI bounds and p can hold together within tolerances
    (:func:`wald_region`): whether they can, the smallest and largest SE(log HR) that does it
    (``se_high`` may be infinite), and one (HR, SE) that does (the one with the smallest SE)."""

    feasible: bool
    se_low: float = math.nan
    se_high: float = math.nan
    hr: float = math.nan
    se: float = math.nan


def _hr_ci_half_planes(
    hr: float, hr_tol: float, ci: tuple[float, float] | None, ci_tol: float, z: float
) -> list[tuple[float, float, float]]:
    """The HR window and, if given, both CI bounds within tolerance as half-planes a_u u + a_s s <= b
    in (u, s) = (log HR, SE): the constraints :func:`wald_region` and :func:`ci_z_range` share."""
    planes = [(-1.0, 0.0, -math.log(max(hr - hr_tol, 1e-12))), (1.0, 0.0, math.log(hr + hr_tol))]
    if ci is not None:
        for c, sign in ((ci[0], -1.0), (ci[1], 1.0)):  # u + sign z s within log [c - tol, c + tol]
            planes.append((1.0, sign * z, math.log(c + ci_tol)))
            if c - ci_tol > 0:
                planes.append((-1.0, -sign * z, -math.log(c - ci_tol)))
    return planes


def wald_region(
    hr: float,
    hr_tol: float,
    se_min: float = 0.0,
    *,
    ci: tuple[float, float] | None = None,
    ci_tol: float = 0.0,
    p: float | None = None,
    p_tol: float = 0.0,
    z: float = Z95,
) -> WaldRegion:
    """Can a Wald summary of a Cox term, log HR +- z SE with SE >= ``se_min``, have its HR within
    ``hr_tol`` of ``hr`` and, if given, both CI bounds within ``ci_tol`` of ``ci`` and its two-sided
    p within ``p_tol`` of ``p``?

    In u = log HR and s = SE every condition is linear: the HR bounds u; a CI bound
    exp(u -+ z s) within [c - tol, c + tol] bounds u -+ z s by the logs of those ends; p within
    [p - tol, p + tol] puts |u| / s between the normal quantiles z(p + tol) and z(p - tol), which
    for one sign of u is two linear inequalities. So the question is the feasibility of two linear
    programmes (u >= 0 and u <= 0), decided exactly by ``scipy.optimize.linprog``, which also gives
    the smallest and largest feasible s. The tolerances are inclusive, as the reconstruction's
    checks (``|achieved - printed| <= tolerance``).

    >>> r = wald_region(0.51, 0.05, 0.361, ci=(0.28, 0.92), ci_tol=0.10, p=0.026, p_tol=0.02)
    >>> r.feasible, round(r.se_low, 3)
    (True, 0.361)
    >>> wald_region(0.55, 0.05, 0.403, p=0.054, p_tol=0.02).feasible
    False
    """
    from scipy.optimize import linprog

    half_planes = _hr_ci_half_planes(hr, hr_tol, ci, ci_tol, z)
    rows = [(a_u, a_s) for a_u, a_s, _ in half_planes]  # A @ (u, s) <= b
    rhs = [b for _, _, b in half_planes]
    z_low = 0.0 if p is None or p + p_tol >= 1.0 else -_NORMAL.inv_cdf((p + p_tol) / 2.0)
    z_high = math.inf if p is None or p - p_tol <= 0.0 else -_NORMAL.inv_cdf((p - p_tol) / 2.0)
    best: WaldRegion | None = None
    for side in (1.0, -1.0):  # sign of u
        A, b = [*rows, (-side, 0.0), (-side, z_low)], [*rhs, 0.0, 0.0]
        if math.isfinite(z_high):
            A.append((side, -z_high))
            b.append(0.0)
        bounds = [(None, None), (max(se_min, 1e-12), None)]
        low = linprog((0.0, 1.0), A_ub=A, b_ub=b, bounds=bounds, method="highs")
        if low.status != 0:
            continue
        high = linprog((0.0, -1.0), A_ub=A, b_ub=b, bounds=bounds, method="highs")
        se_high = math.inf if high.status == 3 else float(high.x[1])
        region = WaldRegion(True, float(low.x[1]), se_high, math.exp(low.x[0]), float(low.x[1]))
        if best is None:
            best = region
        else:
            best = WaldRegion(
                True,
                min(best.se_low, region.se_low),
                max(best.se_high, region.se_high),
                *((best.hr, best.se) if best.se_low <= region.se_low else (region.hr, region.se)),
            )
    return best if best is not None else WaldRegion(False)


def ci_z_range(
    hr: float,
    hr_tol: float,
    se_min: float,
    ci: tuple[float, float],
    ci_tol: float,
    z: float = Z95,
) -> tuple[float, float] | None:
    """The range of |z| = |log HR| / SE over the Wald summaries whose HR is within ``hr_tol`` of
    ``hr``, whose SE is at least ``se_min`` and whose two CI bounds are within ``ci_tol`` of ``ci``
    (the CI region of :func:`wald_region`); None if there are none.

    The region is a convex polygon in (u, s) = (log HR, SE) and u / s is linear-fractional, so its
    extremes lie at the polygon's vertices, found by intersecting every pair of its boundary
    lines; where the polygon straddles u = 0 the range of |z| starts at 0. Compared with the
    |z| a printed p asks for, it shows why an interval and a p cannot hold together.

    >>> [round(x, 3) for x in ci_z_range(0.95, 0.05, 0.410, (0.47, 1.92), 0.10)]
    [0.245, 0.257]
    """
    lines = [*_hr_ci_half_planes(hr, hr_tol, ci, ci_tol, z), (0.0, -1.0, -max(se_min, 1e-12))]  # s >= se_min
    vertices = []
    for i, (a1, b1, c1) in enumerate(lines):
        for a2, b2, c2 in lines[i + 1 :]:
            det = a1 * b2 - a2 * b1
            if abs(det) < 1e-15:
                continue
            u, s = (c1 * b2 - c2 * b1) / det, (a1 * c2 - a2 * c1) / det
            if s > 0 and all(a * u + b * s <= c + 1e-12 for a, b, c in lines):
                vertices.append((u, s))
    if not vertices:
        return None
    ratios = [u / s for u, s in vertices]
    if min(ratios) < 0.0 < max(ratios):
        return 0.0, max(abs(r) for r in ratios)
    absolute = [abs(r) for r in ratios]
    return min(absolute), max(absolute)
