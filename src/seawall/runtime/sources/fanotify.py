"""fanotify: file modifications anywhere on a filesystem, containers included, without eBPF.

``FAN_MARK_FILESYSTEM`` on ``/`` (and on any other filesystem given) reports every file closed after
writing (``FAN_CLOSE_WRITE``) with the writer's pid and an open descriptor of the file, whose
``/proc/self/fd`` link is the path. Each becomes the ``openat`` event Falco's ``open_write`` macro
expects (``evt.is_open_write=true``, ``fd.typechar=f``), so write rules fire; fanotify reports the
write when the file is closed, not when it is opened. Needs root (CAP_SYS_ADMIN).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import select
import struct
import threading
import time
from collections.abc import Iterator

from seawall.errors import UsageError
from seawall.runtime.events import Event
from seawall.runtime.sources.base import SourceStats
from seawall.runtime.sources.procinfo import process_fields

log = logging.getLogger("seawall.runtime")

FAN_CLOEXEC = 0x1
FAN_NONBLOCK = 0x2
FAN_CLASS_NOTIF = 0x0
FAN_UNLIMITED_QUEUE = 0x10
FAN_MARK_ADD = 0x1
FAN_MARK_FILESYSTEM = 0x100
FAN_MODIFY = 0x2
FAN_CLOSE_WRITE = 0x8
FAN_Q_OVERFLOW = 0x4000
FAN_NOFD = -1
AT_FDCWD = -100
_META = struct.Struct("=IBBHQii")  # event_len, vers, reserved, metadata_len, mask, fd, pid


def parse_events(buf: bytes) -> Iterator[tuple[int, int, int]]:
    """(mask, fd, pid) for each fanotify event record in ``buf``."""
    off = 0
    while off + _META.size <= len(buf):
        event_len, _vers, _res, _mlen, mask, fd, pid = _META.unpack_from(buf, off)
        if event_len < _META.size:
            return
        yield mask, fd, pid
        off += event_len


class FanotifySource:
    """``openat`` write events from fanotify filesystem marks."""

    name = "fanotify"

    def __init__(self, paths: tuple[str, ...] = ("/",)) -> None:
        self.stats = SourceStats()
        self._stop = threading.Event()
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.fanotify_init.argtypes = [ctypes.c_uint, ctypes.c_uint]
        libc.fanotify_mark.argtypes = [
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint64,
            ctypes.c_int,
            ctypes.c_char_p,
        ]
        flags = FAN_CLOEXEC | FAN_NONBLOCK | FAN_CLASS_NOTIF | FAN_UNLIMITED_QUEUE
        fd = libc.fanotify_init(flags, os.O_RDONLY | os.O_LARGEFILE | os.O_CLOEXEC)
        if fd < 0:
            err = ctypes.get_errno()
            raise UsageError(f"fanotify_init failed (root needed): {os.strerror(err)}")
        self.fd = fd
        for path in paths:
            rc = libc.fanotify_mark(
                fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, FAN_CLOSE_WRITE, AT_FDCWD, path.encode()
            )
            if rc < 0:
                err = ctypes.get_errno()
                os.close(fd)
                raise UsageError(f"fanotify_mark on {path} failed: {os.strerror(err)}")
        self._me = os.getpid()
        self._procs: dict[int, tuple[float, Event]] = {}

    def stop(self) -> None:
        """End ``events()`` within a poll interval."""
        self._stop.set()

    def events(self) -> Iterator[Event]:
        """Yield one write event per file closed after writing."""
        try:
            while not self._stop.is_set():
                ready, _, _ = select.select([self.fd], [], [], 0.2)
                if not ready:
                    continue
                try:
                    buf = os.read(self.fd, 1 << 18)
                except BlockingIOError:
                    continue
                for mask, fd, pid in parse_events(buf):
                    if mask & FAN_Q_OVERFLOW or fd == FAN_NOFD:
                        self.stats.add("dropped")
                        continue
                    try:
                        if pid == self._me:
                            continue
                        path = os.readlink(f"/proc/self/fd/{fd}")
                        st = os.fstat(fd)
                    except OSError:
                        self.stats.add("dropped")
                        continue
                    finally:
                        os.close(fd)
                    ev = self.event(pid, path)
                    # The writer is often gone already (cp exits at once). The file itself still names
                    # the container: for an overlay root it is the real file in the container's upper
                    # dir, reached through overlayfs' private mount (so the path is container-relative).
                    ev["_file"] = (st.st_dev, st.st_ino)
                    self.stats.add("received")
                    yield ev
        finally:
            os.close(self.fd)

    def _process(self, pid: int) -> Event:
        """Process fields, cached for a second: a writer usually closes many files in a burst."""
        now = time.monotonic()
        hit = self._procs.get(pid)
        if hit is not None and now - hit[0] < 1.0:
            return dict(hit[1])
        fields = process_fields(pid) or {"proc.pid": pid}
        if len(self._procs) > 4096:
            self._procs.clear()
        self._procs[pid] = (now, fields)
        return dict(fields)

    def event(self, pid: int, path: str) -> Event:
        """The Falco-shaped write event for ``pid`` having written ``path``."""
        path = path.removesuffix(" (deleted)")
        ev = self._process(pid)
        ev.update(
            {
                "evt.type": "openat",
                "evt.dir": "<",
                "evt.res": "SUCCESS",
                "evt.rawres": 0,
                "fd.name": path,
                "fd.directory": os.path.dirname(path),
                "fd.filename": os.path.basename(path),
                "fd.typechar": "f",
                "fd.type": "file",
                "fd.num": 0,
                "evt.is_open_write": True,
                "evt.is_open_read": False,
                "evt.arg.flags": "O_WRONLY",
                "evt.arg.name": path,
            }
        )
        return ev
