"""Offline bundles: one zip holding the database file and ``metadata.json`` (schema, sources, SHA-256).

``export_bundle`` snapshots the live database with SQLite's backup API (consistent even while a scan
reads it); ``import_bundle`` verifies the checksum and schema before swapping the file in atomically.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import sqlite3
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import orjson

from seawall.vulndb import store
from seawall.vulndb.errors import VulnDBError

BUNDLE_FORMAT = "seawall-vulndb-bundle/1"
_DB_MEMBER = store.DB_FILENAME


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def export_bundle(db_dir: Path, dest: Path) -> dict[str, Any]:
    """Write the database in ``db_dir`` as a bundle to ``dest``; returns the metadata written."""
    db = store.open_db(store.db_path(db_dir))
    try:
        meta: dict[str, Any] = {
            "format": BUNDLE_FORMAT,
            "schema_version": store.SCHEMA_VERSION,
            "updated_at": db.meta("updated_at"),
            "exported_at": store.utcnow(),
            "counts": db.counts(),
            "sources": [{"name": s.name, "url": s.url, "fetched_at": s.fetched_at} for s in db.sources()],
        }
    finally:
        db.close()
    with tempfile.TemporaryDirectory(dir=dest.parent if dest.parent.exists() else None) as tmp:
        snap = Path(tmp) / _DB_MEMBER
        src = sqlite3.connect(f"file:{store.db_path(db_dir)}?mode=ro", uri=True)
        dst = sqlite3.connect(snap)
        try:
            src.backup(dst)
        finally:
            src.close()
            dst.close()
        meta["sha256"] = _sha256(snap)
        meta["size"] = snap.stat().st_size
        part = dest.with_name(dest.name + ".part")
        with zipfile.ZipFile(part, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
            zf.writestr("metadata.json", orjson.dumps(meta, option=orjson.OPT_INDENT_2))
            zf.write(snap, _DB_MEMBER)
        os.replace(part, dest)
    return meta


def import_bundle(bundle: Path, db_dir: Path) -> dict[str, Any]:
    """Verify a bundle and make its database the live one; returns its metadata."""
    try:
        zf = zipfile.ZipFile(bundle)
    except (OSError, zipfile.BadZipFile) as exc:
        raise VulnDBError(f"{bundle} is not a Seawall database bundle: {exc}") from exc
    with zf:
        try:
            meta = orjson.loads(zf.read("metadata.json"))
            info = zf.getinfo(_DB_MEMBER)
        except (KeyError, orjson.JSONDecodeError, zipfile.BadZipFile) as exc:
            raise VulnDBError(f"{bundle} is not a Seawall database bundle: {exc}") from exc
        if not isinstance(meta, dict) or meta.get("format") != BUNDLE_FORMAT:
            raise VulnDBError(
                f"{bundle}: unknown bundle format {meta.get('format') if isinstance(meta, dict) else meta!r}"
            )
        if meta.get("schema_version") != store.SCHEMA_VERSION:
            raise VulnDBError(
                f"{bundle}: schema version {meta.get('schema_version')}, "
                f"this Seawall needs {store.SCHEMA_VERSION}"
            )
        if info.file_size != meta.get("size"):
            raise VulnDBError(
                f"{bundle}: database size {info.file_size} does not match metadata {meta.get('size')}"
            )
        db_dir.mkdir(parents=True, exist_ok=True)
        with store.update_lock(db_dir):
            tmp = db_dir / f".{store.DB_FILENAME}.tmp-{os.getpid()}"
            ok = False
            try:
                with zf.open(info) as src, tmp.open("wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
                if _sha256(tmp) != meta.get("sha256"):
                    raise VulnDBError(f"{bundle}: checksum mismatch (the bundle is corrupt)")
                store.open_db(tmp).close()
                os.replace(tmp, store.db_path(db_dir))
                ok = True
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                raise VulnDBError(f"{bundle}: cannot extract the database: {exc}") from exc
            finally:
                if not ok:
                    with contextlib.suppress(OSError):
                        tmp.unlink()
    return meta
