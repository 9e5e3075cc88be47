"""Power and sample size for a two-arm comparison of survival by the log-rank test.

* :func:`schoenfeld_events`: events needed, Schoenfeld (1983):
  d = (z_{1-α/2} + z_{1-β})² / (p(1-p) · log(HR)²), p the share allocated
  to the treatment arm (14/31 here);
* :func:`schoenfeld_power`: the same formula solved for power at a given
  number of events;
* :func:`patients_needed`: events divided by the probability that a patient
  has the event during the study;
* :func:`simulate_logrank_power`: Monte Carlo power of the two-sided
  log-rank test under exponential survival, uniform accrual and
  administrative censoring, vectorised over replicates (:func:`logrank_z`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from lcnec_utils.stats.normal import z_two_sided


def schoenfeld_events(hr: float, power: float = 0.8, alpha: float = 0.05, allocation: float = 0.5) -> float:
    """Events needed to detect ``hr`` with a two-sided level-``alpha`` log-rank test (unrounded).

    Schoenfeld (1983): d = (z_{1-α/2} + z_{power})² / (p (1 - p) (log HR)²) with
    ``allocation`` = p, the share of patients in the treatment arm. Round up
    (:func:`required_events`) to plan a study.
    """
    if not 0 < allocation < 1:
        raise ValueError("allocation must lie in (0, 1)")
    if hr <= 0 or hr == 1:
        raise ValueError("hr must be positive and different from 1")
    z = z_two_sided(alpha) + stats.norm.ppf(power)
    return float(z**2 / (allocation * (1 - allocation) * math.log(hr) ** 2))


def required_events(hr: float, power: float = 0.8, alpha: float = 0.05, allocation: float = 0.5) -> int:
    """:func:`schoenfeld_events` rounded up to a whole event."""
    return int(math.ceil(schoenfeld_events(hr, power, alpha, allocation) - 1e-9))


def schoenfeld_power(events: float, hr: float, alpha: float = 0.05, allocation: float = 0.5) -> float:
    """Power of the two-sided log-rank test with ``events`` events (Schoenfeld 1983, inverted).

    Φ(√(d p (1-p)) · |log HR| - z_{1-α/2}); the far tail is ignored, as in the formula.
    """
    z = math.sqrt(events * allocation * (1 - allocation)) * abs(math.log(hr)) - z_two_sided(alpha)
    return float(stats.norm.cdf(z))


def patients_needed(events: int, event_probability: float) -> int:
    """Patients to enrol so that ``events`` are expected: ceil(d / P(event))."""
    if not 0 < event_probability <= 1:
        raise ValueError("event_probability must lie in (0, 1]")
    return int(math.ceil(events / event_probability - 1e-9))


def logrank_z(time: np.ndarray, event: np.ndarray, treatment: np.ndarray) -> np.ndarray:
    """Log-rank z statistics, one per row of (R, n) arrays (observed minus expected in the treatment arm).

    z = Σ_events (a_i - Y₁/Y) / sqrt(Σ_events Y₁Y₀/Y²), Y the numbers at risk
    just before each event time. Assumes no tied times (continuous simulated
    times); with ties it is the version that breaks them in sorted order.
    z² is the chi-square statistic of lifelines ``logrank_test`` and R
    ``survdiff`` when times are distinct. Negative z: fewer treatment-arm
    events than expected.
    """
    t = np.atleast_2d(np.asarray(time, dtype=float))
    order = np.argsort(t, axis=1, kind="stable")
    e = np.take_along_axis(np.atleast_2d(event).astype(float), order, axis=1)
    a = np.take_along_axis(np.atleast_2d(treatment).astype(float) * np.ones_like(t), order, axis=1)
    n = t.shape[1]
    at_risk = n - np.arange(n)  # Y just before the i-th smallest time
    at_risk_1 = np.flip(np.cumsum(np.flip(a, axis=1), axis=1), axis=1)
    frac = at_risk_1 / at_risk
    o_minus_e = (e * (a - frac)).sum(axis=1)
    var = (e * frac * (1 - frac)).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(var > 0, o_minus_e / np.sqrt(var), 0.0)


@dataclass(frozen=True)
class SimulatedPower:
    power: float
    mc_se: float  # Monte Carlo standard error of the power
    mean_events: float
    hr: float  # the true hazard ratio simulated
    n_treatment: int
    n_reference: int
    n_sim: int
    seed: int


#: Large trials (issue 8): at most MAX_CELLS patient-replicates in all (at least
#: MIN_LARGE_SIMS replicates), simulated CHUNK_CELLS at a time. A 31-patient
#: design (4,000 x 31) is far below both and runs as one batch as before.
MAX_CELLS = 10_000_000
MIN_LARGE_SIMS = 100
CHUNK_CELLS = 2_000_000


def simulate_logrank_power(
    n_treatment: int,
    n_reference: int,
    median_treatment: float,
    median_reference: float,
    accrual_months: float,
    followup_months: float = 0.0,
    alpha: float = 0.05,
    n_sim: int = 4000,
    seed: int = 0,
) -> SimulatedPower:
    """Monte Carlo power of the two-sided log-rank test for a two-arm design.

    Survival times are exponential with the given medians (rate log 2 /
    median), entry is uniform over ``accrual_months``, and every patient is
    censored at the analysis, ``accrual_months + followup_months`` after the
    first entry; no other loss to follow-up. The test rejects when
    |z| > z_{1-α/2}. ``numpy.random.default_rng(seed)``; all replicates at
    once (a few hundred ms for 4,000 replicates of 31 patients).
    """
    rng = np.random.default_rng(seed)
    n = n_treatment + n_reference
    arm = np.r_[np.ones(n_treatment), np.zeros(n_reference)]
    rate = np.where(arm == 1, math.log(2) / median_treatment, math.log(2) / median_reference)
    if n_sim * n > MAX_CELLS:  # large trials: fewer replicates, in chunks (bounded memory)
        n_sim = min(n_sim, max(MIN_LARGE_SIMS, MAX_CELLS // n))
    rejected, events = 0, 0.0
    chunk = max(1, CHUNK_CELLS // n)
    for lo in range(0, n_sim, chunk):
        k = min(chunk, n_sim - lo)
        t_event = rng.exponential(1.0, size=(k, n)) / rate
        entry = rng.uniform(0.0, accrual_months, size=(k, n))
        censor = accrual_months + followup_months - entry
        time = np.minimum(t_event, censor)
        event = (t_event <= censor).astype(float)
        z = logrank_z(time, event, np.broadcast_to(arm, (k, n)))
        rejected += int((np.abs(z) > z_two_sided(alpha)).sum())
        events += float(event.sum())
    pw = rejected / n_sim
    return SimulatedPower(
        pw,
        math.sqrt(pw * (1 - pw) / n_sim),
        events / n_sim,
        median_reference / median_treatment,
        n_treatment,
        n_reference,
        n_sim,
        seed,
    )


def power_curve(
    totals,
    hr: float,
    median_reference: float,
    allocation: float,
    accrual_months: float,
    followup_months: float = 0.0,
    alpha: float = 0.05,
    n_sim: int = 2000,
    seed: int = 0,
) -> list[SimulatedPower]:
    """:func:`simulate_logrank_power` over total sample sizes at a fixed HR and allocation."""
    out = []
    for i, total in enumerate(totals):
        n1 = int(round(total * allocation))
        out.append(
            simulate_logrank_power(
                n1,
                int(total) - n1,
                median_reference / hr,
                median_reference,
                accrual_months,
                followup_months,
                alpha,
                n_sim,
                seed + i,
            )
        )
    return out
