"""Registry-sized synthetic cohorts drawn from the reconstruction (``lcnec synth --registry N``).

Rows are resampled from the shipped reconstruction's arms and perturbed; survival times are drawn
from piecewise-exponential models fitted to it. For testing the book at scale: the rows are not
patients. How a row is drawn: docs/reconstruction.md, "Registry-sized cohorts".
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd

from lcnec_utils.contract.params import DEFAULT_AE, DEFAULT_COHORT
from lcnec_utils.reconstruct.onsets import synthetic_onsets
from lcnec_utils.reconstruct.settings import LAB_DECIMALS

#: The default seed of ``lcnec synth --registry N``.
REGISTRY_SEED = 20260101
#: Ends of the pieces (months) of the piecewise-exponential survival models.
CUTS = (0.0, 6.0, 12.0, 24.0, np.inf)
#: A drawn row's age moves by a whole number of years in -AGE_JITTER..AGE_JITTER.
AGE_JITTER = 3
#: SD, on the log scale, of the log-normal factor each lab value is multiplied by.
LAB_LOG_SD = 0.10


def piecewise_hazards(t: np.ndarray, e: np.ndarray, cuts=CUTS) -> np.ndarray:
    """Events / exposure in each interval of ``cuts`` (an empty interval gets 0.5 event)."""
    t = np.asarray(t, float)
    e = np.asarray(e, int)
    rates = []
    for lo, hi in itertools.pairwise(cuts):
        exposure = np.clip(t - lo, 0, hi - lo).sum()
        events = ((t > lo) & (t <= hi) & (e == 1)).sum()
        if exposure <= 0:
            rates.append(rates[-1] if rates else 0.05)
            continue
        rates.append(max(events, 0.5) / exposure)
    return np.array(rates)


def draw_piecewise(rng: np.random.Generator, hazards: np.ndarray, size: int, cuts=CUTS) -> np.ndarray:
    """Event times from a piecewise-constant hazard, by inverting the cumulative hazard."""
    target = rng.exponential(1.0, size)
    out = np.full(size, np.inf)
    cum = 0.0
    undone = np.ones(size, bool)
    for lo, hi, h in zip(cuts[:-1], cuts[1:], hazards):
        width = hi - lo
        block = h * width if np.isfinite(width) else np.inf
        hit = undone & (target <= cum + block)
        out[hit] = lo + (target[hit] - cum) / h
        undone &= ~hit
        cum += block
    return out


def draw_registry(
    n: int,
    seed: int = REGISTRY_SEED,
    template: str | Path = DEFAULT_COHORT,
    ae_template: str | Path | None = DEFAULT_AE,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """A registry of ``n`` rows and its adverse events, drawn as docs/reconstruction.md describes."""
    if n < 4:
        raise ValueError("a registry needs at least 4 rows (two per arm)")
    rng = np.random.default_rng(seed)
    base = pd.read_csv(template, dtype={"patient_id": str})
    ae = pd.read_csv(ae_template, dtype={"patient_id": str}) if ae_template else None
    arms = sorted(base["group"].unique())
    shares = base["group"].value_counts(normalize=True)
    sizes = {a: int(round(n * shares[a])) for a in arms}
    sizes[arms[-1]] = n - sum(sizes[a] for a in arms[:-1])
    censored = base.loc[base["os_event"] == 0, "os_months"]
    c_lo, c_hi = (float(censored.min()), float(censored.max())) if len(censored) else (6.0, 36.0)

    parts = []
    for arm in arms:
        rows = base[base["group"] == arm].reset_index(drop=True)
        m = max(sizes[arm], 2)
        pick = rng.integers(0, len(rows), m)
        part = rows.iloc[pick].reset_index(drop=True)
        part["_template_id"] = rows["patient_id"].to_numpy()[pick]
        if "age" in part:
            age = part["age"].to_numpy(float) + rng.integers(-AGE_JITTER, AGE_JITTER + 1, m)
            part["age"] = np.clip(age, 18, 110).astype(int)
        for lab, dec in LAB_DECIMALS.items():
            if lab in part:
                vals = part[lab].to_numpy(float) * np.exp(rng.normal(0.0, LAB_LOG_SD, m))
                part[lab] = np.round(vals, dec) if dec else pd.Series(np.round(vals)).astype("Int64")
        os_h = piecewise_hazards(rows["os_months"], rows["os_event"])
        death = draw_piecewise(rng, os_h, m)
        follow = rng.uniform(c_lo, c_hi, m)
        os_t = np.minimum(death, follow)
        part["os_event"] = (death <= follow).astype(int)
        part["os_months"] = np.maximum(np.round(os_t, 1), 0.1)
        if {"pfs_months", "pfs_event"} <= set(rows.columns):
            pfs_h = piecewise_hazards(rows["pfs_months"], rows["pfs_event"])
            prog = np.minimum(draw_piecewise(rng, pfs_h, m), death)
            part["pfs_event"] = (prog <= follow).astype(int)
            part["pfs_months"] = np.minimum(
                np.maximum(np.round(np.minimum(prog, follow), 1), 0.1), part["os_months"]
            )
        parts.append(part)
    cohort = pd.concat(parts, ignore_index=True)
    order = rng.permutation(len(cohort))
    cohort = cohort.iloc[order].reset_index(drop=True)
    cohort["patient_id"] = [f"REG-{i:07d}" for i in range(1, len(cohort) + 1)]
    events = None
    if ae is not None:
        events = (
            cohort[["patient_id", "_template_id"]]
            .merge(ae.rename(columns={"patient_id": "_template_id"}), on="_template_id")
            .drop(columns="_template_id")[list(ae.columns)]
            .sort_values(["patient_id", "term"], kind="stable")
            .reset_index(drop=True)
        )
        if "onset_months" in events:  # the template's onsets may fall after the drawn row's follow-up
            events = synthetic_onsets(events, cohort, seed)
    cohort = cohort.drop(columns="_template_id")[list(base.columns)]
    return cohort, events


def write_registry(n: int, out_dir: str | Path, seed: int = REGISTRY_SEED) -> list[Path]:
    """Write ``registry_n<N>_cohort.csv`` and ``registry_n<N>_adverse_events.csv``."""
    cohort, events = draw_registry(n, seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / f"registry_n{n}_cohort.csv"]
    cohort.to_csv(paths[0], index=False, lineterminator="\n")
    if events is not None:
        paths.append(out / f"registry_n{n}_adverse_events.csv")
        events.to_csv(paths[1], index=False, lineterminator="\n")
    return paths
