"""Go module versions, ordered as ``golang.org/x/mod/semver.Compare``.

Versions are SemVer with a ``v`` prefix; ``vMAJOR`` and ``vMAJOR.MINOR`` are shorthands for
``.0`` (but take no pre-release or build). Build metadata is ignored, so ``v2.0.0+incompatible`` ==
``v2.0.0``. Pseudo-versions (``v0.0.0-20191109021931-daa7c04131f5``,
``v1.2.4-0.20191109021931-daa7c04131f5``) are pre-releases and order correctly against tags:
after the tag they build on and before the next release.

OSV writes Go versions without the ``v`` and the toolchain as ``go1.21.3``: a leading ``go`` is
dropped and a missing ``v`` is added before parsing. As in x/mod, every invalid version equals
every other invalid version and sorts before all valid ones. Strings over 1024 characters are
invalid.
"""

from __future__ import annotations

import re
from functools import lru_cache

from seawall.vulndb.versions._common import CACHE_SIZE, MAX_VERSION_LENGTH
from seawall.vulndb.versions.semver import Key, pre_key

_NUM = r"0|[1-9][0-9]*"
_PRE_ID = rf"(?:{_NUM}|[0-9]*[A-Za-z-][0-9A-Za-z-]*)"
_GO = re.compile(
    rf"v({_NUM})(?:\.({_NUM})(?:\.({_NUM})(?:-({_PRE_ID}(?:\.{_PRE_ID})*))?"
    r"(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?)?)?"
)
_TOOLCHAIN = re.compile(r"go([0-9])")


@lru_cache(maxsize=CACHE_SIZE)
def parse(version: str) -> Key | None:
    """x/mod semver key of a Go version, or None when invalid."""
    if len(version) > MAX_VERSION_LENGTH:
        return None
    v = version
    if _TOOLCHAIN.match(v):
        v = v[2:]
    if v[:1].isdigit():
        v = "v" + v
    m = _GO.fullmatch(v)
    if m is None:
        return None
    # The pattern only admits a pre-release or build after a full vMAJOR.MINOR.PATCH, as x/mod does.
    minor = int(m.group(2)) if m.group(2) else 0
    patch = int(m.group(3)) if m.group(3) else 0
    return int(m.group(1)), minor, patch, pre_key(m.group(4))


class GoComparator:
    """Go module versions (x/mod/semver), with or without the ``v`` prefix."""

    scheme = "go"

    def compare(self, a: str, b: str) -> int:
        """-1, 0 or 1 as ``semver.Compare``; all invalid versions are equal and lowest."""
        ka, kb = parse(a), parse(b)
        if ka is None or kb is None:
            return (ka is not None) - (kb is not None)
        return (ka > kb) - (ka < kb)

    def valid(self, v: str) -> bool:
        """True for a valid Go module version (``v`` optional)."""
        return parse(v) is not None
