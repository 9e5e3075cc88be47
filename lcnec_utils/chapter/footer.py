"""The foot of a chapter's page: the provenance of its numbers (data checksum, git commit, build date)."""

from __future__ import annotations

import datetime as _dt
import html
import os

from lcnec_utils.contract.params import Parameters
from lcnec_utils.contract.provenance import git_commit, sha256_file


def page_provenance(params: Parameters) -> dict[str, str]:
    """The data file's SHA-256, the git commit and the build date, as the build set them
    (``LCNEC_DATA_SHA256``, ``LCNEC_GIT_COMMIT``, ``LCNEC_BUILD_DATE``), else measured now."""
    return {
        "data_sha256": os.environ.get("LCNEC_DATA_SHA256") or sha256_file(params.data_path) or "unknown",
        "git_commit": os.environ.get("LCNEC_GIT_COMMIT") or git_commit() or "unknown",
        "build_date": os.environ.get("LCNEC_BUILD_DATE") or _dt.date.today().isoformat(),
    }


def provenance_html(provenance: dict[str, str]) -> str:
    """The page's closing line for :func:`page_provenance`."""
    return (
        '<div class="lcnec-provenance">'
        f"Data file SHA-256 <code>{provenance['data_sha256']}</code> · "
        f"git commit <code>{html.escape(provenance['git_commit'])}</code> · "
        f"built {provenance['build_date']}</div>"
    )
