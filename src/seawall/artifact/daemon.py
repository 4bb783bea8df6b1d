"""Export an image from a Docker-compatible Engine API (Docker, Podman) as a docker-archive file."""

from __future__ import annotations

import json
import logging
import os
import stat
import tempfile
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx

from seawall.artifact.httpclient import make_client
from seawall.artifact.options import SourceOptions
from seawall.errors import ArtifactError, UsageError

log = logging.getLogger(__name__)

DOCKER_SOCKET = "/var/run/docker.sock"
PODMAN_SOCKETS = ("/run/podman/podman.sock",)
CHUNK = 1 << 20
MAX_ERROR_BODY = 64 << 10


class DaemonError(ArtifactError):
    """The container engine could not be reached or refused a request."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where the Engine API listens: a unix socket path, or an http base URL for ``tcp://``."""

    socket: str = ""
    url: str = ""

    def __str__(self) -> str:
        return f"unix://{self.socket}" if self.socket else self.url


def find_endpoint(opts: SourceOptions, engine: str = "docker") -> Endpoint:
    """``opts.docker_host``, else ``$DOCKER_HOST``, else the engine's default socket(s)."""
    configured = opts.docker_host or os.environ.get("DOCKER_HOST", "")
    if configured:
        return parse_host(configured)
    candidates: list[str] = []
    if engine == "podman":
        candidates += PODMAN_SOCKETS
        runtime_dir = os.environ.get("XDG_RUNTIME_DIR")
        if runtime_dir:
            candidates.append(f"{runtime_dir}/podman/podman.sock")
    candidates.append(DOCKER_SOCKET)
    for candidate in candidates:
        if os.path.exists(candidate):
            return Endpoint(socket=candidate)
    return Endpoint(socket=candidates[0])


def parse_host(host: str) -> Endpoint:
    """``unix:///path``, ``tcp://host:port`` (plain HTTP) or a bare socket path."""
    if host.startswith("unix://"):
        path = host.removeprefix("unix://")
        if not path:
            raise UsageError(f"invalid docker host {host!r}: no socket path")
        return Endpoint(socket=path)
    if host.startswith(("tcp://", "http://")):
        rest = host.split("://", 1)[1].rstrip("/")
        if not rest:
            raise UsageError(f"invalid docker host {host!r}: no address")
        return Endpoint(url=f"http://{rest}")
    if host.startswith("/"):
        return Endpoint(socket=host)
    raise UsageError(f"unsupported docker host {host!r}: use unix:///path/to.sock or tcp://host:port")


def export_daemon_image(name: str, opts: SourceOptions, engine: str = "docker") -> Path:
    """Save image ``name`` from the engine to a docker-archive temp file in ``opts.tmp_dir``.

    The caller opens it as a docker-archive and deletes it after the scan.
    """
    if not name or any(c in name for c in "?#\0\n") or name.startswith("/"):
        raise UsageError(f"invalid image name {name!r}")
    endpoint = find_endpoint(opts, engine)
    check_socket(endpoint)
    quoted = quote(name, safe="/:@")
    with engine_client(endpoint, opts) as client:
        with closing(engine_get(client, endpoint, f"/images/{quoted}/json")) as info:
            if info.status_code == 404:
                raise DaemonError(f"image {name} not found in the {engine} daemon at {endpoint}")
            check_response(info, endpoint, f"inspecting image {name}")
        fd, tmp_name = tempfile.mkstemp(prefix="daemon-", suffix=".tar", dir=opts.tmp_dir)
        tmp = Path(tmp_name)
        try:
            with (
                os.fdopen(fd, "wb") as out,
                closing(engine_get(client, endpoint, f"/images/{quoted}/get")) as resp,
            ):
                check_response(resp, endpoint, f"exporting image {name}")
                for chunk in resp.iter_bytes(CHUNK):
                    out.write(chunk)
        except httpx.TransportError as exc:
            tmp.unlink(missing_ok=True)
            raise DaemonError(f"exporting {name} from {endpoint} failed: {_short(exc)}") from exc
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise ArtifactError(f"cannot write the export of {name} to {opts.tmp_dir}: {exc}") from exc
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    log.debug("exported %s from %s to %s", name, endpoint, tmp)
    return tmp


def check_socket(endpoint: Endpoint) -> None:
    if not endpoint.socket:
        return
    path = endpoint.socket
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise DaemonError(
            f"no daemon socket at {path} (is the daemon running? set --docker-host or DOCKER_HOST)"
        ) from None
    except OSError as exc:
        raise DaemonError(f"cannot use daemon socket {path}: {exc.strerror}") from exc
    if not stat.S_ISSOCK(st.st_mode):
        raise DaemonError(f"{path} is not a unix socket")
    if not os.access(path, os.R_OK | os.W_OK):
        raise DaemonError(f"permission denied on daemon socket {path} (are you in the docker group?)")


def engine_client(endpoint: Endpoint, opts: SourceOptions) -> httpx.Client:
    if endpoint.socket:
        # The host name is ignored on a unix socket; "docker" reads well in debug logs.
        return make_client(
            timeout=opts.timeout,
            transport=httpx.HTTPTransport(uds=endpoint.socket),
            base_url="http://docker",
            follow_redirects=False,
        )
    return make_client(timeout=opts.timeout, base_url=endpoint.url, follow_redirects=False)


def engine_get(client: httpx.Client, endpoint: Endpoint, path: str) -> httpx.Response:
    try:
        return client.send(client.build_request("GET", path), stream=True)
    except httpx.TransportError as exc:
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, PermissionError) or "Permission denied" in str(exc):
            raise DaemonError(f"permission denied on daemon socket {endpoint}") from exc
        raise DaemonError(f"cannot reach the daemon at {endpoint}: {_short(exc)}") from exc


def check_response(resp: httpx.Response, endpoint: Endpoint, what: str) -> None:
    if resp.status_code == 200:
        return
    message = ""
    try:
        body = bytearray()
        for chunk in resp.iter_bytes(CHUNK):
            body += chunk
            if len(body) > MAX_ERROR_BODY:
                break
        data = json.loads(bytes(body))
        if isinstance(data, dict):
            message = str(data.get("message", ""))[:300]
    except Exception:
        pass
    detail = f": {message}" if message else ""
    raise DaemonError(f"{what} at {endpoint}: HTTP {resp.status_code}{detail}")


def _short(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:300]
