"""The checks engine with one cluster-wide context (as `seawall config` runs it) on the objects of the
20,000-object snapshot of bench/k8s_snapshot.py: K8S028 alone and every check. Prints a markdown table.

    .venv/bin/python bench/config_cluster.py [--objects 20000]
    PYTHONPATH=OLD_CHECKOUT/src .venv/bin/python bench/config_cluster.py   # before/after figures

`seawall k8s` scopes each namespace's objects to their own context; `seawall config` does not, so a
cross-object check that scans all objects of a kind per object is quadratic here. Objects are loaded
with the k8s snapshot reader (the `seawall config` file loader is not what is measured).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import orjson

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

from k8s_snapshot import SCRATCH, build  # noqa: E402

import seawall  # noqa: E402
from seawall.k8s.audit import to_objects  # noqa: E402
from seawall.k8s.collect import load_snapshot  # noqa: E402
from seawall.misconfig.engine import run_checks  # noqa: E402
from seawall.misconfig.registry import all_checks  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--objects", type=int, default=20_000)
    args = parser.parse_args()
    SCRATCH.mkdir(parents=True, exist_ok=True)
    path = SCRATCH / f"snapshot-{args.objects}.json"
    if not path.exists():
        path.write_bytes(orjson.dumps(build(args.objects)))
    objects = to_objects(load_snapshot(path))
    checks = list(all_checks())
    print(f"Objects: {len(objects)} ({path.name}); seawall from {Path(seawall.__file__).parent}\n")
    print("| checks | wall time (s) | CPU time (s) | findings |")
    print("|---|---:|---:|---:|")
    for label, chosen in (
        ("K8S028 only", [c for c in checks if c.meta.id == "K8S028"]),
        ("all checks", checks),
    ):
        start, cpu = time.perf_counter(), time.process_time()
        findings = run_checks(objects, chosen)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        print(f"| {label} | {elapsed:.1f} | {cpu:.1f} | {len(findings):,} |")


if __name__ == "__main__":
    main()
