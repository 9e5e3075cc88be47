"""The study design the reconstruction follows: arms, columns, grids, limits and tolerances."""

from __future__ import annotations

#: The committed cohort's seed: the first seed from SCAN_START whose cohort misses no target
#: (``lcnec synth --scan``, ``data/lcnec_seed_scan.csv``; a test checks both).
DEFAULT_SEED = 20250103


COHORT_FILE = "lcnec_synthetic_cohort.csv"


AE_FILE = "lcnec_synthetic_adverse_events.csv"


TREATMENT = "ICIs + Chemo"


REFERENCE = "Chemo"


ROLES = ("treatment", "reference")


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


COHORT_COLUMNS = [
    "patient_id",
    "group",
    "os_months",
    "os_event",
    "pfs_months",
    "pfs_event",
    "age",
    "sex",
    "ecog",
    "smoking",
    "met_bone",
    "met_liver",
    "met_brain",
    "met_adrenal",
    "met_pleura",
    "met_intrapulmonary",
    "met_other",
    "chemo_regimen",
    "thoracic_rt",
    "ldh",
    "sodium",
    "cea",
    "progrp",
    "nse",
    "best_response",
    "ici_class",
    "ongoing_treatment",
]


AE_COLUMNS = ["patient_id", "term", "grade", "immune_related"]


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


LAB_DECIMALS = {"ldh": 0, "sodium": 1, "cea": 2, "progrp": 2, "nse": 2}


#: CTCAE-v5-style term text of each irAE of Table 3 (the results keys are their snake_case).
IRAE_TERMS = {
    "interstitial_lung_disease": "Interstitial lung disease",
    "hypothyroidism": "Hypothyroidism",
    "hepatitis": "Hepatitis",
}


ICI_CLASSES = {"pd1": "PD-1", "pdl1": "PD-L1", "pd1_ctla4": "PD-1/CTLA-4"}


REGIMENS = {"chemo_regimen_ep_ec_el": "EP/EC/EL", "chemo_regimen_ip": "IP", "chemo_regimen_tp": "TP"}


#: Tolerances of the soft targets (the issue's).
TOLERANCES = {
    "p_table": 0.01,
    "logrank_p": 0.005,
    "followup": 1.0,
    "cox_hr": 0.05,
    "cox_ci": 0.10,
    "cox_p": 0.02,
    "median_ci": 0.5,
}
