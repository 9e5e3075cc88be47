"""The study design the reconstruction follows, as constants.

* the arms and their labels in the cohort file, the committed files and their seed;
* the time grid and limits: months with one decimal, the 12-month landmark, the axes of the
  paper's survival figures, the realism targets of the survival search;
* the columns it fills and their units: binary columns, laboratory grids and decimals, the
  labels of the irAE terms, ICI classes and chemotherapy regimens;
* from ``data/reconstruction_targets.yaml`` (what is specific to this paper and this
  reconstruction's reading of it): the tolerances of the soft targets, how Table 4's covariate
  terms are targeted, the plausibility limits of the survival times and the study calendar.

The column names and their order are the data contract's (:mod:`lcnec_utils.contract.schema`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from lcnec_utils.contract.params import DATA_DIR

#: The reconstruction's own targets, tolerances, plausibility limits and calendar.
TARGETS_FILE = DATA_DIR / "reconstruction_targets.yaml"


def load_reconstruction_targets(path: str | Path = TARGETS_FILE) -> dict[str, Any]:
    """``data/reconstruction_targets.yaml`` as a mapping (tolerances, table4, plausibility, calendar)."""
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))


_SPEC = load_reconstruction_targets()

#: The committed cohort's seed: the first seed from SCAN_START whose cohort misses no target outside
#: Table 4's covariate terms but, at most, a CI bound of a Cox arm term, and keeps Table 4's
#: conclusions (the priority rule of
#: ``data/reconstruction_targets.yaml``: HR, then p, then the CI; under the plausibility limits no
#: scanned seed has met the OS upper bound together with the OS HR, docs/OPEN-TARGETS.md) (``lcnec synth --scan``,
#: ``data/lcnec_seed_scan.csv``; a test checks both).
DEFAULT_SEED = 20250103

#: The committed cohort and adverse-event files (in ``data/``).
COHORT_FILE = "lcnec_synthetic_cohort.csv"
AE_FILE = "lcnec_synthetic_adverse_events.csv"

#: The arms' labels in the ``group`` column: the treatment arm (ICIs + chemotherapy) and the
#: reference arm (chemotherapy alone).
TREATMENT = "ICIs + Chemo"
REFERENCE = "Chemo"

#: The arms' roles, in the order every per-arm structure uses (results keys end in them).
ROLES = ("treatment", "reference")

#: The landmark of the 12-month Kaplan-Meier rates (months).
LANDMARK = 12.0

#: Times are months with one decimal (held as integer tenths in the search). Axis ends of the
#: paper's Figures 2 (PFS, 40 months) and 3 (OS, 50 months): no longer times (and well inside
#: the study window, January 2019 to the last follow-up on 31 December 2024).
MAX_PFS, MAX_OS = 40.0, 50.0

#: The longest observed times the search aims at (within the axes above).
LONGEST_PFS, LONGEST_OS = 30.0, 40.0

#: The first event of each arm comes within these months (PFS, OS).
FIRST_EVENT = {"pfs": 3.0, "os": 6.0}

#: Shortest PFS: progression is first seen at about one month (clinical or radiological).
MIN_PFS = 1.0

#: Table 2's binary columns, each a placement of the printed count of 1s per arm.
BINARY_COLUMNS = [
    "smoking",
    "met_bone",
    "met_liver",
    "met_brain",
    "met_adrenal",
    "met_pleura",
    "met_intrapulmonary",
    "met_other",
    "thoracic_rt",
]

#: Lab column -> (grid step of the values, plausible lower bound, plausible upper bound).
LABS = {
    "ldh": (1.0, 140.0, 3500.0),
    "sodium": (0.1, 124.0, 146.0),
    "cea": (0.01, 0.3, 400.0),
    "progrp": (0.01, 8.0, 6000.0),
    "nse": (0.01, 6.0, 300.0),
}

#: Decimals of each lab column in the cohort file.
LAB_DECIMALS = {"ldh": 0, "sodium": 1, "cea": 2, "progrp": 2, "nse": 2}

#: CTCAE-v5-style term text of each irAE of Table 3 (the results keys are their snake_case).
IRAE_TERMS = {
    "interstitial_lung_disease": "Interstitial lung disease",
    "hypothyroidism": "Hypothyroidism",
    "hepatitis": "Hepatitis",
}

#: ICI class results key -> its label in the ``ici_class`` column.
ICI_CLASSES = {"pd1": "PD-1", "pdl1": "PD-L1", "pd1_ctla4": "PD-1/CTLA-4"}

#: Chemotherapy regimen results key -> its label in the ``chemo_regimen`` column.
REGIMENS = {"chemo_regimen_ep_ec_el": "EP/EC/EL", "chemo_regimen_ip": "IP", "chemo_regimen_tp": "TP"}

#: Tolerances of the soft targets: how far the achieved value may be from the printed one and
#: count as met (p-values of Tables 2-3, log-rank p, median follow-up in months, the Cox arm
#: term's HR, CI bounds and p, the median CI bounds in months).
TOLERANCES: dict[str, float] = {k: float(v) for k, v in _SPEC["tolerances"].items()}

#: How Table 4's covariate terms are targeted: tolerances (hr, ci, p), the per-unit
#: terms, the largest possible events per endpoint, the search's margin inside each tolerance.
TABLE4: dict[str, Any] = _SPEC["table4"]

#: Plausibility limits of the survival times (:mod:`lcnec_utils.reconstruct.plausibility`).
PLAUSIBILITY: dict[str, Any] = _SPEC["plausibility"]

#: The study calendar: accrual window, cut-off, days per month, losses to follow-up.
CALENDAR: dict[str, Any] = _SPEC["calendar"]
