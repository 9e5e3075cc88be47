"""Figures of the methods chapters, in the book's style (:mod:`lcnec_utils.plots`).

Every function applies :func:`lcnec_utils.plots.set_style`, keeps the arms in
their colours (``plots.ARM_COLOURS``: treatment blue, reference vermillion)
and returns the matplotlib ``Figure``; nothing is saved here (use
``plots.save_figure``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from lcnec_utils.plots.style import ARM_COLOURS, OKABE_ITO, set_style
from lcnec_utils.stats.format import ci_label

GREY = "#777777"


def _finish(fig: Figure, ax, title: str | None) -> Figure:
    """Every methods figure ends alike: the optional title flush left, then a tight layout."""
    if title:
        ax.set_title(title, loc="left")
    fig.tight_layout()
    return fig


def _label_log_axis(ax, ticks) -> None:
    """Label an x axis drawn on the log scale (values are log(x)) with the ``ticks`` in view."""
    ticks = np.asarray(ticks, dtype=float)
    lo, hi = ax.get_xlim()
    shown = ticks[(np.log(ticks) >= lo) & (np.log(ticks) <= hi)]
    ax.set_xticks(np.log(shown))
    ax.set_xticklabels([f"{t:g}" for t in shown])


def median_intervals(table: pd.DataFrame, title: str | None = None) -> Figure:
    """Each CI method's interval for the median, one row per method, both arms (``medians.median_table``).

    A limit that is not reached is drawn to the right edge with an arrow; the
    arms' medians (first time at or below 0.5) are the dotted verticals.
    """
    set_style()
    methods = list(dict.fromkeys(table["method"]))
    labels = list(dict.fromkeys(table["label"]))
    fig, ax = plt.subplots(figsize=(6.8, 1.0 + 0.42 * len(methods)))
    finite = pd.to_numeric(table[["ci_low", "ci_high"]].stack(), errors="coerce").dropna()
    right = float(finite.max()) * 1.08 if len(finite) else 1.0
    left = min(0.0, float(finite.min()) * 1.08) if len(finite) else 0.0
    offsets = {"treatment": 0.14, "reference": -0.14}
    for role, sub in table.groupby("role", sort=False):
        colour = ARM_COLOURS.get(role, GREY)
        group = sub["group"].iloc[0]
        for i, m in enumerate(methods):
            r = sub[sub["method"] == m].iloc[0]
            y = len(methods) - 1 - i + offsets.get(role, 0)
            lo = r["ci_low"] if pd.notna(r["ci_low"]) else None
            hi = r["ci_high"] if pd.notna(r["ci_high"]) else None
            if lo is None and hi is None:
                continue
            x0 = left if lo is None else lo
            x1 = right if hi is None else hi
            ax.hlines(y, x0, x1, color=colour, lw=2.2, label=group if i == 0 else None)
            if hi is None:
                ax.plot(right, y, marker=">", color=colour, ms=6, clip_on=False)
        med = sub["median"].iloc[0]
        if pd.notna(med):
            ax.axvline(float(med), color=colour, ls=":", lw=1.2)
    ax.set_yticks(range(len(methods)))
    ax.set_yticklabels(labels[::-1])
    ax.set_xlim(left, right)
    ax.set_xlabel("Months")
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2)
    return _finish(fig, ax, title)


def bootstrap_histogram(
    hr_samples: np.ndarray,
    hr: float | None,
    ci: tuple[float | None, float | None],
    title: str | None = None,
    alpha: float = 0.05,
) -> Figure:
    """Histogram of the bootstrap HRs (log scale) with the original HR and the percentile CI
    (its level that of ``alpha``, the one it was computed at)."""
    set_style()
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    x = np.log(np.asarray(hr_samples, dtype=float))
    if x.size:
        ax.hist(x, bins=40, color=OKABE_ITO["sky_blue"], edgecolor="white", lw=0.4)
    if hr is not None:
        ax.axvline(np.log(hr), color=ARM_COLOURS["treatment"], lw=1.8, label=f"HR on the data: {hr:.2f}")
    for j, v in enumerate(ci):
        if v is not None:
            ax.axvline(
                np.log(v),
                color=GREY,
                ls="--",
                lw=1.2,
                label=f"percentile {ci_label(alpha)}" if j == 0 else None,
            )
    ax.axvline(0.0, color="black", lw=0.8)
    _label_log_axis(ax, [0.001, 0.01, 0.1, 0.5, 1, 2, 10, 100, 1000])
    ax.set_xlabel("Hazard ratio of the arm in the resample (log scale)")
    ax.set_ylabel("Resamples")
    ax.legend(loc="upper left")
    return _finish(fig, ax, title)


def beta_t_plot(
    points: pd.DataFrame,
    band: pd.DataFrame | None,
    ticks: tuple[np.ndarray, list[str]] | None = None,
    title: str | None = None,
    label: str = "arm",
) -> Figure:
    """β(t) of a term as R's ``plot(cox.zph(fit))`` draws it: scaled Schoenfeld residuals + β̂ against
    cox.zph's time scale g = 1 − KM(t−) (``points``: ``methods.beta_t``), the natural-spline fit and
    its pointwise ±2 SE band shaded (``band``: ``methods.zph_band``; None draws the points alone, as
    R skips a singular fit), and the constant β̂. The x axis is g, labelled in months at ``ticks``
    (``methods.zph_axis_ticks``: R's labels). A flat fit around the dashed line is what proportional
    hazards predict; the y axis is the log hazard ratio.
    """
    set_style()
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    ax.scatter(
        points["g"],
        points["beta_t"],
        s=16,
        color=OKABE_ITO["grey"],
        zorder=2,
        label="scaled Schoenfeld residual + β̂",
    )
    if band is not None:
        k = float(np.median((band["high"] - band["fit"]) / band["se"]))  # the band's own multiplier
        ax.fill_between(
            band["g"],
            band["low"],
            band["high"],
            color=OKABE_ITO["sky_blue"],
            alpha=0.35,
            lw=0,
            zorder=1,
            label=f"pointwise band, fit ± {k:.3g} SE",
        )
        ax.plot(
            band["g"], band["fit"], color=ARM_COLOURS["treatment"], lw=2, zorder=3, label="spline fit: β(t)"
        )
    b = float(points["beta"].iloc[0]) if len(points) else 0.0
    ax.axhline(b, color=GREY, ls="--", lw=1.2, label=f"Cox model's constant β̂ (HR {np.exp(b):.2f})")
    ax.axhline(0.0, color="black", lw=0.8)
    if ticks is not None:
        ax.set_xticks(ticks[0])
        ax.set_xticklabels(ticks[1])
    ax.set_xlabel("Months, on the test's time scale (1 − Kaplan-Meier)")
    ax.set_ylabel(f"log hazard ratio of the {label}")
    ax.legend(loc="best", fontsize=8)
    return _finish(fig, ax, title)


def loglog_plot(kmfs: Mapping[str, Any], title: str | None = None) -> Figure:
    """log(-log Ŝ(t)) against log t per arm: parallel curves are what proportional hazards predict."""
    set_style()
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    for role in ("treatment", "reference"):
        if role not in kmfs:
            continue
        kmf = kmfs[role]
        sf = kmf.survival_function_.iloc[:, 0]
        ok = (sf > 0) & (sf < 1) & (sf.index > 0)
        t, s = sf.index[ok].to_numpy(float), sf[ok].to_numpy(float)
        ax.step(np.log(t), np.log(-np.log(s)), where="post", color=ARM_COLOURS[role], label=str(kmf.label))
    _label_log_axis(ax, [1, 2, 3, 6, 12, 24, 48])
    ax.set_xlabel("Months (log scale)")
    ax.set_ylabel("log(−log S(t))")
    ax.legend(loc="upper left")
    return _finish(fig, ax, title)


def propensity_overlap(frame: pd.DataFrame, labels: Mapping[str, str], title: str | None = None) -> Figure:
    """Propensity scores per arm (strip plot): where the arms do not overlap, weights explode."""
    set_style()
    fig, ax = plt.subplots(figsize=(6.4, 2.6))
    rng = np.random.default_rng(0)  # vertical jitter only, fixed
    for y, role, a in ((1, "treatment", 1), (0, "reference", 0)):
        ps = frame.loc[frame["treatment"] == a, "ps"].to_numpy(float)
        size = 12 + 18 * frame.loc[frame["treatment"] == a, "weight"].to_numpy(float)
        ax.scatter(ps, y + rng.uniform(-0.12, 0.12, ps.size), s=size, color=ARM_COLOURS[role], alpha=0.8)
    ax.set_yticks([1, 0])
    ax.set_yticklabels([labels["treatment"], labels["reference"]])
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.5, 1.5)
    ax.set_xlabel("Propensity score (probability of the treatment arm); dot area ∝ stabilised weight")
    ax.tick_params(axis="y", length=0)
    return _finish(fig, ax, title)


def love_plot(balance: pd.DataFrame, threshold: float = 0.1, title: str | None = None) -> Figure:
    """Absolute standardised mean differences before (open) and after (filled) weighting."""
    set_style()
    n = len(balance)
    fig, ax = plt.subplots(figsize=(6.4, 0.9 + 0.45 * n))
    y = np.arange(n)[::-1]
    ax.scatter(
        balance["smd_before"].abs(),
        y,
        facecolors="white",
        edgecolors="black",
        s=40,
        label="before weighting",
        zorder=3,
    )
    ax.scatter(
        balance["smd_after"].abs(), y, color=OKABE_ITO["blue"], s=40, label="after weighting", zorder=3
    )
    ax.axvline(threshold, color=GREY, ls="--", lw=1)
    ax.set_yticks(y)
    ax.set_yticklabels(balance["label"])
    ax.set_xlabel("|standardised mean difference|")
    ax.set_xlim(0, max(0.3, float(np.nanmax(balance[["smd_before", "smd_after"]].abs().to_numpy())) * 1.15))
    ax.legend(loc="lower right")
    ax.tick_params(axis="y", length=0)
    return _finish(fig, ax, title)


def rmst_curve_plot(curve: pd.DataFrame, taus=(), title: str | None = None, alpha: float = 0.05) -> Figure:
    """RMST difference (treatment - reference) against τ with its pointwise CI (level of ``alpha``,
    the one ``methods.rmst_curve`` computed it at: ``params.alpha``)."""
    set_style()
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    ax.fill_between(
        curve["tau"],
        curve["ci_low"],
        curve["ci_high"],
        color=OKABE_ITO["sky_blue"],
        alpha=0.35,
        lw=0,
        label=ci_label(alpha),
    )
    ax.plot(curve["tau"], curve["difference"], color=ARM_COLOURS["treatment"], lw=2, label="difference")
    ax.axhline(0, color="black", lw=0.8)
    for tau in taus:
        if tau <= curve["tau"].max():
            ax.axvline(tau, color=GREY, ls=":", lw=1)
    ax.set_xlabel("τ, months")
    ax.set_ylabel("RMST difference, months")
    ax.legend(loc="upper left")
    return _finish(fig, ax, title)


def power_curve_plot(curve: pd.DataFrame, observed_n: int, title: str | None = None) -> Figure:
    """Simulated (points, ±2 MC SE) and Schoenfeld (line) power against total sample size."""
    set_style()
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    ax.plot(curve["n"], curve["analytic"], color=GREY, lw=1.5, label="Schoenfeld formula, expected events")
    ax.errorbar(
        curve["n"],
        curve["simulated"],
        yerr=2 * curve["mc_se"],
        fmt="o",
        color=ARM_COLOURS["treatment"],
        ms=5,
        capsize=2,
        label="simulated log-rank power",
    )
    for level in (0.8, 0.9):
        ax.axhline(level, color=GREY, ls=":", lw=1)
    ax.axvline(
        observed_n, color=ARM_COLOURS["reference"], ls="--", lw=1.2, label=f"this study (n = {observed_n})"
    )
    ax.set_ylim(0, 1)
    ax.set_xlabel("Patients in total")
    ax.set_ylabel("Power")
    ax.legend(loc="lower right")
    return _finish(fig, ax, title)
