"""`seawall k8s` as a library call: run every Kubernetes and RBAC check on a cluster's objects,
add the cluster-only analyses, and build the report.

Checks run on the objects users write (Deployments, CronJobs, bare Pods), not on the ReplicaSets,
Jobs and Pods their controllers create: those repeat the template's findings once per replica.
The controlled objects are kept for the image collection (pods report digests), not for the checks.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from seawall.k8s.cluster import CLUSTER_CHECKS, ClusterAnalysis, analyze, workloads
from seawall.k8s.collect import Collection
from seawall.misconfig.checks.kube import namespace_of, pod_template
from seawall.misconfig.engine import EngineOptions, locate
from seawall.misconfig.model import Check, ConfigObject, MisconfigFinding, ScanContext
from seawall.misconfig.registry import all_checks
from seawall.model import Severity
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


SUPERSEDED_BY_CLUSTER = frozenset({"K8S039"})


def audit(
    collection: Collection, options: EngineOptions | None = None, policies: Iterable[Check] = ()
) -> ClusterScan:
    """Every built-in check (plus ``policies``) on every user-written object, then the cluster analyses."""
    objects = to_objects(collection)
    top = {id(o) for o in workloads(objects)}
    checked = [o for o in objects if id(o) in top or pod_template(o) is None]
    # Checks a cluster analysis does better with the whole cluster in view: K8S039 (no NetworkPolicy)
    # would repeat KCL002, which resolves every policy's selectors against the pods.
    checks = (*(c for c in all_checks() if c.meta.id not in SUPERSEDED_BY_CLUSTER), *policies)
    opts = options or EngineOptions()
    findings = _run(checked, checks, opts)
    analysis = analyze(objects)
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
    checked: Sequence[ConfigObject], checks: Iterable[Check], opts: EngineOptions
) -> list[MisconfigFinding]:
    """The engine's loop over the objects users write, each checked in the context of its namespace.

    A namespaced object's context is its namespace plus the cluster-scoped objects: what
    cross-object checks look up for it (its ServiceAccount, the NetworkPolicies that select it, the
    bindings of a Role) lives there, and the look-ups stay linear in the namespace's size rather than
    the cluster's. Controller-owned Pods and ReplicaSets are in no context: a check that counts
    workloads must count the Deployment once, not its replicas. Cluster-scoped objects see all.
    """
    applicable = [
        c
        for c in checks
        if c.meta.id not in opts.skip_checks
        and c.meta.severity in opts.severities
        and "kubernetes" in c.applies_to
    ]
    cluster_scoped = [o for o in checked if not namespace_of(o)]
    by_ns: dict[str, list[ConfigObject]] = {}
    for obj in checked:
        ns = namespace_of(obj)
        if ns:
            by_ns.setdefault(ns, []).append(obj)
    to_check: dict[str, list[ConfigObject]] = {}
    for obj in checked:
        to_check.setdefault(namespace_of(obj), []).append(obj)
    findings: list[MisconfigFinding] = []
    for ns, objs in to_check.items():
        scope = [*by_ns.get(ns, ()), *cluster_scoped] if ns else checked
        ctx = ScanContext(objects=scope, trusted_registries=opts.trusted_registries)
        for obj in objs:
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


def render(scan: ClusterScan, fmt: str, extra: dict[str, Any] | None = None, report: str = "all") -> bytes:
    """The report in ``fmt``; JSON gains a ``Cluster`` section with the analyses (and ``extra`` keys).

    ``report="summary"`` (table only) prints one line per resource with counts per severity, as
    ``trivy k8s --report summary`` does: a cluster's full table runs to tens of thousands of rows.
    """
    from seawall.report import render as render_report

    if fmt == "table" and report == "summary":
        return (summary_table(scan) + who_can_table(scan.analysis)).encode()
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


def summary_table(scan: ClusterScan, limit: int = 500) -> str:
    """Resources with findings, worst first: counts per severity, then the cluster analyses' totals."""
    sevs = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW)
    counts: dict[str, list[int]] = {}
    for f in scan.findings:
        row = counts.setdefault(f.resource or f.file, [0, 0, 0, 0])
        if f.severity in sevs:
            row[sevs.index(f.severity)] += 1
    rows = sorted(counts.items(), key=lambda kv: ([-n for n in kv[1]], kv[0]))
    width = min(max((len(r) for r, _ in rows), default=8), 80)
    head = f"{'Resource':<{width}}  CRITICAL  HIGH  MEDIUM   LOW"
    lines = [f"Cluster audit: {scan.source}", "", head, "-" * len(head)]
    for resource, (c, h, m, low) in rows[:limit]:
        lines.append(f"{resource[:width]:<{width}}  {c:>8}  {h:>4}  {m:>6}  {low:>4}")
    if len(rows) > limit:
        lines.append(f"... {len(rows) - limit} more resources (--report all or --format json)")
    totals = [sum(r[i] for _, r in rows) for i in range(4)]
    lines += [
        "",
        f"Total: {len(rows)} resources with findings; CRITICAL {totals[0]}, HIGH {totals[1]}, "
        f"MEDIUM {totals[2]}, LOW {totals[3]}",
        build_report(scan).notes[0],
    ]
    return "\n".join(lines) + "\n"


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
