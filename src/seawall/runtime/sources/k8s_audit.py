"""Kubernetes audit events: kube-apiserver's audit webhook backend (HTTP/HTTPS) and audit log files.

The webhook backend POSTs ``audit.k8s.io/v1`` ``EventList`` objects (batched) or single ``Event``
objects; the log backend writes one ``Event`` JSON object per line. Both become ``k8s_audit``
events whose ``ka.*`` fields are computed from the decoded object.
"""

from __future__ import annotations

import logging
import os
import queue
import ssl
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson

from seawall.errors import SeawallError, UsageError
from seawall.runtime.events import K8S_AUDIT, RAW_AUDIT_KEY, SOURCE_KEY, Event
from seawall.runtime.sources.base import SourceStats

log = logging.getLogger("seawall.runtime")

MAX_BODY_BYTES = 32 * 1024 * 1024
MAX_LINE_BYTES = 8 * 1024 * 1024
QUEUE_SIZE = 65536


class AuditPayloadError(SeawallError):
    """Data that is not a Kubernetes audit Event or EventList."""


def _time_ns(obj: dict[str, Any]) -> int | None:
    ts = obj.get("stageTimestamp") or obj.get("requestReceivedTimestamp")
    if not isinstance(ts, str):
        return None
    try:
        dt = datetime.fromisoformat(ts.replace("Z", "+00:00"))
    except ValueError:
        return None
    return int(dt.timestamp()) * 1_000_000_000 + dt.microsecond * 1000


def _event(obj: dict[str, Any]) -> Event:
    ev: Event = {SOURCE_KEY: K8S_AUDIT, RAW_AUDIT_KEY: obj}
    t = _time_ns(obj)
    if t is not None:
        ev["evt.time"] = t
    return ev


def audit_events(obj: Any) -> list[Event]:
    """The events in one decoded audit object (an ``Event`` or an ``EventList``)."""
    if not isinstance(obj, dict):
        raise AuditPayloadError("data not recognized as a k8s audit event: not a JSON object")
    kind = obj.get("kind")
    api = obj.get("apiVersion", "audit.k8s.io/v1")
    if not isinstance(api, str) or not api.startswith("audit.k8s.io/"):
        raise AuditPayloadError(f"data not recognized as a k8s audit event: apiVersion {api!r}")
    if kind == "EventList":
        items = obj.get("items")
        if not isinstance(items, list):
            raise AuditPayloadError("data not recognized as a k8s audit event: EventList without items")
        return [_event(i) for i in items if isinstance(i, dict) and i.get("kind", "Event") == "Event"]
    if kind == "Event":
        return [_event(obj)]
    raise AuditPayloadError(f"data not recognized as a k8s audit event: kind {kind!r}")


def parse_payload(data: bytes | str) -> list[Event]:
    """Decode one JSON payload (webhook body or log line) into events; raises AuditPayloadError."""
    try:
        obj = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise AuditPayloadError(f"data not recognized as a k8s audit event: invalid JSON ({exc})") from None
    return audit_events(obj)


def read_audit_file(path: Path, stats: SourceStats | None = None) -> Iterator[Event]:
    """Events of an audit log file (JSON lines); malformed lines are counted and skipped."""
    stats = stats or SourceStats()
    with path.open("rb") as f:
        while True:
            line = f.readline(MAX_LINE_BYTES)
            if not line:
                return
            if len(line) == MAX_LINE_BYTES and not line.endswith(b"\n"):
                while (rest := f.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                    pass
                stats.add("malformed")
                log.warning("%s: skipped an audit line over %d bytes", path, MAX_LINE_BYTES)
                continue
            if not line.strip():
                continue
            try:
                events = parse_payload(line)
            except AuditPayloadError as exc:
                stats.add("malformed")
                log.warning("%s: %s", path, exc)
                continue
            stats.add("received", len(events))
            yield from events


class AuditFileSource:
    """Tail an audit log file (``--source k8s-audit`` with ``--audit-log``), following rotation."""

    name = "k8s-audit-file"

    def __init__(self, path: Path, follow: bool = True, from_start: bool = True, poll: float = 0.2) -> None:
        self.path = path
        self.follow = follow
        self.from_start = from_start
        self.poll = poll
        self.stats = SourceStats()
        self._stop = threading.Event()

    def stop(self) -> None:
        """End ``events()`` at the next poll."""
        self._stop.set()

    def events(self) -> Iterator[Event]:
        """Yield events from the file, waiting for new lines when following."""
        try:
            f = self.path.open("rb")
        except OSError as exc:
            raise UsageError(f"cannot open audit log {self.path}: {exc}") from exc
        try:
            if not self.from_start:
                f.seek(0, os.SEEK_END)
            partial = b""
            while not self._stop.is_set():
                chunk = f.readline(MAX_LINE_BYTES)
                if chunk:
                    partial += chunk
                    if not partial.endswith(b"\n"):
                        if len(partial) >= MAX_LINE_BYTES:
                            self.stats.add("malformed")
                            partial = b""
                        continue
                    line, partial = partial, b""
                    if line.strip():
                        yield from self._decode(line)
                    continue
                if not self.follow:
                    if partial.strip():
                        yield from self._decode(partial)
                    return
                if self._rotated(f):
                    f.close()
                    f = self.path.open("rb")
                    continue
                time.sleep(self.poll)
        finally:
            f.close()

    def _rotated(self, f: Any) -> bool:
        try:
            st = self.path.stat()
        except OSError:
            return False
        cur = os.fstat(f.fileno())
        return bool(st.st_ino != cur.st_ino or st.st_size < f.tell())

    def _decode(self, line: bytes) -> Iterator[Event]:
        try:
            events = parse_payload(line)
        except AuditPayloadError as exc:
            self.stats.add("malformed")
            log.warning("%s: %s", self.path, exc)
            return
        self.stats.add("received", len(events))
        yield from events


class AuditWebhookSource:
    """An HTTP(S) endpoint for kube-apiserver's ``--audit-webhook-config-file`` backend."""

    name = "k8s-audit-webhook"

    def __init__(
        self,
        listen: str = "127.0.0.1:9765",
        certfile: Path | None = None,
        keyfile: Path | None = None,
        queue_size: int = QUEUE_SIZE,
    ) -> None:
        host, _, port = listen.rpartition(":")
        try:
            addr = (host.strip("[]") or "127.0.0.1", int(port))
        except ValueError:
            raise UsageError(f"--listen {listen!r}: expected HOST:PORT") from None
        self.stats = SourceStats()
        self.queue: queue.Queue[Event] = queue.Queue(maxsize=queue_size)
        self._stop = threading.Event()
        handler = _make_handler(self)
        try:
            self.server = ThreadingHTTPServer(addr, handler)
        except OSError as exc:
            raise UsageError(f"cannot listen on {listen}: {exc}") from exc
        self.server.daemon_threads = True
        if certfile is not None:
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            try:
                ctx.load_cert_chain(str(certfile), str(keyfile) if keyfile else None)
            except (OSError, ssl.SSLError) as exc:
                raise UsageError(f"cannot load TLS certificate {certfile}: {exc}") from exc
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.scheme = "https" if certfile is not None else "http"
        self._thread = threading.Thread(
            target=self.server.serve_forever, name="k8s-audit-webhook", daemon=True
        )
        self._thread.start()

    @property
    def address(self) -> tuple[str, int]:
        """The bound (host, port); useful with port 0."""
        host, port = self.server.server_address[:2]
        return str(host), int(port)

    @property
    def url(self) -> str:
        """The URL to put in the kube-apiserver webhook kubeconfig."""
        host, port = self.address
        return f"{self.scheme}://{host}:{port}/k8s-audit"

    def accept(self, body: bytes) -> tuple[int, str]:
        """Decode one POST body and queue its events; returns (HTTP status, message)."""
        try:
            events = parse_payload(body)
        except AuditPayloadError as exc:
            self.stats.add("malformed")
            log.warning("webhook: %s", exc)
            return 400, str(exc)
        self.stats.add("received", len(events))
        for ev in events:
            try:
                self.queue.put_nowait(ev)
            except queue.Full:
                self.stats.add("dropped")
        return 200, "ok"

    def stop(self) -> None:
        """Stop serving and end ``events()``."""
        self._stop.set()
        self.server.shutdown()
        self.server.server_close()

    def events(self) -> Iterator[Event]:
        """Yield queued events until stopped."""
        while not self._stop.is_set() or not self.queue.empty():
            try:
                yield self.queue.get(timeout=0.2)
            except queue.Empty:
                continue


def _make_handler(source: AuditWebhookSource) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("webhook: " + format, *args)

        def _reply(self, status: int, message: str) -> None:
            body = (message + "\n").encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            try:
                length = int(self.headers.get("Content-Length", ""))
            except ValueError:
                source.stats.add("malformed")
                self._reply(411, "Content-Length required")
                return
            if length < 0 or length > MAX_BODY_BYTES:
                source.stats.add("malformed")
                self.close_connection = True
                self._reply(413, f"body over {MAX_BODY_BYTES} bytes")
                return
            body = self.rfile.read(length)
            status, message = source.accept(body)
            self._reply(status, message)

        def do_GET(self) -> None:
            self._reply(200 if self.path in ("/healthz", "/") else 404, "seawall k8s audit webhook")

    return Handler
