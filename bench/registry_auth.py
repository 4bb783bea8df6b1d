"""Registry protection speed: token requests per second and latency, monitor events per second.

Token server: ``seawall registry auth-server`` as its own process on loopback, with accounts hashed at
the default cost (argon2id t=2 m=19 MiB, bcrypt cost 10), RFC 9106's argon2id t=3 m=64 MiB, and a robot token; 8 client threads with
keep-alive connections ask for ``repository:bench/app:pull,push`` tokens for --seconds each.
Monitor: the detectors on a synthetic stream (500 accounts, pulls/pushes/auth events, SQLite state
committed every 100 events), and ``seawall registry monitor`` as its own process fed one event per
envelope as the registry sends (alerts to stdout, discarded).

    .venv/bin/python bench/registry_auth.py [--seconds 5] [--threads 8]
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "registry"))
sys.path.insert(0, str(ROOT / "tests" / "artifact"))
sys.path.insert(0, str(ROOT / "tests"))

from regservers import free_port, wait_for_port  # noqa: E402
from regstack import write_key_and_cert  # noqa: E402

from seawall.registry.auth.passwords import HashCost, hash_password, hash_token  # noqa: E402
from seawall.registry.monitor.detectors import Detectors, Thresholds  # noqa: E402
from seawall.registry.monitor.events import Activity  # noqa: E402
from seawall.registry.monitor.state import MonitorState  # noqa: E402

ROBOT = "swr_bench-robot-token-0123456789abcdefghijklmnopqrstuv"


def write_config(work: Path) -> Path:
    key, _ = write_key_and_cert(work)
    accounts = [
        {"name": "argon", "password_hash": hash_password("pw-argon", HashCost()), "groups": ["ci"]},
        {
            "name": "argon-rfc",
            "password_hash": hash_password("pw-rfc", HashCost(argon2_time_cost=3, argon2_memory_kib=65536)),
            "groups": ["ci"],
        },
        {"name": "bcrypt", "password_hash": hash_password("pw-bcrypt", HashCost("bcrypt")), "groups": ["ci"]},
        {"name": "robot", "robot": True, "token_hash": hash_token(ROBOT), "groups": ["ci"]},
    ]
    config = {
        "issuer": "bench",
        "service": "bench",
        "signing_key": str(key),
        "audit_log": str(work / "audit.jsonl"),
        "lockout": {"account_failures": 1000000, "address_failures": 1000000},
        "accounts": accounts,
        "rules": [{"subjects": ["group:ci"], "repositories": ["bench/*"], "actions": ["pull", "push"]}],
    }
    path = work / "auth.yaml"
    path.write_text(json.dumps(config))
    return path


def load(url: str, user: str, password: str, seconds: float, threads: int) -> tuple[float, float, float]:
    """Requests per second, p50 and p99 latency (ms)."""
    latencies: list[float] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def worker() -> None:
        mine = []
        with httpx.Client(timeout=60) as client:
            while time.monotonic() < stop_at:
                t0 = time.perf_counter()
                r = client.get(
                    url,
                    params={"service": "bench", "scope": "repository:bench/app:pull,push"},
                    auth=(user, password),
                )
                mine.append(time.perf_counter() - t0)
                assert r.status_code == 200, r.text
        with lock:
            latencies.extend(mine)

    started = time.monotonic()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.monotonic() - started
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return len(latencies) / elapsed, statistics.median(latencies) * 1000, p99 * 1000


def synthetic(n: int, accounts: int = 500) -> list[Activity]:
    rng = random.Random(7)
    now = time.time()
    out = []
    for i in range(n):
        a = rng.randrange(accounts)
        kind = rng.random()
        action = "pull" if kind < 0.8 else "push" if kind < 0.9 else "auth_ok" if kind < 0.97 else "auth_fail"
        out.append(
            Activity(
                time=now + i * 0.001,
                account=f"acct{a}",
                action=action,
                address=f"10.0.{a % 250}.{rng.randrange(3)}",
                user_agent=f"containers/5.{a % 4}",
                repository=f"team{a % 40}/svc{rng.randrange(30)}",
                tag=f"v{rng.randrange(5)}",
                digest=f"sha256:{rng.getrandbits(256):064x}",
                media_type="application/vnd.oci.image.manifest.v1+json",
            )
        )
    return out


def monitor_direct(work: Path, n: int) -> float:
    state = MonitorState(work / "direct.sqlite")
    det = Detectors(state, Thresholds(warmup_seconds=0, warmup_events=20), hostname="bench")
    events = synthetic(n)
    t0 = time.perf_counter()
    for i, act in enumerate(events):
        det.process(act)
        if i % 100 == 99:
            state.commit()
    state.commit()
    rate = n / (time.perf_counter() - t0)
    state.close()
    return rate


def monitor_http(work: Path, n: int, threads: int) -> float:
    port = free_port()
    proc = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/seawall"),
            "-q",
            "--cache-dir",
            str(work / "monitor-cache"),
            "registry",
            "monitor",
            "--listen",
            f"127.0.0.1:{port}",
            "--warmup-seconds",
            "0",
        ],
        stdout=subprocess.DEVNULL,
    )
    wait_for_port(port, proc, "monitor")
    url = f"http://127.0.0.1:{port}/events"
    now = time.time()

    def envelope(i: int) -> bytes:
        return json.dumps(
            {
                "events": [
                    {
                        "id": str(i),
                        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now))
                        + f".{i % 1000000:06d}Z",
                        "action": "pull",
                        "target": {
                            "mediaType": "application/vnd.oci.image.manifest.v1+json",
                            "repository": f"team/s{i % 50}",
                            "digest": "sha256:" + "a" * 64,
                            "tag": "1",
                        },
                        "request": {"addr": "10.0.0.1:5000", "useragent": "containers/5.1"},
                        "actor": {"name": f"acct{i % 200}"},
                    }
                ]
            }
        ).encode()

    bodies = [envelope(i) for i in range(n)]
    per = n // threads

    def worker(k: int) -> None:
        with httpx.Client(timeout=60) as client:
            for body in bodies[k * per : (k + 1) * per]:
                assert client.post(url, content=body).status_code == 200

    t0 = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    rate = per * threads / (time.perf_counter() - t0)
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    return rate


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--events", type=int, default=50000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        config = write_config(work)
        port = free_port()
        proc = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/seawall"),
                "-q",
                "registry",
                "auth-server",
                "--auth-config",
                str(config),
                "--listen",
                f"127.0.0.1:{port}",
            ],
        )
        try:
            wait_for_port(port, proc, "auth server")
            url = f"http://127.0.0.1:{port}/token"
            rows = []
            for label, user, pw in (
                ("argon2id t=2 m=19MiB p=1 (default)", "argon", "pw-argon"),
                ("argon2id t=3 m=64MiB p=1 (RFC 9106)", "argon-rfc", "pw-rfc"),
                ("bcrypt cost 10 (default for bcrypt)", "bcrypt", "pw-bcrypt"),
                ("robot token (sha256)", "robot", ROBOT),
            ):
                rps, p50, p99 = load(url, user, pw, args.seconds, args.threads)
                rows.append((label, rps, p50, p99))
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)
        direct = monitor_direct(work, args.events)
        http = monitor_http(work, min(args.events, 10000), 4)
    import os

    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print()
    print(f"| credential | token requests/s ({args.threads} clients) | p50 ms | p99 ms |")
    print("|---|---:|---:|---:|")
    for label, rps, p50, p99 in rows:
        print(f"| {label} | {rps:.1f} | {p50:.1f} | {p99:.1f} |")
    print()
    print("| monitor path | events/s |")
    print("|---|---:|")
    print(f"| detectors + SQLite state, {args.events} synthetic events | {direct:,.0f} |")
    print(f"| `seawall registry monitor` process, one event per envelope, 4 senders | {http:,.0f} |")


if __name__ == "__main__":
    main()
