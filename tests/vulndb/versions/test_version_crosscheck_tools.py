"""Cross-checks against Composer's own Semver library (PHP) and RubyGems (Ruby), both Debian packages."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from versionvectors import VECTORS

from seawall.vulndb.versions import comparator_for, parse_constraint

SEED = 4242
COMPOSER_SEMVER = Path("/usr/share/php/Composer/Semver/autoload.php")


def _composer_pool(rng: random.Random) -> list[str]:
    pool = ["1.0.0", "1.0", "1", "v1.0.0", "1.0.0-dev", "1.0.0-beta2-dev", "dev-main", "1.0.0.0", "2.0-RC1"]
    for _ in range(250):
        v = ".".join(str(rng.choice([0, 1, 2, 10])) for _ in range(rng.randint(1, 4)))
        if rng.random() < 0.2:
            v = "v" + v
        if rng.random() < 0.5:
            sep = rng.choice(["-", "", ".", "_"])
            word = rng.choice(["alpha", "a", "beta", "b", "RC", "rc", "patch", "pl", "p", "stable"])
            v += sep + word + rng.choice(["", "1", "2", ".3"])
        if rng.random() < 0.2:
            v += rng.choice(["-dev", ".dev", "dev"])
        pool.append(v)
    return pool


def test_composer_matches_composer_semver(tmp_path: Path) -> None:
    """Validity and order agree with Composer's VersionParser::normalize + Comparator."""
    if shutil.which("php") is None or not COMPOSER_SEMVER.exists():
        pytest.fail("php/composer are not installed: run scripts/install-system-deps.sh")
    rng = random.Random(SEED)
    pool = _composer_pool(rng)
    pairs = [(rng.choice(pool), rng.choice(pool)) for _ in range(1500)]
    script = tmp_path / "check.php"
    script.write_text(
        "<?php\n"
        f"require {json.dumps(str(COMPOSER_SEMVER))};\n"
        "use Composer\\Semver\\VersionParser; use Composer\\Semver\\Comparator;\n"
        "$in = json_decode(file_get_contents('php://stdin'), true); $p = new VersionParser(); $out = [];\n"
        "$norm = function ($v) use ($p) { try { return $p->normalize($v); } catch (\\Exception $e) { return null; } };\n"
        "foreach ($in as [$a, $b]) { $na = $norm($a); $nb = $norm($b);\n"
        "  if ($na === null || $nb === null) { $out[] = [$na !== null, $nb !== null, null]; continue; }\n"
        "  $r = Comparator::lessThan($na, $nb) ? -1 : (Comparator::greaterThan($na, $nb) ? 1 : 0);\n"
        "  $out[] = [true, true, $r]; }\n"
        "echo json_encode($out);\n",
        encoding="utf-8",
    )
    proc = subprocess.run(
        ["php", str(script)], input=json.dumps(pairs), capture_output=True, text=True, check=True, timeout=60
    )
    cmp = comparator_for("Packagist")
    compared = 0
    for (a, b), (a_ok, b_ok, want) in zip(pairs, json.loads(proc.stdout), strict=True):
        if a.startswith("dev-") or b.startswith("dev-"):
            continue  # branch names normalize in Composer but are outside our version order
        assert cmp.valid(a) is a_ok, a
        assert cmp.valid(b) is b_ok, b
        if want is not None:
            assert cmp.compare(a, b) == want, (a, b)
            compared += 1
    assert compared >= 1000


def _gem_pool(rng: random.Random) -> list[str]:
    lines = (VECTORS / "rubygems.csv").read_text(encoding="utf-8").splitlines()[1:]
    pool = sorted({p for line in lines for p in line.split(",")[:2] if '"' not in p})
    for _ in range(250):
        parts = [str(rng.randint(0, 12)) for _ in range(rng.randint(1, 4))]
        if rng.random() < 0.4:
            parts.insert(rng.randint(1, len(parts)), rng.choice(["a", "b", "pre", "rc", "beta", "x"]))
        v = ".".join(parts)
        if rng.random() < 0.2:
            v += "-" + rng.choice(["1", "alpha", "rc.1"])
        if rng.random() < 0.1:
            v = rng.choice([" ", "v", "", "1..", "."]) + v
        pool.append(v)
    return pool


def test_rubygems_matches_gem_version(tmp_path: Path) -> None:
    """Validity, order and requirements agree with Ruby's own Gem::Version and Gem::Requirement."""
    if shutil.which("ruby") is None:
        pytest.fail("ruby is not installed: run scripts/install-system-deps.sh (bundler pulls it in)")
    rng = random.Random(SEED + 1)
    pool = _gem_pool(rng)
    pairs = [(rng.choice(pool), rng.choice(pool)) for _ in range(1500)]
    reqs = [
        rng.choice(["=", "!=", ">", "<", ">=", "<=", "~>"]) + " " + rng.choice(pool).strip()
        for _ in range(300)
    ]
    checks = [(rng.choice(pool), rng.choice(reqs)) for _ in range(800)]
    script = tmp_path / "check.rb"
    script.write_text(
        "require 'json'\n"
        "input = JSON.parse($stdin.read)\n"
        "cmp = input['pairs'].map { |a, b| ok_a = Gem::Version.correct?(a); ok_b = Gem::Version.correct?(b)\n"
        "  [ok_a, ok_b, (ok_a && ok_b) ? (Gem::Version.new(a) <=> Gem::Version.new(b)) : nil] }\n"
        "sat = input['checks'].map { |v, r|\n"
        "  begin; Gem::Version.correct?(v) ? Gem::Requirement.new(r).satisfied_by?(Gem::Version.new(v)) : nil\n"
        "  rescue Gem::Requirement::BadRequirementError, ArgumentError; nil; end }\n"
        "puts JSON.generate({cmp: cmp, sat: sat})\n",
        encoding="utf-8",
    )
    proc = subprocess.run(
        ["ruby", str(script)],
        input=json.dumps({"pairs": pairs, "checks": checks}),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    result = json.loads(proc.stdout)
    cmp = comparator_for("RubyGems")
    compared = 0
    for (a, b), (a_ok, b_ok, want) in zip(pairs, result["cmp"], strict=True):
        assert cmp.valid(a) is a_ok, a
        assert cmp.valid(b) is b_ok, b
        if want is not None:
            assert cmp.compare(a, b) == want, (a, b)
            compared += 1
    assert compared >= 800
    satisfied = 0
    for (v, r), want in zip(checks, result["sat"], strict=True):
        if want is None:
            continue
        assert parse_constraint("RubyGems", r).contains(v) is want, (v, r)
        satisfied += 1
    assert satisfied >= 400


def test_php_version_compare_matches_php(tmp_path: Path) -> None:
    """Our port of PHP's ``version_compare`` agrees with PHP itself on random version-like strings."""
    if shutil.which("php") is None:
        pytest.fail("php is not installed: run scripts/install-system-deps.sh (composer pulls it in)")
    from seawall.vulndb.versions.composer import php_version_compare

    rng = random.Random(SEED + 2)
    words = ["dev", "alpha", "a", "beta", "b", "RC", "rc", "pl", "p", "patch", "stable", "x"]
    pool = []
    for _ in range(300):
        parts = [rng.choice([str(rng.randint(0, 12)), rng.choice(words)]) for _ in range(rng.randint(1, 5))]
        pool.append("".join(p + rng.choice([".", "-", "_", "+", ""]) for p in parts).rstrip(".-_+") or "0")
    pairs = [(rng.choice(pool), rng.choice(pool)) for _ in range(2000)]
    script = tmp_path / "vc.php"
    script.write_text(
        "<?php $in = json_decode(file_get_contents('php://stdin'), true);\n"
        "echo json_encode(array_map(fn($p) => version_compare($p[0], $p[1]), $in));\n",
        encoding="utf-8",
    )
    proc = subprocess.run(
        ["php", str(script)], input=json.dumps(pairs), capture_output=True, text=True, check=True, timeout=60
    )
    for (a, b), want in zip(pairs, json.loads(proc.stdout), strict=True):
        assert php_version_compare(a, b) == want, (a, b)
