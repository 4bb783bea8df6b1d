"""RubyGems versions, ordered as ``Gem::Version#<=>``; requirements as ``Gem::Requirement``.

A version is trimmed (blank means ``0``), ``-`` becomes ``.pre.``, and it is split into numeric and
alphabetic segments (``1.0.b1`` -> ``1, 0, b, 1``). Trailing zeros of the numeric run before the
first letter segment, and of the rest, are dropped; then segments compare left to right with a
missing segment counting as 0: numbers numerically, words by byte order, a word before any number.
So any letter makes a pre-release (``1.0.a`` < ``1.0``) and ``1.0`` == ``1.0.0``.

Strings ``Gem::Version.correct?`` rejects are invalid: they sort before all valid versions and among
themselves by string order. Strings over 1024 characters are invalid.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from seawall.vulndb.versions._common import CACHE_SIZE, MAX_VERSION_LENGTH, ConstraintError, fallback

_RUBY_SPACE = " \t\r\n\f\v"
VERSION_PATTERN = r"[0-9]+(?:\.[0-9a-zA-Z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?"
_ANCHORED = re.compile(rf"[{_RUBY_SPACE}]*({VERSION_PATTERN})?[{_RUBY_SPACE}]*")
_SEGMENT = re.compile(r"[0-9]+|[a-zA-Z]+")

Segment = int | str


def segments(version: str) -> list[Segment]:
    """Gem::Version#segments of a valid version string."""
    v = version.strip(_RUBY_SPACE) or "0"
    v = v.replace("-", ".pre.")
    return [int(s) if s.isdigit() else s for s in _SEGMENT.findall(v)]


def _canonical(segs: list[Segment]) -> tuple[Segment, ...]:
    split = next((k for k, s in enumerate(segs) if isinstance(s, str)), len(segs))
    out: list[Segment] = []
    for part in (segs[:split], segs[split:]):
        end = len(part)
        while end and part[end - 1] == 0:
            end -= 1
        out.extend(part[:end])
    return tuple(out)


@lru_cache(maxsize=CACHE_SIZE)
def parse(version: str) -> tuple[Segment, ...] | None:
    """Canonical segments of a version, or None when RubyGems rejects it."""
    if len(version) > MAX_VERSION_LENGTH or _ANCHORED.fullmatch(version) is None:
        return None
    return _canonical(segments(version))


def compare_segments(a: tuple[Segment, ...], b: tuple[Segment, ...]) -> int:
    """Gem::Version#<=> on canonical segments."""
    if a == b:
        return 0
    for k in range(max(len(a), len(b))):
        x = a[k] if k < len(a) else 0
        y = b[k] if k < len(b) else 0
        if x == y:
            continue
        if isinstance(x, str) and isinstance(y, int):
            return -1
        if isinstance(x, int) and isinstance(y, str):
            return 1
        return (x > y) - (x < y)  # type: ignore[operator]
    return 0


class GemComparator:
    """RubyGems versions (``Gem::Version``)."""

    scheme = "gem"

    def compare(self, a: str, b: str) -> int:
        """-1, 0 or 1 as ``Gem::Version.new(a) <=> Gem::Version.new(b)``."""
        ka, kb = parse(a), parse(b)
        if ka is None or kb is None:
            return fallback(a, b, ka is not None, kb is not None)
        return compare_segments(ka, kb)

    def valid(self, v: str) -> bool:
        """True when ``Gem::Version.correct?`` accepts the string."""
        return parse(v) is not None


def _release(segs: list[Segment]) -> tuple[Segment, ...]:
    # Gem::Version#release: drop everything from the first word on.
    out = list(segs)
    while any(isinstance(s, str) for s in out):
        out.pop()
    return _canonical(out)


def _bump(segs: list[Segment]) -> tuple[Segment, ...]:
    out = list(segs)
    while any(isinstance(s, str) for s in out):
        out.pop()
    if len(out) > 1:
        out.pop()
    out[-1] = int(out[-1]) + 1
    return _canonical(out)


_REQUIREMENT = re.compile(
    rf"[{_RUBY_SPACE}]*(=|!=|>=|<=|>|<|~>)?[{_RUBY_SPACE}]*({VERSION_PATTERN})[{_RUBY_SPACE}]*"
)


@dataclass(frozen=True, slots=True)
class GemRequirement:
    """A RubyGems requirement list such as ``~> 1.4, >= 1.4.2`` (comma = and)."""

    text: str
    parts: tuple[tuple[str, str], ...]

    @classmethod
    def parse(cls, text: str) -> GemRequirement:
        """Parse ``op version[, op version ...]`` (blank = ``>= 0``); raises ConstraintError if malformed."""
        if len(text) > 16 * MAX_VERSION_LENGTH:
            raise ConstraintError("RubyGems requirement is too long")
        parts: list[tuple[str, str]] = []
        for piece in text.split(",") if text.strip(_RUBY_SPACE) else []:
            m = _REQUIREMENT.fullmatch(piece)
            if m is None:
                raise ConstraintError(f"not a RubyGems requirement: {piece[:80]!r}")
            parts.append((m.group(1) or "=", m.group(2)))
        return cls(text=text, parts=tuple(parts) or ((">=", "0"),))

    def contains(self, version: str) -> bool:
        """True when ``version`` satisfies every requirement (``Gem::Requirement#satisfied_by?``)."""
        v = parse(version)
        if v is None:
            return False
        for op, req in self.parts:
            r = parse(req)
            assert r is not None  # the requirement pattern only admits valid versions
            c = compare_segments(v, r)
            if op == "=":
                ok = c == 0
            elif op == "!=":
                ok = c != 0
            elif op == ">":
                ok = c > 0
            elif op == "<":
                ok = c < 0
            elif op == ">=":
                ok = c >= 0
            elif op == "<=":
                ok = c <= 0
            else:  # ~>
                segs = segments(version)
                ok = c >= 0 and compare_segments(_release(segs), _bump(segments(req))) < 0
            if not ok:
                return False
        return True
