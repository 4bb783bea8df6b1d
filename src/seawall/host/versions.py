"""Runtime version check: the engine, runc/crun, containerd and conmon versions, matched against the
vulnerability database (Go module advisories for the upstream projects, distribution advisories for
packaged builds, Go standard library advisories for the toolchain the engine was built with).
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from seawall.host.fs import HostReadError
from seawall.host.snapshot import HostSnapshot
from seawall.model import Package
from seawall.scan.findings import DetectedVulnerability
from seawall.scan.policy import Policy, VulnOptions
from seawall.scan.vuln import Matcher, match_package, os_ecosystems
from seawall.vulndb.store import VulnDB

log = logging.getLogger("seawall.host")

TARGET = "container runtime"
BINARIES = ("podman", "dockerd", "containerd", "runc", "crun", "conmon")
TRUSTED_DIRS = "/usr/bin:/usr/sbin:/usr/local/bin:/usr/local/sbin:/bin:/sbin"
# Component -> (Go module path template, Debian source package).
UPSTREAM = {
    "podman": ("github.com/containers/podman/v{major}", "libpod"),
    "docker": ("github.com/docker/docker", "docker.io"),
    "containerd": ("github.com/containerd/containerd", "containerd"),
    "runc": ("github.com/opencontainers/runc", "runc"),
    "crun": ("", "crun"),
    "conmon": ("", "conmon"),
}
DEB_PACKAGES = {
    "podman": "podman",
    "docker.io": "docker",
    "docker-ce": "docker",
    "moby-engine": "docker",
    "containerd": "containerd",
    "containerd.io": "containerd",
    "runc": "runc",
    "crun": "crun",
    "conmon": "conmon",
}
_VERSION = re.compile(r"(\d+\.\d+(?:\.\d+)?)")
_GO = re.compile(r"go(\d+\.\d+(?:\.\d+)?)")


@dataclass(frozen=True, slots=True)
class Component:
    """One runtime component and where its version came from."""

    name: str  # podman, docker, containerd, runc, crun, conmon, go
    version: str  # upstream version (1.1.5)
    source: str  # "engine API /version", "runc --version", "/var/lib/dpkg/status"
    deb_version: str = ""  # full Debian version when installed from a package
    go_version: str = ""  # Go toolchain the binary was built with

    @property
    def label(self) -> str:
        return f"{self.name} {self.deb_version or self.version}"


def upstream_version(text: str) -> str:
    """The leading x.y[.z] of a version string: ``1.1.5+ds1-1+deb12u1`` -> ``1.1.5``."""
    m = _VERSION.search(text)
    return m.group(1) if m else ""


def from_api(version: Mapping[str, object]) -> list[Component]:
    """Components from the engine API's ``/version`` (Docker and Podman shapes)."""
    out: list[Component] = []
    src = "engine API /version"
    for comp in version.get("Components") or ():  # type: ignore[attr-defined]
        if not isinstance(comp, Mapping):
            continue
        name = str(comp.get("Name", "")).lower()
        text = str(comp.get("Version", ""))
        details = comp.get("Details") if isinstance(comp.get("Details"), Mapping) else {}
        go = _GO.search(str(details.get("GoVersion", "")) or text)  # type: ignore[union-attr]
        go_version = go.group(1) if go else ""
        deb = _deb_from_package(str(details.get("Package", "")))  # type: ignore[union-attr]
        for key in ("podman", "runc", "crun", "containerd", "conmon"):
            if key in name:
                out.append(Component(key, upstream_version(text), src, deb, go_version))
                break
        else:
            if name == "engine":
                out.append(Component("docker", upstream_version(text), src, "", go_version))
    return out


def _deb_from_package(text: str) -> str:
    """``runc_1.1.5+ds1-1+deb12u1_amd64`` (Podman's Details.Package) -> the Debian version."""
    parts = text.split("_")
    return parts[1] if len(parts) == 3 else ""


def from_binaries() -> list[Component]:
    """Components from ``NAME --version`` of binaries in the system directories (live host only)."""
    out = []
    for name in BINARIES:
        path = shutil.which(name, path=TRUSTED_DIRS)
        if path is None:
            continue
        try:
            proc = subprocess.run([path, "--version"], capture_output=True, timeout=10, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.warning("%s --version: %s", path, exc)
            continue
        text = proc.stdout.decode("utf-8", "replace")[:4096]
        version = upstream_version(text)
        if not version:
            continue
        go = _GO.search(text)
        out.append(
            Component(
                "docker" if name == "dockerd" else name,
                version,
                f"{path} --version",
                "",
                go.group(1) if go else "",
            )
        )
    return out


def from_packages(packages: Mapping[str, str]) -> list[Component]:
    """Components from installed Debian packages."""
    return [
        Component(DEB_PACKAGES[pkg], upstream_version(ver), "/var/lib/dpkg/status", ver)
        for pkg, ver in sorted(packages.items())
        if pkg in DEB_PACKAGES and upstream_version(ver)
    ]


def components(snap: HostSnapshot) -> list[Component]:
    """Every component found, one per name (API first, then binaries, then packages), with the
    package version attached when the package is installed."""
    found: list[Component] = []
    if snap.engine is not None and not snap.engine.error:
        found += from_api(snap.engine.version)
    if snap.live:
        found += from_binaries()  # never executed under --root: those binaries belong to another host
    packaged = {c.name: c for c in from_packages(snap.packages)}
    found += packaged.values()
    merged: dict[str, Component] = {}
    for c in found:
        old = merged.get(c.name)
        if old is None:
            merged[c.name] = c
        elif not old.go_version and c.go_version and old.version == c.version:
            merged[c.name] = Component(old.name, old.version, old.source, old.deb_version, c.go_version)
    out = []
    for c in merged.values():
        pkg = packaged.get(c.name)
        if pkg is not None and not c.deb_version and upstream_version(pkg.deb_version) == c.version:
            c = Component(c.name, c.version, c.source, pkg.deb_version, c.go_version)
        out.append(c)
    return out


def os_release(snap: HostSnapshot) -> tuple[str, str]:
    """(ID, VERSION_ID) from the host's os-release."""
    for path in ("/etc/os-release", "/usr/lib/os-release"):
        try:
            text = snap.fs.read_text(path, limit=64 << 10)
        except HostReadError:
            continue
        if text is None:
            continue
        fields = dict(
            (k, v.strip().strip('"')) for k, _, v in (line.partition("=") for line in text.splitlines()) if k
        )
        return fields.get("ID", ""), fields.get("VERSION_ID", "")
    return "", ""


@dataclass(frozen=True, slots=True)
class RuntimeVulns:
    """The runtime components and the vulnerabilities found in them."""

    components: tuple[Component, ...]
    findings: tuple[DetectedVulnerability, ...]
    sources: Mapping[str, str]  # component label -> which advisories were used (Go, Debian:12)


def match_runtime(comps: Sequence[Component], db: VulnDB, distro: tuple[str, str] = ("", "")) -> RuntimeVulns:
    """Match components: a packaged build against its distribution's advisories when the database has
    them (they know the backported fixes), otherwise against the upstream Go module advisories."""
    from seawall.model import OSInfo

    matcher = Matcher(db)
    distro_ecos = [e for e in os_ecosystems(OSInfo(family=distro[0], name=distro[1])) if db.has_ecosystem(e)]
    findings: list[DetectedVulnerability] = []
    sources: dict[str, str] = {}
    seen_go: set[str] = set()
    for c in comps:
        template, src_pkg = UPSTREAM.get(c.name, ("", ""))
        if c.deb_version and distro_ecos:
            pkg = Package(name=DEB_PACKAGE_NAME.get(c.name, c.name), version=c.deb_version, src_name=src_pkg)
            for eco in distro_ecos:
                findings += match_package(
                    matcher, pkg, eco, TARGET, [(src_pkg, c.deb_version), (pkg.name, c.deb_version)]
                )
            sources[c.label] = ", ".join(distro_ecos)
        elif template and c.version:
            module = template.format(major=c.version.split(".")[0])
            pkg = Package(name=module, version=c.version, purl=f"pkg:golang/{module}@v{c.version}")
            findings += match_package(matcher, pkg, "Go", TARGET, [(module, c.version)])
            sources[c.label] = f"Go ({module})"
        else:
            sources[c.label] = "no advisories source"
        if c.go_version and c.go_version not in seen_go and not (c.deb_version and distro_ecos):
            seen_go.add(c.go_version)
            std = Package(name="stdlib", version=c.go_version, purl=f"pkg:golang/stdlib@v{c.go_version}")
            findings += match_package(matcher, std, "Go", TARGET, [("stdlib", c.go_version)])
            sources[f"go {c.go_version}"] = "Go (stdlib)"
    unique: dict[tuple[str, str], DetectedVulnerability] = {}
    for f in findings:
        unique.setdefault((f.vulnerability_id, f.pkg_name), f)
    kept = Policy.from_options(VulnOptions()).apply(list(unique.values())).kept
    return RuntimeVulns(tuple(comps), tuple(kept), sources)


DEB_PACKAGE_NAME = {"docker": "docker.io"}
