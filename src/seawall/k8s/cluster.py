"""Cluster-only analyses: what needs the whole cluster rather than one manifest.

NetworkPolicy coverage per namespace, Services and Ingresses that expose workloads, Secrets each
workload reads (mounted or in environment variables), namespaces without Pod Security admission,
and the RBAC "who can do what" view over every binding.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from seawall.misconfig.checks.kube import (
    containers,
    get,
    items,
    labels_match,
    mapping,
    namespace_of,
    pod_template,
)
from seawall.misconfig.checks.rbac import BINDING_KINDS, ROLE_KINDS, Holder, Subject, role_rules
from seawall.misconfig.model import K8S_CIS, K8S_NSA, CheckMeta, Compliance, ConfigObject, MisconfigFinding
from seawall.model import Severity

NETPOL_DOC = "https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-policies"
PSA_DOC = "https://kubernetes.io/docs/concepts/security/pod-security-admission/"
PSA_ENFORCE = "pod-security.kubernetes.io/enforce"
SYSTEM_NAMESPACES = frozenset({"kube-system", "kube-public", "kube-node-lease"})

NO_DEFAULT_DENY = CheckMeta(
    "KCL001",
    "kubernetes",
    "Namespace has no default-deny NetworkPolicy",
    Severity.MEDIUM,
    "No NetworkPolicy in the namespace selects every pod for ingress, so pods added later accept "
    "traffic from anywhere in the cluster (CIS 5.3.2).",
    "Add a NetworkPolicy with an empty podSelector and policyTypes [Ingress, Egress] to the namespace.",
    (NETPOL_DOC,),
    (Compliance(K8S_CIS, "5.3.2"), Compliance(K8S_NSA, "Network separation")),
)
UNCOVERED_PODS = CheckMeta(
    "KCL002",
    "kubernetes",
    "Workloads selected by no NetworkPolicy",
    Severity.LOW,
    "Pods of these workloads are selected by no NetworkPolicy of their namespace.",
    "Add NetworkPolicies that select these workloads' pods, or a default-deny policy.",
    (NETPOL_DOC,),
    (Compliance(K8S_CIS, "5.3.2"),),
)
EXPOSED = CheckMeta(
    "KCL003",
    "kubernetes",
    "Workload exposed outside the cluster",
    Severity.MEDIUM,
    "A LoadBalancer or NodePort Service, a Service with externalIPs, or an Ingress routes outside "
    "traffic to these pods.",
    "Expose only what must be public; restrict sources (loadBalancerSourceRanges), else use ClusterIP.",
    ("https://kubernetes.io/docs/concepts/services-networking/service/",),
    (Compliance(K8S_NSA, "Network separation"),),
)
NO_PSA = CheckMeta(
    "KCL004",
    "kubernetes",
    "Namespace enforces no Pod Security Standard",
    Severity.LOW,
    "The namespace has no pod-security.kubernetes.io/enforce label (or enforces 'privileged'), so the "
    "built-in Pod Security admission lets any pod in (CIS 5.2.1).",
    "Label the namespace pod-security.kubernetes.io/enforce=baseline (or restricted).",
    (PSA_DOC,),
    (Compliance(K8S_CIS, "5.2.1"), Compliance(K8S_NSA, "Pod security")),
)
MISSING_SA = CheckMeta(
    "KCL005",
    "kubernetes",
    "Workload runs as a ServiceAccount that does not exist",
    Severity.LOW,
    "The pod template names a ServiceAccount absent from the cluster: pods cannot start, or start "
    "once someone creates an account of that name with whatever rights it is given.",
    "Create the ServiceAccount or fix serviceAccountName.",
    ("https://kubernetes.io/docs/concepts/security/service-accounts/",),
)
CLUSTER_CHECKS = (NO_DEFAULT_DENY, UNCOVERED_PODS, EXPOSED, NO_PSA, MISSING_SA)


@dataclass(frozen=True, slots=True)
class NamespaceCoverage:
    """NetworkPolicy coverage of one namespace."""

    namespace: str
    policies: int
    default_deny_ingress: bool
    default_deny_egress: bool
    workloads: int
    uncovered: tuple[str, ...]  # workloads whose pods no policy selects

    def to_json(self) -> dict[str, Any]:
        return {
            "Namespace": self.namespace,
            "Policies": self.policies,
            "DefaultDenyIngress": self.default_deny_ingress,
            "DefaultDenyEgress": self.default_deny_egress,
            "Workloads": self.workloads,
            "Uncovered": list(self.uncovered),
        }


@dataclass(frozen=True, slots=True)
class Exposure:
    """A Service or Ingress that routes outside traffic to workloads."""

    via: str  # Service/ns/name or Ingress/ns/name
    how: str  # LoadBalancer, NodePort, externalIPs, Ingress host
    workloads: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"Via": self.via, "How": self.how, "Workloads": list(self.workloads)}


@dataclass(frozen=True, slots=True)
class SecretUse:
    """A workload reading a Secret: as a volume, one env var, or a whole envFrom."""

    workload: str
    secret: str  # namespace/name
    how: str  # volume, env, envFrom, imagePullSecret
    where: str  # container name or volume name

    def to_json(self) -> dict[str, Any]:
        return {"Workload": self.workload, "Secret": self.secret, "How": self.how, "Where": self.where}


@dataclass(frozen=True, slots=True)
class Permission:
    """What one subject may do through one binding."""

    subject: Subject
    binding: str
    role: str
    scope: str  # "cluster" or the namespace
    rules: tuple[str, ...]  # "get,list,watch on pods,secrets" per rule

    def to_json(self) -> dict[str, Any]:
        return {
            "Subject": {
                "Kind": self.subject.kind,
                "Name": self.subject.name,
                "Namespace": self.subject.namespace,
            },
            "Binding": self.binding,
            "Role": self.role,
            "Scope": self.scope,
            "Rules": list(self.rules),
        }


@dataclass(slots=True)
class ClusterAnalysis:
    """Everything the cluster-only analyses found."""

    coverage: list[NamespaceCoverage] = field(default_factory=list)
    exposures: list[Exposure] = field(default_factory=list)
    secrets: list[SecretUse] = field(default_factory=list)
    permissions: list[Permission] = field(default_factory=list)
    findings: list[MisconfigFinding] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "NetworkPolicyCoverage": [c.to_json() for c in self.coverage],
            "ExposedServices": [e.to_json() for e in self.exposures],
            "SecretUsage": [s.to_json() for s in self.secrets],
            "WhoCanDoWhat": [p.to_json() for p in self.permissions],
        }


def _finding(meta: CheckMeta, message: str, resource: str, path: str = "") -> MisconfigFinding:
    # Named by the resource, as the per-object findings of a cluster audit are (there is no file).
    return MisconfigFinding(check=meta, message=message, file=resource, resource=resource, json_path=path)


def workloads(objects: Sequence[ConfigObject]) -> Iterator[ConfigObject]:
    """Objects with a pod template that no other scanned object controls (a Deployment, not its pods)."""
    present = {(o.kind, namespace_of(o), str(get(o.data, "metadata", "name"))) for o in objects}
    for obj in objects:
        if pod_template(obj) is None:
            continue
        owned = False
        for ref in items(get(obj.data, "metadata", "ownerReferences")):
            ref = mapping(ref)
            if ref.get("controller") and (ref.get("kind"), namespace_of(obj), ref.get("name")) in present:
                owned = True
                break
        if not owned:
            yield obj


def analyze(objects: Sequence[ConfigObject]) -> ClusterAnalysis:
    """Run every cluster-only analysis over ``objects``."""
    out = ClusterAnalysis()
    top = list(workloads(objects))
    by_kind: dict[str, list[ConfigObject]] = {}
    for obj in objects:
        by_kind.setdefault(obj.kind, []).append(obj)
    _coverage(out, top, by_kind)
    _exposure(out, top, by_kind)
    _secret_use(out, top)
    _pod_security(out, top, by_kind)
    _service_accounts(out, top, by_kind)
    _who_can(out, by_kind)
    return out


def _namespaces(top: Sequence[ConfigObject], by_kind: Mapping[str, list[ConfigObject]]) -> list[str]:
    names = {str(get(n.data, "metadata", "name")) for n in by_kind.get("Namespace", ())}
    names.update(namespace_of(w) for w in top)
    names.discard("")
    return sorted(names)


def _coverage(
    out: ClusterAnalysis, top: Sequence[ConfigObject], by_kind: Mapping[str, list[ConfigObject]]
) -> None:
    policies: dict[str, list[ConfigObject]] = {}
    for p in by_kind.get("NetworkPolicy", ()):
        policies.setdefault(namespace_of(p), []).append(p)
    by_ns: dict[str, list[ConfigObject]] = {}
    for w in top:
        by_ns.setdefault(namespace_of(w), []).append(w)
    for ns in _namespaces(top, by_kind):
        mine = policies.get(ns, [])
        deny_in = any(_selects_all(p) and _types(p)[0] for p in mine)
        deny_out = any(_selects_all(p) and _types(p)[1] for p in mine)
        uncovered = []
        for w in by_ns.get(ns, ()):
            pod = pod_template(w)
            if pod is None or pod.spec.get("hostNetwork") is True:
                continue
            labels = mapping(pod.metadata.get("labels"))
            selectors = (mapping(get(p.data, "spec", "podSelector")) for p in mine)
            if not any(labels_match(s, labels) for s in selectors):
                uncovered.append(w.name)
        cov = NamespaceCoverage(ns, len(mine), deny_in, deny_out, len(by_ns.get(ns, ())), tuple(uncovered))
        out.coverage.append(cov)
        resource = f"Namespace/{ns}"
        if ns in SYSTEM_NAMESPACES:
            continue
        if not deny_in:
            out.findings.append(
                _finding(
                    NO_DEFAULT_DENY,
                    f'namespace "{ns}" has no default-deny ingress NetworkPolicy',
                    resource,
                )
            )
        if uncovered:
            shown = ", ".join(uncovered[:10]) + (
                f" and {len(uncovered) - 10} more" if len(uncovered) > 10 else ""
            )
            out.findings.append(
                _finding(
                    UNCOVERED_PODS,
                    f'{len(uncovered)} of {cov.workloads} workload(s) in "{ns}" '
                    f"selected by no NetworkPolicy: {shown}",
                    resource,
                )
            )


def _selects_all(policy: ConfigObject) -> bool:
    selector = get(policy.data, "spec", "podSelector")
    return (
        isinstance(selector, Mapping)
        and not selector.get("matchLabels")
        and not selector.get("matchExpressions")
    )


def _types(policy: ConfigObject) -> tuple[bool, bool]:
    """Whether the policy restricts (ingress, egress): a deny-all when it lists the type with no rules."""
    spec = mapping(policy.data.get("spec"))
    types = [str(t) for t in items(spec.get("policyTypes"))] or ["Ingress"]
    deny_in = "Ingress" in types and not items(spec.get("ingress"))
    deny_out = "Egress" in types and not items(spec.get("egress"))
    return deny_in, deny_out


def _selected(
    selector: Mapping[str, Any], namespace: str, by_ns: Mapping[str, list[ConfigObject]]
) -> tuple[str, ...]:
    if not selector:
        return ()  # a Service without a selector selects no pods (manual Endpoints)
    out = []
    for w in by_ns.get(namespace, ()):
        pod = pod_template(w)
        if pod is None:
            continue
        labels = mapping(pod.metadata.get("labels"))
        if all(key in labels and str(labels[key]) == str(value) for key, value in selector.items()):
            out.append(w.name)
    return tuple(out)


def _exposure(
    out: ClusterAnalysis, top: Sequence[ConfigObject], by_kind: Mapping[str, list[ConfigObject]]
) -> None:
    by_ns: dict[str, list[ConfigObject]] = {}
    for w in top:
        by_ns.setdefault(namespace_of(w), []).append(w)
    services: dict[tuple[str, str], tuple[str, ...]] = {}
    exposed: list[Exposure] = []
    for svc in by_kind.get("Service", ()):
        ns = namespace_of(svc)
        spec = mapping(svc.data.get("spec"))
        selected = _selected(mapping(spec.get("selector")), ns, by_ns)
        services[(ns, str(get(svc.data, "metadata", "name")))] = selected
        kind = str(spec.get("type") or "ClusterIP")
        how = ""
        if kind in ("LoadBalancer", "NodePort"):
            how = kind
            if kind == "LoadBalancer" and items(spec.get("loadBalancerSourceRanges")):
                how += (
                    " (source ranges " + ",".join(map(str, items(spec.get("loadBalancerSourceRanges")))) + ")"
                )
        elif items(spec.get("externalIPs")):
            how = "externalIPs " + ",".join(map(str, items(spec.get("externalIPs"))))
        if how:
            exposed.append(Exposure(svc.name, how, selected))
    for ing in by_kind.get("Ingress", ()):
        ns = namespace_of(ing)
        names: list[str] = []
        hosts: list[str] = []
        spec = mapping(ing.data.get("spec"))
        backends = [get(spec, "defaultBackend", "service", "name")]
        for rule in items(spec.get("rules")):
            rule = mapping(rule)
            hosts.append(str(rule.get("host") or "*"))
            for p in items(get(rule, "http", "paths")):
                backends.append(get(p, "backend", "service", "name"))
        for backend in backends:
            if isinstance(backend, str):
                names.extend(w for w in services.get((ns, backend), ()) if w not in names)
        exposed.append(Exposure(ing.name, "Ingress " + ",".join(hosts or ["*"]), tuple(names)))
    out.exposures.extend(exposed)
    for e in exposed:
        if e.workloads:
            out.findings.append(
                _finding(EXPOSED, f"{e.via} ({e.how}) exposes {', '.join(e.workloads)}", e.via)
            )


def _secret_use(out: ClusterAnalysis, top: Sequence[ConfigObject]) -> None:
    for w in top:
        pod = pod_template(w)
        if pod is None:
            continue
        ns = namespace_of(w)
        for vol in items(pod.spec.get("volumes")):
            vol = mapping(vol)
            name = get(vol, "secret", "secretName")
            if isinstance(name, str):
                out.secrets.append(SecretUse(w.name, f"{ns}/{name}", "volume", str(vol.get("name", ""))))
            for src in items(get(vol, "projected", "sources")):
                name = get(src, "secret", "name")
                if isinstance(name, str):
                    out.secrets.append(SecretUse(w.name, f"{ns}/{name}", "volume", str(vol.get("name", ""))))
        for ref in items(pod.spec.get("imagePullSecrets")):
            name = get(ref, "name")
            if isinstance(name, str):
                out.secrets.append(SecretUse(w.name, f"{ns}/{name}", "imagePullSecret", ""))
        for c in containers(pod):
            for env in items(c.spec.get("env")):
                name = get(env, "valueFrom", "secretKeyRef", "name")
                if isinstance(name, str):
                    out.secrets.append(
                        SecretUse(w.name, f"{ns}/{name}", "env", f"{c.name}:{get(env, 'name')}")
                    )
            for env_from in items(c.spec.get("envFrom")):
                name = get(env_from, "secretRef", "name")
                if isinstance(name, str):
                    out.secrets.append(SecretUse(w.name, f"{ns}/{name}", "envFrom", c.name))


def _pod_security(
    out: ClusterAnalysis, top: Sequence[ConfigObject], by_kind: Mapping[str, list[ConfigObject]]
) -> None:
    for ns in by_kind.get("Namespace", ()):
        name = str(get(ns.data, "metadata", "name"))
        if name in SYSTEM_NAMESPACES:
            continue
        level = mapping(get(ns.data, "metadata", "labels")).get(PSA_ENFORCE)
        if level not in ("baseline", "restricted"):
            why = "no enforce label" if level is None else f"enforce={level}"
            out.findings.append(_finding(NO_PSA, f'namespace "{name}": {why}', ns.name, "metadata.labels"))


def _service_accounts(
    out: ClusterAnalysis, top: Sequence[ConfigObject], by_kind: Mapping[str, list[ConfigObject]]
) -> None:
    accounts = by_kind.get("ServiceAccount", ())
    if not accounts:
        return  # a snapshot without ServiceAccounts says nothing about which exist
    known = {(namespace_of(a), str(get(a.data, "metadata", "name"))) for a in accounts}
    listed = {namespace_of(a) for a in accounts}
    for w in top:
        pod = pod_template(w)
        ns = namespace_of(w)
        if pod is None or ns not in listed:
            continue
        name = pod.spec.get("serviceAccountName") or pod.spec.get("serviceAccount") or "default"
        if name != "default" and (ns, str(name)) not in known:
            out.findings.append(
                _finding(MISSING_SA, f'ServiceAccount "{name}" does not exist in "{ns}"', w.name)
            )


def _rule_text(rule: Any) -> str:
    verbs = ",".join(rule.verbs) or "-"
    resources = ",".join(
        (f"{g}/{r}" if g and g != "*" else r) for g in (rule.api_groups or ("",)) for r in rule.resources
    )
    text = f"{verbs} on {resources or ','.join(rule.resource_names) or '-'}"
    if rule.resource_names:
        text += f" (names {','.join(rule.resource_names)})"
    return text


def _who_can(out: ClusterAnalysis, by_kind: Mapping[str, list[ConfigObject]]) -> None:
    bindings = [b for k in BINDING_KINDS for b in by_kind.get(k, ())]
    cluster_roles = by_kind.get("ClusterRole", [])
    roles = {
        (r.kind, namespace_of(r), str(get(r.data, "metadata", "name"))): r
        for k in ROLE_KINDS
        for r in by_kind.get(k, ())
    }
    # Group bindings by the role they reference: one pass instead of bindings x roles.
    by_ref: dict[tuple[str, str, str], list[ConfigObject]] = {}
    for b in bindings:
        ref = mapping(b.data.get("roleRef"))
        kind, name = str(ref.get("kind", "")), str(ref.get("name", ""))
        ns = namespace_of(b) if kind == "Role" else ""
        by_ref.setdefault((kind, ns, name), []).append(b)
    for key, refs in by_ref.items():
        role = roles.get(key)
        rules = (
            tuple(_rule_text(r) for r in role_rules(role, cluster_roles))
            if role is not None
            else ("(role not found)",)
        )
        role_name = role.name if role is not None else f"{key[0]}/{key[2]}"
        for h in _holders_of(refs):
            binding_ns = h.binding.split("/")[1] if h.binding.startswith("RoleBinding/") else ""
            out.permissions.append(
                Permission(h.subject, h.binding, role_name, binding_ns or "cluster", rules)
            )
    out.permissions.sort(key=lambda p: (p.subject.kind, p.subject.namespace, p.subject.name, p.binding))


def _holders_of(bindings: Sequence[ConfigObject]) -> list[Holder]:
    """Subjects of bindings that all reference one role (grouped by ``_who_can``)."""
    out = []
    for b in bindings:
        for s in items(b.data.get("subjects")):
            s = mapping(s)
            ns = str(s.get("namespace") or (namespace_of(b) if s.get("kind") == "ServiceAccount" else ""))
            out.append(Holder(Subject(str(s.get("kind", "")), str(s.get("name", "")), ns), b.name))
    return out
