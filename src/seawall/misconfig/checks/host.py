"""Container host checks (HOST*): CIS Docker Benchmark 1.6 sections 1, 2, 3, 5 and 6 for Docker and Podman.

Host checks differ from file checks in one way: a control can pass, fail, warn, be manual, not apply,
or be undecidable (an unreadable file), and the audit reports every one of those with its evidence.
So a host check returns :class:`Outcome` values; :func:`registry_checks` wraps the checks as plain
registry :class:`Check` objects (failures as hits) for the compliance machinery.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from seawall.host.configs import Parsed, flag_values
from seawall.host.fs import FileStat, unique
from seawall.host.snapshot import HostSnapshot
from seawall.host.versions import RuntimeVulns
from seawall.misconfig.model import DOCKER_CIS, Check, CheckMeta, Compliance, ConfigObject, Hit, ScanContext
from seawall.model import Severity

PASS, FAIL, WARN, MANUAL, NA, ERROR = "PASS", "FAIL", "WARN", "MANUAL", "NOT-APPLICABLE", "ERROR"
STATUSES = (FAIL, ERROR, WARN, PASS, MANUAL, NA)  # worst first
CIS_URL = "https://www.cisecurity.org/benchmark/docker"
DOCKER_DOCS = "https://docs.docker.com/reference/cli/dockerd/"
PODMAN_DOCS = "https://github.com/containers/common/blob/main/docs/containers.conf.5.md"


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of one control on one subject (the host, a file, a container), with its evidence."""

    control: str  # CIS id
    status: str
    message: str
    evidence: str  # the file and key, the flag, or the container field that decided
    subject: str = "host"  # host, docker, podman, a file path, or "container NAME"


Container = Mapping[str, Any]
HostFn = Callable[[HostSnapshot], Iterable[Outcome]]
ContainerFn = Callable[[HostSnapshot, Container], Iterable[Outcome]]


@dataclass(frozen=True, slots=True)
class HostCheck:
    """A host check: metadata, the CIS controls it decides, and its evaluation."""

    meta: CheckMeta
    controls: tuple[str, ...]
    scope: str  # host | container | runtime (needs the runtime version matches)
    fn: Callable[..., Iterable[Outcome]]

    def run(
        self, snap: HostSnapshot, container: Container | None = None, runtime: RuntimeVulns | None = None
    ) -> list[Outcome]:
        """Evaluate; an unexpected shape in the snapshot becomes an ERROR outcome, never a traceback."""
        try:
            if self.scope == "runtime":
                return list(self.fn(snap, runtime))
            if self.scope == "container":
                return list(self.fn(snap, container or {}))
            return list(self.fn(snap))
        except (KeyError, TypeError, AttributeError, ValueError, IndexError) as exc:
            subject = f"container {container_name(container)}" if container is not None else "host"
            return [
                Outcome(c, ERROR, f"{self.meta.id} could not run: {exc}", "", subject) for c in self.controls
            ]


HOST_CHECKS: dict[str, HostCheck] = {}


def host_check(
    id: str,
    controls: str | tuple[str, ...],
    title: str,
    severity: Severity,
    description: str,
    remediation: str,
    *,
    scope: str = "host",
    references: tuple[str, ...] = (CIS_URL,),
) -> Callable[[Callable[..., Iterable[Outcome]]], Callable[..., Iterable[Outcome]]]:
    """Register a host check deciding ``controls`` (CIS Docker 1.6 ids)."""
    ids = (controls,) if isinstance(controls, str) else controls

    def register(fn: Callable[..., Iterable[Outcome]]) -> Callable[..., Iterable[Outcome]]:
        if id in HOST_CHECKS:
            raise ValueError(f"host check id {id} registered twice")
        meta = CheckMeta(
            id=id,
            target="host",
            title=title,
            severity=severity,
            description=description,
            remediation=remediation,
            references=references,
            compliance=tuple(Compliance(DOCKER_CIS, c) for c in ids),
        )
        HOST_CHECKS[id] = HostCheck(meta, ids, scope, fn)
        return fn

    return register


def registry_checks() -> list[Check]:
    """The host checks as registry checks over ``host`` / ``host-container`` objects (failures as hits)."""

    def wrap(hc: HostCheck) -> Callable[[ConfigObject, ScanContext], Iterator[Hit]]:
        def evaluate(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
            snap, container = obj.data
            for out in hc.run(snap, container):
                if out.status == FAIL:
                    yield Hit(f"{out.message} ({out.evidence})")

        return evaluate

    return [
        Check(hc.meta, wrap(hc), ("host-container",) if hc.scope == "container" else ("host",))
        for hc in HOST_CHECKS.values()
    ]


def container_name(c: Container | None) -> str:
    """The container's name without Docker's leading slash, else its short id."""
    if not c:
        return "?"
    name = str(c.get("Name") or "").lstrip("/")
    return name or str(c.get("Id", ""))[:12]


def _hc(c: Container) -> Mapping[str, Any]:
    value = c.get("HostConfig")
    return value if isinstance(value, Mapping) else {}


def _cfg(c: Container) -> Mapping[str, Any]:
    value = c.get("Config")
    return value if isinstance(value, Mapping) else {}


def _out(c: Container, control: str, status: str, message: str, evidence: str) -> Outcome:
    return Outcome(control, status, message, evidence, f"container {container_name(c)}")


def _na(control: str, why: str, subject: str = "host") -> Outcome:
    return Outcome(control, NA, why, "", subject)


def _config_error(control: str, parsed: Parsed, subject: str) -> Outcome | None:
    if parsed.error:
        return Outcome(control, ERROR, parsed.error, parsed.where, subject)
    return None


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() in ("true", "1", "yes"))


def _falsy(value: Any) -> bool:
    return value is False or (isinstance(value, str) and value.strip().lower() in ("false", "0", "no"))


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
        yield _na("1.1.1", "no Docker or Podman on this host")
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
        yield _na(
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
            yield _na(control, f"none of {', '.join(paths)} exists on this host")
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
# Section 2: daemon configuration


def _docker_setting_check(
    control: str, key: str, ok: Callable[[Any], str | None], *flags: str
) -> Callable[[HostSnapshot], Iterator[Outcome]]:
    """A Docker daemon setting decided by ``ok(value)``: None means pass, else the failure message."""

    def evaluate(snap: HostSnapshot) -> Iterator[Outcome]:
        if "docker" not in snap.engines:
            return
        error = snap.docker_error(key, *flags)
        if error:
            yield Outcome(control, ERROR, error, snap.daemon_json.where, "docker")
            return
        value, evidence = snap.docker_setting(key, *flags)
        problem = ok(value)
        if problem is None:
            yield Outcome(
                control,
                PASS,
                f"{key} = {value!r}" if value is not None else f"{key} default",
                evidence,
                "docker",
            )
        else:
            yield Outcome(control, FAIL, problem, evidence, "docker")

    return evaluate


def _podman_na(control: str, why: str) -> Callable[[HostSnapshot], Iterator[Outcome]]:
    def evaluate(snap: HostSnapshot) -> Iterator[Outcome]:
        if "podman" in snap.engines:
            yield Outcome(control, NA, why, "", "podman")

    return evaluate


def _both(
    *parts: Callable[[HostSnapshot], Iterable[Outcome]], control: str
) -> Callable[[HostSnapshot], Iterator[Outcome]]:
    def evaluate(snap: HostSnapshot) -> Iterator[Outcome]:
        found = False
        for part in parts:
            for out in part(snap):
                found = True
                yield out
        if not found:
            yield _na(control, "no Docker or Podman on this host")

    return evaluate


def _podman_conf(
    control: str, table: str, key: str, ok: Callable[[Any], str | None]
) -> Callable[[HostSnapshot], Iterator[Outcome]]:
    def evaluate(snap: HostSnapshot) -> Iterator[Outcome]:
        if "podman" not in snap.engines:
            return
        err = _config_error(control, snap.containers_conf, "podman")
        if err:
            yield err
            return
        value, evidence = snap.podman_setting(table, key)
        problem = ok(value)
        if problem is None:
            yield Outcome(control, PASS, f"[{table}] {key} = {value!r}", evidence, "podman")
        else:
            yield Outcome(control, FAIL, problem, evidence, "podman")

    return evaluate


def _rootful(snap: HostSnapshot) -> Iterator[Outcome]:
    if "docker" in snap.engines:
        proc = snap.dockerd()
        rootless = proc is not None and proc.uid != 0
        status = PASS if rootless else WARN
        ev = f"dockerd pid {proc.pid} uid {proc.uid}" if proc else "dockerd not running (rootful by default)"
        yield Outcome("2.1", status, "rootless dockerd" if rootless else "dockerd runs as root", ev, "docker")
    if "podman" in snap.engines:
        podman_rootless = snap.podman_rootless
        if podman_rootless is None:
            yield Outcome(
                "2.1", MANUAL, "no running Podman service to tell rootless from rootful", "", "podman"
            )
        else:
            ev = "engine API /info Rootless" if snap.engine and snap.engine.info else "podman service owner"
            yield Outcome(
                "2.1",
                PASS if podman_rootless else WARN,
                "rootless Podman" if podman_rootless else "rootful Podman",
                ev,
                "podman",
            )


host_check(
    "HOST020",
    "2.1",
    "Container engine runs as root",
    Severity.LOW,
    "A rootful engine turns any container escape into host root; rootless engines limit the damage.",
    "Run dockerd in rootless mode or use rootless Podman where the workloads allow it.",
    references=(CIS_URL, "https://docs.docker.com/engine/security/rootless/"),
)(_both(_rootful, control="2.1"))

host_check(
    "HOST021",
    "2.2",
    "Inter-container communication on the default bridge is allowed",
    Severity.MEDIUM,
    "With icc enabled every container on docker0 can reach every other one.",
    'Set "icc": false in daemon.json (or dockerd --icc=false) and link containers explicitly.',
    references=(CIS_URL, DOCKER_DOCS),
)(
    _both(
        _docker_setting_check("2.2", "icc", lambda v: None if _falsy(v) else "icc is enabled (the default)"),
        _podman_na("2.2", "Podman networks have no icc switch; isolate with separate networks"),
        control="2.2",
    )
)


def _log_level_ok(v: Any) -> str | None:
    return None if v is None or str(v).lower() == "info" else f"log level {v!r} instead of info"


def _podman_log_level(snap: HostSnapshot) -> Iterator[Outcome]:
    if "podman" not in snap.engines:
        return
    proc = snap.podman_service()
    if proc is None:
        yield Outcome("2.3", NA, "no running Podman service", "", "podman")
        return
    values = [v.lower() for v in flag_values(proc.argv, "--log-level")]
    level = values[-1] if values else "warn"
    ok = level in ("info", "warn", "warning", "error")
    yield Outcome(
        "2.3",
        PASS if ok else FAIL,
        f"podman service log level {level}",
        f"podman --log-level (pid {proc.pid})",
        "podman",
    )


host_check(
    "HOST022",
    "2.3",
    "Daemon log level is not info",
    Severity.LOW,
    "debug logs leak request details; levels above info drop security-relevant events.",
    'Set "log-level": "info" (or remove the setting).',
    references=(CIS_URL, DOCKER_DOCS),
)(
    _both(
        _docker_setting_check("2.3", "log-level", _log_level_ok, "--log-level", "-l"),
        _podman_log_level,
        control="2.3",
    )
)

host_check(
    "HOST023",
    "2.4",
    "Docker may not manage iptables",
    Severity.LOW,
    "With iptables disabled Docker cannot keep its network isolation rules in place.",
    'Remove "iptables": false from daemon.json.',
    references=(CIS_URL, DOCKER_DOCS),
)(
    _both(
        _docker_setting_check("2.4", "iptables", lambda v: "iptables is disabled" if _falsy(v) else None),
        _podman_na("2.4", "Podman's network backend manages its own firewall rules"),
        control="2.4",
    )
)


def _docker_insecure(v: Any) -> str | None:
    values = v if isinstance(v, list) else ([] if v is None else [v])
    # dockerd always treats 127.0.0.0/8 as insecure; it is not a finding.
    bad = [str(x) for x in values if str(x) not in ("127.0.0.0/8",)]
    return f"insecure registries: {', '.join(bad)}" if bad else None


def _podman_insecure(snap: HostSnapshot) -> Iterator[Outcome]:
    if "podman" not in snap.engines:
        return
    conf = snap.registries_conf
    if conf.error:
        yield Outcome("2.5", ERROR, conf.error, conf.where, "podman")
        return
    bad = []
    for entry in conf.data.get("registry") or ():
        if isinstance(entry, Mapping) and entry.get("insecure") is True:
            bad.append(
                (str(entry.get("location") or entry.get("prefix") or "?"), str(entry.get("_file", "")))
            )
    legacy = conf.data.get("registries")
    if isinstance(legacy, Mapping) and isinstance(legacy.get("insecure"), Mapping):
        bad += [(str(r), conf.where) for r in legacy["insecure"].get("registries") or ()]
    if bad:
        names = ", ".join(b[0] for b in bad)
        yield Outcome(
            "2.5", FAIL, f"insecure registries: {names}", "; ".join(sorted({b[1] for b in bad})), "podman"
        )
    else:
        yield Outcome("2.5", PASS, "no insecure registry", conf.where, "podman")


host_check(
    "HOST024",
    "2.5",
    "Insecure registries are configured",
    Severity.HIGH,
    "Images pulled from an insecure registry travel without TLS verification and can be replaced in transit.",
    "Remove insecure-registries from daemon.json and insecure = true from registries.conf; use TLS.",
    references=(
        CIS_URL,
        DOCKER_DOCS,
        "https://github.com/containers/image/blob/main/docs/containers-registries.conf.5.md",
    ),
)(
    _both(
        _docker_setting_check("2.5", "insecure-registries", _docker_insecure, "--insecure-registry"),
        _podman_insecure,
        control="2.5",
    )
)


def _podman_driver(snap: HostSnapshot) -> Iterator[Outcome]:
    if "podman" not in snap.engines:
        return
    if snap.storage_conf.error:
        yield Outcome("2.6", ERROR, snap.storage_conf.error, snap.storage_conf.where, "podman")
        return
    storage = snap.storage_conf.data.get("storage")
    driver = storage.get("driver") if isinstance(storage, Mapping) else None
    status = FAIL if driver == "aufs" else PASS
    yield Outcome(
        "2.6",
        status,
        f"storage driver {driver or '(default)'}",
        f"{snap.storage_conf.where}: [storage] driver",
        "podman",
    )


host_check(
    "HOST025",
    "2.6",
    "aufs storage driver in use",
    Severity.MEDIUM,
    "aufs is unmaintained and has known kernel crashes and security issues.",
    "Use overlay2 (Docker) or overlay (Podman).",
    references=(CIS_URL, DOCKER_DOCS),
)(
    _both(
        _docker_setting_check(
            "2.6",
            "storage-driver",
            lambda v: "storage driver aufs" if v == "aufs" else None,
            "--storage-driver",
            "-s",
        ),
        _podman_driver,
        control="2.6",
    )
)


def _docker_tls(snap: HostSnapshot) -> Iterator[Outcome]:
    if "docker" not in snap.engines:
        return
    hosts, ev = snap.docker_setting("hosts", "--host", "-H")
    host_list = [str(h) for h in (hosts if isinstance(hosts, list) else [hosts] if hosts else [])]
    tcp = [h for h in host_list if h.startswith("tcp://")]
    if snap.docker_error("hosts", "--host", "-H"):
        yield Outcome("2.7", ERROR, snap.daemon_json.error, snap.daemon_json.where, "docker")
        return
    if not tcp:
        yield Outcome("2.7", PASS, "dockerd does not listen on TCP", ev, "docker")
        return
    verify, _ = snap.docker_setting("tlsverify", "--tlsverify")
    missing = [k for k in ("tlscacert", "tlscert", "tlskey") if not snap.docker_setting(k, f"--{k}")[0]]
    if _truthy(verify) and not missing:
        yield Outcome("2.7", PASS, f"TCP {', '.join(tcp)} with TLS client verification", ev, "docker")
    else:
        what = "tlsverify off" if not _truthy(verify) else f"missing {', '.join(missing)}"
        yield Outcome("2.7", FAIL, f"dockerd listens on {', '.join(tcp)} with {what}", ev, "docker")


def _podman_tls(snap: HostSnapshot) -> Iterator[Outcome]:
    if "podman" not in snap.engines:
        return
    proc = snap.podman_service()
    if proc is None:
        yield Outcome("2.7", NA, "no running Podman service", "", "podman")
        return
    tcp = [a for a in proc.argv if a.startswith("tcp://")]
    if tcp:
        yield Outcome(
            "2.7",
            FAIL,
            f"podman service listens on {', '.join(tcp)} without TLS",
            f"pid {proc.pid} argv",
            "podman",
        )
    else:
        yield Outcome(
            "2.7", PASS, "podman service listens on a unix socket only", f"pid {proc.pid} argv", "podman"
        )


host_check(
    "HOST026",
    "2.7",
    "Engine API on TCP without TLS authentication",
    Severity.CRITICAL,
    "Anyone who reaches an unauthenticated engine API on TCP controls the host.",
    "Use tlsverify with tlscacert/tlscert/tlskey, or listen on the unix socket only.",
    references=(CIS_URL, "https://docs.docker.com/engine/security/protect-access/"),
)(_both(_docker_tls, _podman_tls, control="2.7"))


def _ulimits_ok(v: Any) -> str | None:
    return None if v else "no default-ulimits: containers inherit the daemon's limits"


host_check(
    "HOST027",
    "2.8",
    "No default ulimits for containers",
    Severity.LOW,
    "Without default ulimits a container can exhaust file descriptors or processes of the whole host.",
    'Set "default-ulimits" in daemon.json or default_ulimits in containers.conf [containers].',
    references=(CIS_URL, DOCKER_DOCS, PODMAN_DOCS),
)(
    _both(
        _docker_setting_check("2.8", "default-ulimits", _ulimits_ok, "--default-ulimit"),
        _podman_conf("2.8", "containers", "default_ulimits", _ulimits_ok),
        control="2.8",
    )
)


def _podman_userns(snap: HostSnapshot) -> Iterator[Outcome]:
    if "podman" not in snap.engines:
        return
    if snap.podman_rootless:
        yield Outcome(
            "2.9", PASS, "rootless Podman runs containers in a user namespace", "engine API /info", "podman"
        )
        return
    yield from _podman_conf(
        "2.9",
        "containers",
        "userns",
        lambda v: None if v and str(v) not in ("host", "") else "containers share the host user namespace",
    )(snap)


host_check(
    "HOST028",
    "2.9",
    "User namespace remapping is not enabled",
    Severity.MEDIUM,
    "Without user namespaces root in a container is root on the host.",
    'Set "userns-remap": "default" (Docker) or userns = "auto" in containers.conf (Podman).',
    references=(CIS_URL, "https://docs.docker.com/engine/security/userns-remap/", PODMAN_DOCS),
)(
    _both(
        _docker_setting_check("2.9", "userns-remap", lambda v: None if v else "userns-remap is not set"),
        _podman_userns,
        control="2.9",
    )
)


def _cgroup_parent(snap: HostSnapshot) -> Iterator[Outcome]:
    if "docker" not in snap.engines:
        return
    if snap.docker_error("cgroup-parent"):
        yield Outcome("2.10", ERROR, snap.daemon_json.error, snap.daemon_json.where, "docker")
        return
    value, ev = snap.docker_setting("cgroup-parent")
    if value:
        yield Outcome("2.10", WARN, f"default cgroup parent changed to {value}: confirm", ev, "docker")
    else:
        yield Outcome("2.10", PASS, "default cgroup parent", ev, "docker")


host_check(
    "HOST029",
    "2.10",
    "Default cgroup parent changed",
    Severity.LOW,
    "A changed cgroup parent moves every container under other resource limits.",
    "Remove cgroup-parent unless it is required.",
    references=(CIS_URL, DOCKER_DOCS),
)(
    _both(
        _cgroup_parent,
        _podman_na("2.10", "confirm cgroup_manager in containers.conf manually"),
        control="2.10",
    )
)


def _basesize(snap: HostSnapshot) -> Iterator[Outcome]:
    if "docker" not in snap.engines:
        return
    if snap.docker_error("storage-opts", "--storage-opt"):
        yield Outcome("2.11", ERROR, snap.daemon_json.error, snap.daemon_json.where, "docker")
        return
    value, ev = snap.docker_setting("storage-opts", "--storage-opt")
    opts = value if isinstance(value, list) else [value] if value else []
    changed = [o for o in opts if str(o).startswith("dm.basesize")]
    yield Outcome(
        "2.11",
        WARN if changed else PASS,
        f"{changed[0]}" if changed else "base device size unchanged",
        ev,
        "docker",
    )


host_check(
    "HOST030",
    "2.11",
    "Base device size changed",
    Severity.LOW,
    "A larger base device size lets containers grow until the storage pool is full.",
    "Remove dm.basesize from storage-opts unless needed.",
    references=(CIS_URL, DOCKER_DOCS),
)(_both(_basesize, _podman_na("2.11", "devicemapper base size does not apply to Podman"), control="2.11"))

host_check(
    "HOST031",
    "2.12",
    "No authorization plugin for engine API requests",
    Severity.MEDIUM,
    "Without an authorization plugin anyone who can reach the socket can do anything.",
    'Configure "authorization-plugins" (Docker); Podman has none: restrict socket access instead.',
    references=(CIS_URL, "https://docs.docker.com/engine/extend/plugins_authorization/"),
)(
    _both(
        _docker_setting_check(
            "2.12",
            "authorization-plugins",
            lambda v: None if v else "no authorization plugin",
            "--authorization-plugin",
        ),
        _podman_na(
            "2.12", "Podman has no authorization plugins; access is controlled by the socket's permissions"
        ),
        control="2.12",
    )
)

_REMOTE_LOG = (
    "syslog",
    "journald",
    "gelf",
    "fluentd",
    "awslogs",
    "splunk",
    "etwlogs",
    "gcplogs",
    "logentries",
)

host_check(
    "HOST032",
    "2.13",
    "Container logs are not sent to a central log system",
    Severity.LOW,
    "Local json-file/k8s-file logs vanish with the container and are not kept off the host.",
    'Set "log-driver" (Docker) or log_driver = "journald" (Podman) to a central driver.',
    references=(CIS_URL, DOCKER_DOCS, PODMAN_DOCS),
)(
    _both(
        _docker_setting_check(
            "2.13",
            "log-driver",
            lambda v: None if v in _REMOTE_LOG else f"log driver {v or 'json-file'} is local",
        ),
        _podman_conf(
            "2.13",
            "containers",
            "log_driver",
            lambda v: None if v in _REMOTE_LOG else f"log driver {v or 'k8s-file'} is local",
        ),
        control="2.13",
    )
)

host_check(
    "HOST033",
    "2.14",
    "Containers may acquire new privileges by default",
    Severity.MEDIUM,
    "Without no-new-privileges setuid binaries inside containers can raise privileges.",
    'Set "no-new-privileges": true (Docker) or no_new_privileges = true in containers.conf (Podman).',
    references=(CIS_URL, DOCKER_DOCS, PODMAN_DOCS),
)(
    _both(
        _docker_setting_check(
            "2.14", "no-new-privileges", lambda v: None if _truthy(v) else "no-new-privileges is off"
        ),
        _podman_conf(
            "2.14",
            "containers",
            "no_new_privileges",
            lambda v: None if _truthy(v) else "no_new_privileges is off",
        ),
        control="2.14",
    )
)

host_check(
    "HOST034",
    "2.15",
    "Live restore is not enabled",
    Severity.LOW,
    "Without live-restore, restarting or upgrading dockerd stops every container.",
    'Set "live-restore": true in daemon.json.',
    references=(CIS_URL, "https://docs.docker.com/engine/daemon/live-restore/"),
)(
    _both(
        _docker_setting_check(
            "2.15", "live-restore", lambda v: None if _truthy(v) else "live-restore is off"
        ),
        _podman_na("2.15", "Podman is daemonless: containers keep running when the service restarts"),
        control="2.15",
    )
)

host_check(
    "HOST035",
    "2.16",
    "Userland proxy is enabled",
    Severity.LOW,
    "docker-proxy adds a process per published port; iptables hairpin NAT does the same with less surface.",
    'Set "userland-proxy": false in daemon.json.',
    references=(CIS_URL, DOCKER_DOCS),
)(
    _both(
        _docker_setting_check(
            "2.16", "userland-proxy", lambda v: None if _falsy(v) else "userland-proxy is on (the default)"
        ),
        _podman_na("2.16", "Podman uses rootlessport/netavark, not docker-proxy"),
        control="2.16",
    )
)


def _seccomp_default(value: Any, where: str, subject: str) -> Outcome:
    if value and str(value) == "unconfined":
        return Outcome("2.17", FAIL, "the daemon-wide seccomp profile is unconfined", where, subject)
    if value:
        return Outcome("2.17", PASS, f"daemon-wide seccomp profile {value}", where, subject)
    return Outcome("2.17", MANUAL, "the default seccomp profile is in use: confirm it fits", where, subject)


def _seccomp(snap: HostSnapshot) -> Iterator[Outcome]:
    if "docker" in snap.engines:
        if snap.daemon_json.error:
            yield Outcome("2.17", ERROR, snap.daemon_json.error, snap.daemon_json.where, "docker")
        else:
            value, ev = snap.docker_setting("seccomp-profile")
            yield _seccomp_default(value, ev, "docker")
    if "podman" in snap.engines:
        if snap.containers_conf.error:
            yield Outcome("2.17", ERROR, snap.containers_conf.error, snap.containers_conf.where, "podman")
        else:
            value, ev = snap.podman_setting("containers", "seccomp_profile")
            yield _seccomp_default(value, ev, "podman")


host_check(
    "HOST036",
    "2.17",
    "Daemon-wide seccomp profile is unconfined",
    Severity.HIGH,
    "An unconfined default seccomp profile exposes every system call to every container.",
    "Remove seccomp-profile=unconfined; use the default or a stricter custom profile.",
    references=(CIS_URL, "https://docs.docker.com/engine/security/seccomp/"),
)(_both(_seccomp, control="2.17"))

host_check(
    "HOST037",
    "2.18",
    "Experimental features are enabled",
    Severity.LOW,
    "Experimental daemon features are not supported for production and change without notice.",
    'Remove "experimental": true from daemon.json.',
    references=(CIS_URL, DOCKER_DOCS),
)(
    _both(
        _docker_setting_check("2.18", "experimental", lambda v: "experimental is on" if _truthy(v) else None),
        _podman_na("2.18", "Podman has no experimental daemon switch"),
        control="2.18",
    )
)


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
                yield _na(control, f"none of {', '.join(rule.paths)} exists")
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
            yield from (_na(c, "Docker is not installed (Podman's API has no TLS)") for c in (own, perm))
            return
        if snap.docker_error(key, f"--{key}"):
            yield from (
                Outcome(c, ERROR, snap.daemon_json.error, snap.daemon_json.where, "docker")
                for c in (own, perm)
            )
            return
        value, _ = snap.docker_setting(key, f"--{key}")
        if not value:
            yield from (_na(c, f"{key} is not configured") for c in (own, perm))
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


# ---------------------------------------------------------------------------------------------------
# Section 5: running containers (one outcome per container)


def container_check(
    id: str, control: str, title: str, severity: Severity, description: str, remediation: str
) -> Callable[[ContainerFn], ContainerFn]:
    """Register a per-container check."""
    refs = (CIS_URL, "https://docs.docker.com/reference/cli/docker/container/run/")
    return host_check(
        id, control, title, severity, description, remediation, scope="container", references=refs
    )


def _swarm(snap: HostSnapshot) -> Iterator[Outcome]:
    if snap.engine is None or snap.engine.error:
        yield Outcome(
            "5.1",
            ERROR if snap.engine else NA,
            snap.engine.error if snap.engine else "no engine API",
            "",
            "host",
        )
        return
    swarm = snap.engine.info.get("Swarm")
    state = swarm.get("LocalNodeState", "") if isinstance(swarm, Mapping) else ""
    status = FAIL if state == "active" else PASS
    yield Outcome(
        "5.1", status, f"swarm mode {state or 'inactive'}", "/info Swarm.LocalNodeState", snap.engine.engine
    )


host_check(
    "HOST060",
    "5.1",
    "Swarm mode is enabled",
    Severity.LOW,
    "Swarm mode opens management ports and is not needed on a single engine.",
    "docker swarm leave, unless the host is part of a swarm on purpose.",
)(_swarm)


def _lsm_enabled(snap: HostSnapshot, which: str) -> bool:
    if which == "apparmor":
        try:
            return (snap.fs.read_text("/sys/module/apparmor/parameters/enabled") or "").strip() == "Y"
        except Exception:
            return False
    return snap.fs.exists("/sys/fs/selinux/enforce")


def _secopts(c: Container) -> list[str]:
    return [str(o) for o in _hc(c).get("SecurityOpt") or ()]


@container_check(
    "HOST061",
    "5.2",
    "Container runs without AppArmor",
    Severity.MEDIUM,
    "On AppArmor hosts an unconfined container loses the default profile's protection.",
    "Do not pass --security-opt apparmor=unconfined or --privileged.",
)
def host061(snap: HostSnapshot, c: Container) -> Iterator[Outcome]:
    if not _lsm_enabled(snap, "apparmor"):
        yield _out(
            c, "5.2", NA, "AppArmor is not enabled on this host", "/sys/module/apparmor/parameters/enabled"
        )
        return
    profile = str(c.get("AppArmorProfile") or "")
    if profile == "unconfined" or any(o.replace(":", "=") == "apparmor=unconfined" for o in _secopts(c)):
        yield _out(c, "5.2", FAIL, "AppArmor profile unconfined", "AppArmorProfile")
    elif _hc(c).get("Privileged"):
        yield _out(c, "5.2", FAIL, "privileged containers run unconfined", "HostConfig.Privileged")
    else:
        yield _out(c, "5.2", PASS, f"AppArmor profile {profile or 'default'}", "AppArmorProfile")


@container_check(
    "HOST062",
    "5.3",
    "Container runs with SELinux labelling disabled",
    Severity.MEDIUM,
    "On SELinux hosts label=disable removes the MAC separation between containers and the host.",
    "Do not pass --security-opt label=disable or --privileged.",
)
def host062(snap: HostSnapshot, c: Container) -> Iterator[Outcome]:
    if not _lsm_enabled(snap, "selinux"):
        yield _out(c, "5.3", NA, "SELinux is not enabled on this host", "/sys/fs/selinux")
        return
    opts = [o.replace(":", "=") for o in _secopts(c)]
    if "label=disable" in opts or _hc(c).get("Privileged"):
        yield _out(c, "5.3", FAIL, "SELinux labelling disabled", "HostConfig.SecurityOpt")
    else:
        yield _out(c, "5.3", PASS, f"process label {c.get('ProcessLabel') or 'default'}", "ProcessLabel")


@container_check(
    "HOST063",
    "5.4",
    "Container has added capabilities",
    Severity.HIGH,
    "Added capabilities (SYS_ADMIN, NET_ADMIN, ...) hand kernel powers to the container.",
    "Drop all capabilities and add back only the ones the process needs (--cap-drop ALL --cap-add ...).",
)
def host063(snap: HostSnapshot, c: Container) -> Iterator[Outcome]:
    hc = _hc(c)
    if hc.get("Privileged"):
        yield _out(c, "5.4", FAIL, "privileged: every capability", "HostConfig.Privileged")
        return
    added = [str(x) for x in hc.get("CapAdd") or ()]
    dropped = [str(x) for x in hc.get("CapDrop") or ()]
    if added:
        yield _out(c, "5.4", FAIL, f"added capabilities: {', '.join(added)}", "HostConfig.CapAdd")
    else:
        shown = "ALL" if "ALL" in dropped or len(dropped) >= 14 else ", ".join(dropped) or "none"
        yield _out(
            c,
            "5.4",
            PASS,
            f"no added capabilities (dropped: {shown})",
            "HostConfig.CapAdd, HostConfig.CapDrop",
        )


@container_check(
    "HOST064",
    "5.5",
    "Privileged container",
    Severity.CRITICAL,
    "A privileged container has every capability and every device: it is root on the host.",
    "Remove --privileged; grant only the capabilities and devices needed.",
)
def host064(snap: HostSnapshot, c: Container) -> Iterator[Outcome]:
    priv = bool(_hc(c).get("Privileged"))
    yield _out(c, "5.5", FAIL if priv else PASS, f"Privileged={str(priv).lower()}", "HostConfig.Privileged")


SENSITIVE = (
    "/",
    "/boot",
    "/dev",
    "/etc",
    "/lib",
    "/proc",
    "/sys",
    "/usr",
    "/var/lib/docker",
    "/var/lib/containers",
)


def _mounts(c: Container) -> list[Mapping[str, Any]]:
    return [m for m in c.get("Mounts") or () if isinstance(m, Mapping)]


@container_check(
    "HOST065",
    "5.6",
    "Sensitive host directory mounted",
    Severity.HIGH,
    "Mounting /, /etc, /proc, /sys, /dev, /boot, /usr or the engine's data root exposes the host.",
    "Mount only the application's own data directories, read-only where possible.",
)
def host065(snap: HostSnapshot, c: Container) -> Iterator[Outcome]:
    bad = []
    for i, m in enumerate(_mounts(c)):
        src = str(m.get("Source") or "").rstrip("/") or "/"
        if m.get("Type", "bind") == "bind" and any(
            src == s or (s != "/" and src.startswith(s + "/")) for s in SENSITIVE
        ):
            mode = "rw" if m.get("RW", True) else "ro"
            bad.append(f"{src}:{m.get('Destination')} ({mode}) [Mounts[{i}]]")
    if bad:
        yield _out(c, "5.6", FAIL, f"sensitive host paths mounted: {'; '.join(bad)}", "Mounts")
    else:
        yield _out(c, "5.6", PASS, f"{len(_mounts(c))} mount(s), none sensitive", "Mounts")


@container_check(
    "HOST066",
    "5.7",
    "sshd runs inside the container",
    Severity.MEDIUM,
    "An SSH daemon in a container is one more service to patch and a way around the engine's controls.",
    "Remove sshd; use the engine's exec for debugging.",
)
def host066(snap: HostSnapshot, c: Container) -> Iterator[Outcome]:
    cid = str(c.get("Id", ""))
    if cid not in snap.container_procs:
        yield _out(c, "5.7", MANUAL, "processes cannot be listed (remote engine or offline audit)", "")
        return
    procs = snap.container_procs[cid]
    ssh = [p for p in procs if p == "sshd" or p.startswith("sshd")]
    shown = ", ".join(sorted(set(procs))[:10])
    yield _out(
        c, "5.7", FAIL if ssh else PASS, f"processes: {shown or 'none'}", "/proc/PID/cgroup, /proc/PID/comm"
    )


def _ports(c: Container) -> list[tuple[str, str, str]]:
    """(container port, host ip, host port) of every published port."""
    out = []
    bindings = _hc(c).get("PortBindings") or {}
    net = c.get("NetworkSettings")
    live = net.get("Ports") if isinstance(net, Mapping) else None
    for source in (bindings, live or {}):
        if not isinstance(source, Mapping):
            continue
        for port, binds in source.items():
            for b in binds or ():
                if isinstance(b, Mapping) and b.get("HostPort"):
                    out.append((str(port), str(b.get("HostIp") or ""), str(b["HostPort"])))
    return sorted(set(out))


@container_check(
    "HOST067",
    "5.8",
    "Privileged host port mapped",
    Severity.MEDIUM,
    "Host ports below 1024 are reserved for root-run services; mapping them lets a container pose as one.",
    "Publish on host ports 1024 and above.",
)
def host067(snap: HostSnapshot, c: Container) -> Iterator[Outcome]:
    low = [f"{hp}->{cp}" for cp, _, hp in _ports(c) if hp.isdigit() and int(hp) < 1024]
    if low:
        yield _out(c, "5.8", FAIL, f"host ports below 1024: {', '.join(low)}", "HostConfig.PortBindings")
    else:
        yield _out(
            c, "5.8", PASS, f"{len(_ports(c))} published port(s), none below 1024", "HostConfig.PortBindings"
        )


@container_check(
    "HOST068",
    "5.9",
    "Published ports to review",
    Severity.LOW,
    "Every published port is reachable from outside; only needed ones should be.",
    "Publish only the ports the service needs.",
)
def host068(snap: HostSnapshot, c: Container) -> Iterator[Outcome]:
    ports = [f"{ip or '0.0.0.0'}:{hp}->{cp}" for cp, ip, hp in _ports(c)]
    yield _out(
        c,
        "5.9",
        MANUAL if ports else PASS,
        f"published: {', '.join(ports) or 'none'}",
        "NetworkSettings.Ports",
    )


def _ns_check(control: str, field: str, what: str) -> ContainerFn:
    ns = {"NetworkMode": "net", "PidMode": "pid", "IpcMode": "ipc", "UTSMode": "uts", "UsernsMode": "user"}[
        field
    ]

    def evaluate(snap: HostSnapshot, c: Container) -> Iterator[Outcome]:
        mode = str(_hc(c).get(field) or "")
        cid = str(c.get("Id", ""))
        if mode == "host":
            yield _out(c, control, FAIL, f"{field}=host", f"HostConfig.{field}")
        elif cid in snap.container_ns and ns in snap.container_ns[cid]:
            # The engine said otherwise, but the container's process is in the host's namespace.
            yield _out(
                c,
                control,
                FAIL,
                f"{field}={mode or 'default'} but the {ns} namespace is the host's",
                f"HostConfig.{field}; /proc/PID/ns/{ns} is the host's",
            )
        else:
            checked = f"; /proc/PID/ns/{ns}" if cid in snap.container_ns else ""
            yield _out(c, control, PASS, f"{field}={mode or 'default'}", f"HostConfig.{field}{checked}")

    return evaluate


for _id, _control, _field, _what in (
    ("HOST069", "5.10", "NetworkMode", "network"),
    ("HOST075", "5.16", "PidMode", "process"),
    ("HOST076", "5.17", "IpcMode", "IPC"),
    ("HOST080", "5.21", "UTSMode", "UTS"),
    ("HOST090", "5.31", "UsernsMode", "user"),
):
    container_check(
        _id,
        _control,
        f"Container shares the host's {_what} namespace",
        Severity.HIGH,
        f"Sharing the host's {_what} namespace removes the isolation of that resource from the host.",
        f"Do not run with --{_field.removesuffix('Mode').lower()}=host.",
    )(_ns_check(_control, _field, _what))


@container_check(
    "HOST070",
    "5.11",
    "No memory limit",
    Severity.MEDIUM,
    "A container without a memory limit can exhaust the host's memory.",
    "Run with --memory.",
)
def host070(snap: HostSnapshot, c: Container) -> Iterator[Outcome]:
    mem = int(_hc(c).get("Memory") or 0)
    yield _out(c, "5.11", PASS if mem > 0 else FAIL, f"Memory={mem}", "HostConfig.Memory")


@container_check(
    "HOST071",
    "5.12",
    "No CPU limit or priority",
    Severity.LOW,
    "Without CPU shares or a quota one container can starve the others.",
    "Run with --cpu-shares, --cpus or --cpu-quota.",
)
def host071(snap: HostSnapshot, c: Container) -> Iterator[Outcome]:
    hc = _hc(c)
    shares, nano, quota = (
        int(hc.get("CpuShares") or 0),
        int(hc.get("NanoCpus") or 0),
        int(hc.get("CpuQuota") or 0),
    )
    limited = shares not in (0, 1024) or nano > 0 or quota > 0
    ev = f"CpuShares={shares} NanoCpus={nano} CpuQuota={quota}"
    yield _out(c, "5.12", PASS if limited else FAIL, ev, "HostConfig.CpuShares, NanoCpus, CpuQuota")


@container_check(
    "HOST072",
    "5.13",
    "Root filesystem is writable",
    Severity.MEDIUM,
    "A writable root filesystem lets an intruder change the container's binaries and persist.",
    "Run with --read-only and mount writable volumes or tmpfs where the application writes.",
)
def host072(snap: HostSnapshot, c: Container) -> Iterator[Outcome]:
    ro = bool(_hc(c).get("ReadonlyRootfs"))
    yield _out(
        c, "5.13", PASS if ro else FAIL, f"ReadonlyRootfs={str(ro).lower()}", "HostConfig.ReadonlyRootfs"
    )


@container_check(
    "HOST073",
    "5.14",
    "Port published on every host interface",
    Severity.MEDIUM,
    "Ports bound to 0.0.0.0 are reachable on every interface, including public ones.",
    "Publish with an address: -p 127.0.0.1:8080:80.",
)
def host073(snap: HostSnapshot, c: Container) -> Iterator[Outcome]:
    wide = [f"{hp}->{cp}" for cp, ip, hp in _ports(c) if ip in ("", "0.0.0.0", "::")]
    if wide:
        yield _out(c, "5.14", FAIL, f"bound to all interfaces: {', '.join(wide)}", "HostConfig.PortBindings")
    else:
        yield _out(
            c,
            "5.14",
            PASS,
            f"{len(_ports(c))} published port(s), all bound to an address",
            "HostConfig.PortBindings",
        )


@container_check(
    "HOST074",
    "5.15",
    "Restart policy is not on-failure with at most 5 retries",
    Severity.LOW,
    "always/unless-stopped or unbounded retries restart a crashing or compromised container forever.",
    "Run with --restart on-failure:5 (or no restart policy).",
)
def host074(snap: HostSnapshot, c: Container) -> Iterator[Outcome]:
    policy = _hc(c).get("RestartPolicy")
    policy = policy if isinstance(policy, Mapping) else {}
    name, count = str(policy.get("Name") or "no"), int(policy.get("MaximumRetryCount") or 0)
    ok = name in ("no", "") or (name == "on-failure" and 0 < count <= 5)
    yield _out(c, "5.15", PASS if ok else FAIL, f"RestartPolicy={name}:{count}", "HostConfig.RestartPolicy")


@container_check(
    "HOST077",
    "5.18",
    "Host devices exposed",
    Severity.MEDIUM,
    "Host devices give the container direct access to hardware and kernel interfaces.",
    "Remove --device unless needed; never combine with --privileged.",
)
def host077(snap: HostSnapshot, c: Container) -> Iterator[Outcome]:
    hc = _hc(c)
    devices = [str(d.get("PathOnHost")) for d in hc.get("Devices") or () if isinstance(d, Mapping)]
    if hc.get("Privileged"):
        yield _out(c, "5.18", FAIL, "privileged: every host device", "HostConfig.Privileged")
    elif devices:
        yield _out(c, "5.18", WARN, f"devices: {', '.join(devices)}", "HostConfig.Devices")
    else:
        yield _out(c, "5.18", PASS, "no host devices", "HostConfig.Devices")


@container_check(
    "HOST078",
    "5.19",
    "Container ulimits not set",
    Severity.LOW,
    "Without per-container ulimits the daemon's defaults apply.",
    "Set --ulimit where the defaults do not fit.",
)
def host078(snap: HostSnapshot, c: Container) -> Iterator[Outcome]:
    ulimits = [
        f"{u.get('Name')}={u.get('Soft')}:{u.get('Hard')}"
        for u in _hc(c).get("Ulimits") or ()
        if isinstance(u, Mapping)
    ]
    if ulimits:
        yield _out(c, "5.19", PASS, f"ulimits: {', '.join(ulimits)}", "HostConfig.Ulimits")
    else:
        yield _out(c, "5.19", MANUAL, "daemon default ulimits", "HostConfig.Ulimits")


@container_check(
    "HOST079",
    "5.20",
    "Mount propagation is shared",
    Severity.MEDIUM,
    "Shared propagation lets mounts made inside the container appear on the host and the reverse.",
    "Use private or slave propagation.",
)
def host079(snap: HostSnapshot, c: Container) -> Iterator[Outcome]:
    shared = [
        f"{m.get('Destination')} ({m.get('Propagation')})"
        for m in _mounts(c)
        if m.get("Propagation") in ("shared", "rshared")
    ]
    if shared:
        yield _out(c, "5.20", FAIL, f"shared propagation: {', '.join(shared)}", "Mounts[].Propagation")
    else:
        yield _out(c, "5.20", PASS, "no shared mount propagation", "Mounts[].Propagation")


@container_check(
    "HOST081",
    "5.22",
    "Seccomp disabled",
    Severity.HIGH,
    "Without seccomp every system call, including rarely needed dangerous ones, reaches the kernel.",
    "Remove --security-opt seccomp=unconfined and --privileged.",
)
def host081(snap: HostSnapshot, c: Container) -> Iterator[Outcome]:
    opts = [o.replace(":", "=", 1) for o in _secopts(c)]
    if "seccomp=unconfined" in opts:
        yield _out(c, "5.22", FAIL, "seccomp=unconfined", "HostConfig.SecurityOpt")
    elif _hc(c).get("Privileged"):
        yield _out(c, "5.22", FAIL, "privileged containers run without seccomp", "HostConfig.Privileged")
    else:
        custom = [o for o in opts if o.startswith("seccomp=")]
        yield _out(
            c, "5.22", PASS, custom[0] if custom else "default seccomp profile", "HostConfig.SecurityOpt"
        )


def _execs(snap: HostSnapshot, c: Container) -> tuple[Mapping[str, Any], ...]:
    if snap.engine is None:
        return ()
    return snap.engine.execs.get(str(c.get("Id", "")), ())


@container_check(
    "HOST082",
    "5.23",
    "exec session with --privileged",
    Severity.HIGH,
    "A privileged exec session gets every capability even in an unprivileged container.",
    "Do not use exec --privileged.",
)
def host082(snap: HostSnapshot, c: Container) -> Iterator[Outcome]:
    priv = [
        str(e.get("ID", ""))[:12] for e in _execs(snap, c) if (e.get("ProcessConfig") or {}).get("privileged")
    ]
    n = len(_execs(snap, c))
    if priv:
        yield _out(
            c,
            "5.23",
            FAIL,
            f"privileged exec sessions: {', '.join(priv)}",
            "/exec/ID/json ProcessConfig.privileged",
        )
    else:
        yield _out(c, "5.23", PASS, f"{n} exec session(s), none privileged", "ExecIDs")


@container_check(
    "HOST083",
    "5.24",
    "exec session as root",
    Severity.MEDIUM,
    "exec --user root bypasses the container's non-root user.",
    "Do not use exec --user root.",
)
def host083(snap: HostSnapshot, c: Container) -> Iterator[Outcome]:
    root = [
        str(e.get("ID", ""))[:12]
        for e in _execs(snap, c)
        if str((e.get("ProcessConfig") or {}).get("user") or "").split(":")[0] in ("root", "0")
    ]
    if root:
        yield _out(
            c, "5.24", FAIL, f"exec sessions as root: {', '.join(root)}", "/exec/ID/json ProcessConfig.user"
        )
    else:
        yield _out(
            c, "5.24", PASS, f"{len(_execs(snap, c))} exec session(s), none with --user root", "ExecIDs"
        )


@container_check(
    "HOST084",
    "5.25",
    "Container cgroup parent changed",
    Severity.LOW,
    "A custom cgroup parent takes the container out of the engine's resource accounting.",
    "Do not set --cgroup-parent unless needed.",
)
def host084(snap: HostSnapshot, c: Container) -> Iterator[Outcome]:
    parent = str(_hc(c).get("CgroupParent") or "")
    default = ("", "/libpod_parent", "libpod_parent", "machine.slice", "/docker", "system.slice")
    status = PASS if parent in default else WARN
    yield _out(c, "5.25", status, f"CgroupParent={parent or 'default'}", "HostConfig.CgroupParent")


@container_check(
    "HOST085",
    "5.26",
    "Container may acquire new privileges",
    Severity.MEDIUM,
    "Without no-new-privileges, setuid binaries can raise the process's privileges.",
    "Run with --security-opt no-new-privileges.",
)
def host085(snap: HostSnapshot, c: Container) -> Iterator[Outcome]:
    opts = [o.replace(":", "=") for o in _secopts(c)]
    nnp = any(o in ("no-new-privileges", "no-new-privileges=true") for o in opts)
    yield _out(
        c,
        "5.26",
        PASS if nnp else FAIL,
        "no-new-privileges " + ("set" if nnp else "not set"),
        "HostConfig.SecurityOpt",
    )


@container_check(
    "HOST086",
    "5.27",
    "No health check",
    Severity.LOW,
    "Without a health check the engine cannot tell a hung or hijacked service from a healthy one.",
    "Add HEALTHCHECK to the image or run with --health-cmd.",
)
def host086(snap: HostSnapshot, c: Container) -> Iterator[Outcome]:
    hc = _cfg(c).get("Healthcheck")
    test = hc.get("Test") if isinstance(hc, Mapping) else None
    has = bool(test) and list(test or [])[:1] != ["NONE"]
    state = c.get("State")
    health = state.get("Health") if isinstance(state, Mapping) else None
    status = health.get("Status") if isinstance(health, Mapping) else ""
    msg = (
        f"health check {' '.join(map(str, test or []))} ({status or 'no status'})"
        if has
        else "no health check"
    )
    yield _out(c, "5.27", PASS if has else FAIL, msg, "Config.Healthcheck")


@container_check(
    "HOST087",
    "5.29",
    "No PIDs limit",
    Severity.MEDIUM,
    "Without a PIDs limit a fork bomb in one container takes down the host.",
    "Run with --pids-limit.",
)
def host087(snap: HostSnapshot, c: Container) -> Iterator[Outcome]:
    limit = int(_hc(c).get("PidsLimit") or 0)
    yield _out(c, "5.29", PASS if limit > 0 else FAIL, f"PidsLimit={limit}", "HostConfig.PidsLimit")


@container_check(
    "HOST088",
    "5.30",
    "Container on the engine's default bridge",
    Severity.LOW,
    "All containers on the default bridge can talk to each other.",
    "Use user-defined networks.",
)
def host088(snap: HostSnapshot, c: Container) -> Iterator[Outcome]:
    net = c.get("NetworkSettings")
    networks = list((net.get("Networks") or {}) if isinstance(net, Mapping) else {})
    on_default = [n for n in networks if n in ("bridge", "podman")]
    if on_default:
        yield _out(c, "5.30", WARN, f"on the default network {on_default[0]}", "NetworkSettings.Networks")
    else:
        yield _out(
            c,
            "5.30",
            PASS,
            f"networks: {', '.join(networks) or _hc(c).get('NetworkMode') or 'none'}",
            "NetworkSettings.Networks",
        )


ENGINE_SOCKETS = ("docker.sock", "podman.sock", "containerd.sock", "crio.sock")


@container_check(
    "HOST091",
    "5.32",
    "Engine socket mounted in the container",
    Severity.CRITICAL,
    "The engine socket gives the container full control of the engine, hence of the host.",
    "Never mount docker.sock/podman.sock into containers; use a restricted API proxy if needed.",
)
def host091(snap: HostSnapshot, c: Container) -> Iterator[Outcome]:
    found = [
        f"{m.get('Source')}:{m.get('Destination')}"
        for m in _mounts(c)
        if any(str(m.get(k) or "").endswith(s) for k in ("Source", "Destination") for s in ENGINE_SOCKETS)
    ]
    if found:
        yield _out(c, "5.32", FAIL, f"engine socket mounted: {', '.join(found)}", "Mounts")
    else:
        yield _out(c, "5.32", PASS, "no engine socket mounted", "Mounts")


@container_check(
    "HOST092",
    "4.1",
    "Container runs as root",
    Severity.MEDIUM,
    "A process running as root in the container is root on the host after an escape (without userns).",
    "Run as a non-root user (USER in the image, or --user).",
)
def host092(snap: HostSnapshot, c: Container) -> Iterator[Outcome]:
    user = str(_cfg(c).get("User") or "")
    root = user.split(":", maxsplit=1)[0] in ("", "root", "0")
    yield _out(c, "4.1", FAIL if root else PASS, f"User={user or '(image default: root)'}", "Config.User")


# ---------------------------------------------------------------------------------------------------
# Section 6: sprawl

SPRAWL_IMAGES = 100
SPRAWL_STOPPED = 25


def _sprawl_images(snap: HostSnapshot) -> Iterator[Outcome]:
    if snap.engine is None or snap.engine.error:
        yield Outcome(
            "6.1",
            ERROR if snap.engine else NA,
            snap.engine.error if snap.engine else "no engine API",
            "",
            "host",
        )
        return
    used = {str(c.get("Image", "")) for c in snap.engine.containers}
    total = len(snap.engine.images)
    unused = [i for i in snap.engine.images if str(i.get("Id", "")) not in used]
    msg = f"{total} images, {total - len(unused)} used by running containers"
    yield Outcome(
        "6.1", WARN if len(unused) > SPRAWL_IMAGES else PASS, msg, "/images/json", snap.engine.engine
    )


def _sprawl_containers(snap: HostSnapshot) -> Iterator[Outcome]:
    if snap.engine is None or snap.engine.error:
        yield Outcome(
            "6.2",
            ERROR if snap.engine else NA,
            snap.engine.error if snap.engine else "no engine API",
            "",
            "host",
        )
        return
    running = len(snap.engine.containers)
    stopped = snap.engine.container_count - running
    msg = f"{snap.engine.container_count} containers, {running} running"
    yield Outcome(
        "6.2", WARN if stopped > SPRAWL_STOPPED else PASS, msg, "/containers/json?all=1", snap.engine.engine
    )


host_check(
    "HOST095",
    "6.1",
    "Image sprawl",
    Severity.LOW,
    "Many unused images keep old, vulnerable software on the host.",
    "Remove unused images (docker/podman image prune -a).",
)(_sprawl_images)
host_check(
    "HOST096",
    "6.2",
    "Container sprawl",
    Severity.LOW,
    "Many stopped containers keep old data and configuration around.",
    "Remove stopped containers (docker/podman container prune).",
)(_sprawl_containers)


# ---------------------------------------------------------------------------------------------------
# Podman registries (no CIS control): unqualified search registries


def _unqualified(snap: HostSnapshot) -> Iterator[Outcome]:
    if "podman" not in snap.engines:
        return
    conf = snap.registries_conf
    if conf.error:
        yield Outcome("", ERROR, conf.error, conf.where, "podman")
        return
    search = [str(r) for r in conf.data.get("unqualified-search-registries") or ()]
    legacy = conf.data.get("registries")
    if isinstance(legacy, Mapping) and isinstance(legacy.get("search"), Mapping):
        search += [str(r) for r in legacy["search"].get("registries") or ()]
    if len(search) > 1:
        yield Outcome(
            "",
            FAIL,
            f"short names are resolved against {len(search)} registries: {', '.join(search)}",
            f"{conf.where}: unqualified-search-registries",
            "podman",
        )
    else:
        yield Outcome(
            "", PASS, f"unqualified-search-registries: {', '.join(search) or 'none'}", conf.where, "podman"
        )


host_check(
    "HOST100",
    (),
    "Image short names resolve against several registries",
    Severity.MEDIUM,
    "With more than one unqualified-search registry a short name like `nginx` can be squatted on the "
    "registry searched first (image name squatting).",
    "Use fully qualified image names and keep at most one unqualified-search-registries entry "
    '(or short-name-mode = "enforcing" with aliases).',
    references=("https://github.com/containers/image/blob/main/docs/containers-registries.conf.5.md",),
)(_unqualified)


# ---------------------------------------------------------------------------------------------------
# Runtime version check (CIS 1.2.2, automated through the vulnerability database)


def _runtime_versions(snap: HostSnapshot, runtime: RuntimeVulns | None) -> Iterator[Outcome]:
    if runtime is None:
        yield Outcome("1.2.2", MANUAL, "runtime version check not run (--skip-version-check)", "", "host")
        return
    if not runtime.components:
        yield Outcome("1.2.2", NA, "no container runtime component found", "", "host")
        return
    for comp in runtime.components:
        names = {comp.name: UPSTREAM_NAMES.get(comp.name, comp.name)}
        vulns = [
            f
            for f in runtime.findings
            if f.installed_version in (comp.version, comp.deb_version)
            and any(n in f.pkg_name for n in names.values())
        ]
        ids = sorted({f.vulnerability_id for f in vulns})
        evidence = f"{comp.source}; advisories: {runtime.sources.get(comp.label, '-')}"
        if ids:
            worst = max(f.severity for f in vulns)
            shown = ", ".join(ids[:8]) + (f" (+{len(ids) - 8} more)" if len(ids) > 8 else "")
            yield Outcome(
                "1.2.2",
                FAIL,
                f"{comp.label}: {len(ids)} known vulnerabilities (worst {worst.name}): {shown}",
                evidence,
                comp.name,
            )
        else:
            yield Outcome("1.2.2", PASS, f"{comp.label}: no known vulnerabilities", evidence, comp.name)
    go = sorted({c.go_version for c in runtime.components if c.go_version})
    for version in go:
        ids = sorted(
            {
                f.vulnerability_id
                for f in runtime.findings
                if f.pkg_name == "stdlib" and f.installed_version == version
            }
        )
        if ids:
            yield Outcome(
                "1.2.2",
                FAIL,
                f"built with Go {version}: {len(ids)} stdlib vulnerabilities ({', '.join(ids[:5])})",
                "GoVersion of the runtime binaries; advisories: Go (stdlib)",
                "go",
            )


UPSTREAM_NAMES = {"podman": "podman", "docker": "docker", "containerd": "containerd", "runc": "runc"}

host_check(
    "HOST097",
    "1.2.2",
    "Container runtime has known vulnerabilities",
    Severity.HIGH,
    "Vulnerabilities in the engine, runc/crun or containerd (container escapes such as CVE-2019-5736 or "
    "CVE-2024-21626) undo every other control on the host.",
    "Upgrade the engine, OCI runtime and containerd to a version with the fixes (or the distribution's "
    "patched package).",
    scope="runtime",
    references=(CIS_URL, "https://pkg.go.dev/vuln/"),
)(_runtime_versions)
