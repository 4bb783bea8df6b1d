"""Helpers shared by the Kubernetes and RBAC checks: pod templates, containers, safe field access."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from seawall.misconfig.model import ConfigObject, JSONPath

POD_SPEC_PATHS: dict[str, JSONPath] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "PodTemplate": ("template", "spec"),
    "DeploymentConfig": ("spec", "template", "spec"),  # OpenShift
}
CONTAINER_KEYS = ("initContainers", "containers", "ephemeralContainers")
EMPTY: Mapping[str, Any] = {}


def get(value: Any, *keys: str | int) -> Any:
    """Walk mappings and lists; None as soon as a step is missing or of the wrong type."""
    for key in keys:
        if isinstance(key, int):
            if not isinstance(value, list) or key >= len(value):
                return None
            value = value[key]
        else:
            if not isinstance(value, Mapping):
                return None
            value = value.get(key)
    return value


def mapping(value: Any) -> Mapping[str, Any]:
    """``value`` if it is a mapping, else an empty one."""
    return value if isinstance(value, Mapping) else EMPTY


def items(value: Any) -> list[Any]:
    """``value`` if it is a list, else an empty one."""
    return value if isinstance(value, list) else []


@dataclass(frozen=True, slots=True)
class PodTemplate:
    """The pod spec of a workload, where it is, and the pod template's metadata."""

    spec: Mapping[str, Any]
    path: JSONPath
    metadata: Mapping[str, Any]
    kind: str

    @property
    def security_context(self) -> Mapping[str, Any]:
        return mapping(self.spec.get("securityContext"))

    @property
    def is_windows(self) -> bool:
        return bool(get(self.spec, "os", "name") == "windows")


@dataclass(frozen=True, slots=True)
class Container:
    """One container (init, regular or ephemeral) of a pod template."""

    spec: Mapping[str, Any]
    path: JSONPath
    group: str  # initContainers, containers, ephemeralContainers

    @property
    def name(self) -> str:
        return str(self.spec.get("name", ""))

    @property
    def security_context(self) -> Mapping[str, Any]:
        return mapping(self.spec.get("securityContext"))

    @property
    def label(self) -> str:
        kind = {"initContainers": "init container", "ephemeralContainers": "ephemeral container"}
        return f'{kind.get(self.group, "container")} "{self.name}"'


_TEMPLATES: dict[int, tuple[Any, PodTemplate | None]] = {}


def pod_template(obj: ConfigObject) -> PodTemplate | None:
    """The pod template of a workload object (any kind with a pod template), else None.

    Memoised per object (some thirty checks ask for it); the entry keeps the data alive so that its id
    cannot be reused, and the table is bounded.
    """
    cached = _TEMPLATES.get(id(obj.data))
    if cached is not None and cached[0] is obj.data:
        return cached[1]
    if len(_TEMPLATES) > 50_000:
        _TEMPLATES.clear()
    result = _pod_template(obj)
    _TEMPLATES[id(obj.data)] = (obj.data, result)
    return result


def _pod_template(obj: ConfigObject) -> PodTemplate | None:
    if obj.target != "kubernetes":
        return None
    path = POD_SPEC_PATHS.get(obj.kind)
    if path is None:
        return None
    spec = get(obj.data, *path)
    if not isinstance(spec, Mapping):
        return None
    meta_path = (*path[:-1], "metadata") if obj.kind != "Pod" else ("metadata",)
    return PodTemplate(spec, path, mapping(get(obj.data, *meta_path)), obj.kind)


def containers(pod: PodTemplate, groups: tuple[str, ...] = CONTAINER_KEYS) -> Iterator[Container]:
    """Every container of ``pod`` in the given groups, with its JSON path."""
    for group in groups:
        for index, spec in enumerate(items(pod.spec.get(group))):
            if isinstance(spec, Mapping):
                yield Container(spec, (*pod.path, group, index), group)


def namespace_of(obj: ConfigObject) -> str:
    """The object's namespace, ``""`` when not set (kubectl then uses the context's namespace)."""
    ns = get(obj.data, "metadata", "namespace")
    return ns if isinstance(ns, str) else ""


def labels_match(selector: Mapping[str, Any], labels: Mapping[str, Any]) -> bool:
    """Evaluate a LabelSelector (matchLabels and matchExpressions) against labels."""
    for key, value in mapping(selector.get("matchLabels")).items():
        if str(labels.get(key)) != str(value) or key not in labels:
            return False
    for raw in items(selector.get("matchExpressions")):
        expr = mapping(raw)
        name, op = str(expr.get("key")), expr.get("operator")
        values = [str(v) for v in items(expr.get("values"))]
        present = name in labels
        if op == "In" and not (present and str(labels[name]) in values):
            return False
        if op == "NotIn" and present and str(labels[name]) in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True
