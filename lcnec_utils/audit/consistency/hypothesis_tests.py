"""Table 2's tests recomputed from the printed counts and summaries: Fisher's exact test and its look-alikes, Student's and Welch's t."""

from __future__ import annotations

import itertools
import re
from typing import Any

from scipy import stats

from lcnec_utils.audit.consistency.counts import combined_mean_sd_range, grim_attainable, percent_attainable
from lcnec_utils.audit.consistency.findings import Finding
from lcnec_utils.audit.consistency.published_index import ARM_N_KEYS, PublishedIndex
from lcnec_utils.stats.format import format_rounded
from lcnec_utils.stats.rounding import in_printed_interval, printed_interval


def p_matches(p: float, printed: float, decimals: int) -> str | None:
    """How a computed ``p`` prints as ``printed``: ``"rounded"``, ``"truncated"`` or ``None``."""
    if in_printed_interval(p, printed, decimals, "round") or (
        printed == 1.0 and p >= 1 - 0.5 * 10**-decimals
    ):
        return "rounded"
    if in_printed_interval(p, printed, decimals, "truncate"):
        return "truncated"
    return None


def fisher_recheck(
    a: int, n1: int, b: int, n2: int, printed_p: float | None = None, decimals: int = 3
) -> dict:
    """A 2x2 comparison recomputed from its counts (``a`` of ``n1`` vs ``b`` of ``n2``).

    Returns the two-sided p of Fisher's exact test (``scipy.stats.fisher_exact``;
    Fisher 1935, p = sum of the hypergeometric probabilities no larger than the
    observed table's), of Pearson's chi-squared test without and with Yates'
    continuity correction (``scipy.stats.chi2_contingency``), and, if
    ``printed_p`` is given, which of them print as it (rounded or truncated).

    >>> round(fisher_recheck(7, 14, 5, 17)["fisher"], 4)
    0.2883
    """
    table = [[a, n1 - a], [b, n2 - b]]
    out: dict[str, Any] = {"table": table, "fisher": float(stats.fisher_exact(table)[1])}
    if min(a + b, n1 + n2 - a - b) == 0:
        out["chi2"] = out["yates"] = 1.0
    else:
        out["chi2"] = float(stats.chi2_contingency(table, correction=False)[1])
        out["yates"] = float(stats.chi2_contingency(table, correction=True)[1])
    if printed_p is not None:
        out["matches"] = {
            test: p_matches(out[test], printed_p, decimals) for test in ("fisher", "chi2", "yates")
        }
    return out


def _t_p(m1, s1, n1, m2, s2, n2, equal_var: bool) -> float:
    return float(stats.ttest_ind_from_stats(m1, s1, n1, m2, s2, n2, equal_var=equal_var).pvalue)


def t_test_from_summary(
    m1: float,
    s1: float,
    n1: int,
    m2: float,
    s2: float,
    n2: int,
    mean_decimals: int = 1,
    sd_decimals: int = 2,
    equal_var: bool = True,
    grid: int = 5,
) -> dict:
    """Two-sample t-test from printed means and SDs, honouring their rounding.

    Student's pooled-variance test (``equal_var=True``) or Welch's
    (``equal_var=False``; Welch 1947), via ``scipy.stats.ttest_ind_from_stats``.
    Each printed mean and SD stands for an interval of true values (+- half a
    unit of its last decimal); the p-value is evaluated on a ``grid``^4 lattice
    over that box, corners included, and ``p_min``/``p_max`` bound the p-values
    the printed summaries allow. (For Student's test |t| is monotone in each
    argument, so the corners give the exact bounds; for Welch's the degrees of
    freedom move too and the lattice is a close approximation.)
    """

    def axis(v, d):
        h = 0.5 * 10**-d
        return [v - h + 2 * h * i / (grid - 1) for i in range(grid)]

    ps = [
        _t_p(a, b, n1, c, e, n2, equal_var)
        for a, b, c, e in itertools.product(
            axis(m1, mean_decimals), axis(s1, sd_decimals), axis(m2, mean_decimals), axis(s2, sd_decimals)
        )
    ]
    return {
        "test": "Student" if equal_var else "Welch",
        "p": _t_p(m1, s1, n1, m2, s2, n2, equal_var),
        "p_min": min(ps),
        "p_max": max(ps),
    }


def _categorical_tests(pub: PublishedIndex) -> list[tuple[str, str, str]]:
    """Table 2/3 p-values and the 2x2 table each comes from: (p key, treatment count key, reference count key)."""
    tests = []
    for e in pub.entries:
        key = e["key"]
        m = re.match(r"^baseline\.([a-z0-9_]+)\.p$", key)
        if m and e.get("variant") is None and e["value"] is not None:
            name = m.group(1)
            for row in (name, f"{name}_male", f"{name}_0_1"):
                if pub.value(f"baseline.{row}.n.treatment") is not None:
                    tests.append((key, f"baseline.{row}.n.treatment", f"baseline.{row}.n.reference"))
                    break
    for rate in ("orr", "dcr"):
        if pub.value(f"response.{rate}.p") is not None:
            tests.append((f"response.{rate}.p", f"response.{rate}.treatment", f"response.{rate}.reference"))
    return tests


def _count_of(pub: PublishedIndex, key: str, n: int) -> int | None:
    e = pub.get(key)
    if e is None or e["value"] is None:
        return None
    if e["unit"] == "count":
        return int(e["value"])
    ks = percent_attainable(float(e["value"]), n, int(e["decimals"]))
    return ks[0] if len(ks) == 1 else None


def categorical_p_findings(pub: PublishedIndex) -> list[Finding]:
    """Each categorical p of Tables 2 and 3 recomputed from the printed counts by Fisher's exact
    test (the test the Methods name), and by the chi-squared tests where Fisher's does not fit."""
    out = []
    n1, n2 = pub.arm_n("treatment"), pub.arm_n("reference")
    for p_key, k1, k2 in _categorical_tests(pub):
        a, b = _count_of(pub, k1, n1), _count_of(pub, k2, n2)
        if a is None or b is None:
            continue
        e = pub.get(p_key)
        printed, dec = float(e["value"]), int(e["decimals"])
        r = fisher_recheck(a, n1, b, n2, printed, dec)
        what = f"{p_key}: {a}/{n1} vs {b}/{n2}"
        expected = f"Fisher {r['fisher']:.4f}; chi-squared {r['chi2']:.4f}; Yates {r['yates']:.4f}"
        reported = f"{printed:.{dec}f}"
        matches = r["matches"]
        if matches["fisher"] == "rounded":
            out.append(
                Finding(
                    "categorical_p",
                    what,
                    pub.where(p_key),
                    expected,
                    reported,
                    "none",
                    "Fisher's exact test on the printed counts gives the printed p.",
                    [p_key],
                )
            )
        elif matches["fisher"] == "truncated":
            out.append(
                Finding(
                    "categorical_p",
                    what,
                    pub.where(p_key),
                    expected,
                    reported,
                    "low",
                    f"Fisher's exact test gives {r['fisher']:.5f}, which rounds to "
                    f"{format_rounded(r['fisher'], dec)}; the paper truncated it.",
                    [p_key],
                    True,
                    {p_key: r["fisher"]},
                )
            )
        else:
            alt = [t for t in ("chi2", "yates") if matches[t]]
            names = {
                "chi2": "Pearson's chi-squared test",
                "yates": "the chi-squared test with Yates' correction",
            }
            if alt:
                expl = (
                    f"Fisher's exact test (the test the Methods name) gives {r['fisher']:.4f}; the printed "
                    f"{reported} is what {names[alt[0]]} gives, so the stated test was not the one used."
                )
            else:
                expl = (
                    f"Fisher's exact test (the test the Methods name) gives {r['fisher']:.4f}, and neither "
                    f"chi-squared test gives {reported}: the printed p does not follow from the printed counts."
                )
            out.append(
                Finding(
                    "categorical_p",
                    what,
                    pub.where(p_key),
                    expected,
                    reported,
                    "medium",
                    expl,
                    [p_key],
                    True,
                    {p_key: r["fisher"]},
                )
            )
    return out


def age_findings(pub: PublishedIndex) -> list[Finding]:
    """Table 2's age: each arm's mean against whole-year ages (GRIM), the total's mean and SD
    against the arms', and the printed p against Student's and Welch's t-tests."""
    g = {arm: (pub.get(f"baseline.age.mean.{arm}"), pub.get(f"baseline.age.sd.{arm}")) for arm in ARM_N_KEYS}
    if any(m is None or s is None for m, s in g.values()):
        return []
    n = {arm: pub.arm_n(arm) for arm in ARM_N_KEYS}
    (mt, st), (mr, sr) = g["treatment"], g["reference"]
    md, sd_ = int(mt["decimals"]), int(st["decimals"])
    args = (mt["value"], st["value"], n["treatment"], mr["value"], sr["value"], n["reference"])
    out = [_grim_finding(pub, g[arm][0], n[arm], arm) for arm in ARM_N_KEYS]
    out.append(_pooled_age_finding(pub, g["total"], args, md, sd_))
    p_e = pub.get("baseline.age.p")
    if p_e is not None and p_e["value"] is not None:
        out.append(_age_p_finding(pub, p_e, args, md, sd_))
    return out


def _grim_finding(pub: PublishedIndex, m: dict, n: int, arm: str) -> Finding:
    """An arm's mean age against the means ``n`` whole-year ages can have (GRIM)."""
    sums = grim_attainable(m["value"], n, int(m["decimals"]))
    return Finding(
        "age",
        f"mean age {m['value']} of {n} whole-year ages ({arm})",
        pub.where(m["key"]),
        f"an integer sum S with S/{n} printing as {m['value']}",
        ", ".join(f"{s}/{n}" for s in sums) or "none",
        "none" if sums else "medium",
        "A mean of whole-year ages can be this value."
        if sums
        else "No sum of whole-year ages gives this mean (GRIM); ages may not be whole years, or the mean is wrong.",
        [m["key"]],
        not sums,
    )


def _pooled_age_finding(pub: PublishedIndex, total: tuple, args: tuple, md: int, sd_: int) -> Finding:
    """The total column's mean ± SD against the two arms' pooled (over their rounding)."""
    comb = combined_mean_sd_range(*args, md, sd_)
    mtot, stot = total
    ok_m = comb["mean_min"] - 0.5 * 10**-md <= mtot["value"] <= comb["mean_max"] + 0.5 * 10**-md
    ok_s = comb["sd_min"] - 0.5 * 10**-sd_ <= stot["value"] <= comb["sd_max"] + 0.5 * 10**-sd_
    return Finding(
        "age",
        "total mean ± SD of age from the two arms' means and SDs",
        pub.where(mtot["key"]),
        f"mean {comb['mean_min']:.2f}-{comb['mean_max']:.2f}, SD {comb['sd_min']:.2f}-{comb['sd_max']:.2f}",
        f"{mtot['value']} ± {stot['value']}",
        "none" if ok_m and ok_s else "medium",
        "The total column's mean and SD follow from the arms' (pooled with the between-arm spread)."
        if ok_m and ok_s
        else "The total column's mean or SD cannot come from the two arms' printed values.",
        [mtot["key"], stot["key"]],
        not (ok_m and ok_s),
    )


def _age_p_finding(pub: PublishedIndex, p_e: dict, args: tuple, md: int, sd_: int) -> Finding:
    """The printed age p against the p-values Student's and Welch's tests allow from the summaries."""
    student = t_test_from_summary(*args, md, sd_, equal_var=True)
    welch = t_test_from_summary(*args, md, sd_, equal_var=False)
    plo, phi = printed_interval(p_e["value"], int(p_e["decimals"]))
    fits = [t for t in (student, welch) if t["p_min"] <= float(phi) and t["p_max"] >= float(plo)]
    expected = "; ".join(
        f"{t['test']} {t['p']:.4f} (range {t['p_min']:.3f}-{t['p_max']:.3f})" for t in (student, welch)
    )
    return Finding(
        "age",
        "age p-value from the printed means and SDs",
        pub.where(p_e["key"]),
        expected,
        f"{p_e['value']:.3f}",
        "none" if fits else "medium",
        (
            "The printed p is what "
            + " and ".join(t["test"] + "'s" for t in fits)
            + (" t-tests give" if len(fits) > 1 else " t-test gives")
            + " from the printed summaries (the Methods name no test for age)."
        )
        if fits
        else "Neither Student's nor Welch's t-test gives the printed p from the printed means and SDs.",
        [p_e["key"]],
        not fits,
    )
