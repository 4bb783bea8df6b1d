"""Host checks of CIS Docker 1.6 section 2: Docker daemon settings (daemon.json and dockerd's command
line) and their Podman equivalents (containers.conf, storage.conf, registries.conf, the service)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from seawall.host.configs import flag_values
from seawall.host.snapshot import HostSnapshot
from seawall.misconfig.checks.host import (
    CIS_URL,
    DOCKER_DOCS,
    ERROR,
    FAIL,
    MANUAL,
    NA,
    PASS,
    PODMAN_DOCS,
    WARN,
    Outcome,
    config_error,
    falsy,
    host_check,
    not_applicable,
    truthy,
)
from seawall.model import Severity

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
            yield not_applicable(control, "no Docker or Podman on this host")

    return evaluate


def _podman_conf(
    control: str, table: str, key: str, ok: Callable[[Any], str | None]
) -> Callable[[HostSnapshot], Iterator[Outcome]]:
    def evaluate(snap: HostSnapshot) -> Iterator[Outcome]:
        if "podman" not in snap.engines:
            return
        err = config_error(control, snap.containers_conf, "podman")
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
        _docker_setting_check("2.2", "icc", lambda v: None if falsy(v) else "icc is enabled (the default)"),
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
        _docker_setting_check("2.4", "iptables", lambda v: "iptables is disabled" if falsy(v) else None),
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
    for entry in as_list(conf.data.get("registry")):
        if isinstance(entry, Mapping) and entry.get("insecure") is True:
            bad.append(
                (str(entry.get("location") or entry.get("prefix") or "?"), str(entry.get("_file", "")))
            )
    legacy = conf.data.get("registries")
    if isinstance(legacy, Mapping) and isinstance(legacy.get("insecure"), Mapping):
        bad += [(str(r), conf.where) for r in as_list(legacy["insecure"].get("registries"))]
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
    if truthy(verify) and not missing:
        yield Outcome("2.7", PASS, f"TCP {', '.join(tcp)} with TLS client verification", ev, "docker")
    else:
        what = "tlsverify off" if not truthy(verify) else f"missing {', '.join(missing)}"
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
            "2.14", "no-new-privileges", lambda v: None if truthy(v) else "no-new-privileges is off"
        ),
        _podman_conf(
            "2.14",
            "containers",
            "no_new_privileges",
            lambda v: None if truthy(v) else "no_new_privileges is off",
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
        _docker_setting_check("2.15", "live-restore", lambda v: None if truthy(v) else "live-restore is off"),
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
            "2.16", "userland-proxy", lambda v: None if falsy(v) else "userland-proxy is on (the default)"
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
        _docker_setting_check("2.18", "experimental", lambda v: "experimental is on" if truthy(v) else None),
        _podman_na("2.18", "Podman has no experimental daemon switch"),
        control="2.18",
    )
)


# ---------------------------------------------------------------------------------------------------
# Podman registries (no CIS control): unqualified search registries


def _unqualified(snap: HostSnapshot) -> Iterator[Outcome]:
    if "podman" not in snap.engines:
        return
    conf = snap.registries_conf
    if conf.error:
        yield Outcome("", ERROR, conf.error, conf.where, "podman")
        return
    search = [str(r) for r in as_list(conf.data.get("unqualified-search-registries"))]
    legacy = conf.data.get("registries")
    if isinstance(legacy, Mapping) and isinstance(legacy.get("search"), Mapping):
        search += [str(r) for r in as_list(legacy["search"].get("registries"))]
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


def as_list(value: Any) -> list[Any]:
    """A TOML array as a list; a scalar of the wrong type is one entry, nothing is none."""
    if isinstance(value, list):
        return value
    return [] if value is None or isinstance(value, Mapping) else [value]
