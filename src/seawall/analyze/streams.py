"""Byte streams for layers: a range of a local file, hashed, decompressed, bounded.

Layers are never extracted: the walker reads a layer once, front to back, through these wrappers,
which verify digests and enforce size and compression-ratio limits as the bytes go by.
"""

from __future__ import annotations

import hashlib
import io
import queue
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import zstandard

from seawall.errors import ArtifactError, DigestMismatchError, LimitExceededError

CHUNK = 1 << 20
GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


@dataclass(frozen=True, slots=True)
class BlobRef:
    """A byte range of a local file holding one blob (a layer, possibly compressed)."""

    path: Path
    offset: int = 0
    length: int = -1  # -1: to the end of the file

    def open(self) -> BinaryIO:
        """Open the range for reading from its start."""
        try:
            f = self.path.open("rb")
        except OSError as exc:
            raise ArtifactError(f"cannot open {self.path}: {exc.strerror}") from exc
        if self.offset or self.length >= 0:
            f.seek(self.offset)
            return _RangeReader(f, self.length)  # type: ignore[return-value]
        return f


class _RangeReader(io.RawIOBase):
    """At most ``length`` bytes of an open file, from its current position."""

    def __init__(self, f: BinaryIO, length: int) -> None:
        self._f = f
        self._left = length if length >= 0 else 1 << 62

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._left <= 0:
            return 0
        view = memoryview(b)[: min(len(b), self._left)]
        n = self._f.readinto(view)  # type: ignore[attr-defined]
        n = n or 0
        self._left -= n
        return int(n)

    def close(self) -> None:
        self._f.close()
        super().close()


@dataclass(frozen=True, slots=True)
class Limits:
    """Safety limits applied while reading untrusted layers."""

    max_entries: int = 2_000_000
    max_path_length: int = 4096
    max_file_read: int = 256 * 1024 * 1024  # bytes read for one claimed file
    max_layer_size: int = 32 * 1024 * 1024 * 1024  # uncompressed bytes of one layer
    max_ratio: int = 200  # uncompressed / compressed, checked once past ``ratio_floor``
    ratio_floor: int = 256 * 1024 * 1024


class HashingReader(io.RawIOBase):
    """Pass bytes through while hashing and counting them; verify the digest at the end."""

    def __init__(self, raw: BinaryIO, expected: str = "", what: str = "blob") -> None:
        self._raw = raw
        self._expected = expected
        self._what = what
        algo = expected.partition(":")[0] if expected else "sha256"
        if algo not in ("sha256", "sha512"):
            raise ArtifactError(f"unsupported digest algorithm {algo!r} for {what}")
        self._hash = hashlib.new(algo)
        self._algo = algo
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        n = self._raw.readinto(b)  # type: ignore[attr-defined]
        if n:
            self._hash.update(memoryview(b)[:n])
            self.count += n
        return int(n or 0)

    @property
    def digest(self) -> str:
        return f"{self._algo}:{self._hash.hexdigest()}"

    def drain(self) -> None:
        """Read to the end, so that the digest covers every byte."""
        buf = bytearray(CHUNK)
        while self.readinto(buf):
            pass

    def verify(self) -> None:
        """Raise DigestMismatchError when an expected digest was given and does not match."""
        if self._expected and self.digest != self._expected:
            raise DigestMismatchError(
                f"{self._what} digest mismatch: expected {self._expected}, content has {self.digest}"
            )

    def close(self) -> None:
        self._raw.close()
        super().close()


class _DecompressReader(io.RawIOBase):
    """Streaming gzip (multi-member) or zstd decompression with size and ratio limits."""

    def __init__(self, raw: HashingReader, kind: str, head: bytes, limits: Limits) -> None:
        self._raw = raw
        self._kind = kind
        self._pending = head
        self._limits = limits
        self._out = b""
        self._pos = 0
        self._eof = False
        self.produced = 0
        if kind == "gzip":
            self._z: zlib._Decompress | None = zlib.decompressobj(16 + zlib.MAX_WBITS)
            self._zstd: zstandard.ZstdDecompressionObj | None = None
        else:
            self._z = None
            self._zstd = zstandard.ZstdDecompressor(max_window_size=1 << 31).decompressobj()

    def readable(self) -> bool:
        return True

    def _next_input(self) -> bytes:
        if self._pending:
            data, self._pending = self._pending, b""
            return data
        return self._raw.read(CHUNK) or b""

    def _fill(self) -> None:
        while self._pos >= len(self._out) and not self._eof:
            data = self._next_input()
            if not data:
                if self._z is not None and not self._z.eof and self.produced:
                    raise ArtifactError("layer is truncated: compressed stream ended early")
                self._eof = True
                return
            try:
                if self._z is not None:
                    out = self._z.decompress(data)
                    while self._z.eof and self._z.unused_data:
                        rest = self._z.unused_data
                        self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
                        if rest.strip(b"\0") == b"":
                            break
                        out += self._z.decompress(rest)
                else:
                    assert self._zstd is not None
                    out = self._zstd.decompress(data)
            except (zlib.error, zstandard.ZstdError) as exc:
                raise ArtifactError(f"layer is not valid {self._kind} data: {exc}") from exc
            self._out = out
            self._pos = 0
            self.produced += len(out)
            self._check_limits()

    def _check_limits(self) -> None:
        lim = self._limits
        if self.produced > lim.max_layer_size:
            raise LimitExceededError(
                f"layer decompresses to more than {lim.max_layer_size} bytes (limit max_layer_size)"
            )
        if self.produced > lim.ratio_floor and self.produced > lim.max_ratio * max(self._raw.count, 1):
            raise LimitExceededError(
                f"layer compression ratio exceeds {lim.max_ratio}:1 (a decompression bomb?);"
                " raise --max-compression-ratio if this image is genuine"
            )

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        self._fill()
        avail = len(self._out) - self._pos
        if avail <= 0:
            return 0
        n = min(len(b), avail)
        memoryview(b)[:n] = memoryview(self._out)[self._pos : self._pos + n]
        self._pos += n
        return n


class LayerStream:
    """An opened layer: ``tar`` is the uncompressed tar stream; call :meth:`finish` after reading it."""

    def __init__(self, blob: BlobRef, digest: str, diff_id: str, limits: Limits, what: str) -> None:
        self._raw = HashingReader(blob.open(), digest, f"{what} blob")
        head = self._raw.read(4) or b""
        self.compression = "none"
        self._decomp: _DecompressReader | None = None
        if head.startswith(GZIP_MAGIC):
            self.compression = "gzip"
        elif head.startswith(ZSTD_MAGIC):
            self.compression = "zstd"
        if self.compression == "none":
            inner: io.RawIOBase = _PrefixReader(head, self._raw)
        else:
            self._decomp = _DecompressReader(self._raw, self.compression, head, limits)
            inner = self._decomp
        self._uncompressed = HashingReader(inner, diff_id, f"{what} diff_id")  # type: ignore[arg-type]
        # Reading, hashing and decompressing run in a helper thread (zlib, zstd and hashlib release
        # the GIL), so they overlap with tar parsing and the analyzers on the calling thread.
        self._prefetch = _Prefetcher(self._uncompressed)
        self.tar = io.BufferedReader(self._prefetch, CHUNK)
        self._limits = limits

    @property
    def uncompressed_size(self) -> int:
        return self._uncompressed.count

    def finish(self) -> None:
        """Drain what the tar reader left unread, then verify both digests."""
        leftover = self.tar.read(CHUNK)
        while leftover:
            leftover = self.tar.read(CHUNK)
        if self.compression == "none" and self._uncompressed.count > self._limits.max_layer_size:
            raise LimitExceededError(f"layer is larger than {self._limits.max_layer_size} bytes")
        self._raw.drain()
        self._raw.verify()
        self._uncompressed.verify()

    def close(self) -> None:
        self._prefetch.stop()
        self._raw.close()


class _Prefetcher(io.RawIOBase):
    """Read a stream ahead in a background thread, through a small bounded queue (about 8 MiB)."""

    _DONE = b""

    def __init__(self, source: io.RawIOBase, depth: int = 8) -> None:
        self._source = source
        self._queue: queue.Queue[bytes | BaseException] = queue.Queue(maxsize=depth)
        self._stopping = threading.Event()
        self._buf = b""
        self._pos = 0
        self._eof = False
        self._thread = threading.Thread(target=self._run, name="layer-prefetch", daemon=True)
        self._thread.start()

    def _put(self, item: bytes | BaseException) -> bool:
        while not self._stopping.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        try:
            while not self._stopping.is_set():
                chunk = self._source.read(CHUNK)
                if not chunk:
                    self._put(self._DONE)
                    return
                if not self._put(chunk):
                    return
        except BaseException as exc:  # handed to the reading thread, which raises it
            self._put(exc)

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._pos >= len(self._buf):
            if self._eof:
                return 0
            item = self._queue.get()
            if isinstance(item, BaseException):
                self._eof = True
                raise item
            if not item:
                self._eof = True
                return 0
            self._buf, self._pos = item, 0
        n = min(len(b), len(self._buf) - self._pos)
        memoryview(b)[:n] = memoryview(self._buf)[self._pos : self._pos + n]
        self._pos += n
        return n

    def stop(self) -> None:
        """Stop the reader thread (on error or early close) and wait for it."""
        self._stopping.set()
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        self._thread.join(timeout=5)


class _PrefixReader(io.RawIOBase):
    """Bytes already read (``head``) followed by the rest of ``raw``."""

    def __init__(self, head: bytes, raw: HashingReader) -> None:
        self._head = head
        self._raw = raw

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._head:
            n = min(len(b), len(self._head))
            memoryview(b)[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        return int(self._raw.readinto(b) or 0)
