"""Pick the database a scan reads: the real one (updated when stale), or the embedded demo snapshot."""

from __future__ import annotations

import gzip
import hashlib
import logging
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import orjson

from seawall.vulndb import store
from seawall.vulndb.errors import VulnDBError
from seawall.vulndb.ingest.osv import validate_record

log = logging.getLogger("seawall.vulndb")

DEMO_SNAPSHOT = "demo-osv.json.gz"
DEMO_NVD = "demo-nvd.json.gz"
DEMO_NOTE = (
    "Vulnerability data: the small demo snapshot embedded in Seawall (built from the test corpus), "
    "not a full database; run `seawall db update` for real scans."
)


@dataclass(frozen=True, slots=True)
class DBSettings:
    """How a scan finds and refreshes its database."""

    db_dir: Path
    skip_update: bool = False
    offline: bool = False
    max_age_hours: float = 24.0


def demo_snapshot_bytes() -> bytes:
    """The gzip'd JSON list of OSV records shipped in ``seawall/data/advisories``."""
    return resources.files("seawall").joinpath("data", "advisories", DEMO_SNAPSHOT).read_bytes()


def demo_nvd_bytes() -> bytes:
    """The gzip'd JSON list of ``[cve, nvd enrichment]`` rows shipped beside the snapshot (may be absent)."""
    res = resources.files("seawall").joinpath("data", "advisories", DEMO_NVD)
    return res.read_bytes() if res.is_file() else b""


def open_demo(cache_dir: Path) -> store.VulnDB:
    """Build (once per snapshot version) and open the demo database under the cache directory."""
    raw, nvd_raw = demo_snapshot_bytes(), demo_nvd_bytes()
    digest = hashlib.sha256(raw + nvd_raw).hexdigest()[:16]
    demo_dir = cache_dir / "db-demo" / digest
    path = store.db_path(demo_dir)
    if not path.is_file():
        records = orjson.loads(gzip.decompress(raw))
        with store.building(demo_dir, fresh=True) as db:
            db.put_advisories((r for r in (validate_record(x, "demo") for x in records) if r), "demo")
            if nvd_raw:
                rows = orjson.loads(gzip.decompress(nvd_raw))
                db.put_rows("nvd", ((str(cve), orjson.dumps(rec)) for cve, rec in rows))
            db.set_meta("demo", "1")
    return store.open_db(path)


def ensure_database(settings: DBSettings, cache_dir: Path) -> store.VulnDB:
    """The database for a scan: update it when missing or older than the limit (unless told not to)."""
    from seawall.vulndb.update import UpdateConfig, age_seconds, update

    path = store.db_path(settings.db_dir)
    db: store.VulnDB | None = store.open_db(path) if path.is_file() else None
    if settings.skip_update or settings.offline:
        if db is None:
            log.warning("no vulnerability database in %s; using the embedded demo snapshot", settings.db_dir)
            return open_demo(cache_dir)
        return db
    age = age_seconds(db) if db else None
    if db is not None and age is not None and age < settings.max_age_hours * 3600:
        return db
    try:
        if db is not None:
            db.close()
        update(settings.db_dir, UpdateConfig.from_env())
        return store.open_db(path)
    except VulnDBError as exc:
        if path.is_file():
            log.warning("database update failed (%s); using the existing database", exc)
            return store.open_db(path)
        log.warning("database update failed (%s); using the embedded demo snapshot", exc)
        return open_demo(cache_dir)
