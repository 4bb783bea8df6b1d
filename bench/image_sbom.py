"""Image SBOM speed: Seawall cold and warm, against the floor (just decompressing and reading the
layers), syft and Trivy, on the real minbase image and a ~300 MB three-layer image.

Run: ``.venv/bin/python bench/image_sbom.py`` (builds the images once per machine, ~2 min).
Prints a markdown table: median wall time of RUNS runs and peak RSS of each command.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

import peers  # noqa: E402

from realimages import BuiltImage, big, minbase  # noqa: E402

RUNS = int(os.environ.get("RUNS", "3"))
SEAWALL = ROOT / ".venv" / "bin" / "seawall"

FLOOR = """
import sys, tarfile
sys.path.insert(0, {src!r})
from seawall.artifact.archive import open_oci_layout
from seawall.analyze.streams import LayerStream, Limits
from pathlib import Path
with open_oci_layout(Path(sys.argv[1])) as image:
    for layer in image.layers:
        s = LayerStream(layer.source.blob, "", "", Limits(), "x")
        with tarfile.open(fileobj=s.tar, mode="r|") as tar:
            for m in tar:
                pass
        s.close()
"""


def run(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, int]:
    """Wall seconds and peak RSS (MiB) of one command."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if status != 0:
        err = proc.stderr.read().decode() if proc.stderr else ""
        raise SystemExit(f"{cmd[0]} failed: {err[-500:]}")
    return elapsed, usage.ru_maxrss // 1024


def median(fn: Callable[[], tuple[float, int]]) -> tuple[float, int]:
    results = [fn() for _ in range(RUNS)]
    return statistics.median(r[0] for r in results), max(r[1] for r in results)


def python_env() -> dict[str, str]:
    """Seawall as an installed tool runs: with its bytecode cache (this shell disables writing it)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def bench_image(label: str, archive: Path, scratch: Path) -> list[tuple[str, str, float, int]]:
    rows = []
    env = peers.scratch_env(scratch / "home")
    py_env = python_env()
    cache = scratch / "seawall-cache"

    def floor() -> tuple[float, int]:
        script = FLOOR.format(src=str(ROOT / "src"))
        return run([sys.executable, "-c", script, str(archive), str(scratch / "tmp")], py_env)

    def gunzip() -> tuple[float, int]:
        # The C floor: gzip -dc of every layer blob (the JSON blobs are not gzip and are skipped), nothing else.
        loop = f"for f in {archive}/blobs/sha256/*; do gzip -dc -q < $f > /dev/null 2>&1; done; true"
        return run(["sh", "-c", loop])

    scan = [
        str(SEAWALL),
        "--cache-dir",
        str(cache),
        "-q",
        "image",
        "--input",
        str(archive),
        "-f",
        "cyclonedx",
    ]

    def cold() -> tuple[float, int]:
        shutil.rmtree(cache, ignore_errors=True)
        return run(scan, py_env)

    def warm() -> tuple[float, int]:
        return run(scan, py_env)

    syft, trivy = peers.syft(), peers.trivy()

    def run_syft() -> tuple[float, int]:
        return run([str(syft), "-q", f"oci-dir:{archive}", "-o", "cyclonedx-json"], env)

    def run_trivy() -> tuple[float, int]:
        shutil.rmtree(scratch / "home" / ".cache", ignore_errors=True)
        return run(
            [
                str(trivy),
                "image",
                "--input",
                str(archive),
                "--skip-db-update",
                "--offline-scan",
                "-f",
                "cyclonedx",
                "-q",
            ],
            env,
        )

    for name, fn in (
        ("floor: Python gunzip + tar walk", floor),
        ("floor: gzip -dc (C)", gunzip),
        ("seawall cold", cold),
        ("seawall warm", warm),
        ("syft 1.18", run_syft),
        ("trivy 0.44", run_trivy),
    ):
        if name == "seawall warm":
            cold()
        seconds, rss = median(fn)
        rows.append((label, name, seconds, rss))
    return rows


def single_image_layout(image: BuiltImage) -> Path:
    """A one-image OCI layout of ``image`` (Trivy 0.44 cannot read skopeo's oci-archives; every tool
    reads this directory), made once per machine."""
    out = peers.CACHE / "bench-layouts" / image.tag
    if not (out / "index.json").exists():
        shutil.rmtree(out, ignore_errors=True)
        out.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["skopeo", "copy", "-q", f"oci:{image.oci_dir}:{image.tag}", f"oci:{out}"], check=True)
    return out


def main() -> None:
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(ROOT / "src")], check=True, env=python_env()
    )
    rows = []
    with tempfile.TemporaryDirectory(prefix="sbom-bench-", dir=peers.CACHE) as tmp:
        for label, image in (("minbase (1 layer)", minbase()), ("big (3 layers)", big())):
            layout = single_image_layout(image)
            size = sum(p.stat().st_size for p in (layout / "blobs" / "sha256").iterdir()) / 1e6
            rows += bench_image(f"{label}, {size:.0f} MB gz", layout, Path(tmp) / label.split()[0])
    print(
        f"Median of {RUNS} runs; peak RSS is the largest seen. Input: an OCI layout directory, gzip layers.\n"
    )
    print("| image | command | wall (s) | peak RSS (MiB) |")
    print("|---|---|---:|---:|")
    for label, name, seconds, rss in rows:
        print(f"| {label} | {name} | {seconds:.2f} | {rss} |")


if __name__ == "__main__":
    main()
