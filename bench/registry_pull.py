"""Registry pull speed: Seawall's client against the real distribution registry on loopback.

Pushes the minbase test image (one 63 MB gzip layer) and a synthetic image of six 8 MiB
incompressible layers to a local ``docker-registry``, then times cold pulls (empty cache), warm
pulls (everything cached), 1 vs 4 download threads, and ``skopeo copy`` to an OCI layout as a peer.
Prints a markdown table. Run: ``.venv/bin/python bench/registry_pull.py``.
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
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "artifact")]

from regservers import FaultProxy, push, start_registry, stop  # noqa: E402

from imagetools import SyntheticImage, files, layer_tar, write_oci_layout  # noqa: E402
from realimages import minbase  # noqa: E402
from seawall.artifact import registry as registry_mod  # noqa: E402
from seawall.artifact.options import SourceOptions  # noqa: E402
from seawall.artifact.registry import open_registry_image  # noqa: E402

RUNS = 3


def timed(fn: Callable[[], object], setup: Callable[[], None] = lambda: None) -> float:
    """Median wall time of ``fn`` over RUNS runs, ``setup`` before each (not timed)."""
    samples = []
    for _ in range(RUNS):
        setup()
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="seawall-bench-registry-"))
    try:
        base = minbase()
        reg = start_registry(work / "reg", work / "storage")
        try:
            push(f"oci:{base.oci_dir}:{base.tag}", reg, "bench/minbase:oci")
            layers = [layer_tar(files({f"blob{i}": os.urandom(8 << 20)})) for i in range(6)]
            layout = write_oci_layout(
                work / "multi", SyntheticImage(layers=layers), tag="m", compression="gzip"
            )
            push(f"oci:{layout}:m", reg, "bench/multi:m")
            rows = run_all(reg.host, work, base.oci_dir)
            rows += run_throttled(reg.port, work)
        finally:
            stop(reg.proc)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("| case | image | median of 3 (s) | MB/s |")
    print("|---|---|---:|---:|")
    for case, image, seconds, size in rows:
        rate = f"{size / seconds / 1e6:.0f}" if size and seconds > 0 else "-"
        print(f"| {case} | {image} | {seconds:.2f} | {rate} |")


def run_all(host: str, work: Path, base_layout: Path) -> list[tuple[str, str, float, int]]:
    cache = work / "cache"

    def clear() -> None:
        shutil.rmtree(cache, ignore_errors=True)

    def pull(ref: str) -> Callable[[], object]:
        return lambda: open_registry_image(f"{host}/{ref}", SourceOptions(cache_dir=cache, insecure=True))

    sizes = {}
    for ref in ("bench/minbase:oci", "bench/multi:m"):
        clear()
        image = pull(ref)()
        sizes[ref] = sum(layer.source.blob.path.stat().st_size for layer in image.layers)  # type: ignore[attr-defined]
    rows = []
    rows.append(
        (
            "seawall cold pull",
            "minbase (1 layer)",
            timed(pull("bench/minbase:oci"), clear),
            sizes["bench/minbase:oci"],
        )
    )
    rows.append(("seawall warm pull (cached)", "minbase (1 layer)", timed(pull("bench/minbase:oci")), 0))
    for threads in (1, 4):
        registry_mod.DOWNLOAD_THREADS = threads
        rows.append(
            (
                f"seawall cold pull, {threads} thread(s)",
                "6 x 8 MiB layers",
                timed(pull("bench/multi:m"), clear),
                sizes["bench/multi:m"],
            )
        )
    registry_mod.DOWNLOAD_THREADS = 4
    dest = work / "skopeo-out"

    def skopeo(ref: str) -> Callable[[], object]:
        return lambda: subprocess.run(
            [
                "skopeo",
                "--insecure-policy",
                "copy",
                "--quiet",
                "--src-tls-verify=false",
                f"docker://{host}/{ref}",
                f"oci:{dest}:x",
            ],
            check=True,
        )

    def clear_dest() -> None:
        shutil.rmtree(dest, ignore_errors=True)

    rows.append(
        (
            "skopeo copy to OCI layout (peer)",
            "minbase (1 layer)",
            timed(skopeo("bench/minbase:oci"), clear_dest),
            sizes["bench/minbase:oci"],
        )
    )
    rows.append(
        (
            "skopeo copy to OCI layout (peer)",
            "6 x 8 MiB layers",
            timed(skopeo("bench/multi:m"), clear_dest),
            sizes["bench/multi:m"],
        )
    )
    return rows


def run_throttled(port: int, work: Path) -> list[tuple[str, str, float, int]]:
    """The six-layer image through a proxy that caps each connection at 16 MB/s (like a CDN edge)."""
    proxy = FaultProxy(port)
    proxy.throttle_bps = 16_000_000
    cache = work / "cache-throttled"
    rows = []
    try:
        for threads in (1, 4):
            registry_mod.DOWNLOAD_THREADS = threads

            def clear() -> None:
                shutil.rmtree(cache, ignore_errors=True)

            def pull() -> object:
                return open_registry_image(
                    f"{proxy.host}/bench/multi:m", SourceOptions(cache_dir=cache, insecure=True)
                )

            seconds = timed(pull, clear)
            size = sum(p.stat().st_size for p in (cache / "blobs" / "sha256").iterdir())
            rows.append(
                (
                    f"seawall cold pull, {threads} thread(s), 16 MB/s per connection",
                    "6 x 8 MiB layers",
                    seconds,
                    size,
                )
            )
    finally:
        registry_mod.DOWNLOAD_THREADS = 4
        proxy.stop()
    return rows


if __name__ == "__main__":
    main()
