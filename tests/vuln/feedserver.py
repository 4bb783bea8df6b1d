"""A loopback HTTP server for feed files: ETag/Last-Modified, 304s, Range/If-Range, slow and cut-off modes."""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class FeedServer:
    """Serves ``files`` (URL path -> bytes); records every request's path and validator headers."""

    files: dict[str, bytes] = field(default_factory=dict)
    slow: set[str] = field(default_factory=set)  # paths sent in small chunks with pauses
    cut: set[str] = field(default_factory=set)  # paths whose body stops halfway (Content-Length says more)
    log: list[dict[str, Any]] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FeedServer:
        feeds = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                feeds.log.append({"path": path, **{k.lower(): v for k, v in self.headers.items()}})
                body = feeds.files.get(path)
                if body is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                last_modified = "Sun, 29 Nov 2026 00:00:00 GMT"
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                start = 0
                rng = self.headers.get("Range", "")
                if rng.startswith("bytes=") and self.headers.get("If-Range") == etag:
                    start = int(rng[6:].split("-", 1)[0])
                part = body[start:]
                self.send_response(206 if start else 200)
                if start:
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                self.send_header("Content-Length", str(len(part)))
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", last_modified)
                self.end_headers()
                if path in feeds.cut:
                    self.wfile.write(part[: len(part) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                step = 16 * 1024 if path in feeds.slow else len(part) or 1
                for i in range(0, len(part), step):
                    self.wfile.write(part[i : i + step])
                    if path in feeds.slow:
                        self.wfile.flush()
                        time.sleep(0.02)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
