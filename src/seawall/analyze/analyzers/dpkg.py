"""dpkg: ``var/lib/dpkg/status``, distroless ``status.d/*``, file lists and copyright licences."""

from __future__ import annotations

import re
from collections.abc import Iterator

from seawall.analyze.analyzer import Analyzer
from seawall.model import FileFacts, Package

STATUS = "var/lib/dpkg/status"
STATUS_D = "var/lib/dpkg/status.d/"
INFO = "var/lib/dpkg/info/"
DOC = "usr/share/doc/"

_SOURCE = re.compile(r"^(\S+)(?:\s*\((\S+)\))?")
_DEP5_LICENSE = re.compile(r"^License:\s*(\S.*)$", re.MULTILINE)
_COMMON_LICENSE = re.compile(r"/usr/share/common-licenses/([A-Za-z0-9.+_-]+)")


def split_version(text: str) -> tuple[int, str, str]:
    """Split a Debian version ``[epoch:]upstream[-revision]`` into its parts."""
    epoch = 0
    if ":" in text:
        head, _, rest = text.partition(":")
        if head.isdigit():
            epoch, text = int(head), rest
    upstream, sep, revision = text.rpartition("-")
    if not sep:
        return epoch, text, ""
    return epoch, upstream, revision


def paragraphs(text: str) -> Iterator[dict[str, str]]:
    """Parse deb822 paragraphs (continuation lines joined with newlines)."""
    fields: dict[str, str] = {}
    last = ""
    for line in text.splitlines():
        if not line.strip():
            if fields:
                yield fields
            fields, last = {}, ""
            continue
        if line[0] in " \t":
            if last:
                fields[last] += "\n" + line.strip()
            continue
        key, sep, value = line.partition(":")
        if not sep:
            continue
        last = key.strip()
        fields[last] = value.strip()
    if fields:
        yield fields


def parse_status(text: str, require_installed: bool = True) -> list[Package]:
    """The installed packages of a dpkg status file."""
    packages: list[Package] = []
    for para in paragraphs(text):
        name = para.get("Package", "")
        version = para.get("Version", "")
        if not name or not version:
            continue
        status = para.get("Status", "")
        if require_installed or status:
            words = status.split()
            if len(words) < 3 or words[2] not in ("installed", "half-configured", "triggers-pending"):
                continue
        epoch, upstream, revision = split_version(version)
        src_name, src_full = name, version
        source = para.get("Source", "")
        if source:
            m = _SOURCE.match(source)
            if m:
                src_name = m.group(1)
                src_full = m.group(2) or version
        src_epoch, src_upstream, src_revision = split_version(src_full)
        packages.append(
            Package(
                name=name,
                version=upstream,
                release=revision,
                epoch=epoch,
                arch=para.get("Architecture", ""),
                src_name=src_name,
                src_version=src_upstream,
                src_release=src_revision,
                src_epoch=src_epoch,
                maintainer=para.get("Maintainer", ""),
                depends_on=_depends(para.get("Depends", "") + "," + para.get("Pre-Depends", "")),
            )
        )
    return packages


def _depends(text: str) -> tuple[str, ...]:
    names: list[str] = []
    for clause in text.split(","):
        first = clause.split("|")[0].strip()
        if first:
            name = first.split()[0].split(":")[0]
            if name not in names:
                names.append(name)
    return tuple(names)


def list_files(text: str) -> tuple[str, ...]:
    """Files (not directories) of a dpkg ``.list``: a line is a directory when the next one lies below it."""
    lines = [line for line in text.splitlines() if line and line != "/."]
    files = [cur for cur, nxt in zip(lines, [*lines[1:], ""], strict=True) if not nxt.startswith(cur + "/")]
    return tuple(f.lstrip("/") for f in files)


def licenses_from_copyright(text: str) -> tuple[str, ...]:
    """Licence names from a Debian copyright file: DEP-5 ``License:`` fields, else common-licenses refs."""
    found: list[str] = []
    for m in _DEP5_LICENSE.finditer(text):
        for part in re.split(r"\s+(?:or|and)\s+|,\s*", m.group(1).strip()):
            name = part.strip()
            if name and name not in found and len(name) < 64:
                found.append(name)
    if not found:
        for m in _COMMON_LICENSE.finditer(text):
            name = m.group(1).rstrip(".")
            if name not in found:
                found.append(name)
    return tuple(found)


class DpkgAnalyzer(Analyzer):
    """Installed Debian/Ubuntu packages, their file lists and licences."""

    name = "dpkg"
    version = 1
    max_size = 128 * 1024 * 1024

    def claims(self, path: str, mode: int, size: int) -> bool:
        if path == STATUS:
            return True
        if path.startswith(STATUS_D):
            return "/" not in path[len(STATUS_D) :] and not path.endswith(".md5sums")
        if path.startswith(INFO):
            return path.endswith(".list")
        return path.startswith(DOC) and path.endswith("/copyright") and path.count("/") == 4

    def analyze(self, path: str, data: bytes) -> FileFacts | None:
        text = data.decode("utf-8", "replace")
        if path.startswith(INFO):
            pkg = path[len(INFO) : -len(".list")].split(":", maxsplit=1)[0]
            return FileFacts(path=path, package_files=((pkg, list_files(text)),))
        if path.startswith(DOC):
            pkg = path.split("/")[3]
            licenses = licenses_from_copyright(text)
            return FileFacts(path=path, package_licenses=((pkg, licenses),)) if licenses else None
        packages = parse_status(text, require_installed=(path == STATUS))
        return FileFacts(path=path, os_packages=tuple(packages), os_package_type="debian")
