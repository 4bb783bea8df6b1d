"""Every row of the upstream range/requirement vectors and apk validity lines, one test case each."""

from __future__ import annotations

import pytest
from versionvectors import rows

from seawall.vulndb.versions import ConstraintError, parse_constraint, satisfies
from seawall.vulndb.versions.apk import ApkComparator
from seawall.vulndb.versions.npmrange import satisfies as npm_satisfies


def _contains(ecosystem: str, version: str, text: str, **options: object) -> bool:
    try:
        constraint = parse_constraint(ecosystem, text, **options)  # type: ignore[arg-type]
    except ConstraintError:
        return False
    return satisfies(version, constraint)


def _want(expected: str) -> bool:
    assert expected in ("true", "false")
    return expected == "true"


@pytest.mark.parametrize(("version", "range_", "expected"), rows("npm-ranges.csv"))
def test_npm_ranges(version: str, range_: str, expected: str) -> None:
    assert npm_satisfies(version, range_) is _want(expected)


@pytest.mark.parametrize(("version", "range_", "expected"), rows("npm-ranges-loose.csv"))
def test_npm_ranges_loose(version: str, range_: str, expected: str) -> None:
    assert _contains("npm", version, range_, loose=True) is _want(expected)


@pytest.mark.parametrize(("version", "range_", "expected"), rows("npm-ranges-includeprerelease.csv"))
def test_npm_ranges_include_prerelease(version: str, range_: str, expected: str) -> None:
    assert _contains("npm", version, range_, include_prerelease=True) is _want(expected)


@pytest.mark.parametrize(("version", "range_", "expected"), rows("pypi-ranges.csv"))
def test_pypi_ranges_with_prereleases(version: str, range_: str, expected: str) -> None:
    assert _contains("PyPI", version, range_, include_prerelease=True) is _want(expected)


@pytest.mark.parametrize(("version", "range_", "expected"), rows("pypi-ranges-default.csv"))
def test_pypi_ranges_default(version: str, range_: str, expected: str) -> None:
    assert _contains("PyPI", version, range_) is _want(expected)


@pytest.mark.parametrize(("version", "range_", "expected"), rows("rubygems-ranges.csv"))
def test_rubygems_requirements(version: str, range_: str, expected: str) -> None:
    assert _contains("RubyGems", version, range_) is _want(expected)


@pytest.mark.parametrize(("version", "range_", "expected"), rows("maven-ranges.csv"))
def test_maven_ranges(version: str, range_: str, expected: str) -> None:
    assert _contains("Maven", version, range_) is _want(expected)


@pytest.mark.parametrize(("version", "range_", "expected"), rows("apk-ranges.csv"))
def test_apk_constraints(version: str, range_: str, expected: str) -> None:
    assert _contains("Alpine", version, range_) is _want(expected)


@pytest.mark.parametrize(("version", "expected"), rows("apk-valid.csv"))
def test_apk_validity(version: str, expected: str) -> None:
    assert ApkComparator().valid(version) is _want(expected)
