"""Bar chart of Table 3's best response by arm."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from lcnec_utils.contract.schema import RESPONSE_LEVELS
from lcnec_utils.plots.style import ARM_COLOURS, RESPONSE_COLOURS, set_style


def _response_percentages(response: Any) -> tuple[pd.DataFrame, dict[str, str]]:
    """Percent of each best-response category per role, from a
    :func:`lcnec_utils.tables.response_table` result."""
    st = response.stats
    rows = {}
    for role in ("treatment", "reference"):
        rows[role] = {}
        for cat in RESPONSE_LEVELS:
            sel = st[(st["key"] == cat.lower()) & (st["arm"] == role)]
            pct = None if sel.empty else sel.iloc[0]["pct"]
            rows[role][cat] = np.nan if pct is None else 100.0 * float(pct)
    return pd.DataFrame(rows).T, dict(response.labels)


def response_bar(response: Any, ax: plt.Axes | None = None) -> Figure:
    """Stacked horizontal bars of best response (RECIST 1.1) per arm, in
    percent of the patients with a recorded response; segments >= 8 % carry
    their value. ``response`` is a :func:`lcnec_utils.tables.response_table` result."""
    set_style()
    pct, labels = _response_percentages(response)
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.4, 2.4))
    else:
        fig = ax.figure
    roles = list(pct.index)
    if not np.nansum(pct.to_numpy(float)):
        ax.axis("off")
        ax.text(0.5, 0.5, "No best-response data.", ha="center", va="center", transform=ax.transAxes)
        return fig
    y = np.arange(len(roles))[::-1]
    left = np.zeros(len(roles))
    for cat in RESPONSE_LEVELS:
        vals = pct[cat].fillna(0).to_numpy(float)
        if not vals.any():
            continue
        ax.barh(
            y, vals, left=left, color=RESPONSE_COLOURS[cat], edgecolor="white", lw=0.6, label=cat, height=0.6
        )
        for yi, l0, v in zip(y, left, vals):
            if v >= 8:
                ax.text(l0 + v / 2, yi, f"{v:.0f}", ha="center", va="center", fontsize=8.5, color="black")
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
