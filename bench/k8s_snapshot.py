"""`seawall k8s --snapshot` on a generated 20,000-object cluster snapshot: wall time and peak memory.

The snapshot is built from the corpus's real manifests (kubernetes-examples, microservices-demo),
replicated over namespaces as a cluster runs them: each Deployment with its ReplicaSet and three
Pods (with status, image digests and managedFields as the API server returns them), Services,
ServiceAccounts, NetworkPolicies, Roles and bindings. Prints a markdown table.

    .venv/bin/python bench/k8s_snapshot.py [--objects 20000]
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "k8s"))

from clusterdata import corpus_objects  # noqa: E402

SCRATCH = Path("/var/tmp/seawall-bench/k8s")


def _managed() -> list[dict[str, Any]]:
    """managedFields as the API server returns them (often half an object's bytes)."""
    fields = {
        f"f:{k}": {f"f:{x}": {} for x in ("type", "status", "lastTransitionTime", "reason")}
        for k in "abcdefgh"
    }
    return [
        {
            "manager": manager,
            "operation": "Update",
            "apiVersion": "v1",
            "time": "2026-11-01T10:00:00Z",
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:metadata": {"f:labels": {}}, "f:spec": fields, "f:status": fields},
        }
        for manager in ("kube-controller-manager", "kubelet", "kubectl-client-side-apply")
    ]


def _status(spec: dict[str, Any], n: int) -> dict[str, Any]:
    containers = [c for c in spec.get("containers", []) if isinstance(c, dict)]
    return {
        "phase": "Running",
        "hostIP": f"10.0.{n % 250}.{n % 200}",
        "podIP": f"10.244.{n % 250}.{n % 200}",
        "startTime": "2026-11-01T10:00:00Z",
        "qosClass": "Burstable",
        "conditions": [
            {"type": t, "status": "True", "lastTransitionTime": "2026-11-01T10:00:05Z", "lastProbeTime": None}
            for t in ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled")
        ],
        "containerStatuses": [
            {
                "name": c.get("name"),
                "image": c.get("image"),
                "imageID": f"{c.get('image')}@sha256:{hashlib.sha256(str(c.get('image')).encode()).hexdigest()}",
                "containerID": "containerd://" + hashlib.sha256(f"{n}/{c.get('name')}".encode()).hexdigest(),
                "ready": True,
                "restartCount": 0,
                "started": True,
                "state": {"running": {"startedAt": "2026-11-01T10:00:04Z"}},
            }
            for c in containers
        ],
    }


def build(total: int) -> dict[str, Any]:
    """A List of about ``total`` objects."""
    base, _ = corpus_objects(REPO.parent / "shared")
    templates = [
        o for o in base if o["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Service", "ConfigMap")
    ]
    items: list[dict[str, Any]] = []
    for i in range(20):
        items.append(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRole",
                "metadata": {"name": f"reader-{i}"},
                "rules": [{"apiGroups": [""], "resources": ["pods", "secrets"], "verbs": ["get", "list"]}],
            }
        )
    ns_index = 0
    while len(items) < total:
        ns = f"team-{ns_index:04d}"
        ns_index += 1
        items.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        items.append(
            {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": ns}}
        )
        if ns_index % 2:
            items.append(
                {
                    "apiVersion": "networking.k8s.io/v1",
                    "kind": "NetworkPolicy",
                    "metadata": {"name": "default-deny", "namespace": ns},
                    "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
                }
            )
        items.append(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "RoleBinding",
                "metadata": {"name": "readers", "namespace": ns},
                "roleRef": {
                    "kind": "ClusterRole",
                    "name": f"reader-{ns_index % 20}",
                    "apiGroup": "rbac.authorization.k8s.io",
                },
                "subjects": [{"kind": "ServiceAccount", "name": "default", "namespace": ns}],
            }
        )
        for t in templates[(ns_index * 7) % len(templates) :][:12]:
            obj = copy.deepcopy(t)
            obj["metadata"]["namespace"] = ns
            obj["metadata"]["managedFields"] = _managed()
            items.append(obj)
            if obj["kind"] != "Deployment":
                continue
            name = obj["metadata"]["name"]
            rs = copy.deepcopy(obj)
            rs["kind"] = "ReplicaSet"
            rs["metadata"] = {
                "name": f"{name}-7f9c",
                "namespace": ns,
                "ownerReferences": [{"kind": "Deployment", "name": name, "controller": True}],
                "managedFields": _managed(),
            }
            items.append(rs)
            template = obj.get("spec", {}).get("template", {})
            for r in range(3):
                spec = copy.deepcopy(template.get("spec", {}))
                items.append(
                    {
                        "apiVersion": "v1",
                        "kind": "Pod",
                        "metadata": {
                            "name": f"{name}-7f9c-{r}",
                            "namespace": ns,
                            "labels": dict(template.get("metadata", {}).get("labels") or {}),
                            "ownerReferences": [
                                {"kind": "ReplicaSet", "name": f"{name}-7f9c", "controller": True}
                            ],
                            "managedFields": _managed(),
                        },
                        "spec": spec,
                        "status": _status(spec, len(items)),
                    }
                )
    return {"apiVersion": "v1", "kind": "List", "items": items[:total]}


_SERVE = """
import sys, time, orjson
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from fakeapi import FakeAPI
api = FakeAPI(orjson.loads(Path(sys.argv[2]).read_bytes())["items"], Path(sys.argv[3]), Path(sys.argv[4]))
print(api.url, flush=True)
time.sleep(3600)
"""


def _live(path: Path) -> tuple[list[str], subprocess.Popen[bytes]]:
    """Serve the snapshot's objects from a local HTTPS API server (tests/k8s/fakeapi.py) in its own
    process, so neither its CPU nor its memory is charged to seawall; the arguments to audit it live."""
    from fakeapi import kubeconfig
    from tlsutil import self_signed

    cert, key = self_signed(SCRATCH, "localhost")
    server = subprocess.Popen(
        [sys.executable, "-c", _SERVE, str(REPO / "tests" / "k8s"), str(path), str(cert), str(key)],
        stdout=subprocess.PIPE,
    )
    assert server.stdout is not None
    url = server.stdout.readline().decode().strip()
    return ["--kubeconfig", str(kubeconfig(SCRATCH / "kubeconfig", url, cert)), "-f", "table"], server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--objects", type=int, default=20_000)
    parser.add_argument("--live", action="store_true", help="also audit through a local API server")
    args = parser.parse_args()
    SCRATCH.mkdir(parents=True, exist_ok=True)
    path = SCRATCH / f"snapshot-{args.objects}.json"
    if not path.exists():
        path.write_bytes(orjson.dumps(build(args.objects)))
    size = path.stat().st_size
    rows = []
    runs: list[list[str]] = [
        ["--snapshot", str(path), "-f", "json"],
        ["--snapshot", str(path), "-f", "table"],
        ["--snapshot", str(path), "-f", "sarif"],
        ["--snapshot", str(path), "--compliance", "k8s-cis"],
    ]
    api = None
    for args_ in [*runs, ["live"]] if args.live else runs:
        if args_ == ["live"]:
            args_, api = _live(path)
        out = SCRATCH / "report.out"
        with out.open("wb") as fh:
            start = time.perf_counter()
            proc = subprocess.Popen(
                [str(REPO / ".venv" / "bin" / "seawall"), "-q", "k8s", *args_],
                stdout=fh,
                stderr=subprocess.PIPE,
            )
            # wait4 gives this child's own peak RSS (RUSAGE_CHILDREN would keep the largest so far).
            _, status, usage = os.wait4(proc.pid, 0)
            elapsed = time.perf_counter() - start
        if status != 0:
            raise SystemExit(proc.stderr.read().decode()[-2000:] if proc.stderr else "failed")
        cpu = usage.ru_utime + usage.ru_stime
        shown = " ".join(a if not a.startswith("/") else Path(a).name for a in args_)
        rows.append((shown, elapsed, cpu, usage.ru_maxrss / 1024, out.stat().st_size))
    if api is not None:
        api.terminate()
        api.wait(10)
    print(f"Snapshot: {args.objects} objects, {size / 1e6:.1f} MB ({path})\n")
    load = Path("/proc/loadavg").read_text().split()[0]
    print(f"Load average after the runs: {load}\n")
    print("| command | wall time (s) | CPU time (s) | peak RSS (MiB) | report bytes |")
    print("|---|---:|---:|---:|---:|")
    for flags, elapsed, cpu, peak, size_out in rows:
        print(f"| `seawall k8s {flags}` | {elapsed:.1f} | {cpu:.1f} | {peak:.0f} | {size_out:,} |")


if __name__ == "__main__":
    main()
