"""Host checks of CIS Docker 1.6 sections 5 and 6: every running container's configuration, read
through the engine API, and image/container sprawl."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from seawall.host.snapshot import HostSnapshot
from seawall.misconfig.checks.host import (
    CIS_URL,
    ERROR,
    FAIL,
    MANUAL,
    NA,
    PASS,
    WARN,
    Container,
    ContainerFn,
    Outcome,
    container_config,
    container_outcome,
    host_check,
    host_config,
)
from seawall.model import Severity

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
    return [str(o) for o in host_config(c).get("SecurityOpt") or ()]


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
        yield container_outcome(
            c, "5.2", NA, "AppArmor is not enabled on this host", "/sys/module/apparmor/parameters/enabled"
        )
        return
    profile = str(c.get("AppArmorProfile") or "")
    if profile == "unconfined" or any(o.replace(":", "=") == "apparmor=unconfined" for o in _secopts(c)):
        yield container_outcome(c, "5.2", FAIL, "AppArmor profile unconfined", "AppArmorProfile")
    elif host_config(c).get("Privileged"):
        yield container_outcome(
            c, "5.2", FAIL, "privileged containers run unconfined", "HostConfig.Privileged"
        )
    else:
        yield container_outcome(c, "5.2", PASS, f"AppArmor profile {profile or 'default'}", "AppArmorProfile")


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
        yield container_outcome(c, "5.3", NA, "SELinux is not enabled on this host", "/sys/fs/selinux")
        return
    opts = [o.replace(":", "=") for o in _secopts(c)]
    if "label=disable" in opts or host_config(c).get("Privileged"):
        yield container_outcome(c, "5.3", FAIL, "SELinux labelling disabled", "HostConfig.SecurityOpt")
    else:
        yield container_outcome(
            c, "5.3", PASS, f"process label {c.get('ProcessLabel') or 'default'}", "ProcessLabel"
        )


@container_check(
    "HOST063",
    "5.4",
    "Container has added capabilities",
    Severity.HIGH,
    "Added capabilities (SYS_ADMIN, NET_ADMIN, ...) hand kernel powers to the container.",
    "Drop all capabilities and add back only the ones the process needs (--cap-drop ALL --cap-add ...).",
)
def host063(snap: HostSnapshot, c: Container) -> Iterator[Outcome]:
    hc = host_config(c)
    if hc.get("Privileged"):
        yield container_outcome(c, "5.4", FAIL, "privileged: every capability", "HostConfig.Privileged")
        return
    added = [str(x) for x in hc.get("CapAdd") or ()]
    dropped = [str(x) for x in hc.get("CapDrop") or ()]
    if added:
        yield container_outcome(
            c, "5.4", FAIL, f"added capabilities: {', '.join(added)}", "HostConfig.CapAdd"
        )
    else:
        shown = "ALL" if "ALL" in dropped or len(dropped) >= 14 else ", ".join(dropped) or "none"
        yield container_outcome(
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
    priv = bool(host_config(c).get("Privileged"))
    yield container_outcome(
        c, "5.5", FAIL if priv else PASS, f"Privileged={str(priv).lower()}", "HostConfig.Privileged"
    )


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
        yield container_outcome(c, "5.6", FAIL, f"sensitive host paths mounted: {'; '.join(bad)}", "Mounts")
    else:
        yield container_outcome(c, "5.6", PASS, f"{len(_mounts(c))} mount(s), none sensitive", "Mounts")


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
        yield container_outcome(
            c, "5.7", MANUAL, "processes cannot be listed (remote engine or offline audit)", ""
        )
        return
    procs = snap.container_procs[cid]
    ssh = [p for p in procs if p == "sshd" or p.startswith("sshd")]
    shown = ", ".join(sorted(set(procs))[:10])
    yield container_outcome(
        c, "5.7", FAIL if ssh else PASS, f"processes: {shown or 'none'}", "/proc/PID/cgroup, /proc/PID/comm"
    )


def _ports(c: Container) -> list[tuple[str, str, str]]:
    """(container port, host ip, host port) of every published port."""
    out = []
    bindings = host_config(c).get("PortBindings") or {}
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
        yield container_outcome(
            c, "5.8", FAIL, f"host ports below 1024: {', '.join(low)}", "HostConfig.PortBindings"
        )
    else:
        yield container_outcome(
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
    yield container_outcome(
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
        mode = str(host_config(c).get(field) or "")
        cid = str(c.get("Id", ""))
        if mode == "host":
            yield container_outcome(c, control, FAIL, f"{field}=host", f"HostConfig.{field}")
        elif cid in snap.container_ns and ns in snap.container_ns[cid]:
            # The engine said otherwise, but the container's process is in the host's namespace.
            yield container_outcome(
                c,
                control,
                FAIL,
                f"{field}={mode or 'default'} but the {ns} namespace is the host's",
                f"HostConfig.{field}; /proc/PID/ns/{ns} is the host's",
            )
        else:
            checked = f"; /proc/PID/ns/{ns}" if cid in snap.container_ns else ""
            yield container_outcome(
                c, control, PASS, f"{field}={mode or 'default'}", f"HostConfig.{field}{checked}"
            )

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
    mem = int(host_config(c).get("Memory") or 0)
    yield container_outcome(c, "5.11", PASS if mem > 0 else FAIL, f"Memory={mem}", "HostConfig.Memory")


@container_check(
    "HOST071",
    "5.12",
    "No CPU limit or priority",
    Severity.LOW,
    "Without CPU shares or a quota one container can starve the others.",
    "Run with --cpu-shares, --cpus or --cpu-quota.",
)
def host071(snap: HostSnapshot, c: Container) -> Iterator[Outcome]:
    hc = host_config(c)
    shares, nano, quota = (
        int(hc.get("CpuShares") or 0),
        int(hc.get("NanoCpus") or 0),
        int(hc.get("CpuQuota") or 0),
    )
    limited = shares not in (0, 1024) or nano > 0 or quota > 0
    ev = f"CpuShares={shares} NanoCpus={nano} CpuQuota={quota}"
    yield container_outcome(
        c, "5.12", PASS if limited else FAIL, ev, "HostConfig.CpuShares, NanoCpus, CpuQuota"
    )


@container_check(
    "HOST072",
    "5.13",
    "Root filesystem is writable",
    Severity.MEDIUM,
    "A writable root filesystem lets an intruder change the container's binaries and persist.",
    "Run with --read-only and mount writable volumes or tmpfs where the application writes.",
)
def host072(snap: HostSnapshot, c: Container) -> Iterator[Outcome]:
    ro = bool(host_config(c).get("ReadonlyRootfs"))
    yield container_outcome(
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
        yield container_outcome(
            c, "5.14", FAIL, f"bound to all interfaces: {', '.join(wide)}", "HostConfig.PortBindings"
        )
    else:
        yield container_outcome(
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
    policy = host_config(c).get("RestartPolicy")
    policy = policy if isinstance(policy, Mapping) else {}
    name, count = str(policy.get("Name") or "no"), int(policy.get("MaximumRetryCount") or 0)
    ok = name in ("no", "") or (name == "on-failure" and 0 < count <= 5)
    yield container_outcome(
        c, "5.15", PASS if ok else FAIL, f"RestartPolicy={name}:{count}", "HostConfig.RestartPolicy"
    )


@container_check(
    "HOST077",
    "5.18",
    "Host devices exposed",
    Severity.MEDIUM,
    "Host devices give the container direct access to hardware and kernel interfaces.",
    "Remove --device unless needed; never combine with --privileged.",
)
def host077(snap: HostSnapshot, c: Container) -> Iterator[Outcome]:
    hc = host_config(c)
    devices = [str(d.get("PathOnHost")) for d in hc.get("Devices") or () if isinstance(d, Mapping)]
    if hc.get("Privileged"):
        yield container_outcome(c, "5.18", FAIL, "privileged: every host device", "HostConfig.Privileged")
    elif devices:
        yield container_outcome(c, "5.18", WARN, f"devices: {', '.join(devices)}", "HostConfig.Devices")
    else:
        yield container_outcome(c, "5.18", PASS, "no host devices", "HostConfig.Devices")


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
        for u in host_config(c).get("Ulimits") or ()
        if isinstance(u, Mapping)
    ]
    if ulimits:
        yield container_outcome(c, "5.19", PASS, f"ulimits: {', '.join(ulimits)}", "HostConfig.Ulimits")
    else:
        yield container_outcome(c, "5.19", MANUAL, "daemon default ulimits", "HostConfig.Ulimits")


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
        yield container_outcome(
            c, "5.20", FAIL, f"shared propagation: {', '.join(shared)}", "Mounts[].Propagation"
        )
    else:
        yield container_outcome(c, "5.20", PASS, "no shared mount propagation", "Mounts[].Propagation")


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
        yield container_outcome(c, "5.22", FAIL, "seccomp=unconfined", "HostConfig.SecurityOpt")
    elif host_config(c).get("Privileged"):
        yield container_outcome(
            c, "5.22", FAIL, "privileged containers run without seccomp", "HostConfig.Privileged"
        )
    else:
        custom = [o for o in opts if o.startswith("seccomp=")]
        yield container_outcome(
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
        yield container_outcome(
            c,
            "5.23",
            FAIL,
            f"privileged exec sessions: {', '.join(priv)}",
            "/exec/ID/json ProcessConfig.privileged",
        )
    else:
        yield container_outcome(c, "5.23", PASS, f"{n} exec session(s), none privileged", "ExecIDs")


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
        yield container_outcome(
            c, "5.24", FAIL, f"exec sessions as root: {', '.join(root)}", "/exec/ID/json ProcessConfig.user"
        )
    else:
        yield container_outcome(
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
    parent = str(host_config(c).get("CgroupParent") or "")
    default = ("", "/libpod_parent", "libpod_parent", "machine.slice", "/docker", "system.slice")
    status = PASS if parent in default else WARN
    yield container_outcome(
        c, "5.25", status, f"CgroupParent={parent or 'default'}", "HostConfig.CgroupParent"
    )


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
    yield container_outcome(
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
    hc = container_config(c).get("Healthcheck")
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
    yield container_outcome(c, "5.27", PASS if has else FAIL, msg, "Config.Healthcheck")


@container_check(
    "HOST087",
    "5.29",
    "No PIDs limit",
    Severity.MEDIUM,
    "Without a PIDs limit a fork bomb in one container takes down the host.",
    "Run with --pids-limit.",
)
def host087(snap: HostSnapshot, c: Container) -> Iterator[Outcome]:
    limit = int(host_config(c).get("PidsLimit") or 0)
    yield container_outcome(
        c, "5.29", PASS if limit > 0 else FAIL, f"PidsLimit={limit}", "HostConfig.PidsLimit"
    )


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
        yield container_outcome(
            c, "5.30", WARN, f"on the default network {on_default[0]}", "NetworkSettings.Networks"
        )
    else:
        yield container_outcome(
            c,
            "5.30",
            PASS,
            f"networks: {', '.join(networks) or host_config(c).get('NetworkMode') or 'none'}",
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
        yield container_outcome(c, "5.32", FAIL, f"engine socket mounted: {', '.join(found)}", "Mounts")
    else:
        yield container_outcome(c, "5.32", PASS, "no engine socket mounted", "Mounts")


@container_check(
    "HOST092",
    "4.1",
    "Container runs as root",
    Severity.MEDIUM,
    "A process running as root in the container is root on the host after an escape (without userns).",
    "Run as a non-root user (USER in the image, or --user).",
)
def host092(snap: HostSnapshot, c: Container) -> Iterator[Outcome]:
    user = str(container_config(c).get("User") or "")
    root = user.split(":", maxsplit=1)[0] in ("", "root", "0")
    yield container_outcome(
        c, "4.1", FAIL if root else PASS, f"User={user or '(image default: root)'}", "Config.User"
    )


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
