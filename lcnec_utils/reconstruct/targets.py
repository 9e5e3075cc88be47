"""What the reconstruction aims at: the published numbers as targets, and the soft targets.

The soft targets carry the search's tolerances and weights; the exact ones are met by construction.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from lcnec_utils.reconstruct.settings import ROLES, TOLERANCES
from lcnec_utils.stats.normal import z_of_p


def published_targets(published: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Published values keyed as in ``docs/CONVENTIONS.md`` (value as printed).

    ``published`` maps key -> value; by default ``data/published.yaml`` through
    :func:`lcnec_utils.contract.published.published_values`.
    """
    if published is None:
        published = _load_published_values()
    return dict(published)


def _load_published_values() -> dict[str, Any]:
    from lcnec_utils.contract.published import published_values

    values = published_values()
    # printed only implicitly: no complete response in either arm, 4 patients with an irAE
    values.setdefault("response.cr.n.treatment", 0)
    values.setdefault("response.cr.n.reference", 0)
    return values


def published_count(tg: Mapping[str, Any], row: str, role: str) -> int:
    """The printed count of Table 2's row ``row`` in arm ``role`` (``baseline.<row>.n.<role>``)."""
    return int(round(float(tg[f"baseline.{row}.n.{role}"])))


def matches_printed(x: float, target: float, decimals: int) -> bool:
    """``x`` printed with ``decimals`` decimals reads ``target``, clear of the rounding tie.

    Exact ties (5.295 at 2 decimals) are refused: whether they print up or down
    depends on the binary representation, so they are no safe target.
    """
    q = 10.0**decimals
    return abs(x * q - round(target * q)) < 0.5 - 1e-6


#: Cox design terms in the order of :func:`lcnec_utils.stats.cox.design_matrix` (treatment first).
COX_TERMS = [
    "treatment",
    "age",
    "sex_male",
    "smoking",
    "ecog",
    "met_bone",
    "met_liver",
    "met_brain",
    "met_pleura",
    "met_intrapulmonary",
    "met_adrenal",
    "thoracic_rt",
]


_TERM_NAMES = {"sex_male": "sex"}


def is_arm_ci_key(key: str) -> bool:
    """Whether a target key is a CI bound of a Cox arm term (``<endpoint>.cox_multivariable.ci_low``
    or ``.ci_high``): the statistic the priority rule of ``data/reconstruction_targets.yaml`` (HR,
    then p, then the CI) gives up first."""
    parts = key.split(".")
    return len(parts) == 3 and parts[1] == "cox_multivariable" and parts[2] in ("ci_low", "ci_high")


def missed_keys(missed_targets) -> list[str]:
    """The target keys of a seed scan's ``missed_targets`` cell (space-separated; an empty cell,
    or the missing value a CSV reader gives it, is none)."""
    return missed_targets.split() if isinstance(missed_targets, str) else []


def conclusions_kept(table4_conclusions: Any) -> bool:
    """A seed scan's ``table4_conclusions`` cell as a truth value: True only for a true boolean
    (Python's or numpy's); a missing value, as a CSV reader gives an empty cell, keeps nothing."""
    return isinstance(table4_conclusions, (bool, np.bool_)) and bool(table4_conclusions)


def default_seed_eligible(missed_targets: str, table4_conclusions: bool) -> bool:
    """Whether a scanned seed may be the default (:data:`~lcnec_utils.reconstruct.settings.DEFAULT_SEED`):
    its cohort misses no target outside Table 4's covariate terms but, at most, CI bounds of the Cox
    arm terms (``missed_targets``: the scan's space-separated keys; empty, or missing as a CSV
    reader gives an empty cell, when nothing is missed), and keeps Table 4's conclusions
    (``table4_conclusions``: the scan's column of that name, read by :func:`conclusions_kept`)."""
    return conclusions_kept(table4_conclusions) and all(
        is_arm_ci_key(key) for key in missed_keys(missed_targets)
    )


def is_table4_covariate_key(key: str) -> bool:
    """Whether a target key is a statistic of one of Table 4's covariate terms (HR, CI bound or p of
    ``<endpoint>.cox_multivariable.<term>``; the arm's own keys have no term)."""
    parts = key.split(".")
    return (
        len(parts) == 4 and parts[1] == "cox_multivariable" and parts[3] in ("hr", "ci_low", "ci_high", "p")
    )


def term_name(term: str) -> str:
    """A Cox design term's name in the results keys: its cohort column (``sex`` for ``sex_male``)."""
    return _TERM_NAMES.get(term, term)


@dataclass
class SoftTarget:
    """One soft target of the search: cost from (value - target) / tol, weighted.

    ``kind="p"`` compares on the z scale: the tolerance becomes the z distance
    of the nearer tolerance end.
    """

    key: str
    target: float
    tol: float
    weight: float = 1.0
    kind: str = "lin"

    def __post_init__(self):
        self.is_cox = ".cox_" in self.key
        if self.kind == "p":
            zt = z_of_p(self.target)
            ends = [abs(z_of_p(min(max(self.target + d, 1e-12), 1.0)) - zt) for d in (-self.tol, self.tol)]
            self.target, self.tol = zt, min(ends)

    def scaled(self, value: float) -> float:
        if self.kind == "p":
            value = z_of_p(value)
        return abs(value - self.target) / self.tol


def soft_targets(tg: Mapping[str, Any]) -> list[SoftTarget]:
    T = TOLERANCES
    out = [
        SoftTarget("pfs.logrank.p", tg["pfs.logrank.p"], T["logrank_p"], 4.0, "p"),
        SoftTarget("os.logrank.p", tg["os.logrank.p"], T["logrank_p"], 4.0, "p"),
        SoftTarget("followup.median", tg["followup.median"], T["followup"], 3.0),
    ]
    for ep in ("pfs", "os"):
        for role in ROLES:
            for b in ("low", "high"):
                k = f"{ep}.median_ci_{b}.{role}"
                if k in tg:
                    out.append(SoftTarget(k, tg[k], T["median_ci"], 1.0))
        # the point estimate first: the printed CI and p are narrower than any Cox fit on 31
        # patients allows (see evaluate_targets), so they only pull where the HR is met
        for stat, tol, w in (
            ("hr", T["cox_hr"], 10.0),
            ("ci_low", T["cox_ci"], 1.0),
            ("ci_high", T["cox_ci"], 1.0),
            ("p", T["cox_p"], 1.0),
        ):
            k = f"{ep}.cox_multivariable.{stat}"
            out.append(SoftTarget(k, tg[k], tol, w, "p" if stat == "p" else "lin"))
        # Table 4's other terms: a light pull towards the printed HRs (log scale)
        for term in COX_TERMS[1:]:
            k = f"{ep}.cox_multivariable.{term_name(term)}.hr"
            if tg.get(k):
                out.append(SoftTarget(k, math.log(tg[k]), math.log(2.0), 0.2))
    return out
