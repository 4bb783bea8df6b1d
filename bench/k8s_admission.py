"""Admission webhook latency at a fixed request rate: `seawall k8s admission` over HTTPS on loopback.

An open-loop client sends AdmissionReview v1 requests (a compliant pod, a privileged pod, a
Deployment) at 200 requests per second over keep-alive TLS connections, as the apiserver does.
Latency is measured from each request's scheduled send time to its response, so a server that falls
behind is charged for the queueing. Prints a markdown table.

    .venv/bin/python bench/k8s_admission.py [--rate 200] [--seconds 15]
"""

from __future__ import annotations

import argparse
import http.client
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import orjson

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "k8s"))

from test_admission import COMPLIANT_POD, review  # noqa: E402
from tlsutil import self_signed  # noqa: E402

POLICY = """podSecurity: {level: restricted, action: deny}
registries: {allowed: [ghcr.io/acme, registry.k8s.io], action: deny}
digests: {required: true, action: warn}
"""


def bodies() -> list[bytes]:
    privileged = orjson.loads(orjson.dumps(COMPLIANT_POD))
    privileged["spec"]["containers"][0]["securityContext"]["privileged"] = True
    deploy = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "api", "namespace": "apps"},
        "spec": {
            "replicas": 3,
            "template": {"metadata": {"labels": {"app": "api"}}, "spec": COMPLIANT_POD["spec"]},
        },
    }
    return [review(COMPLIANT_POD, "a"), review(privileged, "b"), review(deploy, "c")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(rate: float, seconds: float, connections: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        cert, key = self_signed(d)
        (d / "policy.yaml").write_text(POLICY)
        port = free_port()
        server = subprocess.Popen(
            [
                str(REPO / ".venv" / "bin" / "seawall"),
                "-q",
                "k8s",
                "admission",
                f"--tls-cert={cert}",
                f"--tls-key={key}",
                f"--policy={d / 'policy.yaml'}",
                f"--listen=127.0.0.1:{port}",
            ],
            stderr=subprocess.DEVNULL,
        )
        ctx = ssl.create_default_context(cafile=str(cert))
        try:
            _wait_ready(port, ctx)
            return _load(port, ctx, rate, seconds, connections)
        finally:
            server.terminate()
            server.wait(10)


def _wait_ready(port: int, ctx: ssl.SSLContext) -> None:
    for _ in range(200):
        try:
            conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("the webhook did not come up")


def _load(port: int, ctx: ssl.SSLContext, rate: float, seconds: float, connections: int) -> dict[str, float]:
    total = int(rate * seconds)
    payloads = bodies()
    latencies: list[float] = []
    service: list[float] = []
    errors = [0]
    lock = threading.Lock()
    start = time.perf_counter() + 0.5

    def worker(k: int) -> None:
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
        conn.connect()  # TLS handshake before the clock starts, as a warm apiserver connection
        mine: list[float] = []
        own: list[float] = []
        for i in range(k, total, connections):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            body = payloads[i % len(payloads)]
            sent = time.perf_counter()
            try:
                conn.request("POST", "/validate", body, {"Content-Type": "application/json"})
                resp = conn.getresponse()
                resp.read()
                ok = resp.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
            done = time.perf_counter()
            mine.append(done - due)
            own.append(done - sent)
            if not ok:
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(mine)
            service.extend(own)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    q = statistics.quantiles(latencies, n=100)
    qs = statistics.quantiles(service, n=100)
    return {
        "sent_p50": qs[49] * 1000,
        "sent_p99": qs[98] * 1000,
        "requests": len(latencies),
        "rate": len(latencies) / elapsed,
        "p50": q[49] * 1000,
        "p90": q[89] * 1000,
        "p99": q[98] * 1000,
        "max": max(latencies) * 1000,
        "errors": errors[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    r = run(args.rate, args.seconds, args.connections)
    print(
        f"Open-loop load: {args.rate:.0f} req/s for {args.seconds:.0f} s over {args.connections} keep-alive TLS connections\n"
    )
    print(
        "| requests | rate (req/s) | p50 (ms) | p90 (ms) | p99 (ms) | max (ms) | p50 from send | p99 from send | errors |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {r['requests']:.0f} | {r['rate']:.0f} | {r['p50']:.2f} | {r['p90']:.2f} | {r['p99']:.2f} "
        f"| {r['max']:.2f} | {r['sent_p50']:.2f} | {r['sent_p99']:.2f} | {r['errors']:.0f} |"
    )


if __name__ == "__main__":
    main()
