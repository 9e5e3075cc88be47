"""Figures of the book in one style.

* Palette: Okabe & Ito's colour-blind-safe set (Okabe & Ito 2008, "Color
  Universal Design"; Wong, Nat Methods 2011;8:441). The arms keep their
  colours on every page: reference (chemotherapy) vermillion, treatment
  (ICIs + chemotherapy) blue. Response categories use the other Okabe-Ito
  colours so they are never mistaken for an arm.
* Sizes for print: 9-10 pt text at the default 6.4 x 4.2 in figure.
* :func:`save_figure` writes byte-identical PNGs run after run (no software
  tag, no timestamps, fixed dpi; SVG ids are seeded).

Survival curves are drawn from fitted ``lifelines.KaplanMeierFitter`` objects
(keyed by role, ``reference`` / ``treatment``); the numbers at risk come from
``lifelines.plotting.add_at_risk_counts``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

# No matplotlib.use() here: the notebooks' inline backend must stay in force.
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch
from matplotlib.ticker import FixedLocator, PercentFormatter

#: Okabe-Ito palette, in the order of Wong (2011).
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "grey": "#999999",
}
#: Arm colours by role, the same on every figure.
ARM_COLOURS = {"reference": OKABE_ITO["vermillion"], "treatment": OKABE_ITO["blue"]}
ROLE_ORDER = ("treatment", "reference")
#: Best-response colours (no arm colour among them).
RESPONSE_COLOURS = {
    "CR": OKABE_ITO["bluish_green"],
    "PR": OKABE_ITO["sky_blue"],
    "SD": OKABE_ITO["yellow"],
    "PD": OKABE_ITO["reddish_purple"],
    "NE": OKABE_ITO["grey"],
}
RESPONSE_ORDER = ("CR", "PR", "SD", "PD", "NE")
#: x range of the forest plot; estimates beyond it are drawn at the edge.
X_LIMITS = (0.01, 100.0)
#: "S(t) equals 0.5" tolerance, as ``lcnec_utils.survival`` (R's quantile.survfit).
MEDIAN_TOLERANCE = float(np.sqrt(np.finfo(float).eps))
#: Above this many patients per arm, censor ticks are dropped and the curve
#: drawn thinner and resampled (thousands of ticks hide the curve).
LARGE_ARM = 500

STYLE = {
    "figure.figsize": (6.4, 4.2),
    "figure.dpi": 100,
    "savefig.dpi": 200,
    "font.size": 9.5,
    "axes.titlesize": 10.5,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.linewidth": 0.8,
    "lines.linewidth": 1.8,
    "axes.grid": False,
    "axes.prop_cycle": matplotlib.cycler(color=[
        OKABE_ITO[c] for c in ("blue", "vermillion", "bluish_green", "orange", "sky_blue",
                               "reddish_purple", "yellow", "black")]),
    "svg.hashsalt": "lcnec",
    "pdf.fonttype": 42,
    "font.family": "DejaVu Sans",
}


def set_style() -> dict[str, Any]:
    """Apply the book's matplotlib style (``STYLE``) and return it."""
    matplotlib.rcParams.update(STYLE)
    return dict(STYLE)


def save_figure(fig: Figure, path: str | Path, dpi: int = 200) -> Path:
    """Write ``fig`` so that two runs give identical bytes: fixed ``dpi``, the
    software/creation-date metadata removed (PNG ``Software``, PDF
    ``CreationDate``/``Producer``, SVG ``Date``), a fixed SVG hash salt; the
    format follows the file suffix (PNG by default)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fmt = (path.suffix.lstrip(".") or "png").lower()
    metadata: dict[str, Any]
    if fmt == "png":
        metadata = {"Software": None}
    elif fmt == "pdf":
        metadata = {"CreationDate": None, "Producer": None, "Creator": None}
    elif fmt == "svg":
        metadata = {"Date": None, "Creator": None}
    else:
        metadata = {}
    with matplotlib.rc_context({"svg.hashsalt": "lcnec"}):
        fig.savefig(path, format=fmt, dpi=dpi, metadata=metadata, bbox_inches="tight",
                    pad_inches=0.1, facecolor="white")
    return path


def _colour(role: str, i: int = 0) -> str:
    fallback = [OKABE_ITO["bluish_green"], OKABE_ITO["orange"], OKABE_ITO["reddish_purple"]]
    return ARM_COLOURS.get(role, fallback[i % len(fallback)])


def _label(kmf: Any, role: str) -> str:
    return str(getattr(kmf, "_label", None) or getattr(kmf, "label", None) or role)


def _ordered_roles(kmfs: Mapping[str, Any]) -> list[str]:
    return [r for r in ROLE_ORDER if r in kmfs] + [r for r in kmfs if r not in ROLE_ORDER]


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
        ax.step(t, s, where="post", color=colour, lw=1.2 if large else 1.8,
                label=_label(kmf, role), zorder=3)
        if ci:
            band = kmf.confidence_interval_survival_function_
            bt = band.index.to_numpy(float)
            ax.fill_between(bt, band.iloc[:, 0].to_numpy(float), band.iloc[:, 1].to_numpy(float),
                            step="post", color=colour, alpha=0.15, lw=0, zorder=1)
        if not large:
            et = kmf.event_table
            cens_t = et.index[(et["censored"] > 0).to_numpy()].to_numpy(float)
            if cens_t.size:
                ax.plot(cens_t, kmf.survival_function_at_times(cens_t).to_numpy(float),
                        ls="none", marker="|", ms=7, mew=1.2, color=colour, zorder=4)
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
        ax.text(0.98, 0.97, annotation, transform=ax.transAxes, ha="right", va="top",
                fontsize=9, bbox={"boxstyle": "round,pad=0.35", "fc": "white", "ec": "#BBBBBB"})
    if at_risk:
        from lifelines.plotting import add_at_risk_counts

        fitters = [kmfs[r] for r in roles]
        add_at_risk_counts(*fitters, ax=ax, rows_to_show=["At risk"],
                           labels=[_label(kmfs[r], r) for r in roles], fontsize=8.5)
    fig.tight_layout()
    return fig


def at_risk_rows(fig: Figure) -> int:
    """Number of arms in the at-risk table of a :func:`km_plot` figure (0 if none)."""
    for ax in fig.axes:
        labels = [t.get_text() for t in ax.get_xticklabels()]
        if labels and labels[0].startswith("At risk"):
            return len([ln for ln in labels[0].strip("\n").split("\n")[1:] if ln.strip()])
    return 0


def forest_plot(
    table: pd.DataFrame,
    title: str | None = None,
    xlabel: str = "Hazard ratio (log scale)",
    ax: plt.Axes | None = None,
    digits: int = 2,
) -> Figure:
    """Forest plot of hazard ratios, rows top to bottom in the table's order.

    ``table`` has a ``label`` (or ``term``) column and ``hr``, ``ci_low``,
    ``ci_high``, ``p``. Log-scale x axis (ratios are symmetric on it), a
    reference line at HR = 1, a square and whisker per row, and a text column
    "HR (95% CI)" and p on the right. Rows whose HR is missing or not finite
    are listed as "not estimable"; the axis spans at most 0.01-100 and an
    estimate or limit beyond it is drawn at the edge (open diamond, arrow
    head) while the text column keeps the number.
    """
    from lcnec_utils.tables import format_p

    set_style()
    label_col = "label" if "label" in table.columns else "term"
    df = table.reset_index(drop=True)
    n = len(df)
    if ax is None:
        fig, ax = plt.subplots(figsize=(7.2, 0.9 + 0.32 * max(n, 1)))
    else:
        fig = ax.figure
    y = np.arange(n)[::-1]

    def num(v: Any) -> float:
        try:
            v = float(v)
        except (TypeError, ValueError):
            return np.nan
        return v if np.isfinite(v) and v > 0 else np.nan

    hr = np.array([num(v) for v in df["hr"]])
    lo = np.array([num(v) for v in df["ci_low"]])
    hi = np.array([num(v) for v in df["ci_high"]])
    ok = ~np.isnan(hr)
    whisk = ok & ~np.isnan(lo) & ~np.isnan(hi)
    finite = np.concatenate([lo[whisk], hi[whisk], hr[ok], [1.0]])
    # separated models give HRs like 1e-9 or CIs to 1e4: the axis stops at
    # 0.01-100 and what lies beyond is drawn to the edge with an arrow head
    left = max(float(np.nanmin(finite)) / 1.25, X_LIMITS[0])
    right = min(float(np.nanmax(finite)) * 1.25, X_LIMITS[1])
    ax.set_xscale("log")
    ax.set_xlim(left, right)
    lo_c, hi_c, hr_c = np.clip(lo, left, right), np.clip(hi, left, right), np.clip(hr, left, right)
    ax.hlines(y[whisk], lo_c[whisk], hi_c[whisk], color="#333333", lw=1.2)
    for side, cut, marker in ((lo, lo < left, "<"), (hi, hi > right, ">")):
        sel = whisk & cut
        if sel.any():
            ax.plot(np.clip(side[sel], left, right), y[sel], ls="none", marker=marker, ms=5,
                    color="#333333", clip_on=False)
    inside = ok & (hr >= left) & (hr <= right)
    ax.plot(hr_c[inside], y[inside], ls="none", marker="s", ms=5.5, color=OKABE_ITO["blue"],
            zorder=3)
    outside = ok & ~inside
    if outside.any():
        ax.plot(hr_c[outside], y[outside], ls="none", marker="D", ms=5, mfc="white",
                color=OKABE_ITO["blue"], zorder=3, clip_on=False)
    ax.axvline(1.0, color="#777777", lw=0.9, ls="--", zorder=0)
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
    ax.set_yticks(y)
    ax.set_yticklabels([str(v) for v in df[label_col]])
    ax.set_ylim(-0.7, n + 0.1)
    ax.set_xlabel(xlabel)
    ax.spines["left"].set_visible(False)
    ax.tick_params(axis="y", length=0)
    if title:
        ax.set_title(title, loc="left")
    fig.tight_layout()
    fig.subplots_adjust(right=0.6)
    # text columns in figure coordinates, rows in data coordinates
    from matplotlib.transforms import blended_transform_factory

    trans = blended_transform_factory(fig.transFigure, ax.transData)
    x_hr, x_p = 0.63, 0.87
    ax.text(x_hr, n - 0.2, "HR (95% CI)", transform=trans, ha="left", va="center",
            fontweight="bold", fontsize=9)
    ax.text(x_p, n - 0.2, "p", transform=trans, ha="left", va="center", fontweight="bold",
            fontsize=9)
    for yi, h, l, u, p in zip(y, hr, lo, hi, df["p"] if "p" in df else [None] * n):
        if np.isnan(h):
            text = "not estimable"
        elif np.isnan(l) or np.isnan(u):
            text = f"{h:.{digits}f}"
        else:
            text = f"{h:.{digits}f} ({l:.{digits}f}–{u:.{digits}f})"
        ax.text(x_hr, yi, text, transform=trans, ha="left", va="center", fontsize=9)
        ax.text(x_p, yi, format_p(p), transform=trans, ha="left", va="center", fontsize=9)
    return fig


def _box(ax: plt.Axes, x: float, y: float, w: float, h: float, text: str, **kw: Any) -> None:
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h,
                                boxstyle="round,pad=0.01,rounding_size=0.015",
                                fc=kw.get("fc", "white"), ec=kw.get("ec", "#333333"), lw=1.0))
    if kw.get("align") == "left":
        ax.text(x - w / 2 + 0.02, y, text, ha="left", va="center", fontsize=kw.get("fontsize", 9))
    else:
        ax.text(x, y, text, ha="center", va="center", fontsize=kw.get("fontsize", 9))


def _arrow(ax: plt.Axes, xy_from: tuple[float, float], xy_to: tuple[float, float]) -> None:
    ax.annotate("", xy=xy_to, xytext=xy_from,
                arrowprops={"arrowstyle": "-|>", "color": "#333333", "lw": 1.0,
                            "shrinkA": 0, "shrinkB": 0})


def _role_labels(labels: Any) -> dict[str, str]:
    if hasattr(labels, "reference_group"):
        return {"reference": labels.reference_group, "treatment": labels.treatment_group}
    if isinstance(labels, Mapping):
        return {"reference": str(labels["reference"]), "treatment": str(labels["treatment"])}
    ref, trt = labels
    return {"reference": str(ref), "treatment": str(trt)}


def patient_flow(
    screened: int | None,
    excluded_reasons: Mapping[str, int] | None,
    included: int,
    n_reference: int,
    n_treatment: int,
    labels: Any,
    screened_text: str = "Patients assessed for eligibility",
    included_text: str = "Included in the analysis",
) -> Figure:
    """CONSORT-style flow diagram (Schulz et al., BMJ 2010;340:c332):
    assessed -> excluded (with reasons) -> included -> one box per arm.

    All numbers are arguments; ``labels`` is a ``Parameters`` object, a
    mapping role -> label, or a pair (reference, treatment). When the reasons
    do not add up to ``screened - included`` the remainder is shown as
    "reason not reported". ``screened=None`` (screening not known, e.g. a
    hospital's own export) starts the diagram at the included patients.
    """
    set_style()
    lab = _role_labels(labels)
    with_screening = screened is not None
    fig, ax = plt.subplots(figsize=(6.4, 4.8 if with_screening else 3.0))
    top = 1.0 if with_screening else 0.62
    ax.set_xlim(0, 1)
    ax.set_ylim(0, top)
    ax.axis("off")
    bw, bh = 0.46, 0.11 if with_screening else 0.16
    y_inc = 0.46
    if with_screening:
        excluded = int(screened) - int(included)
        reasons = {str(k): int(v) for k, v in (excluded_reasons or {}).items()}
        rest = excluded - sum(reasons.values())
        if rest > 0:
            reasons["reason not reported"] = rest
        _box(ax, 0.32, 0.9, bw, bh, f"{screened_text}\n(n = {screened})")
        import textwrap

        ex_lines = [f"Excluded (n = {excluded})"]
        for k, v in reasons.items():
            ex_lines += textwrap.wrap(f"• {k} (n = {v})", 30, subsequent_indent="   ")
        ex_h = 0.05 + 0.034 * len(ex_lines)
        _box(ax, 0.78, 0.68, 0.42, ex_h, "\n".join(ex_lines), fontsize=8.5, align="left")
        _arrow(ax, (0.32, 0.9 - bh / 2), (0.32, y_inc + bh / 2))
        _arrow(ax, (0.32, 0.68), (0.78 - 0.21, 0.68))
    _box(ax, 0.32, y_inc, bw, bh, f"{included_text}\n(n = {included})")
    y_arm = 0.14 if with_screening else 0.1
    _box(ax, 0.2, y_arm, 0.34, bh, f"{lab['treatment']}\n(n = {n_treatment})",
         ec=ARM_COLOURS["treatment"])
    _box(ax, 0.72, y_arm, 0.34, bh, f"{lab['reference']}\n(n = {n_reference})",
         ec=ARM_COLOURS["reference"])
    y_split = (y_inc - bh / 2 + y_arm + bh / 2) / 2
    ax.plot([0.2, 0.72], [y_split, y_split], color="#333333", lw=1.0)
    ax.plot([0.32, 0.32], [y_inc - bh / 2, y_split], color="#333333", lw=1.0)
    _arrow(ax, (0.2, y_split), (0.2, y_arm + bh / 2))
    _arrow(ax, (0.72, y_split), (0.72, y_arm + bh / 2))
    return fig


def _response_percentages(response: Any, params: Any = None) -> tuple[pd.DataFrame, dict[str, str]]:
    """Percent of each best-response category per role, from a
    :func:`lcnec_utils.tables.response_table` result or a cohort + params."""
    from lcnec_utils import tables

    if isinstance(response, pd.DataFrame):
        if params is None:
            raise ValueError("response_bar on a cohort needs params")
        response = tables.response_table(response, params)
    st = response.stats
    rows = {}
    for role in ("treatment", "reference"):
        rows[role] = {}
        for cat in RESPONSE_ORDER:
            sel = st[(st["key"] == cat.lower()) & (st["arm"] == role)]
            pct = None if sel.empty else sel.iloc[0]["pct"]
            rows[role][cat] = np.nan if pct is None else 100.0 * float(pct)
    return pd.DataFrame(rows).T, dict(response.labels)


def response_bar(response: Any, params: Any = None, ax: plt.Axes | None = None) -> Figure:
    """Stacked horizontal bars of best response (RECIST 1.1) per arm, in
    percent of the patients with a recorded response; segments >= 8 % carry
    their value. ``response`` is a ``response_table`` result or a cohort (then
    ``params`` is needed)."""
    set_style()
    pct, labels = _response_percentages(response, params)
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.4, 2.4))
    else:
        fig = ax.figure
    roles = list(pct.index)
    if not np.nansum(pct.to_numpy(float)):
        ax.axis("off")
        ax.text(0.5, 0.5, "No best-response data.", ha="center", va="center",
                transform=ax.transAxes)
        return fig
    y = np.arange(len(roles))[::-1]
    left = np.zeros(len(roles))
    for cat in RESPONSE_ORDER:
        vals = pct[cat].fillna(0).to_numpy(float)
        if not vals.any():
            continue
        ax.barh(y, vals, left=left, color=RESPONSE_COLOURS[cat], edgecolor="white", lw=0.6,
                label=cat, height=0.6)
        for yi, l0, v in zip(y, left, vals):
            if v >= 8:
                ax.text(l0 + v / 2, yi, f"{v:.0f}", ha="center", va="center", fontsize=8.5,
                        color="black")
        left += vals
    ax.set_yticks(y)
    ax.set_yticklabels([labels.get(r, r) for r in roles])
    for tick, r in zip(ax.get_yticklabels(), roles):
        tick.set_color(ARM_COLOURS.get(r, "black"))
    ax.set_xlim(0, 100)
    ax.xaxis.set_major_formatter(PercentFormatter(100, decimals=0))
    ax.set_xlabel("Patients (%)")
    ax.legend(ncol=5, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    fig.tight_layout()
    return fig


def irae_bar(safety: Any, ax: plt.Axes | None = None) -> Figure:
    """Horizontal bars of the share of treated patients with each
    immune-related AE (treatment arm), split into grade 1–2 and grade ≥3.
    ``safety`` is a :func:`lcnec_utils.tables.safety_tables` result; without
    an AE table the figure says so instead of failing."""
    set_style()
    data = safety.irae.data
    if ax is None:
        n_rows = max(1, data["key"].nunique() if len(data) else 1)
        fig, ax = plt.subplots(figsize=(6.4, 0.8 + 0.35 * n_rows))
    else:
        fig = ax.figure
    trt = data[data["arm"] == "treatment"] if len(data) else data
    if trt.empty:
        ax.axis("off")
        msg = safety.irae.notes[0] if safety.irae.notes else "No immune-related adverse events."
        ax.text(0.5, 0.5, msg, ha="center", va="center", transform=ax.transAxes)
        return fig
    trt = trt.reset_index(drop=True)
    y = np.arange(len(trt))[::-1]
    n_arm = trt["n_arm"].astype(float).to_numpy()
    if not (n_arm > 0).all():
        ax.axis("off")
        ax.text(0.5, 0.5, f"No patients in the {safety.irae.labels['treatment']} arm.",
                ha="center", va="center", transform=ax.transAxes)
        return fig
    low = 100 * (trt["grade_1"] + trt["grade_2"] + trt["grade_unknown"]).astype(float).to_numpy() / n_arm
    high = 100 * trt["grade3plus"].astype(float).to_numpy() / n_arm
    ax.barh(y, low, color=OKABE_ITO["sky_blue"], height=0.6, label="Grade 1–2")
    ax.barh(y, high, left=low, color=OKABE_ITO["reddish_purple"], height=0.6, label="Grade ≥3")
    ax.set_yticks(y)
    ax.set_yticklabels(trt["label"].astype(str).tolist())
    ax.xaxis.set_major_formatter(PercentFormatter(100, decimals=0))
    ax.set_xlabel(f"Patients of the {safety.irae.labels['treatment']} arm (%)")
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig
