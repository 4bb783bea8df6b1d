"""Container registry configuration checks (REG*): the CNCF distribution (docker-registry) config.yml.

The object is the parsed config file; `seawall config` detects it by its ``version`` plus ``storage``
and ``http`` sections.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from seawall.misconfig.checks.dockerfile import looks_secret
from seawall.misconfig.checks.kube import get, items, mapping
from seawall.misconfig.model import ConfigObject, Evaluate, Hit, ScanContext
from seawall.misconfig.registry import check
from seawall.model import Severity

DOC = "https://distribution.github.io/distribution/about/configuration/"
_LOOPBACK = ("127.", "localhost", "[::1]", "::1")


def _reg_check(
    id: str, title: str, severity: Severity, description: str, remediation: str
) -> Callable[[Evaluate], Evaluate]:
    return check(id, title, severity, description, remediation, target="registry", references=[DOC])


def _loopback(addr: Any) -> bool:
    """True for addresses that only listen on loopback (``127.0.0.1:5000``, ``localhost:5000``)."""
    return isinstance(addr, str) and addr.startswith(_LOOPBACK)


def _tls(obj: ConfigObject) -> Mapping[str, Any]:
    return mapping(get(obj.data, "http", "tls"))


def _has_tls(obj: ConfigObject) -> bool:
    tls = _tls(obj)
    return bool(tls.get("certificate") or tls.get("letsencrypt"))


@_reg_check(
    "REG001",
    "Registry serves plain HTTP on a non-loopback address",
    Severity.HIGH,
    "Without http.tls, pulls, pushes and credentials travel in clear text and can be tampered with "
    "(unless a TLS-terminating proxy is the only way in).",
    "Configure http.tls (certificate and key, or letsencrypt), or bind http.addr to loopback behind a "
    "TLS proxy.",
)
def _reg001(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    addr = get(obj.data, "http", "addr")
    if not _has_tls(obj) and not _loopback(addr):
        yield Hit(f"http.addr {addr or '(default :5000)'} without http.tls", ("http",))


@_reg_check(
    "REG002",
    "Registry without authentication",
    Severity.HIGH,
    "Without an auth section anyone who reaches the registry can pull and push every repository.",
    "Configure auth (token, htpasswd or silly only for tests) or put an authenticating proxy in front.",
)
def _reg002(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    auth = mapping(mapping(obj.data).get("auth"))
    if not auth:
        yield Hit("no auth section: anonymous pull and push", ())
    elif "silly" in auth:
        yield Hit("auth: silly accepts any credentials (for development only)", ("auth", "silly"))


@_reg_check(
    "REG003",
    "htpasswd authentication over plain HTTP",
    Severity.HIGH,
    "Basic-auth passwords are sent with every request; without TLS they are readable on the network.",
    "Enable http.tls, or use token authentication behind TLS.",
)
def _reg003(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    if get(obj.data, "auth", "htpasswd") is not None and not _has_tls(obj):
        yield Hit("auth.htpasswd is configured without http.tls", ("auth", "htpasswd"))


@_reg_check(
    "REG004",
    "http.secret not set",
    Severity.MEDIUM,
    "Without http.secret each instance generates a random secret at start: upload state signed by one "
    "replica is rejected by another, and restarts break uploads in progress.",
    "Set http.secret to a long random value shared by all replicas (from a secret store).",
)
def _reg004(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    secret = get(obj.data, "http", "secret")
    if not secret:
        yield Hit("http.secret is not set", ("http",))
    elif isinstance(secret, str) and len(secret) < 16:
        yield Hit(f"http.secret is only {len(secret)} characters", ("http", "secret"))


@_reg_check(
    "REG005",
    "Debug endpoint exposed",
    Severity.MEDIUM,
    "http.debug serves expvar and pprof data (and Prometheus metrics); on a non-loopback address it "
    "leaks internals to the network.",
    "Bind http.debug.addr to 127.0.0.1 or remove it.",
)
def _reg005(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    addr = get(obj.data, "http", "debug", "addr")
    if addr and not _loopback(addr):
        yield Hit(f"http.debug.addr {addr} is reachable from the network", ("http", "debug", "addr"))


@_reg_check(
    "REG006",
    "TLS versions below 1.2 allowed",
    Severity.MEDIUM,
    "http.tls.minimumtls tls1.0 or tls1.1 accepts protocol versions with known weaknesses.",
    "Set http.tls.minimumtls: tls1.2 (or tls1.3).",
)
def _reg006(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    minimum = _tls(obj).get("minimumtls")
    if minimum in ("tls1.0", "tls1.1"):
        yield Hit(f"http.tls.minimumtls is {minimum}", ("http", "tls", "minimumtls"))


def _secret_paths(value: Any, path: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    if isinstance(value, Mapping):
        for key, child in value.items():
            if (
                isinstance(child, (str, int))
                and not isinstance(child, bool)
                and looks_secret(str(key), str(child))
            ):
                yield (*path, str(key)), str(key)
            elif isinstance(child, (Mapping, list)):
                yield from _secret_paths(child, (*path, str(key)))
    elif isinstance(value, list):
        for index, child in enumerate(value[:100]):
            yield from _secret_paths(child, (*path, index))


@_reg_check(
    "REG007",
    "Credential written in the registry config",
    Severity.HIGH,
    "Storage keys, proxy passwords and similar secrets in config.yml end up in backups, images and "
    "version control.",
    "Pass secrets through REGISTRY_* environment variables from a secret store (e.g. "
    "REGISTRY_STORAGE_S3_SECRETKEY).",
)
def _reg007(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for section in ("storage", "proxy", "redis", "auth", "notifications", "middleware"):
        for path, key in _secret_paths(mapping(obj.data).get(section), (section,)):
            yield Hit(f"{'.'.join(map(str, path))} holds a literal credential ({key})", path)


@_reg_check(
    "REG008",
    "Notification endpoint over plain HTTP",
    Severity.LOW,
    "Registry events (who pushed and pulled what) and any Authorization header sent to a http:// "
    "endpoint travel in clear text.",
    "Use an https:// endpoint URL.",
)
def _reg008(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for index, endpoint in enumerate(items(get(obj.data, "notifications", "endpoints"))):
        url = str(mapping(endpoint).get("url", ""))
        host = url.removeprefix("http://")
        if url.startswith("http://") and not host.startswith(_LOOPBACK):
            yield Hit(
                f"notification endpoint {url} is not HTTPS", ("notifications", "endpoints", index, "url")
            )


@_reg_check(
    "REG009",
    "Deletion enabled without token authentication",
    Severity.MEDIUM,
    "With storage.delete enabled, htpasswd (or no) authentication lets every user who can log in delete "
    "any manifest or blob: htpasswd has no per-repository or per-action rights.",
    "Disable storage.delete, or use token authentication (e.g. `seawall registry auth-server`) and "
    "grant delete only to the accounts that need it.",
)
def _reg009(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    delete = get(obj.data, "storage", "delete", "enabled")
    if delete is True and get(obj.data, "auth", "token") is None:
        yield Hit("storage.delete.enabled is true without auth.token", ("storage", "delete", "enabled"))


@_reg_check(
    "REG010",
    "Read-only maintenance mode left enabled",
    Severity.LOW,
    "storage.maintenance.readonly is meant for the duration of garbage collection; left on, every push "
    "fails, and it is often switched on to run garbage collection and forgotten (or garbage collection "
    "is run without it, which can delete blobs of pushes in progress).",
    "Enable read-only mode only while `registry garbage-collect` runs, then disable it again.",
)
def _reg010(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    enabled = get(obj.data, "storage", "maintenance", "readonly", "enabled")
    # A pull-through cache (proxy.remoteurl) never accepts pushes anyway: read-only is no misuse there.
    if enabled is True and not get(obj.data, "proxy", "remoteurl"):
        yield Hit(
            "storage.maintenance.readonly.enabled is true: pushes are refused",
            ("storage", "maintenance", "readonly", "enabled"),
        )
