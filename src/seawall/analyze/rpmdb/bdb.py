"""Header blobs from rpm's Berkeley DB hash database (``var/lib/rpm/Packages``), read without libdb.

Layout (Berkeley DB 4.x–5.x hash access method, both byte orders): page 0 is the hash metadata page
(magic 0x061561, page size, last page, max bucket and the ``spares`` table that maps a bucket to its
page); each bucket is a chain of hash pages (type 13, or 2 for the unsorted variant) linked by
``next_pgno``, holding key/data item pairs; a value too big for the page is an ``H_OFFPAGE`` item
naming the first page of a chain of overflow pages (type 7). rpm's keys are 4-byte header numbers
and its values are header blobs.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

from seawall.errors import SeawallError

HASH_MAGIC = 0x061561
_PAGE_HEADER = 26  # lsn(8) pgno(4) prev(4) next(4) entries(2) hf_offset(2) level(1) type(1)
_CHKSUM_SIZE = 6  # with checksums on, 2 unused bytes and a 4-byte checksum follow the page header
_P_HASH_UNSORTED, _P_OVERFLOW, _P_HASH = 2, 7, 13
_H_KEYDATA, _H_OFFPAGE = 1, 3
_DBMETA_CHKSUM = 0x01
_MAX_BUCKETS = 1 << 24


class RpmBdbError(SeawallError):
    """The Berkeley DB file cannot be read."""


def is_bdb_hash(data: bytes) -> bool:
    """True when ``data`` starts with a Berkeley DB hash metadata page (either byte order)."""
    return len(data) >= 512 and (
        struct.unpack_from("<I", data, 12)[0] == HASH_MAGIC
        or struct.unpack_from(">I", data, 12)[0] == HASH_MAGIC
    )


class _Db:
    def __init__(self, data: bytes) -> None:
        if not is_bdb_hash(data):
            raise RpmBdbError("not a Berkeley DB hash database")
        self.data = data
        self.order = "<" if struct.unpack_from("<I", data, 12)[0] == HASH_MAGIC else ">"
        o = self.order
        version, self.pagesize = struct.unpack_from(o + "II", data, 16)
        if not 8 <= version <= 10:
            raise RpmBdbError(f"unsupported Berkeley DB hash version {version}")
        if self.pagesize < 512 or self.pagesize > 65536 or self.pagesize & (self.pagesize - 1):
            raise RpmBdbError(f"bad page size {self.pagesize}")
        encrypt_alg, metaflags = data[24], data[26]
        if encrypt_alg:
            raise RpmBdbError("encrypted Berkeley DB databases are not supported")
        # Page checksums are not verified (rpm never enabled them); they only move the page contents.
        self.overhead = _PAGE_HEADER + (_CHKSUM_SIZE if metaflags & _DBMETA_CHKSUM else 0)
        (self.last_pgno,) = struct.unpack_from(o + "I", data, 32)
        (self.max_bucket,) = struct.unpack_from(o + "I", data, 72)
        self.spares = struct.unpack_from(o + "32I", data, 96)
        self.npages = len(data) // self.pagesize
        self.truncated = ""
        if self.last_pgno >= self.npages or len(data) % self.pagesize:
            self.truncated = (
                f"Berkeley DB file is truncated: it has {len(data)} bytes, its metadata says "
                f"{(self.last_pgno + 1) * self.pagesize}"
            )
        if self.max_bucket >= _MAX_BUCKETS:
            raise RpmBdbError(f"metadata claims {self.max_bucket + 1} buckets")

    def page(self, pgno: int) -> tuple[int, int, int, int, int]:
        """(next_pgno, entries, hf_offset, type, byte offset) of page ``pgno``."""
        if pgno <= 0 or pgno >= self.npages:
            raise RpmBdbError(f"page {pgno} is outside the file ({self.npages} pages)")
        base = pgno * self.pagesize
        own, _prev, nxt, entries, hf_offset = struct.unpack_from(self.order + "IIIHH", self.data, base + 8)
        if own != pgno:
            raise RpmBdbError(f"page {pgno} says it is page {own}")
        typ: int = self.data[base + 25]
        return nxt, entries, hf_offset, typ, base

    def bucket_page(self, bucket: int) -> int:
        return bucket + int(self.spares[bucket.bit_length()])

    def overflow(self, pgno: int, length: int) -> bytes:
        """The value stored in the overflow chain starting at ``pgno``."""
        if length > len(self.data):
            raise RpmBdbError(f"overflow item claims {length} bytes, more than the file")
        out = bytearray()
        seen: set[int] = set()
        while len(out) < length:
            if pgno in seen:
                raise RpmBdbError(f"overflow chain loops at page {pgno}")
            seen.add(pgno)
            nxt, _entries, plen, typ, base = self.page(pgno)
            if typ != _P_OVERFLOW:
                raise RpmBdbError(f"page {pgno} in an overflow chain has type {typ}")
            if plen + self.overhead > self.pagesize or len(out) + plen > length:
                raise RpmBdbError(f"overflow page {pgno} holds a bad length {plen}")
            out += self.data[base + self.overhead : base + self.overhead + plen]
            if len(out) < length and nxt == 0:
                raise RpmBdbError(f"overflow chain ends early at page {pgno}")
            pgno = nxt
        return bytes(out)

    def item(self, base: int, offset: int, length: int) -> bytes | None:
        if length <= 0 or offset + length > self.pagesize:
            raise RpmBdbError("item outside its page")
        start = base + offset
        kind = self.data[start]
        if kind == _H_KEYDATA:
            return self.data[start + 1 : start + length]
        if kind == _H_OFFPAGE:
            if length != 12:
                raise RpmBdbError("bad off-page item")
            pgno, tlen = struct.unpack_from(self.order + "II", self.data, start + 4)
            return self.overflow(pgno, tlen)
        return None  # duplicates: rpm's Packages database has none


def truncation(data: bytes) -> str:
    """A message when the file is shorter than its metadata says, else ``""``."""
    try:
        return _Db(data).truncated
    except (RpmBdbError, struct.error):
        return ""


def iter_blobs(data: bytes) -> Iterator[bytes]:
    """Yield every value (header blob) stored in the hash database, bucket by bucket."""
    db = _Db(data)
    visited: set[int] = set()
    for bucket in range(db.max_bucket + 1):
        pgno = db.bucket_page(bucket)
        while pgno:
            if pgno in visited:
                raise RpmBdbError(f"page {pgno} is reached twice (a loop in the bucket chains)")
            visited.add(pgno)
            nxt, entries, _hf, typ, base = db.page(pgno)
            if typ not in (_P_HASH, _P_HASH_UNSORTED):
                raise RpmBdbError(f"bucket page {pgno} has type {typ}")
            max_entries = (db.pagesize - db.overhead) // 2
            if entries > max_entries:
                raise RpmBdbError(f"page {pgno} claims {entries} entries")
            offsets = struct.unpack_from(f"{db.order}{entries}H", data, base + db.overhead)
            # Items are packed from the end of the page down: item i ends where item i-1 starts.
            for i in range(1, entries, 2):
                end = offsets[i - 1]
                value = db.item(base, offsets[i], end - offsets[i])
                if value is not None:
                    yield value
            pgno = nxt
