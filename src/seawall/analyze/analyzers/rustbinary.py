"""Rust executables built with cargo-auditable (``rustbinary``): the ``.dep-v0`` ELF section.

The section holds zlib-compressed JSON: ``{"packages": [{"name", "version", "source", "kind",
"dependencies": [indexes], "root"}]}``. As Trivy, only ``runtime`` packages are reported (build
dependencies are not linked into the binary), with their runtime dependencies as ``depends_on``.
"""

from __future__ import annotations

import logging
import zlib
from typing import Any

import orjson
from packageurl import PackageURL

from seawall.analyze.analyzer import Analyzer, is_executable
from seawall.analyze.analyzers.gobuildinfo import elf_errors, open_elf
from seawall.model import Application, FileFacts, Package

log = logging.getLogger(__name__)

SECTION = b".dep-v0"
MAX_COMPRESSED = 8 * 1024 * 1024
MAX_JSON = 32 * 1024 * 1024  # the dependency list of the largest real binaries is a few hundred KiB
ELF_HEADER_SIZE = 64


class RustAuditError(ValueError):
    """The .dep-v0 section exists but cannot be read."""


def read_dep_section(data: bytes) -> bytes | None:
    """The compressed ``.dep-v0`` section of an ELF file; None when the file has none."""
    if not data.startswith(b"\x7fELF") or SECTION not in data:
        return None
    try:
        elf = open_elf(data)
        section = elf.get_section_by_name(SECTION.decode())
        if section is None:
            return None
        offset, size = section["sh_offset"], section["sh_size"]
    except elf_errors() as exc:
        raise RustAuditError(f"malformed ELF headers: {exc}") from exc
    if size > MAX_COMPRESSED:
        raise RustAuditError(f".dep-v0 section of {size} bytes is over the {MAX_COMPRESSED}-byte limit")
    if offset + size > len(data):
        raise RustAuditError(".dep-v0 section runs past the end of the file")
    return data[offset : offset + size]


def decode_dep_info(raw: bytes) -> dict[str, Any]:
    """Inflate and parse the section, with the output size capped (a zlib bomb stops at MAX_JSON)."""
    inflater = zlib.decompressobj()
    try:
        text = inflater.decompress(raw, MAX_JSON)
    except zlib.error as exc:
        raise RustAuditError(f".dep-v0 is not zlib data: {exc}") from exc
    if inflater.unconsumed_tail:
        raise RustAuditError(f".dep-v0 inflates to more than {MAX_JSON} bytes")
    try:
        info = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise RustAuditError(f".dep-v0 is not JSON: {exc}") from exc
    if not isinstance(info, dict) or not isinstance(info.get("packages"), list):
        raise RustAuditError(".dep-v0 JSON has no 'packages' list")
    return info


def packages_from_dep_info(info: dict[str, Any], file_path: str) -> tuple[Package, ...]:
    """Runtime packages with their runtime dependencies (ids ``name@version``)."""
    entries = [p for p in info["packages"] if isinstance(p, dict)]
    if len(entries) != len(info["packages"]):
        raise RustAuditError(".dep-v0 JSON has a package that is not an object")

    def runtime(p: dict[str, Any]) -> bool:
        return bool(p.get("kind", "runtime") == "runtime")

    packages: list[Package] = []
    for pkg in entries:
        name, version = pkg.get("name"), pkg.get("version")
        if not isinstance(name, str) or not isinstance(version, str) or not runtime(pkg):
            continue
        depends: list[str] = []
        for idx in pkg.get("dependencies") or ():
            if not isinstance(idx, int) or not 0 <= idx < len(entries):
                raise RustAuditError(f"{name}: dependency index {idx!r} is out of range")
            dep = entries[idx]
            if runtime(dep) and isinstance(dep.get("name"), str) and isinstance(dep.get("version"), str):
                depends.append(f"{dep['name']}@{dep['version']}")
        purl = PackageURL(type="cargo", name=name, version=version).to_string()
        packages.append(
            Package(
                name=name,
                version=version,
                purl=purl,
                file_path=file_path,
                depends_on=tuple(sorted(set(depends))),
            )
        )
    return tuple(sorted(packages, key=lambda p: (p.name, p.version)))


class RustBinaryAnalyzer(Analyzer):
    """Executables carrying a cargo-auditable dependency list."""

    name = "rustbinary"
    version = 1
    max_size = 256 * 1024 * 1024

    def claims(self, path: str, mode: int, size: int) -> bool:
        """Executables only; the section is looked for in :meth:`analyze`."""
        return size >= ELF_HEADER_SIZE and is_executable(mode)

    def analyze(self, path: str, data: bytes) -> FileFacts | None:
        """The crates listed in the binary's ``.dep-v0`` section, or None when it has none."""
        try:
            raw = read_dep_section(data)
            if raw is None:
                return None
            packages = packages_from_dep_info(decode_dep_info(raw), path)
        except RustAuditError as exc:
            msg = f"{path}: unreadable cargo-auditable data: {exc}"
            log.debug("%s", msg)
            return FileFacts(path=path, warnings=(msg,))
        if not packages:
            return None
        return FileFacts(path=path, applications=(Application("rustbinary", path, packages),))
