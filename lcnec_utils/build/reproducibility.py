"""Where a build came from: the command, the versions, the execution record.

The pipeline writes ``book/_generated/reproducibility.md`` from these pieces
before Jupyter Book renders, and ``book/reproducibility.md`` includes it, so
the page's numbers are produced by code like every other number in the book.
"""

from __future__ import annotations

import platform
import shlex
import sys
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

#: The packages whose versions decide the numbers and the rendering.
KEY_PACKAGES = (
    "lcnec-book",
    "numpy",
    "scipy",
    "pandas",
    "statsmodels",
    "lifelines",
    "firthmodels",
    "pandera",
    "matplotlib",
    "papermill",
    "ipykernel",
    "jupyter-book",
    "myst-nb",
    "sphinx",
    "sphinx-book-theme",
)


def package_versions(names: Iterable[str] = KEY_PACKAGES) -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def rebuild_command(params: Any, out_dir: str | Path, defaults: Any) -> str:
    """The ``lcnec build`` call that reproduces a build with these parameters."""
    parts = ["lcnec", "build"]
    if params.data_path != defaults.data_path:
        parts += ["--data", params.data_path]
    if params.ae_path != defaults.ae_path:
        parts += ["--ae", params.ae_path] if params.ae_path else []
    for name in (
        "reference_group",
        "treatment_group",
        "landmark_months",
        "landmark_analysis_months",
        "alpha",
        "covariates",
        "seed",
    ):
        value = getattr(params, name)
        if value != getattr(defaults, name):
            text = "[" + ", ".join(value) + "]" if isinstance(value, list) else str(value)
            parts += ["-p", name, text]
    parts += ["--out", str(out_dir)]
    return " ".join(shlex.quote(p) for p in parts)


def _md_table(header: list[str], rows: Iterable[Iterable[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def reproducibility_markdown(
    runs: Iterable[Mapping[str, Any]],
    command: str,
    provenance: Mapping[str, str],
    downloads: Iterable[str],
) -> str:
    """The generated part of the Reproducibility page (MyST markdown)."""
    runs = list(runs)
    total = sum(r["seconds"] for r in runs)
    execution = _md_table(
        ["Notebook", "Status", "Execution time (s)"],
        [(r["notebook"], r["status"], f"{r['seconds']:.1f}") for r in runs]
        + [("**all notebooks**", "", f"**{total:.1f}**")],
    )
    versions = _md_table(["Package", "Version"], package_versions().items())
    files = "\n".join(f"- {{download}}`{name} <downloads/{name}>`" for name in downloads) or "- none"
    return (
        "\n\n".join(
            [
                "## Rebuild this book",
                f"```bash\n{command}\n```",
                "## Build",
                _md_table(
                    ["Item", "Value"],
                    [
                        ("Data file SHA-256", f"`{provenance.get('data_sha256', 'unknown')}`"),
                        ("Git commit", f"`{provenance.get('git_commit', 'unknown')}`"),
                        ("Build date", provenance.get("build_date", "unknown")),
                        ("Platform", f"{platform.system()} {platform.machine()}"),
                        ("Python", sys.version.split()[0]),
                    ],
                ),
                "## Execution of the notebooks",
                "Each notebook was executed by papermill with the parameters shown at the top of its page.",
                execution,
                "## Package versions",
                versions,
                "## Downloads",
                "The machine-readable results and every table of the book, as the build made them:",
                files,
            ]
        )
        + "\n"
    )
