"""RPM versions, ordered by ``rpmvercmp`` with epoch and release (``[epoch:]version[-release]``).

``rpmvercmp``: runs of ASCII letters or ASCII digits are compared one by one; everything else is a
separator. Digit runs compare numerically and beat letter runs; ``~`` sorts before everything (even
the end), ``^`` after the end but before any further run. The epoch (default 0) is compared first,
then the version, then the release. A missing release is the empty string, which sorts before any
release: unlike ``rpmverCmp``, where a missing release matches every release, this keeps the order
transitive (``1.0`` < ``1.0-1`` < ``1.0-2``); treat "any release" as a matching rule, not an order.

Every string is a valid RPM version for ``rpmvercmp``; strings longer than 1024 characters are the
only invalid ones: they sort before all others and among themselves by string order. A NUL character
ends the string, as in C.
"""

from __future__ import annotations

import re
from functools import lru_cache

from seawall.vulndb.versions._common import CACHE_SIZE, MAX_VERSION_LENGTH, cmp_str


def _isdigit(c: str) -> bool:
    return "0" <= c <= "9"


_TOKEN = re.compile(r"~|\^|[0-9]+|[A-Za-z]+")

# rpmvercmp is a lexicographic order on its tokens once each gets a rank:
# '~' < end of string < '^' < letter run < digit run (letters by bytes, digits by value).
_TILDE: tuple[int, str] = (0, "")
_END: tuple[int, str] = (1, "")
_CARET: tuple[int, str] = (2, "")
VercmpKey = tuple[tuple[int, str], ...]


@lru_cache(maxsize=CACHE_SIZE)
def vercmp_key(text: str) -> VercmpKey:
    """A tuple whose natural order is ``rpmvercmp``'s order (everything else is a separator)."""
    out: list[tuple[int, str]] = []
    for tok in _TOKEN.findall(text.split("\0", 1)[0]):
        if tok == "~":
            out.append(_TILDE)
        elif tok == "^":
            out.append(_CARET)
        elif tok[0].isdigit():
            digits = tok.lstrip("0")
            # Longer (zero-stripped) numbers are larger; equal lengths compare as strings, as rpm does.
            out.append((4, f"{len(digits):08d}{digits}"))
        else:
            out.append((3, tok))
    out.append(_END)
    return tuple(out)


def rpmvercmp(a: str, b: str) -> int:
    """rpm's segment comparison of two version (or release) strings: -1, 0 or 1."""
    ka, kb = vercmp_key(a), vercmp_key(b)
    return (ka > kb) - (ka < kb)


@lru_cache(maxsize=CACHE_SIZE)
def split_evr(evr: str) -> tuple[str, str, str]:
    """(epoch, version, release) as rpm's parseEVR splits them; epoch "0" and release "" when absent."""
    s = evr.split("\0", 1)[0]
    k = 0
    while k < len(s) and _isdigit(s[k]):
        k += 1
    rest_start = k
    epoch = "0"
    if k < len(s) and s[k] == ":":
        epoch = s[:k] or "0"
        rest_start = k + 1
    else:
        rest_start = 0
    version = s[rest_start:]
    release = ""
    # parseEVR looks for the last '-' after the epoch digits.
    dash = s.rfind("-", k)
    if dash >= rest_start:
        version = s[rest_start:dash]
        release = s[dash + 1 :]
    return epoch, version, release


@lru_cache(maxsize=CACHE_SIZE)
def evr_key(evr: str) -> tuple[VercmpKey, VercmpKey, VercmpKey]:
    """Sort key of an ``[epoch:]version[-release]`` string."""
    epoch, version, release = split_evr(evr)
    return vercmp_key(epoch), vercmp_key(version), vercmp_key(release)


class RpmComparator:
    """Red Hat, Fedora, Rocky, Alma, SUSE, openSUSE ... package versions (``[epoch:]version[-release]``)."""

    scheme = "rpm"

    def compare(self, a: str, b: str) -> int:
        """-1, 0 or 1 as ``a`` sorts before, equal to, or after ``b``."""
        if len(a) > MAX_VERSION_LENGTH or len(b) > MAX_VERSION_LENGTH:
            a_ok, b_ok = len(a) <= MAX_VERSION_LENGTH, len(b) <= MAX_VERSION_LENGTH
            if a_ok != b_ok:
                return 1 if a_ok else -1
            return cmp_str(a, b)
        ka, kb = evr_key(a), evr_key(b)
        return (ka > kb) - (ka < kb)

    def valid(self, v: str) -> bool:
        """Every string up to 1024 characters without NUL is a version rpm can compare."""
        return len(v) <= MAX_VERSION_LENGTH and "\0" not in v


class RpmVercmpComparator(RpmComparator):
    """Plain ``rpmvercmp`` on one version string (no epoch or release split)."""

    scheme = "rpmvercmp"

    def compare(self, a: str, b: str) -> int:
        """-1, 0 or 1 as ``rpmvercmp(a, b)``."""
        if len(a) > MAX_VERSION_LENGTH or len(b) > MAX_VERSION_LENGTH:
            return RpmComparator.compare(self, a, b)
        return rpmvercmp(a, b)
