"""Parse the container host's configuration: daemon.json, containers.conf, storage.conf,
registries.conf, audit rules, daemon command lines, mounts and groups.

Every parser returns a :class:`Parsed` that carries either data or a one-line error, so a broken file
fails the controls that read it and nothing else.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from seawall.host.fs import HostFS, HostReadError, read_bounded

DAEMON_JSON = "/etc/docker/daemon.json"
CONTAINERS_CONF = (
    "/usr/share/containers/containers.conf",
    "/etc/containers/containers.conf",
)
CONTAINERS_CONF_D = "/etc/containers/containers.conf.d/*.conf"
STORAGE_CONF = ("/etc/containers/storage.conf", "/usr/share/containers/storage.conf")
REGISTRIES_CONF = "/etc/containers/registries.conf"
REGISTRIES_CONF_D = "/etc/containers/registries.conf.d/*.conf"
AUDIT_RULES = ("/etc/audit/audit.rules", "/etc/audit/rules.d/*.rules")
MAX_PROCS = 100_000


@dataclass(frozen=True, slots=True)
class Parsed:
    """A parsed configuration: merged ``data`` from ``files``, or ``error`` when a file was unusable."""

    files: tuple[str, ...] = ()
    data: Mapping[str, Any] = field(default_factory=dict)
    error: str = ""

    @property
    def present(self) -> bool:
        return bool(self.files)

    @property
    def where(self) -> str:
        return ", ".join(self.files) or "(defaults)"


def read_daemon_json(fs: HostFS, path: str = DAEMON_JSON) -> Parsed:
    """Docker's daemon.json; an object is required."""
    try:
        text = fs.read_text(path)
    except HostReadError as exc:
        return Parsed((path,), error=str(exc))
    if text is None:
        return Parsed()
    try:
        data = json.loads(text) if text.strip() else {}
    except (json.JSONDecodeError, RecursionError) as exc:
        msg = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
        where = f" at line {exc.lineno}" if isinstance(exc, json.JSONDecodeError) else ""
        return Parsed((path,), error=f"{path} is not valid JSON: {msg}{where}")
    if not isinstance(data, dict):
        return Parsed((path,), error=f"{path} is not a JSON object")
    return Parsed((path,), data)


def read_toml(fs: HostFS, paths: tuple[str, ...] | list[str], merge: bool = True) -> Parsed:
    """TOML files merged in order (later tables override earlier keys); the first only if not ``merge``."""
    merged: dict[str, Any] = {}
    used: list[str] = []
    for path in paths:
        try:
            text = fs.read_text(path)
        except HostReadError as exc:
            return Parsed((*used, path), merged, error=str(exc))
        if text is None:
            continue
        try:
            data = tomllib.loads(text)
        except (tomllib.TOMLDecodeError, RecursionError) as exc:
            return Parsed((*used, path), merged, error=f"{path} is not valid TOML: {exc}")
        used.append(path)
        _deep_merge(merged, data)
        if not merge:
            break
    return Parsed(tuple(used), merged)


def _deep_merge(into: dict[str, Any], new: Mapping[str, Any]) -> None:
    for key, value in new.items():
        old = into.get(key)
        if isinstance(old, dict) and isinstance(value, Mapping):
            _deep_merge(old, value)
        else:
            into[key] = value


def read_containers_conf(fs: HostFS, user_dir: str = "") -> Parsed:
    """Podman's containers.conf: the vendor defaults, /etc, containers.conf.d drop-ins, then the
    rootless user's ``~/.config/containers/containers.conf`` (``user_dir``) when given."""
    user = [f"{user_dir}/containers.conf"] if user_dir else []
    return read_toml(fs, [*CONTAINERS_CONF, *fs.glob(CONTAINERS_CONF_D), *user])


def read_storage_conf(fs: HostFS, user_dir: str = "") -> Parsed:
    """containers-storage's storage.conf: the rootless user's, else /etc's, else the vendor copy."""
    user = (f"{user_dir}/storage.conf",) if user_dir else ()
    return read_toml(fs, (*user, *STORAGE_CONF), merge=False)


def read_registries_conf(fs: HostFS, user_dir: str = "") -> Parsed:
    """registries.conf plus its drop-ins; ``[[registry]]`` arrays are concatenated. A rootless user's
    ``~/.config/containers/registries.conf`` replaces the system files, as in containers/image."""
    registries: list[Any] = []
    merged: dict[str, Any] = {}
    used: list[str] = []
    user = f"{user_dir}/registries.conf" if user_dir else ""
    paths = [REGISTRIES_CONF, *fs.glob(REGISTRIES_CONF_D)]
    if user and fs.exists(user):
        paths = [user, *fs.glob(f"{user_dir}/registries.conf.d/*.conf")]
    for path in paths:
        one = read_toml(fs, [path])
        if one.error:
            return Parsed((*used, path), merged, one.error)
        if not one.files:
            continue
        used.append(path)
        data = dict(one.data)
        entries = data.pop("registry", [])
        if isinstance(entries, list):
            registries += [dict(e, _file=path) for e in entries if isinstance(e, Mapping)]
        merged.update(data)
    if registries:
        merged["registry"] = registries
    return Parsed(tuple(used), merged)


@dataclass(frozen=True, slots=True)
class AuditRules:
    """The audit rules on disk (``-w`` watches and ``-F path=/dir=`` filters), by watched path."""

    files: tuple[str, ...]
    watched: Mapping[str, str]  # watched path -> "file:line"
    error: str = ""


def read_audit_rules(fs: HostFS) -> AuditRules:
    """Audit rules from audit.rules and rules.d (what auditd loads at boot)."""
    paths = [AUDIT_RULES[0], *fs.glob(AUDIT_RULES[1])]
    watched: dict[str, str] = {}
    used: list[str] = []
    errors: list[str] = []
    for path in paths:
        try:
            text = fs.read_text(path)
        except HostReadError as exc:
            errors.append(str(exc))
            continue
        if text is None:
            continue
        used.append(path)
        for lineno, line in enumerate(text.splitlines(), 1):
            for target in _rule_paths(line):
                watched.setdefault(target.rstrip("/") or "/", f"{path}:{lineno}")
    return AuditRules(tuple(used), watched, "; ".join(errors))


def _rule_paths(line: str) -> list[str]:
    words = line.split("#", 1)[0].split()
    out = []
    for i, word in enumerate(words):
        if word == "-w" and i + 1 < len(words):
            out.append(words[i + 1])
        elif word == "-F" and i + 1 < len(words):
            key, _, value = words[i + 1].partition("=")
            if key in ("path", "dir") and value:
                out.append(value)
    return out


@dataclass(frozen=True, slots=True)
class Process:
    """A running process of interest: pid, owner and argv."""

    pid: int
    uid: int
    argv: tuple[str, ...]


def find_processes(fs: HostFS) -> tuple[tuple[Process, ...], str]:
    """``dockerd``, ``containerd`` and ``podman system service`` processes from ``/proc`` under the root."""
    found: list[Process] = []
    try:
        proc = fs.resolve("/proc")
        entries = [e for e in os.listdir(proc) if e.isdigit()][:MAX_PROCS]
    except FileNotFoundError:
        return (), ""
    except (OSError, HostReadError) as exc:
        return (), f"/proc: {exc}"
    for entry in entries:
        try:
            raw = read_bounded(proc / entry / "cmdline", 64 << 10)
            uid = os.stat(proc / entry).st_uid
        except (OSError, HostReadError):
            continue  # exited meanwhile, hidden by hidepid, or not a file under --root
        argv = tuple(a.decode("utf-8", "replace") for a in raw.split(b"\0") if a)
        if argv and _interesting(argv):
            found.append(Process(int(entry), uid, argv))
    return tuple(sorted(found, key=lambda p: p.pid)), ""


def _interesting(argv: tuple[str, ...]) -> bool:
    name = argv[0].rsplit("/", 1)[-1]
    if name in ("dockerd", "containerd"):
        return True
    return name == "podman" and "service" in argv


def flag_values(argv: tuple[str, ...], *names: str) -> list[str]:
    """Values of ``--name VALUE``, ``--name=VALUE`` and bare ``--name`` (as "true") in ``argv``."""
    out: list[str] = []
    for i, arg in enumerate(argv):
        for name in names:
            if arg == name:
                nxt = argv[i + 1] if i + 1 < len(argv) else ""
                out.append(nxt if nxt and not nxt.startswith("-") else "true")
            elif arg.startswith(name + "="):
                out.append(arg.split("=", 1)[1])
    return out


def read_mounts(fs: HostFS) -> tuple[tuple[str, ...], str]:
    """Mount points from /proc/self/mountinfo (live), else /proc/mounts or /etc/fstab under the root."""
    candidates = ("/proc/self/mountinfo", "/proc/mounts", "/etc/fstab") if fs.live else ("/etc/fstab",)
    for path in candidates:
        try:
            text = fs.read_text(path)
        except HostReadError:
            continue
        if text is None:
            continue
        points: set[str] = set()
        for line in text.splitlines():
            words = line.split()
            if not words or words[0].startswith("#"):
                continue
            if path.endswith("mountinfo") and len(words) > 4:
                points.add(_unescape(words[4]))
            elif len(words) > 1:
                points.add(_unescape(words[1]))
        return tuple(sorted(points)), path
    return (), ""


def _unescape(text: str) -> str:
    return text.replace("\\040", " ").replace("\\011", "\t").replace("\\134", "\\")


def read_groups(fs: HostFS) -> dict[str, tuple[int, tuple[str, ...]]]:
    """/etc/group: name -> (gid, members)."""
    try:
        text = fs.read_text("/etc/group") or ""
    except HostReadError:
        return {}
    out: dict[str, tuple[int, tuple[str, ...]]] = {}
    for line in text.splitlines():
        parts = line.split(":")
        if len(parts) >= 4 and parts[2].isdigit():
            members = tuple(m for m in parts[3].split(",") if m)
            out[parts[0]] = (int(parts[2]), members)
    return out


def read_dpkg_versions(fs: HostFS, names: frozenset[str]) -> dict[str, str]:
    """Installed versions of the named Debian packages (from /var/lib/dpkg/status)."""
    try:
        text = fs.read_text("/var/lib/dpkg/status", limit=64 << 20) or ""
    except HostReadError:
        return {}
    out: dict[str, str] = {}
    for stanza in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in stanza.splitlines():
            key, sep, value = line.partition(":")
            if sep and not line.startswith(" "):
                fields[key] = value.strip()
        name = fields.get("Package", "")
        if name in names and "installed" in fields.get("Status", "").split() and fields.get("Version"):
            out[name] = fields["Version"]
    return out
