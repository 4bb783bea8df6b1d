"""Runtime engine throughput: the full stable Falco ruleset vs. only decoding the same events (orjson).

Usage: ``.venv/bin/python bench/runtime_engine.py [--events N] [--memory-events M]``

The event mix is built from this machine: real processes from ``/proc`` (names, exe paths, command
lines, parents), real files from ``/etc``, ``/usr/lib`` and ``/usr/bin``, and loopback connections,
in the proportions a busy container host shows (opens dominate, then reads of config, execs,
connects, a few writes to sensitive places). It is serialised as JSON lines, exactly what
``--source replay:FILE`` reads. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import time
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from seawall.runtime.engine import Engine  # noqa: E402
from seawall.runtime.rules.compiler import compile_spec  # noqa: E402
from seawall.runtime.rules.loader import load_rule_files  # noqa: E402

STABLE = ROOT.parent / "shared/corpus/falco-rules/rules/falco_rules.yaml"


def _procs() -> list[dict[str, Any]]:
    out = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            comm = (d / "comm").read_text().strip()
            cmd = (d / "cmdline").read_bytes().split(b"\0")
            exe = os.readlink(d / "exe")
            ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        args = [a.decode(errors="replace") for a in cmd if a]
        out.append({"pid": int(d.name), "comm": comm, "args": args, "exe": exe, "ppid": ppid})
    return out or [{"pid": 1, "comm": "init", "args": ["init"], "exe": "/sbin/init", "ppid": 0}]


def _files() -> list[str]:
    files: list[str] = []
    for base in ("/etc", "/usr/lib/x86_64-linux-gnu", "/usr/bin", "/usr/share/zoneinfo"):
        for p in Path(base).rglob("*"):
            if len(files) > 4000:
                break
            files.append(str(p))
    return files


def make_events(n: int, seed: int = 7) -> list[bytes]:
    """``n`` JSON lines of a realistic syscall mix."""
    rnd = random.Random(seed)
    procs = _procs()
    names = {p["pid"]: p["comm"] for p in procs}
    files = _files()
    containers = [
        {"container.id": "host", "container.name": "host"},
        {
            "container.id": "1f32a729e38c",
            "container.name": "web",
            "container.image": "localhost/deb-app:test",
            "container.image.repository": "localhost/deb-app",
            "container.image.tag": "test",
            "container.privileged": False,
        },
    ]
    lines = []
    t = 1_700_000_000_000_000_000
    for i in range(n):
        p = rnd.choice(procs)
        c = containers[i % 3 == 0]
        base: dict[str, Any] = {
            "evt.time": t + i * 1000,
            "evt.dir": "<",
            "proc.pid": p["pid"],
            "proc.ppid": p["ppid"],
            "proc.name": p["comm"],
            "proc.exe": p["args"][0] if p["args"] else p["exe"],
            "proc.exepath": p["exe"],
            "proc.cmdline": " ".join([p["comm"], *p["args"][1:]])[:200],
            "proc.args": " ".join(p["args"][1:])[:200],
            "proc.pname": names.get(p["ppid"], "init"),
            "proc.aname": [names.get(p["ppid"], "init"), "systemd"],
            "proc.tty": 0,
            "user.uid": 0,
            "user.name": "root",
            "user.loginuid": -1,
            **c,
        }
        r = rnd.random()
        if r < 0.55:
            f = rnd.choice(files)
            ev = {
                **base,
                "evt.type": "openat",
                "fd.name": f,
                "fd.directory": os.path.dirname(f),
                "fd.filename": os.path.basename(f),
                "fd.typechar": "f",
                "fd.num": 3 + i % 20,
                "evt.is_open_read": True,
                "evt.is_open_write": False,
                "evt.arg.flags": "O_RDONLY|O_CLOEXEC",
            }
        elif r < 0.70:
            f = rnd.choice(
                ["/tmp/x.log", "/var/log/app.log", "/run/app.pid", "/etc/app.conf", "/usr/bin/tool"]
            )
            ev = {
                **base,
                "evt.type": "openat",
                "fd.name": f,
                "fd.directory": os.path.dirname(f),
                "fd.filename": os.path.basename(f),
                "fd.typechar": "f",
                "fd.num": 4,
                "evt.is_open_read": False,
                "evt.is_open_write": True,
                "evt.arg.flags": "O_WRONLY|O_CREAT|O_TRUNC",
            }
        elif r < 0.85:
            ev = {**base, "evt.type": rnd.choice(["execve", "execveat"]), "evt.arg.flags": ""}
        elif r < 0.95:
            port = rnd.choice([80, 443, 5432, 6379, 8080])
            ev = {
                **base,
                "evt.type": "connect",
                "fd.typechar": "4",
                "fd.type": "ipv4",
                "fd.l4proto": "tcp",
                "fd.sip": "127.0.0.1",
                "fd.sport": port,
                "fd.cip": "127.0.0.1",
                "fd.cport": 40000 + i % 20000,
                "fd.name": f"127.0.0.1:{40000 + i % 20000}->127.0.0.1:{port}",
                "fd.num": 5,
                "evt.res": "SUCCESS",
            }
        else:
            ev = {**base, "evt.type": rnd.choice(["close", "read", "write", "clone", "setuid"]), "fd.num": 3}
        lines.append(orjson.dumps(ev))
    return lines


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--memory-events", type=int, default=10_000_000)
    args = ap.parse_args()
    rs = compile_spec(load_rule_files([STABLE]))
    engine = Engine(rs, rule_matching="all", hostname="bench")
    lines = make_events(args.events)
    loads = orjson.loads

    t0 = time.process_time()
    for line in lines:
        loads(line)
    decode = time.process_time() - t0

    t0 = time.process_time()
    alerts = 0
    process = engine.process
    for line in lines:
        alerts += len(process(loads(line)))
    full = time.process_time() - t0

    n = len(lines)
    print(f"Stable ruleset: {len(rs.rules)} rules; {n} events; {alerts} alerts\n")
    print("| run | CPU seconds | events/s/core | µs/event | vs decode |")
    print("|---|---|---|---|---|")
    print(f"| orjson decode only | {decode:.2f} | {n / decode:,.0f} | {decode / n * 1e6:.2f} | 1.00x |")
    print(f"| decode + engine | {full:.2f} | {n / full:,.0f} | {full / n * 1e6:.2f} | {full / decode:.2f}x |")

    if args.memory_events:
        baseline = _rss_mb()  # the pre-built event lines dominate it; growth is what matters
        samples = []
        done = 0
        step = max(args.memory_events // 10, 1)
        while done < args.memory_events:
            for line in lines:
                process(loads(line))
                done += 1
                if done % step == 0:
                    samples.append((done, _rss_mb()))
                if done >= args.memory_events:
                    break
        print(
            f"\nRSS before the memory run (rules + {n:,} pre-encoded events held in memory): {baseline:.1f} MiB\n"
        )
        print("| events processed | RSS MiB | growth MiB |")
        print("|---|---|---|")
        for count, rss in samples:
            print(f"| {count:,} | {rss:.1f} | {rss - baseline:+.1f} |")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"\npeak RSS {peak:.1f} MiB")


if __name__ == "__main__":
    main()
