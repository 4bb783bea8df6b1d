"""Alert sinks: stdout, JSON-lines file, HTTP webhook (bounded queue, retries with backoff), syslog.

Sinks only know :class:`~seawall.runtime.alerts.Alert`, never events or sources, so the registry
monitor can reuse them.
"""

from __future__ import annotations

import logging
import logging.handlers
import queue
import socket
import sys
import threading
import time
from pathlib import Path
from typing import IO, Protocol

import httpx
import orjson

from seawall.errors import UsageError
from seawall.runtime.alerts import Alert, Priority

log = logging.getLogger("seawall.runtime")


class Sink(Protocol):
    """Somewhere alerts go."""

    def emit(self, alert: Alert) -> None:
        """Deliver (or queue) one alert; never raises for delivery problems."""
        ...

    def close(self) -> None:
        """Flush and release resources."""
        ...


def alert_json(alert: Alert) -> bytes:
    """One alert as a compact JSON line (Falco's ``json_output``)."""
    return orjson.dumps(alert.to_dict(), option=orjson.OPT_APPEND_NEWLINE)


class StdoutSink:
    """Alerts on stdout: JSON lines, or Falco's text lines."""

    def __init__(self, json_output: bool = True, stream: IO[str] | None = None) -> None:
        self.json_output = json_output
        self.stream = stream or sys.stdout

    def emit(self, alert: Alert) -> None:
        """Write one line and flush, so pipes see alerts as they happen."""
        line = alert_json(alert).decode() if self.json_output else alert.text() + "\n"
        self.stream.write(line)
        self.stream.flush()

    def close(self) -> None:
        """Flush stdout."""
        self.stream.flush()


class FileSink:
    """Alerts appended to a JSON-lines file."""

    def __init__(self, path: Path) -> None:
        try:
            self._f = path.open("ab")
        except OSError as exc:
            raise UsageError(f"cannot open alert file {path}: {exc}") from exc

    def emit(self, alert: Alert) -> None:
        """Append one JSON line."""
        self._f.write(alert_json(alert))
        self._f.flush()

    def close(self) -> None:
        """Close the file."""
        self._f.close()


class WebhookSink:
    """POST each alert as JSON to a URL from a background thread.

    The queue is bounded: when the receiver is slower than the alert rate, new alerts are dropped
    and counted rather than growing memory. Failed posts are retried with exponential backoff.
    """

    def __init__(
        self,
        url: str,
        queue_size: int = 10000,
        retries: int = 5,
        backoff: float = 0.5,
        timeout: float = 5.0,
        headers: dict[str, str] | None = None,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise UsageError(f"webhook URL {url!r} must start with http:// or https://")
        self.url = url
        self.retries = retries
        self.backoff = backoff
        self.sent = 0
        self.failed = 0
        self.dropped = 0
        self._queue: queue.Queue[Alert | None] = queue.Queue(maxsize=queue_size)
        self._client = httpx.Client(
            timeout=timeout, headers={"Content-Type": "application/json", **(headers or {})}
        )
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._run, name="alert-webhook", daemon=True)
        self._thread.start()

    def emit(self, alert: Alert) -> None:
        """Queue one alert (dropped and counted when the queue is full)."""
        try:
            self._queue.put_nowait(alert)
        except queue.Full:
            self.dropped += 1

    def _run(self) -> None:
        while True:
            alert = self._queue.get()
            if alert is None:
                return
            try:
                self._deliver(alert)
            finally:
                self._queue.task_done()

    def _deliver(self, alert: Alert) -> None:
        body = orjson.dumps(alert.to_dict())
        delay = self.backoff
        for attempt in range(self.retries + 1):
            try:
                resp = self._client.post(self.url, content=body)
                if resp.status_code < 500 and resp.status_code != 429:
                    if resp.status_code >= 400:
                        self.failed += 1
                        log.warning("webhook %s refused an alert: HTTP %d", self.url, resp.status_code)
                    else:
                        self.sent += 1
                    break
            except httpx.HTTPError as exc:
                log.debug("webhook %s: %s", self.url, exc)
            if attempt == self.retries or self._closing.wait(delay):
                self.failed += 1
                log.warning("webhook %s: giving up on an alert after %d attempts", self.url, attempt + 1)
                break
            delay = min(delay * 2, 30.0)

    def close(self, timeout: float = 10.0) -> None:
        """Deliver what is queued (up to ``timeout`` seconds), then stop."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.02)
        self._closing.set()
        try:
            self._queue.put(None, timeout=1)
        except queue.Full:
            pass
        self._thread.join(timeout=max(0.1, deadline - time.monotonic()))
        self._client.close()


_SYSLOG_LEVEL = {
    Priority.EMERGENCY: "emerg",
    Priority.ALERT: "alert",
    Priority.CRITICAL: "crit",
    Priority.ERROR: "err",
    Priority.WARNING: "warning",
    Priority.NOTICE: "notice",
    Priority.INFORMATIONAL: "info",
    Priority.DEBUG: "debug",
}


class SyslogSink:
    """Alerts to syslog: ``/dev/log`` or another unix socket, ``udp://host:port`` or ``tcp://host:port``."""

    def __init__(self, address: str = "/dev/log", facility: str = "user", json_output: bool = True) -> None:
        names = logging.handlers.SysLogHandler.facility_names
        if facility not in names:
            raise UsageError(f"unknown syslog facility {facility!r}")
        self.facility = names[facility]
        self.json_output = json_output
        self._addr: str | tuple[str, int]
        try:
            if address.startswith(("udp://", "tcp://")):
                host, _, port = address.split("://", 1)[1].rpartition(":")
                self._addr = (host.strip("[]"), int(port))
                kind = socket.SOCK_STREAM if address.startswith("tcp://") else socket.SOCK_DGRAM
                self._sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, kind)
                if kind == socket.SOCK_STREAM:
                    self._sock.connect(self._addr)
            else:
                self._addr = address
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                self._sock.connect(address)
        except ValueError:
            raise UsageError(f"syslog address {address!r}: expected udp://HOST:PORT") from None
        except OSError as exc:
            raise UsageError(f"cannot open syslog {address}: {exc}") from exc
        self._stream = self._sock.type == socket.SOCK_STREAM

    def emit(self, alert: Alert) -> None:
        """Send one RFC 3164 message at the alert's priority."""
        msg = alert_json(alert).decode().rstrip("\n") if self.json_output else alert.text()
        prio = (
            self.facility * 8 + logging.handlers.SysLogHandler.priority_names[_SYSLOG_LEVEL[alert.priority]]
        )
        data = f"<{prio}>seawall: {msg}".encode()
        try:
            if self._stream:
                self._sock.sendall(data + b"\n")
            elif isinstance(self._addr, tuple):
                self._sock.sendto(data, self._addr)
            else:
                self._sock.send(data)
        except OSError as exc:
            log.warning("syslog: %s", exc)

    def close(self) -> None:
        """Close the socket."""
        self._sock.close()
