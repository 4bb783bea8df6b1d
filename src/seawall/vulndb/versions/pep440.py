"""Python package versions (PEP 440), ordered by ``packaging.version.Version``.

Versions ``packaging`` rejects fall back to the old setuptools "legacy" ordering (what
``packaging.version.LegacyVersion`` did before it was removed): the lower-cased string is split into
numbers (zero-padded to 8 digits) and words (``pre``/``preview``/``rc`` -> ``c``, ``dev`` -> ``@``,
``-`` -> ``final-``), trailing zeros dropped before each word. Every legacy version sorts before
every valid PEP 440 version. Strings longer than 1024 characters are legacy.

Constraints are ``packaging.specifiers.SpecifierSet`` strings (``>=1.0,<2``, ``~=1.4``, ``===x``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from seawall.vulndb.versions._common import CACHE_SIZE, MAX_VERSION_LENGTH, ConstraintError

_LEGACY_PART = re.compile(r"(\d+|[a-z]+|\.|-)")
_LEGACY_REPLACE = {"pre": "c", "preview": "c", "-": "final-", "rc": "c", "dev": "@"}


def _legacy_parts(s: str) -> Iterator[str]:
    for part in _LEGACY_PART.split(s):
        part = _LEGACY_REPLACE.get(part, part)
        if not part or part == ".":
            continue
        yield part.zfill(8) if part[:1].isdigit() else "*" + part
    yield "*final"


def legacy_key(version: str) -> tuple[str, ...]:
    """The setuptools legacy sort key of a non-PEP 440 version string."""
    parts: list[str] = []
    for part in _legacy_parts(version.lower()):
        if part.startswith("*"):
            # Drop "-" separators before a pre-release word, and zeros before any word: 1.0-a == 1a.
            if part < "*final":
                while parts and parts[-1] == "*final-":
                    parts.pop()
            while parts and parts[-1] == "00000000":
                parts.pop()
        parts.append(part)
    return tuple(parts)


@lru_cache(maxsize=CACHE_SIZE)
def parse(version: str) -> Version | None:
    """The ``packaging`` Version, or None when the string is not PEP 440."""
    if len(version) > MAX_VERSION_LENGTH:
        return None
    try:
        return Version(version)
    except (InvalidVersion, ValueError, TypeError):
        return None


@lru_cache(maxsize=CACHE_SIZE)
def _legacy(version: str) -> tuple[str, ...]:
    return legacy_key(version[:MAX_VERSION_LENGTH]) + (
        (version,) if len(version) > MAX_VERSION_LENGTH else ()
    )


class Pep440Comparator:
    """PyPI package versions (PEP 440, ``packaging``)."""

    scheme = "pep440"

    def compare(self, a: str, b: str) -> int:
        """-1, 0 or 1 as ``a`` sorts before, equal to, or after ``b``."""
        va, vb = parse(a), parse(b)
        if va is not None and vb is not None:
            return (va > vb) - (va < vb)
        if va is not None:
            return 1
        if vb is not None:
            return -1
        la, lb = _legacy(a), _legacy(b)
        return (la > lb) - (la < lb)

    def valid(self, v: str) -> bool:
        """True when ``packaging`` parses the version."""
        return parse(v) is not None


@dataclass(frozen=True, slots=True)
class Pep440Constraint:
    """A PEP 440 specifier set; ``prereleases`` as in ``SpecifierSet.contains`` (None = default rule)."""

    text: str
    spec: SpecifierSet
    prereleases: bool | None = None

    @classmethod
    def parse(cls, text: str, prereleases: bool | None = None) -> Pep440Constraint:
        """Parse a specifier set such as ``>=1.0,<2``; raises ConstraintError when it is malformed."""
        if len(text) > 16 * MAX_VERSION_LENGTH:
            raise ConstraintError("PyPI specifier is too long")
        try:
            spec = SpecifierSet(text)
        except InvalidSpecifier as exc:
            raise ConstraintError(f"not a PEP 440 specifier: {text[:80]!r}") from exc
        return cls(text=text, spec=spec, prereleases=prereleases)

    def contains(self, version: str) -> bool:
        """True when ``version`` satisfies every specifier in the set."""
        if len(version) > MAX_VERSION_LENGTH:
            return False
        try:
            return bool(self.spec.contains(version, prereleases=self.prereleases))
        except (InvalidVersion, ValueError, TypeError):
            return False
