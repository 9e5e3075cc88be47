"""Forest plots of hazard ratios (log axis, one row per term, the reference level named)."""

from __future__ import annotations

import textwrap
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator
from matplotlib.transforms import blended_transform_factory

from lcnec_utils.plots.style import OKABE_ITO, set_style
from lcnec_utils.stats.format import ci_label, format_bootstrap_ci, format_hr_ci, format_p

#: x range of the forest plot; estimates beyond it are drawn at the edge.
X_LIMITS = (0.01, 100.0)

#: Row labels longer than this many characters are wrapped onto further lines, so that a long model
#: name ("The model fitted here (the arm and 10 of the paper's 11 covariates)") leaves the axis its width.
LABEL_WIDTH = 40
#: The least space (figure fraction) between the widest "HR (95% CI)" cell and the p column.
P_GAP = 0.02


def forest_plot(
    table: pd.DataFrame,
    title: str | None = None,
    xlabel: str = "Hazard ratio (log scale)",
    ax: plt.Axes | None = None,
    digits: int = 2,
    alpha: float = 0.05,
) -> Figure:
    """Forest plot of hazard ratios, rows top to bottom in the table's order.

    ``table`` has a ``label`` (or ``term``) column and ``hr``, ``ci_low``,
    ``ci_high``, ``p``. Log-scale x axis (ratios are symmetric on it), a
    reference line at HR = 1, a square and whisker per row, and a text column
    "HR (95% CI)" and p on the right, the level that of ``alpha``, at which the table's
    intervals were computed (``params.alpha``). Rows whose HR is missing or not finite
    are listed as "not estimable"; the axis spans at most 0.01-100 and an
    estimate or limit beyond it is drawn at the edge (open diamond, arrow
    head) while the text column keeps the number. A label longer than :data:`LABEL_WIDTH`
    characters is wrapped at spaces, the figure taller by the lines it adds. A row whose optional
    ``bootstrap`` column is true has a bootstrap percentile interval, whose bounds the resamples can push
    towards 0: its text is :func:`~lcnec_utils.stats.format.format_bootstrap_ci`'s, as the tables print
    it ("0.46 (below 0.001 to 2.89)", not "0.46 (0.00–2.89)"), and "—" where a bound or the HR is
    missing, as the table's cell (it printed the HR alone); the other rows keep ``digits`` decimals.
    """
    set_style()
    label_col = "label" if "label" in table.columns else "term"
    df = table.reset_index(drop=True)
    n = len(df)
    labels = [textwrap.fill(str(v), LABEL_WIDTH) for v in df[label_col]]
    extra_lines = sum(label.count("\n") for label in labels)
    if ax is None:
        fig, ax = plt.subplots(figsize=(7.2, 0.9 + 0.32 * max(n, 1) + 0.16 * extra_lines))
    else:
        fig = ax.figure
    y = np.arange(n)[::-1]
    hr = np.array([_positive(v) for v in df["hr"]])
    lo = np.array([_positive(v) for v in df["ci_low"]])
    hi = np.array([_positive(v) for v in df["ci_high"]])
    ok = ~np.isnan(hr)
    whisk = ok & ~np.isnan(lo) & ~np.isnan(hi)
    left, right = _x_range(hr[ok], lo[whisk], hi[whisk])
    ax.set_xscale("log")
    ax.set_xlim(left, right)
    _draw_whiskers(ax, y, lo, hi, whisk, left, right)
    _draw_estimates(ax, y, hr, ok, left, right)
    ax.axvline(1.0, color="#777777", lw=0.9, ls="--", zorder=0)
    _set_ratio_ticks(ax, left, right)
    ax.set_yticks(y)
    ax.set_yticklabels(labels)
    ax.set_ylim(-0.7, n + 0.1)
    ax.set_xlabel(xlabel)
    ax.spines["left"].set_visible(False)
    ax.tick_params(axis="y", length=0)
    if title:
        ax.set_title(title, loc="left")
    fig.tight_layout()
    fig.subplots_adjust(right=0.6)
    p = df["p"] if "p" in df else [None] * n
    boot = df["bootstrap"].eq(True).tolist() if "bootstrap" in df else [False] * n
    texts = [format_bootstrap_ci(h, low, u) if b else None for h, low, u, b in zip(hr, lo, hi, boot)]
    _write_text_columns(fig, ax, y, hr, lo, hi, p, n, digits, alpha, texts)
    return fig


def _positive(v: Any) -> float:
    """``v`` as a float if it is a finite positive number (a ratio), else NaN."""
    try:
        v = float(v)
    except (TypeError, ValueError):
        return np.nan
    return v if np.isfinite(v) and v > 0 else np.nan


def _x_range(hr: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[float, float]:
    """The x range: the estimates, limits and 1 with a margin, within :data:`X_LIMITS`.

    Separated models give HRs like 1e-9 or CIs to 1e4: the axis stops at
    0.01-100 and what lies beyond is drawn at the edge.
    """
    finite = np.concatenate([lo, hi, hr, [1.0]])
    left = max(float(np.nanmin(finite)) / 1.25, X_LIMITS[0])
    right = min(float(np.nanmax(finite)) * 1.25, X_LIMITS[1])
    return left, right


def _draw_whiskers(
    ax: plt.Axes, y: np.ndarray, lo: np.ndarray, hi: np.ndarray, whisk: np.ndarray, left: float, right: float
) -> None:
    """Each row's CI, clipped to the axis, with an arrow head where a limit lies beyond it."""
    lo_c, hi_c = np.clip(lo, left, right), np.clip(hi, left, right)
    ax.hlines(y[whisk], lo_c[whisk], hi_c[whisk], color="#333333", lw=1.2)
    for side, cut, marker in ((lo, lo < left, "<"), (hi, hi > right, ">")):
        sel = whisk & cut
        if sel.any():
            ax.plot(
                np.clip(side[sel], left, right),
                y[sel],
                ls="none",
                marker=marker,
                ms=5,
                color="#333333",
                clip_on=False,
            )


def _draw_estimates(
    ax: plt.Axes, y: np.ndarray, hr: np.ndarray, ok: np.ndarray, left: float, right: float
) -> None:
    """A square per estimate on the axis; an open diamond at the edge for one beyond it."""
    hr_c = np.clip(hr, left, right)
    inside = ok & (hr >= left) & (hr <= right)
    ax.plot(hr_c[inside], y[inside], ls="none", marker="s", ms=5.5, color=OKABE_ITO["blue"], zorder=3)
    outside = ok & ~inside
    if outside.any():
        ax.plot(
            hr_c[outside],
            y[outside],
            ls="none",
            marker="D",
            ms=5,
            mfc="white",
            color=OKABE_ITO["blue"],
            zorder=3,
            clip_on=False,
        )


def _set_ratio_ticks(ax: plt.Axes, left: float, right: float) -> None:
    """Round ratios as ticks, fewer the wider the range."""
    ratio = right / left
    if ratio > 200:
        nice = np.array([0.01, 0.1, 1, 10, 100])
    elif ratio > 12:
        nice = np.array([0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100])
    else:
        nice = np.array([0.1, 0.2, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4, 5, 10])
    ax.xaxis.set_major_locator(FixedLocator(nice[(nice >= left) & (nice <= right)]))
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_locator(plt.NullLocator())


def _write_text_columns(
    fig: Figure,
    ax: plt.Axes,
    y: np.ndarray,
    hr: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    p: Any,
    n: int,
    digits: int,
    alpha: float,
    texts: list[str | None],
) -> None:
    """The "HR (95% CI)" (level of ``alpha``) and p columns right of the axis (figure x, row y);
    the numbers as given, also where the marks are clipped; a row's text in ``texts`` where it is not
    None (a bootstrap row's)."""
    trans = blended_transform_factory(fig.transFigure, ax.transData)
    x_hr, x_p = 0.63, 0.87
    ax.text(
        x_hr,
        n - 0.2,
        f"HR ({ci_label(alpha)})",
        transform=trans,
        ha="left",
        va="center",
        fontweight="bold",
        fontsize=9,
    )
    p_texts = [
        ax.text(x_p, n - 0.2, "p", transform=trans, ha="left", va="center", fontweight="bold", fontsize=9)
    ]
    cells = []
    for yi, h, low, u, pi, given in zip(y, hr, lo, hi, p, texts):
        if given is not None:
            text = given
        elif np.isnan(h):
            text = "not estimable"
        elif np.isnan(low) or np.isnan(u):
            text = f"{h:.{digits}f}"
        else:
            text = format_hr_ci(h, low, u, digits, sep="–")
        cells.append(ax.text(x_hr, yi, text, transform=trans, ha="left", va="center", fontsize=9))
        p_texts.append(ax.text(x_p, yi, format_p(pi), transform=trans, ha="left", va="center", fontsize=9))
    # the p column starts past the widest HR cell (a bootstrap row's "below 0.001 to ..." is long)
    renderer = fig.canvas.get_renderer()
    to_figure = fig.transFigure.inverted()
    widest = max((to_figure.transform(c.get_window_extent(renderer))[1, 0] for c in cells), default=0.0)
    for t in p_texts:
        t.set_x(max(x_p, widest + P_GAP))
