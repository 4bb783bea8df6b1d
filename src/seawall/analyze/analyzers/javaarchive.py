"""Read Java archives (JAR, WAR, EAR, PAR) safely: nested archives, zip-bomb and depth limits.

An archive's own identity comes from ``META-INF/maven/**/pom.properties``, then ``MANIFEST.MF``, then the
file name, as described in :func:`inspect_archive`. Nested archives (Spring Boot ``BOOT-INF/lib``, WAR
``WEB-INF/lib``, EAR modules) are opened in memory within a byte budget shared by the whole tree.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field, replace
from xml.etree import ElementTree as ET

ARCHIVE_SUFFIXES = (".jar", ".war", ".ear", ".par")
MAX_DEPTH = 8  # nesting levels below the outer archive
MAX_MEMBERS = 100_000  # entries in one archive's central directory
MAX_TOTAL_BYTES = 512 * 1024 * 1024  # bytes inflated for one outer archive, nested ones included
MAX_NESTED_SIZE = 256 * 1024 * 1024  # one nested archive
MAX_RATIO = 100  # decompressed / compressed, for members over RATIO_FLOOR
RATIO_FLOOR = 1024 * 1024
MAX_SMALL_FILE = 1024 * 1024  # pom.properties, MANIFEST.MF
EOCD_SIG = b"PK\x05\x06"
ZIP64_LOCATOR_SIG = b"PK\x06\x07"
ZIP64_EOCD_SIG = b"PK\x06\x06"
CD_ENTRY_MIN = 46

# What zipfile raises on malformed archives and members (bad offsets seek before the start: ValueError;
# unknown methods or versions: NotImplementedError; encrypted members: RuntimeError).
ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    EOFError,
    OSError,
    ValueError,
    RuntimeError,
    NotImplementedError,
    OverflowError,
    struct.error,
)
_SEPARATOR = re.compile(r"[=:]|\s+")
_FILE_NAME = re.compile(r"^([a-zA-Z0-9._-]*[^-*])-(\d\S*(?:-SNAPSHOT)?)\.(?:jar|war|ear|par)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Artifact:
    """A Maven coordinate found in an archive and the (nested) archive path it was found in."""

    group: str
    artifact: str
    version: str
    file_path: str
    source: str  # pom.properties, MANIFEST.MF or file name
    licenses: tuple[str, ...] = ()  # <licenses> of the pom.xml beside pom.properties, when declared


@dataclass(slots=True)
class _Budget:
    used: int = 0
    warnings: list[str] = field(default_factory=list)
    exhausted: bool = False

    def charge(self, what: str, size: int) -> None:
        """Count ``size`` inflated bytes; past the budget, warn once and stop the whole archive."""
        if self.used + size > MAX_TOTAL_BYTES:
            if not self.exhausted:
                self.warnings.append(
                    f"{what}: over {MAX_TOTAL_BYTES} decompressed bytes for one archive (a zip bomb?),"
                    " the rest is skipped"
                )
            self.exhausted = True
            raise _BudgetExhausted
        self.used += size


class _BudgetExhausted(Exception):
    """Raised by :meth:`_Budget.charge`; ends the walk over every archive of the tree."""


def inspect_archive(data: bytes, path: str) -> tuple[list[Artifact], list[str]]:
    """All artifacts in the archive at ``path`` (nested ones included) and the warnings met on the way."""
    budget = _Budget()
    found = _inspect(data, path, 0, budget)
    return found, budget.warnings


def _member_count_ok(data: bytes, path: str, budget: _Budget) -> bool:
    """Refuse a central directory too large to load before zipfile builds one object per entry."""
    tail_start = max(0, len(data) - 65557)
    at = data.rfind(EOCD_SIG, tail_start)
    if at < 0 or at + 22 > len(data):
        budget.warnings.append(f"{path}: not a zip archive (no end of central directory), skipped")
        return False
    entries, cd_size = struct.unpack_from("<HI", data, at + 10)
    if entries == 0xFFFF or cd_size == 0xFFFFFFFF:  # zip64: the real count is in the zip64 record
        entries = _zip64_entries(data, at)
    if entries > MAX_MEMBERS:
        budget.warnings.append(f"{path}: more than {MAX_MEMBERS} zip entries, skipped")
        return False
    return True


def _zip64_entries(data: bytes, eocd: int) -> int:
    locator = eocd - 20
    if locator < 0 or data[locator : locator + 4] != ZIP64_LOCATOR_SIG:
        return 0xFFFF
    record = struct.unpack_from("<Q", data, locator + 8)[0]
    if record + 56 > len(data) or data[record : record + 4] != ZIP64_EOCD_SIG:
        # An offset that does not point at the record (data prepended, or a lie): bound by size.
        return len(data) // CD_ENTRY_MIN
    return int(struct.unpack_from("<Q", data, record + 32)[0])


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes:
    with zf.open(info) as f:
        return f.read(cap)


def _inspect(data: bytes, path: str, depth: int, budget: _Budget) -> list[Artifact]:
    if not _member_count_ok(data, path, budget):
        return []
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except ZIP_ERRORS as exc:
        budget.warnings.append(f"{path}: unreadable zip archive ({exc}), skipped")
        return []
    found: list[Artifact] = []
    pom_props: list[Artifact] = []
    manifest: dict[str, str] = {}
    with zf:
        for info in infos:
            name = info.filename
            base = name.rpartition("/")[2]
            lower = name.lower()
            try:
                if base == "pom.properties" and lower.startswith("meta-inf/maven/"):
                    text = _small(zf, info, budget, path)
                    art = _from_properties(parse_properties(text), path)
                    if art is not None:
                        pom_props.append(_with_licenses(zf, name, art, budget))
                elif lower == "meta-inf/manifest.mf":
                    manifest = parse_manifest(_small(zf, info, budget, path))
                elif lower.endswith(ARCHIVE_SUFFIXES) and not info.is_dir():
                    found.extend(_nested(zf, info, f"{path}/{name}", depth, budget))
            except ZIP_ERRORS as exc:
                budget.warnings.append(f"{path}/{name}: unreadable zip member ({exc}), skipped")
            except _BudgetExhausted:
                break  # what was found so far is kept
    own = _own_identity(path, pom_props, manifest)
    return pom_props + ([own] if own is not None else []) + found


def _small(zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: _Budget, path: str) -> str:
    # Charged before inflating: 100,000 small members of 1 MiB each would be a slow bomb.
    budget.charge(f"{path}/{info.filename}", min(info.file_size, MAX_SMALL_FILE))
    return _read_member(zf, info, MAX_SMALL_FILE).decode("utf-8", errors="replace")


def _nested(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, inner: str, depth: int, budget: _Budget
) -> list[Artifact]:
    if depth + 1 > MAX_DEPTH:
        budget.warnings.append(f"{inner}: archives nested more than {MAX_DEPTH} deep, not opened")
        return []
    size = info.file_size
    if size > MAX_NESTED_SIZE:
        budget.warnings.append(f"{inner}: nested archive of {size} bytes is over the limit, skipped")
        return []
    if size > RATIO_FLOOR and size > MAX_RATIO * max(info.compress_size, 1):
        budget.warnings.append(f"{inner}: compression ratio over {MAX_RATIO}:1 (a zip bomb?), skipped")
        return []
    budget.charge(inner, size)
    raw = _read_member(zf, info, size)
    return _inspect(raw, inner, depth + 1, budget)


def parse_properties(text: str) -> dict[str, str]:
    """Java ``.properties`` key/value pairs (``=``, ``:`` or space separated; ``#``/``!`` comments)."""
    out: dict[str, str] = {}
    pending: list[str] = []  # pieces of a logical line continued with '\' (joined once: linear)
    for raw in text.splitlines():
        piece = raw.lstrip()
        if not pending and (not piece or piece[0] in "#!"):
            continue
        if piece.endswith("\\") and not piece.endswith("\\\\"):
            pending.append(piece[:-1])
            continue
        line = "".join([*pending, piece])
        pending = []
        if not line:
            continue
        # The first '=', ':' or blank ends the key (a plain scan: a regex with backtracking on a
        # megabyte-long hostile line costs quadratic time and a huge backtracking stack).
        m = _SEPARATOR.search(line)
        if m is None:
            out[line.strip()] = ""
            continue
        key, value = line[: m.start()], line[m.end() :].strip()
        if value[:1] in "=:" and m.group().strip() == "":
            value = value[1:].strip()
        out[key] = value
    return out


def parse_manifest(text: str) -> dict[str, str]:
    """The main section of a ``MANIFEST.MF`` (continuation lines start with one space)."""
    parts: dict[str, list[str]] = {}  # continuation pieces, joined once at the end (linear)
    last = ""
    for line in text.splitlines():
        if not line.strip():
            break  # the main section ends at the first blank line
        if line.startswith(" ") and last:
            parts[last].append(line[1:])
            continue
        key, sep, value = line.partition(":")
        if sep:
            last = key.strip()
            parts[last] = [value.strip()]
    return {k: "".join(v) for k, v in parts.items()}


def safe_xml(data: bytes) -> ET.Element:
    """Parse XML that has no DTD (so no entity expansion); ValueError when it is malformed or has one."""
    if b"<!doctype" in data[:4096].lower() or b"<!entity" in data.lower():
        raise ValueError("DTDs and entities are not allowed (entity expansion)")
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        raise ValueError(str(exc)) from exc


def pom_licenses(root: ET.Element) -> tuple[str, ...]:
    """The names in a pom's ``<licenses>`` (as written: no parent is consulted)."""
    out: list[str] = []
    for el in root:
        if el.tag.rpartition("}")[2] != "licenses":
            continue
        for lic in el:
            for field_el in lic:
                if field_el.tag.rpartition("}")[2] == "name" and (field_el.text or "").strip():
                    out.append((field_el.text or "").strip())
    return tuple(out)


def _with_licenses(zf: zipfile.ZipFile, properties_name: str, art: Artifact, budget: _Budget) -> Artifact:
    """Add the licenses declared by the pom.xml that Maven packs beside pom.properties."""
    try:
        info = zf.getinfo(properties_name.rpartition("/")[0] + "/pom.xml")
    except KeyError:
        return art
    budget.charge(f"{art.file_path}/{info.filename}", min(info.file_size, MAX_SMALL_FILE))
    raw = _read_member(zf, info, MAX_SMALL_FILE)
    try:
        licenses = pom_licenses(safe_xml(raw))
    except ValueError:
        return art  # a broken embedded pom.xml does not hide the coordinates
    return replace(art, licenses=licenses) if licenses else art


def _from_properties(props: dict[str, str], path: str) -> Artifact | None:
    group, artifact, version = props.get("groupId", ""), props.get("artifactId", ""), props.get("version", "")
    if not (group and artifact and version):
        return None
    return Artifact(group, artifact, version, path, "pom.properties")


def _ident(value: str) -> str:
    """A manifest value usable as a Maven id: no whitespace (vendor names such as 'The Apache...' are not)."""
    value = value.split(";", 1)[0].strip()
    return "" if not value or any(c.isspace() for c in value) else value


def manifest_artifact(manifest: dict[str, str], path: str) -> Artifact | None:
    """Coordinates from ``Implementation-*``/``Specification-*``/``Bundle-*`` headers, when complete."""
    symbolic = _ident(manifest.get("Bundle-SymbolicName", ""))
    group = _ident(manifest.get("Implementation-Vendor-Id", ""))
    if not group and "." in symbolic:
        group = symbolic.rpartition(".")[0]
    group = (
        group
        or _ident(manifest.get("Implementation-Vendor", ""))
        or _ident(manifest.get("Specification-Vendor", ""))
    )
    artifact = (
        _ident(manifest.get("Implementation-Title", ""))
        or _ident(manifest.get("Specification-Title", ""))
        or _ident(manifest.get("Bundle-Name", ""))
        or (symbolic.rpartition(".")[2] if symbolic else "")
    )
    version = (
        _ident(manifest.get("Implementation-Version", ""))
        or _ident(manifest.get("Specification-Version", ""))
        or _ident(manifest.get("Bundle-Version", ""))
    )
    if not (group and artifact and version):
        return None
    return Artifact(group, artifact, version, path, "MANIFEST.MF")


def file_name_artifact(path: str) -> tuple[str, str]:
    """``commons-lang3-3.12.0.jar`` -> ("commons-lang3", "3.12.0"); empty strings when no version is there."""
    m = _FILE_NAME.match(path.rpartition("/")[2])
    return (m.group(1), m.group(2)) if m else ("", "")


def _own_identity(path: str, pom_props: list[Artifact], manifest: dict[str, str]) -> Artifact | None:
    """The archive itself, unless one of its pom.properties already describes it.

    A pom.properties describes the archive when its artifact id (and version, when the name has one)
    matches the file name, or when it is the only one in the archive: a shaded jar carries several, a
    plain one exactly its own, whatever the file is called (``log4j-1.2-api.jar``, ``guava.jar``).
    """
    name_artifact, name_version = file_name_artifact(path)
    if len(pom_props) == 1:
        return None
    for p in pom_props:
        if p.artifact == name_artifact and p.version == name_version:
            return None
        if p.artifact == path.rpartition("/")[2].rsplit(".", 1)[0]:  # versionless name, e.g. guava.jar
            return None
    from_manifest = manifest_artifact(manifest, path)
    if from_manifest is not None:
        same = (from_manifest.group, from_manifest.artifact, from_manifest.version)
        if any((p.group, p.artifact, p.version) == same for p in pom_props):
            return None
        return from_manifest
    # A shaded jar carries its dependencies' pom.properties but often not its own: its name is all
    # that identifies it (tabula-1.0.5-jar-with-dependencies.jar).
    if name_version and all(p.artifact != name_artifact for p in pom_props):
        return Artifact("", name_artifact, name_version, path, "file name")
    return None
