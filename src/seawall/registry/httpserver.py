"""The threaded HTTP server both registry services use: bounded connections, quiet errors."""

from __future__ import annotations

import http.server
import logging
import socket
import ssl
import threading
from pathlib import Path
from typing import Any

from seawall.errors import UsageError

log = logging.getLogger("seawall.registry")

MAX_CONNECTIONS = 256
# Seconds a client may stay silent (TLS handshake included): slow clients cannot pin threads forever.
SOCKET_TIMEOUT = 30.0


class BoundedServer(http.server.ThreadingHTTPServer):
    """One thread per connection, at most ``MAX_CONNECTIONS`` at once; further ones are closed."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], handler: type[http.server.BaseHTTPRequestHandler]) -> None:
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self.refused = 0
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            self.refused += 1
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except Exception:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that hang up, time out or speak garbage are logged, never printed as tracebacks.
        log.debug("connection from %s failed", client_address, exc_info=True)


class QuietHandler(http.server.BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive, a socket timeout, debug-level access log."""

    protocol_version = "HTTP/1.1"
    timeout = SOCKET_TIMEOUT

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def setup(self) -> None:
        super().setup()
        # Small JSON answers: do not wait for Nagle to coalesce them (keeps loopback latency low).
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass


def enable_tls(server: BoundedServer, certificate: Path, key: Path | None) -> None:
    """Serve HTTPS (TLS 1.2 or later); closes the server and raises UsageError when the files are bad."""
    try:
        if key is None:
            raise UsageError("a TLS certificate needs its key")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        try:
            ctx.load_cert_chain(certificate, key)
        except (OSError, ssl.SSLError) as exc:
            raise UsageError(f"cannot load TLS certificate {certificate}: {exc}") from exc
    except UsageError:
        server.server_close()
        raise
    # The handshake happens in the connection's thread (under its timeout), not in accept().
    server.socket = ctx.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
