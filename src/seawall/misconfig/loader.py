"""Find configuration files under the given paths, detect their type and parse them into objects.

Every problem with one file (unreadable, binary, too large, malformed, hostile) becomes a warning
for that file; the scan of the other files goes on.
"""

from __future__ import annotations

import fnmatch
import json
import logging
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from seawall.errors import SeawallError, UsageError
from seawall.misconfig.dockerfile import MAX_DOCKERFILE_BYTES, parse_dockerfile
from seawall.misconfig.model import ConfigObject
from seawall.misconfig.yamldocs import load_documents
from seawall.yamlsafe import MAX_YAML_BYTES

log = logging.getLogger("seawall.misconfig")

_SKIP_DIRS = frozenset({".git", "node_modules", ".venv", "venv", "__pycache__", ".terraform", "vendor"})
_YAML_SUFFIXES = (".yaml", ".yml", ".json")
_COMPOSE_NAMES = ("docker-compose*.yml", "docker-compose*.yaml", "compose*.yml", "compose*.yaml")


@dataclass(frozen=True, slots=True)
class LoadResult:
    """Parsed objects plus per-file warnings and the files that were read."""

    objects: tuple[ConfigObject, ...]
    warnings: tuple[str, ...]
    files: tuple[str, ...]


def is_dockerfile_name(name: str) -> bool:
    """Dockerfile, Containerfile, ``*.dockerfile``, ``Dockerfile.*`` and ``*.Dockerfile``."""
    lower = name.lower()
    return (
        lower in ("dockerfile", "containerfile")
        or lower.endswith((".dockerfile", ".containerfile"))
        or lower.startswith(("dockerfile.", "dockerfile-", "containerfile."))
    )


def discover(paths: Iterable[Path]) -> Iterator[Path]:
    """Every candidate file under ``paths`` (files given directly are always candidates)."""
    for root in paths:
        if not root.exists():
            raise UsageError(f"{root} does not exist")
        if not root.is_dir():  # regular files, and pipes such as /dev/stdin
            yield root
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
            for fname in sorted(filenames):
                if is_dockerfile_name(fname) or fname.lower().endswith(_YAML_SUFFIXES):
                    path = Path(dirpath) / fname
                    # Only regular files inside a tree: a symlink to /dev/zero or a FIFO must not hang.
                    if path.is_file():
                        yield path


def load_paths(paths: Iterable[Path], base: Path | None = None) -> LoadResult:
    """Load every configuration file under ``paths``."""
    objects: list[ConfigObject] = []
    warnings: list[str] = []
    files: list[str] = []
    for path in discover(paths):
        display = _display(path, base)
        try:
            loaded = load_file(path, display)
        except SeawallError as exc:
            warnings.append(str(exc))
            continue
        if loaded:
            files.append(display)
            objects.extend(loaded)
    return LoadResult(tuple(objects), tuple(warnings), tuple(files))


def _display(path: Path, base: Path | None) -> str:
    if base is not None:
        try:
            return str(path.relative_to(base))
        except ValueError:
            pass
    return str(path)


def load_file(path: Path, display: str) -> list[ConfigObject]:
    """Parse one file into objects (empty for files that are no configuration Seawall checks)."""
    dockerfile = is_dockerfile_name(path.name)
    limit = MAX_DOCKERFILE_BYTES if dockerfile else MAX_YAML_BYTES
    try:
        size = path.stat().st_size
        if size > limit:
            raise SeawallError(f"{display}: skipped: {size} bytes is over the {limit}-byte limit")
        with path.open("rb") as f:
            data = f.read(limit + 1)  # bounded even when the size lies (pipes, /proc files, devices)
        if len(data) > limit:
            raise SeawallError(f"{display}: skipped: more than {limit} bytes")
    except OSError as exc:
        raise SeawallError(f"{display}: cannot read: {exc.strerror or exc}") from exc
    if b"\0" in data[:8192]:
        raise SeawallError(f"{display}: skipped: binary content")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SeawallError(f"{display}: skipped: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    if dockerfile:
        return [parse_dockerfile_object(text, display)]
    return parse_yaml_objects(text, display, compose_name=_is_compose_name(path.name))


def parse_dockerfile_object(text: str, display: str) -> ConfigObject:
    """A Dockerfile as a ConfigObject; parser warnings are logged, one line per file."""
    parsed = parse_dockerfile(text, display)
    for warning in parsed.warnings:
        log.warning("%s", warning)
    return ConfigObject("dockerfile", parsed, display, 0, {}, parsed.lines)


def _is_compose_name(name: str) -> bool:
    return any(fnmatch.fnmatch(name.lower(), pattern) for pattern in _COMPOSE_NAMES)


def parse_yaml_objects(text: str, display: str, compose_name: bool = False) -> list[ConfigObject]:
    """Kubernetes resources (``List`` kinds unpacked) or a compose project from YAML or JSON text."""
    if "{{" in text and not text.lstrip().startswith(("{", "[")) and _looks_like_template(text):
        log.info("%s: skipped: unrendered template (render it with `helm template` first)", display)
        return []
    lines = tuple(text.splitlines())
    objects: list[ConfigObject] = []
    try:
        docs = list(load_documents(text, display))
    except SeawallError:
        if display.lower().endswith(".json"):
            return _from_json(text, display, lines)
        raise
    for index, doc in enumerate(docs):
        data = doc.data
        if not isinstance(data, Mapping):
            continue
        if _is_kubernetes(data):
            objects.extend(_kube_objects(data, display, index, doc.positions, lines))
        elif compose_name or _is_compose(data):
            objects.append(ConfigObject("compose", data, display, index, doc.positions, lines))
        elif _is_registry_config(data):
            objects.append(ConfigObject("registry", data, display, index, doc.positions, lines))
    return objects


def _from_json(text: str, display: str, lines: tuple[str, ...]) -> list[ConfigObject]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise SeawallError(f"{display}: invalid JSON: {exc}") from exc
    if isinstance(data, Mapping) and _is_kubernetes(data):
        return list(_kube_objects(data, display, 0, {}, lines))
    return []


def _is_registry_config(data: Mapping[object, object]) -> bool:
    """A CNCF distribution (docker-registry) config.yml: ``version: 0.1`` with storage and http sections."""
    return (
        str(data.get("version")) == "0.1"
        and isinstance(data.get("storage"), Mapping)
        and (isinstance(data.get("http"), Mapping) or isinstance(data.get("auth"), Mapping))
    )


def _looks_like_template(text: str) -> bool:
    return "{{-" in text or "{{ ." in text or "{{." in text or "{{ include" in text or "{{ if" in text


def _is_kubernetes(data: Mapping[object, object]) -> bool:
    return isinstance(data.get("apiVersion"), str) and isinstance(data.get("kind"), str)


def _is_compose(data: Mapping[object, object]) -> bool:
    services = data.get("services")
    return isinstance(services, Mapping) and all(isinstance(v, Mapping) for v in services.values())


def _kube_objects(
    data: Mapping[object, object],
    display: str,
    index: int,
    positions: Mapping[tuple[str | int, ...], tuple[int, int]],
    lines: tuple[str, ...],
) -> Iterator[ConfigObject]:
    kind = data.get("kind")
    items = data.get("items")
    if isinstance(kind, str) and kind.endswith("List") and isinstance(items, list):
        # Split the position map by item once (a per-item scan of every position is quadratic).
        by_item: dict[object, dict[tuple[str | int, ...], tuple[int, int]]] = {}
        for key, value in positions.items():
            if len(key) >= 2 and key[0] == "items":
                by_item.setdefault(key[1], {})[key[2:]] = value
        for i, item in enumerate(items):
            if isinstance(item, Mapping) and _is_kubernetes(item):
                yield ConfigObject("kubernetes", item, display, index, by_item.get(i, {}), lines)
        return
    yield ConfigObject("kubernetes", data, display, index, dict(positions), lines)
