"""Large cohorts: the documented large-N branches of the methods helpers.

The methods chapters were written for 31 patients. A few of their helpers
cost far more than linearly in the number of patients (lifelines' Schoenfeld
residuals and robust sandwich variance loop over event times, a bootstrap
refits the model per resample). Above
:data:`LARGE_N` patients those helpers work on a **stratified random sample**
of the patients (each arm sampled in proportion, without replacement,
``numpy.random.default_rng(seed)``), and say so on the page with a note. At
that size the sampled answer is not the registry's answer, but it is what the
methods chapters illustrate: whether hazards look proportional, how
weighting moves the HR, how a bootstrap interval compares with Wald's. The
headline analyses (chapters 1-6) always use every patient.

Below :data:`LARGE_N` nothing changes: the helpers see the whole cohort and
their results are those of the 31-patient book, bit for bit.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

#: Above this many rows a large-N branch applies.
LARGE_N = 5000
#: Rows kept by the stratified sample of a large-N branch.
SAMPLE_N = 5000
#: A bootstrap refits a model per resample: above BOOTSTRAP_CELLS resamples x
#: patients it runs BOOTSTRAP_RESAMPLES resamples, on a stratified sample of
#: BOOTSTRAP_CELLS / BOOTSTRAP_RESAMPLES patients if it is still above.
#: 1,000 resamples of 31 patients (the book) are far below.
BOOTSTRAP_CELLS = 500_000
BOOTSTRAP_RESAMPLES = 200


def is_large(frame: pd.DataFrame | int) -> bool:
    """True above :data:`LARGE_N` rows (``frame`` a table or its number of rows)."""
    n = frame if isinstance(frame, int) else len(frame)
    return n > LARGE_N


def sample_rows(
    frame: pd.DataFrame,
    n: int = SAMPLE_N,
    seed: int = 0,
    strata: str | None = None,
    what: str | None = None,
) -> pd.DataFrame:
    """``frame`` itself when it has at most ``LARGE_N`` rows, else a stratified
    random sample of ``n`` rows in their original order (and a note on the page)."""
    if not is_large(frame) or len(frame) <= n:
        return frame
    rng = np.random.default_rng(seed)
    if strata is not None and strata in frame:
        keep = []
        groups = frame[strata].to_numpy()
        for g in pd.unique(groups):
            idx = np.flatnonzero(groups == g)
            k = max(1, int(round(n * len(idx) / len(frame))))
            keep.append(rng.choice(idx, size=min(k, len(idx)), replace=False))
        rows = np.sort(np.concatenate(keep))
    else:
        rows = np.sort(rng.choice(len(frame), size=n, replace=False))
    if what:
        announce(what, len(frame), len(rows), seed)
    return frame.iloc[rows]


def bootstrap_plan(cohort: pd.DataFrame, resamples: int, seed: int) -> tuple[pd.DataFrame, int]:
    """The rows and the number of resamples of a bootstrap (unchanged up to BOOTSTRAP_CELLS)."""
    if resamples * len(cohort) <= BOOTSTRAP_CELLS:
        return cohort, resamples
    resamples = min(resamples, BOOTSTRAP_RESAMPLES)
    keep = BOOTSTRAP_CELLS // resamples
    what = f"the bootstrap ({resamples:,} resamples)"
    if len(cohort) > keep:
        rng = np.random.default_rng(seed)
        groups = cohort["group"].to_numpy()
        rows = []
        for g in pd.unique(groups):
            idx = np.flatnonzero(groups == g)
            k = max(2, int(round(keep * len(idx) / len(cohort))))
            rows.append(rng.choice(idx, size=min(k, len(idx)), replace=False))
        cohort_kept = cohort.iloc[np.sort(np.concatenate(rows))]
        announce(what, len(cohort), len(cohort_kept), seed)
        return cohort_kept, resamples
    announce_text(
        f"Large cohort ({len(cohort):,} patients): {what} instead of the chapter's "
        "usual number, every patient in each; the refits' cost grows with both."
    )
    return cohort, resamples


def analysis_sample(cohort: pd.DataFrame, params: Any, what: str, n: int = SAMPLE_N) -> pd.DataFrame:
    """The cohort, or above ``LARGE_N`` patients its sample stratified by arm (seed ``params.seed``)."""
    return sample_rows(cohort, n, int(getattr(params, "seed", 0)), "group", what)


def _note(what: str, total: int, kept: int, seed: int) -> str:
    return (
        f"Large cohort ({total:,} patients): {what} are computed on a random sample of "
        f"{kept:,} patients, stratified by arm (seed {seed}), because the method's cost grows "
        "faster than the number of patients. The headline analyses use every patient."
    )


def announce(what: str, total: int, kept: int, seed: int) -> None:
    """Say on the chapter's page (once per chapter and helper) that a sample was used.

    The note is shown at the start of the *next* cell: the chapters compute in
    a cell removed from the page (tag ``remove-cell``) and show in the next.
    """
    announce_text(_note(what, total, kept, seed), key=what)


def announce_text(text: str, key: str | None = None) -> None:
    """A note shown at the start of the next cell of the chapter (once per ``key``)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return
    ip = get_ipython()
    if ip is None:
        return
    shown = ip.user_ns.setdefault("_lcnec_large_n_notes", set())
    if (key or text) in shown:
        return
    shown.add(key or text)
    ip.user_ns.setdefault("_lcnec_large_n_pending", []).append(":::{note}\n" + text + "\n:::")
    if not getattr(ip, "_lcnec_large_n_hook", False):
        ip.events.register("pre_run_cell", _show_pending)
        ip._lcnec_large_n_hook = True


def _show_pending(*_args) -> None:
    from IPython import get_ipython
    from IPython.display import Markdown, display

    ip = get_ipython()
    pending = ip.user_ns.get("_lcnec_large_n_pending") if ip is not None else None
    while pending:
        display(Markdown(pending.pop(0)))
