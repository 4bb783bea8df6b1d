"""The table writer on a large report: the `seawall k8s --report all -f table` report of the 20,000-object
snapshot (about 45,000 findings), rendered in process; prints a markdown table.

    .venv/bin/python bench/report_table.py [--objects 20000]

Builds the snapshot with bench/k8s_snapshot.py if it is missing; only the rendering is timed.
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

from seawall.k8s.audit import audit, build_report  # noqa: E402
from seawall.k8s.collect import load_snapshot  # noqa: E402
from seawall.misconfig.engine import EngineOptions  # noqa: E402
from seawall.report import table  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--objects", type=int, default=20_000)
    args = parser.parse_args()
    SCRATCH.mkdir(parents=True, exist_ok=True)
    path = SCRATCH / f"snapshot-{args.objects}.json"
    if not path.exists():
        path.write_bytes(orjson.dumps(build(args.objects)))
    report = build_report(audit(load_snapshot(path), EngineOptions(), []))
    findings = sum(len(r.misconfigurations) for r in report.results)
    start = time.perf_counter()
    cpu = time.process_time()
    text = table.render(report)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"Report: {len(report.results)} results, {findings} findings ({path.name})\n")
    print("| renderer | wall time (s) | CPU time (s) | output lines | output bytes |")
    print("|---|---:|---:|---:|---:|")
    print(
        f"| `seawall.report.table.render` | {elapsed:.1f} | {cpu:.1f} | {text.count(chr(10)):,} | {len(text):,} |"
    )


if __name__ == "__main__":
    main()
