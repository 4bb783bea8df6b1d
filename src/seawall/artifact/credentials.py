"""Registry credentials: explicit flags first, then the Docker client's ``config.json``."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seawall.artifact.reference import DOCKER_HUB

log = logging.getLogger(__name__)

MAX_CONFIG_SIZE = 4 << 20  # a Docker config is a few KiB; refuse to read something absurd
DOCKER_HUB_KEYS = ("https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io")


@dataclass(frozen=True, slots=True)
class Credentials:
    """A username and password (or identity token) for one registry."""

    username: str
    password: str

    def __repr__(self) -> str:  # never print a secret by accident
        return f"Credentials(username={self.username!r}, password='***')"


def docker_config_path() -> Path:
    """``$DOCKER_CONFIG/config.json``, else ``~/.docker/config.json``."""
    env = os.environ.get("DOCKER_CONFIG")
    base = Path(env) if env else Path.home() / ".docker"
    return base / "config.json"


def find_credentials(registry: str, username: str = "", password: str = "") -> Credentials | None:
    """The credentials to use for ``registry``: the given pair if any, else the Docker config's entry."""
    if username or password:
        return Credentials(username, password)
    return credentials_from_config(docker_config_path(), registry)


def credentials_from_config(path: Path, registry: str) -> Credentials | None:
    """Look ``registry`` up in a Docker ``config.json`` (``auths``); helpers are skipped with a warning."""
    config = _load(path)
    if config is None:
        return None
    keys = DOCKER_HUB_KEYS if registry == DOCKER_HUB else (registry,)
    helpers = config.get("credHelpers")
    if isinstance(helpers, dict) and any(k in helpers for k in keys):
        log.warning(
            "%s: credential helper for %s is not supported; pass --username/--password", path, registry
        )
    auths = config.get("auths")
    if isinstance(auths, dict):
        for key, entry in auths.items():
            if key in keys or _host_of(str(key)) in keys:
                creds = _entry_credentials(entry, path, str(key))
                if creds is not None:
                    return creds
    if config.get("credsStore"):
        log.warning(
            "%s: credsStore %r is not supported; pass --username/--password",
            path,
            str(config.get("credsStore")),
        )
    return None


def _load(path: Path) -> dict[str, Any] | None:
    try:
        size = path.stat().st_size
    except OSError:
        return None
    if size > MAX_CONFIG_SIZE:
        log.warning("%s: larger than %d bytes, ignored", path, MAX_CONFIG_SIZE)
        return None
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError) as exc:
        log.warning("%s: not readable as JSON, ignored (%s)", path, exc)
        return None
    if not isinstance(data, dict):
        log.warning("%s: not a JSON object, ignored", path)
        return None
    return data


def _host_of(key: str) -> str:
    """``https://host:5000/v1/`` -> ``host:5000`` (config keys are sometimes URLs)."""
    host = key.split("://", 1)[-1]
    return host.split("/", 1)[0]


def _entry_credentials(entry: Any, path: Path, key: str) -> Credentials | None:
    if not isinstance(entry, dict):
        return None
    auth = entry.get("auth")
    if isinstance(auth, str) and auth:
        try:
            decoded = base64.b64decode(auth, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            log.warning("%s: auths[%r].auth is not valid base64, ignored", path, key)
            return None
        user, sep, password = decoded.partition(":")
        if not sep:
            log.warning("%s: auths[%r].auth is not 'user:password', ignored", path, key)
            return None
        return Credentials(user, password)
    name, secret = entry.get("username"), entry.get("password")
    if isinstance(name, str) and isinstance(secret, str) and name:
        return Credentials(name, secret)
    if entry.get("identitytoken"):
        # An OAuth2 refresh token (Azure ACR, Docker Desktop): not exchanged by Seawall.
        log.warning("%s: auths[%r] holds an identity token, which is not supported; ignored", path, key)
    return None
