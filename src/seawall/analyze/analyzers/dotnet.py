""".NET: ``*.deps.json`` of built applications, NuGet's ``packages.lock.json`` and ``packages.config``."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any, ClassVar

from seawall.analyze.analyzers.langcommon import (
    LOCKFILE_MAX,
    BadInput,
    LangAnalyzer,
    as_dict,
    as_str,
    check_count,
    decode,
    load_json_object,
    purl,
    sort_packages,
)
from seawall.model import Package


def nuget_package(name: str, version: str, file_path: str, **extra: Any) -> Package:
    """A NuGet package with its purl."""
    return Package(
        name=name, version=version, purl=purl("nuget", name, version), file_path=file_path, **extra
    )


class DepsJsonAnalyzer(LangAnalyzer):
    """``<app>.deps.json``: ``libraries`` of type ``package`` (projects and framework references are the
    application itself); dependencies from the runtime target."""

    name = "dotnet-core"
    app_type = "dotnet-core"
    suffixes: ClassVar[tuple[str, ...]] = (".deps.json",)
    max_size = LOCKFILE_MAX

    def parse(self, path: str, data: bytes) -> list[Package] | None:
        doc = load_json_object(data)
        libraries = as_dict(doc.get("libraries"))
        target_name = as_str(as_dict(doc.get("runtimeTarget")).get("name"))
        targets = as_dict(doc.get("targets"))
        target = as_dict(targets.get(target_name)) if target_name else {}
        if not target and len(targets) == 1:
            target = as_dict(next(iter(targets.values())))
        kinds = {}
        for key, lib in libraries.items():
            name, _, version = str(key).partition("/")
            kinds[name.lower()] = (name, version, as_str(as_dict(lib).get("type")).lower())
        out = []
        for key, lib in libraries.items():
            if as_str(as_dict(lib).get("type")).lower() != "package":
                continue
            name, _, version = str(key).partition("/")
            if not name or not version:
                continue
            deps = []
            for dep in as_dict(as_dict(target.get(key)).get("dependencies")):
                known = kinds.get(str(dep).lower())
                if known and known[2] == "package":
                    deps.append(f"{known[0]}@{known[1]}")
            out.append(nuget_package(name, version, path, depends_on=tuple(sorted(deps))))
            check_count(out)
        return sort_packages(out)


class NugetLockAnalyzer(LangAnalyzer):
    """``packages.lock.json``: every target framework's packages, projects skipped (all targets, as Trivy:
    .NET images often ship the lockfile and nothing else that names packages)."""

    name = "nuget"
    app_type = "nuget"
    basenames: ClassVar[frozenset[str]] = frozenset({"packages.lock.json"})
    max_size = LOCKFILE_MAX

    def parse(self, path: str, data: bytes) -> list[Package] | None:
        doc = load_json_object(data)
        found: dict[tuple[str, str], Package] = {}
        for framework in as_dict(doc.get("dependencies")).values():
            entries = as_dict(framework)
            resolved = {
                str(n).lower(): (str(n), as_str(as_dict(e).get("resolved")))
                for n, e in entries.items()
                if as_str(as_dict(e).get("type")).lower() != "project"
            }
            for name, raw in entries.items():
                entry = as_dict(raw)
                version = as_str(entry.get("resolved"))
                if as_str(entry.get("type")).lower() == "project" or not version:
                    continue
                deps = sorted(
                    f"{resolved[d.lower()][0]}@{resolved[d.lower()][1]}"
                    for d in as_dict(entry.get("dependencies"))
                    if isinstance(d, str) and resolved.get(d.lower(), ("", ""))[1]
                )
                found.setdefault(
                    (str(name), version), nuget_package(str(name), version, path, depends_on=tuple(deps))
                )
        packages = list(found.values())
        check_count(packages)
        return sort_packages(packages)


class PackagesConfigAnalyzer(LangAnalyzer):
    """``packages.config`` (classic NuGet, all targets as in Trivy): ``<package id version
    developmentDependency>``."""

    name = "packages-config"
    app_type = "nuget"
    basenames: ClassVar[frozenset[str]] = frozenset({"packages.config"})
    max_size = 16 * 1024 * 1024

    def parse(self, path: str, data: bytes) -> list[Package] | None:
        text = decode(data)
        # A DTD is never needed here and is how entity-expansion attacks start: refuse it outright.
        if "<!DOCTYPE" in text or "<!ENTITY" in text:
            raise BadInput("packages.config with a DTD refused")
        try:
            root = ET.fromstring(text)
        except ET.ParseError as exc:
            raise BadInput(f"not valid XML: {exc}") from exc
        out = []
        for node in root.iter("package"):
            name, version = node.get("id", "").strip(), node.get("version", "").strip()
            if name and version:
                dev = node.get("developmentDependency", "").lower() == "true"
                out.append(nuget_package(name, version, path, dev=dev))
        check_count(out)
        return sort_packages(out)
