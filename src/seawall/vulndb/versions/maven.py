"""Maven versions, ordered as Maven's ``ComparableVersion`` (Maven 4 / master behaviour).

A version is split into items at ``.``, ``-`` and letter/digit transitions; ``-`` (and a
transition) opens a nested list, so ``1-1`` < ``1.1``. Numbers compare numerically; qualifiers
(case-insensitive) order ``alpha`` (``a1``) < ``beta`` (``b1``) < ``milestone`` (``m1``) < ``rc`` =
``cr`` < ``snapshot`` < release (``""`` = ``ga`` = ``final`` = ``release``) < ``sp`` < any other
word (alphabetical, UTF-16 order); a qualifier followed by digits (``rc1``, ``sp-1``) is one
combined item. Trailing zeros and release qualifiers are dropped (``1.0.0`` == ``1`` == ``1-ga``).

Maven throws on a handful of strings (over 256 characters; a digit run that ``Integer.parseInt``
rejects after a non-ASCII digit); those are invalid and sort before all valid versions, among
themselves by string order. Ranges (``[1.0,2.0)``, ``(,1.1],[1.3,)``, a bare soft version) follow
``VersionRange.containsVersion``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from seawall.vulndb.versions._common import CACHE_SIZE, ConstraintError, fallback

MAX_MAVEN_LENGTH = 256  # Maven's own limit; it also bounds the nesting depth of the item lists

INT, STR, COMB, LIST = 0, 1, 2, 3
_QUALIFIERS = ("alpha", "beta", "milestone", "rc", "snapshot", "", "sp")
_RELEASE_INDEX = "5".encode("utf-16-be")


class _Invalid(ValueError):
    """Maven's constructor would throw."""


# An item: (INT, int) | (STR, qualifier key bytes, raw) | (COMB, str item, digit item) | (LIST, [items])
Item = tuple[int, Any, Any]
_ItemOrNone = Item | None


def _java_isdigit(c: str) -> bool:
    # Character.isDigit(char): one UTF-16 unit, so astral digits are not digits.
    return ord(c) < 0x10000 and c.isdecimal()


def _qualifier_key(q: str) -> bytes:
    if q in ("ga", "final", "release"):
        return _RELEASE_INDEX
    try:
        key = str(_QUALIFIERS.index(q))
    except ValueError:
        key = f"{len(_QUALIFIERS)}-{q}"
    # Java compares strings by UTF-16 code unit; big-endian UTF-16 bytes sort the same way.
    return key.encode("utf-16-be", "surrogatepass")


def _string_item(value: str, followed_by_digit: bool) -> Item:
    if followed_by_digit and len(value) == 1:
        value = {"a": "alpha", "b": "beta", "m": "milestone"}.get(value, value)
    if value == "cr":
        value = "rc"
    return (STR, _qualifier_key(value), value)


def _int_item(digits: str) -> Item:
    stripped = digits.lstrip("0") or "0"
    if not all(c.isdecimal() for c in stripped):
        raise _Invalid(digits)
    return (INT, int(stripped), None)


def _combination_item(value: str) -> Item:
    index = 0
    for k, c in enumerate(value):
        if _java_isdigit(c):
            index = k
            break
    return (COMB, _string_item(value[:index], True), _int_item(value[index:]))


def _parse_item(combination: bool, digit: bool, buf: str) -> Item:
    if combination:
        return _combination_item(buf.replace("-", ""))
    if digit:
        return _int_item(buf)
    return _string_item(buf, False)


def _is_null(item: Item) -> bool:
    kind = item[0]
    if kind == INT:
        return bool(item[1] == 0)
    if kind == STR:
        return bool(item[2] == "")
    if kind == LIST:
        return not item[1]
    return False


def _normalize(items: list[Item]) -> None:
    for i in range(len(items) - 1, -1, -1):
        if not _is_null(items[i]):
            continue
        if i == len(items) - 1 or items[i + 1][0] == STR:
            del items[i]
        elif items[i + 1][0] == LIST:
            sub: list[Item] = items[i + 1][1]
            if sub and sub[0][0] in (COMB, STR):
                del items[i]
    if len(items) == 1 and items[0][0] == LIST:
        inner: list[Item] = items[0][1]
        items[:] = inner


def _new_list() -> tuple[Item, list[Item]]:
    content: list[Item] = []
    return (LIST, content, None), content


def _parse(version: str) -> Item:
    root, current = _new_list()
    stack = [current]
    v = version.lower()
    digit = False
    combination = False
    start = 0
    n = len(v)

    def push() -> None:
        nonlocal current
        item, content = _new_list()
        current.append(item)
        current = content
        stack.append(content)

    for i, c in enumerate(v):
        if c == ".":
            current.append((INT, 0, None) if i == start else _parse_item(combination, digit, v[start:i]))
            combination = False
            start = i + 1
        elif c == "-":
            if i == start:
                current.append((INT, 0, None))
            else:
                # "X-1" is read as "X1"
                if not digit and i != n - 1 and _java_isdigit(v[i + 1]):
                    combination = True
                    continue
                current.append(_parse_item(combination, digit, v[start:i]))
            start = i + 1
            if current:
                push()
            combination = False
        elif "0" <= c <= "9":
            if not digit and i > start:
                combination = True
                if current:
                    push()
            digit = True
        else:
            if digit and i > start:
                current.append(_parse_item(combination, True, v[start:i]))
                start = i
                push()
                combination = False
            digit = False
    if n > start:
        if not digit and current:
            push()
        current.append(_parse_item(combination, digit, v[start:]))
    for content in reversed(stack):
        _normalize(content)
    return root


def _cmp(a: Item, b: _ItemOrNone) -> int:
    kind = a[0]
    if kind == INT:
        if b is None:
            return 0 if a[1] == 0 else 1
        if b[0] == INT:
            xi: int = a[1]
            yi: int = b[1]
            return (xi > yi) - (xi < yi)
        return 1
    if kind == STR:
        if b is None:
            xb: bytes = a[1]
            return (xb > _RELEASE_INDEX) - (xb < _RELEASE_INDEX)
        if b[0] == INT:
            return -1
        if b[0] == STR:
            qa: bytes = a[1]
            qb: bytes = b[1]
            return (qa > qb) - (qa < qb)
        if b[0] == COMB:
            r = _cmp(a, b[1])
            if r == 0:
                if _cmp(a, None) == 0:
                    return -_cmp(b[2], None)
                return -1
            return r
        return -_cmp(b, a)
    if kind == COMB:
        s_part: Item = a[1]
        d_part: Item = a[2]
        if b is None:
            r = _cmp(s_part, None)
            return _cmp(d_part, None) if r == 0 else r
        if b[0] == INT:
            return -1
        if b[0] == STR:
            r = _cmp(s_part, b)
            if r == 0:
                return _cmp(d_part, None) if _cmp(s_part, None) == 0 else 1
            return r
        if b[0] == LIST:
            return -_cmp(b, a)
        r = _cmp(s_part, b[1])
        return _cmp(d_part, b[2]) if r == 0 else r
    # LIST
    items: list[Item] = a[1]
    if b is None:
        for it in items:
            r = _cmp(it, None)
            if r:
                return r
        return 0
    if b[0] == INT:
        return -1
    if b[0] in (STR, COMB):
        r = -_cmp(b, None) if not items else _cmp(items[0], b)
        k = 1
        while r == 0 and k < len(items):
            r = _cmp(items[k], None)
            k += 1
        return r
    other: list[Item] = b[1]
    for k in range(max(len(items), len(other))):
        left = items[k] if k < len(items) else None
        right = other[k] if k < len(other) else None
        r = _cmp(left, right) if left is not None else (0 if right is None else -_cmp(right, None))
        if r:
            return r
    return 0


@lru_cache(maxsize=CACHE_SIZE)
def parse(version: str) -> Item | None:
    """The parsed item tree of a Maven version, or None where Maven would throw."""
    if len(version) > MAX_MAVEN_LENGTH:
        return None
    try:
        return _parse(version)
    except _Invalid:
        return None


class MavenComparator:
    """Maven artifact versions (``ComparableVersion``)."""

    scheme = "maven"

    def compare(self, a: str, b: str) -> int:
        """-1, 0 or 1 as ``new ComparableVersion(a).compareTo(new ComparableVersion(b))``."""
        ka, kb = parse(a), parse(b)
        if ka is None or kb is None:
            return fallback(a, b, ka is not None, kb is not None)
        return _cmp(ka, kb)

    def valid(self, v: str) -> bool:
        """True when Maven can parse the version."""
        return parse(v) is not None


_MAVEN = MavenComparator()

# (lower, lower inclusive, upper, upper inclusive); None bounds are open.
Restriction = tuple[str | None, bool, str | None, bool]


@dataclass(frozen=True, slots=True)
class MavenRange:
    """A Maven version range (``VersionRange.createFromVersionSpec``)."""

    text: str
    restrictions: tuple[Restriction, ...]

    @classmethod
    def parse(cls, text: str) -> MavenRange:
        """Parse ``[1.0,2.0)``, ``(,1.1],[1.3,)`` or a bare (soft) version; raises ConstraintError."""
        if len(text) > 16 * MAX_MAVEN_LENGTH:
            raise ConstraintError("Maven version range is too long")
        restrictions: list[Restriction] = []
        rest = text.strip()
        upper: str | None = None
        while rest.startswith(("[", "(")):
            ends = [k for k in (rest.find(")"), rest.find("]")) if k >= 0]
            if not ends:
                raise ConstraintError(f"unbounded Maven range: {text[:80]!r}")
            end = min(ends)
            restriction = cls._restriction(rest[: end + 1])
            if upper is not None and (restriction[0] is None or _MAVEN.compare(restriction[0], upper) < 0):
                raise ConstraintError(f"Maven ranges overlap: {text[:80]!r}")
            restrictions.append(restriction)
            upper = restriction[2]
            rest = rest[end + 1 :].strip()
            if rest.startswith(","):
                rest = rest[1:].strip()
        if rest:
            if restrictions:
                raise ConstraintError(f"only bracketed ranges may be combined: {text[:80]!r}")
            # A bare version is a soft requirement: Maven accepts any version for it.
            restrictions.append((None, False, None, False))
        return cls(text=text, restrictions=tuple(restrictions))

    @staticmethod
    def _restriction(spec: str) -> Restriction:
        lower_inc = spec.startswith("[")
        upper_inc = spec.endswith("]")
        body = spec[1:-1].strip()
        if "," not in body:
            if not (lower_inc and upper_inc):
                raise ConstraintError(f"a single Maven version must be in []: {spec[:80]!r}")
            return (body, True, body, True)
        low, high = (s.strip() for s in body.split(",", 1))
        if "," in high:
            raise ConstraintError(f"invalid Maven restriction: {spec[:80]!r}")
        lower = low or None
        upper = high or None
        if lower is not None and upper is not None:
            r = _MAVEN.compare(upper, lower)
            if r < 0 or (r == 0 and not (lower_inc and upper_inc)):
                raise ConstraintError(f"Maven range defies version ordering: {spec[:80]!r}")
        return (lower, lower_inc, upper, upper_inc)

    def contains(self, version: str) -> bool:
        """True when any restriction of the range contains ``version``."""
        for lower, lower_inc, upper, upper_inc in self.restrictions:
            if lower is not None:
                c = _MAVEN.compare(lower, version)
                if c > 0 or (c == 0 and not lower_inc):
                    continue
            if upper is not None:
                c = _MAVEN.compare(upper, version)
                if c < 0 or (c == 0 and not upper_inc):
                    continue
            return True
        return False
