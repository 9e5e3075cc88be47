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

from lcnec_utils.plots.style import ARM_COLOURS, OKABE_ITO, ROLE_ORDER, set_style
from lcnec_utils.stats.survival import TOLERANCE

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
    if xmax is None:
        xmax = _axis_end(kmfs, roles, tick_every)
    for i, role in enumerate(roles):
        kmf = kmfs[role]
        colour = _colour(role, i)
        large = _draw_curve(ax, kmf, colour, _label(kmf, role))
        if ci:
            _draw_band(ax, kmf, colour)
        if not large:
            _draw_censor_marks(ax, kmf, colour)
        if median_lines:
            _draw_median_guide(ax, kmf, colour)
    _format_axes(ax, xmax, tick_every, endpoint_label, title)
    ax.legend(loc="lower left" if annotation else "upper right")
    if annotation:
        _draw_annotation(ax, annotation)
    if at_risk:
        _add_at_risk_table(ax, kmfs, roles)
    fig.tight_layout()
    return fig


def _colour(role: str, i: int = 0) -> str:
    """The arm's colour; an arm of another role gets the next of three spare colours."""
    fallback = [OKABE_ITO["bluish_green"], OKABE_ITO["orange"], OKABE_ITO["reddish_purple"]]
    return ARM_COLOURS.get(role, fallback[i % len(fallback)])


def _label(kmf: Any, role: str) -> str:
    """The fitter's label (the arm's), else the role."""
    return str(getattr(kmf, "label", None) or role)


def _ordered_roles(kmfs: Mapping[str, Any]) -> list[str]:
    """The roles in the figures' order (treatment first), then any other."""
    return [r for r in ROLE_ORDER if r in kmfs] + [r for r in kmfs if r not in ROLE_ORDER]


def _axis_end(kmfs: Mapping[str, Any], roles: list[str], tick_every: float) -> float:
    """The end of the time axis: the last time of any curve, up to a whole tick."""
    tmax = 0.0
    for r in roles:
        tl = kmfs[r].timeline
        if len(tl):
            tmax = max(tmax, float(np.max(tl)))
    return max(tick_every, np.ceil(tmax / tick_every) * tick_every)


def _draw_curve(ax: plt.Axes, kmf: Any, colour: str, label: str) -> bool:
    """The right-continuous step function of one arm; for an arm of more than ``LARGE_ARM``
    patients a thinner line sampled on 1,000 times. Returns whether the arm is that large."""
    sf = kmf.survival_function_.iloc[:, 0]
    t = sf.index.to_numpy(float)
    s = sf.to_numpy(float)
    n = int(kmf.event_table["entrance"].sum()) if "entrance" in kmf.event_table else len(kmf.durations)
    large = n > LARGE_ARM
    if large and t.size > 1000:
        grid = np.linspace(0.0, float(t.max()), 1000)
        idx = np.searchsorted(t, grid, side="right") - 1
        t, s = grid, s[np.clip(idx, 0, None)]
    ax.step(t, s, where="post", color=colour, lw=1.2 if large else 1.8, label=label, zorder=3)
    return large


def _draw_band(ax: plt.Axes, kmf: Any, colour: str) -> None:
    """The fitter's pointwise confidence band, shaded behind the curve."""
    band = kmf.confidence_interval_survival_function_
    ax.fill_between(
        band.index.to_numpy(float),
        band.iloc[:, 0].to_numpy(float),
        band.iloc[:, 1].to_numpy(float),
        step="post",
        color=colour,
        alpha=0.15,
        lw=0,
        zorder=1,
    )


def _draw_censor_marks(ax: plt.Axes, kmf: Any, colour: str) -> None:
    """A tick on the curve at each censoring time."""
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


def _draw_median_guide(ax: plt.Axes, kmf: Any, colour: str) -> None:
    """Dotted guides to the median, the first time S(t) <= 0.5, when it is reached.

    With the tolerance :func:`lcnec_utils.stats.survival.km_median` uses:
    lifelines' own median misses a step that is 0.5 up to rounding.
    """
    full = kmf.survival_function_.iloc[:, 0]
    hit = np.flatnonzero(full.to_numpy(float) <= 0.5 + TOLERANCE)
    med = float(full.index[hit[0]]) if hit.size else np.nan
    if np.isfinite(med):
        ax.plot([0, med, med], [0.5, 0.5, 0.0], ls=":", lw=0.9, color=colour, zorder=2)


def _format_axes(
    ax: plt.Axes, xmax: float, tick_every: float, endpoint_label: str, title: str | None
) -> None:
    """Months on x (ticks every ``tick_every``, about 12 at most), survival in percent on y."""
    ax.set_xlim(0, xmax)
    ax.set_ylim(0, 1.02)
    step = tick_every * max(1, int(np.ceil(xmax / tick_every / 12)))
    ax.xaxis.set_major_locator(FixedLocator(np.arange(0, xmax + 1e-9, step)))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel("Months")
    ax.set_ylabel(endpoint_label)
    if title:
        ax.set_title(title, loc="left")


def _draw_annotation(ax: plt.Axes, annotation: str) -> None:
    """The caller's text (e.g. log-rank p and HR) in a box in the upper right."""
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


def _add_at_risk_table(ax: plt.Axes, kmfs: Mapping[str, Any], roles: list[str]) -> None:
    """The numbers at risk at each tick under the axis (``lifelines.plotting.add_at_risk_counts``)."""
    from lifelines.plotting import add_at_risk_counts

    add_at_risk_counts(
        *[kmfs[r] for r in roles],
        ax=ax,
        rows_to_show=["At risk"],
        labels=[_label(kmfs[r], r) for r in roles],
        fontsize=8.5,
    )
