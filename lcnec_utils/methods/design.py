"""Planning a study from outside its data: the design hazard ratio, Freedman's and Schoenfeld's formulas,
the event probability from accrual and follow-up, and why "observed power" adds nothing to a p-value.

* :data:`EXTERNAL_TRIALS`: the first-line chemo-immunotherapy trials in
  extensive-stage small-cell lung cancer whose overall-survival hazard ratios
  serve as design values (IMpower133, Horn et al. 2018; CASPIAN, Paz-Ares et
  al. 2019);
* :func:`freedman_events`, :func:`freedman_power`: Freedman (1982), on the
  hazard-ratio scale, beside Schoenfeld's (1983) log-hazard-ratio formula of
  :mod:`lcnec_utils.methods.power`;
* :func:`event_probability`: the share of patients expected to have the event
  by the analysis under exponential survival, uniform accrual and a fixed
  follow-up after the last entry;
* :func:`observed_power`: the power "at the observed effect", a function of the
  two-sided p-value alone (Hoenig & Heisey 2001);
* :func:`design_table`: events and patients for each design hazard ratio by both
  formulas, and the power 31 patients had.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
from scipy import stats

from lcnec_utils.stats.normal import z_two_sided


@dataclass(frozen=True)
class ExternalTrial:
    """A randomised trial's overall-survival result used as a design value."""

    name: str
    citation: str  # key in book/references.bib
    hr: float  # overall survival, experimental vs control
    ci_low: float
    ci_high: float
    median_control: float  # months
    median_experimental: float  # months


#: Overall survival in the two first-line chemo-immunotherapy trials of extensive-stage SCLC, as published:
#: IMpower133 (atezolizumab + carboplatin-etoposide; Horn et al. 2018) and CASPIAN (durvalumab +
#: platinum-etoposide, planned interim analysis; Paz-Ares et al. 2019).
EXTERNAL_TRIALS = {
    "IMpower133": ExternalTrial("IMpower133", "horn2018", 0.70, 0.54, 0.91, 10.3, 12.3),
    "CASPIAN": ExternalTrial("CASPIAN", "pazares2019", 0.73, 0.59, 0.91, 10.3, 13.0),
}

#: The trial whose hazard ratio is the chapter's design value.
DESIGN_TRIAL = "IMpower133"


def _ratio(allocation: float) -> float:
    """k = n_treatment / n_reference from the treatment arm's share ``allocation``."""
    if not 0 < allocation < 1:
        raise ValueError("allocation must lie in (0, 1)")
    return allocation / (1 - allocation)


def freedman_events(hr: float, power: float = 0.8, alpha: float = 0.05, allocation: float = 0.5) -> float:
    """Events for a two-sided level-``alpha`` log-rank test to detect ``hr`` (Freedman 1982), unrounded.

    d = (z_{1-α/2} + z_{power})² (1 + k·HR)² / (k (1 − HR)²), k = n_treatment / n_reference
    (``allocation`` is the treatment arm's share); with k = 1, (z + z)² (1 + HR)² / (1 − HR)².
    The formula of Stata's ``power logrank`` by default (its ``schoenfeld`` option gives
    :func:`lcnec_utils.methods.power.schoenfeld_events`).
    """
    if hr <= 0 or hr == 1:
        raise ValueError("hr must be positive and different from 1")
    k = _ratio(allocation)
    z = z_two_sided(alpha) + stats.norm.ppf(power)
    return float(z**2 * (1 + k * hr) ** 2 / (k * (1 - hr) ** 2))


def freedman_power(events: float, hr: float, alpha: float = 0.05, allocation: float = 0.5) -> float:
    """Power of the two-sided log-rank test with ``events`` events by Freedman's formula, inverted:
    Φ(√(k d) |1 − HR| / (1 + k·HR) − z_{1-α/2}) (the far tail ignored)."""
    k = _ratio(allocation)
    z = math.sqrt(k * events) * abs(1 - hr) / (1 + k * hr) - z_two_sided(alpha)
    return float(stats.norm.cdf(z))


def arm_event_probability(rate: float, accrual: float, followup: float) -> float:
    """P(event by the analysis) for one patient with exponential time (``rate`` per month), entry uniform
    over ``accrual`` months and the analysis ``followup`` months after the last entry:
    1 − [e^{−λF} − e^{−λ(A+F)}] / (λA); with no accrual period, 1 − e^{−λF}."""
    if rate <= 0:
        raise ValueError("rate must be positive")
    if accrual <= 0:
        return float(1 - math.exp(-rate * followup))
    return float(1 - (math.exp(-rate * followup) - math.exp(-rate * (accrual + followup))) / (rate * accrual))


def event_probability(
    median_reference: float, hr: float, accrual: float, followup: float = 0.0, allocation: float = 0.5
) -> float:
    """Share of all patients with the event by the analysis: the arms' :func:`arm_event_probability`
    weighted by their shares, the reference arm exponential with ``median_reference`` (λ = log 2 /
    median) and the treatment arm with hazard ``hr`` times it."""
    rate = math.log(2) / median_reference
    p_ref = arm_event_probability(rate, accrual, followup)
    p_trt = arm_event_probability(hr * rate, accrual, followup)
    return float(allocation * p_trt + (1 - allocation) * p_ref)


def observed_power(p_value: float, alpha: float = 0.05) -> float:
    """The power of a two-sided z-test at the effect it observed, from its own p-value:
    Φ(|z| − z_{1-α/2}) + Φ(−|z| − z_{1-α/2}) with |z| = Φ⁻¹(1 − p/2).

    A one-to-one function of p (Hoenig & Heisey 2001): p = α gives about 50%
    whatever the study; it says nothing the p-value does not.
    """
    if not 0 < p_value <= 1:
        raise ValueError("p_value must lie in (0, 1]")
    z = stats.norm.isf(p_value / 2)
    c = z_two_sided(alpha)
    return float(stats.norm.cdf(z - c) + stats.norm.cdf(-z - c))


def design_table(
    allocation: float,
    alpha: float,
    accrual: float,
    followup: float,
    n_total: int,
    hrs: dict[str, tuple[float, float]],
) -> pd.DataFrame:
    """Per design hazard ratio: events for 80% and 90% power by Schoenfeld's and Freedman's formulas,
    the event probability, the patients needed, and the power ``n_total`` patients give.

    ``hrs`` maps a label to (hazard ratio, reference-arm median in months). Columns design, hr,
    schoenfeld_80, freedman_80, schoenfeld_90, freedman_90 (events, rounded up), event_probability,
    patients_80 (Schoenfeld's events / probability, rounded up), expected_events (``n_total`` ×
    probability), power_schoenfeld, power_freedman (at the expected events).
    """
    from lcnec_utils.methods.power import patients_needed, schoenfeld_events, schoenfeld_power

    rows = []
    for label, (hr, median_reference) in hrs.items():
        prob = event_probability(median_reference, hr, accrual, followup, allocation)
        expected = n_total * prob
        row = {"design": label, "hr": hr, "median_reference": median_reference}
        for level in (80, 90):
            row[f"schoenfeld_{level}"] = math.ceil(
                schoenfeld_events(hr, level / 100, alpha, allocation) - 1e-9
            )
            row[f"freedman_{level}"] = math.ceil(freedman_events(hr, level / 100, alpha, allocation) - 1e-9)
        row["event_probability"] = prob
        row["patients_80"] = patients_needed(row["schoenfeld_80"], prob)
        row["expected_events"] = expected
        row["power_schoenfeld"] = schoenfeld_power(expected, hr, alpha, allocation)
        row["power_freedman"] = freedman_power(expected, hr, alpha, allocation)
        rows.append(row)
    return pd.DataFrame(rows)


def format_design_table(table: pd.DataFrame) -> pd.DataFrame:
    """Text version of :func:`design_table` for the page."""
    return pd.DataFrame(
        {
            "Design hazard ratio": [f"{d}: {h:.2f}" for d, h in zip(table["design"], table["hr"])],
            "Events, 80% power (Schoenfeld / Freedman)": [
                f"{s} / {f}" for s, f in zip(table["schoenfeld_80"], table["freedman_80"])
            ],
            "Events, 90% power (Schoenfeld / Freedman)": [
                f"{s} / {f}" for s, f in zip(table["schoenfeld_90"], table["freedman_90"])
            ],
            "P(event) by the analysis": table["event_probability"].map("{:.1%}".format),
            "Patients, 80% power": table["patients_80"],
            "Power of this study (Schoenfeld / Freedman)": [
                f"{a:.0%} / {b:.0%}" for a, b in zip(table["power_schoenfeld"], table["power_freedman"])
            ],
        }
    )
