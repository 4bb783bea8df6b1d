"""Image config checks (IMG*): CIS Docker 4.x and Dockle's checkpoints over the OCI image config JSON.

The object is ``{"config": <OCI image config>, "name": <image reference>, "packages": [names]}``;
:func:`seawall.misconfig.image_config.check_image_config` builds it. Checks on file contents
(setuid files, world-writable system directories, package caches) need the layer walker's file facts
and are not here yet.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from seawall.misconfig.checks.dockerfile import looks_secret, unneeded_tools, untrusted_registry
from seawall.misconfig.checks.kube import items, mapping
from seawall.misconfig.model import DOCKER_CIS, ConfigObject, Evaluate, Hit, ScanContext
from seawall.misconfig.registry import check
from seawall.model import Severity

OCI_CONFIG = "https://github.com/opencontainers/image-spec/blob/main/config.md"
SENSITIVE_PORTS = {
    "21": "FTP",
    "22": "SSH",
    "23": "telnet",
    "2375": "the unencrypted Docker API",
    "2376": "the Docker API",
    "3389": "RDP",
    "5900": "VNC",
    "10250": "the kubelet API",
}


def _config(obj: ConfigObject) -> Mapping[str, Any]:
    return mapping(mapping(obj.data).get("config"))


def _runtime(obj: ConfigObject) -> Mapping[str, Any]:
    return mapping(_config(obj).get("config"))


def _img_check(
    id: str, title: str, severity: Severity, description: str, remediation: str, cis: str = ""
) -> Callable[[Evaluate], Evaluate]:
    return check(
        id,
        title,
        severity,
        description,
        remediation,
        target="image",
        references=[OCI_CONFIG],
        compliance=[(DOCKER_CIS, cis)] if cis else [],
    )


@_img_check(
    "IMG001",
    "Image runs as root",
    Severity.HIGH,
    "The image config's User is empty or root, so containers run as uid 0 unless overridden.",
    "Add USER <unprivileged user> to the Dockerfile.",
    "4.1",
)
def _img001(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    user = str(_runtime(obj).get("User") or "")
    if user.split(":", maxsplit=1)[0] in ("", "root", "0"):
        yield Hit(f"config.User is {user!r}" if user else "config.User is empty (root)", ("config", "User"))


@_img_check(
    "IMG002",
    "Secret in an environment variable",
    Severity.HIGH,
    "Environment variables in the image config are readable by anyone who can pull the image.",
    "Provide secrets at run time from a secret store.",
    "4.10",
)
def _img002(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for index, entry in enumerate(items(_runtime(obj).get("Env"))):
        name, _, value = str(entry).partition("=")
        if looks_secret(name, value):
            yield Hit(f"config.Env {name} holds a literal secret value", ("config", "Env", index))


@_img_check(
    "IMG003",
    "Secret in a label",
    Severity.HIGH,
    "Labels are stored in the image config and readable by anyone who can pull the image.",
    "Remove the secret from LABEL.",
    "4.10",
)
def _img003(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for name, value in mapping(_runtime(obj).get("Labels")).items():
        if looks_secret(str(name), str(value)):
            yield Hit(f"label {name} holds a literal secret value", ("config", "Labels", str(name)))


@_img_check(
    "IMG004",
    "No HEALTHCHECK in the image",
    Severity.LOW,
    "Without a health check the engine cannot tell a hung container from a healthy one.",
    "Add HEALTHCHECK to the Dockerfile (orchestrators with their own probes may skip this).",
    "4.6",
)
def _img004(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    test = items(mapping(_runtime(obj).get("Healthcheck")).get("Test"))
    if not test or test[0] == "NONE":
        yield Hit("the image config has no Healthcheck", ("config",))


@_img_check(
    "IMG005",
    "Sensitive port exposed",
    Severity.MEDIUM,
    "The image exposes a remote-administration port (SSH, telnet, RDP, VNC, the Docker or kubelet API).",
    "Remove the EXPOSE and the service behind it.",
    "4.3",
)
def _img005(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for port in mapping(_runtime(obj).get("ExposedPorts")):
        number = str(port).split("/")[0]
        if number in SENSITIVE_PORTS:
            yield Hit(
                f"port {port} ({SENSITIVE_PORTS[number]}) is exposed", ("config", "ExposedPorts", str(port))
            )


_ADD_URL = re.compile(r"\bADD\b(?:\s+--\S+)*\s+(?:https?|ftp)://\S+", re.I)
_PIPE_SH = re.compile(r"\b(curl|wget)\b[^|;&]*\|\s*(sudo\s+)?(ba|z|da)?sh\b")


@_img_check(
    "IMG006",
    "ADD from a remote URL in the image history",
    Severity.MEDIUM,
    "A layer was built with ADD <url>, which downloads content without verification.",
    "Use ADD --checksum or download and verify in RUN.",
    "4.9",
)
def _img006(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for index, entry in enumerate(items(_config(obj).get("history"))):
        created = str(mapping(entry).get("created_by", ""))
        if _ADD_URL.search(created) and "--checksum" not in created:
            yield Hit(
                f"history[{index}] adds a remote URL: {created[:120]}", ("history", index, "created_by")
            )


@_img_check(
    "IMG007",
    "Downloaded script piped into a shell in the image history",
    Severity.MEDIUM,
    "A layer ran curl|sh: whatever the server returned at build time is in the image, unverified.",
    "Download, verify, then run scripts.",
)
def _img007(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for index, entry in enumerate(items(_config(obj).get("history"))):
        created = str(mapping(entry).get("created_by", ""))
        if _PIPE_SH.search(created):
            yield Hit(f"history[{index}] pipes a download into a shell", ("history", index, "created_by"))


@_img_check(
    "IMG008",
    "Image from a registry outside the trusted list",
    Severity.MEDIUM,
    "Images should come from registries your organisation trusts.",
    "Pull from a trusted registry, or add the registry to --trusted-registries.",
    "4.2",
)
def _img008(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    name = str(mapping(obj.data).get("name", ""))
    if not name or ("/" not in name and ":" not in name and "." not in name):
        return
    registry = untrusted_registry(name, ctx.trusted_registries)
    if registry and registry != "localhost" and not registry.startswith(("127.", "localhost:")):
        yield Hit(f"image {name} comes from untrusted registry {registry}", ())


@_img_check(
    "IMG009",
    "Image carries tools production rarely needs",
    Severity.LOW,
    "Shells, package managers, compilers, debuggers and network tools in a production image help an "
    "attacker who gets in "
    "(hardening advice).",
    "Copy only the artefacts into a slim or distroless image.",
)
def _img009(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    found = unneeded_tools(str(p) for p in items(mapping(obj.data).get("packages")))
    if found:
        listed = "; ".join(f"{cat}s: {', '.join(sorted(set(p)))}" for cat, p in sorted(found.items()))
        yield Hit(f"image contains {listed}; consider a distroless or slim base", ())


def _file_facts(obj: ConfigObject, rule_ids: tuple[str, ...]) -> Iterator[tuple[int, Mapping[str, Any]]]:
    for index, fact in enumerate(items(mapping(obj.data).get("files"))):
        fact = mapping(fact)
        if fact.get("rule_id") in rule_ids:
            yield index, fact


@_img_check(
    "IMG010",
    "Unexpected setuid or setgid file",
    Severity.HIGH,
    "setuid/setgid binaries outside the distribution's known-good list are a privilege-escalation "
    "path for anyone who gets a shell in the container (CIS Docker 4.8).",
    "Remove the bit in the Dockerfile (chmod a-s) or the binary itself.",
    "4.8",
)
def _img010(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for index, fact in _file_facts(obj, ("setuid-unexpected", "setgid-unexpected")):
        mode = dict(fact.get("detail", ())).get("mode", "")
        yield Hit(
            f"/{fact.get('path')} is {'setuid' if 'setuid' in str(fact.get('rule_id')) else 'setgid'}"
            + (f" (mode {mode})" if mode else ""),
            ("files", index),
        )


@_img_check(
    "IMG011",
    "World-writable file or directory in a system path",
    Severity.MEDIUM,
    "A world-writable (non-sticky) entry under /bin, /etc, /usr, /lib and similar lets any user in "
    "the container replace what root runs.",
    "Remove the write bit for others (chmod o-w) in the Dockerfile.",
)
def _img011(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for index, fact in _file_facts(obj, ("world-writable-system-path",)):
        yield Hit(f"/{fact.get('path')} is world-writable", ("files", index))


CACHE_REMEDIATION = {
    "apt": "rm -rf /var/lib/apt/lists/* after apt-get install, and apt-get clean (same RUN)",
    "apk": "apk add --no-cache",
    "yum": "yum clean all && rm -rf /var/cache/yum (same RUN)",
    "dnf": "dnf clean all (same RUN)",
    "zypper": "zypper clean --all (same RUN)",
    "pip": "pip install --no-cache-dir",
    "npm": "npm cache clean --force (same RUN), or a cache mount",
    "yarn": "yarn cache clean (same RUN), or a cache mount",
}


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    value = float(n)
    for unit in ("KiB", "MiB", "GiB"):
        value /= 1024
        if value < 1024 or unit == "GiB":
            break
    return f"{value:.1f} {unit}"


@_img_check(
    "IMG012",
    "Package-manager cache left in the image",
    Severity.LOW,
    "Downloaded packages and index files (apt lists and archives, apk, yum/dnf/zypper caches, pip, "
    "npm and yarn caches) stay in the layer: they add size and stale repository metadata, and help "
    "nothing at run time (Dockle CIS-DI-0009).",
    "Clean the cache in the same RUN that fills it: "
    + "; ".join(f"{k}: {v}" for k, v in CACHE_REMEDIATION.items()),
)
def _img012(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    found = []
    total = 0
    for index, fact in _file_facts(obj, ("package-cache",)):
        detail = dict(fact.get("detail", ()))
        try:
            files, size = int(detail.get("files", 0)), int(detail.get("bytes", 0))
        except ValueError:
            continue
        if files <= 0:
            continue
        found.append((index, str(fact.get("path")), str(detail.get("manager", "")), files, size))
        total += size
    if not found:
        return
    listed = ", ".join(
        f"/{path} ({manager}: {files} files, {_size(size)})" for _, path, manager, files, size in found
    )
    managers = sorted({manager for _, _, manager, _, _ in found})
    fixes = "; ".join(f"{m}: {CACHE_REMEDIATION[m]}" for m in managers if m in CACHE_REMEDIATION)
    yield Hit(
        f"package-manager caches hold {_size(total)} ({total} bytes): {listed}. Fix: {fixes}",
        ("files", found[0][0]),
    )
