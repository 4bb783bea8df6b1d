"""Property tests: every comparator is total, antisymmetric and transitive on arbitrary strings."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seawall.vulndb.versions import (
    Comparator,
    ConstraintError,
    comparator_for_scheme,
    parse_constraint,
    satisfies,
)
from seawall.vulndb.versions.rpm import RpmVercmpComparator
from seawall.vulndb.versions.semver import NpmComparator

SCHEMES = [
    "dpkg",
    "apk",
    "rpm",
    "pep440",
    "semver",
    "npm",
    "go",
    "maven",
    "gem",
    "nuget",
    "cargo",
    "composer",
    "generic",
]
COMPARATORS: list[Comparator] = [comparator_for_scheme(s) for s in SCHEMES]
COMPARATORS += [RpmVercmpComparator(), NpmComparator(loose_only=True)]

# Version-shaped noise finds far more corner cases than uniform unicode.
_VERSIONISH = st.text(alphabet="0123456789.-_~^+:vVxXabceprltgsn ", max_size=14)
_ANY = st.text(max_size=24)
_HUGE = st.builds(
    lambda n, s: s * n, st.integers(min_value=200, max_value=3000), st.sampled_from(["1.", "9", "a-"])
)
VERSIONS = st.one_of(_VERSIONISH, _VERSIONISH, _VERSIONISH, _ANY, _HUGE)

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@pytest.mark.parametrize("comparator", COMPARATORS, ids=lambda c: f"{c.scheme}-{type(c).__name__}")
@SETTINGS
@given(a=VERSIONS, b=VERSIONS, c=VERSIONS)
def test_total_antisymmetric_transitive(comparator: Comparator, a: str, b: str, c: str) -> None:
    """compare never raises, returns -1/0/1, flips sign when swapped, and orders any triple consistently."""
    values = (a, b, c)
    for x in values:
        assert isinstance(comparator.valid(x), bool)
        assert comparator.compare(x, x) == 0
    for x, y in itertools.permutations(values, 2):
        r = comparator.compare(x, y)
        assert r in (-1, 0, 1)
        assert comparator.compare(y, x) == -r, (x, y)
    for x, y, z in itertools.permutations(values, 3):
        if comparator.compare(x, y) <= 0 and comparator.compare(y, z) <= 0:
            assert comparator.compare(x, z) <= 0, (x, y, z)


_RANGEISH = st.text(alphabet="0123456789.-_~^+:<>=!|*xX ,[]()vab", max_size=24)
CONSTRAINT_ECOSYSTEMS = ["npm", "PyPI", "RubyGems", "Maven", "Alpine"]


@pytest.mark.parametrize("ecosystem", CONSTRAINT_ECOSYSTEMS)
@SETTINGS
@given(text=st.one_of(_RANGEISH, _RANGEISH, _ANY), version=VERSIONS)
def test_constraints_parse_or_raise_constraint_error(ecosystem: str, text: str, version: str) -> None:
    """Any constraint text either parses or raises ConstraintError; satisfies() then never raises."""
    try:
        constraint = parse_constraint(ecosystem, text)
    except ConstraintError as exc:
        assert "\n" not in str(exc)
        return
    assert isinstance(satisfies(version, constraint), bool)
