"""Read rpm's package database in its three formats (SQLite, Berkeley DB hash, NDB) without librpm.

:func:`read_database` tells the format from the file's first bytes (never from its name), pulls out
every header blob and parses it; damage is reported as warnings, never as an exception.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

from seawall.analyze.rpmdb import bdb, ndb, sqlite
from seawall.analyze.rpmdb.header import RpmHeader, RpmHeaderError, parse_header
from seawall.errors import SeawallError

MAX_PACKAGES = 200_000  # a full Fedora workstation has ~3,000; anything far beyond is hostile
MAX_WARNINGS = 10  # per database; the rest are counted
# File names, provides and requires kept for one database: a big Fedora host has ~400k files. Hostile
# headers can point many arrays at the same bytes, so the total is capped, not just each array.
MAX_STRINGS = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class RpmDatabase:
    """The packages read from one database file and what went wrong while reading it."""

    format: str  # sqlite, bdb, ndb, or "" when the file is not an rpm database
    headers: tuple[RpmHeader, ...]
    warnings: tuple[str, ...]


def detect_format(data: bytes) -> str:
    """``sqlite``, ``bdb``, ``ndb``, or ``""`` for bytes that are none of them."""
    if data.startswith(sqlite.SQLITE_MAGIC):
        return "sqlite"
    if data.startswith(ndb.DB_MAGIC):
        return "ndb"
    if bdb.is_bdb_hash(data):
        return "bdb"
    return ""


def read_database(data: bytes) -> RpmDatabase:
    """Parse an rpm database file of any supported format; never raises for bad content."""
    fmt = detect_format(data)
    if not fmt:
        return RpmDatabase("", (), ("not an rpm database (not SQLite, Berkeley DB hash or NDB)",))
    warnings: list[str] = []
    cut = sqlite.truncation(data) if fmt == "sqlite" else bdb.truncation(data) if fmt == "bdb" else ""
    if cut:
        warnings.append(cut)
    headers: list[RpmHeader] = []
    damaged = 0
    strings = 0
    capped = False
    try:
        for seen, blob in enumerate(_blobs(fmt, data, warnings)):
            if len(blob) <= 8:
                continue  # rpm's BDB backend keeps a 4-byte instance counter under key 0
            if seen >= MAX_PACKAGES:
                warnings.append(f"more than {MAX_PACKAGES} records: the rest are ignored")
                break
            try:
                header = parse_header(blob)
            except RpmHeaderError as exc:
                damaged += 1
                if damaged <= MAX_WARNINGS:
                    warnings.append(f"skipped a damaged package header: {exc}")
                continue
            strings += len(header.files) + len(header.provides) + len(header.requires)
            if strings > MAX_STRINGS:
                if not capped:
                    warnings.append(
                        f"more than {MAX_STRINGS} file names and capabilities: the rest are dropped"
                    )
                capped = True
                header = replace(header, files=(), provides=(), requires=())
            headers.append(header)
    except SeawallError as exc:
        warnings.append(f"{fmt} database is damaged, read {len(headers)} packages before: {exc}")
    except (MemoryError, RecursionError):
        raise
    except Exception as exc:  # the struct/sqlite layers must never turn hostile bytes into a traceback
        warnings.append(f"{fmt} database is unreadable after {len(headers)} packages: {exc}")
    if damaged > MAX_WARNINGS:
        warnings.append(f"{damaged - MAX_WARNINGS} more damaged package headers skipped")
    if len(warnings) > MAX_WARNINGS + 2:
        warnings[MAX_WARNINGS:] = [f"and {len(warnings) - MAX_WARNINGS} more warnings"]
    return RpmDatabase(fmt, tuple(headers), tuple(warnings))


def _blobs(fmt: str, data: bytes, warnings: list[str]) -> Iterator[bytes]:
    if fmt == "sqlite":
        return sqlite.iter_blobs(data)
    if fmt == "ndb":
        return ndb.iter_blobs(data, warnings)
    return bdb.iter_blobs(data)
