"""A ValidatingAdmissionWebhook: AdmissionReview v1 over HTTPS, decided by an AdmissionPolicy.

The server is the standard library's threading HTTP server with TLS; each request is decided in
well under a millisecond (checks are compiled at start-up, scan results indexed once), so the
apiserver's 10 s timeout is never near. ``/healthz`` answers liveness probes.
"""

from __future__ import annotations

import logging
import ssl
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson

from seawall.errors import SeawallError, UsageError
from seawall.k8s.imageref import allowed_by, parse_image
from seawall.k8s.policy import AdmissionPolicy
from seawall.misconfig.checks.kube import POD_SPEC_PATHS, containers, pod_template
from seawall.misconfig.model import PSS_BASELINE, PSS_RESTRICTED, Check, ConfigObject, ScanContext
from seawall.misconfig.registry import all_checks
from seawall.model import Severity

log = logging.getLogger("seawall.k8s.admission")

MAX_REVIEW_BYTES = 3 * 1024 * 1024  # the apiserver's own request size limit
API_VERSION = "admission.k8s.io/v1"


class ReviewError(SeawallError):
    """An AdmissionReview that cannot be decided (malformed JSON or shape): answered with 400."""


@dataclass(frozen=True, slots=True)
class Violation:
    """One reason to deny or warn, naming the check that found it."""

    check: str  # K8S005, registry, digest, CUSTOM-001, vulnerabilities
    message: str
    action: str  # deny or warn

    def __str__(self) -> str:
        return f"[{self.check}] {self.message}"


@dataclass(frozen=True, slots=True)
class Decision:
    """The verdict on one review."""

    uid: str
    allowed: bool
    violations: tuple[Violation, ...] = ()
    message: str = ""

    def response(self) -> dict[str, Any]:
        """The AdmissionReview v1 response document."""
        resp: dict[str, Any] = {"uid": self.uid, "allowed": self.allowed}
        warnings = [str(v) for v in self.violations if v.action == "warn"]
        if warnings:
            resp["warnings"] = warnings
        if not self.allowed:
            resp["status"] = {"code": 403, "reason": "Forbidden", "message": self.message}
        return {"apiVersion": API_VERSION, "kind": "AdmissionReview", "response": resp}


@dataclass(frozen=True, slots=True)
class VulnIndex:
    """Worst severity and counts per image, from stored JSON scan reports (Seawall's or Trivy's)."""

    by_key: Mapping[str, tuple[Severity, dict[str, int]]] = field(default_factory=dict)

    def lookup(self, image: str) -> tuple[Severity, dict[str, int]] | None:
        """The scan of ``image`` by digest, else by name and tag; None when never scanned."""
        ref = parse_image(image)
        if ref.digest:
            found = self.by_key.get(ref.digest)
            if found is not None:
                return found
        return self.by_key.get(f"{ref.full}:{ref.tag or 'latest'}")


def load_vuln_index(path: Path) -> VulnIndex:
    """Index every ``*.json`` report under ``path`` by artifact name, repo digests and tags."""
    files = sorted(path.rglob("*.json")) if path.is_dir() else [path]
    index: dict[str, tuple[Severity, dict[str, int]]] = {}
    for file in files:
        try:
            doc = orjson.loads(file.read_bytes())
        except (OSError, orjson.JSONDecodeError) as exc:
            log.warning("%s: skipped scan report: %s", file, exc)
            continue
        if not isinstance(doc, dict):
            continue
        counts: dict[str, int] = {}
        worst = Severity.UNKNOWN
        for result in doc.get("Results") or ():
            for v in (result or {}).get("Vulnerabilities") or ():
                sev = Severity.parse(str((v or {}).get("Severity", "")))
                counts[sev.name] = counts.get(sev.name, 0) + 1
                worst = max(worst, sev)
        meta = doc.get("Metadata") or {}
        keys = [str(doc.get("ArtifactName", ""))]
        keys += [str(t) for t in meta.get("RepoTags") or ()]
        for name in keys:
            if name:
                ref = parse_image(name)
                index[f"{ref.full}:{ref.tag or 'latest'}"] = (worst, counts)
        for rd in meta.get("RepoDigests") or ():
            index[str(rd).partition("@")[2]] = (worst, counts)
    return VulnIndex(index)


class Evaluator:
    """Decides AdmissionReviews under one policy; thread-safe (read-only after construction)."""

    def __init__(self, policy: AdmissionPolicy, fail_open: bool = False) -> None:
        self.policy = policy
        self.fail_open = fail_open
        frameworks = {"baseline": (PSS_BASELINE,), "restricted": (PSS_BASELINE, PSS_RESTRICTED)}
        wanted = frameworks.get(policy.pss_level, ())
        self.pss_checks: tuple[Check, ...] = tuple(
            c for c in all_checks() if any(m.framework in wanted for m in c.meta.compliance)
        )
        self.vulns = load_vuln_index(policy.vuln_reports) if policy.vuln_reports else None
        self._audit_lock = threading.Lock()

    def decide(self, review: Any) -> Decision:
        """The decision on a parsed AdmissionReview; ReviewError when it is not one."""
        request = _request(review)
        uid = request["uid"]
        try:
            violations = list(self._violations(request))
        except Exception as exc:  # a bug must not turn into a 500 the apiserver maps to its failurePolicy
            log.error("evaluation failed for %s: %s: %s", uid, type(exc).__name__, exc)
            verdict = "allowed (fail-open)" if self.fail_open else "denied (fail-closed)"
            return Decision(
                uid, self.fail_open, (), f"seawall could not evaluate the request, {verdict}: {exc}"
            )
        denied = [v for v in violations if v.action == "deny"]
        what = _describe(request)
        message = f"seawall denied {what}: " + "; ".join(map(str, denied)) if denied else ""
        decision = Decision(uid, not denied, tuple(violations), message)
        if not request.get("dryRun"):
            # dryRun requests must have no side effects: no audit record for them.
            self._audit(request, decision)
        return decision

    def _violations(self, request: Mapping[str, Any]) -> Iterator[Violation]:
        obj = request.get("object")
        if request.get("operation", "CREATE") not in ("CREATE", "UPDATE") or not isinstance(obj, dict):
            return
        kind = str(obj.get("kind") or _kind(request))
        if kind not in POD_SPEC_PATHS:
            return
        obj = dict(obj)
        obj.setdefault("kind", kind)
        meta = obj.get("metadata")
        namespace = str(request.get("namespace") or (meta.get("namespace") if isinstance(meta, dict) else ""))
        if namespace in self.policy.exempt_namespaces:
            return
        config = ConfigObject("kubernetes", obj, f"{kind}/{namespace}")
        pod = pod_template(config)
        if pod is None:
            return
        p = self.policy
        ctx = ScanContext(objects=(config,))
        for check in self.pss_checks:
            for message in _hits(check, config, ctx):
                yield Violation(check.meta.id, f"{check.meta.title}: {message}", p.pss_action)
        for check in p.cel:
            for message in _hits(check, config, ctx):
                yield Violation(check.meta.id, message, p.cel_action)
        images = [(c.label, c.spec.get("image")) for c in containers(pod)]
        for label, image in images:
            if not isinstance(image, str) or not image:
                continue
            if p.allowed_registries and not allowed_by(image, p.allowed_registries):
                allowed = ", ".join(p.allowed_registries)
                yield Violation(
                    "registry",
                    f'{label} image "{image}" is not from an allowed registry ({allowed})',
                    p.registry_action,
                )
            if p.require_digest and "@sha256:" not in image:
                yield Violation("digest", f'{label} image "{image}" is not pinned by digest', p.digest_action)
            if self.vulns is not None:
                yield from self._vuln(label, image)

    def _vuln(self, label: str, image: str) -> Iterator[Violation]:
        assert self.vulns is not None
        p = self.policy
        found = self.vulns.lookup(image)
        if found is None:
            if p.vuln_unscanned != "allow":
                yield Violation(
                    "vulnerabilities", f'{label} image "{image}" has not been scanned', p.vuln_unscanned
                )
            return
        worst, counts = found
        if worst >= p.vuln_max_severity:
            over = {k: n for k, n in counts.items() if Severity[k] >= p.vuln_max_severity}
            text = ", ".join(f"{n} {k}" for k, n in sorted(over.items(), key=lambda kv: -Severity[kv[0]]))
            yield Violation(
                "vulnerabilities",
                f'{label} image "{image}" has {text} vulnerabilities '
                f"(limit: below {p.vuln_max_severity.name})",
                p.vuln_action,
            )

    def _audit(self, request: Mapping[str, Any], decision: Decision) -> None:
        if self.policy.audit_log is None:
            return
        record = {
            "uid": decision.uid,
            "allowed": decision.allowed,
            "object": _describe(request),
            "user": (request.get("userInfo") or {}).get("username", ""),
            "violations": [
                {"check": v.check, "action": v.action, "message": v.message} for v in decision.violations
            ],
        }
        line = orjson.dumps(record) + b"\n"
        with self._audit_lock:
            try:
                with self.policy.audit_log.open("ab") as fh:
                    fh.write(line)
            except OSError as exc:
                log.warning("cannot write audit log %s: %s", self.policy.audit_log, exc)


def _hits(check: Check, obj: ConfigObject, ctx: ScanContext) -> list[str]:
    try:
        return [hit.message for hit in check.evaluate(obj, ctx)]
    except (KeyError, TypeError, AttributeError, ValueError, IndexError) as exc:
        # As in the scan engine: a field of an unexpected type skips this check, not the review.
        log.warning("check %s skipped %s: %s", check.meta.id, obj.file, exc)
        return []


def _kind(request: Mapping[str, Any]) -> str:
    kind = request.get("kind")
    return str(kind.get("kind", "")) if isinstance(kind, Mapping) else ""


def _describe(request: Mapping[str, Any]) -> str:
    raw = request.get("object")
    obj: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    raw_meta = obj.get("metadata")
    meta: Mapping[str, Any] = raw_meta if isinstance(raw_meta, Mapping) else {}
    name = request.get("name") or meta.get("name") or meta.get("generateName") or "?"
    ns = request.get("namespace") or meta.get("namespace")
    kind = obj.get("kind") or _kind(request) or "object"
    return f"{kind} {ns}/{name}" if ns else f"{kind} {name}"


def _request(review: Any) -> dict[str, Any]:
    if not isinstance(review, dict):
        raise ReviewError("the body is not a JSON object")
    if review.get("kind") != "AdmissionReview" or review.get("apiVersion") != API_VERSION:
        raise ReviewError(f"expected an AdmissionReview of {API_VERSION}")
    request = review.get("request")
    if not isinstance(request, dict) or not isinstance(request.get("uid"), str) or not request["uid"]:
        raise ReviewError("the AdmissionReview has no request with a uid")
    return request


def handle_body(evaluator: Evaluator, body: bytes) -> tuple[int, bytes]:
    """HTTP status and JSON body for one webhook call (400 for anything that is no AdmissionReview)."""
    try:
        review = orjson.loads(body)
        decision = evaluator.decide(review)
    except orjson.JSONDecodeError as exc:
        return 400, _error(f"invalid JSON: {exc}")
    except ReviewError as exc:
        return 400, _error(str(exc))
    return 200, orjson.dumps(decision.response())


def _error(message: str) -> bytes:
    return orjson.dumps({"error": message})


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the apiserver reuses connections
    server_version = "seawall-admission"
    timeout = 15  # slow or stalled clients release their thread
    # Headers and body go out as two writes; with Nagle on, the second waits for the client's
    # delayed ACK (40 ms) on every keep-alive request.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def _send(self, status: int, body: bytes, ctype: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path.split("?")[0] in ("/healthz", "/readyz", "/livez"):
            self._send(200, b"ok", "text/plain")
        else:
            self._send(404, _error("not found"))

    def do_POST(self) -> None:
        length_text = self.headers.get("Content-Length")
        try:
            length = int(length_text) if length_text is not None else -1
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True
            self._send(411, _error("Content-Length required"))
            return
        if length > MAX_REVIEW_BYTES:
            self.close_connection = True  # the body is not read: the connection cannot be reused
            self._send(413, _error(f"body of {length} bytes is over the {MAX_REVIEW_BYTES}-byte limit"))
            return
        body = self.rfile.read(length)
        evaluator: Evaluator = self.server.evaluator  # type: ignore[attr-defined]
        status, payload = handle_body(evaluator, body)
        self._send(status, payload)


class WebhookServer(ThreadingHTTPServer):
    """The HTTPS server; TLS handshakes run in the request threads, not in the accept loop."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        evaluator: Evaluator,
        tls: ssl.SSLContext | None,
        max_connections: int = 256,
    ) -> None:
        super().__init__(address, _Handler)
        self.evaluator = evaluator
        # One thread per connection: beyond the limit, connections are closed at once rather than
        # letting idle or hostile clients exhaust threads and memory.
        self.max_connections = max_connections
        self._slots = threading.BoundedSemaphore(max_connections)
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            log.warning("connection limit (%d) reached: closing %s", self.max_connections, client_address)
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()


def tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    """A server TLS context (TLS 1.2+) from PEM files; UsageError when they do not load."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        ctx.load_cert_chain(str(cert), str(key))
    except (OSError, ssl.SSLError) as exc:
        raise UsageError(f"cannot load TLS certificate {cert} / key {key}: {exc}") from exc
    return ctx


def serve(
    policy: AdmissionPolicy, cert: Path, key: Path, address: tuple[str, int], fail_open: bool = False
) -> WebhookServer:
    """A started webhook server (serving in a daemon thread); call ``shutdown()`` to stop it."""
    server = make_server(policy, cert, key, address, fail_open)
    thread = threading.Thread(target=server.serve_forever, name="seawall-admission", daemon=True)
    thread.start()
    return server


def make_server(
    policy: AdmissionPolicy, cert: Path, key: Path, address: tuple[str, int], fail_open: bool = False
) -> WebhookServer:
    """The webhook server, bound but not yet serving."""
    ctx = tls_context(cert, key)
    try:
        return WebhookServer(address, Evaluator(policy, fail_open), ctx)
    except OSError as exc:
        raise UsageError(f"cannot listen on {address[0]}:{address[1]}: {exc.strerror or exc}") from exc
