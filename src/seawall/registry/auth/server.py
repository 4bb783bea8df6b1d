"""The HTTP front of the token service: ``GET /token`` (Basic auth) and the OAuth2 ``POST /token`` form."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import logging
import math
import threading
import urllib.parse
from typing import Any

import orjson

from seawall.errors import UsageError
from seawall.registry.auth.service import Credentials, Decision, TokenService, iso
from seawall.registry.httpserver import BoundedServer, QuietHandler, enable_tls

log = logging.getLogger("seawall.registry")

MAX_BODY = 64 * 1024
MAX_CREDENTIAL = 4096


def parse_basic(header: str) -> Credentials | None:
    """Credentials from an ``Authorization: Basic`` header; anonymous when absent; None when malformed."""
    if not header:
        return Credentials(None)
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or len(value) > MAX_CREDENTIAL:
        return None
    try:
        user, sep, password = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return Credentials(user, password) if sep and user else None


def client_address(peer: str, forwarded: str, trusted: tuple[Any, ...]) -> str:
    """The client's address: the peer, or, behind trusted proxies, the last untrusted X-Forwarded-For hop."""
    if not trusted or not forwarded:
        return peer
    hops = [peer, *reversed([h.strip() for h in forwarded.split(",")[-16:]])]
    for hop in hops:
        try:
            ip = ipaddress.ip_address(hop)
        except ValueError:
            return hop[:64] if hop else peer
        if not any(ip in net for net in trusted):
            return hop
    return hops[-1]


class _Handler(QuietHandler):
    server_version = "seawall-auth"
    sys_version = ""
    service: TokenService

    def _send(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = orjson.dumps(body)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _answer(self, decision: Decision, oauth: bool) -> None:
        if decision.status == 200:
            body: dict[str, Any] = {
                "token": decision.token,
                "access_token": decision.token,
                "expires_in": decision.expires_in,
                "issued_at": iso(decision.issued_at),
            }
            if oauth:
                body["scope"] = " ".join(s.text() for s in decision.granted)
            self._send(200, body)
            return
        headers = {}
        if decision.status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="seawall"'
        if decision.status == 429:
            headers["Retry-After"] = str(max(1, math.ceil(decision.retry_after)))
        code = {400: "invalid_request", 401: "UNAUTHORIZED", 429: "TOOMANYREQUESTS"}.get(
            decision.status, "DENIED"
        )
        errors = {"errors": [{"code": code, "message": decision.reason}]}
        if oauth:
            errors["error"] = "invalid_grant" if decision.status == 401 else code.lower()  # type: ignore[assignment]
        self._send(decision.status, errors, headers)

    def _address(self) -> str:
        trusted = self.service.config.trusted_proxies
        return client_address(str(self.client_address[0]), self.headers.get("X-Forwarded-For", ""), trusted)

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/healthz":
            self._send(200, {"status": "ok"})
            return
        if url.path != "/token":
            self._send(404, {"errors": [{"code": "NOT_FOUND", "message": "no such endpoint"}]})
            return
        query = urllib.parse.parse_qs(url.query, max_num_fields=64)
        creds = parse_basic(self.headers.get("Authorization", ""))
        if creds is None:
            self._send(400, {"errors": [{"code": "invalid_request", "message": "malformed Authorization"}]})
            return
        service = query.get("service", [""])[0]
        decision = self.service.request(
            creds, service, query.get("scope", []), self._address(), self.headers.get("User-Agent", "")
        )
        self._answer(decision, oauth=False)

    def do_POST(self) -> None:
        if urllib.parse.urlsplit(self.path).path != "/token":
            self._send(404, {"errors": [{"code": "NOT_FOUND", "message": "no such endpoint"}]})
            return
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            self.close_connection = True
            self._send(400, {"error": "invalid_request", "error_description": "body missing or too large"})
            return
        try:
            form = urllib.parse.parse_qs(self.rfile.read(length).decode("utf-8"), max_num_fields=64)
        except (UnicodeDecodeError, ValueError):
            self._send(400, {"error": "invalid_request", "error_description": "malformed form"})
            return
        grant_type = form.get("grant_type", [""])[0]
        if grant_type != "password":
            # Refresh tokens are never issued, so only the password grant exists.
            self._send(
                400, {"error": "unsupported_grant_type", "error_description": "use grant_type=password"}
            )
            return
        user, password = form.get("username", [""])[0], form.get("password", [""])[0]
        if not user or len(password) > MAX_CREDENTIAL:
            self._send(
                400, {"error": "invalid_request", "error_description": "username and password required"}
            )
            return
        decision = self.service.request(
            Credentials(user, password),
            form.get("service", [""])[0],
            form.get("scope", []),
            self._address(),
            self.headers.get("User-Agent", ""),
        )
        self._answer(decision, oauth=True)


class AuthServer:
    """The token server listening on ``host:port`` (TLS when the config names a certificate and key)."""

    def __init__(self, service: TokenService, host: str, port: int) -> None:
        handler = type("Handler", (_Handler,), {"service": service})
        self.service = service
        self.httpd = BoundedServer((host, port), handler)
        cfg = service.config
        self.tls = cfg.tls_certificate is not None
        if cfg.tls_certificate is not None:
            enable_tls(self.httpd, cfg.tls_certificate, cfg.tls_key)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The port actually bound (useful with port 0)."""
        return int(self.httpd.server_address[1])

    def start(self) -> AuthServer:
        """Serve from a background thread."""
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="seawall-auth", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until ``stop``."""
        self.httpd.serve_forever()

    def stop(self) -> None:
        """Stop serving and close the audit log."""
        self.httpd.shutdown()
        self.httpd.server_close()
        self.service.audit.close()


def split_listen(listen: str) -> tuple[str, int]:
    """``host:port`` into its parts; UsageError when malformed."""
    host, _, port = listen.rpartition(":")
    try:
        return host.strip("[]") or "0.0.0.0", int(port)
    except ValueError:
        raise UsageError(f"listen address {listen!r}: expected HOST:PORT") from None
