"""The one event model: a flat mapping addressed by Falco field names.

An event is a plain ``dict`` (the cheapest thing Python can look a key up in) whose keys are Falco
field names: ``evt.type``, ``proc.name``, ``fd.name``, ``container.id`` ... Every source produces
this shape, so the rules engine never knows where an event came from.

Conventions for the few fields Falco addresses with an argument:

- ``proc.aname`` / ``proc.apid`` / ``proc.aexe`` / ``proc.aexepath``: lists of the ancestors'
  values, parent first (Falco's ``proc.aname[1]`` is ``event["proc.aname"][0]``).
- ``evt.arg.NAME``: one key per syscall argument (``evt.arg[NAME]`` reads the same key).
- ``proc.env``: the environment as ``{name: value}``.
- ``container.mount_list``: ``[(source, dest, mode, rdwr, propagation), ...]``.
- ``_ka``: for ``k8s_audit`` events, the decoded audit ``Event`` object; ``ka.*`` fields are
  computed from it on first use and memoised in the same dict.
"""

from __future__ import annotations

from typing import Any

Event = dict[str, Any]

SYSCALL = "syscall"
K8S_AUDIT = "k8s_audit"

SOURCE_KEY = "evt.source"
TYPE_KEY = "evt.type"
RAW_AUDIT_KEY = "_ka"


def source_of(event: Event) -> str:
    """The event source name (``syscall`` unless the event says otherwise)."""
    src = event.get(SOURCE_KEY)
    return src if isinstance(src, str) else SYSCALL


# Event types Seawall's sources emit or Falco's rules name; anything else is counted as unknown.
SYSCALL_TYPES = frozenset(
    [
        "execve",
        "execveat",
        "clone",
        "clone3",
        "fork",
        "vfork",
        "procexit",
        "exit",
        "exit_group",
        "open",
        "openat",
        "openat2",
        "creat",
        "close",
        "read",
        "write",
        "pread",
        "pwrite",
        "readv",
        "writev",
        "connect",
        "accept",
        "accept4",
        "bind",
        "listen",
        "socket",
        "socketpair",
        "sendto",
        "recvfrom",
        "sendmsg",
        "recvmsg",
        "shutdown",
        "unlink",
        "unlinkat",
        "rename",
        "renameat",
        "renameat2",
        "mkdir",
        "mkdirat",
        "rmdir",
        "chmod",
        "fchmod",
        "fchmodat",
        "chown",
        "fchown",
        "fchownat",
        "lchown",
        "link",
        "linkat",
        "symlink",
        "symlinkat",
        "setuid",
        "setgid",
        "setresuid",
        "setresgid",
        "setreuid",
        "setregid",
        "setns",
        "unshare",
        "mount",
        "umount",
        "umount2",
        "ptrace",
        "kill",
        "tkill",
        "tgkill",
        "chdir",
        "fchdir",
        "chroot",
        "pivot_root",
        "dup",
        "dup2",
        "dup3",
        "mmap",
        "mprotect",
        "munmap",
        "memfd_create",
        "init_module",
        "finit_module",
        "delete_module",
        "bpf",
        "userfaultfd",
        "prctl",
        "capset",
        "sendfile",
        "splice",
        "truncate",
        "ftruncate",
        "fanotify_init",
        "inotify_init",
        "inotify_init1",
        "inotify_add_watch",
        "io_uring_setup",
        "io_uring_enter",
        "io_uring_register",
        "quotactl",
        "container",
        "bind_mount",
        "ioctl",
        "poll",
        "select",
        "epoll_wait",
        "nanosleep",
        "futex",
        "seccomp",
    ]
)
