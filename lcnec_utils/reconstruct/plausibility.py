"""Limits a real cohort of this size rarely breaks, checked on a cohort: heaps and pairs of tied events, curves that drop to 0,
arm-only tests that disagree, PFS without deaths, follow-up beyond the calendar.

The limits are data (``plausibility`` and ``calendar`` of ``data/reconstruction_targets.yaml``,
:data:`~lcnec_utils.reconstruct.settings.PLAUSIBILITY`); the searches hold them as hard
constraints (:func:`lcnec_utils.reconstruct.annealing.arm_constraints_hold`) or bounds, and
:func:`plausibility_checks` measures them with plain numpy on the cohort a search returned
(tests run it on the committed cohort and every ensemble member). The reasons behind each limit:
docs/reconstruction.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from lcnec_utils.reconstruct.fastsurv import arm_only_p_gap
from lcnec_utils.reconstruct.settings import CALENDAR, PLAUSIBILITY, TREATMENT

CHECK_COLUMNS = ["check", "arm", "endpoint", "value", "bound", "ok"]

#: The name of the arm-only p-value gap's check in :func:`plausibility_checks`.
P_GAP_CHECK = "arm-only p gap (log-rank, Wald, score)"

#: The name of the check on the number of times shared by two or more events.
TIED_TIMES_CHECK = "event times shared by two or more events"


def _events_per_time(t, e) -> np.ndarray:
    """How many events share each event time (times compared at 0.1 month, the cohort's grid)."""
    times = np.round(np.asarray(t, float), 1)[np.asarray(e, int) == 1]
    return np.unique(times, return_counts=True)[1]


def most_tied_events(t, e) -> int:
    """The largest number of events at one time (times compared at 0.1 month, the cohort's grid)."""
    counts = _events_per_time(t, e)
    return int(counts.max()) if counts.size else 0


def tied_event_times(t, e) -> int:
    """How many event times are shared by two or more events (times compared at 0.1 month)."""
    return int((_events_per_time(t, e) >= 2).sum())


def curve_reaches_zero(t, e) -> bool:
    """Whether the Kaplan-Meier curve reaches 0: the longest time is an event (no censoring at or
    after it)."""
    t = np.round(np.asarray(t, float), 1)
    e = np.asarray(e, int)
    last = t.max()
    return bool(not np.any((t == last) & (e == 0)) and np.any((t == last) & (e == 1)))


def deaths_without_progression(pfs, pfs_e, os_, os_e) -> tuple[int, int]:
    """(deaths without progression, PFS events): a PFS event at the time of the death is a death
    without a recorded progression."""
    pfs, os_ = np.round(np.asarray(pfs, float), 1), np.round(np.asarray(os_, float), 1)
    pfs_e, os_e = np.asarray(pfs_e, int), np.asarray(os_e, int)
    dwp = (pfs_e == 1) & (os_e == 1) & (pfs == os_)
    return int(dwp.sum()), int(pfs_e.sum())


def _endpoint_checks(arm: str, ep: str, t, e) -> list[dict[str, Any]]:
    zero_allowed = bool(PLAUSIBILITY["curves_reach_zero"][ep])
    tied = most_tied_events(t, e)
    shared = tied_event_times(t, e)
    limit = int(PLAUSIBILITY["max_tied_times"]["per_arm"])
    zero = curve_reaches_zero(t, e)
    return [
        _check(
            "events tied at one time",
            arm,
            ep,
            tied,
            PLAUSIBILITY["max_tied_events"],
            tied <= PLAUSIBILITY["max_tied_events"],
        ),
        _check(TIED_TIMES_CHECK, arm, ep, shared, limit, shared <= limit),
        _check("curve reaches 0", arm, ep, zero, zero_allowed, zero_allowed or not zero),
    ]


def _check(check: str, arm: str, ep: str, value, bound, ok: bool) -> dict[str, Any]:
    return {"check": check, "arm": arm, "endpoint": ep, "value": value, "bound": bound, "ok": bool(ok)}


def _dwp_check(arm: str, f: pd.DataFrame) -> dict[str, Any]:
    """Deaths without progression of one arm against their fewest and largest share."""
    limits = PLAUSIBILITY["deaths_without_progression"]
    k, events = deaths_without_progression(f["pfs_months"], f["pfs_event"], f["os_months"], f["os_event"])
    share = k / events if events else 0.0
    ok = k >= int(limits["min_per_arm"]) and share <= float(limits["max_share"]) + 1e-12
    bound = f">= {limits['min_per_arm']}, share <= {limits['max_share']}"
    return _check("deaths without progression", arm, "pfs", f"{k} of {events} ({share:.0%})", bound, ok)


def calendar_checks(cohort: pd.DataFrame, calendar: Mapping[str, Any] = CALENDAR) -> list[dict[str, Any]]:
    """The calendar behind the times (if the cohort has ``start_date``): every start within the
    accrual window; no follow-up past the cut-off; every censoring at the cut-off (to the day)
    unless the patient is a documented loss to follow-up (``censor_reason``)."""
    if "start_date" not in cohort:
        return []
    start = pd.to_datetime(cohort["start_date"])
    cutoff = pd.Timestamp(calendar["cutoff"])
    days = float(calendar["days_per_month"])
    end = start + pd.to_timedelta(np.round(cohort["os_months"].to_numpy(float) * days), unit="D")
    inside = start.between(pd.Timestamp(calendar["accrual_start"]), pd.Timestamp(calendar["accrual_end"]))
    late = int((end - cutoff).dt.days.max())
    censored = cohort["os_event"] == 0
    lost = cohort.get("censor_reason", pd.Series("", index=cohort.index)).eq("lost to follow-up")
    off = (end - cutoff).dt.days.abs()[censored & ~lost]
    return [
        _check("start within accrual", "all", "os", int((~inside).sum()), 0, inside.all()),
        _check("days of follow-up past the cut-off", "all", "os", max(late, 0), 0, late <= 1),
        _check(
            "censorings off the cut-off (days)",
            "all",
            "os",
            int(off.max()) if off.size else 0,
            1,
            off.max() <= 1 if off.size else True,
        ),
    ]


def plausibility_checks(cohort: pd.DataFrame, treatment: str = TREATMENT) -> pd.DataFrame:
    """Every plausibility limit measured on ``cohort`` (one row per check: ``check``, ``arm``,
    ``endpoint``, ``value``, ``bound``, ``ok``): per arm and endpoint the most events tied at
    one time, the times shared by two or more events and whether the curve reaches 0, per arm the
    deaths without progression, per endpoint the same two tie counts in both arms together and
    the largest gap between the arm-only log-rank, Cox Wald and Cox score p-values
    (:func:`~lcnec_utils.reconstruct.fastsurv.arm_only_p_gap`, Efron ties), and the calendar
    (:func:`calendar_checks`)."""
    rows = []
    g = (cohort["group"] == treatment).to_numpy(float)
    for arm, f in (("treatment", cohort[g == 1]), ("reference", cohort[g == 0])):
        for ep in ("pfs", "os"):
            rows += _endpoint_checks(arm, ep, f[f"{ep}_months"], f[f"{ep}_event"])
        rows.append(_dwp_check(arm, f))
    bound = float(PLAUSIBILITY["arm_only_p_gap"])
    most = int(PLAUSIBILITY["max_tied_events"])
    limit = int(PLAUSIBILITY["max_tied_times"]["both_arms"])
    for ep in ("pfs", "os"):
        tied = most_tied_events(cohort[f"{ep}_months"], cohort[f"{ep}_event"])
        rows.append(_check("events tied at one time", "both", ep, tied, most, tied <= most))
        shared = tied_event_times(cohort[f"{ep}_months"], cohort[f"{ep}_event"])
        rows.append(_check(TIED_TIMES_CHECK, "both", ep, shared, limit, shared <= limit))
        gap = arm_only_p_gap(cohort[f"{ep}_months"], cohort[f"{ep}_event"], g)
        rows.append(
            _check("arm-only p gap (log-rank, Wald, score)", "both", ep, round(gap, 4), bound, gap <= bound)
        )
    rows += calendar_checks(cohort)
    return pd.DataFrame(rows, columns=CHECK_COLUMNS)


def p_gaps(checks: pd.DataFrame) -> dict[str, float]:
    """The arm-only p-value gap of each endpoint from a :func:`plausibility_checks` table."""
    rows = checks[checks["check"] == P_GAP_CHECK]
    return {ep: float(v) for ep, v in zip(rows["endpoint"], rows["value"])}
