"""Counts and percentages: which counts a printed percentage allows (GRIM), totals against arms, printed precision."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from fractions import Fraction

from lcnec_utils.audit.consistency.findings import Finding, ref
from lcnec_utils.audit.consistency.published_index import ARM_OF, PublishedIndex
from lcnec_utils.contract.published import bound_holds
from lcnec_utils.stats.format import format_rounded
from lcnec_utils.stats.rounding import in_printed_interval, printed_interval


def percent_attainable(pct: float, n: int, decimals: int, mode: str = "round") -> list[int]:
    """Counts ``k`` in ``0..n`` for which ``100 k / n`` prints as ``pct``.

    Exact rational arithmetic, so ties are decided as a journal rounds
    (half-up). An empty list means no count of ``n`` patients gives the
    printed percentage (the GRIM test of Brown and Heathers 2017, Social
    Psychological and Personality Science 8:363, applied to a proportion).

    >>> percent_attainable(28.6, 14, 1)
    [4]
    >>> percent_attainable(42.9, 17, 1)
    []
    """
    lo, hi = printed_interval(pct, decimals, mode)
    return [k for k in range(n + 1) if lo <= Fraction(100 * k, n) < hi]


def grim_attainable(mean: float, n: int, decimals: int) -> list[int]:
    """Integer sums ``S`` with ``S / n`` printing as ``mean`` (GRIM; Brown and Heathers 2017).

    Applies when the items are integers (ages in whole years).
    """
    lo, hi = printed_interval(mean, decimals)
    first = math.ceil(lo * n)
    return [s for s in range(first, math.floor(hi * n) + 1) if lo <= Fraction(s, n) < hi]


def total_matches_groups(total: int, parts: Iterable[int]) -> bool:
    """True if a printed total equals the sum of its printed groups."""
    return int(total) == sum(int(p) for p in parts)


def combined_mean_sd(m1: float, s1: float, n1: int, m2: float, s2: float, n2: int) -> tuple[float, float]:
    """Mean and SD (n - 1 denominator) of two groups pooled, from their means and SDs."""
    n = n1 + n2
    mean = (n1 * m1 + n2 * m2) / n
    ss = (n1 - 1) * s1**2 + (n2 - 1) * s2**2 + n1 * (m1 - mean) ** 2 + n2 * (m2 - mean) ** 2
    return mean, math.sqrt(ss / (n - 1))


def combined_mean_sd_range(m1, s1, n1, m2, s2, n2, mean_decimals: int = 1, sd_decimals: int = 2) -> dict:
    """Interval of the pooled mean and SD over the rounding box of the groups' printed values."""
    h_m, h_s = 0.5 * 10**-mean_decimals, 0.5 * 10**-sd_decimals
    corners = [
        combined_mean_sd(a, b, n1, c, e, n2)
        for a in (m1 - h_m, m1 + h_m)
        for b in (s1 - h_s, s1 + h_s)
        for c in (m2 - h_m, m2 + h_m)
        for e in (s2 - h_s, s2 + h_s)
    ]
    means = [c[0] for c in corners]
    sds = [c[1] for c in corners]
    # the SD is not monotone in the means (they enter through the spread); add the centre
    centre = combined_mean_sd(m1, s1, n1, m2, s2, n2)
    return {
        "mean": centre[0],
        "sd": centre[1],
        "mean_min": min(means),
        "mean_max": max(means),
        "sd_min": min(sds + [centre[1]]),
        "sd_max": max(sds + [centre[1]]),
    }


def percent_findings(pub: PublishedIndex) -> list[Finding]:
    """Each printed percentage of an arm against the counts of its n that print as it (GRIM)."""
    out = []
    for e in pub.entries:
        key, unit = e["key"], e["unit"]
        if unit != "percent" or e["value"] is None or ".rate_" in key:
            continue
        m = ARM_OF.search(key)
        if m:
            out.append(_percent_finding(pub, e, pub.arm_n(m.group(1))))
    return out


def _percent_finding(pub: PublishedIndex, e: dict, n: int) -> Finding:
    """One percentage of ``n`` patients: a count prints as it (rounded, or only truncated), or
    none does; checked against the printed count where there is one."""
    key = e["key"]
    pct, dec = float(e["value"]), int(e["decimals"])
    count_key = key.replace(".pct.", ".n.") if ".pct." in key else None
    if key == "safety.irae_any.treatment":
        count_key = "safety.irae_any.n.treatment"
    count = pub.value(count_key) if count_key else None
    ks = percent_attainable(pct, n, dec)
    ks_trunc = percent_attainable(pct, n, dec, "truncate")
    rk = ref(key, e.get("variant"))
    if count is not None:
        exact = Fraction(100 * int(count), n)
        expected = f"{int(count)}/{n} = {float(exact):.{dec + 2}f}%, printed {format_rounded(exact, dec)}%"
    else:
        expected = "k/n for some count k: " + (
            ", ".join(f"{k}/{n} = {100 * k / n:.{dec + 2}f}%" for k in ks) or "none"
        )

    def finding(severity: str, explanation: str, keys: list, wrong: bool = False, corrected=None) -> Finding:
        return Finding(
            "percent",
            f"{pct:g}% of {n} ({key}{' ' + e['variant'] if e.get('variant') else ''})",
            pub.where(key, e.get("variant")),
            expected,
            f"{pct:g}%",
            severity,
            explanation,
            keys,
            wrong,
            corrected or {},
        )

    if ks and (count is None or int(count) in ks):
        return finding("none", f"{pct:g}% is {ks[0]}/{n} at the printed rounding.", [rk])
    if ks_trunc and (count is None or int(count) in ks_trunc):
        k = int(count) if count is not None else ks_trunc[0]
        return finding(
            "low",
            f"No count of {n} rounds to {pct:g}%; {k}/{n} = {100 * k / n:.4f}% gives it only when "
            f"truncated, so the paper cut the digits instead of rounding them.",
            [rk],
            True,
            {rk: float(format_rounded(Fraction(100 * k, n), dec))},
        )
    if ks:
        return finding(
            "medium",
            f"{pct:g}% is {ks[0]}/{n}, not the printed count {int(count)}/{n}: the count or the percentage is wrong.",
            [rk, count_key],
            True,
        )
    k = int(count) if count is not None else int(round(pct * n / 100))
    corr = {rk: float(format_rounded(Fraction(100 * k, n), dec))}
    return finding(
        "medium",
        f"No count out of {n} gives {pct:g}% at {dec} decimal(s), rounded or truncated; the nearest is "
        f"{k}/{n} = {corr[rk]:.{dec}f}%.",
        [rk],
        True,
        corr,
    )


def precision_findings(pub: PublishedIndex) -> list[Finding]:
    """Percentages printed with more or fewer decimals than the rest of their table."""
    out = []
    groups: dict[str, list] = {}
    for e in pub.entries:
        if e["unit"] == "percent" and e["value"] is not None and not e.get("variant"):
            groups.setdefault(e["source"]["where"], []).append(e)
    for where, entries in groups.items():
        decs = [int(e["decimals"]) for e in entries]
        usual = max(set(decs), key=decs.count)
        odd = [e for e in entries if int(e["decimals"]) != usual]
        for e in odd:
            out.append(
                Finding(
                    "percent",
                    f"precision of {e['value']:g}% ({e['key']})",
                    pub.where(e["key"]),
                    f"{usual} decimal(s), as the other {len(entries) - len(odd)} percentages of {where}",
                    f"{int(e['decimals'])} decimals",
                    "low",
                    f"{where} prints this percentage with {int(e['decimals'])} decimals and its other percentages with "
                    f"{usual}; the value is right, the presentation inconsistent.",
                    [e["key"]],
                    False,
                )
            )
    return out


def _row_of_count_key(key: str) -> tuple[str, str] | None:
    m = re.match(r"^(baseline\.[a-z0-9_]+)\.n\.(total|treatment|reference)$", key)
    return (m.group(1), m.group(2)) if m else None


#: Groups that partition an arm: label -> the count keys' stems (``.<arm>`` appended).
_PARTITIONS = {
    "Best response (PR + SD + PD, no CR or NE printed)": [
        "response.pr.n",
        "response.sd.n",
        "response.pd.n",
    ],
    "ICI classes (PD-1 + PD-L1 + PD-1/CTLA-4)": [
        "ici_class.pd1.n",
        "ici_class.pdl1.n",
        "ici_class.pd1_ctla4.n",
    ],
    "Chemotherapy regimens (EP/EC/EL + IP + TP)": [
        "baseline.chemo_regimen_ep_ec_el.n",
        "baseline.chemo_regimen_ip.n",
        "baseline.chemo_regimen_tp.n",
    ],
}


def total_findings(pub: PublishedIndex) -> list[Finding]:
    """Totals against their parts: each Table 2 row's total against its arms, the groups that
    partition an arm against its n, ORR and DCR against the response rows."""
    return _row_total_findings(pub) + _partition_findings(pub) + _response_rate_findings(pub)


def _row_total_findings(pub: PublishedIndex) -> list[Finding]:
    """Each baseline row's printed total against the sum of its two arms."""
    out = []
    rows = sorted({_row_of_count_key(e["key"])[0] for e in pub.entries if _row_of_count_key(e["key"])})
    for row in rows:
        t, a, b = (pub.value(f"{row}.n.{arm}") for arm in ("total", "treatment", "reference"))
        if None in (t, a, b):
            continue
        key = f"{row}.n.total"
        what = f"{' '.join(str(pub.get(key)['source'].get('row', row)).split())}: total = sum of arms"
        if total_matches_groups(t, (a, b)):
            out.append(
                Finding(
                    "total",
                    what,
                    pub.where(key),
                    f"{a} + {b} = {a + b}",
                    f"{t}",
                    "none",
                    "The total is the sum of the two arms.",
                    [key],
                )
            )
            continue
        n = pub.arm_n("total")
        out.append(
            Finding(
                "total",
                what,
                pub.where(key),
                f"{a} + {b} = {a + b}",
                f"{t}",
                "medium",
                f"The arms add up to {a + b} ({100 * (a + b) / n:.1f}%), not the printed total {t}; "
                f"the total and its percentage are wrong, or one arm's count is.{_twin_note(pub, rows, row, t)}",
                [key, f"{row}.pct.total"],
                True,
                {key: a + b, f"{row}.pct.total": float(format_rounded(Fraction(100 * (a + b), n), 1))},
            )
        )
    return out


def _twin_note(pub: PublishedIndex, rows: list[str], row: str, t: int) -> str:
    """A sentence naming another row printed with the same total and percentage (a likely copying slip)."""
    pct_t = pub.value(f"{row}.pct.total")
    twins = [
        r
        for r in rows
        if r != row and pub.value(f"{r}.n.total") == t and pub.value(f"{r}.pct.total") == pct_t
    ]
    if not twins:
        return ""
    twin_label = " ".join(str(pub.get(f"{twins[0]}.n.total")["source"].get("row", twins[0])).split())
    return f" The same '{t} ({pct_t:g})' is printed for the row '{twin_label}', a likely copying slip."


def _partition_findings(pub: PublishedIndex) -> list[Finding]:
    """Response categories, ICI classes and regimens against the patients of each arm."""
    out = []
    for label, stems in _PARTITIONS.items():
        for arm in ("treatment", "reference", "total"):
            parts = [pub.value(f"{s}.{arm}") for s in stems]
            if any(p is None for p in parts):
                continue
            n = pub.arm_n(arm)
            ok = total_matches_groups(n, parts)
            out.append(
                Finding(
                    "total",
                    f"{label}, {arm} arm" if arm != "total" else f"{label}, all patients",
                    pub.where(f"{stems[0]}.{arm}"),
                    f"{n} patients",
                    " + ".join(str(p) for p in parts) + f" = {sum(parts)}",
                    "none" if ok else "medium",
                    "The categories account for every patient."
                    if ok
                    else f"The categories add up to {sum(parts)}, not the {n} patients of the arm.",
                    [f"{s}.{arm}" for s in stems],
                    not ok,
                )
            )
    return out


def _response_rate_findings(pub: PublishedIndex) -> list[Finding]:
    """ORR (PR) and DCR (PR + SD) recomputed from the response rows (no complete response printed)."""
    out = []
    for arm in ("treatment", "reference"):
        n = pub.arm_n(arm)
        pr, sd = pub.value(f"response.pr.n.{arm}"), pub.value(f"response.sd.n.{arm}")
        for rate, count in (("orr", pr), ("dcr", None if pr is None or sd is None else pr + sd)):
            v = pub.value(f"response.{rate}.{arm}")
            if v is None or count is None:
                continue
            ok = in_printed_interval(100 * count / n, v, pub.get(f"response.{rate}.{arm}")["decimals"])
            out.append(
                Finding(
                    "total",
                    f"{rate.upper()} from the response rows, {arm} arm",
                    pub.where(f"response.{rate}.{arm}"),
                    f"{'PR' if rate == 'orr' else 'PR + SD'} = {count}/{n} = {100 * count / n:.1f}%",
                    f"{v:g}%",
                    "none" if ok else "medium",
                    "The rate follows from the response rows (no complete response printed)."
                    if ok
                    else "The rate does not follow from the response rows.",
                    [f"response.{rate}.{arm}"],
                    not ok,
                )
            )
    return out


def printing_findings(pub: PublishedIndex) -> list[Finding]:
    """A key printed twice (table and text) with different decimals or values."""
    out = []
    for e in pub.entries:
        variant = e.get("variant")
        base = pub.get(e["key"])
        if not variant or base is None or base["value"] is None:
            continue
        if e["value"] is None and e.get("bound"):
            out.append(_bound_printing_finding(pub, e, base))
        elif e["value"] is not None:
            out.append(_second_printing_finding(pub, e, base))
    return out


def _bound_printing_finding(pub: PublishedIndex, e: dict, base: dict) -> Finding:
    """A printed bound ("p > 0.05") against the value the table prints for the same key."""
    ok = bound_holds(float(base["value"]), e["bound"])
    return Finding(
        "printing",
        f"{e['key']}: {e['source']['where']} bound against {base['source']['where']}",
        f"{pub.where(e['key'], e.get('variant'))}",
        f"{base['value']:g} (as in {base['source']['where']})",
        f"p {e['bound']}",
        "none" if ok else "medium",
        "The printed bound holds for the table's value."
        if ok
        else f"The text's bound p {e['bound']} does not hold for the table's {base['value']:g}.",
        [ref(e["key"], e.get("variant"))],
        not ok,
    )


def _second_printing_finding(pub: PublishedIndex, e: dict, base: dict) -> Finding:
    """A second printing of a value against the table's: the same number at another precision,
    truncated instead of rounded, or a different number."""
    variant = e["variant"]
    a, da, b, db = float(base["value"]), int(base["decimals"]), float(e["value"]), int(e["decimals"])
    lo = max(printed_interval(a, da)[0], printed_interval(b, db)[0])
    hi = min(printed_interval(a, da)[1], printed_interval(b, db)[1])
    lo_t = max(printed_interval(a, da)[0], printed_interval(b, db, "truncate")[0])
    hi_t = min(printed_interval(a, da)[1], printed_interval(b, db, "truncate")[1])
    if lo < hi:
        sev, expl, wrong = "none", f"{b:g} and {a:g} are the same number at different precision.", False
    elif lo_t < hi_t:
        sev, expl, wrong = "low", f"{b:g} is {a:g} truncated rather than rounded.", False
    else:
        sev = "high" if e["key"].startswith(("os.", "pfs.")) else "medium"
        expl = (
            f"The paper prints {a:.{da}f} in {base['source']['where']} and {b:.{db}f} in "
            f"{e['source']['where']} for the same quantity; at most one can be right."
        )
        wrong = True
    return Finding(
        "printing",
        f"{e['key']}: {base['source']['where']} vs {e['source']['where']}",
        f"{pub.where(e['key'])}; {pub.where(e['key'], variant)}",
        f"{a:.{da}f} (as in {base['source']['where']})",
        f"{b:.{db}f}",
        sev,
        expl,
        [ref(e["key"], variant), e["key"]] if wrong else [ref(e["key"], variant)],
        wrong,
    )
