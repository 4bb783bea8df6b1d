"""Run checks over parsed configuration objects and locate their findings.

The engine takes objects, not files, so `seawall k8s` (cluster snapshots) and `seawall image`
(image config) reuse it with objects they built themselves.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from seawall.misconfig.model import Check, ConfigObject, Hit, MisconfigFinding, ScanContext, format_json_path
from seawall.misconfig.suppress import Suppressions
from seawall.model import Severity

log = logging.getLogger("seawall.misconfig")

DEFAULT_TRUSTED_REGISTRIES = (
    "docker.io",
    "registry.k8s.io",
    "gcr.io",
    "quay.io",
    "ghcr.io",
    "mcr.microsoft.com",
    "public.ecr.aws",
    "registry.access.redhat.com",
    "cgr.dev",
)


@dataclass(frozen=True, slots=True)
class EngineOptions:
    """What to run and what to drop."""

    skip_checks: frozenset[str] = frozenset()
    severities: frozenset[Severity] = frozenset(Severity)
    trusted_registries: tuple[str, ...] = DEFAULT_TRUSTED_REGISTRIES
    suppressions: Suppressions | None = None


def run_checks(
    objects: Sequence[ConfigObject], checks: Iterable[Check], options: EngineOptions | None = None
) -> list[MisconfigFinding]:
    """Evaluate every applicable check on every object; return located, unsuppressed findings."""
    opts = options or EngineOptions()
    ctx = ScanContext(objects=objects, trusted_registries=opts.trusted_registries)
    by_target: dict[str, list[Check]] = {}
    for c in checks:
        if c.meta.id in opts.skip_checks or c.meta.severity not in opts.severities:
            continue
        for target in c.applies_to:
            by_target.setdefault(target, []).append(c)
    findings: list[MisconfigFinding] = []
    for obj in objects:
        for c in by_target.get(obj.target, ()):
            try:
                hits = list(c.evaluate(obj, ctx))
            except (KeyError, TypeError, AttributeError, ValueError, IndexError) as exc:
                # Malformed objects (a string where a mapping belongs) must not stop the scan.
                log.warning("%s: check %s skipped %s: %s", obj.file or obj.name, c.meta.id, obj.name, exc)
                continue
            for hit in hits:
                finding = locate(c, obj, hit)
                if opts.suppressions is not None and opts.suppressions.suppressed(finding, obj):
                    continue
                findings.append(finding)
    return findings


def locate(check: Check, obj: ConfigObject, hit: Hit) -> MisconfigFinding:
    """Turn a hit into a finding with file, line range and JSON path."""
    start, end = hit.start_line, hit.end_line
    if not start:
        start, end = obj.locate(hit.path)
    return MisconfigFinding(
        check=check.meta,
        message=hit.message,
        file=obj.file,
        resource=obj.name if obj.target in ("kubernetes", "rbac") else "",
        json_path=format_json_path(hit.path),
        start_line=start,
        end_line=end or start,
    )
