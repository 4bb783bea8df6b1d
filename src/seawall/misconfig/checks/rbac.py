"""RBAC checks (RBAC*): which subject holds which dangerous permission, through which binding.

Roles and ClusterRoles (aggregated ClusterRoles included) are resolved into their rules; bindings
among the scanned objects say who holds them. A dangerous grant is reported once, on the role that
grants it, with the subjects and bindings that hold it; bindings to cluster-admin, to the built-in
``system:anonymous``/``system:unauthenticated``/``system:authenticated`` groups, to ``system:masters``
and to default service accounts are reported on the binding.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from seawall.misconfig.checks.kube import get, items, labels_match, mapping, namespace_of
from seawall.misconfig.model import K8S_CIS, ConfigObject, Evaluate, Hit, ScanContext
from seawall.misconfig.registry import check
from seawall.model import Severity

RBAC_DOC = "https://kubernetes.io/docs/concepts/security/rbac-good-practices/"
ROLE_KINDS = ("Role", "ClusterRole")
BINDING_KINDS = ("RoleBinding", "ClusterRoleBinding")
PUBLIC_GROUPS = ("system:anonymous", "system:unauthenticated", "system:authenticated")


@dataclass(frozen=True, slots=True)
class Rule:
    """One PolicyRule, normalised to tuples."""

    api_groups: tuple[str, ...]
    resources: tuple[str, ...]
    verbs: tuple[str, ...]
    resource_names: tuple[str, ...]
    index: int  # position in the role's rules (for the JSON path)

    def allows(self, verb: str, group: str, resource: str, any_name: bool = True) -> bool:
        """Kubernetes' rule matching: ``*`` wildcards and ``*/subresource``."""
        if "*" not in self.verbs and verb not in self.verbs:
            return False
        if "*" not in self.api_groups and group not in self.api_groups:
            return False
        if any_name and self.resource_names:
            return False
        _, _, sub = resource.partition("/")
        return any(r in ("*", resource) or (sub and r == "*/" + sub) for r in self.resources)


@dataclass(frozen=True, slots=True)
class Subject:
    kind: str
    name: str
    namespace: str = ""

    def __str__(self) -> str:
        if self.kind == "ServiceAccount":
            return f"ServiceAccount {self.namespace or '?'}/{self.name}"
        return f"{self.kind} {self.name}"


@dataclass(frozen=True, slots=True)
class Holder:
    """A subject holding a role through a binding."""

    subject: Subject
    binding: str  # Kind/namespace/name of the binding


def _rules(role: Mapping[str, Any]) -> list[Rule]:
    out = []
    for index, raw in enumerate(items(role.get("rules"))):
        r = mapping(raw)
        out.append(
            Rule(
                tuple(str(x) for x in items(r.get("apiGroups"))),
                tuple(str(x) for x in items(r.get("resources"))),
                tuple(str(x) for x in items(r.get("verbs"))),
                tuple(str(x) for x in items(r.get("resourceNames"))),
                index,
            )
        )
    return out


def role_rules(obj: ConfigObject, objects: Sequence[ConfigObject]) -> list[Rule]:
    """The rules of a Role or ClusterRole, including those aggregated from matching ClusterRoles."""
    rules = _rules(obj.data)
    selectors = items(get(obj.data, "aggregationRule", "clusterRoleSelectors"))
    if obj.kind == "ClusterRole" and selectors:
        for other in objects:
            if other is obj or other.kind != "ClusterRole":
                continue
            labels = mapping(get(other.data, "metadata", "labels"))
            if any(labels_match(mapping(s), labels) for s in selectors):
                rules.extend(
                    Rule(r.api_groups, r.resources, r.verbs, r.resource_names, -1) for r in _rules(other.data)
                )
    return rules


def holders(role: ConfigObject, objects: Iterable[ConfigObject]) -> list[Holder]:
    """Subjects bound to ``role`` by the bindings among ``objects``."""
    name = get(role.data, "metadata", "name")
    out: list[Holder] = []
    for b in objects:
        if b.kind not in BINDING_KINDS:
            continue
        ref = mapping(b.data.get("roleRef"))
        if ref.get("kind") != role.kind or ref.get("name") != name:
            continue
        if role.kind == "Role" and namespace_of(b) != namespace_of(role):
            continue
        for s in items(b.data.get("subjects")):
            s = mapping(s)
            ns = str(s.get("namespace") or (namespace_of(b) if s.get("kind") == "ServiceAccount" else ""))
            out.append(Holder(Subject(str(s.get("kind", "")), str(s.get("name", "")), ns), b.name))
    return out


Permission = Callable[[Rule], str]  # returns a description of the dangerous grant, or ""


def _any(rule: Rule, verbs: Iterable[str], group: str, resources: Iterable[str]) -> str:
    for resource in resources:
        for verb in verbs:
            if rule.allows(verb, group, resource):
                return f"{verb} on {resource}"
    return ""


_PERMISSIONS: dict[str, Permission] = {}


@dataclass(frozen=True, slots=True)
class Grant:
    """A subject holding a dangerous permission: through which role and which binding."""

    subject: Subject
    check_id: str  # the RBAC check that describes the permission
    permission: str  # e.g. "list on secrets"
    role: str  # Kind/namespace/name of the role
    binding: str  # Kind/namespace/name of the binding


def grants(objects: Sequence[ConfigObject]) -> list[Grant]:
    """Every (subject, dangerous permission, role, binding) among ``objects`` (for cluster snapshots too)."""
    ctx = ScanContext(objects)
    out: list[Grant] = []
    for role in ctx.of_kind(*ROLE_KINDS):
        who = holders(role, ctx.of_kind(*BINDING_KINDS))
        if not who:
            continue
        rules = role_rules(role, ctx.of_kind("ClusterRole"))
        for check_id, permission in _PERMISSIONS.items():
            found = next((p for p in map(permission, rules) if p), "")
            if found:
                out.extend(Grant(h.subject, check_id, found, role.name, h.binding) for h in who)
    return out


def _role_check(
    id: str,
    title: str,
    severity: Severity,
    description: str,
    remediation: str,
    cis: str,
    permission: Permission,
) -> None:
    def evaluate(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
        if obj.kind not in ROLE_KINDS:
            return
        who = holders(obj, ctx.of_kind(*BINDING_KINDS))
        name = str(get(obj.data, "metadata", "name") or "")
        if name.startswith("system:") and all(h.subject.name.startswith("system:") for h in who):
            return  # built-in roles held only by built-in subjects: reconciled by the API server
        for rule in role_rules(obj, ctx.of_kind("ClusterRole")):
            grant = permission(rule)
            if not grant:
                continue
            held = "; ".join(f"held by {h.subject} via {h.binding}" for h in who[:5]) or "not bound here"
            path: tuple[str | int, ...] = ("rules", rule.index) if rule.index >= 0 else ("aggregationRule",)
            yield Hit(f"{obj.kind} {name} grants {grant} ({held})", path)
            break

    check(
        id,
        title,
        severity,
        description,
        remediation,
        target="rbac",
        applies_to=("kubernetes",),
        references=[RBAC_DOC],
        compliance=[(K8S_CIS, cis)] if cis else [],
    )(evaluate)
    _PERMISSIONS[id] = permission


def _wildcard(rule: Rule) -> str:
    for field, values in (
        ("verbs", rule.verbs),
        ("resources", rule.resources),
        ("apiGroups", rule.api_groups),
    ):
        if "*" in values:
            return f"'*' in {field}"
    return ""


_READ = ("get", "list", "watch")
_WORKLOADS = [
    ("", "pods"),
    ("apps", "deployments"),
    ("apps", "statefulsets"),
    ("apps", "daemonsets"),
    ("apps", "replicasets"),
    ("batch", "jobs"),
    ("batch", "cronjobs"),
    ("", "replicationcontrollers"),
]


def _secrets(rule: Rule) -> str:
    # list/watch always return every secret; get without resourceNames reads any secret by name.
    return _any(rule, _READ, "", ["secrets"])


def _exec(rule: Rule) -> str:
    return _any(rule, ("create", "get"), "", ["pods/exec", "pods/attach", "pods/portforward"])


def _workloads(rule: Rule) -> str:
    for group, resource in _WORKLOADS:
        if rule.allows("create", group, resource):
            return f"create on {resource}"
    return ""


def _escalation(rule: Rule) -> str:
    group = "rbac.authorization.k8s.io"
    found = _any(rule, ("bind", "escalate"), group, ["roles", "clusterroles"])
    if found:
        return found
    for group_name, resources in (
        ("", ["users", "groups", "serviceaccounts"]),
        ("authentication.k8s.io", ["userextras/scopes", "uids"]),
    ):
        found = _any(rule, ("impersonate",), group_name, resources)
        if found:
            return found
    return ""


def _nodes_proxy(rule: Rule) -> str:
    return _any(rule, ("get", "create", "*"), "", ["nodes/proxy"])


def _token(rule: Rule) -> str:
    return _any(rule, ("create",), "", ["serviceaccounts/token"])


def _csr(rule: Rule) -> str:
    approve = _any(rule, ("update", "patch"), "certificates.k8s.io", ["certificatesigningrequests/approval"])
    return approve


def _webhooks(rule: Rule) -> str:
    return _any(
        rule,
        ("create", "update", "patch", "delete"),
        "admissionregistration.k8s.io",
        [
            "validatingwebhookconfigurations",
            "mutatingwebhookconfigurations",
            "validatingadmissionpolicies",
            "validatingadmissionpolicybindings",
        ],
    )


def _pv(rule: Rule) -> str:
    return _any(rule, ("create",), "", ["persistentvolumes"])


_role_check(
    "RBAC001",
    "Wildcard in a Role or ClusterRole",
    Severity.MEDIUM,
    "'*' in verbs, resources or apiGroups grants every current and future permission of that kind.",
    "List the verbs, resources and API groups explicitly.",
    "5.1.3",
    _wildcard,
)
_role_check(
    "RBAC002",
    "Role can read secrets",
    Severity.HIGH,
    "get/list/watch on secrets (without resourceNames) exposes every secret in scope, including "
    "service account tokens.",
    "Grant get on named secrets only (resourceNames), or none.",
    "5.1.2",
    _secrets,
)
_role_check(
    "RBAC003",
    "Role can exec into, attach to or port-forward pods",
    Severity.HIGH,
    "pods/exec, pods/attach and pods/portforward give a shell or a network path into running pods "
    "and their secrets.",
    "Remove the pods/exec, pods/attach and pods/portforward grants.",
    "",
    _exec,
)
_role_check(
    "RBAC004",
    "Role can create pods or workloads",
    Severity.MEDIUM,
    "Creating pods (directly or through Deployments, Jobs, ...) lets a subject run as any service "
    "account in the namespace and mount its secrets.",
    "Limit create on pods and workloads to deployment tooling.",
    "5.1.4",
    _workloads,
)
_role_check(
    "RBAC005",
    "Role can bind, escalate or impersonate",
    Severity.CRITICAL,
    "bind/escalate on roles and impersonate on users, groups or service accounts let a subject "
    "grant itself any permission.",
    "Remove bind, escalate and impersonate grants.",
    "5.1.8",
    _escalation,
)
_role_check(
    "RBAC006",
    "Role can use the nodes/proxy subresource",
    Severity.HIGH,
    "nodes/proxy reaches the kubelet API directly, bypassing audit and admission: it can exec into "
    "any pod on the node.",
    "Remove the nodes/proxy grant.",
    "5.1.10",
    _nodes_proxy,
)
_role_check(
    "RBAC007",
    "Role can create service account tokens",
    Severity.HIGH,
    "create on serviceaccounts/token mints tokens for any service account in scope.",
    "Remove create on serviceaccounts/token.",
    "5.1.13",
    _token,
)
_role_check(
    "RBAC008",
    "Role can approve certificate signing requests",
    Severity.HIGH,
    "Approving CSRs can issue client certificates for any user or group, including system:masters.",
    "Remove update on certificatesigningrequests/approval.",
    "5.1.11",
    _csr,
)
_role_check(
    "RBAC009",
    "Role can change admission webhook configuration",
    Severity.HIGH,
    "Changing validating or mutating webhook configurations can disable policy enforcement or inject "
    "code into every new pod.",
    "Limit write access to admission configuration to cluster admins.",
    "5.1.12",
    _webhooks,
)
_role_check(
    "RBAC015",
    "Role can modify services/status",
    Severity.MEDIUM,
    "update/patch on services/status can set status.loadBalancer.ingress.ip and redirect cluster traffic "
    "(CVE-2020-8554).",
    "Remove write access to services/status.",
    "",
    lambda rule: _any(rule, ("update", "patch"), "", ["services/status"]),
)
_role_check(
    "RBAC010",
    "Role can create PersistentVolumes",
    Severity.MEDIUM,
    "Creating PersistentVolumes allows hostPath volumes and so access to the node's filesystem.",
    "Let users claim storage through PersistentVolumeClaims and StorageClasses instead.",
    "5.1.9",
    _pv,
)


def _binding_check(
    id: str, title: str, severity: Severity, description: str, remediation: str, cis: str
) -> Callable[[Evaluate], Evaluate]:
    return check(
        id,
        title,
        severity,
        description,
        remediation,
        target="rbac",
        applies_to=("kubernetes",),
        references=[RBAC_DOC],
        compliance=[(K8S_CIS, cis)] if cis else [],
    )


def _subjects(obj: ConfigObject) -> Iterator[tuple[int, Mapping[str, Any]]]:
    if obj.kind in BINDING_KINDS:
        for index, s in enumerate(items(obj.data.get("subjects"))):
            yield index, mapping(s)


@_binding_check(
    "RBAC011",
    "cluster-admin bound to a non-system subject",
    Severity.HIGH,
    "cluster-admin can do anything in the cluster; binding it to users, groups or workloads "
    "defeats every other control.",
    "Bind a narrower role.",
    "5.1.1",
)
def _rbac011(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    if (
        get(obj.data, "roleRef", "name") != "cluster-admin"
        or get(obj.data, "roleRef", "kind") != "ClusterRole"
    ):
        return
    for index, s in _subjects(obj):
        name = str(s.get("name", ""))
        if not name.startswith("system:"):
            yield Hit(
                f"{obj.kind} {get(obj.data, 'metadata', 'name')} grants cluster-admin to "
                f"{s.get('kind')} {name}",
                ("subjects", index),
            )


@_binding_check(
    "RBAC012",
    "Permissions granted to anonymous or all authenticated users",
    Severity.CRITICAL,
    "Bindings to system:anonymous, system:unauthenticated or system:authenticated give the "
    "permission to everyone who can reach the API server (or has any account).",
    "Bind the role to specific users, groups or service accounts.",
    "",
)
def _rbac012(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for index, s in _subjects(obj):
        if s.get("name") in PUBLIC_GROUPS:
            ref = mapping(obj.data.get("roleRef"))
            if obj.kind == "ClusterRoleBinding" and ref.get("name") in (
                "system:basic-user",
                "system:discovery",
                "system:public-info-viewer",
            ):
                continue  # the API server's own discovery bindings
            yield Hit(
                f"{obj.kind} grants {ref.get('kind')} {ref.get('name')} to {s.get('name')}",
                ("subjects", index),
            )


@_binding_check(
    "RBAC013",
    "system:masters group used in a binding",
    Severity.HIGH,
    "system:masters bypasses RBAC entirely and cannot be revoked by removing bindings.",
    "Do not reference system:masters; bind a role to a regular group.",
    "5.1.7",
)
def _rbac013(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for index, s in _subjects(obj):
        if s.get("kind") == "Group" and s.get("name") == "system:masters":
            yield Hit(f"{obj.kind} references the system:masters group", ("subjects", index))


@_binding_check(
    "RBAC014",
    "Role bound to a default service account",
    Severity.LOW,
    "Every pod that names no service account runs as 'default'; permissions bound to it are "
    "granted to all of them.",
    "Create a dedicated ServiceAccount and bind the role to it.",
    "5.1.5",
)
def _rbac014(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for index, s in _subjects(obj):
        if s.get("kind") == "ServiceAccount" and s.get("name") == "default":
            yield Hit(
                f"{obj.kind} binds {get(obj.data, 'roleRef', 'name')} to the default service account",
                ("subjects", index),
            )
