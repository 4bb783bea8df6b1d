"""The netlink process connector: exec events for every process, containers included, no eBPF needed.

The kernel multicasts ``PROC_EVENT_EXEC`` (and fork/exit) on ``NETLINK_CONNECTOR`` group
``CN_IDX_PROC``. Each exec becomes an ``execve`` event enriched from ``/proc`` at once, because
short-lived processes are gone within milliseconds. Needs root (CAP_NET_ADMIN).
"""

from __future__ import annotations

import logging
import os
import select
import socket
import struct
import threading
import time
from collections.abc import Iterator

from seawall.errors import UsageError
from seawall.runtime.events import Event
from seawall.runtime.sources.base import SourceStats
from seawall.runtime.sources.procinfo import process_fields

log = logging.getLogger("seawall.runtime")

NETLINK_CONNECTOR = 11
CN_IDX_PROC = 1
CN_VAL_PROC = 1
PROC_CN_MCAST_LISTEN = 1
PROC_CN_MCAST_IGNORE = 2
NLMSG_DONE = 3
PROC_EVENT_EXEC = 0x00000002
PROC_EVENT_EXIT = 0x80000000
SO_RCVBUFFORCE = 33

_NLMSGHDR = struct.Struct("=IHHII")
_CN_MSG = struct.Struct("=IIIIHH")
_EVENT_HEAD = struct.Struct("=IIQ")  # what, cpu, timestamp_ns
_EXEC = struct.Struct("=II")  # pid, tgid


def _control(op: int) -> bytes:
    payload = struct.pack("=I", op)
    cn = _CN_MSG.pack(CN_IDX_PROC, CN_VAL_PROC, 0, 0, len(payload), 0) + payload
    return _NLMSGHDR.pack(_NLMSGHDR.size + len(cn), NLMSG_DONE, 0, 0, os.getpid()) + cn


def parse_messages(data: bytes) -> Iterator[tuple[int, int, int]]:
    """(what, tgid, timestamp_ns) for each proc event in one netlink datagram."""
    off = 0
    while off + _NLMSGHDR.size <= len(data):
        length = _NLMSGHDR.unpack_from(data, off)[0]
        if length < _NLMSGHDR.size or off + length > len(data):
            return
        body = off + _NLMSGHDR.size + _CN_MSG.size
        if body + _EVENT_HEAD.size + _EXEC.size <= off + length:
            what, _cpu, ts = _EVENT_HEAD.unpack_from(data, body)
            _pid, tgid = _EXEC.unpack_from(data, body + _EVENT_HEAD.size)
            yield what, tgid, ts
        off += (length + 3) & ~3


class ProcConnectorSource:
    """Exec events from the process connector, with ``proc.*`` fields read from ``/proc``."""

    name = "proc"

    def __init__(self) -> None:
        self.stats = SourceStats()
        self._stop = threading.Event()
        try:
            self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_CONNECTOR)
            try:  # beyond net.core.rmem_max (root only): exec bursts otherwise overflow the socket
                self.sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 8 * 1024 * 1024)
            except OSError:
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 * 1024 * 1024)
            self.sock.bind((os.getpid(), CN_IDX_PROC))
            self.sock.send(_control(PROC_CN_MCAST_LISTEN))
        except OSError as exc:
            raise UsageError(f"cannot open the netlink process connector (root needed): {exc}") from exc
        self._me = os.getpid()

    def stop(self) -> None:
        """End ``events()`` within a poll interval."""
        self._stop.set()

    def events(self) -> Iterator[Event]:
        """Yield one ``execve`` event per exec seen."""
        boot_offset = time.time_ns() - time.monotonic_ns()
        try:
            while not self._stop.is_set():
                ready, _, _ = select.select([self.sock], [], [], 0.2)
                if not ready:
                    continue
                try:
                    data = self.sock.recv(65536)
                except OSError as exc:  # ENOBUFS: the kernel dropped events for us
                    self.stats.add("dropped")
                    log.debug("proc connector: %s", exc)
                    continue
                for what, tgid, ts in parse_messages(data):
                    if what != PROC_EVENT_EXEC or tgid == self._me:
                        continue
                    fields = process_fields(tgid)
                    if fields is None:
                        self.stats.add("dropped")  # exited before we could read it
                        continue
                    self.stats.add("received")
                    fields.update(
                        {
                            "evt.type": "execve",
                            "evt.dir": "<",
                            "evt.res": "SUCCESS",
                            "evt.rawres": 0,
                            "evt.time": boot_offset + ts,
                        }
                    )
                    yield fields
        finally:
            try:
                self.sock.send(_control(PROC_CN_MCAST_IGNORE))
            except OSError:
                pass
            self.sock.close()
