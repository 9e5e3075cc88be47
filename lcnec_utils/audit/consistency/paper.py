"""Every consistency check of the paper, run on ``data/published.yaml``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from lcnec_utils.audit.consistency.claims import _claim_findings
from lcnec_utils.audit.consistency.counts import (
    _percent_findings,
    _precision_findings,
    _printing_findings,
    _total_findings,
)
from lcnec_utils.audit.consistency.findings import CHECKS, Finding, _Published
from lcnec_utils.audit.consistency.models import _hr_findings, _model_size_findings
from lcnec_utils.audit.consistency.survival import _survival_findings
from lcnec_utils.audit.consistency.tests import _age_findings, _categorical_p_findings


def paper_consistency(published: Sequence[Mapping[str, Any]] | None = None) -> list[Finding]:
    """Every consistency check of the paper, one :class:`Finding` each (ids ``C001`` ...).

    ``published`` is the list of entries of ``data/published.yaml`` (default:
    :func:`lcnec_utils.published.load_published`).
    """
    if published is None:
        from lcnec_utils.contract.published import load_published

        published = load_published()
    pub = _Published(published)
    findings: list[Finding] = []
    for make in (
        _percent_findings,
        _precision_findings,
        _total_findings,
        _printing_findings,
        _categorical_p_findings,
        _age_findings,
        _hr_findings,
        _survival_findings,
        _claim_findings,
        _model_size_findings,
    ):
        findings.extend(make(pub))
    order = {c: i for i, c in enumerate(CHECKS)}
    findings.sort(key=lambda f: order.get(f.check, 99))
    for i, f in enumerate(findings, start=1):
        f.id = f"C{i:03d}"
    return findings


def impugned_keys(findings: Iterable[Finding]) -> dict[str, list[Finding]]:
    """Keys whose printed value a finding shows cannot be right: ``{key: [findings]}``."""
    out: dict[str, list[Finding]] = {}
    for f in findings:
        if f.paper_wrong:
            for k in f.keys:
                out.setdefault(k, []).append(f)
    return out
