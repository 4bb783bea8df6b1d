"""PHP: Composer's installed packages (``vendor/composer/installed.json``) and ``composer.lock``."""

from __future__ import annotations

from typing import Any, ClassVar

from seawall.analyze.analyzers.langcommon import (
    LOCKFILE_MAX,
    BadInput,
    LangAnalyzer,
    as_dict,
    as_list,
    as_str,
    check_count,
    license_list,
    load_json,
    purl,
    sort_packages,
)
from seawall.model import Package


def composer_package(name: str, version: str, file_path: str, **extra: Any) -> Package:
    """A Composer package (``vendor/name``) with its purl."""
    vendor, _, project = name.partition("/")
    ref = purl("composer", project, version, vendor) if project else purl("composer", name, version)
    return Package(name=name, version=version, purl=ref, file_path=file_path, **extra)


def _platform(name: str) -> bool:
    """``php``, ``ext-*``, ``lib-*``, ``composer-plugin-api``: requirements on the platform, not packages."""
    return "/" not in name


def composer_packages(entries: list[Any], dev_names: set[str], file_path: str) -> list[Package]:
    """Packages from Composer package objects; ``require`` names resolve to the versions listed."""
    versions = {as_str(as_dict(e).get("name")).lower(): as_str(as_dict(e).get("version")) for e in entries}
    out: dict[str, Package] = {}
    for raw in entries:
        entry = as_dict(raw)
        name, version = as_str(entry.get("name")), as_str(entry.get("version"))
        if not name or not version:
            continue
        deps = sorted(
            f"{dep}@{versions[dep.lower()]}"
            for dep in as_dict(entry.get("require"))
            if isinstance(dep, str) and not _platform(dep) and versions.get(dep.lower())
        )
        out.setdefault(
            name.lower(),
            composer_package(
                name,
                version,
                file_path,
                licenses=license_list(entry.get("license")),
                dev=name.lower() in dev_names,
                depends_on=tuple(deps),
            ),
        )
    packages = list(out.values())
    check_count(packages)
    return sort_packages(packages)


class ComposerInstalledAnalyzer(LangAnalyzer):
    """``vendor/composer/installed.json``: Composer 1 (a list) and 2 (``{"packages": [...]}``, with
    ``dev-package-names`` marking dev packages)."""

    name = "composer-vendor"
    app_type = "composer-vendor"
    max_size = LOCKFILE_MAX

    def claims(self, path: str, mode: int, size: int) -> bool:
        return path.endswith("composer/installed.json") and path.rpartition("/")[0].endswith(
            "vendor/composer"
        )

    def parse(self, path: str, data: bytes) -> list[Package] | None:
        doc = load_json(data)
        if isinstance(doc, list):
            return composer_packages(doc, set(), path)
        if not isinstance(doc, dict):
            raise BadInput("installed.json is neither a list nor an object")
        dev = {n.lower() for n in as_list(doc.get("dev-package-names")) if isinstance(n, str)}
        return composer_packages(as_list(doc.get("packages")), dev, path)


class ComposerLockAnalyzer(LangAnalyzer):
    """``composer.lock`` (source trees): ``packages`` and, marked dev, ``packages-dev``."""

    name = "composer"
    app_type = "composer"
    targets: ClassVar[frozenset[str]] = frozenset({"fs"})
    basenames: ClassVar[frozenset[str]] = frozenset({"composer.lock"})
    max_size = LOCKFILE_MAX

    def parse(self, path: str, data: bytes) -> list[Package] | None:
        doc = load_json(data)
        if not isinstance(doc, dict):
            raise BadInput("composer.lock is not a JSON object")
        dev_entries = as_list(doc.get("packages-dev"))
        dev = {as_str(as_dict(e).get("name")).lower() for e in dev_entries}
        return composer_packages(as_list(doc.get("packages")) + dev_entries, dev, path)
