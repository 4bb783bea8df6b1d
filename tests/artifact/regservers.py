"""Real servers for the registry tests: the Debian distribution registry, a token server, a fault proxy.

Everything listens on 127.0.0.1 with a free port and is stopped by its fixture's teardown.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import http.server
import json
import socket
import subprocess
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

SERVICE = "seawall-test-registry"


class QuietServer(http.server.ThreadingHTTPServer):
    """A threading HTTP server that does not print clients hanging up (tests close early on purpose)."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


ISSUER = "seawall-test-issuer"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes] | None = None, what: str = "server") -> None:
    """Block until something accepts connections on ``port`` (fails if ``proc`` dies first)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on port {port}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate a process we started, killing it if it lingers."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@dataclass
class Registry:
    """A running ``docker-registry serve``."""

    port: int
    storage: Path
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def blob_data(self, digest: str) -> Path:
        hexd = digest.split(":", 1)[1]
        return self.storage / "docker/registry/v2/blobs/sha256" / hexd[:2] / hexd / "data"


def start_registry(
    workdir: Path,
    storage: Path,
    auth: dict[str, Any] | None = None,
    tls: tuple[Path, Path] | None = None,
    extra: dict[str, Any] | None = None,
) -> Registry:
    """Start the Debian distribution registry with filesystem storage in ``storage``.

    ``tls`` is (certificate, key) to serve HTTPS; ``extra`` adds top-level config sections (``notifications``).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config: dict[str, Any] = {
        "version": 0.1,
        "log": {"level": "info", "formatter": "text"},
        "storage": {"filesystem": {"rootdirectory": str(storage)}, "delete": {"enabled": True}},
        "http": {"addr": f"127.0.0.1:{port}", "secret": "seawall-test-secret"},
    }
    if auth:
        config["auth"] = auth
    if tls:
        config["http"]["tls"] = {"certificate": str(tls[0]), "key": str(tls[1])}
    config.update(extra or {})
    config_path = workdir / "config.yml"
    config_path.write_text(json.dumps(config))  # JSON is YAML
    log_path = workdir / "registry.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            ["docker-registry", "serve", str(config_path)], stdout=log, stderr=subprocess.STDOUT
        )
    try:
        wait_for_port(port, proc, "docker-registry")
    except Exception:
        stop(proc)
        raise
    return Registry(port=port, storage=storage, proc=proc, log=log_path)


def push(src: str, registry: Registry, dest: str, *extra: str) -> None:
    """``skopeo copy`` ``src`` into ``registry`` as ``dest`` (repo:tag) over plain HTTP."""
    cmd = ["skopeo", "--insecure-policy", "copy", "--quiet", "--dest-tls-verify=false", *extra]
    subprocess.run([*cmd, src, f"docker://{registry.host}/{dest}"], check=True, stdout=subprocess.DEVNULL)


# -- token auth ---------------------------------------------------------------------------------


def libtrust_key_id(public_key: rsa.RSAPublicKey) -> str:
    """The key id the distribution registry expects in the JWT ``kid`` header."""
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    b32 = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode("ascii").rstrip("=")
    return ":".join(b32[i : i + 4] for i in range(0, 48, 4))


@dataclass
class TokenServer:
    """A minimal Docker token server: Basic credentials in, RS256 JWT out."""

    users: dict[str, str]
    workdir: Path
    port: int = 0
    requests: list[str] = field(default_factory=list)
    _httpd: QuietServer | None = None

    def start(self) -> TokenServer:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "seawall test token issuer")])
        now = datetime.now(UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=30))
            .sign(self.key, hashes.SHA256())
        )
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.cert_path = self.workdir / "token-cert.pem"
        self.cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        self.kid = libtrust_key_id(self.key.public_key())
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(self.path)
                query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
                user = server.check_basic(self.headers.get("Authorization", ""))
                if user is None:
                    self.send_response(401)
                    self.end_headers()
                    return
                scopes = query.get("scope", [])
                body = json.dumps({"token": server.issue(user, scopes), "expires_in": 300}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.port = free_port()
        self._httpd = QuietServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    @property
    def realm(self) -> str:
        return f"http://127.0.0.1:{self.port}/token"

    def check_basic(self, header: str) -> str | None:
        """The user name for valid Basic credentials; anonymous ("") when none are sent."""
        if not header:
            return ""
        if not header.startswith("Basic "):
            return None
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        return user if self.users.get(user) == password else None

    def issue(self, user: str, scopes: list[str]) -> str:
        access = []
        for scope in scopes:
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            # Anonymous users get nothing: the registry then answers 401.
            granted = actions.split(",") if user else []
            access.append({"type": kind, "name": name, "actions": granted})
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "sub": user,
            "aud": SERVICE,
            "exp": now + 300,
            "nbf": now - 10,
            "iat": now,
            "jti": uuid.uuid4().hex,
            "access": access,
        }
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": self.kid})

    def token_auth_config(self) -> dict[str, Any]:
        return {
            "token": {
                "realm": self.realm,
                "service": SERVICE,
                "issuer": ISSUER,
                "rootcertbundle": str(self.cert_path),
            }
        }

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()


# -- a proxy that misbehaves on purpose -----------------------------------------------------------

Rule = Callable[[str, str], tuple[int, dict[str, str], bytes] | None]


class FaultProxy:
    """An HTTP proxy in front of a registry that counts requests and can answer instead of it.

    ``rule(method, path)`` returns ``(status, headers, body)`` to answer itself, or None to forward.
    """

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.counts: Counter[str] = Counter()
        self.rule: Rule | None = None
        self.truncate_blobs = 0  # cut this many forwarded blob bodies in half, then hang up
        self.throttle_bps = 0  # per-connection rate limit for forwarded bodies (0: none), as CDNs do
        self._lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                proxy.handle(self, "GET")

            def do_HEAD(self) -> None:
                proxy.handle(self, "HEAD")

            def log_message(self, *args: Any) -> None:
                pass

        self.port = free_port()
        self._httpd = QuietServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def blob_gets(self) -> int:
        return sum(n for key, n in self.counts.items() if key.startswith("GET ") and "/blobs/" in key)

    def handle(self, h: http.server.BaseHTTPRequestHandler, method: str) -> None:
        path = h.path
        with self._lock:
            self.counts[f"{method} {path}"] += 1
            answer = self.rule(method, path) if self.rule else None
        if answer is not None:
            status, headers, body = answer
            h.send_response(status)
            for k, v in headers.items():
                h.send_header(k, v)
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            if method != "HEAD":
                h.wfile.write(body)
            return
        conn = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=30)
        try:
            fwd = {k: v for k, v in h.headers.items() if k.lower() in ("accept", "authorization", "range")}
            conn.request(method, path, headers=fwd)
            resp = conn.getresponse()
            h.send_response(resp.status)
            for k, v in resp.getheaders():
                if k.lower() not in ("connection", "transfer-encoding"):
                    h.send_header(k, v)
            body = resp.read()
            if resp.getheader("Content-Length") is None:
                h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            cut = False
            with self._lock:
                if "/blobs/" in path and self.truncate_blobs > 0 and len(body) > 1:
                    self.truncate_blobs -= 1
                    cut = True
            if cut:
                h.wfile.write(body[: len(body) // 2])
                h.wfile.flush()
                h.close_connection = True
                h.connection.shutdown(socket.SHUT_RDWR)
            elif method != "HEAD":
                self._write(h, body)
        finally:
            conn.close()

    def _write(self, h: http.server.BaseHTTPRequestHandler, body: bytes) -> None:
        """Send ``body``, at most ``throttle_bps`` bytes per second on this connection when set."""
        if not self.throttle_bps:
            h.wfile.write(body)
            return
        step = 64 << 10
        start = time.monotonic()
        for offset in range(0, len(body), step):
            h.wfile.write(body[offset : offset + step])
            ahead = (offset + step) / self.throttle_bps - (time.monotonic() - start)
            if ahead > 0:
                time.sleep(ahead)

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def fail_times(n: int, status: int, headers: dict[str, str] | None = None) -> Rule:
    """A rule answering ``status`` to the first ``n`` requests, then forwarding."""
    left = [n]

    def rule(method: str, path: str) -> tuple[int, dict[str, str], bytes] | None:
        if left[0] > 0:
            left[0] -= 1
            return status, dict(headers or {}), b'{"errors":[{"code":"UNAVAILABLE","message":"try later"}]}'
        return None

    return rule


def self_signed_cert(workdir: Path, host: str = "127.0.0.1") -> tuple[Path, Path]:
    """A self-signed server certificate for ``host`` (an IP address): (cert.pem, key.pem)."""
    import ipaddress

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    workdir.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = workdir / "tls-cert.pem", workdir / "tls-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path
