"""Version comparators, one per version scheme, and constraint parsing for the range syntaxes.

``comparator_for(ecosystem)`` maps an OSV ecosystem name (only the part before the first ``:``
counts, case-insensitively) to a comparator; unknown ecosystems get the generic natural order.
Every comparator is total: ``compare`` never raises and orders invalid strings by the fallback its
module documents. ``parse_constraint`` understands npm ranges, PEP 440 specifiers, RubyGems
requirements, Maven ranges and apk constraints.
"""

from __future__ import annotations

from typing import Protocol

from seawall.vulndb.versions._common import ConstraintError
from seawall.vulndb.versions.apk import ApkComparator, ApkConstraint
from seawall.vulndb.versions.cargo import CargoComparator
from seawall.vulndb.versions.composer import ComposerComparator
from seawall.vulndb.versions.dpkg import DpkgComparator
from seawall.vulndb.versions.gem import GemComparator, GemRequirement
from seawall.vulndb.versions.generic import GenericComparator
from seawall.vulndb.versions.go import GoComparator
from seawall.vulndb.versions.maven import MavenComparator, MavenRange
from seawall.vulndb.versions.npmrange import NpmRange
from seawall.vulndb.versions.nuget import NugetComparator
from seawall.vulndb.versions.pep440 import Pep440Comparator, Pep440Constraint
from seawall.vulndb.versions.rpm import RpmComparator, RpmVercmpComparator
from seawall.vulndb.versions.semver import NpmComparator, SemverComparator

__all__ = [
    "Comparator",
    "Constraint",
    "ConstraintError",
    "comparator_for",
    "comparator_for_scheme",
    "parse_constraint",
    "satisfies",
]


class Comparator(Protocol):
    """Orders the versions of one scheme; ``compare`` is total and never raises."""

    scheme: str

    def compare(self, a: str, b: str) -> int:
        """-1, 0 or 1 as ``a`` sorts before, equal to, or after ``b``."""
        ...

    def valid(self, v: str) -> bool:
        """True when ``v`` is a well-formed version of this scheme."""
        ...


class Constraint(Protocol):
    """A parsed version constraint (range, specifier set, requirement list)."""

    @property
    def text(self) -> str:
        """The constraint as it was written."""
        ...

    def contains(self, version: str) -> bool:
        """True when ``version`` satisfies the constraint; never raises."""
        ...


_SCHEMES: dict[str, Comparator] = {
    c.scheme: c
    for c in (
        DpkgComparator(),
        ApkComparator(),
        RpmComparator(),
        RpmVercmpComparator(),
        Pep440Comparator(),
        SemverComparator(),
        NpmComparator(),
        GoComparator(),
        MavenComparator(),
        GemComparator(),
        NugetComparator(),
        CargoComparator(),
        ComposerComparator(),
        GenericComparator(),
    )
}

# OSV ecosystem name (lower case, before any ':') -> scheme.
_ECOSYSTEMS = {
    "debian": "dpkg",
    "ubuntu": "dpkg",
    "echo": "dpkg",
    "alpine": "apk",
    "wolfi": "apk",
    "chainguard": "apk",
    "minimos": "apk",
    "alpaquita": "apk",
    "bellsoft hardened containers": "apk",
    "postmarketos": "apk",
    "red hat": "rpm",
    "redhat": "rpm",
    "rocky linux": "rpm",
    "almalinux": "rpm",
    "suse": "rpm",
    "opensuse": "rpm",
    "photon os": "rpm",
    "openeuler": "rpm",
    "mageia": "rpm",
    "azure linux": "rpm",
    "cbl-mariner": "rpm",
    "oracle linux": "rpm",
    "fedora": "rpm",
    "centos": "rpm",
    "amazon linux": "rpm",
    "pypi": "pep440",
    "npm": "npm",
    "go": "go",
    "maven": "maven",
    "rubygems": "gem",
    "crates.io": "cargo",
    "nuget": "nuget",
    "packagist": "composer",
    "hex": "semver",
    "pub": "semver",
    "swifturl": "semver",
    "bitnami": "semver",
}


def comparator_for_scheme(scheme: str) -> Comparator:
    """The comparator of a scheme name (``dpkg``, ``apk``, ``rpm``, ``pep440``, ``npm`` ...)."""
    return _SCHEMES.get(scheme, _SCHEMES["generic"])


def comparator_for(ecosystem: str) -> Comparator:
    """The comparator for an OSV ecosystem name such as ``Debian:12`` or ``PyPI``; generic if unknown."""
    prefix = ecosystem.split(":", 1)[0].strip().lower()
    return _SCHEMES[_ECOSYSTEMS.get(prefix, "generic")]


def parse_constraint(
    ecosystem: str, text: str, *, loose: bool = False, include_prerelease: bool | None = None
) -> Constraint:
    """Parse a constraint in the ecosystem's own syntax; raises ConstraintError when it is malformed.

    ``loose``/``include_prerelease`` are node-semver's options for npm; for PyPI ``include_prerelease``
    is ``SpecifierSet.contains``'s ``prereleases`` (None = PEP 440's default rule).
    """
    scheme = _ECOSYSTEMS.get(ecosystem.split(":", 1)[0].strip().lower(), ecosystem.lower())
    if scheme == "npm":
        return NpmRange.parse(text, loose=loose, include_prerelease=bool(include_prerelease))
    if scheme == "pep440":
        return Pep440Constraint.parse(text, prereleases=include_prerelease)
    if scheme == "gem":
        return GemRequirement.parse(text)
    if scheme == "maven":
        return MavenRange.parse(text)
    if scheme == "apk":
        return ApkConstraint.parse(text)
    raise ConstraintError(f"no constraint syntax for ecosystem {ecosystem!r}")


def satisfies(version: str, constraint: Constraint) -> bool:
    """True when ``version`` satisfies the parsed ``constraint``; never raises."""
    try:
        return constraint.contains(version)
    except (ValueError, TypeError, RecursionError):
        return False
