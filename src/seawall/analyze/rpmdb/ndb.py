"""Header blobs from rpm's own NDB format (``Packages.db``, SUSE's default since rpm 4.16).

Layout (little-endian): a 32-byte file header (magic ``RpmP``, version 0, generation, number of slot
pages, next package index) at the start of the first of ``slotnpages`` 4096-byte slot pages; each slot is
16 bytes (magic ``Slot``, package index, block offset, block count; offset 0 means free). A blob
occupies ``blkcnt`` 16-byte blocks from ``blkoff``: head (magic ``BlbS``, package index, generation,
length), the header blob, padding, tail (adler32 of everything before it, length, magic ``BlbE``).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator

from seawall.errors import SeawallError

DB_MAGIC = b"RpmP"
_SLOT_MAGIC = b"Slot"
_HEAD_MAGIC = b"BlbS"
_TAIL_MAGIC = b"BlbE"
_HEADER_SIZE = 32
_SLOT_SIZE = 16
_BLK_SIZE = 16
_PAGE_SIZE = 4096
_HEAD_SIZE = 16
_TAIL_SIZE = 12
_MAX_SLOT_PAGES = 4096  # 1M slots; rpm grows the slot area a page at a time
_MAX_WARNINGS = 20


class RpmNdbError(SeawallError):
    """The NDB file cannot be read."""


def iter_blobs(data: bytes, warn: list[str]) -> Iterator[bytes]:
    """Yield each package's header blob; a damaged blob adds a message to ``warn`` and is skipped."""
    if len(data) < _HEADER_SIZE or not data.startswith(DB_MAGIC):
        raise RpmNdbError("not an rpm NDB database (no RpmP magic)")
    version, _generation, slot_pages, _next = struct.unpack_from("<IIII", data, 4)
    if version != 0:
        raise RpmNdbError(f"unsupported NDB version {version}")
    if slot_pages == 0 or slot_pages > _MAX_SLOT_PAGES or slot_pages * _PAGE_SIZE > len(data):
        raise RpmNdbError(f"bad slot page count {slot_pages} for a {len(data)}-byte file")
    file_blocks = len(data) // _BLK_SIZE
    min_blkoff = slot_pages * _PAGE_SIZE // _BLK_SIZE
    for pos in range(_HEADER_SIZE, slot_pages * _PAGE_SIZE, _SLOT_SIZE):
        if data[pos : pos + 4] != _SLOT_MAGIC:
            raise RpmNdbError(f"slot at byte {pos} has no Slot magic")
        pkgidx, blkoff, blkcnt = struct.unpack_from("<III", data, pos + 4)
        if blkoff == 0:
            continue  # a free slot
        if pkgidx == 0 or blkcnt == 0 or blkoff < min_blkoff or blkoff + blkcnt > file_blocks:
            _note(warn, f"NDB slot for package {pkgidx} points outside the blob area, skipped")
            continue
        blob = _read_blob(data, pkgidx, blkoff, blkcnt)
        if isinstance(blob, str):
            _note(warn, f"NDB package {pkgidx}: {blob}, skipped")
        else:
            yield blob


def _note(warn: list[str], message: str) -> None:
    if len(warn) < _MAX_WARNINGS:
        warn.append(message)


def _read_blob(data: bytes, pkgidx: int, blkoff: int, blkcnt: int) -> bytes | str:
    start = blkoff * _BLK_SIZE
    end = start + blkcnt * _BLK_SIZE
    if blkcnt * _BLK_SIZE < _HEAD_SIZE + _TAIL_SIZE:
        return "blob area too small"
    magic, owner, _generation, length = struct.unpack_from("<4sIII", data, start)
    if magic != _HEAD_MAGIC or owner != pkgidx:
        return "blob head does not match its slot"
    if blkcnt != (_HEAD_SIZE + length + _TAIL_SIZE + _BLK_SIZE - 1) // _BLK_SIZE:
        return f"blob length {length} does not fit its {blkcnt} blocks"
    checksum, tail_length, tail_magic = struct.unpack_from("<II4s", data, end - _TAIL_SIZE)
    if tail_magic != _TAIL_MAGIC or tail_length != length:
        return "blob tail is damaged"
    if zlib.adler32(memoryview(data)[start : end - _TAIL_SIZE]) != checksum:
        return "blob checksum mismatch"
    return data[start + _HEAD_SIZE : start + _HEAD_SIZE + length]
