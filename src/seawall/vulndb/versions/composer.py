"""Composer (Packagist) versions: Composer's ``VersionParser::normalize``, then PHP ``version_compare``.

Normalizing: trimmed; ``x as y`` aliases and ``@stability`` flags stripped; build metadata (``+...``)
dropped; ``v1.2`` -> ``1.2.0.0``; date versions (``2024.01.05``) kept as dotted numbers; a stability
suffix (``-beta2``, ``RC1``, ``.p1``) expanded (``a`` -> ``alpha``, ``b`` -> ``beta``, ``p``/``pl`` ->
``patch``, ``rc`` -> ``RC``), a lower-case ``stable`` suffix dropped with anything after it; a
``-dev`` suffix kept; numeric dev branches (``1.x-dev``) become ``1.9999999.9999999.9999999-dev``.

``version_compare`` then splits at ``.``, ``-``, ``_``, ``+`` and letter/digit changes; numbers
compare numerically, words by PHP's special forms (prefix match): ``dev`` < ``alpha``/``a`` <
``beta``/``b`` < ``RC``/``rc`` < a number < ``pl``/``p`` (so ``patch``), any other word lowest; when
one side runs out, a following number makes the longer one larger and a word is compared with a
number. So ``dev`` < ``alpha`` < ``beta`` < ``RC`` < stable < ``patch``.

Branch names (``dev-main``, ``master``) and strings Composer rejects are invalid: they sort before
every valid version and among themselves by string order. Strings over 1024 characters are invalid.
"""

from __future__ import annotations

import re
from functools import lru_cache

from seawall.vulndb.versions._common import CACHE_SIZE, MAX_VERSION_LENGTH, fallback

_PHP_TRIM = " \t\n\r\0\x0b"
_MODIFIER = r"[._-]?(?:(stable|beta|b|RC|alpha|a|patch|pl|p)((?:[.-]?\d+)*+)?)?([.-]?dev)?"
_ALIAS = re.compile(r"([^,\s]++) ++as ++([^,\s]++)", re.ASCII)
_STABILITY_FLAG = re.compile(r"@(?:stable|RC|beta|alpha|dev)$", re.IGNORECASE)
_BUILD = re.compile(r"([^,\s+]++)\+[^\s]++", re.ASCII)
_CLASSICAL = re.compile(rf"v?(\d{{1,5}})(\.\d++)?(\.\d++)?(\.\d++)?{_MODIFIER}", re.IGNORECASE | re.ASCII)
_DATE = re.compile(
    rf"v?(\d{{4}}(?:[.:-]?\d{{2}}){{1,6}}(?:[.:-]?\d{{1,3}})?){_MODIFIER}", re.IGNORECASE | re.ASCII
)
_DEV_SUFFIX = re.compile(r"(.*?)[.-]?dev", re.IGNORECASE | re.DOTALL)
_BRANCH = re.compile(
    r"v?(\d++)(\.(?:\d++|[xX*]))?(\.(?:\d++|[xX*]))?(\.(?:\d++|[xX*]))?", re.IGNORECASE | re.ASCII
)
_EXPAND = {"a": "alpha", "b": "beta", "p": "patch", "pl": "patch", "rc": "RC"}


def _with_modifiers(version: str, m: re.Match[str], index: int) -> str:
    word = m.group(index)
    if word:
        if word == "stable":
            return version
        numbers = m.group(index + 1) or ""
        version += "-" + _EXPAND.get(word.lower(), word.lower()) + numbers.lstrip(".-")
    if m.group(index + 2):
        version += "-dev"
    return version


def normalize(version: str) -> str | None:
    """Composer's normalized form of a version, or None for branch names and invalid strings."""
    v = version.strip(_PHP_TRIM)
    alias = _ALIAS.fullmatch(v)
    if alias:
        v = alias.group(1)
    flag = _STABILITY_FLAG.search(v)
    if flag:
        v = v[: flag.start()]
    if v in ("master", "trunk", "default") or v[:4].lower() == "dev-":
        return None
    build = _BUILD.fullmatch(v)
    if build:
        v = build.group(1)
    m = _CLASSICAL.fullmatch(v)
    if m:
        base = m.group(1) + "".join(m.group(k) or ".0" for k in (2, 3, 4))
        return _with_modifiers(base, m, 5)
    m = _DATE.fullmatch(v)
    if m:
        return _with_modifiers(re.sub(r"\D", ".", m.group(1), flags=re.ASCII), m, 2)
    dev = _DEV_SUFFIX.fullmatch(v)
    if dev:
        branch = _BRANCH.fullmatch(dev.group(1).strip(_PHP_TRIM))
        if branch:
            parts = [(branch.group(k) or ".x").replace("*", "x").replace("X", "x") for k in range(1, 5)]
            return "".join(parts).replace("x", "9999999") + "-dev"
    return None


_SPECIAL = (
    ("dev", 0),
    ("alpha", 1),
    ("a", 1),
    ("beta", 2),
    ("b", 2),
    ("RC", 3),
    ("rc", 3),
    ("#", 4),
    ("pl", 5),
    ("p", 5),
)


def _special(part: str) -> int:
    for name, rank in _SPECIAL:
        if part.startswith(name):
            return rank
    return -6


def _digit(c: str) -> bool:
    return "0" <= c <= "9"


@lru_cache(maxsize=CACHE_SIZE)
def _canonical(version: str) -> tuple[str, ...]:
    # php_canonicalize_version: '-', '_', '+' and other non-alphanumerics become '.', and a '.' is
    # inserted at every digit/non-digit change (the changed-to character is kept even if odd).
    out = [version[0]]
    prev = version[0]
    for ch in version[1:]:
        if ch in "-_+":
            if out[-1] != ".":
                out.append(".")
        elif (prev != "." and not _digit(prev) and _digit(ch)) or (
            _digit(prev) and ch != "." and not _digit(ch)
        ):
            if out[-1] != ".":
                out.append(".")
            out.append(ch)
        elif not (ch.isascii() and ch.isalnum()):
            if out[-1] != ".":
                out.append(".")
        else:
            out.append(ch)
        prev = ch
    return tuple("".join(out).split("."))


def _isdigit(part: str) -> bool:
    return part[:1].isascii() and part[:1].isdigit()


def _strtol(part: str) -> int:
    m = re.match(r"[0-9]*", part)
    return int(m.group()) if m and m.group() else 0


def php_version_compare(a: str, b: str) -> int:
    """PHP's ``version_compare(a, b)`` (-1, 0, 1)."""
    if not a or not b:
        return bool(a) - bool(b)
    pa, pb = _canonical(a), _canonical(b)
    i = 0
    r = 0
    while i < len(pa) and i < len(pb) and r == 0:
        x, y = pa[i], pb[i]
        if _isdigit(x) and _isdigit(y):
            r = (_strtol(x) > _strtol(y)) - (_strtol(x) < _strtol(y))
        elif not _isdigit(x) and not _isdigit(y):
            r = (_special(x) > _special(y)) - (_special(x) < _special(y))
        elif _isdigit(x):
            r = (_special("#N#") > _special(y)) - (_special("#N#") < _special(y))
        else:
            r = (_special(x) > _special("#N#")) - (_special(x) < _special("#N#"))
        i += 1
    if r == 0:
        if i < len(pa):
            r = 1 if _isdigit(pa[i]) else php_version_compare(".".join(pa[i:]), "#N#")
        elif i < len(pb):
            r = -1 if _isdigit(pb[i]) else php_version_compare("#N#", ".".join(pb[i:]))
    return r


@lru_cache(maxsize=CACHE_SIZE)
def parse(version: str) -> str | None:
    """The normalized version, or None when it is a branch or invalid."""
    if len(version) > MAX_VERSION_LENGTH:
        return None
    return normalize(version)


class ComposerComparator:
    """Packagist package versions (Composer)."""

    scheme = "composer"

    def compare(self, a: str, b: str) -> int:
        """-1, 0 or 1 as Composer's Comparator orders the normalized versions."""
        na, nb = parse(a), parse(b)
        if na is None or nb is None:
            return fallback(a, b, na is not None, nb is not None)
        return php_version_compare(na, nb)

    def valid(self, v: str) -> bool:
        """True when Composer normalizes the string to a version (not a branch)."""
        return parse(v) is not None
