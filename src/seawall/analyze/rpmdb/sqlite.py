"""Header blobs from rpm's SQLite database (``rpmdb.sqlite``: table ``Packages(hnum, blob)``).

The file's bytes are loaded into an in-memory SQLite connection, never written to disk. The file is
untrusted, so the schema is checked before the query runs and a progress handler bounds the work
SQLite may do (a hostile file could declare ``Packages`` as an endless recursive view).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

from seawall.errors import SeawallError

SQLITE_MAGIC = b"SQLite format 3\0"
_STEPS_PER_CHECK = 10_000
_WAL_VERSION_OFFSETS = (18, 19)  # file format write/read version: 2 means WAL


class RpmSqliteError(SeawallError):
    """The rpm SQLite database cannot be read."""


def truncation(data: bytes) -> str:
    """A message when the file is shorter than its header says (a cut-off copy), else ``""``."""
    if len(data) < 100:
        return f"SQLite file of {len(data)} bytes is truncated"
    page_size = int.from_bytes(data[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(data[28:32], "big")
    # The in-header page count is valid only when its "version valid for" matches the change counter.
    if data[24:28] == data[92:96] and pages and page_size * pages > len(data):
        return f"SQLite file is truncated: its header says {page_size * pages} bytes, it has {len(data)}"
    if page_size and len(data) % page_size:
        return f"SQLite file is truncated: {len(data)} bytes is not a whole number of {page_size}-byte pages"
    return ""


def iter_blobs(data: bytes) -> Iterator[bytes]:
    """Yield the header blob of each row of the ``Packages`` table."""
    if not data.startswith(SQLITE_MAGIC) or len(data) < 100:
        raise RpmSqliteError("not an SQLite 3 database")
    image: bytes | bytearray = data
    # An in-memory copy cannot use a write-ahead log; rpm checkpoints on close, so reading the main
    # file as a rollback-journal database sees every committed package.
    if any(data[offset] == 2 for offset in _WAL_VERSION_OFFSETS):
        image = bytearray(data)
        for offset in _WAL_VERSION_OFFSETS:
            image[offset] = 1
    conn = sqlite3.connect(":memory:")
    try:
        # No value can be longer than the file itself (a generated column could build a huge one).
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, max(len(data), 1_000_000))
        # A plain table scan needs a few VM steps per row; this budget is generous for it and finite for
        # anything else (progress() runs every _STEPS_PER_CHECK steps).
        budget = [1_000 + len(data) // 4096]

        def progress() -> int:
            budget[0] -= 1
            return 1 if budget[0] < 0 else 0

        conn.set_progress_handler(progress, _STEPS_PER_CHECK)
        try:
            conn.deserialize(image)
            conn.execute("PRAGMA query_only = ON")
            conn.execute("PRAGMA trusted_schema = OFF")
            conn.execute("PRAGMA cell_size_check = ON")
            row = conn.execute("SELECT type FROM sqlite_master WHERE name = 'Packages'").fetchone()
            if row is None or row[0] != "table":
                raise RpmSqliteError("the database has no Packages table")
            for (blob,) in conn.execute("SELECT blob FROM Packages ORDER BY hnum"):
                if isinstance(blob, bytes):
                    yield blob
        except sqlite3.DatabaseError as exc:
            raise RpmSqliteError(f"SQLite: {exc}") from exc
    finally:
        conn.close()
