"""Rust: ``Cargo.lock`` (format v1 to v4) with dependency relationships."""

from __future__ import annotations

from typing import Any, ClassVar

from seawall.analyze.analyzers.langcommon import (
    LOCKFILE_MAX,
    LangAnalyzer,
    as_dict,
    as_list,
    as_str,
    check_count,
    load_toml,
    purl,
    sort_packages,
)
from seawall.model import Package


class CargoLockAnalyzer(LangAnalyzer):
    """``Cargo.lock``: every ``[[package]]``; ``dependencies`` entries ``name``, ``name version`` or
    ``name version (source)`` resolve to package ids. Read in images too (as Trivy does): Rust programs
    leave no installed-package metadata, so a shipped Cargo.lock is the best record there is."""

    name = "cargo"
    app_type = "cargo"
    basenames: ClassVar[frozenset[str]] = frozenset({"Cargo.lock"})
    max_size = LOCKFILE_MAX

    def parse(self, path: str, data: bytes) -> list[Package] | None:
        entries = [as_dict(p) for p in as_list(load_toml(data).get("package"))]
        versions: dict[str, list[str]] = {}
        for entry in entries:
            name, version = as_str(entry.get("name")), as_str(entry.get("version"))
            if name and version:
                versions.setdefault(name, []).append(version)
        found: dict[tuple[str, str], Package] = {}
        for entry in entries:
            name, version = as_str(entry.get("name")), as_str(entry.get("version"))
            if not name or not version:
                continue
            deps = sorted(
                {d for d in (_dep_id(x, versions) for x in as_list(entry.get("dependencies"))) if d}
            )
            found.setdefault(
                (name, version),
                Package(
                    name=name,
                    version=version,
                    purl=purl("cargo", name, version),
                    file_path=path,
                    depends_on=tuple(deps),
                ),
            )
        packages = list(found.values())
        check_count(packages)
        return sort_packages(packages)


def _dep_id(spec: Any, versions: dict[str, list[str]]) -> str:
    """``name`` (only one version locked) or ``name version [(source)]`` -> ``name@version``."""
    if not isinstance(spec, str):
        return ""
    parts = spec.split()
    if not parts:
        return ""
    name = parts[0]
    if len(parts) >= 2:
        return f"{name}@{parts[1]}" if parts[1] in versions.get(name, ()) else ""
    locked = versions.get(name, [])
    return f"{name}@{locked[0]}" if len(locked) == 1 else ""
