"""The book's figure style: the Okabe-Ito palette, each arm's colour, matplotlib settings, byte-stable saving."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.figure import Figure

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
    "axes.prop_cycle": matplotlib.cycler(
        color=[
            OKABE_ITO[c]
            for c in (
                "blue",
                "vermillion",
                "bluish_green",
                "orange",
                "sky_blue",
                "reddish_purple",
                "yellow",
                "black",
            )
        ]
    ),
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
        fig.savefig(
            path,
            format=fmt,
            dpi=dpi,
            metadata=metadata,
            bbox_inches="tight",
            pad_inches=0.1,
            facecolor="white",
        )
    return path
