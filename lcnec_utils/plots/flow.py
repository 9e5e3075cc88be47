"""The patient-flow diagram (the paper's Figure 1), from the counts of the cohort in force."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from lcnec_utils.plots.style import ARM_COLOURS, set_style


def _box(ax: plt.Axes, x: float, y: float, w: float, h: float, text: str, **kw: Any) -> None:
    ax.add_patch(
        FancyBboxPatch(
            (x - w / 2, y - h / 2),
            w,
            h,
            boxstyle="round,pad=0.01,rounding_size=0.015",
            fc=kw.get("fc", "white"),
            ec=kw.get("ec", "#333333"),
            lw=1.0,
        )
    )
    if kw.get("align") == "left":
        ax.text(x - w / 2 + 0.02, y, text, ha="left", va="center", fontsize=kw.get("fontsize", 9))
    else:
        ax.text(x, y, text, ha="center", va="center", fontsize=kw.get("fontsize", 9))


def _arrow(ax: plt.Axes, xy_from: tuple[float, float], xy_to: tuple[float, float]) -> None:
    ax.annotate(
        "",
        xy=xy_to,
        xytext=xy_from,
        arrowprops={"arrowstyle": "-|>", "color": "#333333", "lw": 1.0, "shrinkA": 0, "shrinkB": 0},
    )


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
    _box(ax, 0.2, y_arm, 0.34, bh, f"{lab['treatment']}\n(n = {n_treatment})", ec=ARM_COLOURS["treatment"])
    _box(ax, 0.72, y_arm, 0.34, bh, f"{lab['reference']}\n(n = {n_reference})", ec=ARM_COLOURS["reference"])
    y_split = (y_inc - bh / 2 + y_arm + bh / 2) / 2
    ax.plot([0.2, 0.72], [y_split, y_split], color="#333333", lw=1.0)
    ax.plot([0.32, 0.32], [y_inc - bh / 2, y_split], color="#333333", lw=1.0)
    _arrow(ax, (0.2, y_split), (0.2, y_arm + bh / 2))
    _arrow(ax, (0.72, y_split), (0.72, y_arm + bh / 2))
    return fig
