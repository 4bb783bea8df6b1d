"""The apk analyzer: installed packages from Alpine's ``lib/apk/db/installed``.

The database is a text file of blank-line-separated records, one ``X:value`` field per line: ``P`` name,
``V`` version, ``A`` arch, ``o`` origin (the source package), ``L`` licence, ``m`` maintainer, ``D``
dependencies, ``p`` provides, ``F`` a directory and ``R`` a file in the last ``F`` directory. Packages
leave this analyzer without a purl: the merge step writes ``pkg:apk/<family>/<name>@<version>?arch=..&
distro=..`` once the OS (alpine, wolfi, chainguard) is known.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from seawall.analyze.analyzer import Analyzer
from seawall.model import FileFacts, Package

APK_DB_PATHS = frozenset({"lib/apk/db/installed", "usr/lib/apk/db/installed"})
MAX_PACKAGES = 200_000
MAX_WARNINGS = 10
_CONSTRAINT = re.compile(r"[<>=~]")
# Any non-blank token is kept as a version (the comparator orders odd ones); a space means a broken line.
_VERSION = re.compile(r"^\S+$")


class ApkAnalyzer(Analyzer):
    """Reads the apk installed database (``lib/apk/db/installed``, and its ``usr/lib`` location)."""

    name = "apk"
    version = 1
    paths = APK_DB_PATHS
    max_size = 64 * 1024 * 1024  # a full Alpine desktop's database is ~10 MiB

    def analyze(self, path: str, data: bytes) -> FileFacts | None:
        """Inventory the packages recorded in one apk installed database."""
        packages, warnings = parse_installed(data.decode("utf-8", "replace"))
        notes = tuple(f"{path}: {w}" for w in warnings)
        if not packages:
            return FileFacts(path=path, warnings=notes) if notes else None
        return FileFacts(path=path, os_packages=packages, os_package_type="alpine", warnings=notes)


@dataclass(slots=True)
class _Record:
    fields: dict[str, str] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    line: int = 0


def _records(text: str) -> Iterator[_Record]:
    record = _Record()
    directory = ""
    for number, raw in enumerate(io.StringIO(text), 1):  # line by line, without a list of all lines
        line = raw.rstrip("\r\n")
        if len(line) < 2:  # a blank line ends a record
            if record.fields:
                yield record
            record, directory = _Record(), ""
            continue
        if line[1] != ":":
            continue  # not a field; apk ignores what it does not know
        key, value = line[0], line[2:]
        if not record.fields:
            record.line = number
        if key == "F":
            directory = value.strip("/")
        elif key == "R":
            record.files.append(f"{directory}/{value}" if directory else value)
        elif key not in record.fields:
            record.fields[key] = value
    if record.fields:
        yield record


def split_licenses(text: str) -> tuple[str, ...]:
    """Licence names from an ``L:`` field: SPDX operators and parentheses dropped, ``MPL 2.0`` joined."""
    out: list[str] = []
    for word in text.split():
        word = word.strip("()")
        if not word or word in ("AND", "OR", "WITH"):
            continue
        if out and word in ("1.0", "2.0", "3.0"):  # "MPL 2.0": a version written apart from its name
            out[-1] += word
            continue
        out.append(word)
    return tuple(dict.fromkeys(out))


def _ref(package: Package) -> str:
    # ``name@version``: the ID the JSON report gives the package (as the rpm analyzer does).
    return f"{package.name}@{package.full_version}"


def _requirement(text: str) -> str:
    match = _CONSTRAINT.search(text)
    return text[: match.start()] if match else text


def parse_installed(text: str) -> tuple[tuple[Package, ...], list[str]]:
    """Packages of an apk installed database (first record per name wins) and warnings for bad records."""
    packages: list[Package] = []
    provides: dict[str, str] = {}
    depends: list[list[str]] = []
    seen: set[str] = set()
    warnings: list[str] = []
    bad = 0
    for record in _records(text):
        if len(packages) >= MAX_PACKAGES:
            warnings.append(f"more than {MAX_PACKAGES} packages: the rest are ignored")
            break
        f = record.fields
        name, version = f.get("P", "").strip(), f.get("V", "").strip()
        if not name or not version or not _VERSION.match(version):
            bad += 1
            if bad <= MAX_WARNINGS:
                warnings.append(f"record at line {record.line} has no valid name and version, skipped")
            continue
        if name in seen:
            continue
        seen.add(name)
        origin = f.get("o", "").strip()
        package = Package(
            name=name,
            version=version,
            arch=f.get("A", "").strip(),
            src_name=origin or name,
            src_version=version,
            licenses=split_licenses(f.get("L", "")),
            maintainer=f.get("m", "").strip(),
            installed_files=tuple(record.files),
        )
        packages.append(package)
        provides.setdefault(name, _ref(package))
        for capability in f.get("p", "").split():
            provides.setdefault(_requirement(capability), _ref(package))
        depends.append([_requirement(d) for d in f.get("D", "").split() if not d.startswith("!")])
    if bad > MAX_WARNINGS:
        warnings.append(f"{bad - MAX_WARNINGS} more bad records skipped")
    resolved = []
    for package, deps in zip(packages, depends, strict=True):
        ids = {provides[d] for d in deps if d in provides and provides[d] != _ref(package)}
        resolved.append(replace(package, depends_on=tuple(sorted(ids))))
    resolved.sort(key=lambda p: p.name)
    return tuple(resolved), warnings
