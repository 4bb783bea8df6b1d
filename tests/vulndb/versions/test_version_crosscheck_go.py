"""Cross-check of the Go comparator against golang.org/x/mod/semver as shipped inside the Go toolchain."""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from seawall.vulndb.versions import comparator_for

CACHE = Path("/var/tmp/seawall-tests/go-semver-oracle")

_MAIN = """package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"golang.org/x/mod/semver"
)

func main() {
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		p := strings.SplitN(sc.Text(), "\\t", 2)
		fmt.Println(semver.Compare(p[0], p[1]))
	}
}
"""


def _oracle() -> Path:
    """Build (once, cached) a tiny program calling the toolchain's vendored x/mod/semver.Compare."""
    go = shutil.which("go")
    if go is None:
        pytest.fail("go is not installed: run scripts/install-system-deps.sh (golang-go)")
    goroot = subprocess.run([go, "env", "GOROOT"], capture_output=True, text=True, check=True).stdout.strip()
    source = Path(goroot) / "src/cmd/vendor/golang.org/x/mod/semver/semver.go"
    if not source.exists():
        pytest.fail(f"{source} is missing from the Go toolchain")
    digest = hashlib.sha256(source.read_bytes() + _MAIN.encode()).hexdigest()[:16]
    binary = CACHE / f"oracle-{digest}"
    if binary.exists():
        return binary
    work = CACHE / f"src-{digest}"
    vendored = work / "vendor/golang.org/x/mod/semver"
    vendored.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, vendored / "semver.go")
    (work / "vendor/modules.txt").write_text(
        "# golang.org/x/mod v0.0.0\n## explicit\ngolang.org/x/mod/semver\n"
    )
    (work / "go.mod").write_text("module oracle\n\ngo 1.19\n\nrequire golang.org/x/mod v0.0.0\n")
    (work / "main.go").write_text(_MAIN)
    env = dict(os.environ, GOFLAGS="-mod=vendor", GOCACHE=str(CACHE / "gocache"), GOTOOLCHAIN="local")
    subprocess.run([go, "build", "-o", str(binary), "."], cwd=work, env=env, check=True, capture_output=True)
    return binary


def _go_versions(rng: random.Random) -> list[str]:
    out = [
        "v1",
        "v1.2",
        "v0.0.0",
        "bad",
        "",
        "v",
        "v01.2.3",
        "v1.2.3-",
        "v1.2.3+",
        "v1.2.3-01",
        "v2.0.0+incompatible",
    ]
    for _ in range(300):
        v = "v" + ".".join(str(rng.choice([0, 1, 2, 10])) for _ in range(rng.randint(1, 3)))
        if rng.random() < 0.4:
            ids = [rng.choice(["alpha", "beta", "rc", "0", "1", "11", "x-y", "pre", "20191109021931", "0a"])]
            ids += [rng.choice(["1", "2", "a", "b"]) for _ in range(rng.randint(0, 2))]
            v += "-" + ".".join(ids)
        if rng.random() < 0.15:
            v += "+" + rng.choice(["incompatible", "meta", "build.1", "a-b"])
        if rng.random() < 0.05:
            v += rng.choice(["!", "..", "-", "+"])
        out.append(v)
    for _ in range(30):
        y, h = rng.randint(2018, 2024), "".join(rng.choice("0123456789abcdef") for _ in range(12))
        base = rng.choice(["v0.0.0-", "v1.2.4-0.", "v2.0.0-rc.1.0."])
        out.append(f"{base}{y}0101{rng.randint(100000, 235959)}-{h}")
    return out


def test_go_matches_x_mod_semver() -> None:
    """Random module versions, pseudo-versions and malformed strings ordered exactly as x/mod."""
    oracle = _oracle()
    rng = random.Random(1919)
    pool = _go_versions(rng)
    pairs = [(rng.choice(pool), rng.choice(pool)) for _ in range(3000)]
    proc = subprocess.run(
        [str(oracle)],
        input="".join(f"{a}\t{b}\n" for a, b in pairs),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    want = [int(x) for x in proc.stdout.split()]
    assert len(want) == len(pairs)
    cmp = comparator_for("Go")
    for (a, b), w in zip(pairs, want, strict=True):
        assert cmp.compare(a, b) == w, (a, b)
