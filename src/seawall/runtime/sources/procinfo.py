"""Read a process's Falco fields from ``/proc`` (the live sources call this right after an exec)."""

from __future__ import annotations

import os
import pwd
from pathlib import Path
from typing import Any

from seawall.runtime.events import Event

MAX_ANCESTORS = 8
_users: dict[int, str] = {}


def user_name(uid: int) -> str:
    """The login name of ``uid`` on the host (cached; ``<NA>`` style None when unknown)."""
    name = _users.get(uid)
    if name is None:
        try:
            name = pwd.getpwuid(uid).pw_name
        except KeyError:
            name = str(uid)
        _users[uid] = name
    return name


def _stat(proc: Path) -> tuple[str, int, int, int] | None:
    """(comm, ppid, sid, tty_nr) from ``stat``; comm may contain spaces and parentheses."""
    try:
        raw = (proc / "stat").read_text()
    except OSError:
        return None
    lpar, rpar = raw.find("("), raw.rfind(")")
    rest = raw[rpar + 2 :].split()
    try:
        return raw[lpar + 1 : rpar], int(rest[1]), int(rest[3]), int(rest[4])
    except (IndexError, ValueError):
        return None


def process_fields(pid: int, proc_root: Path = Path("/proc")) -> Event | None:
    """``proc.*``/``user.*`` fields of a live process, or None if it is already gone."""
    proc = proc_root / str(pid)
    st = _stat(proc)
    if st is None:
        return None
    comm, ppid, sid, tty = st
    try:
        argv = [a.decode("utf-8", "replace") for a in (proc / "cmdline").read_bytes().split(b"\0")[:-1]]
    except OSError:
        argv = []
    try:
        exepath = os.readlink(proc / "exe")
    except OSError:
        exepath = ""
    uid = loginuid = -1
    try:
        for line in (proc / "status").read_text().splitlines():
            if line.startswith("Uid:"):
                uid = int(line.split()[1])
                break
        loginuid = int((proc / "loginuid").read_text())
    except (OSError, ValueError, IndexError):
        pass
    if loginuid == 4294967295:
        loginuid = -1
    name = os.path.basename(exepath) if exepath and not exepath.endswith(" (deleted)") else comm
    if len(comm) < 15:  # comm is the truncated task name; Falco's proc.name is the exe basename
        name = comm
    ev: dict[str, Any] = {
        "proc.pid": pid,
        "proc.vpid": pid,
        "thread.tid": pid,
        "proc.ppid": ppid,
        "proc.sid": sid,
        "proc.tty": tty,
        "proc.name": name,
        "proc.exe": argv[0] if argv else exepath,
        "proc.exepath": exepath.removesuffix(" (deleted)"),
        "proc.args": " ".join(argv[1:]),
        "proc.cmdline": " ".join([name, *argv[1:]]),
        "user.uid": uid,
        "user.name": user_name(uid) if uid >= 0 else None,
        "user.loginuid": loginuid,
        "user.loginname": user_name(loginuid) if loginuid >= 0 else None,
        "proc.is_exe_from_memfd": exepath.startswith("/memfd:"),
    }
    try:
        ev["proc.cwd"] = os.readlink(proc / "cwd") + "/"
    except OSError:
        pass
    anames: list[str] = []
    apids: list[int] = []
    aexepaths: list[str] = []
    cur = ppid
    while cur > 0 and len(anames) < MAX_ANCESTORS:
        pst = _stat(proc_root / str(cur))
        if pst is None:
            break
        anames.append(pst[0])
        apids.append(cur)
        try:
            aexepaths.append(os.readlink(proc_root / str(cur) / "exe"))
        except OSError:
            aexepaths.append("")
        cur = pst[1]
    if anames:
        ev["proc.pname"] = anames[0]
        ev["proc.pexepath"] = aexepaths[0]
        ev["proc.pexe"] = aexepaths[0]
        try:
            pargv = (proc_root / str(ppid) / "cmdline").read_bytes().split(b"\0")[:-1]
            ev["proc.pcmdline"] = " ".join([anames[0], *(a.decode("utf-8", "replace") for a in pargv[1:])])
        except OSError:
            pass
    ev["proc.aname"] = anames
    ev["proc.apid"] = apids
    ev["proc.aexepath"] = aexepaths
    ev["proc.aexe"] = aexepaths
    return ev
