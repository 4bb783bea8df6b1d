"""The host snapshot the host checks evaluate: configuration files, daemon command lines, engine API state.

Collection happens once, here; the checks only read the snapshot (file ownership is read through
``fs`` when a check asks, since which files matter depends on the configuration).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seawall.host import configs
from seawall.host.configs import AuditRules, Parsed, Process
from seawall.host.engine_api import (
    EngineState,
    container_processes,
    endpoint_for,
    read_engine,
    shared_namespaces,
)
from seawall.host.fs import HostFS

log = logging.getLogger("seawall.host")

# /etc/docker alone is no marker: Debian's docker-registry package installs /etc/docker/registry.
DOCKER_MARKERS = (
    "/usr/bin/dockerd",
    "/etc/docker/daemon.json",
    "/var/lib/docker",
    "/run/docker.sock",
    "/lib/systemd/system/docker.service",
    "/usr/lib/systemd/system/docker.service",
)
PODMAN_MARKERS = ("/usr/bin/podman", "/etc/containers", "/var/lib/containers", "/run/podman/podman.sock")
RUNTIME_PACKAGES = frozenset(
    {
        "podman",
        "runc",
        "crun",
        "containerd",
        "containerd.io",
        "docker.io",
        "docker-ce",
        "moby-engine",
        "conmon",
    }
)


@dataclass(frozen=True, slots=True)
class HostSnapshot:
    """Everything collected about one container host."""

    fs: HostFS
    engines: frozenset[str]  # "docker", "podman": installed or running on the host
    daemon_json: Parsed
    containers_conf: Parsed
    storage_conf: Parsed
    registries_conf: Parsed
    audit: AuditRules
    processes: tuple[Process, ...]
    mounts: tuple[str, ...]
    mounts_source: str
    groups: Mapping[str, tuple[int, tuple[str, ...]]]
    packages: Mapping[str, str]  # Debian runtime packages -> installed version
    engine: EngineState | None = None  # None: no API was queried (offline --root audit)
    container_procs: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    container_ns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # id -> host namespaces shared
    notes: tuple[str, ...] = ()

    @property
    def live(self) -> bool:
        return self.fs.live

    def dockerd(self) -> Process | None:
        """The running dockerd, if any."""
        return next((p for p in self.processes if p.argv[0].rsplit("/", 1)[-1] == "dockerd"), None)

    def podman_service(self) -> Process | None:
        """The running ``podman system service``, if any."""
        return next((p for p in self.processes if p.argv[0].rsplit("/", 1)[-1] == "podman"), None)

    def docker_setting(self, key: str, *flags: str) -> tuple[Any, str]:
        """A dockerd setting: the command-line flag wins over daemon.json; returns (value, evidence)."""
        proc = self.dockerd()
        if proc is not None:
            values = configs.flag_values(proc.argv, *(flags or (f"--{key}",)))
            if values:
                shown = flags[0] if flags else f"--{key}"
                return (values if len(values) > 1 else values[0]), f"dockerd {shown} (pid {proc.pid})"
        if key in self.daemon_json.data:
            return self.daemon_json.data[key], f"{self.daemon_json.where}: {key}"
        return (
            None,
            f"{key} not set ({self.daemon_json.where if self.daemon_json.present else 'no daemon.json'})",
        )

    def docker_error(self, key: str, *flags: str) -> str:
        """daemon.json's error when ``key`` must come from it (not given on dockerd's command line)."""
        proc = self.dockerd()
        if proc is not None and configs.flag_values(proc.argv, *(flags or (f"--{key}",))):
            return ""
        return self.daemon_json.error

    def podman_setting(self, table: str, key: str) -> tuple[Any, str]:
        """A containers.conf setting (``[table] key``) with its evidence."""
        section = self.containers_conf.data.get(table)
        if isinstance(section, Mapping) and key in section:
            return section[key], f"{self.containers_conf.where}: [{table}] {key}"
        return None, f"[{table}] {key} not set ({self.containers_conf.where})"

    @property
    def podman_rootless(self) -> bool | None:
        """True for a rootless Podman (API ``Rootless`` or the service's owner); None when unknown."""
        if self.engine is not None and self.engine.engine == "podman" and "Rootless" in self.engine.info:
            return bool(self.engine.info["Rootless"])
        proc = self.podman_service()
        return None if proc is None else proc.uid != 0


def collect(root: Path | str = "/", docker_host: str = "", query_api: bool | None = None) -> HostSnapshot:
    """Collect the snapshot of the host at ``root``; the engine API is read for a live host or when
    ``docker_host`` is given."""
    fs = HostFS(root)
    use_api = fs.live or bool(docker_host) if query_api is None else query_api
    processes, proc_error = configs.find_processes(fs)
    notes = [proc_error] if proc_error else []
    engine: EngineState | None = None
    procs: dict[str, tuple[str, ...]] = {}
    namespaces: dict[str, tuple[str, ...]] = {}
    if use_api:
        endpoint = endpoint_for(docker_host)
        engine = read_engine(endpoint)
        if engine.error:
            log.warning("engine API: %s", engine.error)
        notes += engine.warnings
        if fs.live and endpoint.socket:
            procs = container_processes([str(c.get("Id", "")) for c in engine.containers])
            for c in engine.containers:
                state = c.get("State")
                pid = state.get("Pid") if isinstance(state, Mapping) else 0
                namespaces[str(c.get("Id", ""))] = shared_namespaces(pid if isinstance(pid, int) else 0)
    engines = set()
    if any(fs.exists(p) for p in DOCKER_MARKERS) or any(p.argv[0].endswith("dockerd") for p in processes):
        engines.add("docker")
    if any(fs.exists(p) for p in PODMAN_MARKERS) or any(p.argv[0].endswith("podman") for p in processes):
        engines.add("podman")
    if engine is not None and engine.engine:
        engines.add(engine.engine)
    dockerd = next((p for p in processes if p.argv[0].endswith("dockerd")), None)
    config_file = configs.flag_values(dockerd.argv, "--config-file") if dockerd else []
    mounts, mounts_source = configs.read_mounts(fs)
    # A rootless Podman user's own configuration (live audits run as that user).
    user_dir = ""
    if fs.live and os.geteuid() != 0:
        config_home = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
        user_dir = os.path.join(config_home, "containers")
    return HostSnapshot(
        fs=fs,
        engines=frozenset(engines),
        daemon_json=configs.read_daemon_json(fs, config_file[0] if config_file else configs.DAEMON_JSON),
        containers_conf=configs.read_containers_conf(fs, user_dir),
        storage_conf=configs.read_storage_conf(fs, user_dir),
        registries_conf=configs.read_registries_conf(fs, user_dir),
        audit=configs.read_audit_rules(fs),
        processes=processes,
        mounts=mounts,
        mounts_source=mounts_source,
        groups=configs.read_groups(fs),
        packages=configs.read_dpkg_versions(fs, RUNTIME_PACKAGES),
        engine=engine,
        container_procs=procs,
        container_ns=namespaces,
        notes=tuple(notes),
    )
