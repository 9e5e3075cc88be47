"""Figures of the chapters on questions immunotherapy studies raise (15 to 19), in the book's style.

Every function applies :func:`lcnec_utils.plots.style.set_style` and returns
the matplotlib ``Figure``; the treatment arm keeps its colour
(``ARM_COLOURS``), other lines take Okabe-Ito colours and distinct dash
patterns, so that no line is told apart by colour alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MultipleLocator, PercentFormatter
from scipy import stats

from lcnec_utils.plots.methods import GREY
from lcnec_utils.plots.style import ARM_COLOURS, OKABE_ITO, set_style
from lcnec_utils.plots.survival import km_plot
from lcnec_utils.stats.format import ci_label
from lcnec_utils.stats.posterior import normal_posterior

#: One colour and dash pattern per FH weight, in the order of the max-combo set; no arm colour among
#: them (a weight belongs to no arm).
WEIGHT_STYLES = (
    (OKABE_ITO["black"], "-"),
    (OKABE_ITO["orange"], "--"),
    (OKABE_ITO["reddish_purple"], "-."),
    (OKABE_ITO["bluish_green"], ":"),
)


def _hr_axis(ax, ticks=(0.1, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 3), axis: str = "y") -> None:
    """Label a log-HR axis (values are log HR) with HR ``ticks`` in view."""
    lo, hi = ax.get_ylim() if axis == "y" else ax.get_xlim()
    t = np.asarray(ticks, float)
    shown = t[(np.log(t) >= lo) & (np.log(t) <= hi)]
    if axis == "y":
        ax.set_yticks(np.log(shown), [f"{v:g}" for v in shown])
    else:
        ax.set_xticks(np.log(shown), [f"{v:g}" for v in shown])


def landmark_curve_plot(
    curve: pd.DataFrame, landmark: float, title: str | None = None, alpha: float = 0.05
) -> Figure:
    """The arm's HR from the landmark on (log scale) with its CI (level of ``alpha``, the one the
    curve was computed at: ``params.alpha``), against the landmark.

    The dashed vertical marks the landmark in force; landmark 0 is the
    ordinary analysis from time zero. Steps change only where an event is
    left out.
    """
    set_style()
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    ok = curve.dropna(subset=["hr"])
    x = ok["landmark"].to_numpy(float)
    ax.fill_between(
        x,
        np.log(ok["ci_low"].astype(float)),
        np.log(ok["ci_high"].astype(float)),
        step="post",
        color=OKABE_ITO["sky_blue"],
        alpha=0.35,
        lw=0,
        label=ci_label(alpha),
    )
    ax.step(x, np.log(ok["hr"].astype(float)), where="post", color=ARM_COLOURS["treatment"], lw=2, label="HR")
    ax.axhline(0.0, color="black", lw=0.8)
    ax.axvline(landmark, color=GREY, ls="--", lw=1.2, label=f"landmark in force ({landmark:g} months)")
    _hr_axis(ax)
    ax.set_xlabel("Landmark, months after the start of treatment")
    ax.set_ylabel("Hazard ratio from the landmark on (log scale)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3, fontsize=8)
    if title:
        ax.set_title(title, loc="left")
    fig.tight_layout()
    return fig


def fh_weights_plot(curves: pd.DataFrame, labels: Mapping[str, str], title: str | None = None) -> Figure:
    """Top: the four FH weights at each event time. Bottom: the running (unweighted) O − E of the
    treatment arm, the log-rank numerator: where it falls, that arm has fewer events than expected."""
    set_style()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6.4, 5.2), sharex=True, height_ratios=(3, 2))
    t = np.concatenate(([0.0], curves["time"].to_numpy(float)))
    weight_cols = [c for c in curves.columns if c.startswith("w_")]
    for (colour, dash), col in zip(WEIGHT_STYLES, weight_cols):
        w = curves[col].to_numpy(float)
        top.step(t, np.concatenate(([w[0]], w)), where="pre", color=colour, ls=dash, lw=1.8, label=col[2:])
    top.set_ylim(-0.03, 1.05)
    top.set_ylabel("Weight of an event at t")
    top.legend(loc="center right", fontsize=8, ncol=2)
    cum = np.concatenate(([0.0], curves["cumulative_o_minus_e"].to_numpy(float)))
    bottom.step(t, cum, where="post", color=ARM_COLOURS["treatment"], lw=2)
    bottom.axhline(0.0, color="black", lw=0.8)
    trt = curves["time"][curves["d1"] > 0]
    ref = curves["time"][curves["d"] > curves["d1"]]
    lo = float(min(cum.min(), 0.0)) - 0.12 * float(max(np.ptp(cum), 1.0))
    bottom.plot(
        trt, np.full(len(trt), lo), "|", color=ARM_COLOURS["treatment"], ms=9, label=labels["treatment"]
    )
    bottom.plot(ref, np.full(len(ref), lo), "|", color=ARM_COLOURS["reference"], ms=9, mew=1.5)
    bottom.plot([], [], "|", color=ARM_COLOURS["reference"], label=labels["reference"])
    bottom.set_ylabel("Running O − E,\ntreatment arm")
    bottom.set_xlabel("Months (ticks: events in each arm)")
    bottom.legend(loc="upper right", fontsize=8, title="events", title_fontsize=8)
    if title:
        top.set_title(title, loc="left")
    fig.tight_layout()
    return fig


def bayes_plot(
    priors: Mapping[str, Any],
    likelihood: Any,
    grids: Mapping[str, Any],
    order: Sequence[str] = ("sceptical", "neutral", "enthusiastic"),
    title: str | None = None,
) -> Figure:
    """One panel per prior: prior, likelihood and posterior densities of the log HR, HR labels.

    ``priors`` maps names to objects with ``mean``/``sd``; ``likelihood`` has
    ``estimate``/``se`` (normal approximation, drawn as a density; None if not
    finite); ``grids`` maps names to grid posteriors (``beta``, ``density``).
    """
    set_style()
    names = [n for n in order if n in priors]
    fig, axes = plt.subplots(1, len(names), figsize=(7.2, 3.0), sharey=True, squeeze=False)
    x = np.linspace(np.log(0.1), np.log(3.0), 600)
    for ax, name in zip(axes[0], names):
        prior = priors[name]
        ax.plot(x, stats.norm.pdf(x, prior.mean, prior.sd), color=GREY, ls="--", lw=1.5, label="prior")
        if likelihood.estimate is not None:
            lik = stats.norm.pdf(x, likelihood.estimate, likelihood.se)
            ax.plot(x, lik, color=OKABE_ITO["orange"], ls=":", lw=1.8, label="likelihood (normal approx.)")
            approx = normal_posterior(prior.mean, prior.sd, likelihood.estimate, likelihood.se)
            post = stats.norm.pdf(x, approx.mean, approx.sd)
            ax.plot(x, post, color=ARM_COLOURS["treatment"], lw=2, label="posterior (normal approx.)")
        g = grids[name]
        ax.plot(g.beta, g.density, color=OKABE_ITO["black"], ls="-.", lw=1.2, label="posterior (exact grid)")
        ax.axvline(0.0, color="black", lw=0.8)
        ax.set_xlim(x[0], x[-1])
        _hr_axis(ax, ticks=(0.1, 0.25, 0.5, 1, 2), axis="x")
        ax.set_title(name, loc="left", fontsize=9.5)
        ax.set_xlabel("HR (log scale)")
    axes[0][0].set_ylabel("Density of the log HR")
    axes[0][0].set_ylim(bottom=0)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=2, fontsize=8, bbox_to_anchor=(0.5, -0.02))
    if title:
        fig.suptitle(title, x=0.01, ha="left", fontsize=10.5)
    fig.tight_layout(rect=(0, 0.14, 1, 1))
    return fig


def cure_fit_plot(
    kmfs: Mapping[str, Any],
    fits: Mapping[str, Any],
    endpoint_label: str,
    title: str | None = None,
) -> Figure:
    """Kaplan-Meier curves of the arms (:func:`lcnec_utils.plots.survival.km_plot`, numbers at risk
    below) with each arm's fitted mixture cure model, c + (1 − c) exp(−(t/λ)^ρ), dashed in the arm's
    colour to the end of the axis, and its cure fraction c as a dotted level.

    ``fits`` maps a role to an object with ``cure_fraction`` and ``survival(times)`` (None when
    the arm could not be fitted).
    """
    fig = km_plot(kmfs, endpoint_label, median_lines=False, title=title)
    ax = fig.axes[0]
    grid = np.linspace(0.0, ax.get_xlim()[1], 400)
    for role, fit in fits.items():
        if fit is None:
            continue
        colour = ARM_COLOURS.get(role, OKABE_ITO["black"])
        label = f"{kmfs[role].label}: cure model"
        ax.plot(grid, fit.survival(grid), color=colour, ls="--", lw=1.4, label=label, zorder=2)
        ax.axhline(fit.cure_fraction, color=colour, ls=":", lw=1.0, zorder=1)
    ax.legend(loc="upper right", fontsize=8)
    return fig


def cumulative_incidence_plot(
    arms: Sequence[Any], labels: Mapping[str, str], title: str | None = None
) -> Figure:
    """Cumulative incidence of the first irAE per arm: the Aalen-Johansen estimate (solid) and the
    naive 1 − Kaplan-Meier that censors deaths (dashed), in the arm's colour.

    ``arms`` are objects with ``role`` and ``cif``, ``naive`` frames (``time``, ``cif``; step
    functions from time 0).
    """
    set_style()
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    top = 0.0
    for arm in arms:
        colour = ARM_COLOURS.get(arm.role, OKABE_ITO["black"])
        for curve, dash, what in ((arm.cif, "-", "Aalen-Johansen"), (arm.naive, "--", "1 − KM")):
            t = curve["time"].to_numpy(float)
            v = curve["cif"].to_numpy(float)
            ax.step(t, v, where="post", color=colour, ls=dash, lw=1.8, label=f"{labels[arm.role]}: {what}")
            top = max(top, float(v.max()) if v.size else 0.0)
    ax.set_ylim(0, min(1.0, max(0.2, 1.25 * top + 0.05)))
    ax.set_xlim(left=0)
    ax.xaxis.set_major_locator(MultipleLocator(6))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel("Months after the start of treatment")
    ax.set_ylabel("Cumulative incidence of the first irAE")
    ax.legend(loc="upper left", fontsize=8)
    if title:
        ax.set_title(title, loc="left")
    fig.tight_layout()
    return fig
