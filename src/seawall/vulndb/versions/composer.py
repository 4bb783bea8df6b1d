"""Composer (Packagist) versions, ordered as Composer compares normalized versions.

A version is normalized as Composer's ``VersionParser::normalize`` does for tags: an optional
``v``, up to four numeric parts (missing parts are 0), then an optional stability suffix joined by
``-``, ``_``, ``.`` or nothing: ``dev`` < ``alpha``/``a`` < ``beta``/``b`` < ``RC``/``rc`` <
stable (no suffix, or ``stable``) < ``patch``/``pl``/``p``, each with an optional number, and an
optional trailing ``-dev`` that sorts just before the same version without it (``1.0.0-beta2-dev``
< ``1.0.0-beta2``). Build metadata after ``+`` is ignored.

Branch names (``dev-main``), ``*`` and anything else that does not normalize are invalid: they sort
before every valid version and among themselves by string order. Strings over 1024 characters are
invalid.
"""

from __future__ import annotations

import re
from functools import lru_cache

from seawall.vulndb.versions._common import CACHE_SIZE, MAX_VERSION_LENGTH, fallback

_COMPOSER = re.compile(
    r"v?([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?(?:\.([0-9]+))?"
    r"(?:[._-]?(stable|beta|b|rc|alpha|a|patch|pl|p)((?:[.-]?[0-9]+)*))?"
    r"([.-]?dev)?(?:\+[0-9A-Za-z.-]+)?",
    re.IGNORECASE,
)
_STABILITY = {"alpha": 1, "a": 1, "beta": 2, "b": 2, "rc": 3, "stable": 4, "patch": 5, "pl": 5, "p": 5}
_DEV_RANK = 0
_STABLE_RANK = 4

Key = tuple[tuple[int, int, int, int], int, tuple[int, ...], int]


@lru_cache(maxsize=CACHE_SIZE)
def parse(version: str) -> Key | None:
    """Sort key of a Composer version, or None when it does not normalize."""
    if len(version) > MAX_VERSION_LENGTH:
        return None
    m = _COMPOSER.fullmatch(version.strip())
    if m is None:
        return None
    nums = tuple(int(m.group(k) or 0) for k in range(1, 5))
    stability = m.group(5)
    stab_nums = tuple(int(x) for x in re.findall(r"[0-9]+", m.group(6) or ""))
    dev = m.group(7) is not None
    if stability is None:
        rank = _DEV_RANK if dev else _STABLE_RANK
        # "1.0.0-dev" is the dev stability itself, not a dev build of the stable release.
        return (nums[0], nums[1], nums[2], nums[3]), rank, stab_nums, 1
    return (nums[0], nums[1], nums[2], nums[3]), _STABILITY[stability.lower()], stab_nums, 0 if dev else 1


class ComposerComparator:
    """Packagist package versions (Composer)."""

    scheme = "composer"

    def compare(self, a: str, b: str) -> int:
        """-1, 0 or 1 by Composer's normalized-version order."""
        ka, kb = parse(a), parse(b)
        if ka is None or kb is None:
            return fallback(a, b, ka is not None, kb is not None)
        return (ka > kb) - (ka < kb)

    def valid(self, v: str) -> bool:
        """True when the version normalizes."""
        return parse(v) is not None
