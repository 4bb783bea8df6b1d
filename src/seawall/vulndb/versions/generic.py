"""The fallback order for ecosystems without a dedicated comparator (Hackage, CRAN, GIT, ...).

The lower-cased string is split into digit runs and letter runs (everything else separates), and
the runs compare left to right as RubyGems compares segments: numbers numerically, words
alphabetically, a word before a number, and a missing run counts as 0. So a trailing word makes a
pre-release (``1.0rc1`` < ``1.0``), ``1.0`` == ``1`` and ``1.0`` < ``1.0.1``. Strings without a
single digit, and strings over 1024 characters, are invalid: they sort before every valid version
and among themselves by string order.
"""

from __future__ import annotations

import re
from functools import lru_cache

from seawall.vulndb.versions._common import CACHE_SIZE, MAX_VERSION_LENGTH, fallback
from seawall.vulndb.versions.gem import Segment, compare_segments

_RUN = re.compile(r"[0-9]+|[a-z]+")


@lru_cache(maxsize=CACHE_SIZE)
def parse(version: str) -> tuple[Segment, ...] | None:
    """The runs of a version (trailing zeros dropped), or None when it has no digit."""
    if len(version) > MAX_VERSION_LENGTH:
        return None
    runs = _RUN.findall(version.lower())
    if not any(r[0].isdigit() for r in runs):
        return None
    segs: list[Segment] = [int(r) if r[0].isdigit() else r for r in runs]
    while segs and segs[-1] == 0:
        segs.pop()
    return tuple(segs)


class GenericComparator:
    """Best-effort natural version order for unknown ecosystems."""

    scheme = "generic"

    def compare(self, a: str, b: str) -> int:
        """-1, 0 or 1 by the natural run order described in the module docstring."""
        ka, kb = parse(a), parse(b)
        if ka is None or kb is None:
            return fallback(a, b, ka is not None, kb is not None)
        return compare_segments(ka, kb)

    def valid(self, v: str) -> bool:
        """True when the string contains at least one digit."""
        return parse(v) is not None
