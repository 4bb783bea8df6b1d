"""Host checks of CIS Docker 1.6 sections 1 and 3: the data partition, audit rules, and ownership and
permissions of the engines' files, sockets and certificates."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from seawall.host.fs import FileStat, unique
from seawall.host.snapshot import HostSnapshot
from seawall.misconfig.checks.host import (
    ERROR,
    FAIL,
    PASS,
    WARN,
    HostFn,
    Outcome,
    host_check,
    not_applicable,
)
from seawall.model import Severity

# ---------------------------------------------------------------------------------------------------
# Section 1: host configuration

DATA_ROOTS = {"docker": "/var/lib/docker", "podman": "/var/lib/containers"}


@host_check(
    "HOST001",
    "1.1.1",
    "Container data root is not on a separate partition",
    Severity.LOW,
    "Images and containers fill the data root; on the root partition a full disk stops the host.",
    "Mount a dedicated partition (or logical volume) at the data root (/var/lib/docker, "
    "/var/lib/containers/storage or the configured graphroot).",
)
def host001(snap: HostSnapshot) -> Iterator[Outcome]:
    roots: list[tuple[str, str, str]] = []
    if "docker" in snap.engines:
        value, ev = snap.docker_setting("data-root")
        roots.append(("docker", str(value) if value else DATA_ROOTS["docker"], ev if value else "default"))
    if "podman" in snap.engines:
        storage = snap.storage_conf.data.get("storage")
        graph = storage.get("graphroot") if isinstance(storage, Mapping) else None
        roots.append(("podman", str(graph or "/var/lib/containers/storage"), snap.storage_conf.where))
    if not roots:
        yield not_applicable("1.1.1", "no Docker or Podman on this host")
        return
    if not snap.mounts:
        yield Outcome("1.1.1", ERROR, "no mount table found (/proc/self/mountinfo or /etc/fstab)", "", "host")
        return
    for engine, root, ev in roots:
        covering = max((m for m in snap.mounts if root == m or root.startswith(m.rstrip("/") + "/")), key=len)
        evidence = f"{snap.mounts_source}: {root} is on the mount {covering} (data root from {ev})"
        if covering != "/" and (root == covering or covering.startswith(DATA_ROOTS[engine])):
            yield Outcome("1.1.1", PASS, f"{root} is a separate mount", evidence, engine)
        else:
            yield Outcome("1.1.1", FAIL, f"{root} is not a separate partition", evidence, engine)


@host_check(
    "HOST002",
    "1.1.2",
    "Users in the docker group control the daemon",
    Severity.MEDIUM,
    "Members of the docker group can start privileged containers: they are root on the host.",
    "Keep only trusted administrators in the docker group (gpasswd -d USER docker).",
)
def host002(snap: HostSnapshot) -> Iterator[Outcome]:
    if "docker" not in snap.engines:
        yield not_applicable(
            "1.1.2", "Docker is not installed (Podman has no daemon group; rootful Podman is root-only)"
        )
        return
    _gid, members = snap.groups.get("docker", (-1, ()))
    if members:
        yield Outcome("1.1.2", WARN, f"docker group members: {', '.join(members)}", "/etc/group", "docker")
    else:
        yield Outcome("1.1.2", PASS, "the docker group has no members", "/etc/group", "docker")


# CIS 1.1.3-1.1.18: which host paths must be watched by auditd; Podman's equivalents share the control.
AUDITED: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("1.1.3", "HOST003", ("/usr/bin/dockerd", "/usr/bin/podman")),
    ("1.1.4", "HOST004", ("/run/containerd",)),
    ("1.1.5", "HOST005", ("/var/lib/docker", "/var/lib/containers")),
    ("1.1.6", "HOST006", ("/etc/docker", "/etc/containers")),
    (
        "1.1.7",
        "HOST007",
        (
            "/lib/systemd/system/docker.service",
            "/usr/lib/systemd/system/docker.service",
            "/lib/systemd/system/podman.service",
            "/usr/lib/systemd/system/podman.service",
        ),
    ),
    ("1.1.8", "HOST008", ("/run/containerd/containerd.sock",)),
    (
        "1.1.9",
        "HOST009",
        (
            "/lib/systemd/system/docker.socket",
            "/usr/lib/systemd/system/docker.socket",
            "/lib/systemd/system/podman.socket",
            "/usr/lib/systemd/system/podman.socket",
        ),
    ),
    ("1.1.10", "HOST010", ("/etc/default/docker",)),
    ("1.1.11", "HOST011", ("/etc/docker/daemon.json", "/etc/containers/containers.conf")),
    ("1.1.12", "HOST012", ("/etc/containerd/config.toml",)),
    ("1.1.13", "HOST013", ("/etc/sysconfig/docker",)),
    ("1.1.14", "HOST014", ("/usr/bin/containerd",)),
    ("1.1.15", "HOST015", ("/usr/bin/containerd-shim",)),
    ("1.1.16", "HOST016", ("/usr/bin/containerd-shim-runc-v1",)),
    ("1.1.17", "HOST017", ("/usr/bin/containerd-shim-runc-v2",)),
    ("1.1.18", "HOST018", ("/usr/bin/runc", "/usr/sbin/runc", "/usr/bin/crun", "/usr/bin/conmon")),
)


def _audit_fn(control: str, paths: tuple[str, ...]) -> HostFn:
    def evaluate(snap: HostSnapshot) -> Iterator[Outcome]:
        stats = [st for st in (snap.fs.stat(p) for p in paths) if st.exists]
        if not stats:
            yield not_applicable(control, f"none of {', '.join(paths)} exists on this host")
            return
        for st in unique(stats):
            path = st.path
            aliases = [a.path for a in stats if a.ident == st.ident]
            rule = next((snap.audit.watched[a] for a in aliases if a in snap.audit.watched), "")
            if rule:
                yield Outcome(control, PASS, f"{path} is audited", rule, path)
            elif snap.audit.error and not snap.audit.files:
                yield Outcome(control, ERROR, snap.audit.error, "audit rules", path)
            else:
                where = ", ".join(snap.audit.files) or "no audit rules on disk (/etc/audit)"
                yield Outcome(control, FAIL, f"no audit rule watches {path}", where, path)

    return evaluate


for _control, _id, _paths in AUDITED:
    host_check(
        _id,
        _control,
        f"No audit rule for {_paths[0]}" + (" (or its Podman equivalent)" if len(_paths) > 1 else ""),
        Severity.LOW,
        "Without an audit rule, changes to the container runtime's files and binaries leave no trace.",
        f"Add an auditd watch, e.g. `-w {_paths[0]} -k docker`, to /etc/audit/rules.d/ and reload auditd.",
    )(_audit_fn(_control, _paths))


# ---------------------------------------------------------------------------------------------------
# Section 3: ownership and permissions


@dataclass(frozen=True, slots=True)
class FileRule:
    own_control: str
    perm_control: str
    paths: tuple[str, ...]  # host paths (globs allowed)
    max_mode: int
    group: str = "root"  # expected group name (docker for docker.sock)


SERVICE_DIRS = ("/lib/systemd/system", "/usr/lib/systemd/system", "/etc/systemd/system")
FILE_RULES: tuple[tuple[str, FileRule], ...] = (
    (
        "HOST040",
        FileRule(
            "3.1", "3.2", tuple(f"{d}/{n}.service" for d in SERVICE_DIRS for n in ("docker", "podman")), 0o644
        ),
    ),
    (
        "HOST041",
        FileRule(
            "3.3", "3.4", tuple(f"{d}/{n}.socket" for d in SERVICE_DIRS for n in ("docker", "podman")), 0o644
        ),
    ),
    ("HOST042", FileRule("3.5", "3.6", ("/etc/docker", "/etc/containers"), 0o755)),
    ("HOST043", FileRule("3.7", "3.8", ("/etc/docker/certs.d/*/*", "/etc/containers/certs.d/*/*"), 0o444)),
    (
        "HOST047",
        FileRule("3.15", "3.16", ("/run/docker.sock", "/var/run/docker.sock"), 0o660, group="docker"),
    ),
    ("HOST048", FileRule("3.15", "3.16", ("/run/podman/podman.sock",), 0o660)),
    (
        "HOST049",
        FileRule(
            "3.17",
            "3.18",
            (
                "/etc/docker/daemon.json",
                "/etc/containers/containers.conf",
                "/etc/containers/storage.conf",
                "/etc/containers/registries.conf",
                "/etc/containers/policy.json",
            ),
            0o644,
        ),
    ),
    ("HOST050", FileRule("3.19", "3.20", ("/etc/default/docker",), 0o644)),
    ("HOST051", FileRule("3.22", "3.21", ("/etc/sysconfig/docker",), 0o644)),
    ("HOST052", FileRule("3.23", "3.24", ("/run/containerd/containerd.sock",), 0o660)),
)
# TLS files named in daemon.json (or on the command line): CA, server certificate, server key.
TLS_RULES = (
    ("HOST044", "tlscacert", "3.9", "3.10", 0o444),
    ("HOST045", "tlscert", "3.11", "3.12", 0o444),
    ("HOST046", "tlskey", "3.13", "3.14", 0o400),
)


def _perm_outcomes(snap: HostSnapshot, rule: FileRule, st: FileStat) -> Iterator[Outcome]:
    if st.error:
        yield Outcome(rule.own_control, ERROR, st.error, st.path, st.path)
        yield Outcome(rule.perm_control, ERROR, st.error, st.path, st.path)
        return
    gid = 0 if rule.group == "root" else snap.groups.get(rule.group, (0, ()))[0]
    ok_group = st.gid in (0, gid)
    owner = "root:root" if rule.group == "root" else f"root:{rule.group}"
    if st.uid == 0 and ok_group:
        yield Outcome(rule.own_control, PASS, f"{st.path} is owned by {owner}", st.evidence, st.path)
    else:
        yield Outcome(
            rule.own_control, FAIL, f"{st.path} owned by {st.uid}:{st.gid}, not {owner}", st.evidence, st.path
        )
    if st.mode & ~rule.max_mode & 0o7777:
        yield Outcome(
            rule.perm_control,
            FAIL,
            f"{st.path} mode {st.mode:04o} is wider than {rule.max_mode:04o}",
            st.evidence,
            st.path,
        )
    else:
        yield Outcome(rule.perm_control, PASS, f"{st.path} mode {st.mode:04o}", st.evidence, st.path)


def _file_fn(rule: FileRule) -> HostFn:
    def evaluate(snap: HostSnapshot) -> Iterator[Outcome]:
        paths = [
            p for pattern in rule.paths for p in (snap.fs.glob(pattern) if "*" in pattern else [pattern])
        ]
        stats = unique([s for s in (snap.fs.stat(p) for p in paths) if s.exists or s.error])
        if not stats:
            for control in (rule.own_control, rule.perm_control):
                yield not_applicable(control, f"none of {', '.join(rule.paths)} exists")
            return
        for st in stats:
            yield from _perm_outcomes(snap, rule, st)

    return evaluate


for _id, _rule in FILE_RULES:
    host_check(
        _id,
        (_rule.own_control, _rule.perm_control),
        f"Ownership or permissions of {_rule.paths[0]}"
        + (" (and Podman equivalents)" if len(_rule.paths) > 1 else ""),
        Severity.MEDIUM,
        "Files and sockets of the container engine writable by other users let them change how every "
        "container runs, or talk to the engine as root.",
        f"chown root:{_rule.group} and chmod {_rule.max_mode:o} (or stricter) the listed paths.",
    )(_file_fn(_rule))


def _tls_fn(key: str, own: str, perm: str, max_mode: int) -> HostFn:
    def evaluate(snap: HostSnapshot) -> Iterator[Outcome]:
        if "docker" not in snap.engines:
            yield from (
                not_applicable(c, "Docker is not installed (Podman's API has no TLS)") for c in (own, perm)
            )
            return
        if snap.docker_error(key, f"--{key}"):
            yield from (
                Outcome(c, ERROR, snap.daemon_json.error, snap.daemon_json.where, "docker")
                for c in (own, perm)
            )
            return
        value, _ = snap.docker_setting(key, f"--{key}")
        if not value:
            yield from (not_applicable(c, f"{key} is not configured") for c in (own, perm))
            return
        st = snap.fs.stat(str(value))
        if not st.exists and not st.error:
            yield from (
                Outcome(c, FAIL, f"{key} {value} does not exist", st.evidence, str(value))
                for c in (own, perm)
            )
            return
        yield from _perm_outcomes(snap, FileRule(own, perm, (str(value),), max_mode), st)

    return evaluate


for _id, _key, _own, _perm, _mode in TLS_RULES:
    host_check(
        _id,
        (_own, _perm),
        f"Ownership or permissions of the {_key} file",
        Severity.HIGH if _key == "tlskey" else Severity.MEDIUM,
        "A TLS file of the engine API that others can change or read undermines its authentication.",
        f"chown root:root and chmod {_mode:o} the file named by {_key}.",
    )(_tls_fn(_key, _own, _perm, _mode))
