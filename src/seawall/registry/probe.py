"""``seawall registry audit URL``: probe a running registry for weak access control and transport."""

from __future__ import annotations

import re
import socket
import ssl
import urllib.parse
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from cryptography import x509

from seawall.artifact.httpclient import make_client
from seawall.errors import UsageError
from seawall.model import Severity

PROBE_REPOSITORY = "seawall-probe/push-test"
ZERO_DIGEST = "sha256:" + "0" * 64
_CHALLENGE_RE = re.compile(r'(\w+)="([^"]*)"')
MAX_REPOS_SHOWN = 20


@dataclass(frozen=True, slots=True)
class ProbeFinding:
    """One weakness found: an id (``REGP-*``), a title, a severity and what was seen."""

    id: str
    title: str
    severity: Severity
    detail: str

    def to_json(self) -> dict[str, str]:
        """JSON form."""
        return {"ID": self.id, "Title": self.title, "Severity": self.severity.name, "Detail": self.detail}


@dataclass(slots=True)
class ProbeReport:
    """Everything the probe saw."""

    url: str
    findings: list[ProbeFinding] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    def add(self, id: str, title: str, severity: Severity, detail: str) -> None:
        """Record a finding."""
        self.findings.append(ProbeFinding(id, title, severity, detail))

    def ids(self) -> set[str]:
        """The finding ids, for quick checks."""
        return {f.id for f in self.findings}

    def to_json(self) -> dict[str, Any]:
        """The JSON report."""
        return {"URL": self.url, "Facts": self.facts, "Findings": [f.to_json() for f in self.findings]}


@dataclass(frozen=True, slots=True)
class _Challenge:
    scheme: str
    params: dict[str, str]


def _challenge(resp: httpx.Response) -> _Challenge | None:
    header = resp.headers.get("WWW-Authenticate", "")
    if not header:
        return None
    scheme, _, rest = header.partition(" ")
    return _Challenge(scheme.lower(), dict(_CHALLENGE_RE.findall(rest)))


def _loopback(host: str) -> bool:
    return host in ("localhost", "::1") or host.startswith("127.")


class _Prober:
    def __init__(
        self,
        url: str,
        client: httpx.Client,
        repository: str,
        creds: tuple[str, str] | None,
        insecure: bool = False,
    ) -> None:
        self.base = url.rstrip("/")
        self.insecure = insecure
        self.client = client
        self.repository = repository
        self.creds = creds
        self.report = ProbeReport(url)
        self.challenge: _Challenge | None = None

    def token(self, scope: str, creds: tuple[str, str] | None = None) -> dict[str, str]:
        """Headers for a request needing ``scope``: an anonymous (or credentialed) bearer token when the
        registry uses token auth, Basic credentials for Basic auth, nothing otherwise."""
        ch = self.challenge
        if ch is None:
            return {}
        if ch.scheme == "basic":
            return {} if creds is None else {"Authorization": _basic(creds)}
        realm = ch.params.get("realm", "")
        if ch.scheme != "bearer" or not realm.startswith(("http://", "https://")):
            return {}
        params = {"scope": scope}
        if ch.params.get("service"):
            params["service"] = ch.params["service"]
        try:
            r = self.client.get(realm, params=params, auth=creds)
        except httpx.HTTPError:
            return {}
        if r.status_code != 200:
            return {}
        try:
            body = r.json()
        except ValueError:
            return {}
        tok = body.get("token") or body.get("access_token") if isinstance(body, dict) else None
        return {"Authorization": f"Bearer {tok}"} if isinstance(tok, str) and tok else {}

    def run(self) -> ProbeReport:
        parsed = urllib.parse.urlsplit(self.base)
        host = parsed.hostname or ""
        if parsed.scheme == "https":
            self.tls(host, parsed.port or 443)
            untrusted = [f for f in self.report.findings if f.id == "REGP-012"]
            if untrusted and not self.insecure:
                raise UsageError(
                    f"{host}: TLS certificate not trusted ({untrusted[0].detail}); "
                    "use --insecure to probe it anyway"
                )
        else:
            self.report.add(
                "REGP-001",
                "Registry served over plain HTTP",
                Severity.LOW if _loopback(host) else Severity.HIGH,
                f"{self.base} has no TLS: credentials, tokens and images travel in clear text",
            )
        try:
            base = self.client.get(f"{self.base}/v2/")
        except httpx.HTTPError as exc:
            raise UsageError(f"cannot reach {self.base}/v2/: {exc}") from exc
        self.report.facts["v2_status"] = base.status_code
        self.report.facts["api_version"] = base.headers.get("Docker-Distribution-API-Version", "")
        if base.status_code == 200:
            self.report.add(
                "REGP-002",
                "API open without credentials",
                Severity.HIGH,
                "GET /v2/ answered 200 without credentials: no authentication is configured",
            )
        elif base.status_code == 401:
            self.challenge = _challenge(base)
            self.auth_transport(parsed.scheme)
        repos = self.catalog()
        repo = self.repository or (repos[0] if repos else "")
        if repo:
            self.pull(repo)
        self.push(repo or PROBE_REPOSITORY)
        self.delete(repo or PROBE_REPOSITORY)
        return self.report

    def tls(self, host: str, port: int) -> None:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        try:
            with socket.create_connection((host, port), timeout=10) as raw, ctx.wrap_socket(raw) as s:
                self.report.facts["tls_version"] = s.version()
                der = s.getpeercert(binary_form=True)
        except (OSError, ssl.SSLError) as exc:
            raise UsageError(f"TLS handshake with {host}:{port} failed: {exc}") from exc
        if der:
            cert = x509.load_der_x509_certificate(der)
            not_after = cert.not_valid_after_utc
            self.report.facts["certificate_not_after"] = not_after.isoformat()
            if not_after < datetime.now(UTC):
                self.report.add("REGP-011", "TLS certificate expired", Severity.HIGH, f"expired {not_after}")
        verified = ssl.create_default_context()
        try:
            with (
                socket.create_connection((host, port), timeout=10) as raw,
                verified.wrap_socket(raw, server_hostname=host),
            ):
                pass
        except ssl.SSLCertVerificationError as exc:
            self.report.add(
                "REGP-012",
                "TLS certificate not trusted",
                Severity.MEDIUM,
                f"verification failed: {exc.verify_message}",
            )
        except (OSError, ssl.SSLError):
            pass
        old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        old.check_hostname = False
        old.verify_mode = ssl.CERT_NONE
        try:
            with warnings.catch_warnings():
                # Deprecated on purpose: the point is to see whether the server still accepts them.
                warnings.simplefilter("ignore", DeprecationWarning)
                old.minimum_version = ssl.TLSVersion.TLSv1
                old.maximum_version = ssl.TLSVersion.TLSv1_1
            old.set_ciphers("DEFAULT:@SECLEVEL=0")
            with socket.create_connection((host, port), timeout=10) as raw, old.wrap_socket(raw) as s:
                self.report.add(
                    "REGP-010",
                    "TLS below 1.2 accepted",
                    Severity.MEDIUM,
                    f"handshake succeeded with {s.version()}",
                )
        except (OSError, ssl.SSLError, ValueError):
            pass  # refused (or the local OpenSSL cannot even offer it): fine either way

    def auth_transport(self, scheme: str) -> None:
        ch = self.challenge
        if ch is None:
            return
        self.report.facts["auth"] = ch.scheme
        if ch.scheme == "basic" and scheme == "http":
            self.report.add(
                "REGP-008",
                "Basic authentication over plain HTTP",
                Severity.HIGH,
                "passwords are sent in clear text on every request",
            )
        realm = ch.params.get("realm", "")
        if ch.scheme == "bearer":
            self.report.facts["token_realm"] = realm
            if realm.startswith("http://"):
                host = urllib.parse.urlsplit(realm).hostname or ""
                self.report.add(
                    "REGP-009",
                    "Token service over plain HTTP",
                    Severity.LOW if _loopback(host) else Severity.HIGH,
                    f"the token realm {realm} receives passwords without TLS",
                )

    def catalog(self) -> list[str]:
        r = self.client.get(
            f"{self.base}/v2/_catalog", params={"n": 100}, headers=self.token("registry:catalog:*")
        )
        self.report.facts["anonymous_catalog_status"] = r.status_code
        if r.status_code != 200:
            return []
        try:
            repos = [x for x in r.json().get("repositories") or [] if isinstance(x, str)]
        except (ValueError, AttributeError):
            return []
        self.report.add(
            "REGP-003",
            "Anonymous catalog listing",
            Severity.MEDIUM,
            f"/v2/_catalog lists {len(repos)} repositories without credentials: "
            + ", ".join(repos[:MAX_REPOS_SHOWN]),
        )
        return repos

    def pull(self, repo: str) -> None:
        r = self.client.get(f"{self.base}/v2/{repo}/tags/list", headers=self.token(f"repository:{repo}:pull"))
        self.report.facts["anonymous_pull_status"] = r.status_code
        if r.status_code == 200:
            self.report.add(
                "REGP-004", "Anonymous pull", Severity.HIGH, f"tags of {repo} listed without credentials"
            )

    def push(self, repo: str) -> None:
        headers = self.token(f"repository:{repo}:pull,push")
        r = self.client.post(f"{self.base}/v2/{repo}/blobs/uploads/", headers=headers)
        self.report.facts["anonymous_push_status"] = r.status_code
        if r.status_code != 202:
            return
        self.report.add(
            "REGP-005",
            "Anonymous push",
            Severity.CRITICAL,
            f"an upload to {repo} was started without credentials (and cancelled)",
        )
        location = r.headers.get("Location", "")
        if location:
            # Cancel the upload we started: leave nothing behind.
            url = location if location.startswith("http") else f"{self.base}{location}"
            try:
                cancel = self.client.delete(url, headers=headers)
                self.report.facts["upload_cancel_status"] = cancel.status_code
            except httpx.HTTPError:
                pass

    def delete(self, repo: str) -> None:
        for who, creds in (("anonymous", None), ("credentialed", self.creds)):
            if who == "credentialed" and creds is None:
                continue
            headers = self.token(f"repository:{repo}:delete", creds)
            if who == "credentialed" and not headers:
                headers = {"Authorization": _basic(creds)} if creds else {}
            # Deleting a digest that cannot exist is harmless and tells whether deletes are enabled.
            r = self.client.delete(f"{self.base}/v2/{repo}/manifests/{ZERO_DIGEST}", headers=headers)
            self.report.facts[f"{who}_delete_status"] = r.status_code
            if r.status_code == 405:
                self.report.facts["delete_enabled"] = False
                return
            if r.status_code in (202, 404):
                self.report.facts["delete_enabled"] = True
                anonymous = who == "anonymous"
                self.report.add(
                    "REGP-007" if anonymous else "REGP-006",
                    "Anonymous delete" if anonymous else "Delete enabled",
                    Severity.CRITICAL if anonymous else Severity.LOW,
                    f"DELETE of a manifest in {repo} was accepted for processing ({who})",
                )
                return


def _basic(creds: tuple[str, str]) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{creds[0]}:{creds[1]}".encode()).decode()


def probe(
    url: str,
    repository: str = "",
    username: str = "",
    password: str = "",
    insecure: bool = False,
    timeout: float = 15.0,
) -> ProbeReport:
    """Probe the registry at ``url`` (``https://host:port`` or ``http://...``) and report weaknesses."""
    if not url.startswith(("http://", "https://")):
        url = "https://" + url
    creds = (username, password) if username else None
    with make_client(timeout=timeout, verify=not insecure, follow_redirects=False) as client:
        try:
            return _Prober(url, client, repository, creds, insecure).run()
        except httpx.HTTPError as exc:
            raise UsageError(f"probe of {url} failed: {exc}") from exc
