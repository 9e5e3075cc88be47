"""One reconstruction from a seed (:func:`reconstruct`) and the committed files (:func:`synthesize`).

Counts by construction, ages, labs and times, the survival search, then responses, ICI classes,
ongoing treatment, adverse events (their onsets: :mod:`lcnec_utils.reconstruct.onsets`) and the
calendar (start dates, optional columns after the data contract's); the steps: docs/reconstruction.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lcnec_utils.contract.params import DATA_DIR
from lcnec_utils.contract.schema import COHORT_COLUMNS
from lcnec_utils.reconstruct.ages import draw_ages
from lcnec_utils.reconstruct.joint import FULL_BUDGET, JointSearchBudget, joint_search
from lcnec_utils.reconstruct.labs import draw_labs
from lcnec_utils.reconstruct.onsets import synthetic_onsets
from lcnec_utils.reconstruct.search import (
    RESTART_BELOW,
    RESTARTS,
    SearchBudget,
    SurvivalSearch,
    covariate_columns,
    covariate_design,
)
from lcnec_utils.reconstruct.settings import (
    AE_FILE,
    BINARY_COLUMNS,
    COHORT_FILE,
    DEFAULT_SEED,
    ICI_CLASSES,
    IRAE_TERMS,
    LAB_DECIMALS,
    LABS,
    REFERENCE,
    REGIMENS,
    ROLES,
    TREATMENT,
)
from lcnec_utils.reconstruct.study_calendar import calendar_stream, start_dates
from lcnec_utils.reconstruct.targets import published_count, published_targets
from lcnec_utils.reconstruct.times import Arm, initial_times


@dataclass
class Reconstruction:
    """A reconstructed cohort, its adverse-event table and the search's bookkeeping (``info``: the
    committed search's chains, the chosen one and its state before the last step,
    ``before_polish``; ``row_order``, the search's row of each cohort row; an ensemble member's
    stage costs)."""

    cohort: pd.DataFrame
    adverse_events: pd.DataFrame
    seed: int
    info: dict[str, Any] = field(default_factory=dict)


def _placement(rng, n: int, k: int) -> np.ndarray:
    """0/1 vector of length n with exactly k ones at random places."""
    x = np.zeros(n, int)
    x[rng.choice(n, size=k, replace=False)] = 1
    return x


def draw_covariates(rng, tg: Mapping[str, Any], role: str, n: int) -> dict[str, np.ndarray]:
    """Categorical baseline columns of one arm with the published counts."""
    cov: dict[str, np.ndarray] = {}
    cov["sex"] = np.where(_placement(rng, n, published_count(tg, "sex_male", role)) == 1, "Male", "Female")
    poor = 1 - _placement(rng, n, published_count(tg, "ecog_0_1", role))
    # ECOG 0-1 split about 1:2 (stage IV); >= 2 recorded as 2
    ecog = np.where(rng.random(n) < 0.35, 0, 1)
    cov["ecog"] = np.where(poor == 1, 2, ecog)
    for col in BINARY_COLUMNS:
        cov[col] = _placement(rng, n, published_count(tg, col, role))
    levels = np.empty(n, dtype=object)
    order = rng.permutation(n)
    start = 0
    for key, label in REGIMENS.items():
        k = published_count(tg, key, role)
        levels[order[start : start + k]] = label
        start += k
    if start != n:
        raise ValueError(f"chemotherapy regimen counts of arm '{role}' do not add up to n")
    cov["chemo_regimen"] = levels
    return cov


def draw_responses(rng, tg: Mapping[str, Any], role: str, arm: Arm) -> np.ndarray:
    """Best response with the published counts; PD goes to the earliest progressions."""
    n = arm.pfs.size
    k = {c: int(tg.get(f"response.{c.lower()}.n.{role}", 0)) for c in ("CR", "PR", "SD", "PD", "NE")}
    if sum(k.values()) != n:
        raise ValueError(f"response counts of arm '{role}' do not add up to n")
    # PD at the first evaluation: the earliest progressions; among the others the longer
    # PFS more often goes with a partial response
    order = np.lexsort((rng.random(n), arm.pfs + np.where(arm.pfs_e == 0, 10_000, 0)))
    out = np.empty(n, dtype=object)
    out[order[: k["NE"]]] = "NE"
    out[order[k["NE"] : k["NE"] + k["PD"]]] = "PD"
    rest = order[k["NE"] + k["PD"] :]
    ranked = rest[np.argsort(arm.pfs[rest] + rng.normal(0, 40, rest.size), kind="stable")]
    cats = ["SD"] * k["SD"] + ["PR"] * k["PR"] + ["CR"] * k["CR"]
    out[ranked] = np.array(cats, dtype=object)
    return out


def draw_ongoing(rng, tg: Mapping[str, Any], role: str, arm: Arm) -> np.ndarray:
    """Still on first-line treatment at the cut-off: alive patients, recent starts first."""
    k = int(tg[f"treatment.ongoing.n.{role}"])
    alive = np.flatnonzero(arm.os_e == 0)
    pick = alive[np.argsort(arm.os[alive] + rng.random(alive.size), kind="stable")][:k]
    if pick.size < k:  # not enough alive patients: fall back to the longest PFS
        rest = np.setdiff1d(np.argsort(-arm.pfs, kind="stable"), pick, assume_unique=True)
        pick = np.concatenate([pick, rest[: k - pick.size]])
    out = np.zeros(arm.pfs.size, int)
    out[pick] = 1
    return out


def _ici_classes(rng, tg: Mapping[str, Any], n: int) -> np.ndarray:
    labels = []
    for key, label in ICI_CLASSES.items():
        labels += [label] * int(tg[f"ici_class.{key}.n.treatment"])
    if len(labels) != n:
        raise ValueError("ICI class counts do not add up to the treatment arm's size")
    return rng.permutation(np.array(labels, dtype=object))


def _adverse_events(rng, tg: Mapping[str, Any], ids: np.ndarray) -> pd.DataFrame:
    """Immune-related AEs of Table 3, one per patient, grade 1-2."""
    terms = []
    for key, label in IRAE_TERMS.items():
        terms += [label] * int(tg.get(f"safety.irae.{key}.n.treatment", 0))
    who = rng.choice(ids, size=len(terms), replace=False)
    grade = rng.integers(1, 3, size=len(terms))
    ae = pd.DataFrame({"patient_id": who, "term": terms, "grade": grade, "immune_related": 1})
    return ae.sort_values(["patient_id", "term"], kind="stable").reset_index(drop=True)


def _assemble(
    rng, tg, arms: Mapping[str, Arm], covs, ages, labs
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """The cohort and adverse-event tables from the search's arms (treatment rows first, then
    reference) and the drawn columns, the rows shuffled; also the shuffle (the arms' row of each
    cohort row)."""
    frames = []
    for role in ROLES:
        a = arms[role]
        n = a.pfs.size
        f = pd.DataFrame(
            {
                "group": TREATMENT if role == "treatment" else REFERENCE,
                "os_months": a.os / 10.0,
                "os_event": a.os_e,
                "pfs_months": a.pfs / 10.0,
                "pfs_event": a.pfs_e,
                "age": ages[role],
            }
        )
        for col, v in covs[role].items():
            f[col] = v
        for lab in LABS:
            f[lab] = labs[role][lab]
        f["best_response"] = draw_responses(rng, tg, role, a)
        f["ici_class"] = _ici_classes(rng, tg, n) if role == "treatment" else None
        f["ongoing_treatment"] = draw_ongoing(rng, tg, role, a)
        frames.append(f)
    cohort = pd.concat(frames, ignore_index=True)
    order = rng.permutation(len(cohort))
    cohort = cohort.iloc[order].reset_index(drop=True)
    cohort.insert(0, "patient_id", [f"SYN-{i + 1:03d}" for i in range(len(cohort))])
    cohort = cohort[[c.name for c in COHORT_COLUMNS]]
    treated = cohort.loc[cohort["group"] == TREATMENT, "patient_id"].to_numpy()
    return cohort, _adverse_events(rng, tg, treated), order


def _write_back(X: np.ndarray, cov: dict[str, np.ndarray]) -> np.ndarray:
    """Covariates from the search's design matrix back into the cohort columns; returns ages."""
    columns = covariate_columns(X)
    cov.update({k: v for k, v in columns.items() if k != "age"})
    return columns["age"]


def _main_stages(rng, tg, arms, X, initial_times, budget: SearchBudget, info: dict) -> SurvivalSearch:
    """An ensemble member's search: Kaplan-Meier targets (times alone), then covariate placement
    for the Cox targets, then both together."""
    # stage 1 from up to RESTARTS placements of the events: some get stuck (e.g. four deaths
    # squeezed between an early censoring and 12 months), a fresh placement is cheaper than waiting
    best = None
    for attempt in range(RESTARTS):
        if attempt:
            arms = initial_times()
        search = SurvivalSearch(rng, tg, arms, X)
        cost = search.run(budget.times, with_cox=False, p_time=1.0)
        if best is None or cost < best[0]:
            best = (cost, arms, search)
        if cost <= RESTART_BELOW:
            break
    info["cost_times"], arms, search = best
    info["restarts"] = attempt
    info["cost_covariates"] = search.run(budget.covariates, with_cox=True, p_time=0.0, temp0=0.3)
    info["cost_joint"] = search.run(budget.joint, with_cox=True, p_time=0.5, temp0=0.3)
    return search


def _first_draws(rng, tg: Mapping[str, Any]):
    """What :func:`reconstruct` draws before its search, in stream order: the starting times,
    the count placements, the ages and the laboratory values (arms, covs, ages, labs)."""
    n = {r: int(tg[f"n.{r}"]) for r in ROLES}
    arms = initial_times(rng, tg)
    covs = {r: draw_covariates(rng, tg, r, n[r]) for r in ROLES}
    ages = draw_ages(rng, tg, n)
    labs = draw_labs(rng, tg, n)
    return arms, covs, ages, labs


def reconstruct(
    seed: int = DEFAULT_SEED,
    published: Mapping[str, Any] | None = None,
    budget: SearchBudget | JointSearchBudget | None = None,
) -> Reconstruction:
    """One synthetic cohort (and AE table) meeting the published aggregates; deterministic in ``seed``."""
    tg = published_targets(published)
    budget = FULL_BUDGET if budget is None else budget
    rng = np.random.default_rng(seed)
    arms, covs, ages, labs = _first_draws(rng, tg)
    info: dict[str, Any] = {}
    X = covariate_design(covs, ages)
    if isinstance(budget, JointSearchBudget):
        arms, X = joint_search(rng, tg, X, budget, info)
    else:
        search = _main_stages(rng, tg, arms, X, lambda: initial_times(rng, tg), budget, info)
        arms, X = search.arms, search.X
    for r in ROLES:
        ages[r] = _write_back(X[r], covs[r])
    cohort, ae, info["row_order"] = _assemble(rng, tg, arms, covs, ages, labs)
    dates = start_dates(calendar_stream(seed), cohort["os_months"], cohort["os_event"])
    # onsets from a stream of their own: the draws above, and so the cohort, stay as they were
    return Reconstruction(pd.concat([cohort, dates], axis=1), synthetic_onsets(ae, cohort, seed), seed, info)


def csv_text(frame: pd.DataFrame, decimals: Mapping[str, int]) -> str:
    """CSV with fixed number formats (byte-identical across runs and platforms)."""
    out = frame.copy()
    for col, d in decimals.items():
        if col in out.columns:
            out[col] = [("" if pd.isna(v) else f"{float(v):.{d}f}") for v in out[col]]
    return out.to_csv(index=False, lineterminator="\n")


COHORT_DECIMALS = {"os_months": 1, "pfs_months": 1, **LAB_DECIMALS}
AE_DECIMALS = {"onset_months": 1}


def write_reconstruction(rec: Reconstruction, out_dir: str | Path = DATA_DIR) -> list[Path]:
    """Write the cohort and adverse-event CSVs of ``rec`` to ``out_dir``; returns their paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    cohort_path, ae_path = out_dir / COHORT_FILE, out_dir / AE_FILE
    cohort_path.write_text(csv_text(rec.cohort, COHORT_DECIMALS))
    ae_path.write_text(csv_text(rec.adverse_events, AE_DECIMALS))
    return [cohort_path, ae_path]


def synthesize(out_dir: str | Path = DATA_DIR, seed: int = DEFAULT_SEED) -> list[Path]:
    """Reconstruct the cohort with ``seed`` and write both CSVs to ``out_dir``; returns the paths."""
    return write_reconstruction(reconstruct(seed), out_dir)
