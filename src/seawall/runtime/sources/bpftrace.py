"""eBPF through ``bpftrace``: execve/execveat, openat/openat2 (with flags), connect and accept tracepoints.

The kernel here has no kprobes and no kernel modules, but syscall tracepoints work once tracefs is
mounted. One bpftrace process prints a tab-separated line per completed syscall with the pid, the
``cgroup`` id (the inode of the process's cgroup v2 directory, which maps straight to a container)
and the syscall's result; this module turns each line into a Falco-shaped event and reads the rest of
the process fields from ``/proc``.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

from seawall.errors import UsageError
from seawall.runtime.events import Event
from seawall.runtime.sources.base import SourceStats
from seawall.runtime.sources.procinfo import process_fields

log = logging.getLogger("seawall.runtime")

TRACEFS = Path("/sys/kernel/tracing")

_SCRIPT = r"""
BEGIN { printf("READY\n"); }
tracepoint:syscalls:sys_enter_execve, tracepoint:syscalls:sys_enter_execveat
/pid != SELF && comm != "bpftrace"/ {
  @ex[tid] = 1;
  printf("F\t%d\t%s\n", tid, str(args->filename));
  printf("X\t%d\t0\t%s\n", tid, str(args->argv[0]));
  printf("X\t%d\t1\t%s\n", tid, str(args->argv[1]));
  printf("X\t%d\t2\t%s\n", tid, str(args->argv[2]));
  printf("X\t%d\t3\t%s\n", tid, str(args->argv[3]));
  printf("X\t%d\t4\t%s\n", tid, str(args->argv[4]));
  printf("X\t%d\t5\t%s\n", tid, str(args->argv[5]));
}
tracepoint:syscalls:sys_exit_execve, tracepoint:syscalls:sys_exit_execveat
/@ex[tid]/ {
  if (args->ret == 0) { printf("E\t%d\t%llu\t%s\t%lld\t-\n", pid, cgroup, comm, args->ret); }
  delete(@ex[tid]);
}
tracepoint:syscalls:sys_enter_openat
/pid != SELF && comm != "bpftrace"/ { @of[tid] = args->filename; @ofl[tid] = args->flags; @o[tid] = 1; }
tracepoint:syscalls:sys_enter_openat2
/pid != SELF && comm != "bpftrace"/ {
  @of[tid] = args->filename; @ofl[tid] = ((struct open_how *)args->how)->flags; @o[tid] = 2;
}
tracepoint:syscalls:sys_exit_openat, tracepoint:syscalls:sys_exit_openat2
/@o[tid]/ {
  printf("O\t%d\t%llu\t%s\t%lld\t%llu\t%d\t%s\n", pid, cgroup, comm, args->ret, @ofl[tid], @o[tid],
         str(@of[tid]));
  delete(@of[tid]); delete(@ofl[tid]); delete(@o[tid]);
}
tracepoint:syscalls:sys_enter_connect
/pid != SELF && comm != "bpftrace"/ { @c[tid] = args->uservaddr; }
tracepoint:syscalls:sys_exit_connect
/@c[tid]/ {
  $sa = (struct sockaddr_in *)@c[tid];
  if ($sa->sin_family == 2) {
    printf("C\t%d\t%llu\t%s\t%lld\t4\t%s\t%d\n", pid, cgroup, comm, args->ret,
           ntop(2, $sa->sin_addr.s_addr), (($sa->sin_port & 0xff) << 8) | ($sa->sin_port >> 8));
  }
  if ($sa->sin_family == 10) {
    $s6 = (struct sockaddr_in6 *)@c[tid];
    printf("C\t%d\t%llu\t%s\t%lld\t6\t%s\t%d\n", pid, cgroup, comm, args->ret,
           ntop(10, $s6->sin6_addr.in6_u.u6_addr8), (($s6->sin6_port & 0xff) << 8) | ($s6->sin6_port >> 8));
  }
  delete(@c[tid]);
}
tracepoint:syscalls:sys_enter_accept, tracepoint:syscalls:sys_enter_accept4
/pid != SELF && comm != "bpftrace"/ { @a[tid] = args->upeer_sockaddr; @ai[tid] = 1; }
tracepoint:syscalls:sys_exit_accept, tracepoint:syscalls:sys_exit_accept4
/@ai[tid]/ {
  if (args->ret >= 0 && @a[tid] != 0) {
    $pa = (struct sockaddr_in *)@a[tid];
    if ($pa->sin_family == 2) {
      printf("A\t%d\t%llu\t%s\t%lld\t4\t%s\t%d\n", pid, cgroup, comm, args->ret,
             ntop(2, $pa->sin_addr.s_addr), (($pa->sin_port & 0xff) << 8) | ($pa->sin_port >> 8));
    }
  }
  delete(@a[tid]); delete(@ai[tid]);
}
"""

_OPEN_FLAGS = (
    (0o100, "O_CREAT"),
    (0o200, "O_EXCL"),
    (0o400, "O_NOCTTY"),
    (0o1000, "O_TRUNC"),
    (0o2000, "O_APPEND"),
    (0o4000, "O_NONBLOCK"),
    (0o10000, "O_DSYNC"),
    (0o40000, "O_DIRECT"),
    (0o100000, "O_LARGEFILE"),
    (0o200000, "O_DIRECTORY"),
    (0o400000, "O_NOFOLLOW"),
    (0o2000000, "O_CLOEXEC"),
)
_ERRNO = {2: "ENOENT", 13: "EACCES", 111: "ECONNREFUSED", 115: "EINPROGRESS", 1: "EPERM", 17: "EEXIST"}
_LOST = re.compile(r"Lost (\d+) events")
MAX_ARGS = 6  # argv entries captured in the kernel (one printf each: the BPF stack is 512 bytes)


def open_flags(flags: int) -> str:
    """Falco's rendering of open flags: ``O_RDONLY|O_CLOEXEC``."""
    acc = flags & 3
    names = ["O_RDONLY" if acc == 0 else "O_WRONLY" if acc == 1 else "O_RDWR"]
    names += [name for bit, name in _OPEN_FLAGS if flags & bit]
    return "|".join(names)


def _res(ret: int) -> str:
    return "SUCCESS" if ret >= 0 else _ERRNO.get(-ret, f"E{-ret}")


def ensure_tracefs() -> None:
    """Mount tracefs if the syscall tracepoints are not visible (bpftrace needs them)."""
    if (TRACEFS / "events/syscalls").is_dir():
        return
    result = subprocess.run(
        ["mount", "-t", "tracefs", "tracefs", str(TRACEFS)], capture_output=True, text=True, check=False
    )
    if result.returncode != 0 or not (TRACEFS / "events/syscalls").is_dir():
        raise UsageError(f"cannot mount tracefs on {TRACEFS}: {result.stderr.strip() or 'no syscall events'}")


class BpftraceSource:
    """Syscall events from one ``bpftrace`` child process."""

    name = "bpf"

    def __init__(self, bpftrace: str = "bpftrace") -> None:
        self.stats = SourceStats()
        self._stop = threading.Event()
        exe = shutil.which(bpftrace)
        if exe is None:
            raise UsageError("bpftrace is not installed (Debian package bpftrace)")
        ensure_tracefs()
        script = _SCRIPT.replace("SELF", str(os.getpid()))
        env = {**os.environ, "BPFTRACE_STRLEN": "200"}
        try:
            self.proc = subprocess.Popen(
                [exe, "-e", script],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                bufsize=1 << 16,
            )
        except OSError as exc:
            raise UsageError(f"cannot start bpftrace: {exc}") from exc
        assert self.proc.stdout is not None
        # BEGIN runs once every probe is attached: only then are events complete.
        while True:
            line = self.proc.stdout.readline()
            if line.startswith(b"READY"):
                break
            if not line:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                self.proc.kill()
                raise UsageError(f"bpftrace failed to start: {err.strip() or 'no output'}")
        self._stderr = threading.Thread(target=self._drain_stderr, name="bpftrace-stderr", daemon=True)
        self._stderr.start()
        self._procs: dict[int, Event] = {}
        self._argv: dict[int, list[str]] = {}
        self._filename: dict[int, str] = {}

    def _drain_stderr(self) -> None:
        assert self.proc.stderr is not None
        for raw in self.proc.stderr:
            line = raw.decode(errors="replace").strip()
            m = _LOST.search(line)
            if m:
                self.stats.add("dropped", int(m.group(1)))
            elif line and "RLIMIT_MEMLOCK" not in line:
                log.warning("bpftrace: %s", line)

    def stop(self) -> None:
        """Stop bpftrace; ``events()`` ends when its output is drained."""
        self._stop.set()
        if self.proc.poll() is None:
            self.proc.terminate()

    def _process(self, pid: int, comm: str, fresh: bool) -> Event:
        cached = None if fresh else self._procs.get(pid)
        if cached is None:
            cached = process_fields(pid) or {"proc.pid": pid, "proc.name": comm, "proc.cmdline": comm}
            if len(self._procs) > 32768:
                self._procs.clear()
            self._procs[pid] = cached
        return dict(cached)

    def parse(self, line: str) -> Event | None:
        """One bpftrace output line to an event (None for lines that are not events)."""
        parts = line.rstrip("\n").split("\t")
        kind = parts[0]
        if kind == "F" and len(parts) >= 3:
            if len(self._filename) > 10000:
                self._filename.clear()
            self._filename[int(parts[1])] = "\t".join(parts[2:])
            return None
        if kind == "X" and len(parts) >= 4:
            if len(self._argv) > 10000:
                self._argv.clear()
            argv = self._argv.setdefault(int(parts[1]), [""] * MAX_ARGS)
            argv[int(parts[2]) % MAX_ARGS] = "\t".join(parts[3:])
            return None
        if kind not in ("E", "O", "C", "A") or len(parts) < 6:
            return None
        pid, cgroup, comm, ret = int(parts[1]), int(parts[2]), parts[3], int(parts[4])
        ev = self._process(pid, comm, fresh=kind == "E")
        ev["_cgroup_id"] = cgroup
        ev["evt.dir"] = "<"
        ev["evt.rawres"] = ret
        ev["evt.res"] = _res(ret)
        if kind == "E":
            ev["evt.type"] = "execve"
            self._apply_exec(ev, self._argv.pop(pid, None), comm, self._filename.pop(pid, ""))
            self._procs[pid] = {k: v for k, v in ev.items() if k.startswith(("proc.", "user."))}
        elif kind == "O":
            flags, variant, path = int(parts[5]), parts[6], "\t".join(parts[7:])
            if not path.startswith("/"):
                cwd = ev.get("proc.cwd")
                path = os.path.normpath(os.path.join(cwd, path)) if isinstance(cwd, str) else path
            acc = flags & 3
            ev.update(
                {
                    "evt.type": "openat2" if variant == "2" else "openat",
                    "fd.name": path,
                    "fd.directory": os.path.dirname(path),
                    "fd.filename": os.path.basename(path),
                    "fd.typechar": "d" if flags & 0o200000 else "f",
                    "fd.type": "directory" if flags & 0o200000 else "file",
                    "fd.num": ret,
                    "evt.arg.flags": open_flags(flags),
                    "evt.arg.name": path,
                    "evt.is_open_read": acc in (0, 2),
                    "evt.is_open_write": acc in (1, 2),
                    "evt.is_open_exec": False,
                }
            )
        else:
            family, ip, port = parts[5], parts[6], int(parts[7])
            side = "s" if kind == "C" else "c"
            ev.update(
                {
                    "evt.type": "connect" if kind == "C" else "accept",
                    "fd.typechar": family,
                    "fd.type": "ipv4" if family == "4" else "ipv6",
                    "fd.sockfamily": "ip",
                    "fd.l4proto": "tcp",
                    f"fd.{side}ip": ip,
                    f"fd.{side}port": port,
                    "fd.rip": ip,
                    "fd.rport": port,
                    "fd.ip": ip,
                    "fd.port": port,
                    "fd.net": ip,
                    f"fd.{side}net": ip,
                    "fd.rnet": ip,
                    "fd.num": ret if kind == "A" else None,
                    "fd.name": f"->{ip}:{port}" if kind == "C" else f"{ip}:{port}->",
                    "fd.connected": ret in (0, -115),
                }
            )
        return ev

    @staticmethod
    def _apply_exec(ev: Event, argv: list[str] | None, comm: str, filename: str) -> None:
        """Correct /proc data that was read too late.

        A short-lived process is gone before /proc is read, and a process that execs again at once
        (``bash -c 'cmd'`` execs ``cmd``) shows the later image. The kernel's comm at the end of this
        execve and the argv captured at its start are the truth for this event.
        """
        stale = str(ev.get("proc.name", ""))[:15] != comm
        if stale:
            for key in ("proc.exepath", "proc.exe", "proc.args", "proc.cmdline", "proc.cwd"):
                ev.pop(key, None)
            ev["proc.name"] = comm
            ev["proc.exepath"] = filename
        if not ev.get("proc.exepath"):  # /proc was already gone
            ev["proc.exepath"] = filename
        if not argv:
            ev.setdefault("proc.exe", filename)
            ev.setdefault("proc.cmdline", comm)
            return
        args = []
        for a in argv[1:]:
            if a == "":
                break
            args.append(a)
        captured = " ".join(args)
        current = ev.get("proc.args")
        if not stale and isinstance(current, str) and current.startswith(captured):
            return  # /proc saw this image: its argv is complete
        ev["proc.exe"] = argv[0]
        ev["proc.args"] = captured
        ev["proc.cmdline"] = " ".join([str(ev["proc.name"]), *args])

    def events(self) -> Iterator[Event]:
        """Yield events until bpftrace exits or ``stop()`` is called."""
        assert self.proc.stdout is not None
        try:
            for raw in self.proc.stdout:
                try:
                    ev = self.parse(raw.decode("utf-8", "replace"))
                except (ValueError, IndexError):
                    self.stats.add("malformed")
                    continue
                if ev is None:
                    continue
                self.stats.add("received")
                yield ev
                if self._stop.is_set():
                    break
        finally:
            self.stop()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
