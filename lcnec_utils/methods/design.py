"""Planning a study from outside its data: the design hazard ratio, Freedman's and Schoenfeld's formulas,
the event probability from accrual and follow-up, and why "observed power" adds nothing to a p-value.

* :func:`external_trials`: the first-line chemo-immunotherapy trials in
  extensive-stage small-cell lung cancer whose hazard ratios and control
  medians serve as design values (IMpower133, Horn et al. 2018; CASPIAN, Paz-Ares et
  al. 2019), read from ``data/external_trials.yaml`` with their
  progression-free-survival hazard ratios and medians (chapter 14's design for
  that endpoint, chapter 19's priors); :meth:`ExternalTrial.endpoint` gives one
  endpoint's values;
* :func:`freedman_events`, :func:`freedman_power`: Freedman (1982), on the
  hazard-ratio scale, beside Schoenfeld's (1983) log-hazard-ratio formula of
  :mod:`lcnec_utils.methods.power`;
* :func:`event_probability`: the share of patients expected to have the event
  by the analysis under exponential survival, uniform accrual and a fixed
  follow-up after the last entry;
* :func:`observed_power`: the power "at the observed effect", a function of the
  two-sided p-value alone (Hoenig & Heisey 2001);

The table that puts them together is :func:`lcnec_utils.methods.power.design_table`.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path

import yaml
from scipy import stats

from lcnec_utils.contract.params import DATA_DIR
from lcnec_utils.stats.normal import z_two_sided


@dataclass(frozen=True)
class ExternalTrial:
    """A randomised trial's survival results used as design values."""

    name: str
    citation: str  # key in book/references.bib
    hr: float  # overall survival, experimental vs control
    ci_low: float
    ci_high: float
    pfs_hr: float  # progression-free survival, experimental vs control
    pfs_ci_low: float
    pfs_ci_high: float
    median_control: float  # overall survival, months
    median_experimental: float  # overall survival, months
    pfs_median_control: float  # progression-free survival, months
    pfs_median_experimental: float  # progression-free survival, months

    def endpoint(self, endpoint: str) -> EndpointResult:
        """The trial's result for ``endpoint`` (``"os"`` or ``"pfs"``): HR, 95% CI and medians."""
        if endpoint not in ENDPOINT_FIELDS:
            raise ValueError(f"endpoint must be one of {sorted(ENDPOINT_FIELDS)}, got {endpoint!r}")
        return EndpointResult(endpoint, *(getattr(self, f) for f in ENDPOINT_FIELDS[endpoint]))


@dataclass(frozen=True)
class EndpointResult:
    """One endpoint of an :class:`ExternalTrial`: the design values a study of that endpoint plans with."""

    endpoint: str  # "os" or "pfs"
    hr: float  # experimental vs control
    ci_low: float
    ci_high: float
    median_control: float  # months
    median_experimental: float  # months


#: The fields of :class:`ExternalTrial` that hold each endpoint's HR, 95% CI and medians
#: (control, experimental), in the order of :class:`EndpointResult`.
ENDPOINT_FIELDS = {
    "os": ("hr", "ci_low", "ci_high", "median_control", "median_experimental"),
    "pfs": ("pfs_hr", "pfs_ci_low", "pfs_ci_high", "pfs_median_control", "pfs_median_experimental"),
}


EXTERNAL_TRIALS_PATH = DATA_DIR / "external_trials.yaml"


def external_trials(path: Path = EXTERNAL_TRIALS_PATH) -> tuple[dict[str, ExternalTrial], str]:
    """The trials of ``data/external_trials.yaml`` by name, and the name of the one that sets the design.

    Overall and progression-free survival in the first-line chemo-immunotherapy trials of
    extensive-stage SCLC, as published: IMpower133 (atezolizumab + carboplatin-etoposide; Horn et al. 2018) and CASPIAN
    (durvalumab + platinum-etoposide, planned interim analysis; Paz-Ares et al. 2019).
    """
    raw = yaml.safe_load(Path(path).read_text())
    fields = [f.name for f in dataclasses.fields(ExternalTrial)]
    trials = {t["name"]: ExternalTrial(**{k: t[k] for k in fields}) for t in raw["trials"]}
    if raw["design_trial"] not in trials:
        raise ValueError(f"design_trial {raw['design_trial']!r} is not among the trials")
    return trials, raw["design_trial"]


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
