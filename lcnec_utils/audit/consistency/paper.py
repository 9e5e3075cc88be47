"""Every consistency check of the paper, run on ``data/published.yaml``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lcnec_utils.audit.consistency.claims import claim_findings
from lcnec_utils.audit.consistency.counts import (
    percent_findings,
    precision_findings,
    printing_findings,
    total_findings,
)
from lcnec_utils.audit.consistency.findings import CHECKS, Finding
from lcnec_utils.audit.consistency.hypothesis_tests import age_findings, categorical_p_findings
from lcnec_utils.audit.consistency.models import hr_findings, model_size_findings
from lcnec_utils.audit.consistency.published_index import PublishedIndex
from lcnec_utils.audit.consistency.survival import survival_findings


def paper_consistency(published: Sequence[Mapping[str, Any]] | None = None) -> list[Finding]:
    """Every consistency check of the paper, one :class:`Finding` each (ids ``C001`` ...).

    ``published`` is the list of entries of ``data/published.yaml`` (default:
    :func:`lcnec_utils.contract.published.load_published`).
    """
    if published is None:
        from lcnec_utils.contract.published import load_published

        published = load_published()
    pub = PublishedIndex(published)
    findings: list[Finding] = []
    for make in (
        percent_findings,
        precision_findings,
        total_findings,
        printing_findings,
        categorical_p_findings,
        age_findings,
        hr_findings,
        survival_findings,
        claim_findings,
        model_size_findings,
    ):
        findings.extend(make(pub))
    order = {c: i for i, c in enumerate(CHECKS)}
    findings.sort(key=lambda f: order.get(f.check, 99))
    for i, f in enumerate(findings, start=1):
        f.id = f"C{i:03d}"
    return findings
