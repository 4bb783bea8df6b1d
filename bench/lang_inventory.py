"""Inventory speed on a real node_modules tree (~1,500 packages): Seawall next to syft and Trivy.

The tree is ``npm install --ignore-scripts`` of a dependency-heavy set (webpack, jest, eslint, babel,
typescript, react, express, aws-sdk, angular-cli, gatsby ...), made once per machine by
tests/analyze/lang/langdata.py (``node_bench_tree``) under /var/tmp/seawall-tests/lang-node-bench-v1.
Every tool reads the installed ``package.json`` files:

- ``seawall fs DIR`` (the CLI, directory walker; ``--scanners ""``: inventory only, no cache reuse
  across runs; it also reads the tree's package-lock.json, which is counted apart) and, in-process,
  the layer walker over a tar of the tree (the image path);
- ``syft dir:DIR --override-default-catalogers javascript-package-cataloger`` (its installed-package
  cataloger; by default syft reads only lockfiles in directories);
- ``trivy rootfs DIR`` (its node-pkg analyzer), ``--skip-db-update --offline-scan -f cyclonedx``.

Peers are installed outside the repository under /var/tmp/seawall-tests/peers. Prints a markdown table
(median of 3 runs, wall clock).

Run: ``.venv/bin/python bench/lang_inventory.py``
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [
    str(ROOT / "tests"),
    str(ROOT / "tests" / "analyze" / "lang"),
    str(ROOT / "bench"),
    str(ROOT / "src"),
]

import langdata  # noqa: E402
from lang_peers import syft, trivy  # noqa: E402

from seawall.analyze.analyzers.node import NodePkgAnalyzer  # noqa: E402
from seawall.analyze.streams import BlobRef, Limits  # noqa: E402
from seawall.analyze.walker import LayerSource, analyze_layer  # noqa: E402

RUNS = 3
SEAWALL = ROOT / ".venv" / "bin" / "seawall"


def _env(scratch: Path) -> dict[str, str]:
    scratch.mkdir(parents=True, exist_ok=True)
    return dict(os.environ, HOME=str(scratch), TMPDIR=str(scratch), SYFT_CHECK_FOR_APP_UPDATE="false")


Counted = tuple[int, int]  # packages reported, distinct name@version


def _timed(fn: Callable[[], Counted]) -> tuple[float, Counted]:
    times: list[float] = []
    count: Counted = (0, 0)
    for _ in range(RUNS):
        start = time.perf_counter()
        count = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), count


def seawall_cli(tree: Path, scratch: Path) -> Counted:
    scratch.mkdir(parents=True, exist_ok=True)
    cache = Path(tempfile.mkdtemp(dir=scratch))
    out = subprocess.run(
        [str(SEAWALL), "--quiet", "--cache-dir", str(cache), "fs", str(tree), "--format", "json",
         "--list-all-pkgs", "--scanners", ""],
        capture_output=True, check=True, env=_env(scratch),
    ).stdout  # fmt: skip
    doc = json.loads(out)
    pkgs = [
        p for r in doc.get("Results") or [] if r.get("Type") == "node-pkg" for p in r.get("Packages") or []
    ]
    return len(pkgs), len({(p["Name"], p["Version"]) for p in pkgs})


def seawall_walker(layer: Path) -> Counted:
    facts = analyze_layer(LayerSource(BlobRef(layer), label="bench"), [NodePkgAnalyzer()], Limits())
    pkgs = [p for f in facts.files.values() for a in f.applications for p in a.packages]
    return len(pkgs), len({(p.name, p.version) for p in pkgs})


def syft_count(tree: Path, scratch: Path) -> Counted:
    out = subprocess.run(
        [str(syft()), f"dir:{tree}", "-o", "json", "-q", "--override-default-catalogers",
         "javascript-package-cataloger"],
        capture_output=True, check=True, env=_env(scratch),
    ).stdout  # fmt: skip
    pkgs = [a for a in json.loads(out)["artifacts"] if a.get("type") == "npm"]
    return len(pkgs), len({(a["name"], a["version"]) for a in pkgs})


def trivy_count(tree: Path, scratch: Path) -> Counted:
    out = subprocess.run(
        [str(trivy()), "rootfs", str(tree), "--skip-db-update", "--offline-scan", "--cache-dir",
         str(scratch / "tc"), "-q", "-f", "cyclonedx"],
        capture_output=True, check=True, env=_env(scratch),
    ).stdout  # fmt: skip
    purls = [
        c["purl"] for c in json.loads(out).get("components", []) if c.get("purl", "").startswith("pkg:npm/")
    ]
    return len(purls), len(set(purls))


def main() -> None:
    tree = langdata.node_bench_tree()
    manifests = sum(1 for p in (tree / "node_modules").rglob("package.json") if NodePkgAnalyzer().claims(
        str(p.relative_to(tree)), 0o644, 0))  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="lang-bench-") as tmp:
        scratch = Path(tmp)
        layer = scratch / "tree.tar"
        start = time.perf_counter()
        with tarfile.open(layer, "w") as tar:  # streamed to disk: the tree is ~700 MB
            tar.add(tree, arcname=".")
        tar_s = time.perf_counter() - start
        tar_bytes = layer.stat().st_size
        rows = [
            (
                "seawall fs DIR (CLI, node_modules + package-lock.json)",
                *_timed(lambda: seawall_cli(tree, scratch / "sw")),
            ),
            ("seawall layer walker, tar of the tree (in-process)", *_timed(lambda: seawall_walker(layer))),
            (
                "syft 1.18 dir: (javascript-package-cataloger)",
                *_timed(lambda: syft_count(tree, scratch / "sy")),
            ),
            ("trivy 0.44 rootfs", *_timed(lambda: trivy_count(tree, scratch / "tr"))),
        ]
    print(f"node_modules tree: {manifests} installed package.json files; tar of the tree: "
          f"{tar_bytes / 1e6:.0f} MB, made in {tar_s:.1f} s\n")  # fmt: skip
    print("| tool | packages reported | distinct name@version | median wall time (s) |")
    print("|---|---:|---:|---:|")
    for name, seconds, (count, distinct) in rows:
        print(f"| {name} | {count} | {distinct} | {seconds:.2f} |")


if __name__ == "__main__":
    main()
