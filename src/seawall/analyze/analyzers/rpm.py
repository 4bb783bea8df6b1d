"""The rpm analyzer: installed packages from rpm's database (SQLite, Berkeley DB or NDB).

Packages leave this analyzer without a purl: one database file does not say which distribution it
belongs to (VENDOR is no guide: a RHEL image holds EPEL packages whose vendor is "Fedora Project"), and
the merge step, which knows the OS, writes Trivy's form with the family as namespace and the epoch,
arch and distro as qualifiers (``pkg:rpm/redhat/bash@5.1.8-6.el9?arch=x86_64&distro=redhat-9.3``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from seawall.analyze.analyzer import Analyzer
from seawall.analyze.rpmdb import read_database
from seawall.analyze.rpmdb.header import RpmHeader
from seawall.model import FileFacts, Package

RPM_DB_DIRS = ("var/lib/rpm", "usr/lib/sysimage/rpm")
RPM_DB_FILES = ("Packages", "Packages.db", "rpmdb.sqlite")
_NONE = "(none)"


class RpmAnalyzer(Analyzer):
    """Reads ``Packages`` (Berkeley DB), ``Packages.db`` (NDB) and ``rpmdb.sqlite`` in both rpm dirs."""

    name = "rpm"
    version = 1
    paths = frozenset(f"{d}/{f}" for d in RPM_DB_DIRS for f in RPM_DB_FILES)
    max_size = 256 * 1024 * 1024  # rpm databases of large hosts reach ~200 MiB

    def analyze(self, path: str, data: bytes) -> FileFacts | None:
        """Inventory the packages recorded in one rpm database file."""
        db = read_database(data)
        warnings = tuple(f"{path}: {w}" for w in db.warnings)
        packages = packages_from_headers(db.headers)
        if not packages:
            return FileFacts(path=path, warnings=warnings) if warnings else None
        return FileFacts(path=path, os_packages=packages, os_package_type="redhat", warnings=warnings)


def split_source_rpm(source_rpm: str) -> tuple[str, str, str]:
    """``(name, version, release)`` from ``name-version-release.src.rpm``; empty strings if malformed."""
    if not source_rpm or source_rpm == _NONE:
        return "", "", ""
    stem = source_rpm.removesuffix(".rpm")
    stem = stem.rpartition(".")[0] if "." in stem else stem  # drop the arch: src or nosrc
    parts = stem.rsplit("-", 2)
    if len(parts) != 3 or not all(parts):
        return "", "", ""
    return parts[0], parts[1], parts[2]


def packages_from_headers(headers: Iterable[RpmHeader]) -> tuple[Package, ...]:
    """Packages for the headers, minus ``gpg-pubkey`` pseudo-packages, with dependencies resolved."""
    real = [h for h in headers if h.name != "gpg-pubkey"]
    packages = [_package(h) for h in real]
    refs = [dependency_ref(p) for p in packages]
    # Requirements name capabilities or absolute file paths; only required paths need an owner.
    required_files = {r[1:] for h in real for r in h.requires if r.startswith("/")}
    providers: dict[str, str] = {}
    for header, ref in zip(real, refs, strict=True):
        for capability in header.provides:
            providers.setdefault(capability, ref)
        for file in required_files.intersection(header.files):
            providers.setdefault("/" + file, ref)
    resolved = []
    for header, package, ref in zip(real, packages, refs, strict=True):
        deps = {
            providers[r]
            for r in header.requires
            if r in providers and providers[r] != ref and not r.startswith("rpmlib(")
        }
        resolved.append(replace(package, depends_on=tuple(sorted(deps))))
    resolved.sort(key=lambda p: (p.name, p.epoch, p.version, p.release, p.arch))
    return tuple(resolved)


def _clean(value: str) -> str:
    return "" if value == _NONE else value


def _package(header: RpmHeader) -> Package:
    src_name, src_version, src_release = split_source_rpm(header.source_rpm)
    epoch = header.epoch or 0
    return Package(
        name=header.name,
        version=header.version,
        release=header.release,
        epoch=epoch,
        arch=_clean(header.arch),
        src_name=src_name,
        src_version=src_version,
        src_release=src_release,
        # A source rpm's file name has no epoch; rpm builds every subpackage with the source's epoch.
        src_epoch=epoch if src_name else 0,
        licenses=(header.license,) if _clean(header.license) else (),
        maintainer=_clean(header.vendor),
        installed_files=header.files,
    )


def dependency_ref(package: Package) -> str:
    """How ``depends_on`` names a package: ``name@full_version``, the ID the JSON report gives it."""
    return f"{package.name}@{package.full_version}"
