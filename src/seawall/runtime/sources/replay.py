"""Replay recorded JSON-lines event files, and capture what a live source sees into the same format.

One JSON object per line: a flat event (``{"evt.type": "execve", "proc.name": "bash", ...}``), a
captured audit event (``{"evt.source": "k8s_audit", "_ka": {...}}``), or a raw Kubernetes audit
``Event``/``EventList`` line. Truncated or undecodable lines are counted and skipped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import orjson

from seawall.errors import UsageError
from seawall.runtime.events import K8S_AUDIT, RAW_AUDIT_KEY, SOURCE_KEY, Event
from seawall.runtime.sources.base import SourceStats
from seawall.runtime.sources.k8s_audit import AuditPayloadError, audit_events

log = logging.getLogger("seawall.runtime")

MAX_LINE_BYTES = 8 * 1024 * 1024


def _events_of(obj: Any) -> list[Event]:
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    api = obj.get("apiVersion")
    if isinstance(api, str) and api.startswith("audit.k8s.io/"):
        return audit_events(obj)
    if obj.get(SOURCE_KEY) == K8S_AUDIT and not isinstance(obj.get(RAW_AUDIT_KEY), dict):
        raise ValueError("k8s_audit event without its _ka object")
    return [obj]


class ReplaySource:
    """Events from a recorded file, in order, as fast as the engine takes them."""

    name = "replay"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.stats = SourceStats()
        self._stop = threading.Event()

    def stop(self) -> None:
        """End ``events()`` before the next line."""
        self._stop.set()

    def events(self) -> Iterator[Event]:
        """Yield every decodable event of the file."""
        try:
            f = self.path.open("rb")
        except OSError as exc:
            raise UsageError(f"cannot open replay file {self.path}: {exc}") from exc
        stats = self.stats
        with f:
            lineno = 0
            while not self._stop.is_set():
                line = f.readline(MAX_LINE_BYTES)
                if not line:
                    return
                lineno += 1
                if len(line) == MAX_LINE_BYTES and not line.endswith(b"\n"):
                    while (rest := f.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                        pass
                    stats.malformed += 1
                    log.warning("%s:%d: line over %d bytes skipped", self.path, lineno, MAX_LINE_BYTES)
                    continue
                try:
                    events = _events_of(orjson.loads(line))
                except (orjson.JSONDecodeError, ValueError, AuditPayloadError) as exc:
                    if line.strip():
                        stats.malformed += 1
                        log.warning("%s:%d: skipped: %s", self.path, lineno, str(exc).splitlines()[0])
                    continue
                stats.received += len(events)
                yield from events


def _default(obj: Any) -> Any:
    if isinstance(obj, bytes):
        return obj.decode("utf-8", "replace")
    if isinstance(obj, (set, frozenset)):
        return sorted(obj)
    raise TypeError


class CaptureWriter:
    """Write events as JSON lines that :class:`ReplaySource` reads back."""

    def __init__(self, path: Path) -> None:
        try:
            self._f: IO[bytes] = path.open("ab")
        except OSError as exc:
            raise UsageError(f"cannot write capture file {path}: {exc}") from exc

    def write(self, event: Event) -> None:
        """Append one event (audit events without the memoised ``ka.*`` values)."""
        if event.get(SOURCE_KEY) == K8S_AUDIT:
            event = {k: v for k, v in event.items() if k in (SOURCE_KEY, RAW_AUDIT_KEY, "evt.time")}
        self._f.write(orjson.dumps(event, default=_default, option=orjson.OPT_APPEND_NEWLINE))

    def close(self) -> None:
        """Flush and close the file."""
        self._f.close()
