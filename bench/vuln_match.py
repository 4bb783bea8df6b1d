"""Vulnerability database and matcher benchmark: corpus ingest, 1,000-package matching, image scan.

Run: ``.venv/bin/python bench/vuln_match.py`` (prints a markdown table). Builds a fresh database from
``../shared/corpus/vulndb`` (PyPI and Go OSV databases, KEV, Debian tracker sample) in a temporary
directory, then matches 1,000 packages (every pypa package at the oldest version one of its advisories
names, plus Go modules) cold and warm, and times ``seawall image`` on the must-show test image.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests"), str(ROOT / "tests" / "vuln")]

from vulnimage import pinned_image  # noqa: E402
from vulnref import GOVULNDB, PYPA, build_corpus_db  # noqa: E402

from seawall.model import Application, Inventory, Package  # noqa: E402
from seawall.scan.policy import VulnOptions  # noqa: E402
from seawall.scan.vuln import match_inventory  # noqa: E402
from seawall.vulndb import store  # noqa: E402
from seawall.yamlsafe import load_yaml  # noqa: E402


def thousand_packages() -> Inventory:
    """1,000 packages: each pypa package at a version an advisory names, then Go modules."""
    py: list[Package] = []
    for d in sorted(PYPA.iterdir()):
        first = next(iter(sorted(d.glob("*.yaml"))), None)
        if first is None:
            continue
        rec = load_yaml(first.read_text(), str(first))
        versions = [v for a in rec.get("affected", []) for v in a.get("versions", [])]
        py.append(Package(name=d.name, version=str(versions[0]) if versions else "0.1.0"))
    go: list[Package] = []
    import orjson

    for p in sorted(GOVULNDB.glob("GO-*.json")):
        if len(py) + len(go) >= 1000:
            break
        for a in orjson.loads(p.read_bytes()).get("affected", []):
            name = a.get("package", {}).get("name")
            if name and name not in {g.name for g in go}:
                go.append(Package(name=name, version="v0.0.1"))
    apps = (
        Application("python-pkg", "py", tuple(py)),
        Application("gobinary", "go", tuple(go[: 1000 - len(py)])),
    )
    return Inventory("bench", "container_image", None, "", (), apps)


def time_match(db_file: Path, inv: Inventory) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds of this process, findings) for one match on a fresh handle."""
    db = store.open_db(db_file)
    t, c = time.perf_counter(), time.process_time()
    found = match_inventory(inv, db, VulnOptions())
    elapsed, cpu = time.perf_counter() - t, time.process_time() - c
    db.close()
    return elapsed, cpu, sum(len(v) for v in found.values())


def main() -> None:
    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        db_dir = Path(tmp) / "db"
        t, c = time.perf_counter(), time.process_time()
        db_file = build_corpus_db(db_dir)
        ingest, ingest_cpu = time.perf_counter() - t, time.process_time() - c
        db = store.open_db(db_file)
        counts = db.counts()
        db.close()
        rows.append(("ingest: pypa + golang vulndb + KEV + EPSS + Debian sample", f"{ingest:.1f} s",
                     f"CPU {ingest_cpu:.1f} s; {counts['advisories']} advisories, {counts['affected']} affected entries, "
                     f"{counts['kev']} KEV; {db_file.stat().st_size / 1e6:.1f} MB"))  # fmt: skip
        inv = thousand_packages()
        n = sum(len(a.packages) for a in inv.applications)
        cold, cold_cpu, findings = time_match(db_file, inv)
        runs = [time_match(db_file, inv) for _ in range(3)]
        warm, warm_cpu = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
        rows.append((f"match {n} packages, first run (new handle)", f"{cold:.3f} s",
                     f"CPU {cold_cpu:.3f} s; {findings} findings"))  # fmt: skip
        rows.append(
            (
                f"match {n} packages, warm (median of 3, new handle each)",
                f"{warm:.3f} s",
                f"CPU {warm_cpu:.3f} s",
            )
        )
        img = pinned_image()
        cmd = [sys.executable, "-m", "seawall", "-q", "--cache-dir", str(Path(tmp) / "cache"), "image",
               f"docker-archive:{img.docker_archive}", "--scanners", "vuln", "--format", "json",
               "--db-dir", str(db_dir), "--skip-db-update"]  # fmt: skip
        times = []
        for _ in range(3):
            t = time.perf_counter()
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
            times.append(time.perf_counter() - t)
        rows.append(
            ("`seawall image` test image, first run (layer cache empty)", f"{times[0]:.2f} s", "whole CLI")
        )
        rows.append(("`seawall image` test image, warm (median of next 2)", f"{statistics.median(times[1:]):.2f} s",
                     "whole CLI, layer cache hit"))  # fmt: skip
    load = os.getloadavg()[0]
    print(f"load average during the run: {load:.1f} on {os.cpu_count()} cores\n")
    print("| case | wall time | notes |\n|---|---:|---|")
    for case, value, note in rows:
        print(f"| {case} | {value} | {note} |")


if __name__ == "__main__":
    main()
