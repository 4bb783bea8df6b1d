"""The monitor service: an HTTP endpoint for registry notifications, an audit-log follower, and the sinks."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path

from seawall.registry.httpserver import BoundedServer, QuietHandler, enable_tls
from seawall.registry.monitor.detectors import Detectors
from seawall.registry.monitor.events import Activity, from_audit_line, parse_envelope
from seawall.runtime.alerts import Alert
from seawall.runtime.sinks import Sink

log = logging.getLogger("seawall.registry")

MAX_ENVELOPE = 4 * 1024 * 1024
MAX_AUDIT_LINE = 64 * 1024
AUDIT_CHUNK = 4 * 1024 * 1024


class Monitor:
    """Feeds activity to the detectors under one lock and sends alerts to every sink."""

    def __init__(self, detectors: Detectors, sinks: Sequence[Sink]) -> None:
        self.detectors = detectors
        self.sinks = list(sinks)
        self.alerts = 0
        self.received = 0
        self.rejected = 0
        self._lock = detectors.state.lock

    def feed(self, activities: Sequence[Activity]) -> list[Alert]:
        """Process a batch, commit the state once, emit the alerts."""
        with self._lock:
            alerts = [a for act in activities for a in self.detectors.process(act)]
            self.detectors.state.commit()
        for alert in alerts:
            self.emit(alert)
        return alerts

    def emit(self, alert: Alert) -> None:
        """Send one alert to every sink (scan-on-push uses this too)."""
        self.alerts += 1
        for sink in self.sinks:
            sink.emit(alert)


class AuditFollower:
    """Reads new complete lines of the auth server's audit log; survives rotation and restarts."""

    def __init__(self, path: Path, monitor: Monitor, interval: float = 0.5) -> None:
        self.path = path
        self.monitor = monitor
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def poll(self) -> int:
        """Process what was appended since the last call; returns the number of lines read."""
        state = self.monitor.detectors.state
        key = str(self.path.resolve())
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return 0
        with state.lock:
            inode, offset = state.cursor(key)
        if inode != st.st_ino or st.st_size < offset:
            offset = 0  # rotated or truncated: start the new file from the beginning
        if st.st_size == offset:
            return 0
        with self.path.open("rb") as f:
            f.seek(offset)
            data = f.read(AUDIT_CHUNK)
        end = data.rfind(b"\n") + 1
        if end == 0:
            if len(data) >= MAX_AUDIT_LINE:
                end = len(data)  # one absurd line: skip it rather than wait forever
            else:
                return 0
        activities = []
        lines = data[:end].splitlines()
        for line in lines:
            if len(line) > MAX_AUDIT_LINE:
                continue
            act = from_audit_line(line)
            if act is not None:
                activities.append(act)
        self.monitor.feed(activities)
        with state.lock:
            state.set_cursor(key, st.st_ino, offset + end)
            state.commit()
        return len(lines)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                while self.poll():
                    pass
            except OSError as exc:
                log.warning("audit log %s: %s", self.path, exc)
            self._stop.wait(self.interval)

    def start(self) -> AuditFollower:
        """Follow from a background thread."""
        self._thread = threading.Thread(target=self._run, name="audit-follower", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop following (after one last poll)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


class _Handler(QuietHandler):
    monitor: Monitor
    token: str

    def _reply(self, status: int, text: str = "") -> None:
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self._reply(200 if self.path == "/healthz" else 404, "ok\n" if self.path == "/healthz" else "")

    def do_POST(self) -> None:
        if self.token and self.headers.get("Authorization", "") != f"Bearer {self.token}":
            self.monitor.rejected += 1
            self._reply(401, "unauthorized\n")
            return
        try:
            length = int(self.headers.get("Content-Length", "-1"))
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_ENVELOPE:
            self.monitor.rejected += 1
            self.close_connection = True
            self._reply(413, "body missing or too large\n")
            return
        body = self.rfile.read(length)
        try:
            activities = parse_envelope(body)
        except ValueError as exc:
            self.monitor.rejected += 1
            log.warning("bad notification envelope from %s: %s", self.client_address[0], exc)
            # 400 rather than 5xx: the registry would retry a 5xx forever.
            self._reply(400, "malformed envelope\n")
            return
        self.monitor.received += 1
        self.monitor.feed(activities)
        self._reply(200)


class NotificationServer:
    """Receives the registry's notification envelopes on ``POST`` (any path); HTTPS with ``tls``."""

    def __init__(
        self,
        monitor: Monitor,
        host: str,
        port: int,
        token: str = "",
        tls: tuple[Path, Path] | None = None,
    ) -> None:
        handler = type("Handler", (_Handler,), {"monitor": monitor, "token": token})
        self.httpd = BoundedServer((host, port), handler)
        if tls is not None:
            enable_tls(self.httpd, *tls)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The bound port."""
        return int(self.httpd.server_address[1])

    def start(self) -> NotificationServer:
        """Serve from a background thread."""
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="notifications", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self.httpd.shutdown()
        self.httpd.server_close()
