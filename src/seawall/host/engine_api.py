"""Read the container engine through its Docker-compatible API: version, info, containers, images, execs.

The endpoint discovery and the unix-socket httpx client are those of the daemon image source
(:mod:`seawall.artifact.daemon`); this module only adds bounded JSON reads.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from seawall.artifact.daemon import (
    DaemonError,
    Endpoint,
    check_response,
    check_socket,
    engine_client,
    engine_get,
    find_endpoint,
)
from seawall.artifact.options import SourceOptions

log = logging.getLogger(__name__)

MAX_BODY = 64 << 20  # a list of ten thousand containers is ~30 MB
MAX_CONTAINERS = 5000


@dataclass(frozen=True, slots=True)
class EngineState:
    """What the engine API said; ``error`` (one line) when it could not be read at all."""

    endpoint: str
    error: str = ""
    version: Mapping[str, Any] = field(default_factory=dict)
    info: Mapping[str, Any] = field(default_factory=dict)
    containers: tuple[Mapping[str, Any], ...] = ()  # inspect documents of running containers
    container_count: int = 0  # all containers, running or not
    images: tuple[Mapping[str, Any], ...] = ()
    execs: Mapping[str, tuple[Mapping[str, Any], ...]] = field(default_factory=dict)  # by container id
    warnings: tuple[str, ...] = ()

    @property
    def engine(self) -> str:
        """``podman`` or ``docker`` from the version components."""
        for comp in self.version.get("Components") or ():
            if isinstance(comp, Mapping) and "podman" in str(comp.get("Name", "")).lower():
                return "podman"
        return "docker" if self.version else ""


def endpoint_for(docker_host: str) -> Endpoint:
    """``--docker-host``/``$DOCKER_HOST``, else the Podman socket, else Docker's."""
    return find_endpoint(SourceOptions(cache_dir=Path("/nonexistent"), docker_host=docker_host), "podman")


def read_engine(endpoint: Endpoint, timeout: float = 30.0) -> EngineState:
    """Everything the section 5 and 6 controls need; never raises for an unreachable engine."""
    try:
        check_socket(endpoint)
        opts = SourceOptions(cache_dir=Path("/nonexistent"), timeout=timeout)
        with engine_client(endpoint, opts) as client:
            return _read(client, endpoint)
    except DaemonError as exc:
        return EngineState(str(endpoint), error=str(exc))


def _read(client: httpx.Client, endpoint: Endpoint) -> EngineState:
    version = _mapping(get_json(client, endpoint, "/version"))
    info = _mapping(get_json(client, endpoint, "/info"))
    listed = get_json(client, endpoint, "/containers/json?all=1")
    listed = [c for c in listed if isinstance(c, Mapping)] if isinstance(listed, list) else []
    warnings: list[str] = []
    running = [c for c in listed if c.get("State") == "running"]
    if len(running) > MAX_CONTAINERS:
        warnings.append(f"{len(running)} running containers: only the first {MAX_CONTAINERS} are audited")
        running = running[:MAX_CONTAINERS]
    inspected: list[Mapping[str, Any]] = []
    execs: dict[str, tuple[Mapping[str, Any], ...]] = {}
    for entry in running:
        cid = str(entry.get("Id", ""))
        try:
            doc = _mapping(get_json(client, endpoint, f"/containers/{quote(cid, safe='')}/json"))
        except DaemonError as exc:
            # A container removed between list and inspect is not an error of the audit.
            warnings.append(f"container {cid[:12]}: {exc}")
            continue
        inspected.append(doc)
        found = []
        for exec_id in doc.get("ExecIDs") or ():
            try:
                found.append(
                    _mapping(get_json(client, endpoint, f"/exec/{quote(str(exec_id), safe='')}/json"))
                )
            except DaemonError as exc:
                warnings.append(f"exec {str(exec_id)[:12]}: {exc}")
        execs[cid] = tuple(found)
    images = get_json(client, endpoint, "/images/json")
    return EngineState(
        str(endpoint),
        version=version,
        info=info,
        containers=tuple(inspected),
        container_count=len(listed),
        images=tuple(i for i in images if isinstance(i, Mapping)) if isinstance(images, list) else (),
        execs=execs,
        warnings=tuple(warnings),
    )


def get_json(client: httpx.Client, endpoint: Endpoint, path: str) -> Any:
    """GET ``path`` and decode its JSON body (at most MAX_BODY bytes); DaemonError otherwise."""
    with closing(engine_get(client, endpoint, path)) as resp:
        check_response(resp, endpoint, f"GET {path.split('?', 1)[0]}")
        body = bytearray()
        try:
            for chunk in resp.iter_bytes(1 << 20):
                body += chunk
                if len(body) > MAX_BODY:
                    raise DaemonError(f"GET {path} at {endpoint}: response larger than {MAX_BODY} bytes")
        except httpx.TransportError as exc:
            raise DaemonError(f"GET {path} at {endpoint}: {exc}") from exc
    try:
        return json.loads(bytes(body))
    except (ValueError, RecursionError) as exc:
        raise DaemonError(f"GET {path} at {endpoint}: response is not JSON") from exc


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def container_processes(ids: list[str], proc: Path = Path("/proc")) -> dict[str, tuple[str, ...]]:
    """Process names per container id, found through ``/proc/PID/cgroup`` (live host only)."""
    out: dict[str, list[str]] = {i: [] for i in ids}
    if not ids:
        return {}
    try:
        pids = [p for p in os.listdir(proc) if p.isdigit()]
    except OSError:
        return {}
    for pid in pids:
        try:
            cgroup = (proc / pid / "cgroup").read_text(errors="replace")
            comm = (proc / pid / "comm").read_text(errors="replace").strip()
        except OSError:
            continue
        for cid in ids:
            if cid and cid in cgroup:
                out[cid].append(comm)
                break
    return {k: tuple(v) for k, v in out.items()}


# Not "user": without userns remapping every container shares it (that is control 2.9, not 5.31).
NAMESPACES = ("net", "pid", "ipc", "uts")


def shared_namespaces(pid: int, proc: Path = Path("/proc")) -> tuple[str, ...]:
    """The namespaces process ``pid`` shares with the host's init process (live host only).

    The engine API does not always tell (Podman 4.3 reports ``IpcMode: shareable`` for ``--ipc host``);
    the namespace links in /proc do.
    """
    if pid <= 0:
        return ()
    shared = []
    for ns in NAMESPACES:
        try:
            theirs = os.readlink(proc / str(pid) / "ns" / ns)
        except OSError:
            continue
        if theirs == _host_namespace(proc, ns):
            shared.append(ns)
    return tuple(shared)


def _host_namespace(proc: Path, ns: str) -> str:
    # init's namespaces are the host's; where init is out of reach (a sandbox), Seawall's own are.
    for who in ("1", "self"):
        try:
            return os.readlink(proc / who / "ns" / ns)
        except OSError:
            continue
    return ""
