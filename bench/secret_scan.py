"""Secret-scan throughput and noise: Seawall next to Trivy's secret scanner, same inputs, same run.

Inputs (built once per machine, cached under /var/tmp/seawall-tests):

- the ~300 MB three-layer Debian image of tests/realimages.py (``big()``), as a docker-archive:
  ``seawall image --input X --scanners secret --no-cache`` and
  ``trivy image --input X --scanners secret --offline-scan --skip-db-update`` (fresh cache each run);
- a source tree with a large node_modules (~1,500 packages, ``npm install`` of webpack, jest, eslint,
  typescript, aws-sdk, gatsby ...; tests/analyze/lang/langdata.py ``node_bench_tree``):
  ``seawall fs DIR --scanners secret`` and ``trivy fs DIR --scanners secret --offline-scan``. Seawall is
  also run with its ``dependency-dirs`` allow rule disabled (``--secret-config``), i.e. reading every
  file under node_modules, which Trivy never does; on the image, with ``os-package-dirs`` disabled too
  (reading ``usr/lib``, ``usr/share``, which Trivy's ``usr-dirs`` allow rule skips).

Throughput is input bytes (uncompressed image size, or the tree's file bytes) over wall-clock time,
median of 3 runs, each tool started as a process. "Findings" are what each tool reports on these
inputs, which hold no planted secrets: every finding is a false positive unless noted in
docs/benchmarks.md. Prints a markdown table.

Run: ``.venv/bin/python bench/secret_scan.py``
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "analyze" / "lang"), str(ROOT / "bench")]

import langdata  # noqa: E402
from peers import scratch_env, trivy  # noqa: E402

from realimages import big  # noqa: E402

RUNS = 3
FULL_CONFIG = "disable-allow-rules: [dependency-dirs]\n"
EVERYTHING_CONFIG = "disable-allow-rules: [dependency-dirs, os-package-dirs]\n"


def tree_bytes(root: Path) -> int:
    total = 0
    for dirpath, _, names in os.walk(root):
        for name in names:
            path = os.path.join(dirpath, name)
            if not os.path.islink(path):
                total += os.path.getsize(path)
    return total


def image_bytes(archive: Path) -> int:
    """Uncompressed layer bytes of a docker-archive (its layers are stored uncompressed)."""
    import tarfile

    with tarfile.open(archive) as tar:
        return sum(m.size for m in tar.getmembers() if m.isfile() and m.name.endswith(".tar"))


def count(report: Path) -> int:
    data = json.loads(report.read_text())
    return sum(len(r.get("Secrets") or []) for r in data.get("Results") or [])


def timed(cmd: list[str], env: dict[str, str], report: Path) -> tuple[float, int]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed: {proc.stderr[-500:]}")
    return elapsed, count(report)


def seawall(args: list[str], scratch: Path) -> tuple[float, int]:
    report = scratch / "seawall.json"
    cache = scratch / "seawall-cache"
    shutil.rmtree(cache, ignore_errors=True)
    cmd = [
        sys.executable,
        "-m",
        "seawall",
        "--quiet",
        "--cache-dir",
        str(cache),
        *args,
        "-f",
        "json",
        "-o",
        str(report),
    ]
    env = {**scratch_env(scratch / "home"), "SEAWALL_OFFLINE": "true"}
    return timed(cmd, env, report)


def trivy_run(args: list[str], scratch: Path) -> tuple[float, int]:
    report = scratch / "trivy.json"
    cache = scratch / "trivy-cache"
    shutil.rmtree(cache, ignore_errors=True)
    cmd = [str(trivy()), *args, "--scanners", "secret", "--offline-scan", "--skip-db-update", "--quiet"]
    cmd += ["--cache-dir", str(cache), "-f", "json", "-o", str(report)]
    return timed(cmd, scratch_env(scratch / "home"), report)


def median_run(fn, args: list[str], scratch: Path) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    results = [fn(args, scratch) for _ in range(RUNS)]
    return statistics.median(r[0] for r in results), results[0][1]


def main() -> None:
    image = big()
    tree = langdata.node_bench_tree()
    with tempfile.TemporaryDirectory(prefix="secret-bench-") as tmp:
        scratch = Path(tmp)
        full = scratch / "full.yaml"
        full.write_text(FULL_CONFIG)
        everything = scratch / "everything.yaml"
        everything.write_text(EVERYTHING_CONFIG)
        archive = str(image.docker_archive)
        img_mb = image_bytes(image.docker_archive) / 1e6
        tree_mb = tree_bytes(tree) / 1e6
        rows = [
            ("~300 MB Debian image", img_mb, "Seawall", median_run(seawall, ["image", "--input", archive, "--scanners", "secret", "--no-cache"], scratch)),
            ("~300 MB Debian image", img_mb, "Seawall, usr/lib and usr/share read too", median_run(seawall, ["image", "--input", archive, "--scanners", "secret", "--no-cache", "--secret-config", str(everything)], scratch)),
            ("~300 MB Debian image", img_mb, "Trivy 0.44", median_run(trivy_run, ["image", "--input", archive], scratch)),
            ("node_modules tree", tree_mb, "Seawall", median_run(seawall, ["fs", str(tree), "--scanners", "secret"], scratch)),
            ("node_modules tree", tree_mb, "Seawall, node_modules read too", median_run(seawall, ["fs", str(tree), "--scanners", "secret", "--secret-config", str(full)], scratch)),
            ("node_modules tree", tree_mb, "Trivy 0.44", median_run(trivy_run, ["fs", str(tree)], scratch)),
        ]  # fmt: skip
    print("| input | MB | tool | wall (s, median of 3) | MB/s | findings |")
    print("|---|---:|---|---:|---:|---:|")
    for name, mb, tool, (seconds, found) in rows:
        print(f"| {name} | {mb:.0f} | {tool} | {seconds:.1f} | {mb / seconds:.1f} | {found} |")


if __name__ == "__main__":
    main()
