"""Container attribution: process -> cgroup -> container id -> Podman/Docker API metadata.

A process's cgroup path names its container (``/libpod_parent/libpod-<id>`` for Podman,
``/docker/<id>`` or ``docker-<id>.scope`` for Docker, ``cri-containerd-<id>`` ...). Metadata comes from
the Docker-compatible ``/containers/<id>/json`` endpoint and is cached; unknown ids are looked up
again after a short TTL, so a container that starts after the first event is picked up.
"""

from __future__ import annotations

import logging
import os
import re
import time
from pathlib import Path
from typing import Any

import httpx

from seawall.runtime.events import Event

log = logging.getLogger("seawall.runtime")

_CGROUP_ID = re.compile(
    r"(?:libpod-|docker-|cri-containerd-|crio-|/docker/|/)([0-9a-f]{64})(?:\.scope)?(?:/|$)"
)
DEFAULT_SOCKETS = ("/run/podman/podman.sock", "/var/run/docker.sock")
MISS_TTL = 5.0
MAX_CACHE = 4096


def container_id_from_cgroup(text: str) -> str | None:
    """The 64-hex container id in ``/proc/<pid>/cgroup`` content or a cgroup path, if any."""
    for line in text.splitlines() or [text]:
        path = line.rsplit(":", 1)[-1]
        m = _CGROUP_ID.search(path)
        if m:
            return m.group(1)
    return None


def split_image(image: str) -> tuple[str, str]:
    """``registry/app:tag`` -> (``registry/app``, ``tag``); digests and registry ports handled."""
    ref = image.split("@", 1)[0]
    slash, colon = ref.rfind("/"), ref.rfind(":")
    if colon > slash:
        return ref[:colon], ref[colon + 1 :]
    return ref, ("" if "@" in image else "latest")


def metadata_fields(inspect: dict[str, Any]) -> dict[str, Any]:
    """Falco ``container.*`` / ``k8s.*`` fields from a Docker-compatible inspect object."""
    cfg = inspect.get("Config") or {}
    host = inspect.get("HostConfig") or {}
    image = str(cfg.get("Image") or inspect.get("ImageName") or "")
    repo, tag = split_image(image)
    labels = cfg.get("Labels") or {}
    mounts = [
        [
            str(m.get("Source", "")),
            str(m.get("Destination", "")),
            str(m.get("Mode", "")),
            bool(m.get("RW", False)),
            str(m.get("Propagation", "")),
        ]
        for m in inspect.get("Mounts") or []
        if isinstance(m, dict)
    ]
    full_id = str(inspect.get("Id", ""))
    out: dict[str, Any] = {
        "container.id": full_id[:12],
        "container.full_id": full_id,
        "container.name": str(inspect.get("Name", "")).lstrip("/"),
        "container.image": image,
        "container.image.repository": repo,
        "container.image.tag": tag,
        "container.image.id": str(inspect.get("Image", "")).removeprefix("sha256:"),
        "container.privileged": bool(host.get("Privileged", False)),
        "container.host_network": host.get("NetworkMode") == "host",
        "container.host_pid": host.get("PidMode") == "host",
        "container.host_ipc": host.get("IpcMode") == "host",
        "container.mount_list": mounts,
        "container.mounts": ",".join(":".join(str(x) for x in m) for m in mounts),
        "container.type": "podman"
        if "podman" in str(inspect.get("Driver", "")) or "ImageName" in inspect
        else "docker",
    }
    if isinstance(labels, dict):
        if "io.kubernetes.pod.name" in labels:
            out["k8s.pod.name"] = labels["io.kubernetes.pod.name"]
        if "io.kubernetes.pod.namespace" in labels:
            out["k8s.ns.name"] = labels["io.kubernetes.pod.namespace"]
        out["k8s.pod.labels_map"] = labels
    return out


class ContainerResolver:
    """Fills ``container.*`` fields of an event from its process's cgroup and the container API."""

    def __init__(self, socket_path: str | None = None, proc_root: Path = Path("/proc")) -> None:
        self.proc_root = proc_root
        path = socket_path or next((s for s in DEFAULT_SOCKETS if os.path.exists(s)), None)
        self._client: httpx.Client | None = None
        if path is not None:
            self._client = httpx.Client(
                transport=httpx.HTTPTransport(uds=path), timeout=2.0, base_url="http://d"
            )
        self._meta: dict[str, dict[str, Any]] = {}
        self._misses: dict[str, float] = {}
        self._pid_cid: dict[int, str | None] = {}

    def container_of_pid(self, pid: int) -> str | None:
        """The full container id of ``pid``, or None for a host process (cached per pid)."""
        if pid in self._pid_cid:
            return self._pid_cid[pid]
        try:
            text = (self.proc_root / str(pid) / "cgroup").read_text()
        except OSError:
            return None
        cid = container_id_from_cgroup(text)
        if len(self._pid_cid) > 65536:
            self._pid_cid.clear()
        self._pid_cid[pid] = cid
        return cid

    def forget_pid(self, pid: int) -> None:
        """Drop a pid from the cache (the process exited)."""
        self._pid_cid.pop(pid, None)

    def metadata(self, cid: str) -> dict[str, Any]:
        """Container fields for ``cid`` from the API (cached; misses retried after a TTL)."""
        meta = self._meta.get(cid)
        if meta is not None:
            return meta
        base: dict[str, Any] = {"container.id": cid[:12], "container.full_id": cid}
        if self._client is None or time.monotonic() - self._misses.get(cid, -MISS_TTL) < MISS_TTL:
            return base
        try:
            resp = self._client.get(f"/v1.41/containers/{cid}/json")
            if resp.status_code == 200:
                meta = metadata_fields(resp.json())
                if len(self._meta) > MAX_CACHE:
                    self._meta.clear()
                self._meta[cid] = meta
                return meta
        except (httpx.HTTPError, ValueError) as exc:
            log.debug("container API: %s", exc)
        self._misses[cid] = time.monotonic()
        return base

    def enrich(self, event: Event) -> None:
        """Add container fields to ``event`` (``container.id=host`` for host processes)."""
        cid = event.get("container.full_id")
        if cid is None:
            cgroup_path = event.get("_cgroup_path")
            if isinstance(cgroup_path, str):
                cid = container_id_from_cgroup(cgroup_path)
            else:
                pid = event.get("proc.pid")
                cid = self.container_of_pid(pid) if isinstance(pid, int) else None
        if cid is None:
            event.setdefault("container.id", "host")
            event.setdefault("container.name", "host")
            return
        event.update(self.metadata(cid))
