"""Laboratory values meeting SPSS's quartiles per arm and pooled, and the Mann-Whitney p.

The arms' order of ranks is annealed to the printed p, the order statistics behind the quartiles
are set, and the other ranks filled in between (:func:`draw_labs`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from lcnec_utils.reconstruct.settings import LABS, ROLES
from lcnec_utils.reconstruct.targets import matches_printed
from lcnec_utils.stats.normal import z_of_p


def _weibull_positions(n: int) -> list[tuple[int, int, float]]:
    """For Q1, median, Q3: (lower index, upper index, weight) with q = x[lo] + w (x[hi] - x[lo])."""
    out = []
    for p in (0.25, 0.5, 0.75):
        h = p * (n + 1)
        k = int(math.floor(h + 1e-12))
        w = h - k
        lo = min(max(k, 1), n) - 1
        hi = min(k + 1, n) - 1
        out.append((lo, hi if w > 1e-12 else lo, w if w > 1e-12 else 0.0))
    return out


def weibull_quartiles(x) -> np.ndarray:
    """Q1, median, Q3 as SPSS (numpy ``method="weibull"``)."""
    return np.percentile(np.asarray(x, float), [25, 50, 75], method="weibull")


def fast_mannwhitney_p(x: np.ndarray, y: np.ndarray) -> float:
    """Mann-Whitney U, normal approximation, tie-corrected, no continuity correction (SPSS)."""
    n1, n2 = x.size, y.size
    allv = np.concatenate([x, y])
    order = np.argsort(allv, kind="stable")
    sv = allv[order]
    ranks = np.empty(allv.size)
    _, start, counts = np.unique(sv, return_index=True, return_counts=True)
    ranks[order] = np.repeat(start + (counts + 1) / 2.0, counts)
    u = ranks[:n1].sum() - n1 * (n1 + 1) / 2.0
    n = n1 + n2
    tie = float((counts**3 - counts).sum())
    var = n1 * n2 / 12.0 * ((n + 1) - tie / (n * (n - 1)))
    if var <= 0:
        return 1.0
    z = (u - n1 * n2 / 2.0) / math.sqrt(var)
    return math.erfc(abs(z) / math.sqrt(2.0))


def _lab_constraints(member: np.ndarray, qs: Mapping[str, Sequence[float]]):
    """(i, j, w, q) on pooled sorted positions: z_i + w (z_j - z_i) = q, from every quartile target."""
    cons = []
    for arm, mask in (("treatment", member == 1), ("reference", member == 0), ("total", None)):
        if arm not in qs:
            continue
        where = np.flatnonzero(mask) if mask is not None else np.arange(member.size)
        for (i, j, w), q in zip(_weibull_positions(where.size), qs[arm]):
            cons.append((int(where[i]), int(where[j]), w, q))
    return cons


def _propagate(cons, lb: np.ndarray, ub: np.ndarray, rounds: int = 3):
    """Bounds of a non-decreasing z meeting the constraints (interval propagation)."""
    lb, ub = lb.copy(), ub.copy()
    for i, j, w, q in cons:
        if i == j or w == 0.0:
            lb[i], ub[i] = max(lb[i], q), min(ub[i], q)
        else:
            ub[i], lb[j] = min(ub[i], q), max(lb[j], q)
    for _ in range(rounds):
        L = np.maximum.accumulate(lb)
        U = np.minimum.accumulate(ub[::-1])[::-1]
        for i, j, w, q in cons:
            if i == j or w == 0.0:
                continue
            lb[j] = max(lb[j], (q - (1 - w) * U[i]) / w)
            ub[j] = min(ub[j], (q - (1 - w) * L[i]) / w)
            ub[i] = min(ub[i], (q - w * L[j]) / (1 - w))
            lb[i] = max(lb[i], (q - w * U[j]) / (1 - w))
    return np.maximum.accumulate(lb), np.minimum.accumulate(ub[::-1])[::-1]


def _lab_construct(
    rng, tg: Mapping[str, Any], lab: str, n: Mapping[str, int], attempts: int = 400
) -> dict[str, np.ndarray]:
    """Lab values per arm meeting the per-arm and pooled SPSS quartiles and the Mann-Whitney p.

    A membership sequence (which arm holds each pooled rank) is annealed to the
    U statistic of the printed p and to feasibility of the quartile constraints;
    then the defining order statistics are set and the others filled in between.
    """
    step, lo, hi = LABS[lab]
    N = n["treatment"] + n["reference"]
    qs = {r: lab_quartile_targets(tg, lab, r) for r in ROLES}
    if f"baseline.{lab}.median.total" in tg:
        qs["total"] = lab_quartile_targets(tg, lab, "total")
    p_target = tg.get(f"baseline.{lab}.p")
    # realistic range around the printed quartiles
    all_q = [q for v in qs.values() for q in v]
    floor = max(lo, min(all_q) * (0.97 if lab == "sodium" else 0.45))
    ceil_ = min(hi, max(all_q) * (1.02 if lab == "sodium" else 2.2))
    n1, n2 = n["treatment"], n["reference"]
    sd_u = math.sqrt(n1 * n2 * (N + 1) / 12.0)
    direction = 1.0 if qs["treatment"][1] > qs["reference"][1] else -1.0
    u_target = n1 * n2 / 2.0 + direction * (z_of_p(p_target) if p_target is not None else 0.0) * sd_u
    scale = max(all_q) - min(all_q) + 1e-9

    def seq_cost(member):
        cons = _lab_constraints(member, qs)
        L, U = _propagate(cons, np.full(N, floor), np.full(N, ceil_))
        infeasible = np.maximum(L - U, 0.0).sum() / scale
        ranks_t = np.flatnonzero(member == 1)
        u = (ranks_t - np.arange(n1)).sum()  # pairs (T above R), no ties
        return 10.0 * infeasible + abs(u - u_target) / sd_u * 4.0, cons

    for _attempt in range(attempts):
        member = np.zeros(N, int)
        member[rng.choice(N, size=n1, replace=False)] = 1
        cur, cons = seq_cost(member)
        for _ in range(600):
            if cur < 0.35:
                break
            i = int(rng.integers(N - 1))
            j = i + 1 if rng.random() < 0.7 else int(rng.integers(N))
            if member[i] == member[j]:
                continue
            member[i], member[j] = member[j], member[i]
            c, cn = seq_cost(member)
            if c <= cur or rng.random() < math.exp(-(c - cur) / 0.3):
                cur, cons = c, cn
            else:
                member[i], member[j] = member[j], member[i]
        if cur >= 0.35:
            continue
        for _try in range(8):
            z = _fill_lab_values(rng, cons, N, floor, ceil_, step)
            if z is None:
                continue
            vals = {"treatment": z[member == 1], "reference": z[member == 0]}
            if _lab_ok(vals, qs, p_target):
                return {r: rng.permutation(vals[r]) for r in ROLES}
    raise RuntimeError(f"no lab values found for '{lab}'")


def _lab_ok(vals, qs, p_target) -> bool:
    got = {r: weibull_quartiles(vals[r]) for r in ROLES}
    if "total" in qs:
        got["total"] = weibull_quartiles(np.concatenate([vals["treatment"], vals["reference"]]))
    for arm, q in qs.items():
        if not all(matches_printed(a, b, 2) for a, b in zip(got[arm], q)):
            return False
    if p_target is not None:
        return abs(fast_mannwhitney_p(vals["treatment"], vals["reference"]) - p_target) <= 0.008
    return True


def _snap(x: float, step: float, mode: str = "round") -> float:
    f = {"round": round, "floor": math.floor, "ceil": math.ceil}[mode]
    return round(f(x / step - (1e-9 if mode == "ceil" else -1e-9 if mode == "floor" else 0)) * step, 6)


def _fill_lab_values(rng, cons, N: int, floor: float, ceil_: float, step: float):
    """Values for the pooled sorted positions: constrained pairs first, then the free ranks."""
    lb, ub = np.full(N, floor), np.full(N, ceil_)
    fixed = np.full(N, np.nan)
    for i, j, w, q in cons:
        if i == j or w == 0.0:
            fixed[i] = q
    pairs = [c for c in cons if not (c[0] == c[1] or c[2] == 0.0)]
    for idx in rng.permutation(len(pairs)):
        i, j, w, q = pairs[idx]
        cur_lb = np.where(np.isnan(fixed), lb, fixed)
        cur_ub = np.where(np.isnan(fixed), ub, fixed)
        L, U = _propagate(cons, cur_lb, cur_ub)
        if L[i] > U[i] + 1e-9 or L[j] > U[j] + 1e-9:
            return None
        if not np.isnan(fixed[i]) and not np.isnan(fixed[j]):
            continue
        options = []
        a_lo, a_hi = _snap(L[i], step, "ceil"), _snap(min(U[i], q), step, "floor")
        if not np.isnan(fixed[i]):
            a_lo = a_hi = fixed[i]
        k_max = int(round((a_hi - a_lo) / step))
        if k_max < 0:
            return None
        cand_a = [a_lo + step * k for k in rng.choice(k_max + 1, size=min(k_max + 1, 40), replace=False)]
        # favour tight pairs (a close to q): realistic spacing of neighbouring order statistics
        cand_a.sort(key=lambda a: abs(q - a) * (0.5 + rng.random()))
        for a in cand_a:
            a = round(a, 6)
            if not np.isnan(fixed[j]):
                b = fixed[j]
                bs = [b]
            else:
                b0 = a + (q - a) / w
                bs = [_snap(b0, step, "floor"), _snap(b0, step, "ceil")]
            for b in bs:
                if b < a or b < L[j] - 1e-9 or b > U[j] + 1e-9:
                    continue
                if matches_printed(a + w * (b - a), q, 2):
                    options.append((a, b))
            if options:
                break
        if not options:
            return None
        a, b = options[rng.integers(len(options))]
        fixed[i], fixed[j] = a, b
    cur_lb = np.where(np.isnan(fixed), lb, fixed)
    cur_ub = np.where(np.isnan(fixed), ub, fixed)
    L, U = _propagate(cons, cur_lb, cur_ub)
    if np.any(L > U + 1e-9):
        return None
    # free ranks: runs between fixed neighbours, sorted draws (log scale)
    z = fixed.copy()
    k = 0
    while k < N:
        if not np.isnan(z[k]):
            k += 1
            continue
        e = k
        while e < N and np.isnan(z[e]):
            e += 1
        left = z[k - 1] if k > 0 else max(floor, L[k])
        right = z[e] if e < N else min(ceil_, U[e - 1])
        if k == 0:
            left = max(floor, right * (0.97 if step == 0.1 else 0.55))
        if e == N:
            right = min(ceil_, left * (1.03 if step == 0.1 else 2.0))
        m = e - k
        la, lb_ = math.log(max(left, 1e-6)), math.log(max(right, 1e-6))
        draws = np.sort(np.exp(la + rng.random(m) * (lb_ - la)))
        draws = np.clip([_snap(d, step) for d in draws], left, right)
        z[k:e] = np.maximum.accumulate(draws)
        k = e
    return np.round(z, 6)


def lab_quartile_targets(tg: Mapping[str, Any], lab: str, arm: str) -> list[float]:
    """The printed Q1, median and Q3 of ``lab`` in ``arm`` (a role or ``total``)."""
    return [float(tg[f"baseline.{lab}.{s}.{arm}"]) for s in ("q1", "median", "q3")]


def draw_labs(rng, tg: Mapping[str, Any], n: Mapping[str, int]) -> dict[str, dict[str, np.ndarray]]:
    """Every lab column of each arm (role -> lab -> values) meeting its printed quartiles and p."""
    out: dict[str, dict[str, np.ndarray]] = {r: {} for r in ROLES}
    for lab in LABS:
        found = _lab_construct(rng, tg, lab, n)
        for r in ROLES:
            out[r][lab] = found[r]
    return out
