"""Open archives found in a source tree (zip, tar, gzip) to scan their members, within strict limits.

Nested archives are opened down to ``MAX_DEPTH``; every archive tree shares one byte budget, members
over the per-file cap are skipped, and zip members must not decompress beyond ``MAX_RATIO`` times
their stored size. Malformed archives give a warning, never an exception.
"""

from __future__ import annotations

import gzip
import io
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".gz")
MAX_DEPTH = 3  # archives inside archives
MAX_TOTAL_BYTES = 128 * 1024 * 1024  # decompressed bytes read for one outer archive
MAX_MEMBERS = 10_000
MAX_RATIO = 200
SEPARATOR = "!"  # outer.zip!inner/file, as gitleaks names archive members

ARCHIVE_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    tarfile.TarError,
    zlib.error,
    gzip.BadGzipFile,
    EOFError,
    OSError,
    ValueError,
    RuntimeError,
    NotImplementedError,
    OverflowError,
)


@dataclass(slots=True)
class Budget:
    """Bytes and members left for one outer archive, and warnings gathered on the way."""

    bytes_left: int = MAX_TOTAL_BYTES
    members_left: int = MAX_MEMBERS
    warnings: list[str] = field(default_factory=list)

    def take(self, size: int, where: str) -> bool:
        """Spend one member and ``size`` bytes; False (with a warning) when the budget is gone."""
        self.members_left -= 1
        if self.members_left < 0:
            self.warnings.append(f"{where}: more than {MAX_MEMBERS} archive members, rest skipped")
            return False
        if size > self.bytes_left:
            self.warnings.append(f"{where}: archive byte budget ({MAX_TOTAL_BYTES}) spent, skipped")
            return False
        self.bytes_left -= size
        return True


def is_archive(path: str) -> bool:
    """True for names this module opens."""
    return path.lower().endswith(ARCHIVE_SUFFIXES)


def members(
    path: str, data: bytes, max_member: int, budget: Budget, depth: int = 0
) -> Iterator[tuple[str, bytes]]:
    """(member path, bytes) for every regular file in the archive, nested archives opened."""
    if depth > MAX_DEPTH:
        budget.warnings.append(f"{path}: archives nested deeper than {MAX_DEPTH}, not opened")
        return
    try:
        for name, content in _open(path, data, max_member, budget):
            inner = f"{path}{SEPARATOR}{name}"
            if is_archive(name):
                yield from members(inner, content, max_member, budget, depth + 1)
            else:
                yield inner, content
    except ARCHIVE_ERRORS as exc:
        budget.warnings.append(f"{path}: unreadable archive ({type(exc).__name__}: {exc})")


def _open(path: str, data: bytes, max_member: int, budget: Budget) -> Iterator[tuple[str, bytes]]:
    lower = path.lower()
    if data[:4] == b"PK\x03\x04" or lower.endswith(".zip"):
        yield from _zip(path, data, max_member, budget)
    elif lower.endswith((".tar.gz", ".tgz", ".tar")):
        yield from _tar(path, data, max_member, budget)
    elif lower.endswith(".gz"):
        name = path.rpartition("/")[2].rpartition(SEPARATOR)[2][:-3] or "data"
        content = _gunzip(data, max_member, path, budget)
        if content is not None:
            yield name, content


def _zip(path: str, data: bytes, max_member: int, budget: Budget) -> Iterator[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for info in zf.infolist():
            if info.is_dir() or info.flag_bits & 0x1:  # directories, encrypted members
                continue
            where = f"{path}{SEPARATOR}{info.filename}"
            if info.file_size > max_member:
                continue
            if (
                info.compress_size
                and info.file_size > RATIO_FLOOR
                and info.file_size > MAX_RATIO * info.compress_size
            ):
                budget.warnings.append(f"{where}: compression ratio over {MAX_RATIO}, skipped (zip bomb?)")
                continue
            if not budget.take(info.file_size, where):
                return
            with zf.open(info) as handle:
                content = handle.read(info.file_size + 1)
            if len(content) > info.file_size:  # the header lied about the size
                budget.warnings.append(f"{where}: member larger than its header says, skipped")
                continue
            yield info.filename, content


RATIO_FLOOR = 1024 * 1024


def _tar(path: str, data: bytes, max_member: int, budget: Budget) -> Iterator[tuple[str, bytes]]:
    raw = data
    if data[:2] == b"\x1f\x8b":
        unpacked = _gunzip(data, MAX_TOTAL_BYTES, path, budget)
        if unpacked is None:
            return
        raw = unpacked
    with tarfile.open(fileobj=io.BytesIO(raw), mode="r:") as tar:
        for member in tar:
            if not member.isreg() or member.size > max_member:
                continue
            where = f"{path}{SEPARATOR}{member.name}"
            if not budget.take(member.size, where):
                return
            handle = tar.extractfile(member)
            if handle is not None:
                yield member.name.lstrip("./") or member.name, handle.read(member.size)


def _gunzip(data: bytes, limit: int, where: str, budget: Budget) -> bytes | None:
    # Decompress in steps so that a gzip bomb stops at the limit instead of filling memory.
    d = zlib.decompressobj(wbits=31)
    out = d.decompress(data, limit + 1)
    if len(out) > limit or d.unconsumed_tail:
        budget.warnings.append(f"{where}: decompresses to more than {limit} bytes, skipped")
        return None
    if not budget.take(len(out), where):
        return None
    return out
