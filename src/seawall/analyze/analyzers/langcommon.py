"""Shared pieces of the language analyzers: a base class that turns bad input into warnings, purls,
name normalisation, bounded JSON/TOML/YAML parsing and dependency-id resolution."""

from __future__ import annotations

import logging
import re
import tomllib
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import orjson
import yaml
from packageurl import PackageURL

from seawall.analyze.analyzer import Analyzer
from seawall.model import Application, FileFacts, Package
from seawall.yamlsafe import YAMLError, load_yaml

log = logging.getLogger(__name__)

# Lockfiles and manifests bigger than this are skipped by the walker with a warning.
LOCKFILE_MAX = 64 * 1024 * 1024
YAML_MAX = 32 * 1024 * 1024  # seawall.yamlsafe refuses more anyway
MANIFEST_MAX = 4 * 1024 * 1024  # one package's metadata (package.json, gemspec, METADATA)
MAX_PACKAGES = 200_000  # per file: a lockfile listing more is hostile or broken


class BadInput(ValueError):
    """A file that is not what its name says (malformed, truncated, hostile); becomes a warning."""


class LangAnalyzer(Analyzer):
    """An analyzer whose :meth:`parse` may raise on bad input; :meth:`analyze` turns that into a warning.

    Subclasses set ``app_type`` (Trivy's result type) and implement :meth:`parse`, returning packages.
    """

    app_type: ClassVar[str] = ""

    def analyze(self, path: str, data: bytes) -> FileFacts | None:
        """Parse one file; bad input gives a FileFacts with a warning instead of an exception."""
        try:
            packages = self.parse(path, data)
        except (
            BadInput,
            ValueError,
            YAMLError,
            RecursionError,
            UnicodeDecodeError,
            KeyError,
            TypeError,
        ) as exc:
            msg = f"{path}: {self.name}: {one_line(str(exc)) or type(exc).__name__}, skipped"
            log.warning("%s", msg)
            return FileFacts(path=path, warnings=(msg,))
        if packages is None:
            return None
        if not packages:
            return None
        return FileFacts(path=path, applications=(Application(self.app_type, path, tuple(packages)),))

    def parse(self, path: str, data: bytes) -> list[Package] | None:
        """The packages the file declares (None or empty: nothing); raise BadInput on malformed input."""
        raise NotImplementedError


def one_line(text: str, limit: int = 200) -> str:
    """Collapse whitespace and cut long messages, so a warning stays one readable line."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def load_json(data: bytes) -> Any:
    """Parse JSON (orjson bounds nesting at 1024 levels); raise BadInput when it is not JSON."""
    if data.startswith(b"\xef\xbb\xbf"):  # a UTF-8 BOM, common in .NET and Windows-made files
        data = data[3:]
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise BadInput(f"not valid JSON: {exc}") from exc


def load_json_object(data: bytes) -> dict[str, Any]:
    """Parse JSON that must be an object."""
    doc = load_json(data)
    if not isinstance(doc, dict):
        raise BadInput(f"expected a JSON object, got {type(doc).__name__}")
    return doc


def load_toml(data: bytes) -> dict[str, Any]:
    """Parse TOML; raise BadInput when it is not TOML."""
    try:
        return tomllib.loads(decode(data))
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"not valid TOML: {exc}") from exc


def load_yaml_mapping(data: bytes, path: str) -> dict[str, Any]:
    """Parse YAML through seawall.yamlsafe; it must be a mapping."""
    try:
        doc = load_yaml(decode(data), path)
    except yaml.YAMLError as exc:
        # seawall.yamlsafe builds its loader outside its own try: PyYAML's reader rejects control
        # characters there and raises its own error class.
        raise BadInput(f"invalid YAML: {one_line(str(exc))}") from exc
    if not isinstance(doc, dict):
        raise BadInput("expected a YAML mapping")
    return doc


def decode(data: bytes) -> str:
    """UTF-8 text (a BOM is dropped); undecodable bytes are replaced rather than failing the file."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data.decode("utf-8", errors="replace")


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` when it is a dict, else an empty one (lockfiles from odd tools omit sections)."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """``value`` when it is a list, else an empty one."""
    return value if isinstance(value, list) else []


def as_str(value: Any) -> str:
    """``value`` when it is a string, else empty."""
    return value.strip() if isinstance(value, str) else ""


_PEP503 = re.compile(r"[-_.]+")


def pep503(name: str) -> str:
    """The PEP 503 normalised form of a Python distribution name (``PyYAML`` -> ``pyyaml``)."""
    return _PEP503.sub("-", name).lower()


def purl(kind: str, name: str, version: str, namespace: str | None = None) -> str:
    """A package URL; empty when the name or version cannot form one."""
    if not name or not version:
        return ""
    try:
        return str(PackageURL(type=kind, namespace=namespace or None, name=name, version=version).to_string())
    except ValueError:
        return ""


def npm_purl(name: str, version: str) -> str:
    """``pkg:npm/%40scope/name@version`` for scoped names, ``pkg:npm/name@version`` otherwise."""
    if name.startswith("@") and "/" in name:
        scope, _, rest = name.partition("/")
        return purl("npm", rest, version, scope)
    return purl("npm", name, version)


def license_list(value: Any) -> tuple[str, ...]:
    """Licences from the shapes manifests use: a string, a list of strings, ``{type: X}`` objects."""
    out: list[str] = []
    items = value if isinstance(value, list) else [value]
    for item in items[:50]:
        if isinstance(item, dict):
            item = item.get("type") or item.get("name")
        if isinstance(item, str) and item.strip():
            text = item.strip()
            if text not in out:
                out.append(text)
    return tuple(out)


def check_count(packages: list[Package]) -> None:
    """Refuse absurd package counts (memory bound for hostile lockfiles)."""
    if len(packages) > MAX_PACKAGES:
        raise BadInput(f"more than {MAX_PACKAGES} packages")


def dedupe(packages: Iterable[Package]) -> list[Package]:
    """One package per (name, version), first occurrence kept, but dev only when every copy is dev."""
    seen: dict[tuple[str, str], Package] = {}
    for pkg in packages:
        key = (pkg.name, pkg.version)
        old = seen.get(key)
        if old is None or (old.dev and not pkg.dev):
            seen[key] = pkg
    return list(seen.values())


def sort_packages(packages: Iterable[Package]) -> list[Package]:
    """Stable output order: by name, then version."""
    return sorted(packages, key=lambda p: (p.name.lower(), p.name, p.version))


def reachable(roots: Iterable[str], edges: Mapping[str, Iterable[str]]) -> set[str]:
    """Every node reachable from ``roots`` (iterative: deep graphs cannot overflow the stack)."""
    seen: set[str] = set()
    stack = [r for r in roots]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        stack.extend(n for n in edges.get(node, ()) if n not in seen)
    return seen
