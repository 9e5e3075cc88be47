"""The arms of a table by role: their labels, the order they are printed in, and the rows in each.

Arms are named by role (``reference``, ``treatment``; ``total`` is both arms
together); their labels come from :class:`lcnec_utils.contract.params.Parameters`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lcnec_utils.contract.params import Parameters
from lcnec_utils.tables.cells import blank_as_missing

ARMS = ("total", "reference", "treatment")


#: Column order of the printed tables: the paper's (total, treatment, reference).
PRINT_ORDER = ("total", "treatment", "reference")


def arm_labels(params: Parameters) -> dict[str, str]:
    """Printed label per arm role: ``Total`` and the two group labels."""
    return {"total": "Total", "reference": params.reference_group, "treatment": params.treatment_group}


@dataclass
class Arms:
    """The analysed rows (``frame``), a boolean mask per arm over them, the arms' sizes, and notes."""

    frame: pd.DataFrame
    masks: dict[str, np.ndarray]
    n: dict[str, int]
    notes: list[str]


def split_arms(cohort: pd.DataFrame, params: Parameters) -> Arms:
    """The rows of the two arms; rows of any other group are left out with a note."""
    if "group" not in cohort.columns:
        raise KeyError("cohort has no 'group' column (required by the data contract)")
    group = blank_as_missing(cohort["group"]).astype("string")
    ref = (group == str(params.reference_group)).fillna(False).to_numpy(bool)
    trt = (group == str(params.treatment_group)).fillna(False).to_numpy(bool)
    notes = []
    other = int((~(ref | trt)).sum())
    if other:
        notes.append(
            f"{other} row(s) with a group other than '{params.reference_group}' or "
            f"'{params.treatment_group}' left out."
        )
    keep = ref | trt
    frame = cohort.loc[keep]
    masks = {"reference": ref[keep], "treatment": trt[keep]}
    masks["total"] = np.ones(int(keep.sum()), dtype=bool)
    n = {arm: int(m.sum()) for arm, m in masks.items()}
    return Arms(frame, masks, n, notes)
