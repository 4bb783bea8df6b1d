"""cargo-auditable binaries: the real ``uv`` and ``uvx`` executables from PyPI's uv wheel (built with
cargo-auditable; the wheel also ships a CycloneDX SBOM of the same build, used as the oracle), and a Rust
binary built here with ``cargo build --offline`` whose ``.dep-v0`` section is added with ``objcopy``
(cargo-auditable itself needs crates.io, which is not reachable here)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from imagetools import Entry, layer_tar
from realimages import TEST_CACHE, locked
from seawall.analyze.analyzers.rustbinary import MAX_JSON, RustBinaryAnalyzer
from seawall.analyze.streams import BlobRef, Limits
from seawall.analyze.walker import LayerSource, analyze_layer
from seawall.model import FileFacts

RUST_CACHE = TEST_CACHE / "lang-rust-v1"
UV_WHEEL = "uv==0.13.9"

HELLO_DEPS = {
    "format": 1,
    "packages": [
        {"name": "hello", "version": "0.1.0", "source": "local", "dependencies": [1, 2, 3], "root": True},
        {"name": "itoa", "version": "1.0.9", "source": "crates.io"},
        {"name": "cc", "version": "1.0.83", "source": "crates.io", "kind": "build"},
        {"name": "serde", "version": "1.0.188", "source": "crates.io", "dependencies": [4]},
        {"name": "serde_derive", "version": "1.0.188", "source": "crates.io", "kind": "build"},
    ],
}


@dataclass(frozen=True)
class RustBinaries:
    uv: Path
    uvx: Path
    sbom: Path
    hello: Path  # plain Rust binary (no .dep-v0)
    root: Path

    def with_section(self, name: str, payload: bytes) -> Path:
        """A copy of ``hello`` with ``payload`` as its .dep-v0 section (made once, cached)."""
        out = self.root / name
        if not out.exists():
            section = self.root / f"{name}.section"
            section.write_bytes(payload)
            subprocess.run(
                ["objcopy", "--add-section", f".dep-v0={section}", "--set-section-flags",
                 ".dep-v0=noload,readonly", str(self.hello), str(out)],
                check=True, capture_output=True,
            )  # fmt: skip
        return out


def _build(root: Path) -> None:
    wheel_dir = root / "wheel"
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
         "--platform", "manylinux2014_x86_64", "-d", str(wheel_dir), UV_WHEEL],
        check=True, capture_output=True,
    )  # fmt: skip
    (wheel,) = wheel_dir.glob("*.whl")
    with zipfile.ZipFile(wheel) as zf:
        for info in zf.infolist():
            base = info.filename.rpartition("/")[2]
            if info.filename.endswith(("/scripts/uv", "/scripts/uvx")) or base == "uv.cyclonedx.json":
                (root / base).write_bytes(zf.read(info))
    for exe in ("uv", "uvx"):
        (root / exe).chmod(0o755)
    shutil.rmtree(wheel_dir)
    crate = root / "hello-src"
    (crate / "src").mkdir(parents=True)
    (crate / "Cargo.toml").write_text('[package]\nname = "hello"\nversion = "0.1.0"\nedition = "2021"\n')
    (crate / "src" / "main.rs").write_text('fn main() {\n    println!("hello");\n}\n')
    env = {**os.environ, "CARGO_TARGET_DIR": str(root / "target")}
    subprocess.run(
        ["cargo", "build", "--offline", "--release", "--quiet"],
        cwd=crate,
        env=env,
        check=True,
        capture_output=True,
    )
    shutil.copy(root / "target" / "release" / "hello", root / "hello")
    shutil.rmtree(root / "target")


@pytest.fixture(scope="session")
def rust_binaries() -> RustBinaries:
    """uv from PyPI and a locally built Rust binary, cached once per machine."""
    for tool in ("cargo", "objcopy"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed")
    root = RUST_CACHE
    with locked("lang-rust"):
        if not (root / "done").exists():
            shutil.rmtree(root, ignore_errors=True)
            root.mkdir(parents=True)
            _build(root)
            (root / "done").write_text("ok")
    return RustBinaries(root / "uv", root / "uvx", root / "uv.cyclonedx.json", root / "hello", root)


def _analyze(path: Path, name: str) -> FileFacts | None:
    return RustBinaryAnalyzer().analyze(name, path.read_bytes())


def test_uv_from_pypi_matches_its_cyclonedx_sbom(rust_binaries: RustBinaries) -> None:
    facts = _analyze(rust_binaries.uv, "usr/local/bin/uv")
    assert facts is not None and not facts.warnings
    (app,) = facts.applications
    assert app.type == "rustbinary" and app.file_path == "usr/local/bin/uv"
    ours = {(p.name, p.version) for p in app.packages}
    sbom = json.loads(rust_binaries.sbom.read_text())
    theirs = {(c["name"], c["version"]) for c in sbom["components"]}
    main = sbom["metadata"]["component"]
    # The SBOM lists build-time crates (proc macros, build scripts) too; the binary links only the rest.
    assert ours <= theirs | {(main["name"], main["version"])}
    assert (main["name"], main["version"]) in ours
    build_only = theirs - ours
    assert 0 < len(build_only) < 60
    assert {n for n, _ in build_only} >= {"autocfg", "cc"}
    uv = next(p for p in app.packages if p.name == "uv")
    assert uv.purl == f"pkg:cargo/uv@{main['version']}"
    assert len(uv.depends_on) > 50
    ids = {p.id for p in app.packages}
    assert all(d in ids for p in app.packages for d in p.depends_on)


def test_uvx_small_binary(rust_binaries: RustBinaries) -> None:
    facts = _analyze(rust_binaries.uvx, "uvx")
    assert facts is not None and facts.applications
    assert any(p.name == "uv" for p in facts.applications[0].packages)


def test_section_added_with_objcopy_to_a_cargo_built_binary(rust_binaries: RustBinaries) -> None:
    payload = zlib.compress(json.dumps(HELLO_DEPS).encode())
    facts = _analyze(rust_binaries.with_section("hello-audited", payload), "bin/hello")
    assert facts is not None
    (app,) = facts.applications
    pkgs = {p.name: p for p in app.packages}
    assert set(pkgs) == {"hello", "itoa", "serde"}  # build-kind crates are not in the binary
    assert pkgs["hello"].depends_on == ("itoa@1.0.9", "serde@1.0.188")
    assert pkgs["serde"].depends_on == ()  # its only dependency is a build-time proc macro
    assert pkgs["itoa"].purl == "pkg:cargo/itoa@1.0.9"
    assert all(p.file_path == "bin/hello" for p in app.packages)


def test_plain_and_non_rust_binaries_give_nothing(rust_binaries: RustBinaries) -> None:
    assert _analyze(rust_binaries.hello, "hello") is None
    assert _analyze(Path("/bin/ls"), "ls") is None
    assert RustBinaryAnalyzer().analyze("script", b"#!/bin/sh\n" + b".dep-v0" * 20) is None


@pytest.mark.parametrize(
    ("name", "payload", "message"),
    [
        ("bad-zlib", b"definitely not zlib", "not zlib"),
        ("bad-json", zlib.compress(b"{not json"), "not JSON"),
        ("no-packages", zlib.compress(b'{"format": 1}'), "no 'packages'"),
        (
            "bad-index",
            zlib.compress(b'{"packages": [{"name": "a", "version": "1", "dependencies": [7]}]}'),
            "out of range",
        ),
        ("bomb", zlib.compress(b"[" + b" " * (MAX_JSON + 1024) + b"]", 9), "inflates to more than"),
    ],
)
def test_bad_sections_give_warnings(
    rust_binaries: RustBinaries, name: str, payload: bytes, message: str
) -> None:
    facts = _analyze(rust_binaries.with_section(name, payload), name)
    assert facts is not None and not facts.applications
    assert message in facts.warnings[0]


def test_truncated_binary(rust_binaries: RustBinaries) -> None:
    data = rust_binaries.uvx.read_bytes()
    for cut in (100, len(data) // 2, len(data) - 200):
        facts = RustBinaryAnalyzer().analyze("uvx", data[:cut])
        assert facts is None or (not facts.applications and facts.warnings)


def test_walker_reads_rust_executables(rust_binaries: RustBinaries, tmp_path: Path) -> None:
    layer = tmp_path / "layer.tar"
    uvx = rust_binaries.uvx.read_bytes()
    layer.write_bytes(
        layer_tar([Entry("usr/bin/uvx", uvx, mode=0o755), Entry("usr/share/uvx.copy", uvx, mode=0o644)])
    )
    facts = analyze_layer(LayerSource(BlobRef(layer)), [RustBinaryAnalyzer()], Limits())
    assert set(facts.files) == {"usr/bin/uvx"}
    assert facts.files["usr/bin/uvx"].applications[0].type == "rustbinary"
