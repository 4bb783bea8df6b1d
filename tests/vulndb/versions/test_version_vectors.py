"""Every row of the upstream comparison vectors, one test case each."""

from __future__ import annotations

import pytest
from versionvectors import rows

from seawall.vulndb.versions import comparator_for
from seawall.vulndb.versions.apk import ApkComparator
from seawall.vulndb.versions.dpkg import DpkgComparator
from seawall.vulndb.versions.gem import GemComparator
from seawall.vulndb.versions.go import GoComparator
from seawall.vulndb.versions.maven import MavenComparator
from seawall.vulndb.versions.pep440 import Pep440Comparator
from seawall.vulndb.versions.rpm import RpmComparator, RpmVercmpComparator
from seawall.vulndb.versions.semver import NpmComparator

DPKG = DpkgComparator()
APK = ApkComparator()
RPMVERCMP = RpmVercmpComparator()
RPM = RpmComparator()
PEP440 = Pep440Comparator()
NPM = NpmComparator()
NPM_LOOSE = NpmComparator(loose_only=True)
MAVEN = MavenComparator()
GEM = GemComparator()
GO = GoComparator()


def _check(comparator: object, a: str, b: str, expected: str) -> None:
    got = comparator.compare(a, b)  # type: ignore[attr-defined]
    assert got == int(expected), f"compare({a!r}, {b!r}) = {got}, upstream says {expected}"


@pytest.mark.parametrize(("a", "b", "expected"), rows("dpkg.csv"))
def test_dpkg(a: str, b: str, expected: str) -> None:
    _check(DPKG, a, b, expected)


@pytest.mark.parametrize(("a", "b", "expected"), rows("apk.csv"))
def test_apk(a: str, b: str, expected: str) -> None:
    _check(APK, a, b, expected)


@pytest.mark.parametrize(("a", "b", "expected"), rows("rpm.csv") + rows("rpm-oddities.csv"))
def test_rpmvercmp(a: str, b: str, expected: str) -> None:
    _check(RPMVERCMP, a, b, expected)


@pytest.mark.parametrize(("a", "b", "expected"), rows("rpm-evr.csv"))
def test_rpm_evr(a: str, b: str, expected: str) -> None:
    _check(RPM, a, b, expected)


@pytest.mark.parametrize(("a", "b", "expected"), rows("pypi.csv"))
def test_pypi(a: str, b: str, expected: str) -> None:
    _check(PEP440, a, b, expected)


@pytest.mark.parametrize(("a", "b", "expected"), rows("npm.csv"))
def test_npm(a: str, b: str, expected: str) -> None:
    _check(NPM, a, b, expected)


@pytest.mark.parametrize(("a", "b", "expected"), rows("npm-loose.csv"))
def test_npm_loose(a: str, b: str, expected: str) -> None:
    _check(NPM_LOOSE, a, b, expected)


@pytest.mark.parametrize(
    ("a", "b", "expected"), rows("maven.csv") + rows("maven-3.9.csv") + rows("maven-go-mvn-version.csv")
)
def test_maven(a: str, b: str, expected: str) -> None:
    _check(MAVEN, a, b, expected)


@pytest.mark.parametrize(("a", "b", "expected"), rows("rubygems.csv"))
def test_rubygems(a: str, b: str, expected: str) -> None:
    _check(GEM, a, b, expected)


@pytest.mark.parametrize(("a", "b", "expected"), rows("go.csv"))
def test_go(a: str, b: str, expected: str) -> None:
    _check(GO, a, b, expected)


def test_ecosystem_names_pick_the_vector_schemes() -> None:
    """The comparators the vectors test are the ones OSV ecosystem names resolve to."""
    assert comparator_for("Debian:12").scheme == "dpkg"
    assert comparator_for("Ubuntu:22.04:LTS").scheme == "dpkg"
    assert comparator_for("Alpine:v3.20").scheme == "apk"
    assert comparator_for("Red Hat:enterprise_linux:9").scheme == "rpm"
    assert comparator_for("PyPI").scheme == "pep440"
    assert comparator_for("npm").scheme == "npm"
    assert comparator_for("Maven").scheme == "maven"
    assert comparator_for("RubyGems").scheme == "gem"
    assert comparator_for("Go").scheme == "go"
