"""Kaplan-Meier curves with numbers at risk, in the book's style.

Survival curves are drawn from fitted ``lifelines.KaplanMeierFitter`` objects
(keyed by role, ``reference`` / ``treatment``); the numbers at risk come from
``lifelines.plotting.add_at_risk_counts``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, PercentFormatter

from lcnec_utils.plots.style import _colour, _label, _ordered_roles, set_style

#: "S(t) equals 0.5" tolerance, as ``lcnec_utils.survival`` (R's quantile.survfit).
MEDIAN_TOLERANCE = float(np.sqrt(np.finfo(float).eps))


#: Above this many patients per arm, censor ticks are dropped and the curve
#: drawn thinner and resampled (thousands of ticks hide the curve).
LARGE_ARM = 500


def km_plot(
    kmfs: Mapping[str, Any],
    endpoint_label: str,
    params: Any = None,
    ax: plt.Axes | None = None,
    ci: bool = False,
    at_risk: bool = True,
    median_lines: bool = True,
    annotation: str | None = None,
    tick_every: float = 6.0,
    xmax: float | None = None,
    title: str | None = None,
) -> Figure:
    """Kaplan-Meier curves of the arms.

    ``kmfs`` maps a role (``reference``, ``treatment``) to a fitted
    ``lifelines.KaplanMeierFitter`` whose label is the arm's label. Each arm
    is a right-continuous step function in its role colour with censor ticks
    (for more than ``LARGE_ARM`` patients: no ticks, a thinner line sampled on
    a grid of 1,000 times, which at print resolution is indistinguishable);
    ``ci`` adds the fitter's pointwise band (lifelines: exponential Greenwood,
    i.e. log(-log)); ``median_lines`` draws dotted guides to each median (the
    first time S(t) <= 0.5, as ``survival.km_median``) when it is reached; the
    numbers at risk at each tick are printed under the axis
    (``lifelines.plotting.add_at_risk_counts``). ``annotation`` is the
    caller's text (e.g. log-rank p and HR), shown in the upper right. The x
    axis is in months with ticks every ``tick_every`` months (a multiple of
    it when the follow-up would need more than 12 ticks). ``params`` is
    accepted for the book's uniform signature; labels, colours and the CI
    level come from the fitters and their roles.
    """
    set_style()
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.4, 4.6))
    else:
        fig = ax.figure
    roles = _ordered_roles(kmfs)
    if not roles:
        raise ValueError("km_plot needs at least one fitted KaplanMeierFitter")
    tmax = 0.0
    for r in roles:
        tl = kmfs[r].timeline
        if len(tl):
            tmax = max(tmax, float(np.max(tl)))
    if xmax is None:
        xmax = max(tick_every, np.ceil(tmax / tick_every) * tick_every)
    for i, role in enumerate(roles):
        kmf = kmfs[role]
        colour = _colour(role, i)
        sf = kmf.survival_function_.iloc[:, 0]
        t = sf.index.to_numpy(float)
        s = sf.to_numpy(float)
        n = int(kmf.event_table["entrance"].sum()) if "entrance" in kmf.event_table else len(kmf.durations)
        large = n > LARGE_ARM
        if large and t.size > 1000:
            grid = np.linspace(0.0, float(t.max()), 1000)
            idx = np.searchsorted(t, grid, side="right") - 1
            t, s = grid, s[np.clip(idx, 0, None)]
        ax.step(t, s, where="post", color=colour, lw=1.2 if large else 1.8, label=_label(kmf, role), zorder=3)
        if ci:
            band = kmf.confidence_interval_survival_function_
            bt = band.index.to_numpy(float)
            ax.fill_between(
                bt,
                band.iloc[:, 0].to_numpy(float),
                band.iloc[:, 1].to_numpy(float),
                step="post",
                color=colour,
                alpha=0.15,
                lw=0,
                zorder=1,
            )
        if not large:
            et = kmf.event_table
            cens_t = et.index[(et["censored"] > 0).to_numpy()].to_numpy(float)
            if cens_t.size:
                ax.plot(
                    cens_t,
                    kmf.survival_function_at_times(cens_t).to_numpy(float),
                    ls="none",
                    marker="|",
                    ms=7,
                    mew=1.2,
                    color=colour,
                    zorder=4,
                )
        if median_lines:
            # first time S(t) <= 0.5, with the tolerance survival.km_median uses
            # (lifelines' median misses a step that is 0.5 up to rounding)
            full = kmf.survival_function_.iloc[:, 0]
            hit = np.flatnonzero(full.to_numpy(float) <= 0.5 + MEDIAN_TOLERANCE)
            med = float(full.index[hit[0]]) if hit.size else np.nan
            if np.isfinite(med):
                ax.plot([0, med, med], [0.5, 0.5, 0.0], ls=":", lw=0.9, color=colour, zorder=2)
    ax.set_xlim(0, xmax)
    ax.set_ylim(0, 1.02)
    # long follow-up: keep ~12 ticks, still a multiple of tick_every months
    step = tick_every * max(1, int(np.ceil(xmax / tick_every / 12)))
    ax.xaxis.set_major_locator(FixedLocator(np.arange(0, xmax + 1e-9, step)))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel("Months")
    ax.set_ylabel(endpoint_label)
    if title:
        ax.set_title(title, loc="left")
    ax.legend(loc="lower left" if annotation else "upper right")
    if annotation:
        ax.text(
            0.98,
            0.97,
            annotation,
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize=9,
            bbox={"boxstyle": "round,pad=0.35", "fc": "white", "ec": "#BBBBBB"},
        )
    if at_risk:
        from lifelines.plotting import add_at_risk_counts

        fitters = [kmfs[r] for r in roles]
        add_at_risk_counts(
            *fitters,
            ax=ax,
            rows_to_show=["At risk"],
            labels=[_label(kmfs[r], r) for r in roles],
            fontsize=8.5,
        )
    fig.tight_layout()
    return fig


def at_risk_rows(fig: Figure) -> int:
    """Number of arms in the at-risk table of a :func:`km_plot` figure (0 if none)."""
    for ax in fig.axes:
        labels = [t.get_text() for t in ax.get_xticklabels()]
        if labels and labels[0].startswith("At risk"):
            return len([ln for ln in labels[0].strip("\n").split("\n")[1:] if ln.strip()])
    return 0
