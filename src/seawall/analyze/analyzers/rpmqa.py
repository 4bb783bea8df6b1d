"""The rpm manifest analyzer: CBL-Mariner/Azure Linux distroless images ship no rpm database, only
``var/lib/rpmmanifest/container-manifest-2``, the output of ``rpm -qa --qf`` with ten tab-separated
fields: NAME, VERSION-RELEASE, INSTALLTIME, BUILDTIME, VENDOR, (none), SIZE, ARCH, EPOCHNUM, SOURCERPM.
"""

from __future__ import annotations

import io

from seawall.analyze.analyzer import Analyzer
from seawall.analyze.analyzers.rpm import split_source_rpm
from seawall.model import FileFacts, Package

MANIFEST = "var/lib/rpmmanifest/container-manifest-2"
MAX_PACKAGES = 200_000
MAX_WARNINGS = 10


class RpmManifestAnalyzer(Analyzer):
    """Reads the rpm package manifest of distroless Mariner/Azure Linux images."""

    name = "rpmqa"
    version = 1
    paths = frozenset({MANIFEST})
    max_size = 16 * 1024 * 1024

    def analyze(self, path: str, data: bytes) -> FileFacts | None:
        """Inventory the packages listed in the manifest; malformed lines become warnings."""
        packages, warnings = parse_manifest(data.decode("utf-8", "replace"))
        notes = tuple(f"{path}: {w}" for w in warnings)
        if not packages:
            return FileFacts(path=path, warnings=notes) if notes else None
        return FileFacts(path=path, os_packages=packages, os_package_type="redhat", warnings=notes)


def parse_manifest(text: str) -> tuple[tuple[Package, ...], list[str]]:
    """Packages of an ``rpm -qa`` manifest and a warning per malformed line (the first few)."""
    packages: list[Package] = []
    warnings: list[str] = []
    bad = 0
    for number, raw in enumerate(io.StringIO(text), 1):
        line = raw.rstrip("\r\n")
        if not line:
            continue
        if len(packages) >= MAX_PACKAGES:
            warnings.append(f"more than {MAX_PACKAGES} packages: the rest are ignored")
            break
        package = _package(line.split("\t"))
        if package is None:
            bad += 1
            if bad <= MAX_WARNINGS:
                warnings.append(f"line {number} is not a manifest entry, skipped")
            continue
        if package.name != "gpg-pubkey":
            packages.append(package)
    if bad > MAX_WARNINGS:
        warnings.append(f"{bad - MAX_WARNINGS} more malformed lines skipped")
    packages.sort(key=lambda p: (p.name, p.epoch, p.version, p.release, p.arch))
    return tuple(packages), warnings


def _package(fields: list[str]) -> Package | None:
    if len(fields) != 10:
        return None
    name, version_release, _installed, _built, vendor, _, _size, arch, epoch, source_rpm = fields
    version, sep, release = version_release.rpartition("-")
    if (
        not name
        or not sep
        or not version
        or not release
        or not (epoch.isascii() and epoch.isdigit() and len(epoch) <= 10)
    ):
        return None
    src_name, src_version, src_release = split_source_rpm(source_rpm)
    return Package(
        name=name,
        version=version,
        release=release,
        epoch=int(epoch),
        arch="" if arch == "(none)" else arch,
        src_name=src_name,
        src_version=src_version,
        src_release=src_release,
        src_epoch=int(epoch) if src_name else 0,
        maintainer="" if vendor == "(none)" else vendor,
    )
