"""OSV records from ecosystem ``all.zip`` archives, JSON/YAML files and directories.

Records are checked for the fields matching relies on; a malformed record is skipped with a log line,
while an archive that is not a valid zip (truncated, corrupt CRC, a bomb) fails the whole source.
"""

from __future__ import annotations

import logging
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from seawall.vulndb.errors import SourceError
from seawall.yamlsafe import YAMLError, load_yaml

log = logging.getLogger("seawall.vulndb")

MAX_RECORD_BYTES = 16 * 1024 * 1024
MAX_ZIP_ENTRIES = 2_000_000
MAX_ZIP_RATIO = 200  # uncompressed/compressed per member; OSV JSON compresses about 5-10x


def parse_record(raw: bytes, name: str) -> dict[str, Any] | None:
    """Decode one OSV JSON or YAML document and check its shape; None (logged) when unusable."""
    if len(raw) > MAX_RECORD_BYTES:
        log.warning(
            "skipping %s: %d bytes is over the %d-byte record limit", name, len(raw), MAX_RECORD_BYTES
        )
        return None
    yaml_text = name.endswith((".yaml", ".yml"))
    try:
        data = load_yaml(raw.decode("utf-8"), name) if yaml_text else orjson.loads(raw)
    except (orjson.JSONDecodeError, YAMLError, UnicodeDecodeError) as exc:
        log.warning("skipping %s: %s", name, " ".join(str(exc).split())[:200])
        return None
    return validate_record(data, name)


def validate_record(data: Any, name: str) -> dict[str, Any] | None:
    """Keep a record whose id, aliases and affected entries have the types OSV requires."""
    if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not data["id"]:
        log.warning("skipping %s: not an OSV record (no id)", name)
        return None
    for key in ("aliases", "upstream", "affected", "references", "severity"):
        if key in data and data[key] is not None and not isinstance(data[key], list):
            log.warning("skipping %s: %s must be a list", name, key)
            return None
    affected = []
    for entry in data.get("affected") or []:
        if not isinstance(entry, dict) or not isinstance(entry.get("package", {}), dict):
            continue
        if not all(isinstance(r, dict) for r in entry.get("ranges") or []):
            continue
        if not isinstance(entry.get("versions") or [], list):
            continue
        affected.append(entry)
    data["affected"] = affected
    for key in ("modified", "published", "withdrawn"):
        if key in data and not isinstance(data[key], str):
            data[key] = str(data[key])  # YAML turns bare timestamps into datetimes
    return data


def iter_zip(path: Path, label: str = "") -> Iterator[dict[str, Any]]:
    """Every OSV record in an ``all.zip`` archive; raises SourceError if the archive is damaged."""
    label = label or path.name
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_ZIP_ENTRIES:
                raise SourceError(f"{label}: {len(infos)} entries is over the limit of {MAX_ZIP_ENTRIES}")
            for info in infos:
                if info.is_dir() or not info.filename.endswith((".json", ".yaml", ".yml")):
                    continue
                if info.file_size > MAX_RECORD_BYTES or (
                    info.compress_size and info.file_size / info.compress_size > MAX_ZIP_RATIO
                ):
                    log.warning("skipping %s in %s: too large or too compressed", info.filename, path.name)
                    continue
                raw = zf.read(info)  # checks the CRC: a corrupt member raises BadZipFile
                rec = parse_record(raw, info.filename)
                if rec is not None:
                    yield rec
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as exc:
        raise SourceError(f"{label} is not a valid zip archive (corrupt or truncated): {exc}") from exc
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc}") from exc


def iter_path(path: Path) -> Iterator[dict[str, Any]]:
    """OSV records from a file (``.json``, ``.yaml``, ``.zip``) or a directory tree of them."""
    if path.is_dir():
        for p in sorted(path.rglob("*")):
            if p.is_file() and not p.is_symlink() and p.suffix in (".json", ".yaml", ".yml", ".zip"):
                yield from iter_path(p)
        return
    if path.suffix == ".zip":
        yield from iter_zip(path)
        return
    try:
        raw = path.read_bytes() if path.stat().st_size <= MAX_RECORD_BYTES else b""
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc}") from exc
    if not raw:
        log.warning("skipping %s: empty or over the %d-byte record limit", path, MAX_RECORD_BYTES)
        return
    # A JSON array of records is accepted too (osv.dev query exports).
    if path.suffix == ".json" and raw.lstrip()[:1] == b"[":
        try:
            items = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            log.warning("skipping %s: %s", path, exc)
            return
        for i, item in enumerate(items):
            rec = validate_record(item, f"{path}[{i}]")
            if rec is not None:
                yield rec
        return
    rec = parse_record(raw, str(path))
    if rec is not None:
        yield rec
