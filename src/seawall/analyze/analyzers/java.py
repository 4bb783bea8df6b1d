"""Java: archives (``jar``: JAR/WAR/EAR/PAR, nested included), ``pom.xml`` (``pom``) and ``gradle.lockfile``.

Packages are named ``group:artifact`` as Trivy names them, with purl ``pkg:maven/group/artifact@version``
and ``file_path`` the (nested) archive they were found in: ``app.war/WEB-INF/lib/x.jar``.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from dataclasses import replace

from packageurl import PackageURL

from seawall.analyze.analyzer import Analyzer
from seawall.analyze.analyzers.javaarchive import ARCHIVE_SUFFIXES, inspect_archive, pom_licenses, safe_xml
from seawall.model import Application, FileFacts, Package

log = logging.getLogger(__name__)


def maven_package(
    group: str,
    artifact: str,
    version: str,
    file_path: str,
    *,
    dev: bool = False,
    depends_on: tuple[str, ...] = (),
    licenses: tuple[str, ...] = (),
) -> Package:
    """A Maven package: ``group:artifact`` (or the bare artifact when no group is known)."""
    purl = PackageURL(type="maven", namespace=group or None, name=artifact, version=version or None)
    return Package(
        name=f"{group}:{artifact}" if group else artifact,
        version=version,
        purl=purl.to_string(),
        file_path=file_path,
        dev=dev,
        depends_on=depends_on,
        licenses=licenses,
    )


class JarAnalyzer(Analyzer):
    """JAR, WAR, EAR and PAR archives, including archives nested inside them."""

    name = "jar"
    version = 4
    suffixes = ARCHIVE_SUFFIXES
    max_size = 256 * 1024 * 1024

    def claims(self, path: str, mode: int, size: int) -> bool:
        """Archive names in any letter case (``.JAR`` exists in the wild)."""
        return path.lower().endswith(self.suffixes)

    def analyze(self, path: str, data: bytes) -> FileFacts | None:
        """Every artifact the archive at ``path`` holds; limits met become warnings."""
        artifacts, warnings = inspect_archive(data, path)
        for w in warnings:
            log.debug("%s", w)
        seen: set[tuple[str, str, str]] = set()
        packages: list[Package] = []
        for a in artifacts:
            key = (a.group, a.artifact, a.version + "\0" + a.file_path)
            if key in seen:
                continue
            seen.add(key)
            packages.append(maven_package(a.group, a.artifact, a.version, a.file_path, licenses=a.licenses))
        apps = (Application("jar", path, tuple(packages)),) if packages else ()
        if not apps and not warnings:
            return None
        return FileFacts(path=path, applications=apps, warnings=tuple(warnings))


# pom.xml ------------------------------------------------------------------------------------------------

_PROPERTY = re.compile(r"\$\{([^}]+)\}")


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _child(el: ET.Element | None, name: str) -> ET.Element | None:
    if el is None:
        return None
    for c in el:
        if _local(c.tag) == name:
            return c
    return None


def _children(el: ET.Element | None) -> list[ET.Element]:
    # Not `el or ()`: an element without children is falsy (and testing it is deprecated).
    return list(el) if el is not None else []


def _text(el: ET.Element | None, name: str) -> str:
    c = _child(el, name)
    return (c.text or "").strip() if c is not None else ""


MAX_RESOLVED = 4096  # a version, group or license name longer than this is not real


def _resolve(value: str, props: dict[str, str]) -> str:
    for _ in range(10):  # properties may refer to properties; bounded against cycles
        new = _PROPERTY.sub(lambda m: props.get(m.group(1), m.group(0)), value)
        if new == value:
            break
        if len(new) > MAX_RESOLVED:  # "${a}${a}..." nested: billion laughs through properties
            return value
        value = new
    return value


class PomAnalyzer(Analyzer):
    """``pom.xml`` with versions written in the file (properties resolved in the file; no parent or BOM)."""

    name = "pom"
    version = 2
    basenames = frozenset({"pom.xml"})
    max_size = 8 * 1024 * 1024
    targets = frozenset({"fs"})

    def analyze(self, path: str, data: bytes) -> FileFacts | None:
        """The project and its declared dependencies."""
        try:
            packages = parse_pom(data, path)
        except ValueError as exc:
            msg = f"{path}: unreadable pom.xml: {exc}"
            log.debug("%s", msg)
            return FileFacts(path=path, warnings=(msg,))
        if not packages:
            return None
        return FileFacts(path=path, applications=(Application("pom", path, packages),))


def parse_pom(data: bytes, path: str) -> tuple[Package, ...]:
    """The root project (depending on its non-test dependencies) and the dependencies with known versions."""
    root = safe_xml(data)
    if _local(root.tag) != "project":
        raise ValueError("the root element is not <project>")
    parent = _child(root, "parent")
    group = _text(root, "groupId") or _text(parent, "groupId")
    artifact = _text(root, "artifactId")
    version = _text(root, "version") or _text(parent, "version")
    props: dict[str, str] = {}
    for el in _children(_child(root, "properties")):
        props[_local(el.tag)] = (el.text or "").strip()
    builtins = {
        "project.groupId": group,
        "project.artifactId": artifact,
        "project.version": version,
        "pom.version": version,
        "version": version,
        "project.parent.version": _text(parent, "version"),
        "project.parent.groupId": _text(parent, "groupId"),
    }
    props.update({k: v for k, v in builtins.items() if v})
    group, artifact, version = (_resolve(x, props) for x in (group, artifact, version))
    managed: dict[tuple[str, str], str] = {}
    for dep in _children(_child(_child(root, "dependencyManagement"), "dependencies")):
        g, a = _resolve(_text(dep, "groupId"), props), _resolve(_text(dep, "artifactId"), props)
        managed[(g, a)] = _resolve(_text(dep, "version"), props)
    packages: list[Package] = []
    for dep in _children(_child(root, "dependencies")):
        if _local(dep.tag) != "dependency":
            continue
        g, a = _resolve(_text(dep, "groupId"), props), _resolve(_text(dep, "artifactId"), props)
        v = _resolve(_text(dep, "version"), props) or managed.get((g, a), "")
        if not g or not a or not v or "${" in v:
            log.debug("%s: %s:%s has no version written in the file, skipped", path, g, a)
            continue
        scope = _text(dep, "scope")
        packages.append(maven_package(g, a, v, path, dev=scope == "test"))
    if group and artifact and "${" not in version:
        depends = tuple(sorted(p.id for p in packages if not p.dev))
        root_pkg = maven_package(group, artifact, version, path, depends_on=depends)
        licenses = tuple(x for x in (_resolve(n, props) for n in pom_licenses(root)) if x)
        packages.append(replace(root_pkg, licenses=licenses))
    return tuple(sorted(packages, key=lambda p: (p.name, p.version)))


# gradle.lockfile -----------------------------------------------------------------------------------------


class GradleLockAnalyzer(Analyzer):
    """``gradle.lockfile``: ``group:artifact:version=configurations`` lines."""

    name = "gradle-lockfile"
    version = 1
    suffixes = (".lockfile",)
    max_size = 16 * 1024 * 1024
    targets = frozenset({"fs"})

    def claims(self, path: str, mode: int, size: int) -> bool:
        """``gradle.lockfile`` and per-configuration ``*.lockfile`` under ``gradle/dependency-locks``."""
        base = path.rpartition("/")[2]
        return base == "gradle.lockfile" or (
            base.endswith(".lockfile") and "/dependency-locks/" in f"/{path}"
        )

    def analyze(self, path: str, data: bytes) -> FileFacts | None:
        """The locked modules; ones locked only for test configurations are marked dev."""
        packages: list[Package] = []
        for line in data.decode("utf-8", errors="replace").splitlines():
            line = line.strip()
            if not line or line.startswith("#") or line.startswith("empty="):
                continue
            coords, _, confs = line.partition("=")
            parts = coords.split(":")
            if len(parts) != 3 or not all(parts):
                continue
            names = [c.strip() for c in confs.split(",") if c.strip()]
            dev = bool(names) and all(c.lower().startswith("test") for c in names)
            packages.append(maven_package(parts[0], parts[1], parts[2], path, dev=dev))
        if not packages:
            return None
        return FileFacts(path=path, applications=(Application("gradle", path, tuple(packages)),))
