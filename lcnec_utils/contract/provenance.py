"""Where a number came from: the SHA-256 of a file and the git commit of the code.

One SHA-256 helper for the whole package: the data checksum a page prints,
the build's cache keys and the audit's record all call :func:`sha256_file`.
"""

from __future__ import annotations

import hashlib
import subprocess
from functools import cache
from pathlib import Path

from lcnec_utils.contract.params import PROJECT_ROOT

__all__ = ["git_commit", "sha256_bytes", "sha256_file"]


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@cache
def _file_digest(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_file(path: str | Path | None) -> str | None:
    """SHA-256 of a file's bytes (memoised on path, size and mtime within a process)."""
    if not path:
        return None
    p = Path(path)
    try:
        st = p.stat()
    except OSError:
        return None
    if not p.is_file():
        return None
    return _file_digest(str(p.resolve()), st.st_size, st.st_mtime_ns)


def git_commit(root: Path = PROJECT_ROOT) -> str | None:
    """The checkout's commit (12 hex digits), with ``+uncommitted`` when tracked files differ; ``None`` outside git."""
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
        ).stdout.strip()
        return out + ("+uncommitted" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return None
