"""The audit's record, ``audit.json``: both comparisons and their summary for one build, and ``lcnec audit``.

A comparison with the published numbers is a *reproduction* (and a number out
of tolerance a failure) only on the shipped synthetic cohort with the
published analysis's parameters; on any other build it is informative.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from lcnec_utils.audit.compare import FAILING, STATUSES, published_vs_reproduced
from lcnec_utils.audit.consistency.findings import SEVERITIES
from lcnec_utils.audit.consistency.paper import paper_consistency
from lcnec_utils.audit.tolerances import Tolerance, load_tolerances
from lcnec_utils.contract.export import EXPORT_STEM
from lcnec_utils.contract.params import DATA_DIR, DEFAULT_COHORT, Parameters
from lcnec_utils.contract.provenance import sha256_file
from lcnec_utils.stats.format import format_reproduced

#: Parameters that change what the chapters compute (a build with others is not the reproduction).
ANALYSIS_PARAMETERS = ("reference_group", "treatment_group", "landmark_months", "alpha", "covariates")

#: The shipped cohort in its date-based, hospital-style forms (``lcnec synth --export-dates``),
#: the same patients when read with the shipped mapping file.
SHIPPED_EXPORTS = tuple(DATA_DIR / f"{EXPORT_STEM}{ext}" for ext in (".sav", ".xlsx"))
SHIPPED_MAP = DATA_DIR / f"{EXPORT_STEM}.map.yaml"


def _same_file(path: Path, shipped: Path) -> bool:
    """Same file, or the same bytes."""
    if path.resolve() == shipped.resolve():
        return True
    return path.is_file() and shipped.is_file() and sha256_file(path) == sha256_file(shipped)


def is_shipped_cohort(data_path: str | Path | None, map_path: str | Path | None = None) -> bool | None:
    """True if the build read the shipped synthetic cohort: its CSV (same file or same bytes), or
    one of its date-based exports read with the shipped mapping file (both the same bytes as the
    shipped ones); None if unknown."""
    if not data_path:
        return None
    path = Path(data_path)
    try:
        if _same_file(path, DEFAULT_COHORT):
            return True
        if map_path and any(_same_file(path, export) for export in SHIPPED_EXPORTS):
            return _same_file(Path(map_path), SHIPPED_MAP)
    except OSError:
        return None
    return False


def non_default_parameters(parameters: Mapping[str, Any] | None) -> list[str]:
    """Analysis parameters set to something other than the published analysis's."""
    if not parameters:
        return []
    default = Parameters()
    out = []
    for name in ANALYSIS_PARAMETERS:
        if name in parameters and parameters[name] is not None:
            want, got = getattr(default, name), parameters[name]
            if isinstance(want, float):
                same = isinstance(got, (int, float)) and float(got) == want
            else:
                same = (list(got) if isinstance(got, (list, tuple)) else got) == want
            if not same:
                out.append(name)
    return out


def build_audit(
    results: Mapping[str, Any],
    published: Sequence[Mapping[str, Any]] | None = None,
    *,
    data_path: str | Path | None = None,
    parameters: Mapping[str, Any] | None = None,
    tolerances: Sequence[Tolerance] | None = None,
) -> dict[str, Any]:
    """Both tables of the audit and their summary, as plain data (JSON-ready).

    ``results`` is the merged ``results.json``; ``published`` the entries of
    ``data/published.yaml`` (default: loaded). ``data_path`` and
    ``parameters`` describe the build: the comparison is a *reproduction*
    (and a ``differs`` row a failure) only on the shipped synthetic cohort
    with the default analysis parameters; when they are not given the build is
    taken to be the shipped one.
    """
    from lcnec_utils.contract.published import load_published

    published = load_published() if published is None else list(published)
    findings = paper_consistency(published)
    rows = published_vs_reproduced(results, published, findings, tolerances)
    shipped = is_shipped_cohort(data_path, (parameters or {}).get("map_path"))
    changed = non_default_parameters(parameters)
    reproduction = (shipped is not False) and not changed
    status_counts = {s: sum(1 for r in rows if r["status"] == s) for s in STATUSES}
    severity_counts = {s: sum(1 for f in findings if f.severity == s) for s in SEVERITIES}
    failing = [r for r in rows if r["status"] == FAILING]
    if shipped is False:
        scope = "a user's cohort: the comparison with the published numbers is informative only"
    elif changed:
        scope = f"non-default analysis parameters ({', '.join(changed)}): the comparison is informative only"
    else:
        scope = "the shipped synthetic cohort with the published analysis: every tolerance applies"
    return {
        "summary": {
            "published_numbers": len(rows),
            "status_counts": status_counts,
            "out_of_tolerance": [r["id"] for r in failing],
            "consistency_checks": len(findings),
            "severity_counts": severity_counts,
            "reproduction_build": reproduction,
            "scope": scope,
            "passed": not (reproduction and failing),
        },
        "cohort": {
            "data_path": None if data_path is None else str(data_path),
            "shipped_synthetic": shipped,
            "non_default_parameters": changed,
        },
        "published_vs_reproduced": rows,
        "consistency": [f.as_dict() for f in findings],
        "tolerances": [
            {"pattern": t.pattern, "tolerance": t.kind if t.kind != "absolute" else t.value, "why": t.why}
            for t in (load_tolerances() if tolerances is None else tolerances)
        ],
    }


def write_audit(
    results: Mapping[str, Any],
    path: str | Path,
    *,
    data_path: str | Path | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Write ``audit.json`` (the :func:`build_audit` dict) to ``path``; returns the dict."""
    audit = build_audit(results, data_path=data_path, parameters=parameters)
    Path(path).write_text(json.dumps(audit, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return audit


def _build_parameters(out_dir: Path) -> dict[str, Any] | None:
    """The parameters papermill injected into the first executed chapter of a build."""
    import nbformat

    for nb_path in sorted((out_dir / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        try:
            nb = nbformat.read(nb_path, as_version=4)
        except Exception:
            continue
        params = (nb.metadata.get("papermill") or {}).get("parameters")
        if params:
            return dict(params)
    return None


def summary_text(audit: Mapping[str, Any]) -> str:
    """The summary ``lcnec audit`` prints."""
    s = audit["summary"]
    lines = [f"reproduction audit: {s['published_numbers']} published numbers; {s['scope']}"]
    width = max(len(k) for k in STATUSES)
    for status in STATUSES:
        lines.append(f"  {status:<{width}}  {s['status_counts'].get(status, 0):>4}")
    sev = s["severity_counts"]
    lines.append(
        f"paper consistency: {s['consistency_checks']} checks; findings "
        + ", ".join(f"{sev.get(k, 0)} {k}" for k in SEVERITIES if k != "none")
        + f"; {sev.get('none', 0)} consistent"
    )
    failing = [r for r in audit["published_vs_reproduced"] if r["status"] == FAILING]
    if failing:
        lines.append(f"{len(failing)} reproduced number(s) out of tolerance:")
        for r in failing:
            lines.append(
                f"  {r['id']} {r['key']}{' (' + r['variant'] + ')' if r['variant'] else ''}: "
                f"published {r['published_text']}, book {format_reproduced(r['book'], r['decimals'])}, "
                f"tolerance {r['tolerance']} [{r['where']}]"
            )
    return "\n".join(lines)


def audit_command(out_dir: str | Path = "build", stream=None) -> int:
    """``lcnec audit [--out DIR]``: print the audit of the build in ``out_dir``.

    Recomputes the audit from ``DIR/results.json`` (so it always uses the
    current ``published.yaml`` and tolerances) and reads which cohort and
    parameters the build used from the executed chapters. Returns 1 when a
    number whose tolerance applies is out of it on the shipped cohort with the
    published analysis, 2 when there is no ``results.json``, else 0.
    """
    stream = stream or sys.stdout
    out_dir = Path(out_dir)
    results_path = out_dir / "results.json"
    if not results_path.is_file():
        print(
            f"error: no results.json in {out_dir}; run `lcnec build --out {out_dir}` first", file=sys.stderr
        )
        return 2
    results = json.loads(results_path.read_text())
    params = _build_parameters(out_dir)
    data_path = None if params is None else params.get("data_path")
    saved = out_dir / "audit.json"
    if data_path is None and saved.is_file():
        data_path = (json.loads(saved.read_text()).get("cohort") or {}).get("data_path")
    audit = build_audit(results, data_path=data_path, parameters=params)
    print(summary_text(audit), file=stream)
    s = audit["summary"]
    if s["out_of_tolerance"] and not s["reproduction_build"]:
        print("(not a reproduction build: differences are reported, not failed)", file=stream)
    return 0 if s["passed"] else 1
