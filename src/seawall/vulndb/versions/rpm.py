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

from functools import lru_cache

from seawall.vulndb.versions._common import CACHE_SIZE, MAX_VERSION_LENGTH, cmp_str


def _isalnum(c: str) -> bool:
    return ("0" <= c <= "9") or ("a" <= c <= "z") or ("A" <= c <= "Z")


def _isdigit(c: str) -> bool:
    return "0" <= c <= "9"


def _isalpha(c: str) -> bool:
    return ("a" <= c <= "z") or ("A" <= c <= "Z")


def rpmvercmp(a: str, b: str) -> int:
    """rpm's segment comparison of two version (or release) strings: -1, 0 or 1."""
    a = a.split("\0", 1)[0]
    b = b.split("\0", 1)[0]
    if a == b:
        return 0
    i = j = 0
    na, nb = len(a), len(b)
    while i < na or j < nb:
        while i < na and not _isalnum(a[i]) and a[i] not in "~^":
            i += 1
        while j < nb and not _isalnum(b[j]) and b[j] not in "~^":
            j += 1
        ca = a[i] if i < na else ""
        cb = b[j] if j < nb else ""
        if ca == "~" or cb == "~":
            if ca != "~":
                return 1
            if cb != "~":
                return -1
            i += 1
            j += 1
            continue
        if ca == "^" or cb == "^":
            if not ca:
                return -1
            if not cb:
                return 1
            if ca != "^":
                return 1
            if cb != "^":
                return -1
            i += 1
            j += 1
            continue
        if not (ca and cb):
            break
        si, sj = i, j
        isnum = _isdigit(ca)
        test = _isdigit if isnum else _isalpha
        while i < na and test(a[i]):
            i += 1
        while j < nb and test(b[j]):
            j += 1
        if sj == j:
            # b has a run of the other kind here: numbers beat letters.
            return 1 if isnum else -1
        x, y = a[si:i], b[sj:j]
        if isnum:
            x, y = x.lstrip("0"), y.lstrip("0")
            if len(x) != len(y):
                return 1 if len(x) > len(y) else -1
        if x != y:
            return 1 if x > y else -1
    if i >= na and j >= nb:
        return 0
    return 1 if i < na else -1


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
def _compare_evr(a: str, b: str) -> int:
    ea, va, ra = split_evr(a)
    eb, vb, rb = split_evr(b)
    return rpmvercmp(ea, eb) or rpmvercmp(va, vb) or rpmvercmp(ra, rb)


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
        return _compare_evr(a, b)

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
