"""The fallback order for ecosystems without a dedicated comparator (Hackage, CRAN, GIT, ...).

The lower-cased string is split into digit runs and letter runs (everything else separates).
Runs compare left to right: numbers numerically, words alphabetically, a word before a number; when
one version runs out, a following word makes the longer one smaller (``1.0rc1`` < ``1.0``) and a
following number makes it larger (``1.0`` < ``1.0.1``). Trailing zero runs are ignored (``1.0`` ==
``1``). Strings without a single digit, and strings over 1024 characters, are invalid: they sort
before every valid version and among themselves by string order.
"""

from __future__ import annotations

import re
from functools import lru_cache

from seawall.vulndb.versions._common import CACHE_SIZE, MAX_VERSION_LENGTH, fallback

_RUN = re.compile(r"[0-9]+|[a-z]+")

# Run keys: a word is (0, text), the end is (1, ""), a number is (2, value).
_END = (1, 0)
Run = tuple[int, int | str]


@lru_cache(maxsize=CACHE_SIZE)
def parse(version: str) -> tuple[Run, ...] | None:
    """Sort key of a version, or None when it has no digit."""
    if len(version) > MAX_VERSION_LENGTH:
        return None
    runs = _RUN.findall(version.lower())
    if not any(r[0].isdigit() for r in runs):
        return None
    keys: list[Run] = [(2, int(r)) if r[0].isdigit() else (0, r) for r in runs]
    while keys and keys[-1] == (2, 0):
        keys.pop()
    keys.append(_END)
    return tuple(keys)


class GenericComparator:
    """Best-effort natural version order for unknown ecosystems."""

    scheme = "generic"

    def compare(self, a: str, b: str) -> int:
        """-1, 0 or 1 by the natural run order described in the module docstring."""
        ka, kb = parse(a), parse(b)
        if ka is None or kb is None:
            return fallback(a, b, ka is not None, kb is not None)
        return (ka > kb) - (ka < kb)

    def valid(self, v: str) -> bool:
        """True when the string contains at least one digit."""
        return parse(v) is not None
