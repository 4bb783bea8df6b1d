"""Build host filesystem fixtures for ``seawall host --root``: a hardened and a misconfigured host.

Files get real owners and modes (the tests run as root), the Docker socket is a real unix socket,
and dockerd's command line sits in ``proc/PID/cmdline`` as on a live host.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any

HARDENED_DAEMON_JSON: dict[str, Any] = {
    "icc": False,
    "log-level": "info",
    "userns-remap": "default",
    "authorization-plugins": ["authz-broker"],
    "log-driver": "syslog",
    "no-new-privileges": True,
    "live-restore": True,
    "userland-proxy": False,
    "default-ulimits": {"nofile": {"Name": "nofile", "Hard": 64000, "Soft": 64000}},
    "hosts": ["unix:///run/docker.sock", "tcp://0.0.0.0:2376"],
    "tlsverify": True,
    "tlscacert": "/etc/docker/tls/ca.pem",
    "tlscert": "/etc/docker/tls/server.pem",
    "tlskey": "/etc/docker/tls/server-key.pem",
    "seccomp-profile": "/etc/docker/seccomp.json",
}

BAD_DAEMON_JSON: dict[str, Any] = {
    "icc": True,
    "log-level": "debug",
    "iptables": False,
    "insecure-registries": ["127.0.0.0/8", "registry.local:5000"],
    "storage-driver": "aufs",
    "experimental": True,
    "cgroup-parent": "/custom",
    "storage-opts": ["dm.basesize=20G"],
    "seccomp-profile": "unconfined",
    "tlscacert": "/etc/docker/tls/ca.pem",
    "tlskey": "/etc/docker/tls/server-key.pem",
}

HARDENED_AUDIT_RULES = """\
## docker and podman (CIS Docker 1.1.x)
-w /usr/bin/dockerd -k docker
-w /usr/bin/podman -k docker
-w /var/lib/docker -k docker
-w /var/lib/containers -k docker
-w /etc/docker -k docker
-w /etc/containers -k docker
-w /lib/systemd/system/docker.service -k docker
-w /lib/systemd/system/docker.socket -k docker
-w /etc/docker/daemon.json -k docker
-w /etc/containers/containers.conf -k docker
-w /usr/bin/containerd -k docker
-a always,exit -F path=/usr/bin/runc -F perm=x -k docker
"""


def put(root: Path, path: str, text: str = "", mode: int = 0o644, owner: tuple[int, int] = (0, 0)) -> Path:
    """Write host file ``path`` under ``root`` with this mode and owner."""
    local = root / path.lstrip("/")
    local.parent.mkdir(parents=True, exist_ok=True)
    local.write_text(text)
    os.chown(local, *owner)
    local.chmod(mode)
    return local


def directory(root: Path, path: str, mode: int = 0o755, owner: tuple[int, int] = (0, 0)) -> Path:
    local = root / path.lstrip("/")
    local.mkdir(parents=True, exist_ok=True)
    os.chown(local, *owner)
    local.chmod(mode)
    return local


def unix_socket(root: Path, path: str, mode: int, owner: tuple[int, int]) -> Path:
    """A real unix socket file (bound, then closed: the file stays)."""
    local = root / path.lstrip("/")
    local.parent.mkdir(parents=True, exist_ok=True)
    cwd = os.getcwd()
    os.chdir(local.parent)  # a relative bind keeps long tmp paths under the 108-byte limit
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.bind(local.name)
    finally:
        os.chdir(cwd)
    os.chown(local, *owner)
    local.chmod(mode)
    return local


def _common(root: Path) -> None:
    for binary in ("/usr/bin/dockerd", "/usr/bin/podman", "/usr/bin/runc", "/usr/bin/containerd"):
        put(root, binary, "#!/bin/false\n", 0o755)
    directory(root, "/var/lib/docker", 0o710)
    directory(root, "/var/lib/containers/storage", 0o700)
    put(root, "/etc/os-release", 'ID=debian\nVERSION_ID="12"\n')


def hardened_host(root: Path) -> Path:
    """A host where every section 1-3 control passes or does not apply."""
    _common(root)
    directory(root, "/etc/docker", 0o755)
    put(root, "/etc/docker/daemon.json", json.dumps(HARDENED_DAEMON_JSON, indent=2))
    directory(root, "/etc/docker/tls", 0o755)
    put(root, "/etc/docker/tls/ca.pem", "CA\n", 0o444)
    put(root, "/etc/docker/tls/server.pem", "CERT\n", 0o444)
    put(root, "/etc/docker/tls/server-key.pem", "KEY\n", 0o400)
    put(root, "/lib/systemd/system/docker.service", "[Service]\nExecStart=/usr/bin/dockerd\n", 0o644)
    put(root, "/lib/systemd/system/docker.socket", "[Socket]\nListenStream=/run/docker.sock\n", 0o644)
    put(root, "/etc/group", "root:x:0:\ndocker:x:999:\n")
    unix_socket(root, "/run/docker.sock", 0o660, (0, 999))
    put(root, "/etc/fstab", "/dev/vda1 / ext4 defaults 0 1\n/dev/vdb1 /var/lib/docker ext4 defaults 0 2\n"
        "/dev/vdc1 /var/lib/containers ext4 defaults 0 2\n")  # fmt: skip
    put(root, "/etc/audit/rules.d/docker.rules", HARDENED_AUDIT_RULES, 0o640)
    put(root, "/proc/4242/cmdline", "/usr/bin/dockerd\0--containerd=/run/containerd/containerd.sock\0")
    directory(root, "/etc/containers", 0o755)
    put(
        root,
        "/etc/containers/containers.conf",
        '[containers]\nno_new_privileges = true\nuserns = "auto"\nlog_driver = "journald"\n'
        'default_ulimits = ["nofile=1024:2048"]\nseccomp_profile = "/usr/share/containers/seccomp.json"\n',
    )
    put(
        root,
        "/etc/containers/storage.conf",
        '[storage]\ndriver = "overlay"\ngraphroot = "/var/lib/containers/storage"\n',
    )
    put(root, "/etc/containers/registries.conf", 'unqualified-search-registries = ["registry.example.com"]\n')
    return root


def bad_host(root: Path) -> Path:
    """A host where the section 1-3 controls fail."""
    _common(root)
    directory(root, "/etc/docker", 0o777)
    put(root, "/etc/docker/daemon.json", json.dumps(BAD_DAEMON_JSON), 0o666, (1000, 1000))
    directory(root, "/etc/docker/tls", 0o755)
    put(root, "/etc/docker/tls/ca.pem", "CA\n", 0o666)
    put(root, "/etc/docker/tls/server-key.pem", "KEY\n", 0o644)
    put(root, "/lib/systemd/system/docker.service", "[Service]\n", 0o664)
    put(root, "/lib/systemd/system/docker.socket", "[Socket]\n", 0o644, (1000, 0))
    put(root, "/etc/group", "root:x:0:\ndocker:x:999:alice,bob\n")
    unix_socket(root, "/run/docker.sock", 0o666, (0, 999))
    unix_socket(root, "/run/podman/podman.sock", 0o660, (0, 999))  # group-writable by docker: not root:root
    put(root, "/etc/fstab", "/dev/vda1 / ext4 defaults 0 1\n")
    put(root, "/proc/4242/cmdline", "/usr/bin/dockerd\0-H\0tcp://0.0.0.0:2375\0")
    directory(root, "/etc/containers", 0o755)
    put(root, "/etc/containers/containers.conf", "[containers]\nno_new_privileges = false\n")
    put(root, "/etc/containers/storage.conf", '[storage]\ndriver = "overlay"\n')
    put(
        root,
        "/etc/containers/registries.conf",
        'unqualified-search-registries = ["docker.io", "quay.io"]\n\n'
        '[[registry]]\nlocation = "registry.local:5000"\ninsecure = true\n',
    )
    return root
