"""Value types of the misconfiguration scanner: check metadata, hits, findings, config objects."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from seawall.model import Severity
from seawall.report.document import FindingSummary

JSONPath = tuple[str | int, ...]

# Compliance framework names, as accepted by ``--compliance``.
DOCKER_CIS = "docker-cis"
K8S_CIS = "k8s-cis"
PSS_BASELINE = "k8s-pss-baseline"
PSS_RESTRICTED = "k8s-pss-restricted"
K8S_NSA = "k8s-nsa"


@dataclass(frozen=True, slots=True)
class Compliance:
    """One compliance control a check implements (``k8s-cis`` ``5.2.2``,
    ``k8s-pss-baseline`` ``privileged``)."""

    framework: str
    control: str


@dataclass(frozen=True, slots=True)
class CheckMeta:
    """What a check is: id, words for humans, severity, and the controls it maps to."""

    id: str  # DS001, IMG001, K8S001, RBAC001, COMPOSE001
    target: str  # dockerfile, image, kubernetes, rbac, compose, custom
    title: str
    severity: Severity
    description: str
    remediation: str
    references: tuple[str, ...] = ()
    compliance: tuple[Compliance, ...] = ()

    @property
    def alias(self) -> str:
        """A Trivy ``AVDID``-like alias: ``SWL-DS-0001`` for ``DS001``."""
        prefix = self.id.rstrip("0123456789")
        number = self.id[len(prefix) :]
        return f"SWL-{prefix}-{int(number or 0):04d}"


@dataclass(frozen=True, slots=True)
class Hit:
    """One failure a check reports; the engine turns it into a located finding."""

    message: str
    path: JSONPath = ()  # JSON path of the offending field inside the object
    start_line: int = 0  # explicit lines (Dockerfile instructions); 0 means "resolve from path"
    end_line: int = 0


@dataclass(frozen=True, slots=True)
class ConfigObject:
    """One parsed configuration object: a Dockerfile, a Kubernetes resource, a compose file, an image config.

    ``positions`` maps JSON paths to (start_line, end_line) in ``file``; objects that come from a
    cluster or an image have none and findings carry only their JSON path.
    """

    target: str  # dockerfile, kubernetes, compose, image
    data: Any
    file: str = ""
    doc_index: int = 0
    positions: Mapping[JSONPath, tuple[int, int]] = field(default_factory=dict)
    lines: tuple[str, ...] = ()  # source lines, for inline suppressions

    @property
    def kind(self) -> str:
        """The Kubernetes kind, or the target name for other objects."""
        if isinstance(self.data, Mapping):
            kind = self.data.get("kind")
            if isinstance(kind, str):
                return kind
        return self.target

    @property
    def name(self) -> str:
        """``Kind/namespace/name`` for Kubernetes objects, the file name otherwise."""
        if self.target == "kubernetes" and isinstance(self.data, Mapping):
            meta = self.data.get("metadata")
            meta = meta if isinstance(meta, Mapping) else {}
            ns = meta.get("namespace")
            name = meta.get("name", "")
            return f"{self.kind}/{ns}/{name}" if ns else f"{self.kind}/{name}"
        return self.file

    def locate(self, path: JSONPath) -> tuple[int, int]:
        """The line range of the deepest known prefix of ``path``; (0, 0) when unknown."""
        for end in range(len(path), -1, -1):
            found = self.positions.get(path[:end])
            if found:
                return found
        return (0, 0)


_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class ScanContext:
    """Everything a check may look at besides its own object (other resources, settings)."""

    objects: Sequence[ConfigObject] = ()
    trusted_registries: tuple[str, ...] = ()
    by_kind: Mapping[str, tuple[ConfigObject, ...]] = field(init=False, repr=False)
    _derived: dict[str, object] = field(init=False, repr=False, compare=False, default_factory=dict)

    def __post_init__(self) -> None:
        # Cross-object checks (NetworkPolicy selection, RBAC bindings) look objects up by kind; an
        # index keeps them linear on cluster snapshots with tens of thousands of objects.
        index: dict[str, list[ConfigObject]] = {}
        for obj in self.objects:
            index.setdefault(obj.kind, []).append(obj)
        object.__setattr__(self, "by_kind", {k: tuple(v) for k, v in index.items()})

    def of_kind(self, *kinds: str) -> tuple[ConfigObject, ...]:
        """The scanned objects of these kinds."""
        if len(kinds) == 1:
            return self.by_kind.get(kinds[0], ())
        return tuple(o for k in kinds for o in self.by_kind.get(k, ()))

    def derived(self, key: str, build: Callable[[ScanContext], _T]) -> _T:
        """A look-up table built from this context once per scan and shared by every object's check."""
        found = self._derived.get(key)
        if found is None:
            # two threads may both build it; either result is the same, and setdefault keeps one
            found = self._derived.setdefault(key, build(self))
        return cast(_T, found)


Evaluate = Callable[[ConfigObject, ScanContext], Iterable[Hit]]


@dataclass(frozen=True, slots=True)
class Check:
    """A check: its metadata and the function that evaluates one object."""

    meta: CheckMeta
    evaluate: Evaluate
    applies_to: tuple[str, ...]  # ConfigObject targets this check reads


@dataclass(frozen=True, slots=True)
class MisconfigFinding:
    """A failed check at an exact place: Trivy's ``Misconfigurations[]`` entry."""

    check: CheckMeta
    message: str
    file: str
    resource: str = ""
    json_path: str = ""
    start_line: int = 0
    end_line: int = 0
    status: str = "FAIL"

    @property
    def severity(self) -> Severity:
        return self.check.severity

    def to_json(self) -> dict[str, Any]:
        """Trivy's ``DetectedMisconfiguration`` shape plus ``JSONPath`` and ``Compliance``."""
        meta = self.check
        cause: dict[str, Any] = {"Provider": _PROVIDERS.get(meta.target, meta.target), "Service": "general"}
        if self.resource:
            cause["Resource"] = self.resource
        if self.start_line:
            cause["StartLine"] = self.start_line
            cause["EndLine"] = self.end_line or self.start_line
        return {
            "Type": _TYPES.get(meta.target, meta.target),
            "ID": meta.id,
            "AVDID": meta.alias,
            "Title": meta.title,
            "Description": meta.description,
            "Message": self.message,
            "Namespace": f"seawall.{meta.target}",
            "Resolution": meta.remediation,
            "Severity": meta.severity.name,
            "PrimaryURL": meta.references[0] if meta.references else "",
            "References": list(meta.references),
            "Status": self.status,
            "CauseMetadata": cause,
            "JSONPath": self.json_path,
            "Compliance": [f"{c.framework}:{c.control}" for c in meta.compliance],
        }

    def summary(self) -> FindingSummary:
        """The format-neutral view for the table, SARIF and JUnit writers."""
        meta = self.check
        return FindingSummary(
            rule_id=meta.id,
            title=meta.title,
            message=self.message,
            severity=meta.severity,
            path=self.file,
            start_line=self.start_line,
            end_line=self.end_line or self.start_line,
            help_uri=meta.references[0] if meta.references else "",
            help_text=meta.remediation,
            kind="misconfiguration",
        )


_TYPES = {
    "dockerfile": "Dockerfile Security Check",
    "image": "Image Config Security Check",
    "kubernetes": "Kubernetes Security Check",
    "rbac": "Kubernetes Security Check",
    "compose": "Compose Security Check",
    "registry": "Registry Config Security Check",
    "custom": "Custom Policy",
}
_PROVIDERS = {
    "dockerfile": "Dockerfile",
    "image": "Dockerfile",
    "kubernetes": "Kubernetes",
    "rbac": "Kubernetes",
    "compose": "Compose",
    "registry": "Distribution",
}


def format_json_path(path: Iterable[str | int]) -> str:
    """``("spec", "containers", 0, "image")`` -> ``spec.containers[0].image``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif out:
            out += f".{part}"
        else:
            out = str(part)
    return out
