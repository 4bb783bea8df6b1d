"""NuGet versions, ordered as ``NuGet.Versioning.NuGetVersion``.

One to four numeric parts (``1``, ``1.2``, ``1.2.3``, ``1.2.3.4``; missing parts are 0, leading
zeros allowed), an optional ``-`` release label and ``+`` metadata. A version with a label sorts
before the same version without one; labels compare part by part, numeric parts numerically and
before alphanumeric ones (numeric = what ``Int32.TryParse`` accepts), alphanumeric parts
case-insensitively; a shorter label sorts first.
Metadata is ignored. Surrounding whitespace is ignored.

Invalid strings sort before every valid version and among themselves by string order; strings over
1024 characters are invalid.
"""

from __future__ import annotations

import re
from functools import lru_cache

from seawall.vulndb.versions._common import CACHE_SIZE, MAX_VERSION_LENGTH, fallback

_NUGET = re.compile(
    r"([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?(?:\.([0-9]+))?"
    r"(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
)

_INT32_MAX = 2**31 - 1
_LABEL_INT = re.compile(r"-?[0-9]+")

Key = tuple[tuple[int, int, int, int], tuple[object, ...]]


@lru_cache(maxsize=CACHE_SIZE)
def parse(version: str) -> Key | None:
    """Sort key of a NuGet version, or None when invalid."""
    if len(version) > MAX_VERSION_LENGTH:
        return None
    m = _NUGET.fullmatch(version.strip())
    if m is None:
        return None
    nums = (int(m.group(1)), int(m.group(2) or 0), int(m.group(3) or 0), int(m.group(4) or 0))
    if max(nums) > _INT32_MAX:
        return None  # NuGet's version parts are Int32
    label = m.group(5)
    if not label:
        return nums, (1,)
    parts: list[object] = [0]
    for p in label.split("."):
        # Int32.TryParse decides what is numeric: a sign is allowed, overflow makes it a string.
        if _LABEL_INT.fullmatch(p) and -_INT32_MAX - 1 <= int(p) <= _INT32_MAX:
            parts.append((0, int(p), ""))
        else:
            parts.append((1, 0, p.lower()))
    return nums, tuple(parts)


class NugetComparator:
    """NuGet package versions (``NuGetVersion``)."""

    scheme = "nuget"

    def compare(self, a: str, b: str) -> int:
        """-1, 0 or 1 by NuGet version precedence."""
        ka, kb = parse(a), parse(b)
        if ka is None or kb is None:
            return fallback(a, b, ka is not None, kb is not None)
        return (ka > kb) - (ka < kb)

    def valid(self, v: str) -> bool:
        """True for a NuGet version string."""
        return parse(v) is not None
