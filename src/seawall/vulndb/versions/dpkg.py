"""Debian package versions, ordered as ``dpkg --compare-versions`` orders them.

A version is ``[epoch:]upstream[-revision]``: the epoch is compared numerically, then the upstream
part, then the revision, each with dpkg's ``verrevcmp``: alternating non-digit and digit runs; in a
non-digit run ``~`` sorts before everything (even the end of the string), then the end, then
letters, then every other character (by byte value, UTF-8); digit runs compare numerically.
Leading and trailing whitespace is ignored, as dpkg does.

Invalid versions (the ones dpkg rejects with an error: empty, embedded whitespace, a non-numeric,
negative or empty epoch, an empty upstream or revision, longer than 1024 characters) sort before every
valid version and among themselves by plain string order. Versions dpkg accepts with a warning (an
upstream part not starting with a digit, unusual characters) are compared normally but are not
``valid()``.
"""

from __future__ import annotations

import re
from functools import lru_cache

from seawall.vulndb.versions._common import CACHE_SIZE, MAX_VERSION_LENGTH, cmp_str

_WHITESPACE = " \t\n\v\f\r"
_DIGIT_RUN = re.compile(rb"(\D*)(\d*)")
_STRICT_UPSTREAM = re.compile(r"[0-9][A-Za-z0-9.+~:-]*")
_STRICT_REVISION = re.compile(r"[A-Za-z0-9.+~]*")
_INT_MAX = 2**31 - 1
_EPOCH = re.compile(r"[+-]?[0-9]+")
_INNER_SPACE = re.compile(r"[ \t\n\v\f\r]")

# dpkg's order(): '~' = -1, end of run = 0, letters = their code, others = byte + 256 (a signed
# char in C, so bytes >= 0x80 land between the letters and the ASCII punctuation).
_WEIGHT = [0] * 256
for _b in range(256):
    if _b == 0x7E:
        _WEIGHT[_b] = -1
    elif 0x41 <= _b <= 0x5A or 0x61 <= _b <= 0x7A or _b >= 0x80:
        _WEIGHT[_b] = _b
    else:
        _WEIGHT[_b] = _b + 256

Part = tuple[tuple[tuple[int, ...], int], ...]
_PAD: tuple[tuple[int, ...], int] = ((0,), 0)


@lru_cache(maxsize=4096)
def _run_weights(letters: bytes) -> tuple[int, ...]:
    # Non-digit runs repeat endlessly ("." "-" "~rc" "ubuntu" "+deb"): weigh each once. The run ends
    # with 0, the weight of "end"; no character weighs 0, so no run's key prefixes another's.
    return (*(_WEIGHT[c] for c in letters), 0)


def _part_key(text: str) -> Part:
    """A tuple key whose natural order is dpkg's verrevcmp order."""
    raw = text.encode("utf-8", "surrogatepass")
    # findall also yields one empty (letters, digits) match at the end of the string: skip it.
    pairs = [
        (_run_weights(letters), int(digits) if digits else 0)
        for letters, digits in _DIGIT_RUN.findall(raw)
        if letters or digits
    ]
    # Only the first pair can equal the padding (empty letters, number 0); drop it so "" == "0".
    while pairs and pairs[-1] == _PAD:
        pairs.pop()
    # A trailing pad makes "shorter" compare against the next real pair, as dpkg's loop does.
    pairs.append(_PAD)
    return tuple(pairs)


Key = tuple[int, Part, Part]


@lru_cache(maxsize=CACHE_SIZE)
def parse(version: str) -> Key | None:
    """The sort key of a version, or None when dpkg would refuse it."""
    s = version.strip(_WHITESPACE)
    if not s or _INNER_SPACE.search(s):
        return None
    epoch = 0
    if ":" in s:
        head, s = s.split(":", 1)
        # dpkg reads the epoch with strtol: an optional sign is accepted, a negative value is not.
        if not _EPOCH.fullmatch(head) or not 0 <= int(head) <= _INT_MAX or not s:
            return None
        epoch = int(head)
    revision = ""
    if "-" in s:
        s, revision = s.rsplit("-", 1)
        if not revision:
            return None
    if not s:
        return None
    return epoch, _part_key(s), _part_key(revision)


class DpkgComparator:
    """Debian/Ubuntu version order (``dpkg --compare-versions``)."""

    scheme = "dpkg"

    def compare(self, a: str, b: str) -> int:
        """-1, 0 or 1 as ``a`` sorts before, equal to, or after ``b``."""
        ka = parse(a) if len(a) <= MAX_VERSION_LENGTH else None
        kb = parse(b) if len(b) <= MAX_VERSION_LENGTH else None
        if ka is None or kb is None:
            if ka is not None:
                return 1
            if kb is not None:
                return -1
            return cmp_str(a, b)
        return (ka > kb) - (ka < kb)

    def valid(self, v: str) -> bool:
        """True when dpkg parses the version without an error or a warning."""
        if len(v) > MAX_VERSION_LENGTH or parse(v) is None:
            return False
        s = v.strip(_WHITESPACE)
        if ":" in s:
            s = s.split(":", 1)[1]
        upstream, _, revision = s.rpartition("-") if "-" in s else (s, "", "")
        return bool(_STRICT_UPSTREAM.fullmatch(upstream)) and bool(_STRICT_REVISION.fullmatch(revision))
