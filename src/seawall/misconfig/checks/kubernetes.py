"""Kubernetes workload checks (K8S*): every Pod Security Standards control, plus CIS 5.x and NSA hardening.

The PSS checks follow kubernetes/pod-security-admission (policy/check_*.go, latest version): the same
field paths, the same allowed values, pod-level settings inherited by containers, and init and
ephemeral containers included.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from seawall.misconfig.checks.kube import (
    Container,
    PodTemplate,
    containers,
    get,
    items,
    labels_match,
    mapping,
    namespace_of,
    pod_template,
)
from seawall.misconfig.model import (
    K8S_CIS,
    K8S_NSA,
    PSS_BASELINE,
    PSS_RESTRICTED,
    ConfigObject,
    Evaluate,
    Hit,
    ScanContext,
)
from seawall.misconfig.registry import check
from seawall.model import Severity

PSS = "https://kubernetes.io/docs/concepts/security/pod-security-standards/"
NSA = "https://media.defense.gov/2022/Aug/29/2003066362/-1/-1/0/CTR_KUBERNETES_HARDENING_GUIDANCE_1.2_20220829.PDF"

BASELINE_CAPABILITIES = frozenset(
    {"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE"}
    | {"SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"}
)
SAFE_SYSCTLS = frozenset(
    {
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.ip_unprivileged_port_start",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_local_reserved_ports",
        "net.ipv4.tcp_keepalive_time",
        "net.ipv4.tcp_fin_timeout",
        "net.ipv4.tcp_keepalive_intvl",
        "net.ipv4.tcp_keepalive_probes",
        "net.ipv4.tcp_rmem",
        "net.ipv4.tcp_wmem",
        "net.ipv4.tcp_slow_start_after_idle",
        "net.ipv4.tcp_notsent_lowat",
    }
)
RESTRICTED_VOLUMES = frozenset(
    {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected"}
    | {"secret", "image"}
)
SELINUX_TYPES = frozenset({"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"})


def _k8s_check(
    id: str,
    title: str,
    severity: Severity,
    description: str,
    remediation: str,
    compliance: Iterable[tuple[str, str]] = (),
    refs: Iterable[str] = (PSS,),
) -> Callable[[Evaluate], Evaluate]:
    return check(
        id,
        title,
        severity,
        description,
        remediation,
        target="kubernetes",
        references=refs,
        compliance=compliance,
    )


def _pods(obj: ConfigObject) -> Iterator[PodTemplate]:
    pod = pod_template(obj)
    if pod is not None:
        yield pod


# --- Pod Security Standards: baseline ------------------------------------------------------------


@_k8s_check(
    "K8S001",
    "Windows HostProcess containers",
    Severity.HIGH,
    "HostProcess containers run directly on the Windows host with full privileges (PSS baseline).",
    "Remove securityContext.windowsOptions.hostProcess or set it to false.",
    [(PSS_BASELINE, "HostProcess"), (K8S_CIS, "5.2.10")],
)
def _k8s001(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for pod in _pods(obj):
        if get(pod.security_context, "windowsOptions", "hostProcess") is True:
            yield Hit(
                "pod must not set securityContext.windowsOptions.hostProcess=true",
                (*pod.path, "securityContext", "windowsOptions", "hostProcess"),
            )
        for c in containers(pod):
            if get(c.security_context, "windowsOptions", "hostProcess") is True:
                yield Hit(
                    f"{c.label} must not set securityContext.windowsOptions.hostProcess=true",
                    (*c.path, "securityContext", "windowsOptions", "hostProcess"),
                )


def _host_namespace_check(field: str) -> Evaluate:
    def evaluate(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
        for pod in _pods(obj):
            if pod.spec.get(field) is True:
                yield Hit(f"pod must not set {field}=true", (*pod.path, field))

    return evaluate


_k8s_check(
    "K8S002",
    "Host network namespace shared (hostNetwork)",
    Severity.HIGH,
    "hostNetwork gives the pod the node's network stack: it can sniff traffic and reach node-local "
    "services (PSS baseline: Host Namespaces).",
    "Remove hostNetwork or set it to false.",
    [(PSS_BASELINE, "Host Namespaces"), (K8S_CIS, "5.2.5"), (K8S_NSA, "Pod security: host namespaces")],
)(_host_namespace_check("hostNetwork"))
_k8s_check(
    "K8S003",
    "Host PID namespace shared (hostPID)",
    Severity.HIGH,
    "hostPID lets the pod see and signal every process on the node (PSS baseline: Host Namespaces).",
    "Remove hostPID or set it to false.",
    [(PSS_BASELINE, "Host Namespaces"), (K8S_CIS, "5.2.3"), (K8S_NSA, "Pod security: host namespaces")],
)(_host_namespace_check("hostPID"))
_k8s_check(
    "K8S004",
    "Host IPC namespace shared (hostIPC)",
    Severity.HIGH,
    "hostIPC lets the pod read and write the node's shared memory (PSS baseline: Host Namespaces).",
    "Remove hostIPC or set it to false.",
    [(PSS_BASELINE, "Host Namespaces"), (K8S_CIS, "5.2.4"), (K8S_NSA, "Pod security: host namespaces")],
)(_host_namespace_check("hostIPC"))


@_k8s_check(
    "K8S005",
    "Privileged container",
    Severity.HIGH,
    "A privileged container has every capability and all host devices; it is root on the node "
    "(PSS baseline: Privileged Containers).",
    "Remove securityContext.privileged or set it to false.",
    [(PSS_BASELINE, "Privileged Containers"), (K8S_CIS, "5.2.2"), (K8S_NSA, "Pod security: non-privileged")],
)
def _k8s005(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for pod in _pods(obj):
        for c in containers(pod):
            if c.security_context.get("privileged") is True:
                yield Hit(
                    f"{c.label} must not set securityContext.privileged=true",
                    (*c.path, "securityContext", "privileged"),
                )


def _caps(c: Container, key: str) -> list[str]:
    return [str(x) for x in items(get(c.security_context, "capabilities", key))]


@_k8s_check(
    "K8S006",
    "Capabilities beyond the baseline set added",
    Severity.MEDIUM,
    "Adding capabilities outside the default set (AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, "
    "MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT) is forbidden by PSS baseline.",
    "Remove the extra capabilities from securityContext.capabilities.add.",
    [(PSS_BASELINE, "Capabilities"), (K8S_CIS, "5.2.9"), (K8S_NSA, "Pod security: capabilities")],
)
def _k8s006(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for pod in _pods(obj):
        for c in containers(pod):
            bad = [cap for cap in _caps(c, "add") if cap not in BASELINE_CAPABILITIES]
            if bad:
                yield Hit(
                    f"{c.label} must not include {', '.join(sorted(set(bad)))} in "
                    "securityContext.capabilities.add",
                    (*c.path, "securityContext", "capabilities", "add"),
                )


@_k8s_check(
    "K8S007",
    "hostPath volume",
    Severity.MEDIUM,
    "hostPath volumes expose the node's filesystem to the pod (PSS baseline: HostPath Volumes).",
    "Use persistent volumes, emptyDir, configMap or secret volumes instead of hostPath.",
    [(PSS_BASELINE, "HostPath Volumes"), (K8S_CIS, "5.2.11"), (K8S_NSA, "Pod security: hostPath")],
)
def _k8s007(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for pod in _pods(obj):
        for index, vol in enumerate(items(pod.spec.get("volumes"))):
            if mapping(vol).get("hostPath") is not None:
                yield Hit(
                    f'volume "{mapping(vol).get("name", "")}" must not use hostPath',
                    (*pod.path, "volumes", index, "hostPath"),
                )


@_k8s_check(
    "K8S008",
    "hostPort used",
    Severity.MEDIUM,
    "hostPort binds the container to the node's network interface, bypassing network policy "
    "(PSS baseline: Host Ports).",
    "Remove hostPort; expose the pod through a Service.",
    [(PSS_BASELINE, "Host Ports"), (K8S_CIS, "5.2.12")],
)
def _k8s008(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for pod in _pods(obj):
        for c in containers(pod):
            for index, port in enumerate(items(c.spec.get("ports"))):
                host_port = mapping(port).get("hostPort")
                if host_port not in (None, 0, "0"):
                    yield Hit(
                        f"{c.label} must not set hostPort ({host_port})",
                        (*c.path, "ports", index, "hostPort"),
                    )


def _profile_forbidden(profile: Any) -> bool:
    return isinstance(profile, Mapping) and profile.get("type") not in (None, "RuntimeDefault", "Localhost")


@_k8s_check(
    "K8S009",
    "AppArmor profile disabled or overridden",
    Severity.MEDIUM,
    "Setting the AppArmor profile to unconfined (or any type other than RuntimeDefault/Localhost) "
    "removes a kernel confinement layer (PSS baseline: AppArmor).",
    "Leave the AppArmor profile unset, or use RuntimeDefault or a Localhost profile.",
    [(PSS_BASELINE, "AppArmor"), (K8S_NSA, "Pod security: AppArmor")],
)
def _k8s009(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for pod in _pods(obj):
        prefix = "container.apparmor.security.beta.kubernetes.io/"
        annotations = mapping(pod.metadata.get("annotations"))
        for key, value in annotations.items():
            if str(key).startswith(prefix):
                text = str(value) if value is not None else ""
                if text and text != "runtime/default" and not text.startswith("localhost/"):
                    yield Hit(
                        f'annotation {key}="{text}" is not an allowed AppArmor profile',
                        (*pod.path[:-1], "metadata", "annotations", key)
                        if pod.kind != "Pod"
                        else ("metadata", "annotations", key),
                    )
        if _profile_forbidden(pod.security_context.get("appArmorProfile")):
            yield Hit(
                "pod must not set securityContext.appArmorProfile.type="
                f"{get(pod.security_context, 'appArmorProfile', 'type')}",
                (*pod.path, "securityContext", "appArmorProfile", "type"),
            )
        for c in containers(pod):
            if _profile_forbidden(c.security_context.get("appArmorProfile")):
                yield Hit(
                    f"{c.label} must not set securityContext.appArmorProfile.type="
                    f"{get(c.security_context, 'appArmorProfile', 'type')}",
                    (*c.path, "securityContext", "appArmorProfile", "type"),
                )


def _selinux_problems(options: Any) -> list[str]:
    opts = mapping(options)
    problems = []
    if opts.get("type") not in (None, *SELINUX_TYPES):
        problems.append(f"type={opts.get('type')}")
    for key in ("user", "role"):
        if opts.get(key) not in (None, ""):
            problems.append(f"{key}={opts.get(key)}")
    return problems


@_k8s_check(
    "K8S010",
    "Custom SELinux options",
    Severity.MEDIUM,
    "Setting a custom SELinux user or role, or a type other than the container types, can escape "
    "the container's SELinux confinement (PSS baseline: SELinux).",
    "Remove seLinuxOptions.user/role and use one of container_t, container_init_t, container_kvm_t, "
    "container_engine_t.",
    [(PSS_BASELINE, "SELinux")],
)
def _k8s010(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for pod in _pods(obj):
        problems = _selinux_problems(pod.security_context.get("seLinuxOptions"))
        if problems:
            yield Hit(
                f"pod must not set securityContext.seLinuxOptions {', '.join(problems)}",
                (*pod.path, "securityContext", "seLinuxOptions"),
            )
        for c in containers(pod):
            problems = _selinux_problems(c.security_context.get("seLinuxOptions"))
            if problems:
                yield Hit(
                    f"{c.label} must not set securityContext.seLinuxOptions {', '.join(problems)}",
                    (*c.path, "securityContext", "seLinuxOptions"),
                )


@_k8s_check(
    "K8S011",
    "Non-default /proc mount",
    Severity.MEDIUM,
    "procMount: Unmasked exposes the host's /proc paths that the runtime normally masks "
    "(PSS baseline: /proc Mount Type; allowed with hostUsers: false).",
    "Remove securityContext.procMount or set it to Default.",
    [(PSS_BASELINE, "/proc Mount Type")],
)
def _k8s011(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for pod in _pods(obj):
        if pod.spec.get("hostUsers") is False:
            continue
        for c in containers(pod):
            mount = c.security_context.get("procMount")
            if mount not in (None, "Default"):
                yield Hit(
                    f"{c.label} must not set securityContext.procMount={mount}",
                    (*c.path, "securityContext", "procMount"),
                )


def _seccomp_type(sc: Mapping[str, Any]) -> Any:
    return get(sc, "seccompProfile", "type")


@_k8s_check(
    "K8S012",
    "Seccomp profile set to Unconfined",
    Severity.MEDIUM,
    "An Unconfined seccomp profile lets the container make every system call (PSS baseline: Seccomp).",
    "Use seccompProfile.type RuntimeDefault or Localhost.",
    [(PSS_BASELINE, "Seccomp"), (K8S_CIS, "5.6.2"), (K8S_NSA, "Pod security: seccomp")],
)
def _k8s012(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for pod in _pods(obj):
        if _seccomp_type(pod.security_context) == "Unconfined":
            yield Hit(
                "pod must not set securityContext.seccompProfile.type=Unconfined",
                (*pod.path, "securityContext", "seccompProfile", "type"),
            )
        for c in containers(pod):
            if _seccomp_type(c.security_context) == "Unconfined":
                yield Hit(
                    f"{c.label} must not set securityContext.seccompProfile.type=Unconfined",
                    (*c.path, "securityContext", "seccompProfile", "type"),
                )


@_k8s_check(
    "K8S013",
    "Unsafe sysctls",
    Severity.MEDIUM,
    "Sysctls outside the namespaced safe set can affect the whole node (PSS baseline: Sysctls).",
    "Only set sysctls from the safe set (kernel.shm_rmid_forced, net.ipv4.ip_local_port_range, ...).",
    [(PSS_BASELINE, "Sysctls")],
)
def _k8s013(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for pod in _pods(obj):
        for index, sysctl in enumerate(items(pod.security_context.get("sysctls"))):
            name = mapping(sysctl).get("name")
            if name not in SAFE_SYSCTLS:
                yield Hit(
                    f"pod must not set sysctl {name}",
                    (*pod.path, "securityContext", "sysctls", index, "name"),
                )


_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")


@_k8s_check(
    "K8S014",
    "Probe or lifecycle handler targets another host",
    Severity.MEDIUM,
    "httpGet/tcpSocket 'host' in probes and lifecycle hooks makes the kubelet connect to arbitrary "
    "hosts on the pod's behalf (PSS baseline: Host Probes / Lifecycle Hooks, v1.34+).",
    "Remove the host field so the kubelet targets the pod IP.",
    [(PSS_BASELINE, "Host Probes / Lifecycle Hooks")],
)
def _k8s014(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for pod in _pods(obj):
        for c in containers(pod):
            handlers: list[tuple[tuple[str, ...], Any]] = [((p,), c.spec.get(p)) for p in _PROBES]
            handlers += [(("lifecycle", h), get(c.spec, "lifecycle", h)) for h in ("postStart", "preStop")]
            for where, handler in handlers:
                for action in ("httpGet", "tcpSocket"):
                    host = get(handler, action, "host")
                    if host not in (None, ""):
                        yield Hit(
                            f"{c.label} {'.'.join(where)}.{action}.host={host} is not allowed",
                            (*c.path, *where, action, "host"),
                        )


# --- Pod Security Standards: restricted ----------------------------------------------------------


@_k8s_check(
    "K8S015",
    "Volume type not allowed by the restricted profile",
    Severity.LOW,
    "PSS restricted allows only configMap, csi, downwardAPI, emptyDir, ephemeral, image, "
    "persistentVolumeClaim, projected and secret volumes.",
    "Use one of the allowed volume types (through a PersistentVolumeClaim for network storage).",
    [(PSS_RESTRICTED, "Volume Types")],
)
def _k8s015(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for pod in _pods(obj):
        for index, vol in enumerate(items(pod.spec.get("volumes"))):
            kinds = [k for k in mapping(vol) if k != "name" and k not in RESTRICTED_VOLUMES]
            if kinds:
                yield Hit(
                    f'volume "{mapping(vol).get("name", "")}" uses restricted volume type {kinds[0]}',
                    (*pod.path, "volumes", index, kinds[0]),
                )


@_k8s_check(
    "K8S016",
    "Privilege escalation allowed",
    Severity.MEDIUM,
    "Unless allowPrivilegeEscalation is false, setuid binaries can gain more privileges than the "
    "process started with (PSS restricted; not required for Windows pods).",
    "Set securityContext.allowPrivilegeEscalation: false on every container.",
    [
        (PSS_RESTRICTED, "Privilege Escalation"),
        (K8S_CIS, "5.2.6"),
        (K8S_NSA, "Pod security: privilege escalation"),
    ],
)
def _k8s016(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for pod in _pods(obj):
        if pod.is_windows:
            continue
        for c in containers(pod):
            if c.security_context.get("allowPrivilegeEscalation") is not False:
                yield Hit(
                    f"{c.label} must set securityContext.allowPrivilegeEscalation=false",
                    (*c.path, "securityContext", "allowPrivilegeEscalation"),
                )


@_k8s_check(
    "K8S017",
    "Containers may run as root (runAsNonRoot not true)",
    Severity.MEDIUM,
    "PSS restricted requires runAsNonRoot: true on the pod or on every container; a container "
    "inherits the pod's setting (not required with hostUsers: false).",
    "Set securityContext.runAsNonRoot: true at pod level (or on every container).",
    [(PSS_RESTRICTED, "Running as Non-root"), (K8S_CIS, "5.2.7"), (K8S_NSA, "Pod security: non-root")],
)
def _k8s017(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for pod in _pods(obj):
        if pod.spec.get("hostUsers") is False:
            continue
        pod_value = pod.security_context.get("runAsNonRoot")
        explicit: list[Hit] = []
        if pod_value is False:
            explicit.append(
                Hit(
                    "pod must not set securityContext.runAsNonRoot=false",
                    (*pod.path, "securityContext", "runAsNonRoot"),
                )
            )
        unset: list[Container] = []
        for c in containers(pod):
            value = c.security_context.get("runAsNonRoot")
            if value is False:
                explicit.append(
                    Hit(
                        f"{c.label} must not set securityContext.runAsNonRoot=false",
                        (*c.path, "securityContext", "runAsNonRoot"),
                    )
                )
            elif value is None and pod_value is not True:
                unset.append(c)
        # As pod-security-admission: explicit runAsNonRoot=false is reported first, alone.
        yield from explicit
        if unset and not explicit:
            names = ", ".join(c.label for c in unset)
            yield Hit(
                f"pod or {names} must set securityContext.runAsNonRoot=true",
                (*unset[0].path, "securityContext")
                if pod_value is False or len(unset) == 1
                else (*pod.path, "securityContext"),
            )


@_k8s_check(
    "K8S018",
    "Container runs as UID 0",
    Severity.MEDIUM,
    "runAsUser: 0 runs the container as root (PSS restricted: Running as Non-root user; allowed with "
    "hostUsers: false).",
    "Set runAsUser to a non-zero UID.",
    [(PSS_RESTRICTED, "Running as Non-root user"), (K8S_CIS, "5.2.7")],
)
def _k8s018(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for pod in _pods(obj):
        if pod.spec.get("hostUsers") is False:
            continue  # user-namespaced pods: UID 0 in the pod is not root on the node (KEP-127)
        if pod.security_context.get("runAsUser") == 0:
            yield Hit(
                "pod must not set securityContext.runAsUser=0", (*pod.path, "securityContext", "runAsUser")
            )
        for c in containers(pod):
            if c.security_context.get("runAsUser") == 0:
                yield Hit(
                    f"{c.label} must not set securityContext.runAsUser=0",
                    (*c.path, "securityContext", "runAsUser"),
                )


@_k8s_check(
    "K8S019",
    "Seccomp profile not set to RuntimeDefault or Localhost",
    Severity.LOW,
    "PSS restricted requires seccompProfile.type RuntimeDefault or Localhost on the pod, or on every "
    "container that does not inherit it (not required for Windows pods).",
    "Set spec.securityContext.seccompProfile.type: RuntimeDefault.",
    [(PSS_RESTRICTED, "Seccomp"), (K8S_CIS, "5.6.2"), (K8S_NSA, "Pod security: seccomp")],
)
def _k8s019(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for pod in _pods(obj):
        if pod.is_windows:
            continue
        pod_type = _seccomp_type(pod.security_context)
        if pod_type not in (None, "RuntimeDefault", "Localhost"):
            yield Hit(
                f"pod must not set securityContext.seccompProfile.type={pod_type}",
                (*pod.path, "securityContext", "seccompProfile", "type"),
            )
        unset: list[Container] = []
        for c in containers(pod):
            c_type = _seccomp_type(c.security_context)
            if c_type is None:
                if pod_type is None:
                    unset.append(c)
            elif c_type not in ("RuntimeDefault", "Localhost"):
                yield Hit(
                    f"{c.label} must not set securityContext.seccompProfile.type={c_type}",
                    (*c.path, "securityContext", "seccompProfile", "type"),
                )
        if unset:
            names = ", ".join(c.label for c in unset)
            yield Hit(
                f"pod or {names} must set securityContext.seccompProfile.type to RuntimeDefault or Localhost",
                (*pod.path, "securityContext"),
            )


@_k8s_check(
    "K8S020",
    "Capabilities not dropped (restricted)",
    Severity.LOW,
    "PSS restricted requires every container to drop ALL capabilities and to add back at most "
    "NET_BIND_SERVICE (not required for Windows pods).",
    "Set securityContext.capabilities.drop: [ALL] and add only NET_BIND_SERVICE if needed.",
    [(PSS_RESTRICTED, "Capabilities"), (K8S_CIS, "5.2.9"), (K8S_NSA, "Pod security: capabilities")],
)
def _k8s020(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for pod in _pods(obj):
        if pod.is_windows:
            continue
        for c in containers(pod):
            if "ALL" not in _caps(c, "drop"):
                yield Hit(
                    f'{c.label} must set securityContext.capabilities.drop=["ALL"]',
                    (*c.path, "securityContext", "capabilities", "drop"),
                )
            extra = [cap for cap in _caps(c, "add") if cap != "NET_BIND_SERVICE"]
            if extra:
                yield Hit(
                    f"{c.label} must not include {', '.join(sorted(set(extra)))} in "
                    "securityContext.capabilities.add",
                    (*c.path, "securityContext", "capabilities", "add"),
                )


# --- CIS Kubernetes 5.x, NSA/CISA hardening and general hygiene ------------------------------------

_LONG_RUNNING = frozenset(
    {"DeploymentConfig"}
    | {"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController"}
)


def _resource_check(kind: str, resource: str) -> Evaluate:
    def evaluate(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
        for pod in _pods(obj):
            for c in containers(pod, ("initContainers", "containers")):
                if get(c.spec, "resources", kind, resource) in (None, ""):
                    yield Hit(
                        f"{c.label} does not set resources.{kind}.{resource}",
                        (*c.path, "resources", kind, resource),
                    )

    return evaluate


_k8s_check(
    "K8S021",
    "Memory limit not set",
    Severity.LOW,
    "Without a memory limit one container can exhaust the node's memory (NSA: resource policies).",
    "Set resources.limits.memory.",
    [(K8S_NSA, "Resource policies")],
    refs=["https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/"],
)(_resource_check("limits", "memory"))
_k8s_check(
    "K8S022",
    "CPU limit not set",
    Severity.LOW,
    "Without a CPU limit one container can starve others on the node (NSA: resource policies).",
    "Set resources.limits.cpu.",
    [(K8S_NSA, "Resource policies")],
    refs=["https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/"],
)(_resource_check("limits", "cpu"))
_k8s_check(
    "K8S023",
    "Memory request not set",
    Severity.LOW,
    "Without a memory request the scheduler cannot place the pod sensibly and it is evicted first.",
    "Set resources.requests.memory.",
    refs=["https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/"],
)(_resource_check("requests", "memory"))
_k8s_check(
    "K8S024",
    "CPU request not set",
    Severity.LOW,
    "Without a CPU request the scheduler cannot reserve CPU for the container.",
    "Set resources.requests.cpu.",
    refs=["https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/"],
)(_resource_check("requests", "cpu"))


def image_tag(image: str) -> tuple[str, str]:
    """(tag, digest) of an image reference; the tag is empty when absent."""
    name, _, digest = image.partition("@")
    last = name.rsplit("/", 1)[-1]
    return (last.rsplit(":", 1)[1] if ":" in last else ""), digest


@_k8s_check(
    "K8S025",
    "Image tag is 'latest' or missing",
    Severity.MEDIUM,
    "A 'latest' or missing tag makes the running version unpredictable and rollbacks impossible.",
    "Use a specific version tag or a digest.",
    refs=["https://kubernetes.io/docs/concepts/containers/images/#image-names"],
)
def _k8s025(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for pod in _pods(obj):
        for c in containers(pod):
            image = c.spec.get("image")
            if not isinstance(image, str) or not image or "$" in image or "{{" in image:
                continue
            tag, digest = image_tag(image)
            if not digest and tag in ("", "latest"):
                yield Hit(
                    f'{c.label} image "{image}" uses {"the latest tag" if tag else "no tag"}',
                    (*c.path, "image"),
                )


@_k8s_check(
    "K8S026",
    "Image not pinned by digest",
    Severity.LOW,
    "Tags can be moved to other content; only a digest pins exactly what runs.",
    "Reference images as name@sha256:... (tools such as kustomize or Renovate keep digests current).",
    refs=["https://kubernetes.io/docs/concepts/containers/images/#image-names"],
)
def _k8s026(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for pod in _pods(obj):
        for c in containers(pod):
            image = c.spec.get("image")
            if isinstance(image, str) and image and "@" not in image and "$" not in image:
                yield Hit(f'{c.label} image "{image}" is not pinned by digest', (*c.path, "image"))


@_k8s_check(
    "K8S027",
    "imagePullPolicy is not Always",
    Severity.LOW,
    "With IfNotPresent/Never a node reuses a cached image, skipping registry authorization for "
    "private images and missing a re-pushed tag. Digest-pinned images are exempt.",
    "Set imagePullPolicy: Always (or pin the image by digest).",
    refs=["https://kubernetes.io/docs/concepts/containers/images/#image-pull-policy"],
)
def _k8s027(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for pod in _pods(obj):
        for c in containers(pod):
            image = c.spec.get("image")
            policy = c.spec.get("imagePullPolicy")
            if isinstance(image, str) and "@" in image:
                continue
            if policy is None:
                # Kubernetes defaults to Always only for the latest tag or no tag.
                tag = image_tag(image)[0] if isinstance(image, str) else ""
                if tag not in ("", "latest"):
                    yield Hit(f"{c.label} defaults to imagePullPolicy IfNotPresent", (*c.path, "image"))
            elif policy != "Always":
                yield Hit(f"{c.label} sets imagePullPolicy {policy}", (*c.path, "imagePullPolicy"))


def _service_account_index(ctx: ScanContext) -> dict[tuple[str, str], tuple[int, Any]]:
    """(namespace, name) -> (position, automountServiceAccountToken) of the first ServiceAccount so named."""
    index: dict[tuple[str, str], tuple[int, Any]] = {}
    for n, sa in enumerate(ctx.of_kind("ServiceAccount")):
        name = get(sa.data, "metadata", "name")
        if isinstance(name, str):
            index.setdefault((namespace_of(sa), name), (n, get(sa.data, "automountServiceAccountToken")))
    return index


def _service_account_automount(ctx: ScanContext, namespace: str, name: str) -> Any:
    # Indexed once per scan: scanning every ServiceAccount per pod was quadratic on large inputs.
    index = ctx.derived("k8s.service-accounts", _service_account_index)
    # A ServiceAccount without a namespace (applied with -n) matches too; the first in input order wins.
    found = [hit for hit in (index.get((namespace, name)), index.get(("", name))) if hit is not None]
    return min(found, key=lambda hit: hit[0])[1] if found else None


@_k8s_check(
    "K8S028",
    "Service account token mounted",
    Severity.LOW,
    "Unless automountServiceAccountToken is false (on the pod, or on its ServiceAccount with the pod "
    "not overriding it), every process in the pod can use the API token (CIS 5.1.6).",
    "Set automountServiceAccountToken: false on the pod or its ServiceAccount unless it calls the API.",
    [(K8S_CIS, "5.1.6"), (K8S_NSA, "Authentication: service account tokens")],
    refs=["https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/"],
)
def _k8s028(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for pod in _pods(obj):
        value = pod.spec.get("automountServiceAccountToken")
        if value is False:
            continue
        if value is None:
            sa = pod.spec.get("serviceAccountName") or pod.spec.get("serviceAccount") or "default"
            if _service_account_automount(ctx, namespace_of(obj), str(sa)) is False:
                continue
        yield Hit(
            "pod mounts the service account token (automountServiceAccountToken is not false)",
            (*pod.path, "automountServiceAccountToken"),
        )


_NAMESPACED_KINDS = frozenset(
    {"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"}
    | {"ReplicationController", "Job", "CronJob", "Service", "ConfigMap", "Secret", "ServiceAccount"}
    | {"Role", "RoleBinding", "Ingress", "NetworkPolicy", "PersistentVolumeClaim"}
)


# Objects that exist in the default namespace of every cluster (a dump of them is not a finding).
_BUILT_IN_DEFAULTS = frozenset({"Service/default/kubernetes", "ServiceAccount/default/default"})


@_k8s_check(
    "K8S029",
    "Resource in the default namespace",
    Severity.LOW,
    "Workloads in the default namespace share it with everything else deployed without thought; "
    "namespaces are the unit of RBAC, quotas and network policy (CIS 5.6.4).",
    "Set metadata.namespace to a dedicated namespace.",
    [(K8S_CIS, "5.6.4")],
    refs=["https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/"],
)
def _k8s029(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    if obj.kind not in _NAMESPACED_KINDS or obj.name in _BUILT_IN_DEFAULTS:
        return
    # Only an explicit "default": without metadata.namespace the namespace is chosen at apply time
    # (kubectl -n, kustomize, Helm --namespace), so flagging it would be noise.
    if get(obj.data, "metadata", "namespace") == "default":
        yield Hit(f"{obj.kind} is in the default namespace", ("metadata", "namespace"))


@_k8s_check(
    "K8S030",
    "Pod uses the default service account",
    Severity.LOW,
    "Pods that share the default service account share whatever RBAC someone grants it (CIS 5.1.5).",
    "Create a dedicated ServiceAccount per workload and set serviceAccountName.",
    [(K8S_CIS, "5.1.5")],
    refs=["https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/"],
)
def _k8s030(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for pod in _pods(obj):
        sa = pod.spec.get("serviceAccountName") or pod.spec.get("serviceAccount")
        if sa in (None, "", "default"):
            path = (*pod.path, "serviceAccountName") if sa else pod.path
            yield Hit("pod runs as the default service account", path)


def _probe_check(probe: str) -> Evaluate:
    def evaluate(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
        if obj.kind not in _LONG_RUNNING:
            return  # Jobs and CronJobs run to completion; probes are not expected there
        for pod in _pods(obj):
            for c in containers(pod, ("containers",)):
                if c.spec.get(probe) is None:
                    yield Hit(f"{c.label} has no {probe}", c.path)

    return evaluate


_k8s_check(
    "K8S031",
    "Liveness probe not configured",
    Severity.LOW,
    "Without a liveness probe a hung container is never restarted.",
    "Add a livenessProbe.",
    refs=[
        "https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/"
    ],
)(_probe_check("livenessProbe"))
_k8s_check(
    "K8S032",
    "Readiness probe not configured",
    Severity.LOW,
    "Without a readiness probe traffic reaches the container before it is ready.",
    "Add a readinessProbe.",
    refs=[
        "https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/"
    ],
)(_probe_check("readinessProbe"))


@_k8s_check(
    "K8S033",
    "Root filesystem is writable",
    Severity.LOW,
    "A read-only root filesystem stops an attacker from dropping tools or changing binaries "
    "(NSA: immutable container filesystems).",
    "Set securityContext.readOnlyRootFilesystem: true and mount emptyDir volumes where writes are needed.",
    [(K8S_NSA, "Pod security: immutable filesystem")],
)
def _k8s033(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for pod in _pods(obj):
        for c in containers(pod, ("initContainers", "containers")):
            if c.security_context.get("readOnlyRootFilesystem") is not True:
                yield Hit(
                    f"{c.label} does not set securityContext.readOnlyRootFilesystem=true",
                    (*c.path, "securityContext", "readOnlyRootFilesystem"),
                )


@_k8s_check(
    "K8S034",
    "Secrets passed as environment variables",
    Severity.LOW,
    "Environment variables leak through logs, crash dumps and child processes; mounted secret files "
    "do not (CIS 5.4.1).",
    "Mount the secret as a volume and read it from a file.",
    [(K8S_CIS, "5.4.1"), (K8S_NSA, "Secrets")],
    refs=["https://kubernetes.io/docs/concepts/configuration/secret/#using-secrets-as-environment-variables"],
)
def _k8s034(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for pod in _pods(obj):
        for c in containers(pod):
            for index, env in enumerate(items(c.spec.get("env"))):
                if get(env, "valueFrom", "secretKeyRef") is not None:
                    yield Hit(
                        f"{c.label} reads secret into env var {mapping(env).get('name')}",
                        (*c.path, "env", index, "valueFrom", "secretKeyRef"),
                    )
            for index, env_from in enumerate(items(c.spec.get("envFrom"))):
                if mapping(env_from).get("secretRef") is not None:
                    yield Hit(
                        f"{c.label} loads a whole secret into env vars (envFrom.secretRef)",
                        (*c.path, "envFrom", index, "secretRef"),
                    )


SENSITIVE_HOST_PATHS = {
    "/": "the node's root filesystem",
    "/etc": "node configuration",
    "/proc": "host processes",
    "/sys": "kernel interfaces",
    "/root": "root's home",
    "/boot": "the kernel and boot loader",
    "/dev": "host devices",
    "/var/run/docker.sock": "the Docker socket (root on the node)",
    "/run/docker.sock": "the Docker socket (root on the node)",
    "/var/run/docker": "the Docker runtime directory",
    "/var/lib/docker": "Docker's storage",
    "/var/lib/kubelet": "kubelet state and pod secrets",
    "/etc/kubernetes": "cluster credentials",
    "/var/run/containerd/containerd.sock": "the containerd socket (root on the node)",
    "/run/containerd/containerd.sock": "the containerd socket (root on the node)",
    "/run/containerd": "the containerd runtime directory",
    "/var/run/crio/crio.sock": "the CRI-O socket (root on the node)",
    "/run/crio/crio.sock": "the CRI-O socket (root on the node)",
    "/var/lib/containerd": "containerd's storage",
    "/var/log": "node logs (symlink attacks on log files)",
}


@_k8s_check(
    "K8S035",
    "Sensitive host path mounted",
    Severity.HIGH,
    "Mounting the node's root, /etc, /proc, the kubelet directory or a container runtime socket "
    "gives the pod control over the node (CIS 5.2.11, NSA).",
    "Remove the hostPath volume; use a dedicated API or a CSI driver instead.",
    [(K8S_CIS, "5.2.11"), (K8S_NSA, "Pod security: hostPath")],
    refs=["https://kubernetes.io/docs/concepts/storage/volumes/#hostpath"],
)
def _k8s035(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for pod in _pods(obj):
        for index, vol in enumerate(items(pod.spec.get("volumes"))):
            path = get(vol, "hostPath", "path")
            if not isinstance(path, str):
                continue
            normal = "/" + path.strip("/") if path.strip("/") else "/"
            what = SENSITIVE_HOST_PATHS.get(normal)
            if what:
                yield Hit(
                    f'volume "{mapping(vol).get("name", "")}" mounts host path {path}: {what}',
                    (*pod.path, "volumes", index, "hostPath", "path"),
                )


@_k8s_check(
    "K8S036",
    "NET_RAW capability not dropped",
    Severity.LOW,
    "NET_RAW (in the default set of most runtimes) allows packet spoofing and ARP/DNS poisoning "
    "inside the cluster network (CIS 5.2.8).",
    "Drop NET_RAW (or ALL) in securityContext.capabilities.drop.",
    [(K8S_CIS, "5.2.8")],
    refs=[
        "https://kubernetes.io/docs/tasks/configure-pod-container/security-context/#set-capabilities-for-a-container"
    ],
)
def _k8s036(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for pod in _pods(obj):
        if pod.is_windows:
            continue
        for c in containers(pod):
            if c.security_context.get("privileged") is True:
                continue  # reported by K8S005; a privileged container has every capability anyway
            drop = {cap.upper().removeprefix("CAP_") for cap in _caps(c, "drop")}
            added = {cap.upper().removeprefix("CAP_") for cap in _caps(c, "add")}
            if not drop & {"ALL", "NET_RAW"} or added & {"NET_RAW", "ALL"}:
                yield Hit(
                    f"{c.label} does not drop NET_RAW", (*c.path, "securityContext", "capabilities", "drop")
                )


@_k8s_check(
    "K8S037",
    "SYS_ADMIN capability added",
    Severity.HIGH,
    "CAP_SYS_ADMIN is close to root on the node: mount, namespaces, BPF and more.",
    "Remove SYS_ADMIN from securityContext.capabilities.add.",
    [(K8S_CIS, "5.2.9")],
    refs=["https://man7.org/linux/man-pages/man7/capabilities.7.html"],
)
def _k8s037(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for pod in _pods(obj):
        for c in containers(pod):
            added = {cap.upper().removeprefix("CAP_") for cap in _caps(c, "add")}
            if added & {"SYS_ADMIN", "ALL"}:
                yield Hit(
                    f"{c.label} adds {'ALL' if 'ALL' in added else 'SYS_ADMIN'}",
                    (*c.path, "securityContext", "capabilities", "add"),
                )


@_k8s_check(
    "K8S038",
    "Service exposed outside the cluster without source restriction",
    Severity.MEDIUM,
    "NodePort opens the port on every node; LoadBalancer without loadBalancerSourceRanges accepts "
    "traffic from anywhere (NSA: network separation).",
    "Use ClusterIP behind an Ingress, or restrict LoadBalancer with loadBalancerSourceRanges.",
    [(K8S_NSA, "Network separation")],
    refs=[
        "https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types"
    ],
)
def _k8s038(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    if obj.kind != "Service":
        return
    kind = get(obj.data, "spec", "type")
    if kind == "NodePort":
        yield Hit("Service of type NodePort opens its port on every node", ("spec", "type"))
    elif kind == "LoadBalancer" and not items(get(obj.data, "spec", "loadBalancerSourceRanges")):
        yield Hit("Service of type LoadBalancer sets no loadBalancerSourceRanges", ("spec", "type"))


def _apply_unit(obj: ConfigObject) -> str:
    # Manifests without a namespace land in whatever namespace they are applied to; assume the files of
    # one directory are applied together (kubectl apply -f DIR), and unrelated directories are not.
    return obj.file.rpartition("/")[0]


def _policy_selects(
    policy: ConfigObject, namespace: str, labels: Mapping[str, Any], unit: str | None = None
) -> bool:
    policy_ns = namespace_of(policy)
    if policy_ns and namespace and policy_ns != namespace:
        return False
    if not policy_ns and not namespace and unit is not None and _apply_unit(policy) != unit:
        return False
    selector = get(policy.data, "spec", "podSelector")
    return isinstance(selector, Mapping) and labels_match(selector, labels)


_MAX_LISTED = 20  # workload names spelled out in one message; the rest are counted


def _exposed_by_namespace(ctx: ScanContext) -> dict[tuple[str, str], list[ConfigObject]]:
    """(namespace, apply unit) -> workloads no NetworkPolicy selects, in input order."""
    policies = ctx.of_kind("NetworkPolicy")
    groups: dict[tuple[str, str], list[ConfigObject]] = {}
    for obj in ctx.objects:
        for pod in _pods(obj):
            if pod.spec.get("hostNetwork") is True:
                continue  # NetworkPolicy does not apply to host-network pods
            namespace = namespace_of(obj)
            labels = mapping(pod.metadata.get("labels"))
            unit = "" if namespace else _apply_unit(obj)
            if not any(_policy_selects(p, namespace, labels, unit) for p in policies):
                groups.setdefault((namespace, unit), []).append(obj)
    return groups


def _workload_name(obj: ConfigObject) -> str:
    name = get(obj.data, "metadata", "name")
    return f"{obj.kind}/{name if isinstance(name, str) else ''}"


@_k8s_check(
    "K8S039",
    "Namespace without a NetworkPolicy for its workloads",
    Severity.LOW,
    "Pods that no NetworkPolicy selects accept traffic from every pod in the cluster (CIS 5.3.2). "
    "Reported once per namespace, on its first exposed workload, listing every exposed workload; "
    "evaluated against the NetworkPolicies among the scanned objects.",
    "Add a NetworkPolicy (at least a default-deny one) in the namespace.",
    [(K8S_CIS, "5.3.2"), (K8S_NSA, "Network separation")],
    refs=["https://kubernetes.io/docs/concepts/services-networking/network-policies/"],
)
def _k8s039(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    pod = pod_template(obj)
    if pod is None or pod.spec.get("hostNetwork") is True:
        return
    namespace = namespace_of(obj)
    # Grouped once per scan: K8S039 reports on a namespace's first exposed workload, and every object asks.
    groups = ctx.derived("k8s.exposed-workloads", _exposed_by_namespace)
    exposed = groups.get((namespace, "" if namespace else _apply_unit(obj)), [])
    if not exposed or exposed[0] is not obj:
        return
    names = [_workload_name(o) for o in exposed[:_MAX_LISTED]]
    more = f" and {len(exposed) - _MAX_LISTED} more" if len(exposed) > _MAX_LISTED else ""
    where = (
        f'namespace "{namespace}"' if namespace else f"the namespace {_apply_unit(obj) or '.'}/ is applied to"
    )
    has_policy = any(
        namespace_of(p) == namespace
        if namespace_of(p) and namespace
        else bool(namespace) or _apply_unit(p) == _apply_unit(obj)
        for p in ctx.of_kind("NetworkPolicy")
    )
    what = "no NetworkPolicy selects" if has_policy else "has no NetworkPolicy; exposed"
    count = f"{len(exposed)} workload{'s' if len(exposed) != 1 else ''}"
    if has_policy:
        yield Hit(f"{where}: {what} {count}: {', '.join(names)}{more}", pod.path)
    else:
        yield Hit(f"{where} {what} {count}: {', '.join(names)}{more}", pod.path)


@_k8s_check(
    "K8S040",
    "Container runs with a low UID",
    Severity.LOW,
    "UIDs below 10000 may collide with host users; if the container escapes it acts as that user.",
    "Set runAsUser to 10000 or more (pod level or per container).",
    refs=["https://kubernetes.io/docs/tasks/configure-pod-container/security-context/"],
)
def _k8s040(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    for pod in _pods(obj):
        pod_uid = pod.security_context.get("runAsUser")
        for c in containers(pod):
            uid = c.security_context.get("runAsUser", pod_uid)
            if isinstance(uid, int) and not isinstance(uid, bool) and uid < 10000:
                inherited = "runAsUser" not in c.security_context
                path = (
                    (*pod.path, "securityContext", "runAsUser")
                    if inherited
                    else (*c.path, "securityContext", "runAsUser")
                )
                yield Hit(f"{c.label} runs as UID {uid}" + (" (from the pod)" if inherited else ""), path)


@_k8s_check(
    "K8S041",
    "ServiceAccount 'default' has token automount enabled",
    Severity.LOW,
    "The default ServiceAccount is used by every pod that names none; its token should not be "
    "mounted by default (CIS 5.1.5).",
    "Set automountServiceAccountToken: false on the default ServiceAccount.",
    [(K8S_CIS, "5.1.5")],
    refs=["https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/"],
)
def _k8s041(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    is_default = obj.kind == "ServiceAccount" and get(obj.data, "metadata", "name") == "default"
    if is_default and obj.data.get("automountServiceAccountToken") is not False:
        yield Hit("the default ServiceAccount mounts its token", ("metadata", "name"))


@_k8s_check(
    "K8S042",
    "ingress-nginx configuration snippet annotation",
    Severity.HIGH,
    "*-snippet annotations (server-snippet, configuration-snippet, ...) inject raw nginx configuration: "
    "whoever can edit the Ingress can read the controller's service account token and every secret it "
    "sees (CVE-2021-25742, CVE-2025-1974).",
    "Remove the snippet annotation and keep allow-snippet-annotations disabled on the controller.",
    refs=["https://github.com/kubernetes/ingress-nginx/issues/7837"],
)
def _k8s042(obj: ConfigObject, ctx: ScanContext) -> Iterator[Hit]:
    if obj.kind != "Ingress":
        return
    for key in mapping(get(obj.data, "metadata", "annotations")):
        name = str(key)
        if name.startswith("nginx.ingress.kubernetes.io/") and name.endswith("-snippet"):
            yield Hit(f"annotation {name} injects nginx configuration", ("metadata", "annotations", name))
