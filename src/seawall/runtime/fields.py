"""The field table: every Falco field name Seawall knows, its type, and how to read it from an event.

A field is either *flat* (its value sits in the event dict under its own name: one ``dict.get``) or
*computed* (a small function of the event, e.g. ``proc.aname[2]`` or ``ka.req.pod.containers.image``).
``filled`` says whether one of Seawall's live sources fills the field; rules may still use the
others (Falco knows them), they just never match on live events. ``docs/runtime.md`` lists them.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from seawall.runtime.events import K8S_AUDIT, SYSCALL, Event

Getter = Callable[[Event], Any]

# Field types, as libsinsp names them (reduced to what changes how a literal is compared).
STR = "string"
INT = "int"
BOOL = "bool"
IPADDR = "ipaddr"
IPNET = "ipnet"
BYTES = "bytes"

ARG_NONE = "none"
ARG_OPTIONAL = "optional"
ARG_REQUIRED = "required"


@dataclass(frozen=True, slots=True)
class FieldDef:
    """One known field."""

    name: str
    type: str = STR
    is_list: bool = False
    arg: str = ARG_NONE
    filled: bool = True
    compute: Callable[[str | None], Getter] | None = None


@dataclass(frozen=True, slots=True)
class Accessor:
    """How compiled code reads one field reference: a dict key, or a getter function."""

    name: str
    type: str
    is_list: bool
    key: str | None = None
    getter: Getter | None = None


def _ancestor(key: str, self_key: str) -> Callable[[str | None], Getter]:
    """``proc.aname[n]``: n=0 is the process itself, n>=1 the n-th ancestor; no index: every ancestor."""

    def make(arg: str | None) -> Getter:
        if arg is None:
            return lambda e: e.get(key)
        try:
            n = int(arg)
        except ValueError:
            raise ValueError(f"index {arg!r} is not a number") from None
        if n == 0:
            return lambda e: e.get(self_key)

        def get(e: Event) -> Any:
            seq = e.get(key)
            return seq[n - 1] if seq is not None and len(seq) >= n else None

        return get

    return make


def _evt_arg(prefix: str) -> Callable[[str | None], Getter]:
    def make(arg: str | None) -> Getter:
        k = prefix + (arg or "")
        alt = "evt.arg." + (arg or "")
        return lambda e: e.get(k, e.get(alt))

    return make


def _env(arg: str | None) -> Getter:
    if arg is None:

        def whole(e: Event) -> Any:
            env = e.get("proc.env")
            return None if env is None else " ".join(f"{k}={v}" for k, v in env.items())

        return whole

    def one(e: Event) -> Any:
        env = e.get("proc.env")
        return None if env is None else env.get(arg)

    return one


def _mount(pick: int, match: int) -> Callable[[str | None], Getter]:
    """``container.mount.dest[/src/glob]`` or ``[index]``: one field of the matching mount."""

    def make(arg: str | None) -> Getter:
        if arg is None:
            raise ValueError("needs an argument: an index or a path glob")
        if arg.isdigit():
            idx = int(arg)

            def by_index(e: Event) -> Any:
                mounts = e.get("container.mount_list")
                return mounts[idx][pick] if mounts is not None and len(mounts) > idx else None

            return by_index
        pattern = re.compile(fnmatch.translate(arg))

        def by_path(e: Event) -> Any:
            for m in e.get("container.mount_list") or ():
                if pattern.match(m[match]):
                    return m[pick]
            return None

        return by_path

    return make


def _mount_any(arg: str | None) -> Getter:
    def get(e: Event) -> Any:
        mounts = e.get("container.mount_list")
        if mounts is None:
            return None
        if arg is None:
            return ",".join(":".join(str(x) for x in m) for m in mounts)
        pattern = re.compile(fnmatch.translate(arg))
        for m in mounts:
            if pattern.match(m[0]):
                return ":".join(str(x) for x in m)
        return None

    return get


def _defs(names: str, **kw: Any) -> list[FieldDef]:
    return [FieldDef(n, **kw) for n in names.split()]


_COMMON: list[FieldDef] = [
    *_defs("evt.source evt.hostname evt.time.iso8601 evt.datetime evt.time.s"),
    *_defs("evt.time evt.rawtime evt.num", type=INT),
    *_defs("evt.pluginname evt.plugininfo", filled=False),
]

_SYSCALL: list[FieldDef] = [
    *_defs("evt.type evt.dir evt.args evt.res evt.category syscall.type"),
    *_defs("evt.rawres evt.cpu evt.latency evt.count", type=INT),
    *_defs(
        "evt.failed evt.is_open_write evt.is_open_read evt.is_open_exec evt.is_io evt.is_async", type=BOOL
    ),
    *_defs("evt.asynctype evt.info evt.abspath", filled=False),
    FieldDef("evt.buffer", type=BYTES, filled=False),
    FieldDef("evt.arg", arg=ARG_REQUIRED, compute=_evt_arg("evt.arg.")),
    FieldDef("evt.rawarg", arg=ARG_REQUIRED, compute=_evt_arg("evt.rawarg.")),
    *_defs("proc.name proc.exe proc.exepath proc.pexe proc.pexepath proc.cmdline proc.pcmdline proc.args"),
    *_defs("proc.pname proc.cwd proc.sname proc.vpgid.name proc.vpgid.exe"),
    *_defs("proc.pid proc.ppid proc.vpid proc.pvpid proc.tty proc.sid proc.vpgid", type=INT),
    *_defs("proc.loginshellid proc.duration proc.ppid.duration proc.pid.ts proc.exe_ino", type=INT),
    *_defs(
        "proc.exe_ino.ctime proc.exe_ino.mtime proc.exe_ino.ctime_duration_proc_start", type=INT, filled=False
    ),
    *_defs("proc.fdopencount", type=INT, filled=False),
    *_defs(
        "proc.is_exe_upper_layer proc.is_exe_from_memfd proc.is_exe_writable proc.is_vpgid_leader", type=BOOL
    ),
    *_defs("proc.is_sid_leader", type=BOOL),
    *_defs(
        "proc.is_container_healthcheck proc.is_container_liveness_probe proc.is_container_readiness_probe",
        type=BOOL,
        filled=False,
    ),
    *_defs("proc.stdin.name proc.stdout.name proc.stderr.name proc.stdin.type", filled=False),
    FieldDef("proc.aname", is_list=True, arg=ARG_OPTIONAL, compute=_ancestor("proc.aname", "proc.name")),
    FieldDef("proc.aexe", is_list=True, arg=ARG_OPTIONAL, compute=_ancestor("proc.aexe", "proc.exe")),
    FieldDef(
        "proc.aexepath", is_list=True, arg=ARG_OPTIONAL, compute=_ancestor("proc.aexepath", "proc.exepath")
    ),
    FieldDef(
        "proc.apid", type=INT, is_list=True, arg=ARG_OPTIONAL, compute=_ancestor("proc.apid", "proc.pid")
    ),
    FieldDef("proc.env", arg=ARG_OPTIONAL, compute=_env),
    *_defs("thread.tid thread.vtid", type=INT),
    FieldDef("thread.ismain", type=BOOL),
    *_defs("thread.cap_permitted thread.cap_effective thread.cap_inheritable", filled=False),
    *_defs("user.uid user.loginuid", type=INT),
    *_defs("user.name user.loginname user.homedir user.shell group.name"),
    FieldDef("group.gid", type=INT),
    *_defs("fd.name fd.directory fd.filename fd.nameraw fd.type fd.typechar fd.l4proto fd.sockfamily"),
    *_defs("fd.cip.name fd.sip.name fd.lip.name fd.rip.name", filled=False),
    *_defs("fd.num fd.port fd.cport fd.sport fd.lport fd.rport fd.dport fd.dev fd.ino", type=INT),
    *_defs("fd.ip fd.cip fd.sip fd.lip fd.rip fd.dip", type=IPADDR),
    *_defs("fd.net fd.cnet fd.snet fd.lnet fd.rnet", type=IPNET),
    *_defs("fd.is_server fd.connected fd.name_changed", type=BOOL),
    FieldDef("fd.types", is_list=True, arg=ARG_OPTIONAL, filled=False),
    *_defs("fs.path.name fs.path.nameraw fs.path.source fs.path.target fs.path.sourceraw fs.path.targetraw"),
    *_defs("container.id container.name container.image container.image.repository container.image.tag"),
    *_defs("container.image.digest container.image.id container.type container.full_id container.ip"),
    *_defs("container.mounts container.cni.json container.healthcheck container.liveness_probe"),
    *_defs("container.readiness_probe"),
    *_defs("container.privileged container.host_pid container.host_network container.host_ipc", type=BOOL),
    *_defs("container.start_ts container.duration", type=INT),
    FieldDef("container.mount", arg=ARG_REQUIRED, compute=_mount_any),
    FieldDef("container.mount.source", arg=ARG_REQUIRED, compute=_mount(0, 1)),
    FieldDef("container.mount.dest", arg=ARG_REQUIRED, compute=_mount(1, 0)),
    FieldDef("container.mount.mode", arg=ARG_REQUIRED, compute=_mount(2, 0)),
    FieldDef("container.mount.rdwr", arg=ARG_REQUIRED, compute=_mount(3, 0)),
    FieldDef("container.mount.propagation", arg=ARG_REQUIRED, compute=_mount(4, 0)),
    *_defs("k8s.pod.name k8s.pod.uid k8s.pod.id k8s.ns.name k8s.pod.sandbox_id k8s.pod.full_sandbox_id"),
    *_defs("k8s.pod.labels k8s.pod.ip k8s.pod.cni.json"),
    FieldDef(
        "k8s.pod.label",
        arg=ARG_REQUIRED,
        compute=lambda a: lambda e: (e.get("k8s.pod.labels_map") or {}).get(a),
    ),
    *_defs("k8s.rc.name k8s.rs.name k8s.svc.name k8s.deployment.name k8s.ns.id", filled=False),
]

# Plugin field prefixes Falco users load rules for; without the plugin, rules using them are skipped
# with a warning (as the brief for ``required_plugin_versions`` asks), not rejected.
PLUGIN_PREFIXES: dict[str, str] = {
    "ct.": "cloudtrail",
    "s3.": "cloudtrail",
    "ec2.": "cloudtrail",
    "gcp.": "gcpaudit",
    "okta.": "okta",
    "github.": "github",
    "json.": "json",
    "k8smeta.": "k8smeta",
    "krsi.": "krsi",
    "dummy.": "dummy",
    "sample.": "dummy_c",
}


def _table() -> dict[str, dict[str, FieldDef]]:
    from seawall.runtime.k8saudit_fields import K8S_AUDIT_FIELDS

    common = {f.name: f for f in _COMMON}
    syscall = dict(common)
    syscall.update({f.name: f for f in _SYSCALL})
    audit = dict(common)
    audit.update({f.name: f for f in K8S_AUDIT_FIELDS})
    return {SYSCALL: syscall, K8S_AUDIT: audit}


_TABLE: dict[str, dict[str, FieldDef]] | None = None


def table() -> dict[str, dict[str, FieldDef]]:
    """Field definitions by event source."""
    global _TABLE
    if _TABLE is None:
        _TABLE = _table()
    return _TABLE


def known_sources() -> frozenset[str]:
    """Event sources Seawall has fields (and live sources) for."""
    return frozenset(table())


def lookup(source: str, name: str) -> FieldDef | None:
    """The definition of ``name`` for ``source``; ``evt.arg.X`` style names resolve to ``evt.arg``."""
    fields = table().get(source, {})
    fd = fields.get(name)
    if fd is None and name.startswith(("evt.arg.", "evt.rawarg.")):
        fd = fields.get(name.rsplit(".", 1)[0] if name.count(".") == 2 else "evt.arg")
    return fd


def plugin_of(name: str) -> str | None:
    """The Falco plugin a field belongs to, when it is a plugin field Seawall does not implement."""
    for prefix, plugin in PLUGIN_PREFIXES.items():
        if name.startswith(prefix):
            return plugin
    return None


def accessor(source: str, name: str, arg: str | None) -> Accessor:
    """How to read ``name[arg]`` from an event of ``source``; raises KeyError or ValueError."""
    if name.startswith(("evt.arg.", "evt.rawarg.")) and arg is None:
        base, _, arg = name.rpartition(".")
        fd = lookup(source, base)
        if fd is None:
            raise KeyError(name)
        name = base
    else:
        fd = lookup(source, name)
    if fd is None:
        raise KeyError(name)
    if arg is not None and fd.arg == ARG_NONE:
        raise ValueError(f"field {name} takes no argument")
    if arg is None and fd.arg == ARG_REQUIRED:
        raise ValueError(f"field {name} needs an argument")
    is_list = fd.is_list and arg is None
    if fd.compute is None:
        return Accessor(name if arg is None else f"{name}[{arg}]", fd.type, is_list, key=name)
    return Accessor(name if arg is None else f"{name}[{arg}]", fd.type, is_list, getter=fd.compute(arg))
