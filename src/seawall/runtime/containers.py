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
CGROUP2_ROOTS = (Path("/sys/fs/cgroup/unified"), Path("/sys/fs/cgroup"))
EXEC_TYPES = frozenset({"execve", "execveat"})
MISS_TTL = 1.0
URGENT_RETRIES = 20
LIST_INTERVAL = 0.1  # a new container is listed within this long of its first write
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
    upper = _dig_str(inspect, "GraphDriver", "Data", "UpperDir")
    merged = _dig_str(inspect, "GraphDriver", "Data", "MergedDir")
    if upper and merged:
        out["_layers"] = (upper, merged)
    return out


def resolve_in_root(root: str, path: str, max_links: int = 40) -> str | None:
    """Resolve symlinks in ``path`` as the container sees it (absolute links stay inside ``root``)."""
    parts = [p for p in path.split("/") if p and p != "."]
    done: list[str] = []
    links = 0
    while parts:
        part = parts.pop(0)
        if part == "..":
            if done:
                done.pop()
            continue
        candidate = os.path.join(root, *done, part)
        if os.path.islink(candidate):
            links += 1
            if links > max_links:
                return None
            target = os.readlink(candidate)
            if target.startswith("/"):
                done = []
            parts = [p for p in target.split("/") if p and p != "."] + parts
            continue
        done.append(part)
    return "/" + "/".join(done)


def exe_in_upper_layer(layers: tuple[str, str], exe: str) -> bool:
    """Falco's ``proc.is_exe_upper_layer``: the executable was written in the container's own layer."""
    upper, merged = layers
    real = resolve_in_root(merged, exe)
    if real is None or real == "/":
        return False
    candidate = upper + real
    return os.path.lexists(candidate) and not os.path.isdir(candidate)


def _dig_str(obj: Any, *keys: str) -> str | None:
    for k in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(k)
    return obj if isinstance(obj, str) else None


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
        self._misses: dict[str, tuple[float, int]] = {}
        self._incomplete: dict[str, tuple[float, int]] = {}
        self._running: list[str] = []
        self._listed = -LIST_INTERVAL
        self._pid_cid: dict[int, str | None] = {}
        self._cgroup_ids: dict[int, str] = {}
        self._cgroup_scan = 0.0

    def _scan_cgroups(self) -> None:
        """Map cgroup v2 directory inodes (bpftrace's ``cgroup``) to container ids."""
        self._cgroup_scan = time.monotonic()
        found: dict[int, str] = {}
        for root in CGROUP2_ROOTS:
            if not root.is_dir():
                continue
            for dirpath, dirnames, _ in os.walk(root):
                if dirpath.count("/") - str(root).count("/") >= 4:
                    dirnames.clear()
                cid = container_id_from_cgroup(dirpath)
                if cid is not None:
                    try:
                        found[os.stat(dirpath).st_ino] = cid
                    except OSError:
                        continue
        self._cgroup_ids = found

    def container_of_cgroup_id(self, cgroup_id: int) -> str | None:
        """The container whose cgroup directory has inode ``cgroup_id`` (rescans at most once a second)."""
        cid = self._cgroup_ids.get(cgroup_id)
        if cid is None and time.monotonic() - self._cgroup_scan > 1.0:
            self._scan_cgroups()
            cid = self._cgroup_ids.get(cgroup_id)
        return cid

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

    def container_of_file(self, dev: int, ino: int, path: str) -> str | None:
        """The running container whose upper layer holds this file (device and inode must match).

        fanotify reports an overlay write as the real file in the container's upper dir, reached
        through a mount private to that overlay. Known containers are checked with one ``stat``
        each; the running list is refreshed from the API at most ten times a second.
        """
        for attempt in range(2):
            for full in self._running:
                if self._holds(full, path, dev, ino):
                    return full
            if attempt or time.monotonic() - self._listed < LIST_INTERVAL:
                break
            self._refresh_running()
        return None

    def _holds(self, cid: str, path: str, dev: int, ino: int) -> bool:
        layers = (self._meta.get(cid) or {}).get("_layers")
        if not layers:
            return False
        try:
            st = os.stat(layers[0] + path, follow_symlinks=False)
        except OSError:
            return False
        return (st.st_dev, st.st_ino) == (dev, ino)

    def _refresh_running(self) -> None:
        self._listed = time.monotonic()
        if self._client is None:
            return
        try:
            resp = self._client.get("/v1.41/containers/json")
            listing = resp.json() if resp.status_code == 200 else []
        except (httpx.HTTPError, ValueError):
            return
        running: list[str] = []
        for item in listing if isinstance(listing, list) else []:
            full = str(item.get("Id", "")) if isinstance(item, dict) else ""
            meta = self._meta.get(full)
            if meta is None or "_layers" not in meta:
                meta = self._fetch(full)
                if meta is None:
                    continue
                self._meta[full] = meta
            running.append(full)
        self._running = running

    def forget_pid(self, pid: int) -> None:
        """Drop a pid from the cache (the process exited)."""
        self._pid_cid.pop(pid, None)

    def metadata(self, cid: str, urgent: bool = False) -> dict[str, Any]:
        """Container fields for ``cid`` from the API (cached; misses retried after a TTL).

        ``urgent`` re-inspects a container whose overlay directories were not known yet at once
        (an exec needs them for ``proc.is_exe_upper_layer``), within the same bounded retry budget.
        """
        meta = self._meta.get(cid)
        if meta is not None:
            retry = self._incomplete.get(cid)
            if retry is None or (time.monotonic() < retry[0] and not urgent):
                return meta
            # Inspected while still being created: the overlay dirs appear once it runs.
            self._incomplete[cid] = (
                (time.monotonic() + 0.5, retry[1] - 1) if retry[1] > 1 else (float("inf"), 0)
            )
            fresh = self._fetch(cid)
            if fresh is not None:
                self._meta[cid] = fresh
                if "_layers" in fresh:
                    del self._incomplete[cid]
                return fresh
            return meta
        base: dict[str, Any] = {"container.id": cid[:12], "container.full_id": cid}
        last, budget = self._misses.get(cid, (-MISS_TTL, URGENT_RETRIES))
        if urgent and budget > 0:
            # An exec in a container podman has not finished registering: ask again now, not in a
            # second, or the shell it starts is reported without its container's name.
            self._misses[cid] = (last, budget - 1)
        elif self._client is None or time.monotonic() - last < MISS_TTL:
            return base
        meta = self._fetch(cid)
        if meta is None:
            if len(self._misses) > MAX_CACHE:
                self._misses.clear()
            self._misses[cid] = (time.monotonic(), self._misses.get(cid, (0.0, URGENT_RETRIES))[1])
            return base
        if len(self._meta) > MAX_CACHE:
            self._meta.clear()
            self._incomplete.clear()
        self._meta[cid] = meta
        if "_layers" not in meta:
            self._incomplete[cid] = (time.monotonic() + 0.5, 10)
        return meta

    def _fetch(self, cid: str) -> dict[str, Any] | None:
        if self._client is None:
            return None
        try:
            resp = self._client.get(f"/v1.41/containers/{cid}/json")
            if resp.status_code == 200:
                return metadata_fields(resp.json())
        except (httpx.HTTPError, ValueError) as exc:
            log.debug("container API: %s", exc)
        return None

    def enrich(self, event: Event) -> None:
        """Add container fields to ``event`` (``container.id=host`` for host processes)."""
        cid = event.get("container.full_id")
        if cid is None:
            cgroup_id = event.pop("_cgroup_id", None)
            if isinstance(cgroup_id, int) and cgroup_id > 1:
                cid = self.container_of_cgroup_id(cgroup_id)
            if cid is None:
                pid = event.get("proc.pid")
                cid = self.container_of_pid(pid) if isinstance(pid, int) else None
            ident = event.pop("_file", None)
            path = event.get("fd.name")
            if cid is None and isinstance(ident, tuple) and len(ident) == 2 and isinstance(path, str):
                cid = self.container_of_file(int(ident[0]), int(ident[1]), path)
        if cid is None:
            event.setdefault("container.id", "host")
            event.setdefault("container.name", "host")
            return
        meta = self.metadata(cid, urgent=event.get("evt.type") in EXEC_TYPES)
        event.update(meta)
        layers = event.pop("_layers", None)
        if layers is not None and event.get("evt.type") in EXEC_TYPES:
            exe = event.get("proc.exepath")
            if isinstance(exe, str) and exe.startswith("/"):
                event["proc.is_exe_upper_layer"] = exe_in_upper_layer(layers, exe)
