"""Behaviour of the schemes without upstream vector files, the ecosystem map, constraints and limits."""

from __future__ import annotations

import functools
import itertools

import pytest

from seawall.errors import SeawallError
from seawall.vulndb.versions import ConstraintError, comparator_for, parse_constraint, satisfies


def _sorted(ecosystem: str, versions: list[str]) -> list[str]:
    cmp = comparator_for(ecosystem)
    return sorted(versions, key=functools.cmp_to_key(cmp.compare))


@pytest.mark.parametrize(
    ("ecosystem", "ordered"),
    [
        # Go: pseudo-versions sit between the tag they build on and the next release.
        (
            "Go",
            [
                "v0.0.0-20191109021931-daa7c04131f5",
                "v1.2.3",
                "v1.2.4-0.20191109021931-daa7c04131f5",
                "v1.2.4-rc.1",
                "v1.2.4",
                "v2.0.0-20200101000000-abcdefabcdef",
                "v2.0.0+incompatible",
                "v2.1.0",
            ],
        ),
        (
            "NuGet",
            [
                "1.0.0-alpha",
                "1.0.0-alpha.1",
                "1.0.0-beta.2",
                "1.0.0-beta.11",
                "1.0.0-rc.1",
                "1.0.0",
                "1.0.0.1",
                "1.0.1",
            ],
        ),
        (
            "crates.io",
            ["0.9.9", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0", "1.10.0"],
        ),
        ("Hex", ["1.0.0-rc.1", "1.0.0", "1.2.0", "2.0.0"]),
        (
            "Packagist",
            [
                "1.0.0-dev",
                "1.0.0-alpha1",
                "1.0.0-beta2-dev",
                "1.0.0-beta2",
                "1.0.0-RC1",
                "1.0.0",
                "1.0.0-patch1",
                "1.0.1",
            ],
        ),
        ("Hackage", ["1.0rc1", "1.0", "1.0.1", "1.2", "1.10"]),
    ],
)
def test_scheme_orders(ecosystem: str, ordered: list[str]) -> None:
    """Shuffled versions sort back into the scheme's documented order."""
    assert _sorted(ecosystem, list(reversed(ordered))) == ordered
    cmp = comparator_for(ecosystem)
    for low, high in itertools.pairwise(ordered):
        assert cmp.compare(low, high) == -1, (low, high)
        assert cmp.compare(high, low) == 1, (low, high)


@pytest.mark.parametrize(
    ("ecosystem", "a", "b"),
    [
        ("Go", "v2.0.0+incompatible", "v2.0.0"),
        ("Go", "1.2.3", "v1.2.3"),  # OSV spells Go versions without the v
        ("Go", "go1.21.3", "v1.21.3"),  # the toolchain as a module
        ("Go", "v1.2", "v1.2.0"),
        ("NuGet", "1.0", "1.0.0.0"),
        ("NuGet", "1.0.0-RC.1", "1.0.0-rc.1"),  # labels are case-insensitive
        ("NuGet", "1.0.0+build.5", "1.0.0"),
        ("crates.io", "1.0.0+build", "1.0.0+other"),
        ("Packagist", "v1.0", "1.0.0.0"),
        ("Packagist", "1.0.0+build", "1.0.0"),
        ("Hackage", "1.0", "1.0.0"),
    ],
)
def test_scheme_equal(ecosystem: str, a: str, b: str) -> None:
    """Spellings of the same version compare equal."""
    assert comparator_for(ecosystem).compare(a, b) == 0


@pytest.mark.parametrize(
    ("ecosystem", "scheme"),
    [
        ("Debian", "dpkg"),
        ("Debian:12", "dpkg"),
        ("Ubuntu:22.04:LTS", "dpkg"),
        ("Alpine", "apk"),
        ("Alpine:v3.20", "apk"),
        ("Wolfi", "apk"),
        ("Chainguard", "apk"),
        ("Red Hat", "rpm"),
        ("Rocky Linux:9", "rpm"),
        ("AlmaLinux:8", "rpm"),
        ("SUSE:SLES:15", "rpm"),
        ("openSUSE", "rpm"),
        ("PyPI", "pep440"),
        ("npm", "npm"),
        ("Go", "go"),
        ("Maven", "maven"),
        ("RubyGems", "gem"),
        ("crates.io", "cargo"),
        ("NuGet", "nuget"),
        ("Packagist", "composer"),
        ("Hex", "semver"),
        ("Pub", "semver"),
        ("pypi", "pep440"),
        ("Hackage", "generic"),
        ("Something New", "generic"),
        ("", "generic"),
    ],
)
def test_comparator_for(ecosystem: str, scheme: str) -> None:
    """The part before the first ':' picks the scheme; unknown names get the generic order."""
    assert comparator_for(ecosystem).scheme == scheme


@pytest.mark.parametrize(
    "ecosystem",
    [
        "Debian",
        "Alpine",
        "Red Hat",
        "PyPI",
        "npm",
        "Go",
        "Maven",
        "RubyGems",
        "NuGet",
        "crates.io",
        "Packagist",
        "Hex",
        "X",
    ],
)
@pytest.mark.parametrize(
    "garbage",
    [
        "",
        " ",
        "\x00",
        "\ud800",
        "🙂",
        "-",
        ":",
        "~",
        "...",
        "1" * 5000,
        "1." * 3000,
        "a-" * 2000,
        "v" * 100_000,
        "1" * 200,
    ],
)
def test_totality_on_garbage(ecosystem: str, garbage: str) -> None:
    """Any string compares against valid and invalid versions without raising; invalid ones sort first."""
    cmp = comparator_for(ecosystem)
    valid = {"Go": "v1.0.0", "Debian": "1.0-1", "Alpine": "1.0-r0"}.get(ecosystem, "1.0.0")
    assert cmp.valid(valid)
    assert cmp.compare(garbage, garbage) == 0
    r = cmp.compare(garbage, valid)
    assert r in (-1, 0, 1)
    assert cmp.compare(valid, garbage) == -r
    assert isinstance(cmp.valid(garbage), bool)
    if len(garbage) > 1024:
        assert not cmp.valid(garbage)
        if ecosystem not in ("Alpine",):  # apk orders by its token walk, not by the invalid class
            assert r == -1


@pytest.mark.parametrize(
    ("ecosystem", "text"),
    [
        ("npm", ">=1.2.3 <"),
        ("npm", "not a range"),
        ("PyPI", ">=1.0,<<2"),
        ("PyPI", "~=1"),
        ("RubyGems", "~> "),
        ("RubyGems", ">>= 1.0"),
        ("Maven", "[1.0"),
        ("Maven", "(1.0)"),
        ("Maven", "[2.0,1.0]"),
        ("Maven", "[1.0,2.0),[1.5,3.0)"),
        ("Maven", "[1.0,2.0),3.0"),
        ("Alpine", ">>1.0"),
        ("Debian", ">= 1.0"),
        ("npm", "1" * 10_000),
    ],
)
def test_bad_constraints_raise_constraint_error(ecosystem: str, text: str) -> None:
    """A malformed constraint is a ConstraintError (a SeawallError: one line, exit code 2)."""
    with pytest.raises(ConstraintError) as info:
        parse_constraint(ecosystem, text)
    assert isinstance(info.value, SeawallError)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("ecosystem", "text", "inside", "outside"),
    [
        ("npm", "^1.2.3 || ~2.0.1", ["1.2.3", "1.9.9", "2.0.5"], ["2.1.0", "1.2.2", "1.3.0-beta", "garbage"]),
        ("PyPI", ">=1.0,<2.0,!=1.5.*", ["1.0", "1.4.9", "1.6"], ["1.5.2", "2.0", "2.0a1", "not a version"]),
        ("RubyGems", "~> 1.4, >= 1.4.2", ["1.4.2", "1.9"], ["1.4.1", "2.0", "1.4.2.a"]),
        ("Maven", "(,1.0],[1.2,)", ["0.9", "1.0", "1.2", "5"], ["1.1", "1.0.1"]),
        ("Maven", "[1.0,2.0)", ["1.0", "1.5-SNAPSHOT", "2.0-rc1"], ["2.0", "0.9"]),
        ("Alpine", "<1.2.3-r1", ["1.2.3-r0", "1.2.2"], ["1.2.3-r1", "1.3"]),
    ],
)
def test_constraints(ecosystem: str, text: str, inside: list[str], outside: list[str]) -> None:
    """Constraint membership in each supported syntax; invalid versions are never inside."""
    constraint = parse_constraint(ecosystem, text)
    assert constraint.text == text
    for v in inside:
        assert satisfies(v, constraint), v
    for v in outside:
        assert not satisfies(v, constraint), v


def test_parse_cache_is_bounded() -> None:
    """Each scheme's parse cache has a size limit, so a stream of distinct versions cannot grow it."""
    from seawall.vulndb.versions import dpkg, maven, pep440

    for module in (dpkg, maven, pep440):
        info = module.parse.cache_info()
        assert info.maxsize is not None and info.maxsize <= 1 << 16
