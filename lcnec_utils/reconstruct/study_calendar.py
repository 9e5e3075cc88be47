"""The study calendar behind the synthetic times: a treatment start date per patient.

Section 2.1 and 2.3 of the paper: patients started first-line treatment between January 2019 and
December 2024, and were followed to 31 December 2024. So a patient censored at the cut-off
started exactly their follow-up before it (start = cut-off - OS time), and a patient who died
started early enough for the death to fall before the cut-off: a start drawn uniformly (accrual at
a steady rate) between the start of accrual and the cut-off less the OS time. No patient is lost
to follow-up unless ``calendar.losses_to_follow_up`` says so (``data/reconstruction_targets.yaml``);
the reverse Kaplan-Meier median follow-up depends on the times alone, so the dates leave it as the
search set it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from lcnec_utils.reconstruct.settings import CALENDAR

#: The optional columns the calendar adds to the cohort file (data/data_dictionary.yaml, ``extra_columns``).
CALENDAR_COLUMNS = ("start_date", "censor_reason")


def start_dates(rng, os_months, os_event, calendar: Mapping[str, Any] = CALENDAR) -> pd.DataFrame:
    """A treatment start date and censoring reason per patient (``start_date`` as ISO text,
    ``censor_reason``: "cut-off" for a censoring, empty for a death). Days per month:
    ``calendar["days_per_month"]`` (30.4375); times rounded to whole days. Raises if an OS time
    is longer than the window from the start of accrual to the cut-off."""
    os_months = np.asarray(os_months, float)
    os_event = np.asarray(os_event, int)
    cutoff = pd.Timestamp(calendar["cutoff"])
    first = pd.Timestamp(calendar["accrual_start"])
    last = min(pd.Timestamp(calendar["accrual_end"]), cutoff)
    days = np.round(os_months * float(calendar["days_per_month"])).astype(int)
    room = (cutoff - first).days
    if np.any(days > room):
        raise ValueError(
            f"an OS time is longer than the {room} days from the start of accrual to the cut-off"
        )
    start = []
    for d, died in zip(days, os_event):
        latest = min((cutoff - first).days - d, (last - first).days)
        offset = int(rng.integers(0, latest + 1)) if died else (cutoff - first).days - d
        start.append((first + pd.Timedelta(days=offset)).date().isoformat())
    reason = np.where(os_event == 1, "", "cut-off")
    return pd.DataFrame({"start_date": start, "censor_reason": reason})


def calendar_stream(seed: int) -> np.random.Generator:
    """The random stream of the start dates: its own, seeded from the cohort's seed, so that the
    dates can change without moving any other draw of the reconstruction."""
    return np.random.default_rng([seed, 0xCA1])
