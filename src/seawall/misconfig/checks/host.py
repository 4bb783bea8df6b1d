"""Container host checks (HOST*): CIS Docker Benchmark 1.6 sections 1, 2, 3, 5 and 6 for Docker and Podman.

Host checks differ from file checks in one way: a control can pass, fail, warn, be manual, not apply,
or be undecidable (an unreadable file), and the audit reports every one of those with its evidence.
So a host check returns :class:`Outcome` values; :func:`registry_checks` wraps the checks as plain
registry :class:`Check` objects (failures as hits) for the compliance machinery.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from seawall.host.configs import Parsed
from seawall.host.snapshot import HostSnapshot
from seawall.host.versions import RuntimeVulns
from seawall.misconfig.model import DOCKER_CIS, Check, CheckMeta, Compliance, ConfigObject, Hit, ScanContext
from seawall.model import Severity

PASS, FAIL, WARN, MANUAL, NA, ERROR = "PASS", "FAIL", "WARN", "MANUAL", "NOT-APPLICABLE", "ERROR"
STATUSES = (FAIL, ERROR, WARN, PASS, MANUAL, NA)  # worst first
CIS_URL = "https://www.cisecurity.org/benchmark/docker"
DOCKER_DOCS = "https://docs.docker.com/reference/cli/dockerd/"
PODMAN_DOCS = "https://github.com/containers/common/blob/main/docs/containers.conf.5.md"


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of one control on one subject (the host, a file, a container), with its evidence."""

    control: str  # CIS id
    status: str
    message: str
    evidence: str  # the file and key, the flag, or the container field that decided
    subject: str = "host"  # host, docker, podman, a file path, or "container NAME"


Container = Mapping[str, Any]
HostFn = Callable[[HostSnapshot], Iterable[Outcome]]
ContainerFn = Callable[[HostSnapshot, Container], Iterable[Outcome]]


@dataclass(frozen=True, slots=True)
class HostCheck:
    """A host check: metadata, the CIS controls it decides, and its evaluation."""

    meta: CheckMeta
    controls: tuple[str, ...]
    scope: str  # host | container | runtime (needs the runtime version matches)
    fn: Callable[..., Iterable[Outcome]]

    def run(
        self, snap: HostSnapshot, container: Container | None = None, runtime: RuntimeVulns | None = None
    ) -> list[Outcome]:
        """Evaluate; an unexpected shape in the snapshot becomes an ERROR outcome, never a traceback."""
        try:
            if self.scope == "runtime":
                return list(self.fn(snap, runtime))
            if self.scope == "container":
                return list(self.fn(snap, container or {}))
            return list(self.fn(snap))
        except (KeyError, TypeError, AttributeError, ValueError, IndexError) as exc:
            subject = f"container {container_name(container)}" if container is not None else "host"
            return [
                Outcome(c, ERROR, f"{self.meta.id} could not run: {exc}", "", subject) for c in self.controls
            ]


HOST_CHECKS: dict[str, HostCheck] = {}
_MODULES = ("host_files", "host_daemon", "host_containers", "host_runtime")


def host_checks() -> dict[str, HostCheck]:
    """Every host check by id (the check modules register themselves on first use)."""
    for name in _MODULES:
        importlib.import_module(f"seawall.misconfig.checks.{name}")
    return HOST_CHECKS


def host_check(
    id: str,
    controls: str | tuple[str, ...],
    title: str,
    severity: Severity,
    description: str,
    remediation: str,
    *,
    scope: str = "host",
    references: tuple[str, ...] = (CIS_URL,),
) -> Callable[[Callable[..., Iterable[Outcome]]], Callable[..., Iterable[Outcome]]]:
    """Register a host check deciding ``controls`` (CIS Docker 1.6 ids)."""
    ids = (controls,) if isinstance(controls, str) else controls

    def register(fn: Callable[..., Iterable[Outcome]]) -> Callable[..., Iterable[Outcome]]:
        if id in HOST_CHECKS:
            raise ValueError(f"host check id {id} registered twice")
        meta = CheckMeta(
            id=id,
            target="host",
            title=title,
            severity=severity,
            description=description,
            remediation=remediation,
            references=references,
            compliance=tuple(Compliance(DOCKER_CIS, c) for c in ids),
        )
        HOST_CHECKS[id] = HostCheck(meta, ids, scope, fn)
        return fn

    return register


def registry_checks() -> list[Check]:
    """The host checks as registry checks over ``host`` / ``host-container`` objects (failures as hits)."""

    def wrap(hc: HostCheck) -> Callable[[ConfigObject, ScanContext], Iterator[Hit]]:
        def evaluate(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
            snap, container = obj.data
            for out in hc.run(snap, container):
                if out.status == FAIL:
                    yield Hit(f"{out.message} ({out.evidence})")

        return evaluate

    return [
        Check(hc.meta, wrap(hc), ("host-container",) if hc.scope == "container" else ("host",))
        for hc in host_checks().values()
    ]


def container_name(c: Container | None) -> str:
    """The container's name without Docker's leading slash, else its short id."""
    if not c:
        return "?"
    name = str(c.get("Name") or "").lstrip("/")
    return name or str(c.get("Id", ""))[:12]


def host_config(c: Container) -> Mapping[str, Any]:
    value = c.get("HostConfig")
    return value if isinstance(value, Mapping) else {}


def container_config(c: Container) -> Mapping[str, Any]:
    value = c.get("Config")
    return value if isinstance(value, Mapping) else {}


def container_outcome(c: Container, control: str, status: str, message: str, evidence: str) -> Outcome:
    return Outcome(control, status, message, evidence, f"container {container_name(c)}")


def not_applicable(control: str, why: str, subject: str = "host") -> Outcome:
    return Outcome(control, NA, why, "", subject)


def config_error(control: str, parsed: Parsed, subject: str) -> Outcome | None:
    if parsed.error:
        return Outcome(control, ERROR, parsed.error, parsed.where, subject)
    return None


def truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() in ("true", "1", "yes"))


def falsy(value: Any) -> bool:
    return value is False or (isinstance(value, str) and value.strip().lower() in ("false", "0", "no"))
