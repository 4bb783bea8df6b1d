"""Cross-check of the Cargo comparator against the Rust ``semver`` crate (Debian librust-semver-dev)."""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from seawall.vulndb.versions import comparator_for

CACHE = Path("/var/tmp/seawall-tests/cargo-semver-oracle")
REGISTRY = Path("/usr/share/cargo/registry")

_MAIN = """use std::io::{self, BufRead, Write};

fn main() {
    let stdin = io::stdin();
    let mut out = io::BufWriter::new(io::stdout());
    for line in stdin.lock().lines() {
        let line = line.unwrap();
        let mut p = line.splitn(2, '\\t');
        let (a, b) = (p.next().unwrap_or(""), p.next().unwrap_or(""));
        match (semver::Version::parse(a), semver::Version::parse(b)) {
            (Ok(mut x), Ok(mut y)) => {
                // Precedence only: the crate breaks ties by build metadata, SemVer 2.0 does not.
                x.build = semver::BuildMetadata::EMPTY;
                y.build = semver::BuildMetadata::EMPTY;
                writeln!(out, "{}", x.cmp(&y) as i8).unwrap()
            }
            (x, y) => writeln!(out, "invalid {} {}", x.is_ok(), y.is_ok()).unwrap(),
        }
    }
}
"""
_CARGO_TOML = (
    '[package]\nname = "oracle"\nversion = "0.1.0"\nedition = "2018"\n\n[dependencies]\nsemver = "1"\n'
)
_CONFIG = f'[source.crates-io]\nreplace-with = "debian"\n\n[source.debian]\ndirectory = "{REGISTRY}"\n'


def _oracle() -> Path:
    cargo = shutil.which("cargo")
    crates = sorted(REGISTRY.glob("semver-1.*")) if REGISTRY.exists() else []
    if cargo is None or not crates:
        pytest.fail("cargo / librust-semver-dev are not installed: run scripts/install-system-deps.sh")
    digest = hashlib.sha256((_MAIN + crates[-1].name).encode()).hexdigest()[:16]
    binary = CACHE / f"oracle-{digest}"
    if binary.exists():
        return binary
    work = CACHE / f"src-{digest}"
    (work / "src").mkdir(parents=True, exist_ok=True)
    (work / ".cargo").mkdir(exist_ok=True)
    (work / "Cargo.toml").write_text(_CARGO_TOML)
    (work / ".cargo/config.toml").write_text(_CONFIG)
    (work / "src/main.rs").write_text(_MAIN)
    env = dict(os.environ, CARGO_HOME=str(CACHE / "cargo-home"), CARGO_TARGET_DIR=str(work / "target"))
    subprocess.run(
        [cargo, "build", "--offline", "--release", "-q"], cwd=work, env=env, check=True, capture_output=True
    )
    shutil.copyfile(work / "target/release/oracle", binary)
    binary.chmod(0o755)
    return binary


def test_cargo_matches_rust_semver() -> None:
    """Validity and precedence agree with the semver crate on random SemVer-shaped strings."""
    oracle = _oracle()
    rng = random.Random(77)
    pool = ["1.0.0", "v1.0.0", "1.0", "01.0.0", "1.0.0-", "1.0.0+", "1.0.0-01", " 1.0.0", "1.0.0-a..b", ""]
    for _ in range(400):
        v = ".".join(str(rng.choice([0, 1, 2, 10, 99])) for _ in range(3))
        if rng.random() < 0.5:
            ids = [rng.choice(["alpha", "beta", "rc", "0", "1", "11", "x-y", "-", "0a", "A", "1a"])]
            ids += [rng.choice(["1", "2", "a", "B", "-1"]) for _ in range(rng.randint(0, 2))]
            v += "-" + ".".join(ids)
        if rng.random() < 0.2:
            v += "+" + rng.choice(["build", "001", "a.b", "x-y.1"])
        pool.append(v)
    pairs = [(rng.choice(pool), rng.choice(pool)) for _ in range(3000)]
    proc = subprocess.run(
        [str(oracle)],
        input="".join(f"{a}\t{b}\n" for a, b in pairs),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    cmp = comparator_for("crates.io")
    compared = 0
    for (a, b), line in zip(pairs, proc.stdout.splitlines(), strict=True):
        if line.startswith("invalid"):
            _, a_ok, b_ok = line.split()
            assert cmp.valid(a) is (a_ok == "true"), a
            assert cmp.valid(b) is (b_ok == "true"), b
            continue
        assert cmp.valid(a) and cmp.valid(b), (a, b)
        assert cmp.compare(a, b) == int(line), (a, b)
        compared += 1
    assert compared >= 1500
