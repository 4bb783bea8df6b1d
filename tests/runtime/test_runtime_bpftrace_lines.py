"""bpftrace output lines to Falco events (no kernel needed: the parser on recorded lines)."""

from __future__ import annotations

from seawall.runtime.sources.base import SourceStats
from seawall.runtime.sources.bpftrace import BpftraceSource, open_flags

GONE = 2_000_000_000  # no such pid: /proc is "already gone", as for short-lived processes


def _parser() -> BpftraceSource:
    src = BpftraceSource.__new__(BpftraceSource)
    src.stats = SourceStats()
    src._procs = {}
    src._argv = {}
    src._filename = {}
    return src


def test_open_flags_render_like_falco() -> None:
    assert open_flags(0o2000000) == "O_RDONLY|O_CLOEXEC"
    assert open_flags(0o1 | 0o100 | 0o1000) == "O_WRONLY|O_CREAT|O_TRUNC"
    assert open_flags(0o2 | 0o2000) == "O_RDWR|O_APPEND"


def test_exec_of_a_vanished_process_uses_kernel_argv_and_filename() -> None:
    p = _parser()
    for line in (
        f"F\t{GONE}\t/usr/bin/cat",
        f"X\t{GONE}\t0\tcat",
        f"X\t{GONE}\t1\t/etc/shadow",
        f"X\t{GONE}\t2\t",
    ):
        assert p.parse(line) is None
    ev = p.parse(f"E\t{GONE}\t4242\tcat\t0\t-")
    assert ev is not None
    assert ev["evt.type"] == "execve" and ev["_cgroup_id"] == 4242
    assert (ev["proc.name"], ev["proc.exepath"], ev["proc.cmdline"]) == (
        "cat",
        "/usr/bin/cat",
        "cat /etc/shadow",
    )
    opened = p.parse(f"O\t{GONE}\t4242\tcat\t3\t{0o2000000}\t1\t/etc/shadow")
    assert opened is not None
    assert opened["proc.cmdline"] == "cat /etc/shadow"  # the exec's view is reused for later syscalls
    assert opened["evt.is_open_read"] is True and opened["evt.is_open_write"] is False
    assert (opened["fd.name"], opened["fd.directory"], opened["fd.typechar"], opened["fd.num"]) == (
        "/etc/shadow",
        "/etc",
        "f",
        3,
    )


def test_failed_open_and_connect_lines() -> None:
    p = _parser()
    failed = p.parse(f"O\t{GONE}\t1\tx\t-2\t0\t2\t/nope")
    assert failed is not None and failed["evt.res"] == "ENOENT" and failed["evt.type"] == "openat2"
    conn = p.parse(f"C\t{GONE}\t1\tcurl\t-115\t4\t10.0.0.7\t443")
    assert conn is not None
    assert (conn["evt.type"], conn["fd.sip"], conn["fd.sport"], conn["evt.res"]) == (
        "connect",
        "10.0.0.7",
        443,
        "EINPROGRESS",
    )
    assert conn["fd.name"] == "->10.0.0.7:443" and conn["fd.typechar"] == "4"
    assert p.parse("Attaching 12 probes...") is None
    assert p.parse("garbage") is None
