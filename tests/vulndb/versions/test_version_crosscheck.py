"""Cross-checks against the real tools: dpkg, rpm's Lua ``rpm.vercmp``, ``packaging`` and node-semver."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from packaging.version import InvalidVersion, Version
from versionvectors import VECTORS

from seawall.vulndb.versions import comparator_for, parse_constraint
from seawall.vulndb.versions.npmrange import satisfies as npm_satisfies

SEED = 20261129


def _random_versions(alphabet: str, count: int, max_len: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        n = rng.randint(1, max_len)
        out.append("".join(rng.choice(alphabet) for _ in range(n)))
    return out


def _vector_versions(name: str) -> list[str]:
    lines = (VECTORS / name).read_text(encoding="utf-8").splitlines()[1:]
    return sorted({part for line in lines for part in line.split(",")[:2] if part and '"' not in part})


def _pairs(pool: list[str], count: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    return [(rng.choice(pool), rng.choice(pool)) for _ in range(count)]


def test_dpkg_matches_dpkg_compare_versions() -> None:
    """A seeded sample of pairs ordered by our dpkg comparator and by ``dpkg --compare-versions``."""
    if shutil.which("dpkg") is None:
        pytest.fail("dpkg is not installed (this is a Debian machine; it should be)")
    pool = _vector_versions("dpkg.csv")
    pool += _random_versions("0123456789.~+-:abzAZ", 120, 9, SEED)
    pool += ["1.0~~", "1.0~", "1.0", "1.0+", "1.0a", "1.0.0", "1:0", "0:1.0-1", "1.0-1~bpo1", "1.0-1+b1"]
    checked = 0
    cmp = comparator_for("Debian")
    for a, b in _pairs(pool, 160, SEED):
        lt = subprocess.run(["dpkg", "--compare-versions", a, "lt", b], capture_output=True).returncode
        if lt == 2:
            # dpkg refuses the syntax: our fallback order applies, nothing to compare against.
            assert not cmp.valid(a) or not cmp.valid(b)
            continue
        gt = subprocess.run(["dpkg", "--compare-versions", a, "gt", b], capture_output=True).returncode
        want = -1 if lt == 0 else 1 if gt == 0 else 0
        assert cmp.compare(a, b) == want, (a, b)
        checked += 1
    assert checked >= 100, f"only {checked} comparable pairs in the sample"


def test_rpm_matches_rpm_lua_vercmp(tmp_path: Path) -> None:
    """A seeded sample of EVR pairs ordered by our rpm comparator and by rpm's own ``rpm.vercmp``."""
    if shutil.which("rpm") is None:
        pytest.fail("rpm is not installed: run scripts/install-system-deps.sh")
    pool = _vector_versions("rpm-evr.csv") + _vector_versions("rpm.csv")[:150]
    pool += _random_versions("0123456789.~^_-:abzAZ", 150, 9, SEED + 1)
    pairs = [(a, b) for a, b in _pairs(pool, 600, SEED + 1) if "\t" not in a + b]
    src = tmp_path / "pairs.tsv"
    out = tmp_path / "out.txt"
    src.write_text("".join(f"{a}\t{b}\n" for a, b in pairs), encoding="utf-8")
    lua = (
        f'local out = io.open("{out}", "w"); '
        f'for line in io.lines("{src}") do local a, b = line:match("^(.-)\\t(.*)$"); '
        'local ok, r = pcall(rpm.vercmp, a, b); out:write(ok and tostring(r) or "ERR", "\\n") end; '
        "out:close()"
    )
    subprocess.run(["rpm", "--eval", "%{lua: " + lua + "}"], check=True, capture_output=True, timeout=60)
    results = out.read_text().splitlines()
    assert len(results) == len(pairs)
    cmp = comparator_for("Red Hat")
    checked = 0
    for (a, b), r in zip(pairs, results, strict=True):
        if r == "ERR":
            continue  # rpm rejects the string (e.g. an empty version); our order is the documented one
        assert cmp.compare(a, b) == int(r), (a, b)
        checked += 1
    assert checked >= 400, f"only {checked} pairs rpm could compare"


def _pep440_pool() -> list[str]:
    rng = random.Random(SEED + 2)
    pool = _vector_versions("pypi.csv")[:200]
    for _ in range(300):
        v = ".".join(str(rng.randint(0, 12)) for _ in range(rng.randint(1, 4)))
        if rng.random() < 0.2:
            v = f"{rng.randint(0, 2)}!{v}"
        if rng.random() < 0.4:
            v += rng.choice(["a", "b", "rc", "c", "alpha", "pre", "-beta", ".preview"]) + str(
                rng.randint(0, 3)
            )
        if rng.random() < 0.3:
            v += rng.choice([".post", "-", "post", ".rev"]) + str(rng.randint(0, 3))
        if rng.random() < 0.3:
            v += rng.choice([".dev", "dev", "-dev"]) + str(rng.randint(0, 3))
        if rng.random() < 0.2:
            v += "+" + rng.choice(["ubuntu1", "abc.5", "1.2", "local"])
        if rng.random() < 0.1:
            v = rng.choice(["v", " ", "V"]) + v
        pool.append(v)
    pool += _random_versions("0123456789.+-!abcdeprostv", 100, 8, SEED + 3)
    return pool


def test_pep440_matches_packaging() -> None:
    """Pairs of PEP 440 versions ordered exactly as ``packaging.version.Version``; invalid ones first."""
    cmp = comparator_for("PyPI")
    valid_pairs = 0
    for a, b in _pairs(_pep440_pool(), 3000, SEED + 4):
        try:
            va: Version | None = Version(a)
        except InvalidVersion:
            va = None
        try:
            vb: Version | None = Version(b)
        except InvalidVersion:
            vb = None
        got = cmp.compare(a, b)
        if va is not None and vb is not None:
            assert got == (va > vb) - (va < vb), (a, b)
            valid_pairs += 1
        elif (va is None) != (vb is None):
            assert got == (-1 if va is None else 1), (a, b)
    assert valid_pairs >= 1500


def _node_semver() -> Path | None:
    node = shutil.which("node")
    if node is None:
        return None
    for candidate in ("/usr/lib/node_modules/npm/node_modules/semver", "/usr/share/nodejs/semver"):
        if (Path(candidate) / "package.json").exists():
            return Path(candidate)
    return None


def test_npm_matches_node_semver(tmp_path: Path) -> None:
    """Random versions and ranges: ``compare`` and ``satisfies`` agree with node-semver itself."""
    semver_dir = _node_semver()
    if semver_dir is None:
        pytest.skip("node and node-semver are not installed (optional cross-check)")
    rng = random.Random(SEED + 5)
    versions = _vector_versions("npm.csv") + _vector_versions("npm-loose.csv")
    for _ in range(150):
        v = ".".join(str(rng.choice([0, 1, 2, 10])) for _ in range(3))
        if rng.random() < 0.4:
            v += "-" + ".".join(
                rng.choice(["alpha", "beta", "rc", "0", "1", "x-y"]) for _ in range(rng.randint(1, 2))
            )
        if rng.random() < 0.1:
            v += "+build.1"
        versions.append(rng.choice(["", "", "v", "=", " "]) + v)
    ranges = [
        r.split(",")[1] for r in (VECTORS / "npm-ranges.csv").read_text().splitlines()[1:] if '"' not in r
    ]
    for _ in range(80):
        atoms = []
        for _ in range(rng.randint(1, 2)):
            op = rng.choice(["", "^", "~", ">=", "<", ">", "<=", "="])
            atoms.append(
                op + ".".join(rng.choice(["0", "1", "2", "x", "*"]) for _ in range(rng.randint(1, 3)))
            )
        joiner = rng.choice([" ", " || ", " - "]) if len(atoms) == 2 else ""
        ranges.append(joiner.join(atoms))
    pairs = _pairs(versions, 400, SEED + 6)
    checks = [(rng.choice(versions), rng.choice(ranges)) for _ in range(600)]
    script = tmp_path / "check.js"
    script.write_text(
        f"const semver = require({json.dumps(str(semver_dir))});\n"
        "const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));\n"
        "const cmp = input.pairs.map(([a, b]) => { try { return semver.compare(a, b) } catch (e) { return null } });\n"
        "const sat = input.checks.map(([v, r]) => semver.satisfies(v, r));\n"
        "process.stdout.write(JSON.stringify({cmp, sat}));\n",
        encoding="utf-8",
    )
    proc = subprocess.run(
        ["node", str(script)],
        input=json.dumps({"pairs": pairs, "checks": checks}),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    result = json.loads(proc.stdout)
    npm = comparator_for("npm")
    compared = 0
    for (a, b), want in zip(pairs, result["cmp"], strict=True):
        if want is None:
            continue  # node-semver throws on an invalid version; ours orders it by the fallback
        assert npm.compare(a, b) == want, (a, b)
        compared += 1
    assert compared >= 200
    for (v, r), want in zip(checks, result["sat"], strict=True):
        assert npm_satisfies(v, r) is want, (v, r)
    assert parse_constraint("npm", "^1.2.3").contains("1.9.0")
