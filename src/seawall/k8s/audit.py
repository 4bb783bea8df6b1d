"""`seawall k8s` as a library call: run every Kubernetes and RBAC check on a cluster's objects,
add the cluster-only analyses, and build the report.

Checks run on the objects users write (Deployments, CronJobs, bare Pods), not on the ReplicaSets,
Jobs and Pods their controllers create: those repeat the template's findings once per replica.
The controlled objects stay in the scan context (and feed image collection).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from seawall.k8s.cluster import CLUSTER_CHECKS, ClusterAnalysis, analyze, workloads
from seawall.k8s.collect import Collection
from seawall.misconfig.checks.kube import pod_template
from seawall.misconfig.engine import EngineOptions, locate
from seawall.misconfig.model import Check, ConfigObject, MisconfigFinding, ScanContext
from seawall.misconfig.registry import all_checks
from seawall.report.document import Report, Result

log = logging.getLogger("seawall.k8s")


@dataclass(frozen=True, slots=True)
class ClusterScan:
    """What a cluster audit found."""

    source: str
    objects: tuple[ConfigObject, ...]
    checked: int  # objects the per-object checks ran on
    findings: tuple[MisconfigFinding, ...]  # per-object and cluster-only findings
    analysis: ClusterAnalysis
    checks: tuple[Check, ...]
    warnings: tuple[str, ...] = ()


def to_objects(collection: Collection) -> list[ConfigObject]:
    """Cluster objects as the misconfiguration engine's ConfigObjects, each named ``Kind/namespace/name``
    in place of a file (there are no file positions)."""
    out = []
    for data in collection.objects:
        named = ConfigObject("kubernetes", data)
        out.append(ConfigObject("kubernetes", data, named.name))
    return out


def audit(
    collection: Collection, options: EngineOptions | None = None, policies: Iterable[Check] = ()
) -> ClusterScan:
    """Every built-in check (plus ``policies``) on every user-written object, then the cluster analyses."""
    objects = to_objects(collection)
    top = {id(o) for o in workloads(objects)}
    checked = [o for o in objects if id(o) in top or pod_template(o) is None]
    checks = (*all_checks(), *policies)
    opts = options or EngineOptions()
    findings = _run(checked, objects, checks, opts)
    analysis = analyze(objects, collection.source)
    cluster = [
        f
        for f in analysis.findings
        if f.check.id not in opts.skip_checks and f.check.severity in opts.severities
    ]
    if opts.suppressions is not None:
        cluster = [f for f in cluster if f.check.id not in opts.suppressions.ignored_ids]
    return ClusterScan(
        collection.source,
        tuple(objects),
        len(checked),
        tuple(findings + cluster),
        analysis,
        tuple((*checks, *(Check(m, _never, ("kubernetes",)) for m in CLUSTER_CHECKS))),
        collection.warnings,
    )


def _never(obj: ConfigObject, ctx: Any) -> list[Any]:
    return []  # cluster-only checks are evaluated by cluster.analyze, not per object


def _run(
    checked: Sequence[ConfigObject],
    every: Sequence[ConfigObject],
    checks: Iterable[Check],
    opts: EngineOptions,
) -> list[MisconfigFinding]:
    """The engine's loop, but evaluating only ``checked`` while the context holds ``every`` object
    (bindings, NetworkPolicies and ServiceAccounts that cross-object checks look up)."""
    ctx = ScanContext(objects=every, trusted_registries=opts.trusted_registries)
    applicable = [
        c
        for c in checks
        if c.meta.id not in opts.skip_checks
        and c.meta.severity in opts.severities
        and "kubernetes" in c.applies_to
    ]
    findings: list[MisconfigFinding] = []
    for obj in checked:
        for c in applicable:
            try:
                hits = list(c.evaluate(obj, ctx))
            except (KeyError, TypeError, AttributeError, ValueError, IndexError) as exc:
                log.warning("check %s skipped %s: %s", c.meta.id, obj.name, exc)
                continue
            for hit in hits:
                finding = locate(c, obj, hit)
                if opts.suppressions is not None and opts.suppressions.suppressed(finding, obj):
                    continue
                findings.append(finding)
    return findings


def build_report(scan: ClusterScan) -> Report:
    """One ``Result`` per resource with findings (target ``Kind/namespace/name``), resources in order."""
    by_resource: dict[str, list[MisconfigFinding]] = {}
    for f in scan.findings:
        by_resource.setdefault(f.resource or f.file, []).append(f)
    report = Report(artifact_name=scan.source, artifact_type="kubernetes")
    for resource in sorted(by_resource):
        found = sorted(by_resource[resource], key=lambda f: (f.check.id, f.json_path))
        report.results.append(
            Result(target=resource, result_class="config", type="kubernetes", misconfigurations=list(found))
        )
    a = scan.analysis
    uncovered = sum(len(c.uncovered) for c in a.coverage)
    no_deny = sum(1 for c in a.coverage if not c.default_deny_ingress)
    report.notes.append(
        f"{len(scan.objects)} objects, {scan.checked} checked; {len(a.coverage)} namespaces "
        f"({no_deny} without default-deny ingress, {uncovered} workloads selected by no NetworkPolicy); "
        f"{len(a.exposures)} exposures; {len(a.secrets)} secret references; "
        f"{len(a.permissions)} subject bindings"
    )
    return report


def render(scan: ClusterScan, fmt: str, extra: dict[str, Any] | None = None) -> bytes:
    """The report in ``fmt``; JSON gains a ``Cluster`` section with the analyses (and ``extra`` keys)."""
    from seawall.report import render as render_report

    data = render_report(build_report(scan), fmt)
    if fmt == "json":
        doc = orjson.loads(data)
        doc["Cluster"] = scan.analysis.to_json()
        if extra:
            doc.update(extra)
        return orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n"
    if fmt == "table":
        return data + who_can_table(scan.analysis).encode()
    return data


def who_can_table(analysis: ClusterAnalysis, limit: int = 200) -> str:
    """The RBAC who-can-do-what view as text: subject, scope, role, binding, rules."""
    lines = ["", "Who can do what (RBAC bindings)", ""]
    for p in analysis.permissions[:limit]:
        lines.append(f"{p.subject}  [{p.scope}]  {p.role}  via {p.binding}")
        for rule in p.rules[:20]:
            lines.append(f"    {rule}")
        if len(p.rules) > 20:
            lines.append(f"    ... {len(p.rules) - 20} more rules")
    if len(analysis.permissions) > limit:
        lines.append(f"... {len(analysis.permissions) - limit} more (see --format json)")
    return "\n".join(lines) + "\n"
