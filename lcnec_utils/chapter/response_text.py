"""The response chapter's prose, built from its results keys: the rates, and how far the data separate the arms.

The book runs on any cohort, so nothing here is a typed verdict: each sentence reads the numbers of
:func:`lcnec_utils.tables.response_table` (its ``results()``) and says what they show on the cohort in
force, at the percentages the page prints. A cohort without a ``best_response`` column gets one
sentence that says so, and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lcnec_utils.contract.params import Parameters
from lcnec_utils.contract.schema import RESPONSE_LEVELS
from lcnec_utils.stats.format import ci_label, format_p_clause, format_value

#: The column the chapter reads (the data contract's name).
RESPONSE_COLUMN = "best_response"

#: The rates the chapter reads, by results-key name, as the page names them.
RATE_NAMES = {"orr": "ORR", "dcr": "DCR"}

_ROLES = ("treatment", "reference")


def response_sizes(results: Mapping[str, Any]) -> dict[str, int | None]:
    """Patients with a recorded best response per arm (``treatment``, ``reference``): the sum of the
    arm's ``response.<cat>.n.<arm>`` counts, the rates' denominator; None for both when the cohort has
    no response column (the table records those counts as None then, and as 0 for an arm without a
    recorded response)."""
    sizes: dict[str, int | None] = {}
    for role in _ROLES:
        counts = [results.get(f"response.{cat.lower()}.n.{role}") for cat in RESPONSE_LEVELS]
        sizes[role] = None if any(c is None for c in counts) else int(sum(counts))
    return sizes


def _shown(x: float) -> float:
    """A proportion as the page prints it, in percent to one decimal (the comparisons below read these)."""
    return float(f"{100 * x:.1f}")


def _pct(x: float) -> str:
    return format_value(x, "pct")


def _rate(results: Mapping[str, Any], rate: str, role: str) -> tuple[Any, Any, Any]:
    return tuple(results.get(f"response.{rate}.{s}{role}") for s in ("", "ci_low.", "ci_high."))


def response_rates_sentence(results: Mapping[str, Any], params: Parameters) -> str:
    """The chapter's first reading paragraph: each arm's ORR and DCR with their intervals and Fisher's
    p; where an arm has no recorded response, the other arm's rates alone and why; without the
    ``best_response`` column, one sentence naming it."""
    sizes = response_sizes(results)
    t_label, r_label = params.treatment_group, params.reference_group
    if sizes["treatment"] is None:
        return (
            f"The cohort file has no {RESPONSE_COLUMN} column, so this chapter has no response rates "
            "to compute or compare."
        )
    if not sizes["treatment"] and not sizes["reference"]:
        return (
            f"No patient has a recorded best response (CR, PR, SD, PD or NE in the {RESPONSE_COLUMN} "
            "column), so this chapter has no response rates to compare."
        )
    level = ci_label(params.alpha)

    def with_ci(rate: str, role: str, first: bool = False) -> str:
        value, low, high = _rate(results, rate, role)
        return f"{_pct(value)} ({level + ' ' if first else ''}{format_value((low, high), 'pct_ci')})"

    for empty, other, other_label, empty_label in (
        ("reference", "treatment", t_label, r_label),
        ("treatment", "reference", r_label, t_label),
    ):
        if not sizes[empty]:
            return (
                f"No patient of the {empty_label} arm has a recorded best response, so the arms' rates "
                f"are not compared; with {other_label} the ORR was {with_ci('orr', other, True)} "
                f"and the DCR {with_ci('dcr', other)}."
            )
    return (
        f"The ORR was {with_ci('orr', 'treatment', True)} with {t_label} against "
        f"{with_ci('orr', 'reference')} with {r_label} "
        f"(Fisher {format_p_clause(results.get('response.orr.p'))}); the DCR was "
        f"{with_ci('dcr', 'treatment')} against {with_ci('dcr', 'reference')}, "
        f"{format_p_clause(results.get('response.dcr.p'))}."
    )


def _patients(n: int) -> str:
    return f"{n} patient{'' if n == 1 else 's'}"


def interval_overlap(results: Mapping[str, Any], rate: str, params: Parameters) -> str:
    """Whether the arms' intervals of ``rate`` overlap, read at the printed percentages: where they
    overlap (or meet) and whether each arm's rate lies inside the other arm's interval, or which arm's
    lower limit lies above the other's upper limit."""
    name = RATE_NAMES[rate]
    labels = {"treatment": params.treatment_group, "reference": params.reference_group}
    shown = {role: tuple(_shown(v) for v in _rate(results, rate, role)) for role in _ROLES}
    (t, t_low, t_high), (r, r_low, r_high) = shown["treatment"], shown["reference"]
    low, high = max(t_low, r_low), min(t_high, r_high)
    if low > high:
        up, down = ("treatment", "reference") if t_low > r_low else ("reference", "treatment")
        return (
            f"The two intervals do not overlap: the {labels[up]} arm's lower limit ({shown[up][1]:.1f}%) "
            f"lies above the {labels[down]} arm's upper limit ({shown[down][2]:.1f}%)."
        )
    where = f"meet at {low:.1f}% only" if low == high else f"overlap from {low:.1f}% to {high:.1f}%"
    t_in_r, r_in_t = r_low <= t <= r_high, t_low <= r <= t_high
    if t_in_r and r_in_t:
        inside = f", and each arm's {name} lies inside the other arm's interval"
    elif not t_in_r and not r_in_t:
        inside = f", but neither arm's {name} lies inside the other arm's interval"
    else:
        a, b = ("treatment", "reference") if t_in_r else ("reference", "treatment")
        inside = (
            f"; the {labels[a]} arm's {name} ({shown[a][0]:.1f}%) lies inside the {labels[b]} arm's "
            f"interval, but the {labels[b]} arm's ({shown[b][0]:.1f}%) lies outside the {labels[a]} arm's"
        )
    return f"The two intervals {where}{inside}."


def _side(x: float) -> str:
    s = _shown(x)
    return "zero" if s == 0 else f"{abs(s):.1f} points {'higher' if s > 0 else 'lower'}"


def _difference(results: Mapping[str, Any], rate: str) -> tuple[float, float, float]:
    return tuple(
        results[f"response.{rate}.{s}"] for s in ("difference", "difference_ci_low", "difference_ci_high")
    )


def difference_phrase(results: Mapping[str, Any], rate: str, params: Parameters) -> tuple[str, str]:
    """The difference of ``rate`` between the arms, said from the treatment arm's side in percentage
    points at the printed decimal ("The ORR is 20.6 percentage points higher with ...", "lower",
    "the same in both arms"), and its interval as a span ("from 12.6 points lower to 48.8 points
    higher"; "with <treatment>" added where the first part names no direction)."""
    name, t_label = RATE_NAMES[rate], params.treatment_group
    d, low, high = _difference(results, rate)
    shown = _shown(d)
    if shown == 0:
        head = f"The {name} is the same in both arms"
    else:
        way = "higher" if shown > 0 else "lower"
        head = f"The {name} is {abs(shown):.1f} percentage points {way} with {t_label}"
    span = f"from {_side(low)} to {_side(high)}" + (f" with {t_label}" if shown == 0 else "")
    return head, span


def _holds(low: float, high: float) -> str:
    """Whether an interval of a difference "holds", "excludes" or "reaches" (at a limit) zero, at
    the printed decimal."""
    lo, hi = _shown(low), _shown(high)
    return "holds" if lo < 0 < hi else "excludes" if lo > 0 or hi < 0 else "reaches"


def _what_the_interval_holds(low: float, high: float, name: str, params: Parameters) -> str:
    """What a difference's interval says about no difference, at the printed decimal."""
    lo, hi = _shown(low), _shown(high)
    holds = _holds(low, high)
    if holds == "holds":
        return (
            "The interval holds zero as well as differences in both directions, so these data "
            f"do not tell which arm has the higher {name}."
        )
    if holds == "excludes":
        way, bound = ("higher", lo) if lo > 0 else ("lower", -hi)
        return (
            f"The interval excludes zero: at the {ci_label(params.alpha, 'level')} the "
            f"data are compatible only with a {way} {name} with {params.treatment_group}, by at least "
            f"{bound:.1f} points."
        )
    limit = "lower" if lo == 0 else "upper"
    return (
        f"The interval reaches zero at its {limit} limit: the data are at the edge of excluding no "
        "difference."
    )


def fisher_disagreement(results: Mapping[str, Any], rate: str, alpha: float) -> str | None:
    """A sentence where Fisher's exact test of ``rate`` and the difference's interval read the arms
    differently at ``alpha`` (the interval excludes zero but p >= alpha: Fisher's test keeps its size
    below alpha, Newcombe's interval its coverage only on average; or p < alpha while the interval
    holds zero, as 4 of 30 against 0 of 32 gives); None where they agree,
    or where the interval reaches zero at a printed limit (its own sentence says so)."""
    p = results.get(f"response.{rate}.p")
    _, low, high = _difference(results, rate)
    holds = _holds(low, high)
    if p is None or holds == "reaches" or (p < alpha) == (holds == "excludes"):
        return None
    name = RATE_NAMES[rate]
    if holds == "excludes":
        return (
            f"Fisher's exact test of the {name} ({format_p_clause(p)}) does not reject equal rates at "
            f"alpha = {alpha:g}: near the threshold the two methods can disagree, since Fisher's test "
            "conditions on the margins and keeps its size below alpha (most of all in small arms), while "
            "the interval aims at its level only on average."
        )
    return (
        f"Fisher's exact test of the {name} ({format_p_clause(p)}) rejects equal rates at alpha = "
        f"{alpha:g} although the interval holds zero: near the threshold the two methods can disagree."
    )


def response_reading(results: Mapping[str, Any], params: Parameters) -> str:
    """The chapter's second reading paragraph, on the ORR in full and the DCR's difference: each arm's
    patients with a recorded best response and the width of its interval, how the intervals overlap,
    the difference with its interval and what that interval holds. Empty where the first paragraph
    (:func:`response_rates_sentence`) already says why the arms are not compared."""
    sizes = response_sizes(results)
    if not sizes["treatment"] or not sizes["reference"]:
        return ""
    t_label, r_label, level = params.treatment_group, params.reference_group, ci_label(params.alpha)
    width = {
        role: _shown(results[f"response.orr.ci_high.{role}"]) - _shown(results[f"response.orr.ci_low.{role}"])
        for role in _ROLES
    }
    overlap = interval_overlap(results, "orr", params)
    parts: list[str | None] = [
        f"The ORR rests on {_patients(sizes['treatment'])} with a recorded best response in the {t_label} "
        f"arm and {sizes['reference']} in the {r_label} arm, and its {level}s span "
        f"{width['treatment']:.1f} and {width['reference']:.1f} percentage points.",
        overlap,
    ]
    if not overlap.startswith("The two intervals do not overlap"):
        parts.append(
            "Overlapping intervals are no test of a difference: the interval of the difference itself is "
            "the one to read."
        )
    head, span = difference_phrase(results, "orr", params)
    parts.append(f"{head}; the {level} of the difference (Newcombe's hybrid score interval) runs {span}.")
    _, low, high = _difference(results, "orr")
    parts.append(_what_the_interval_holds(low, high, "ORR", params))
    parts.append(fisher_disagreement(results, "orr", params.alpha))
    head, span = difference_phrase(results, "dcr", params)
    _, low, high = _difference(results, "dcr")
    parts.append(f"{head} ({level} {span}), an interval that {_holds(low, high)} zero.")
    parts.append(fisher_disagreement(results, "dcr", params.alpha))
    parts.append(
        "Whatever its size, a difference in response is not by itself evidence of longer survival: the "
        "next chapter compares survival itself."
    )
    return " ".join(part for part in parts if part)


def response_glue(results: Mapping[str, Any], params: Parameters) -> dict[str, tuple]:
    """The reading section's two paragraphs as glue (name: (text, format)): ``response_rates``
    (:func:`response_rates_sentence`) and ``response_reading`` (:func:`response_reading`)."""
    return {
        "response_rates": (response_rates_sentence(results, params), "{}"),
        "response_reading": (response_reading(results, params), "{}"),
    }
