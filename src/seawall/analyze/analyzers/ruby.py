"""Ruby: installed gems (``specifications/*.gemspec``) and ``Gemfile.lock``. Ruby is never evaluated: the
gemspec's literal assignments are read with patterns."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from seawall.analyze.analyzers.langcommon import (
    LOCKFILE_MAX,
    MANIFEST_MAX,
    BadInput,
    LangAnalyzer,
    check_count,
    decode,
    purl,
    sort_packages,
)
from seawall.model import Package

_STR = r"""["']([^"'\n]{1,200})["'](?:\.freeze)?"""
_NAME = re.compile(rf"^\s*\w+\.name\s*=\s*{_STR}", re.MULTILINE)
_VERSION = re.compile(
    rf"^\s*\w+\.version\s*=\s*(?:Gem::Version\.new\(\s*)?{_STR}",
    re.MULTILINE,
)
_LICENSE = re.compile(rf"^\s*\w+\.license\s*=\s*{_STR}", re.MULTILINE)
_LICENSES = re.compile(r"^\s*\w+\.licenses\s*=\s*\[([^\]\n]{0,2000})\]", re.MULTILINE)
_QUOTED = re.compile(r"""["']([^"'\n]{1,200})["']""")


def gem_package(name: str, version: str, file_path: str, **extra: Any) -> Package:
    """A RubyGems package with its purl."""
    return Package(name=name, version=version, purl=purl("gem", name, version), file_path=file_path, **extra)


def parse_gemspec(text: str) -> tuple[str, str, tuple[str, ...]]:
    """Name, version and licences of a RubyGems specification file (the subset ``gem install`` writes)."""
    name = _NAME.search(text)
    version = _VERSION.search(text)
    if not name or not version:
        raise BadInput("gemspec without a literal name and version")
    licenses: list[str] = []
    many = _LICENSES.search(text)
    if many:
        licenses = _QUOTED.findall(many.group(1))
    else:
        one = _LICENSE.search(text)
        if one:
            licenses = [one.group(1)]
    return name.group(1), version.group(1), tuple(dict.fromkeys(licenses))


class GemspecAnalyzer(LangAnalyzer):
    """Installed gems: ``.../specifications/<name>-<version>.gemspec``."""

    name = "gemspec"
    app_type = "gemspec"
    max_size = MANIFEST_MAX

    def claims(self, path: str, mode: int, size: int) -> bool:
        return path.endswith(".gemspec") and "/specifications/" in path

    def parse(self, path: str, data: bytes) -> list[Package] | None:
        name, version, licenses = parse_gemspec(decode(data))
        return [gem_package(name, version, path, licenses=licenses)]


# The spec lines of Gemfile.lock: 4 spaces + "name (version[-platform])", 6 spaces + a dependency.
_SPEC = re.compile(r"^    (\S+) \(([^)\s]+)\)\s*$")
_SPEC_DEP = re.compile(r"^      (\S+)(?: \(.*\))?\s*$")
_SECTIONS = ("GEM", "GIT", "PATH", "PLUGIN SOURCE")


class GemfileLockAnalyzer(LangAnalyzer):
    """``Gemfile.lock`` (source trees): every spec under GEM, GIT and PATH with its dependencies."""

    name = "bundler"
    app_type = "bundler"
    targets: ClassVar[frozenset[str]] = frozenset({"fs"})
    basenames: ClassVar[frozenset[str]] = frozenset({"Gemfile.lock", "gems.locked"})
    max_size = LOCKFILE_MAX

    def parse(self, path: str, data: bytes) -> list[Package] | None:
        specs: list[tuple[str, str, list[str]]] = []
        section = ""
        in_specs = False
        for raw in decode(data).splitlines():
            if raw and not raw[0].isspace():
                section, in_specs = raw.strip(), False
                continue
            if section not in _SECTIONS:
                continue
            if raw.strip() == "specs:":
                in_specs = True
                continue
            if not in_specs:
                continue
            m = _SPEC.match(raw)
            if m:
                specs.append((m.group(1), _strip_platform(m.group(2)), []))
                continue
            d = _SPEC_DEP.match(raw)
            if d and specs:
                specs[-1][2].append(d.group(1))
            if len(specs) > 200_000:
                raise BadInput("Gemfile.lock lists too many gems")
        if not specs and b"GEM" not in data[:4096] and data.strip():
            raise BadInput("not a Gemfile.lock")
        versions: dict[str, set[str]] = {}
        for name, version, _ in specs:
            versions.setdefault(name, set()).add(version)
        out: dict[tuple[str, str], Package] = {}
        for name, version, deps in specs:
            ids = sorted(f"{d}@{next(iter(versions[d]))}" for d in set(deps) if len(versions.get(d, ())) == 1)
            out.setdefault((name, version), gem_package(name, version, path, depends_on=tuple(ids)))
        packages = list(out.values())
        check_count(packages)
        return sort_packages(packages)


def _strip_platform(version: str) -> str:
    # "1.13.10-x86_64-linux" is version 1.13.10 built for a platform; RubyGems versions have no "-".
    return version.split("-", 1)[0]
