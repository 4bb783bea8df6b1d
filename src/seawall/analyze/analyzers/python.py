"""Python: installed distributions (dist-info, egg-info, .egg) and lockfiles (requirements, Pipfile.lock,
poetry.lock, uv.lock, pdm.lock)."""

from __future__ import annotations

import io
import re
import zipfile
from email.parser import HeaderParser
from typing import Any, ClassVar

from seawall.analyze.analyzers.langcommon import (
    LOCKFILE_MAX,
    BadInput,
    LangAnalyzer,
    as_dict,
    as_list,
    as_str,
    check_count,
    decode,
    load_json_object,
    load_toml,
    pep503,
    purl,
    reachable,
    sort_packages,
)
from seawall.model import FileFacts, Package

METADATA_MAX = 8 * 1024 * 1024  # METADATA carries the long description; a few MB at most in practice
EGG_MAX = 256 * 1024 * 1024
EGG_MEMBER_MAX = 4 * 1024 * 1024  # PKG-INFO inside an .egg zip: read at most this much, decompressed

# Trove classifiers Trivy and syft also map to SPDX identifiers; the rest keep their classifier text.
_CLASSIFIER_SPDX = {
    "MIT License": "MIT",
    "BSD License": "BSD-3-Clause",
    "Apache Software License": "Apache-2.0",
    "Python Software Foundation License": "PSF-2.0",
    "ISC License (ISCL)": "ISC",
    "Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
    "GNU General Public License v2 (GPLv2)": "GPL-2.0-only",
    "GNU General Public License v3 (GPLv3)": "GPL-3.0-only",
    "GNU Lesser General Public License v2 (LGPLv2)": "LGPL-2.0-only",
    "GNU Lesser General Public License v3 (LGPLv3)": "LGPL-3.0-only",
    "GNU Library or Lesser General Public License (LGPL)": "LGPL-2.0-or-later",
    "The Unlicense (Unlicense)": "Unlicense",
}


def pypi_package(name: str, version: str, file_path: str, **extra: Any) -> Package:
    """A PyPI package: original name kept, PEP 503 name in the purl."""
    return Package(
        name=name, version=version, purl=purl("pypi", pep503(name), version), file_path=file_path, **extra
    )


def parse_metadata(text: str) -> tuple[str, str, tuple[str, ...]]:
    """Name, version and licences from core metadata (METADATA / PKG-INFO headers only)."""
    # The body after the first blank line is the long description: never parse it.
    head = re.split(r"\r?\n\r?\n", text, maxsplit=1)[0]
    msg = HeaderParser().parsestr(head)
    name = (msg.get("Name") or "").strip()
    version = (msg.get("Version") or "").strip()
    if not name or not version:
        raise BadInput("core metadata without Name and Version")
    if "\n" in name or "\n" in version or len(name) > 200 or len(version) > 100:
        raise BadInput("core metadata with a malformed Name or Version")
    return name, version, _licenses(msg)


def _licenses(msg: Any) -> tuple[str, ...]:
    expression = (msg.get("License-Expression") or "").strip()
    if expression:
        return (expression,)
    text = (msg.get("License") or "").strip()
    # The License field sometimes holds the whole licence text: only a short one-liner is a name.
    if text and text.upper() not in ("UNKNOWN", "NONE") and "\n" not in text and len(text) <= 100:
        return (text,)
    found: list[str] = []
    for classifier in msg.get_all("Classifier") or []:
        parts = [p.strip() for p in str(classifier).split("::")]
        if len(parts) >= 2 and parts[0] == "License" and parts[-1] not in ("OSI Approved", ""):
            name = _CLASSIFIER_SPDX.get(parts[-1], parts[-1])
            if name not in found:
                found.append(name)
    return tuple(found)


class PythonPackageAnalyzer(LangAnalyzer):
    """Installed distributions: ``*.dist-info/METADATA``, ``*.egg-info/PKG-INFO``, ``*.egg-info`` files
    and ``EGG-INFO/PKG-INFO`` (unzipped eggs), anywhere in the tree."""

    name = "python-pkg"
    app_type = "python-pkg"
    max_size = METADATA_MAX

    def claims(self, path: str, mode: int, size: int) -> bool:
        if path.endswith("/METADATA"):
            return path.endswith(".dist-info/METADATA")
        if path.endswith("/PKG-INFO"):
            return path.endswith((".egg-info/PKG-INFO", "EGG-INFO/PKG-INFO"))
        return path.endswith(".egg-info")

    def parse(self, path: str, data: bytes) -> list[Package] | None:
        name, version, licenses = parse_metadata(decode(data))
        return [pypi_package(name, version, path, licenses=licenses)]


class PythonEggAnalyzer(LangAnalyzer):
    """Zipped eggs (``*.egg``): the ``EGG-INFO/PKG-INFO`` member, read with a decompressed-size cap.

    A separate analyzer from :class:`PythonPackageAnalyzer` so that each has its own size cap: an egg
    may be large, a metadata file may not.
    """

    name = "python-egg"
    app_type = "python-pkg"
    suffixes: ClassVar[tuple[str, ...]] = (".egg",)
    max_size = EGG_MAX

    def parse(self, path: str, data: bytes) -> list[Package] | None:
        name, version, licenses = parse_metadata(_egg_pkg_info(data))
        return [pypi_package(name, version, path, licenses=licenses)]


def _egg_pkg_info(data: bytes) -> str:
    """PKG-INFO from a zipped egg, read with a decompressed-size cap (zip bombs, lying headers)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            try:
                info = zf.getinfo("EGG-INFO/PKG-INFO")
            except KeyError:
                raise BadInput(".egg without EGG-INFO/PKG-INFO") from None
            if info.file_size > EGG_MEMBER_MAX:
                raise BadInput(f"EGG-INFO/PKG-INFO is {info.file_size} bytes, over {EGG_MEMBER_MAX}")
            with zf.open(info) as member:
                raw = member.read(EGG_MEMBER_MAX + 1)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, NotImplementedError) as exc:
        raise BadInput(f"broken .egg zip: {exc}") from exc
    if len(raw) > EGG_MEMBER_MAX:
        raise BadInput(f"EGG-INFO/PKG-INFO decompresses to more than {EGG_MEMBER_MAX} bytes")
    return decode(raw)


# ---------------------------------------------------------------------------------------------- pip


_REQ_LINE = re.compile(
    r"""^(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*
        (?:\[[^\]]*\])?\s*
        (?:===|==)\s*(?P<version>[A-Za-z0-9][A-Za-z0-9._+!-]*)\s*
        (?:;.*)?$""",
    re.VERBOSE,
)
_INCLUDE = re.compile(r"^(-r|--requirement|-c|--constraint)(?:\s+|=)(\S+)")


class RequirementsAnalyzer(LangAnalyzer):
    """``requirements*.txt`` (source trees): pinned ``==``/``===`` lines; includes noted, not followed."""

    name = "pip"
    app_type = "pip"
    targets: ClassVar[frozenset[str]] = frozenset({"fs"})
    max_size = 16 * 1024 * 1024

    def claims(self, path: str, mode: int, size: int) -> bool:
        base = path.rpartition("/")[2]
        return base.startswith("requirements") and base.endswith(".txt")

    def analyze(self, path: str, data: bytes) -> FileFacts | None:
        facts = super().analyze(path, data)
        notes = tuple(f"{path}: pip: {n}" for n in requirement_includes(decode(data)))
        if not notes:
            return facts
        if facts is None:
            return FileFacts(path=path, warnings=notes)
        return FileFacts(path=path, applications=facts.applications, warnings=facts.warnings + notes)

    def parse(self, path: str, data: bytes) -> list[Package] | None:
        packages: list[Package] = []
        seen: set[tuple[str, str]] = set()
        for line in requirement_lines(decode(data)):
            m = _REQ_LINE.match(line)
            if not m:
                continue
            name, version = m.group("name"), m.group("version")
            if "*" in version or (pep503(name), version) in seen:
                continue
            seen.add((pep503(name), version))
            packages.append(pypi_package(name, version, path))
        check_count(packages)
        return sort_packages(packages)


def requirement_lines(text: str) -> list[str]:
    """Logical requirement lines: continuations joined, comments and option-only lines dropped, per-line
    options (``--hash=...``) cut off."""
    out: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = pending + raw
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        pending = ""
        # pip treats "#" as a comment at line start or after whitespace (URLs may contain "#egg=").
        line = re.sub(r"(^|\s)#.*$", "", line).strip()
        if not line or line.startswith("-"):
            continue
        line = re.split(r"\s+--?[a-z]", line, maxsplit=1)[0].strip()
        out.append(line)
    if pending.strip():
        out.append(pending.strip())
    return out


def requirement_includes(text: str) -> list[str]:
    """Notes for ``-r``/``-c`` includes, which Seawall does not follow (a file may come from anywhere)."""
    notes = []
    for raw in text.splitlines():
        m = _INCLUDE.match(raw.strip())
        if m:
            kind = "requirements" if m.group(1) in ("-r", "--requirement") else "constraints"
            notes.append(f"{kind} include {m.group(2)} not followed")
    return notes[:20]


# ------------------------------------------------------------------------------------------ Pipfile


class PipfileLockAnalyzer(LangAnalyzer):
    """``Pipfile.lock``: the ``default`` and ``develop`` sections (develop-only packages are dev)."""

    name = "pipenv"
    app_type = "pipenv"
    targets: ClassVar[frozenset[str]] = frozenset({"fs"})
    basenames: ClassVar[frozenset[str]] = frozenset({"Pipfile.lock"})
    max_size = LOCKFILE_MAX

    def parse(self, path: str, data: bytes) -> list[Package] | None:
        doc = load_json_object(data)
        found: dict[tuple[str, str], Package] = {}
        for section, dev in (("default", False), ("develop", True)):
            for name, entry in as_dict(doc.get(section)).items():
                version = as_str(as_dict(entry).get("version")).lstrip("=")
                if not version or not isinstance(name, str):
                    continue  # VCS or path dependencies carry no version
                key = (pep503(name), version)
                if key not in found:
                    found[key] = pypi_package(name, version, path, dev=dev)
        packages = list(found.values())
        check_count(packages)
        return sort_packages(packages)


# ------------------------------------------------------------------------------------------- poetry


class PoetryLockAnalyzer(LangAnalyzer):
    """``poetry.lock``: packages with dependencies; dev from ``category = "dev"`` (Poetry < 1.5) or
    ``groups`` without ``main`` (Poetry 2 lock format 2.1)."""

    name = "poetry"
    app_type = "poetry"
    targets: ClassVar[frozenset[str]] = frozenset({"fs"})
    basenames: ClassVar[frozenset[str]] = frozenset({"poetry.lock"})
    max_size = LOCKFILE_MAX

    def parse(self, path: str, data: bytes) -> list[Package] | None:
        entries = [as_dict(p) for p in as_list(load_toml(data).get("package"))]
        index = _index(entries)
        packages = []
        for entry in entries:
            name, version = as_str(entry.get("name")), as_str(entry.get("version"))
            if not name or not version:
                continue
            groups = [g for g in as_list(entry.get("groups")) if isinstance(g, str)]
            dev = entry.get("category") == "dev" or (bool(groups) and "main" not in groups)
            deps = _ids(as_dict(entry.get("dependencies")).keys(), index)
            packages.append(pypi_package(name, version, path, dev=dev, depends_on=deps))
        check_count(packages)
        return sort_packages(packages)


def _index(entries: list[dict[str, Any]]) -> dict[str, list[tuple[str, str]]]:
    """PEP 503 name -> [(name as locked, version)]."""
    index: dict[str, list[tuple[str, str]]] = {}
    for entry in entries:
        name, version = as_str(entry.get("name")), as_str(entry.get("version"))
        if name and version:
            index.setdefault(pep503(name), []).append((name, version))
    return index


def _ids(names: Any, index: dict[str, list[tuple[str, str]]]) -> tuple[str, ...]:
    out = set()
    for dep in names:
        if not isinstance(dep, str):
            continue
        hits = index.get(pep503(dep), [])
        if len(hits) == 1:  # a name locked at several versions (per-platform markers) stays unresolved
            out.add(f"{hits[0][0]}@{hits[0][1]}")
    return tuple(sorted(out))


# ----------------------------------------------------------------------------------------------- uv


class UvLockAnalyzer(LangAnalyzer):
    """``uv.lock``: locked packages except the project itself (editable/virtual root); packages reached
    only through the root's ``dev-dependencies`` groups are dev."""

    name = "uv"
    app_type = "uv"
    targets: ClassVar[frozenset[str]] = frozenset({"fs"})
    basenames: ClassVar[frozenset[str]] = frozenset({"uv.lock"})
    max_size = LOCKFILE_MAX

    def parse(self, path: str, data: bytes) -> list[Package] | None:
        entries = [as_dict(p) for p in as_list(load_toml(data).get("package"))]
        index = _index(entries)
        roots: list[dict[str, Any]] = []
        edges: dict[str, set[str]] = {}
        for entry in entries:
            source = as_dict(entry.get("source"))
            if "editable" in source or "virtual" in source:
                roots.append(entry)
            key = pep503(as_str(entry.get("name")))
            targets = edges.setdefault(key, set())
            targets.update(pep503(n) for n in _uv_dep_names(entry.get("dependencies")))
            for extra in as_dict(entry.get("optional-dependencies")).values():
                targets.update(pep503(n) for n in _uv_dep_names(extra))
        root_names = {pep503(as_str(r.get("name"))) for r in roots}
        prod = reachable(root_names, edges) if roots else set(index)
        packages = []
        for entry in entries:
            name, version = as_str(entry.get("name")), as_str(entry.get("version"))
            if not name or not version or pep503(name) in root_names:
                continue
            deps = _ids(_uv_dep_names(entry.get("dependencies")), index)
            packages.append(pypi_package(name, version, path, dev=pep503(name) not in prod, depends_on=deps))
        check_count(packages)
        return sort_packages(packages)


def _uv_dep_names(value: Any) -> list[str]:
    return [as_str(as_dict(d).get("name")) for d in as_list(value) if as_str(as_dict(d).get("name"))]


# ---------------------------------------------------------------------------------------------- pdm


class PdmLockAnalyzer(LangAnalyzer):
    """``pdm.lock``: packages with ``groups``; those outside the ``default`` group are dev."""

    name = "pdm"
    app_type = "pdm"
    targets: ClassVar[frozenset[str]] = frozenset({"fs"})
    basenames: ClassVar[frozenset[str]] = frozenset({"pdm.lock"})
    max_size = LOCKFILE_MAX

    def parse(self, path: str, data: bytes) -> list[Package] | None:
        entries = [as_dict(p) for p in as_list(load_toml(data).get("package"))]
        index = _index(entries)
        packages = []
        for entry in entries:
            name, version = as_str(entry.get("name")), as_str(entry.get("version"))
            if not name or not version:
                continue
            groups = [g for g in as_list(entry.get("groups")) if isinstance(g, str)]
            names = [n for n in (_requirement_name(d) for d in as_list(entry.get("dependencies"))) if n]
            deps = _ids(names, index)
            packages.append(
                pypi_package(
                    name, version, path, dev=bool(groups) and "default" not in groups, depends_on=deps
                )
            )
        check_count(packages)
        return sort_packages(packages)


def _requirement_name(spec: Any) -> str:
    if not isinstance(spec, str):
        return ""
    from packaging.requirements import InvalidRequirement, Requirement  # slow to import: only when needed

    try:
        return Requirement(spec).name
    except InvalidRequirement:
        m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", spec)
        return m.group(1) if m else ""
