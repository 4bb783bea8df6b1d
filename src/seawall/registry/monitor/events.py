"""Activity records from the registry's notification envelopes and the auth server's audit log."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

log = logging.getLogger("seawall.registry")

ANONYMOUS = "<anonymous>"
MANIFEST_TYPES = frozenset(
    {
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v1+prettyjws",
        "application/vnd.docker.distribution.manifest.v1+json",
    }
)
MAX_EVENTS_PER_ENVELOPE = 10_000


@dataclass(frozen=True, slots=True)
class Activity:
    """One thing an account did: a manifest push/pull, a delete, a mount, or a token request."""

    time: float
    account: str
    action: str  # push, pull, delete, mount, auth_ok, auth_fail
    address: str = ""
    user_agent: str = ""
    repository: str = ""
    tag: str = ""
    digest: str = ""
    media_type: str = ""
    source: str = "registry"
    refused: str = ""  # auth_ok only: the asked scopes that were not granted


def _host(addr: str) -> str:
    """``127.0.0.1:43642`` or ``[::1]:5000`` without the port."""
    if addr.startswith("["):
        return addr[1:].split("]", 1)[0]
    host, sep, port = addr.rpartition(":")
    return host if sep and port.isdigit() and host.count(":") == 0 else addr


def parse_time(text: Any) -> float | None:
    """RFC 3339 (nanoseconds allowed) to epoch seconds; None when unparseable."""
    if not isinstance(text, str) or not text:
        return None
    t = text.strip().replace("Z", "+00:00")
    # Python parses at most microseconds: cut longer fractions.
    if "." in t:
        head, _, rest = t.partition(".")
        digits = len(rest) - len(rest.lstrip("0123456789"))
        t = f"{head}.{rest[: min(digits, 6)]}{rest[digits:]}"
    try:
        return datetime.fromisoformat(t).timestamp()
    except ValueError:
        return None


def _str(d: Any, key: str) -> str:
    v = d.get(key) if isinstance(d, dict) else None
    return v[:512] if isinstance(v, str) else ""


def from_notification(event: Any) -> Activity | None:
    """One registry event as Activity; blob events and malformed entries are None."""
    if not isinstance(event, dict):
        return None
    action = _str(event, "action")
    target = event.get("target") or {}
    media = _str(target, "mediaType")
    if action not in ("push", "pull", "delete", "mount"):
        return None
    # Blob pushes and pulls repeat their manifest's event once per layer: count manifests only.
    if action in ("push", "pull") and media not in MANIFEST_TYPES:
        return None
    when = parse_time(event.get("timestamp"))
    if when is None:
        return None
    request = event.get("request") or {}
    return Activity(
        time=when,
        account=_str(event.get("actor") or {}, "name") or ANONYMOUS,
        action=action,
        address=_host(_str(request, "addr")),
        user_agent=_str(request, "useragent"),
        repository=_str(target, "repository"),
        tag=_str(target, "tag"),
        digest=_str(target, "digest"),
        media_type=media,
    )


def parse_envelope(body: bytes) -> list[Activity]:
    """The activities in one ``{"events": [...]}`` envelope; ValueError when it is not JSON."""
    data = orjson.loads(body)
    events = data.get("events") if isinstance(data, dict) else None
    if not isinstance(events, list):
        raise ValueError("no events list")
    out = []
    for event in events[:MAX_EVENTS_PER_ENVELOPE]:
        act = from_notification(event)
        if act is not None:
            out.append(act)
    return out


def from_audit_line(line: bytes) -> Activity | None:
    """One auth-server audit record as Activity (``auth_ok`` or ``auth_fail``); None when unusable."""
    try:
        rec = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(rec, dict) or not isinstance(rec.get("time"), int | float):
        return None
    status = rec.get("status")
    subject = _str(rec, "subject")
    if status in (401, 429):
        action = "auth_fail"
    elif status == 200 and subject:
        action = "auth_ok"
    else:
        return None
    return Activity(
        time=float(rec["time"]),
        account=subject or ANONYMOUS,
        action=action,
        address=_str(rec, "address"),
        user_agent=_str(rec, "user_agent"),
        source="auth",
        refused=_str(rec, "reason") if action == "auth_ok" and rec.get("decision") != "grant" else "",
    )
