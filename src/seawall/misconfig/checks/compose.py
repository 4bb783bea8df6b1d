"""docker-compose checks (COMPOSE*): the CIS Docker section 5 runtime settings, per service."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from seawall.misconfig.checks.kube import items, mapping
from seawall.misconfig.model import DOCKER_CIS, ConfigObject, Evaluate, Hit, ScanContext
from seawall.misconfig.registry import check
from seawall.model import Severity

COMPOSE_DOC = "https://docs.docker.com/reference/compose-file/services/"
DANGEROUS_CAPS = frozenset(
    {"ALL", "SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE", "SYS_MODULE", "DAC_READ_SEARCH", "NET_RAW"}
)
SOCKETS = (
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/run/containerd/containerd.sock",
    "/var/run/crio/crio.sock",
)


def _services(obj: ConfigObject) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for name, svc in mapping(mapping(obj.data).get("services")).items():
        if isinstance(svc, Mapping):
            yield str(name), svc


def _compose_check(
    id: str, title: str, severity: Severity, description: str, remediation: str, cis: str = ""
) -> Callable[[Evaluate], Evaluate]:
    return check(
        id,
        title,
        severity,
        description,
        remediation,
        target="compose",
        references=[COMPOSE_DOC],
        compliance=[(DOCKER_CIS, cis)] if cis else [],
    )


@_compose_check(
    "COMPOSE001",
    "Privileged service",
    Severity.HIGH,
    "privileged: true gives the container every capability and all host devices.",
    "Remove privileged; add only the capabilities the service needs.",
    "5.5",
)
def _compose001(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for name, svc in _services(obj):
        if svc.get("privileged") is True:
            yield Hit(f'service "{name}" runs privileged', ("services", name, "privileged"))


@_compose_check(
    "COMPOSE002",
    "Dangerous capability added",
    Severity.HIGH,
    "cap_add with ALL, SYS_ADMIN, NET_ADMIN, SYS_PTRACE, SYS_MODULE or similar widens the "
    "container's power over the host.",
    "Remove the capability from cap_add.",
    "5.4",
)
def _compose002(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for name, svc in _services(obj):
        caps = {str(c).upper().removeprefix("CAP_") for c in items(svc.get("cap_add"))}
        bad = sorted(caps & DANGEROUS_CAPS)
        if bad:
            yield Hit(f'service "{name}" adds {", ".join(bad)}', ("services", name, "cap_add"))


def _host_mode(key: str, cis: str, what: str, cid: str, severity: Severity) -> None:
    def evaluate(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
        for name, svc in _services(obj):
            if svc.get(key) == "host":
                yield Hit(
                    f'service "{name}" shares the host {what} namespace ({key}: host)',
                    ("services", name, key),
                )

    _compose_check(
        cid,
        f"Host {what} namespace shared ({key}: host)",
        severity,
        f"{key}: host gives the container the host's {what} namespace.",
        f"Remove {key}: host.",
        cis,
    )(evaluate)


_host_mode("network_mode", "5.10", "network", "COMPOSE003", Severity.HIGH)
_host_mode("pid", "5.16", "PID", "COMPOSE004", Severity.HIGH)
_host_mode("ipc", "5.17", "IPC", "COMPOSE005", Severity.HIGH)


def _volume_source(volume: Any) -> str:
    if isinstance(volume, str):
        return volume.split(":", 1)[0]
    return str(mapping(volume).get("source", ""))


@_compose_check(
    "COMPOSE006",
    "Container runtime socket mounted",
    Severity.CRITICAL,
    "Mounting the Docker (or containerd/CRI-O) socket lets the container start privileged "
    "containers: it is root on the host.",
    "Do not mount the runtime socket.",
    "5.32",
)
def _compose006(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for name, svc in _services(obj):
        for index, volume in enumerate(items(svc.get("volumes"))):
            if _volume_source(volume).rstrip("/") in SOCKETS:
                yield Hit(
                    f'service "{name}" mounts {_volume_source(volume)}', ("services", name, "volumes", index)
                )


@_compose_check(
    "COMPOSE007",
    "Service runs without a user",
    Severity.LOW,
    "Without 'user' the service runs as the image's user, root for most images.",
    "Set user: to an unprivileged UID:GID (or make sure the image sets USER).",
    "4.1",
)
def _compose007(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for name, svc in _services(obj):
        user = svc.get("user")
        if user is None:
            yield Hit(f'service "{name}" sets no user', ("services", name))
        elif str(user).split(":")[0] in ("root", "0"):
            yield Hit(f'service "{name}" runs as root', ("services", name, "user"))


@_compose_check(
    "COMPOSE008",
    "Seccomp, AppArmor or SELinux confinement disabled",
    Severity.HIGH,
    "security_opt seccomp:unconfined, apparmor:unconfined or label:disable removes a kernel "
    "confinement layer.",
    "Remove the option (or use a custom profile).",
    "5.21",
)
def _compose008(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for name, svc in _services(obj):
        for index, opt in enumerate(items(svc.get("security_opt"))):
            text = str(opt).replace("=", ":").replace(" ", "").lower()
            if text in ("seccomp:unconfined", "apparmor:unconfined", "label:disable", "label:type:spc_t"):
                yield Hit(
                    f'service "{name}" sets security_opt {opt}', ("services", name, "security_opt", index)
                )


@_compose_check(
    "COMPOSE009",
    "Sensitive host path mounted",
    Severity.HIGH,
    "Binding /, /etc, /proc, /sys, /boot, /dev, /var/lib/docker or /var/lib/kubelet into a "
    "container exposes the host.",
    "Mount only the directories the service needs.",
    "5.6",
)
def _compose009(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    sensitive = {
        "/",
        "/etc",
        "/proc",
        "/sys",
        "/boot",
        "/dev",
        "/root",
        "/var/lib/docker",
        "/var/lib/kubelet",
        "/usr",
        "/lib",
    }
    for name, svc in _services(obj):
        for index, volume in enumerate(items(svc.get("volumes"))):
            source = _volume_source(volume)
            if (
                source.startswith("/")
                and ("/" + source.strip("/") if source.strip("/") else "/") in sensitive
            ):
                yield Hit(f'service "{name}" mounts host path {source}', ("services", name, "volumes", index))


@_compose_check(
    "COMPOSE010",
    "Host devices mapped",
    Severity.MEDIUM,
    "devices: gives the container direct access to host devices.",
    "Remove the device mapping unless the service needs it.",
    "5.18",
)
def _compose010(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for name, svc in _services(obj):
        if items(svc.get("devices")):
            yield Hit(f'service "{name}" maps host devices', ("services", name, "devices"))


@_compose_check(
    "COMPOSE011",
    "No memory limit",
    Severity.LOW,
    "Without a memory limit one service can exhaust the host's memory.",
    "Set mem_limit or deploy.resources.limits.memory.",
    "5.11",
)
def _compose011(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for name, svc in _services(obj):
        limit = svc.get("mem_limit") or mapping(
            mapping(mapping(svc.get("deploy")).get("resources")).get("limits")
        ).get("memory")
        if not limit:
            yield Hit(f'service "{name}" sets no memory limit', ("services", name))


@_compose_check(
    "COMPOSE012",
    "Image uses the 'latest' tag or no tag",
    Severity.LOW,
    "An untagged image changes under you between deployments.",
    "Pin the image to a version tag.",
)
def _compose012(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    from seawall.misconfig.checks.kubernetes import image_tag

    for name, svc in _services(obj):
        image = svc.get("image")
        if isinstance(image, str) and "$" not in image:
            tag, digest = image_tag(image)
            if not digest and tag in ("", "latest"):
                yield Hit(
                    f'service "{name}" image {image} is not pinned to a version', ("services", name, "image")
                )
