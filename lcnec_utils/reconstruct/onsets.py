"""Synthetic onset times of the adverse events (``onset_months``), for the competing-risks chapter.

The paper gives no onset times. Each event gets one drawn uniformly from the window in which
that kind of immune-related adverse event usually starts after the first ICI dose, as
reviews summarise the literature (Martins et al. 2019; pooled trial data in Tang et al. 2021):

* hypothyroidism (thyroiditis): weeks 6 to 12;
* hepatitis: weeks 4 to 12;
* interstitial lung disease (pneumonitis): weeks 2 to 24;
* any other term: weeks 2 to 24, the widest of the three.

Months are weeks × 7 / 30.4375, rounded to 0.1 month as the cohort's times are; an onset is
at least 0.1 and never after the patient's ``os_months`` (it is capped there). The draws come
from a generator of their own, seeded from the reconstruction's seed and :data:`ONSET_STREAM`,
so that adding onsets leaves every other draw of the reconstruction, and thus the committed
cohort, as it was. The onsets are synthetic: they carry no information about any patient.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Onset window in weeks after the first ICI dose, by adverse-event term.
ONSET_WEEKS = {
    "Hypothyroidism": (6.0, 12.0),
    "Hepatitis": (4.0, 12.0),
    "Interstitial lung disease": (2.0, 24.0),
}
#: The window of a term not listed in :data:`ONSET_WEEKS`.
OTHER_WEEKS = (2.0, 24.0)
#: Second entropy word of the onsets' generator (the first is the reconstruction's seed).
ONSET_STREAM = 170518
DAYS_PER_MONTH = 30.4375


def synthetic_onsets(adverse_events: pd.DataFrame, cohort: pd.DataFrame, seed: int) -> pd.DataFrame:
    """``adverse_events`` with an ``onset_months`` column drawn as the module docstring says, one
    draw per row in the table's order from ``numpy.random.default_rng([seed, ONSET_STREAM])``."""
    rng = np.random.default_rng([int(seed), ONSET_STREAM])
    windows = np.array([ONSET_WEEKS.get(term, OTHER_WEEKS) for term in adverse_events["term"]], float)
    weeks = rng.uniform(windows[:, 0], windows[:, 1]) if len(windows) else np.array([])
    months = np.round(weeks * 7 / DAYS_PER_MONTH, 1)
    os_months = adverse_events["patient_id"].map(cohort.set_index("patient_id")["os_months"])
    out = adverse_events.copy()
    out["onset_months"] = np.minimum(np.maximum(months, 0.1), os_months.to_numpy(float))
    return out
