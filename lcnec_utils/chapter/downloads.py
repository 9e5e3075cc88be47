"""Tables offered for download under a page: ``<chapter>-<name>.csv`` in the build's downloads folder."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

from lcnec_utils.contract.params import Parameters


def downloads_dir(params: Parameters) -> Path:
    """Where tables are written for download: set by the pipeline (``LCNEC_DOWNLOADS_DIR``),
    else beside the results."""
    return Path(os.environ.get("LCNEC_DOWNLOADS_DIR") or Path(params.results_dir).parent / "downloads")


def write_download(table: Any, folder: Path, filename: str) -> None:
    """Write ``table`` (a DataFrame or anything with ``.formatted()``) as CSV, ``\\n`` line ends."""
    frame = table if isinstance(table, pd.DataFrame) else table.formatted()
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_csv(folder / filename, index=False, lineterminator="\n")


def download_link(filename: str) -> str:
    """The MyST role linking a page to its downloaded table (pages sit one folder below the book)."""
    return f"{{download}}`Download this table (CSV) <../downloads/{filename}>`"
