"""Semantic versions: SemVer 2.0 (Hex, Pub, generic; Cargo builds on it) and npm's node-semver flavour.

Precedence is SemVer 2.0's: major, minor, patch numerically; a pre-release sorts before the release;
pre-release identifiers compare left to right, numeric ones numerically and before alphanumeric ones
(ASCII order), and a shorter list of equal identifiers sorts first. Build metadata is ignored, so
``1.0.0+a`` == ``1.0.0+b``.

``SemverComparator`` (SemVer 2.0) accepts only the strict grammar: no ``v`` prefix, no
leading zeros, no surrounding whitespace. ``NpmComparator`` parses as node-semver does: trimmed, an
optional ``v``, at most 256 characters, numbers below 2**53; a version the strict grammar rejects is
tried with node-semver's ``loose`` grammar (``=v 1.2.3``, ``1.2.3beta``, leading zeros) before it is
called invalid. Invalid versions sort before every valid one and among themselves by string order.
"""

from __future__ import annotations

import re
from functools import lru_cache

from seawall.vulndb.versions._common import CACHE_SIZE, MAX_VERSION_LENGTH, fallback

MAX_SAFE_INTEGER = 2**53 - 1
NPM_MAX_LENGTH = 256

_NUM = r"0|[1-9][0-9]*"
_NUM_LOOSE = r"[0-9]+"
_NONNUM = r"[0-9]*[a-zA-Z-][a-zA-Z0-9-]*"
_PRE_ID = rf"(?:{_NUM}|{_NONNUM})"
_PRE_ID_LOOSE = rf"(?:{_NUM_LOOSE}|{_NONNUM})"
_BUILD = r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))"
PRERELEASE = rf"(?:-({_PRE_ID}(?:\.{_PRE_ID})*))"
PRERELEASE_LOOSE = rf"(?:-?({_PRE_ID_LOOSE}(?:\.{_PRE_ID_LOOSE})*))"
BUILD = _BUILD
MAIN = rf"({_NUM})\.({_NUM})\.({_NUM})"
MAIN_LOOSE = rf"({_NUM_LOOSE})\.({_NUM_LOOSE})\.({_NUM_LOOSE})"
FULLPLAIN = rf"v?{MAIN}{PRERELEASE}?{_BUILD}?"
LOOSEPLAIN = rf"[v=\s]*{MAIN_LOOSE}{PRERELEASE_LOOSE}?{_BUILD}?"

_SEMVER2 = re.compile(rf"{MAIN}{PRERELEASE}?{_BUILD}?")
_NPM_STRICT = re.compile(FULLPLAIN)
_NPM_LOOSE = re.compile(LOOSEPLAIN)

PreId = tuple[int, int | str]
# (major, minor, patch, pre): pre is (1,) for a release, (0, id, id, ...) for a pre-release.
Key = tuple[int, int, int, tuple[int | PreId, ...]]


def pre_key(pre: str | None) -> tuple[int | PreId, ...]:
    """Sort key of a pre-release string (numeric ids numerically and before alphanumeric ones)."""
    if not pre:
        return (1,)
    ids: list[int | PreId] = [0]
    for ident in pre.split("."):
        ids.append((0, int(ident)) if ident.isascii() and ident.isdigit() else (1, ident))
    return tuple(ids)


@lru_cache(maxsize=CACHE_SIZE)
def parse_semver2(version: str) -> Key | None:
    """SemVer 2.0 key, or None when the string is not strict SemVer 2.0."""
    if len(version) > MAX_VERSION_LENGTH:
        return None
    m = _SEMVER2.fullmatch(version)
    if m is None:
        return None
    return int(m.group(1)), int(m.group(2)), int(m.group(3)), pre_key(m.group(4))


@lru_cache(maxsize=CACHE_SIZE)
def parse_npm(version: str, loose: bool = False) -> Key | None:
    """node-semver key (``new SemVer(version, {loose})``), or None when node-semver would throw."""
    if len(version) > NPM_MAX_LENGTH:
        return None
    m = (_NPM_LOOSE if loose else _NPM_STRICT).fullmatch(version.strip())
    if m is None:
        return None
    major, minor, patch = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if max(major, minor, patch) > MAX_SAFE_INTEGER:
        return None
    # node-semver keeps ids >= 2**53 as strings but still compares them as (float) numbers; exact
    # integers give the same order without the float rounding.
    return major, minor, patch, pre_key(m.group(4))


class SemverComparator:
    """Strict SemVer 2.0 (generic, Hex, Pub, SwiftURL, Bitnami)."""

    scheme = "semver"

    def compare(self, a: str, b: str) -> int:
        """-1, 0 or 1 by SemVer 2.0 precedence."""
        ka, kb = parse_semver2(a), parse_semver2(b)
        if ka is None or kb is None:
            return fallback(a, b, ka is not None, kb is not None)
        return (ka > kb) - (ka < kb)

    def valid(self, v: str) -> bool:
        """True for a strict SemVer 2.0 string."""
        return parse_semver2(v) is not None


def _npm_key(v: str) -> Key | None:
    return parse_npm(v) or parse_npm(v, True)


class NpmComparator:
    """npm package versions, as node-semver's ``compare`` (strict, then loose)."""

    scheme = "npm"

    def __init__(self, loose_only: bool = False) -> None:
        self._loose_only = loose_only

    def compare(self, a: str, b: str) -> int:
        """-1, 0 or 1 as node-semver's ``compare(a, b)``."""
        if self._loose_only:
            ka, kb = parse_npm(a, True), parse_npm(b, True)
        else:
            ka, kb = _npm_key(a), _npm_key(b)
        if ka is None or kb is None:
            return fallback(a, b, ka is not None, kb is not None)
        return (ka > kb) - (ka < kb)

    def valid(self, v: str) -> bool:
        """True when node-semver parses the version in strict mode."""
        return parse_npm(v) is not None
