"""The advisory store: one SQLite file of OSV-shaped advisories plus enrichment tables.

Writers never touch the live file: :func:`building` copies it to a temporary file beside it, applies
changes there and swaps it in with ``os.replace`` once everything is committed. A reader therefore sees
either the old or the new database, never a half-written one, and a writer killed midway leaves only a
stale temporary file that the next update deletes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import logging
import os
import re
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from seawall.vulndb.errors import VulnDBError

log = logging.getLogger("seawall.vulndb")

SCHEMA_VERSION = 1
DB_FILENAME = "seawall-vuln.db"
_TMP_PREFIX = f".{DB_FILENAME}.tmp-"

_SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE sources(
    name TEXT PRIMARY KEY, url TEXT NOT NULL DEFAULT '', etag TEXT NOT NULL DEFAULT '',
    last_modified TEXT NOT NULL DEFAULT '', fetched_at TEXT NOT NULL DEFAULT '',
    records INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE advisories(
    id TEXT PRIMARY KEY, source TEXT NOT NULL, modified TEXT NOT NULL DEFAULT '',
    withdrawn TEXT NOT NULL DEFAULT '', record BLOB NOT NULL
);
CREATE INDEX advisories_source ON advisories(source);
CREATE TABLE affected(
    advisory_id TEXT NOT NULL, ecosystem TEXT NOT NULL, name TEXT NOT NULL, entry BLOB NOT NULL
);
CREATE INDEX affected_pkg ON affected(ecosystem, name);
CREATE INDEX affected_adv ON affected(advisory_id);
CREATE TABLE aliases(alias TEXT NOT NULL, advisory_id TEXT NOT NULL);
CREATE INDEX aliases_alias ON aliases(alias);
CREATE INDEX aliases_adv ON aliases(advisory_id);
CREATE TABLE kev(
    cve TEXT PRIMARY KEY, date_added TEXT NOT NULL, due_date TEXT NOT NULL, ransomware TEXT NOT NULL,
    name TEXT NOT NULL
);
CREATE TABLE epss(cve TEXT PRIMARY KEY, score REAL NOT NULL, percentile REAL NOT NULL, date TEXT NOT NULL);
CREATE TABLE nvd(cve TEXT PRIMARY KEY, record BLOB NOT NULL);
"""

# Enrichment tables are owned by one source each, so a source update can replace them wholesale.
ENRICHMENT_TABLES = {"kev": "kev", "epss": "epss", "nvd": "nvd"}


def normalize_name(ecosystem: str, name: str) -> str:
    """The lookup key for a package name: PEP 503 for PyPI, exact for Go, lower case elsewhere."""
    base = ecosystem.split(":", 1)[0]
    if base == "PyPI":
        return re.sub(r"[-_.]+", "-", name).lower()
    if base == "Go":
        return name
    return name.lower()


def utcnow() -> str:
    """The current UTC time as an RFC 3339 string (second precision)."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class SourceState:
    """What the database remembers about one feed: where from, validators, when, how many records."""

    name: str
    url: str = ""
    etag: str = ""
    last_modified: str = ""
    fetched_at: str = ""
    records: int = 0


@dataclass(frozen=True, slots=True)
class AffectedRow:
    """One ``affected[]`` entry of one advisory, as stored for matching."""

    advisory_id: str
    entry: Mapping[str, Any]
    withdrawn: str = ""  # the advisory's withdrawal time, empty when it stands


class VulnDB:
    """A handle on one advisory database file (read-only unless opened by :func:`building`)."""

    def __init__(self, conn: sqlite3.Connection, path: Path, writable: bool = False) -> None:
        self._conn = conn
        self.path = path
        self.writable = writable
        self._record_cache: dict[str, dict[str, Any]] = {}
        self._kev: dict[str, tuple[str, str, str, str]] | None = None
        self._nonempty: dict[str, bool] = {}

    # ---- reading -------------------------------------------------------------------------------
    def meta(self, key: str, default: str = "") -> str:
        """A metadata value (``schema_version``, ``updated_at``, ``demo`` ...)."""
        row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else default

    @property
    def is_demo(self) -> bool:
        """True for the small embedded demo snapshot."""
        return self.meta("demo") == "1"

    def affected_for(self, ecosystem: str, name: str) -> list[AffectedRow]:
        """Every affected entry naming this package in this ecosystem."""
        rows = self._conn.execute(
            "SELECT f.advisory_id, f.entry, a.withdrawn FROM affected f "
            "JOIN advisories a ON a.id = f.advisory_id "
            "WHERE f.ecosystem = ? AND f.name = ?",
            (ecosystem, normalize_name(ecosystem, name)),
        ).fetchall()
        return [AffectedRow(r[0], orjson.loads(r[1]), r[2]) for r in rows]

    def has_ecosystem(self, ecosystem: str) -> bool:
        """True when any advisory names a package in this ecosystem."""
        row = self._conn.execute(
            "SELECT 1 FROM affected WHERE ecosystem = ? LIMIT 1", (ecosystem,)
        ).fetchone()
        return row is not None

    def ecosystems_with_prefix(self, prefix: str) -> list[str]:
        """The distinct ecosystem names starting with ``prefix`` (e.g. every ``Red Hat:`` product stream)."""
        # A range on the indexed column instead of LIKE, which is case-insensitive and skips the index.
        rows = self._conn.execute(
            "SELECT DISTINCT ecosystem FROM affected WHERE ecosystem >= ? AND ecosystem < ?",
            (prefix, prefix + "\U0010ffff"),
        ).fetchall()
        return [str(r[0]) for r in rows]

    def advisory(self, advisory_id: str) -> dict[str, Any] | None:
        """The full OSV record of one advisory (cached per handle)."""
        cached = self._record_cache.get(advisory_id)
        if cached is not None:
            return cached
        row = self._conn.execute("SELECT record FROM advisories WHERE id = ?", (advisory_id,)).fetchone()
        if row is None:
            return None
        record: dict[str, Any] = orjson.loads(row[0])
        self._record_cache[advisory_id] = record
        return record

    def advisory_source(self, advisory_id: str) -> str:
        """The source an advisory came from (``osv:PyPI``, ``debian-tracker`` ...)."""
        row = self._conn.execute("SELECT source FROM advisories WHERE id = ?", (advisory_id,)).fetchone()
        return str(row[0]) if row else ""

    def _table_has_rows(self, table: str) -> bool:
        # Skips a query per finding when an enrichment source was never fetched.
        has = self._nonempty.get(table)
        if has is None:
            has = self._nonempty[table] = (
                self._conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is not None
            )
        return has

    def kev(self, cve: str) -> tuple[str, str, str, str] | None:
        """KEV membership of a CVE: (date added, due date, ransomware use, name) or None."""
        if self._kev is None:
            # The catalogue is small (about 1,500 rows): one query instead of one per finding.
            rows = self._conn.execute(
                "SELECT cve, date_added, due_date, ransomware, name FROM kev"
            ).fetchall()
            self._kev = {r[0]: (r[1], r[2], r[3], r[4]) for r in rows}
        return self._kev.get(cve)

    def epss(self, cve: str) -> tuple[float, float, str] | None:
        """EPSS (score, percentile, date) of a CVE or None."""
        if not self._table_has_rows("epss"):
            return None
        row = self._conn.execute("SELECT score, percentile, date FROM epss WHERE cve = ?", (cve,)).fetchone()
        return (float(row[0]), float(row[1]), str(row[2])) if row else None

    def nvd(self, cve: str) -> dict[str, Any] | None:
        """The NVD enrichment (CVSS list, description, references) of a CVE or None."""
        if not self._table_has_rows("nvd"):
            return None
        row = self._conn.execute("SELECT record FROM nvd WHERE cve = ?", (cve,)).fetchone()
        if row is None:
            return None
        rec: dict[str, Any] = orjson.loads(row[0])
        return rec

    def sources(self) -> list[SourceState]:
        """Every source recorded in the database."""
        rows = self._conn.execute(
            "SELECT name, url, etag, last_modified, fetched_at, records FROM sources ORDER BY name"
        ).fetchall()
        return [SourceState(*r) for r in rows]

    def source(self, name: str) -> SourceState | None:
        """One source's state, or None when it was never fetched."""
        for s in self.sources():
            if s.name == name:
                return s
        return None

    def counts(self) -> dict[str, int]:
        """Row counts: advisories, affected entries, and each enrichment table."""
        out: dict[str, int] = {}
        for table in ("advisories", "affected", "kev", "epss", "nvd"):
            out[table] = int(self._conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
        return out

    def ecosystems(self) -> dict[str, int]:
        """Affected-entry counts per ecosystem."""
        rows = self._conn.execute("SELECT ecosystem, count(*) FROM affected GROUP BY ecosystem").fetchall()
        return {str(r[0]): int(r[1]) for r in rows}

    # ---- writing -------------------------------------------------------------------------------
    def _require_writable(self) -> None:
        if not self.writable:
            raise VulnDBError(f"{self.path} is open read-only")

    def set_meta(self, key: str, value: str) -> None:
        self._require_writable()
        self._conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    def clear_source(self, source: str) -> None:
        """Delete everything one source wrote, before it is ingested again."""
        self._require_writable()
        table = ENRICHMENT_TABLES.get(source)
        if table:
            self._conn.execute(f"DELETE FROM {table}")
            return
        year = re.fullmatch(r"nvd:(\d{4})", source)
        if year:
            # NVD's yearly feeds are grouped by the year in the CVE id: a year's feed owns CVE-<year>-*.
            self._conn.execute("DELETE FROM nvd WHERE cve LIKE ?", (f"CVE-{year.group(1)}-%",))
            return
        ids = "SELECT id FROM advisories WHERE source = ?"
        self._conn.execute(f"DELETE FROM affected WHERE advisory_id IN ({ids})", (source,))
        self._conn.execute(f"DELETE FROM aliases WHERE advisory_id IN ({ids})", (source,))
        self._conn.execute("DELETE FROM advisories WHERE source = ?", (source,))

    def put_advisories(self, records: Iterable[Mapping[str, Any]], source: str) -> int:
        """Insert or replace OSV records (already validated by an adapter); returns how many."""
        self._require_writable()
        n = 0
        cur = self._conn.cursor()
        for rec in records:
            rid = rec["id"]
            cur.execute("DELETE FROM affected WHERE advisory_id = ?", (rid,))
            cur.execute("DELETE FROM aliases WHERE advisory_id = ?", (rid,))
            cur.execute(
                "INSERT OR REPLACE INTO advisories(id, source, modified, withdrawn, record) "
                "VALUES (?,?,?,?,?)",
                (rid, source, str(rec.get("modified", "")), str(rec.get("withdrawn", "")), _record_blob(rec)),
            )
            rows = []
            for entry in rec.get("affected", ()):
                pkg = entry.get("package") or {}
                eco, name = pkg.get("ecosystem"), pkg.get("name")
                if isinstance(eco, str) and isinstance(name, str) and eco and name:
                    rows.append((rid, eco, normalize_name(eco, name), orjson.dumps(entry)))
            cur.executemany(
                "INSERT INTO affected(advisory_id, ecosystem, name, entry) VALUES (?,?,?,?)", rows
            )
            alias_ids = {a for a in (*rec.get("aliases", ()), *rec.get("upstream", ())) if isinstance(a, str)}
            cur.executemany(
                "INSERT INTO aliases(alias, advisory_id) VALUES (?, ?)", [(a, rid) for a in alias_ids]
            )
            n += 1
        return n

    def put_rows(self, table: str, rows: Iterable[tuple[Any, ...]]) -> int:
        """Insert enrichment rows into ``kev``, ``epss`` or ``nvd``; returns how many."""
        self._require_writable()
        placeholders = {"kev": 5, "epss": 4, "nvd": 2}[table]
        data = list(rows)
        self._conn.executemany(
            f"INSERT OR REPLACE INTO {table} VALUES ({','.join('?' * placeholders)})", data
        )
        return len(data)

    def set_source(self, state: SourceState) -> None:
        """Record a source's validators, fetch time and record count."""
        self._require_writable()
        self._conn.execute(
            "INSERT OR REPLACE INTO sources(name, url, etag, last_modified, fetched_at, records) "
            "VALUES (?,?,?,?,?,?)",
            (state.name, state.url, state.etag, state.last_modified, state.fetched_at, state.records),
        )

    def commit(self) -> None:
        self._conn.commit()

    def close(self) -> None:
        self._conn.close()


def _record_blob(rec: Mapping[str, Any]) -> bytes:
    """The stored advisory record: ``affected[].versions`` lists live in the affected table only.

    pypa records enumerate hundreds of versions per package; keeping them out of the record blob makes
    loading an advisory for a finding's texts several times cheaper.
    """
    slim = dict(rec)
    slim["affected"] = [
        {k: v for k, v in e.items() if k != "versions"} if isinstance(e, dict) else e
        for e in rec.get("affected", ())
    ]
    return orjson.dumps(slim)


def db_path(db_dir: Path) -> Path:
    """The database file inside a database directory."""
    return db_dir / DB_FILENAME


def open_db(path: Path) -> VulnDB:
    """Open an existing database read-only, checking that it is complete and of this schema."""
    if not path.is_file():
        raise VulnDBError(
            f"no vulnerability database at {path}: run `seawall db update` or `seawall db import`"
        )
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        db = VulnDB(conn, path)
        version = db.meta("schema_version")
    except sqlite3.DatabaseError as exc:
        raise VulnDBError(f"{path} is not a Seawall vulnerability database: {exc}") from exc
    if version != str(SCHEMA_VERSION):
        conn.close()
        raise VulnDBError(
            f"{path} has schema version {version or 'none'}, this Seawall needs {SCHEMA_VERSION}: "
            "run `seawall db update`"
        )
    return db


def create_empty(path: Path) -> VulnDB:
    """Create a new, empty, writable database file (used for temporary builds)."""
    conn = sqlite3.connect(path, check_same_thread=False)
    conn.executescript(_SCHEMA)
    db = VulnDB(conn, path, writable=True)
    db.set_meta("schema_version", str(SCHEMA_VERSION))
    db.set_meta("created_at", utcnow())
    conn.commit()
    return db


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_builds(db_dir: Path) -> None:
    """Delete temporary build files left by writers that died (SIGKILL, power loss)."""
    for p in db_dir.glob(_TMP_PREFIX + "*"):
        pid_text = p.name[len(_TMP_PREFIX) :].split(".", 1)[0]
        if not pid_text.isdigit() or not _pid_alive(int(pid_text)) or int(pid_text) == os.getpid():
            with contextlib.suppress(OSError):
                p.unlink()
                log.debug("removed stale database build %s", p)


@contextlib.contextmanager
def update_lock(db_dir: Path) -> Iterator[None]:
    """Serialise writers of one database directory."""
    db_dir.mkdir(parents=True, exist_ok=True)
    with (db_dir / "update.lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@contextlib.contextmanager
def building(db_dir: Path, fresh: bool = False) -> Iterator[VulnDB]:
    """A writable copy of the database (empty when ``fresh`` or none exists), swapped in on success."""
    with update_lock(db_dir):
        remove_stale_builds(db_dir)
        live = db_path(db_dir)
        tmp = db_dir / f"{_TMP_PREFIX}{os.getpid()}"
        tmp.unlink(missing_ok=True)
        db = create_empty(tmp)
        ok = False
        try:
            if not fresh and live.is_file():
                _copy_content(live, db)
            # A temporary file that is thrown away on failure needs no journal; this halves write time.
            db._conn.execute("PRAGMA journal_mode=OFF")
            db._conn.execute("PRAGMA synchronous=OFF")
            yield db
            db.set_meta("updated_at", utcnow())
            db.commit()
            db._conn.execute("PRAGMA journal_mode=DELETE")
            db.close()
            with tmp.open("rb") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, live)
            ok = True
        finally:
            if not ok:
                with contextlib.suppress(Exception):
                    db.close()
                tmp.unlink(missing_ok=True)


def _copy_content(live: Path, db: VulnDB) -> None:
    """Copy every row of a valid live database into a new build (a corrupt one is rebuilt from scratch)."""
    try:
        old = open_db(live)
    except VulnDBError as exc:
        log.warning("%s; rebuilding the database from scratch", exc)
        return
    old.close()
    conn = db._conn
    conn.execute("ATTACH DATABASE ? AS old", (str(live),))
    try:
        for table in ("sources", "advisories", "affected", "aliases", "kev", "epss", "nvd"):
            conn.execute(f"INSERT INTO main.{table} SELECT * FROM old.{table}")
        conn.execute(
            "INSERT OR REPLACE INTO main.meta SELECT * FROM old.meta WHERE key NOT IN ('created_at')"
        )
        conn.commit()
    except sqlite3.DatabaseError as exc:
        raise VulnDBError(f"cannot copy {live}: {exc}") from exc
    finally:
        conn.execute("DETACH DATABASE old")
