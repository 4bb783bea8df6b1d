"""Alpine (apk-tools) versions: ``digits{.digits}[letter]{_suffix[N]}[~hash][-rN]``.

The order is apk-tools 3's token walk: the first number, then ``.N`` components (numerically, but
as plain strings when either side has a leading zero), a single lower-case letter, suffixes
(``_alpha`` < ``_beta`` < ``_pre`` < ``_rc`` < no suffix < ``_cvs`` < ``_svn`` < ``_git`` < ``_hg``
< ``_p``) each with an optional number, a ``~`` commit hash (lower-case hex, string order) and the
``-rN`` revision. When one version runs out first, a following pre-release suffix makes the longer
one smaller; otherwise the longer one is larger.

Invalid versions are compared the way apk-tools compares them: token by token up to the first
token that does not parse, which ranks below any other token in that position, even the end of the
string (so ``1.0`` < ``1.0bc`` < ``1.0b``: ``b`` is read, ``c`` is not); two versions that break at
the same point after equal tokens compare equal. Strings longer than 1024 characters are treated as
invalid from their first token.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from seawall.vulndb.versions._common import CACHE_SIZE, MAX_VERSION_LENGTH, ConstraintError

# Token types in apk-tools' order; a later type reached earlier means "less" (see compare()).
INITIAL_DIGIT, DIGIT, LETTER, SUFFIX, SUFFIX_NO, COMMIT_HASH, REVISION_NO, END, INVALID = range(9)

_SUFFIXES = {"alpha": 0, "beta": 1, "pre": 2, "rc": 3, "cvs": 5, "svn": 6, "git": 7, "hg": 8, "p": 9}
_SUFFIX_NONE = 4
_DIGITS = re.compile(r"[0-9]*")
_LOWER = re.compile(r"[a-z]*")
_HEX = re.compile(r"[0-9a-f]*")

# (type, number, text, suffix rank)
Token = tuple[int, int, str, int]


@lru_cache(maxsize=CACHE_SIZE)
def tokens(version: str) -> tuple[Token, ...]:
    """apk-tools' token list, ending with an END or an INVALID token."""
    if len(version) > MAX_VERSION_LENGTH:
        return ((INVALID, 0, "", 0),)
    out: list[Token] = []
    pos = 0
    n = len(version)
    digits = _DIGITS.match(version, 0)
    assert digits is not None
    if not digits.group():
        return ((INVALID, 0, "", 0),)
    out.append((INITIAL_DIGIT, int(digits.group()), digits.group(), 0))
    pos = digits.end()
    last = INITIAL_DIGIT
    while True:
        if pos >= n:
            out.append((END, 0, "", 0))
            return tuple(out)
        c = version[pos]
        tok: Token | None = None
        if "a" <= c <= "z":
            if last <= DIGIT:
                tok = (LETTER, ord(c), c, 0)
                pos += 1
        elif c == "." or "0" <= c <= "9":
            if c == ".":
                if last <= DIGIT:
                    pos += 1
                else:
                    last = INVALID
            kind = DIGIT if last in (INITIAL_DIGIT, DIGIT) else SUFFIX_NO if last == SUFFIX else INVALID
            if kind != INVALID:
                m = _DIGITS.match(version, pos)
                assert m is not None
                if m.group():
                    tok = (kind, int(m.group()), m.group(), 0)
                    pos = m.end()
        elif c == "_":
            if last <= SUFFIX_NO:
                m = _LOWER.match(version, pos + 1)
                assert m is not None
                rank = _SUFFIXES.get(m.group())
                if rank is not None:
                    tok = (SUFFIX, 0, m.group(), rank)
                    pos = m.end()
        elif c == "~":
            if last < COMMIT_HASH:
                m = _HEX.match(version, pos + 1)
                assert m is not None
                if m.group():
                    tok = (COMMIT_HASH, 0, m.group(), 0)
                    pos = m.end()
        elif c == "-" and last < REVISION_NO and version.startswith("-r", pos):
            m = _DIGITS.match(version, pos + 2)
            assert m is not None
            if m.group():
                tok = (REVISION_NO, int(m.group()), m.group(), 0)
                pos = m.end()
        if tok is None:
            out.append((INVALID, 0, "", 0))
            return tuple(out)
        out.append(tok)
        last = tok[0]


def _token_cmp(a: Token, b: Token) -> int:
    kind = a[0]
    if kind == DIGIT and (a[2].startswith("0") or b[2].startswith("0")):
        # Gentoo rule kept by apk: a leading zero makes the component a string comparison.
        x: int | str = a[2]
        y: int | str = b[2]
    elif kind in (INITIAL_DIGIT, DIGIT, SUFFIX_NO, REVISION_NO, LETTER):
        x, y = a[1], b[1]
    elif kind == SUFFIX:
        x, y = a[3], b[3]
    else:
        x, y = a[2], b[2]
    return (x > y) - (x < y)  # type: ignore[operator]


def compare_tokens(ta: tuple[Token, ...], tb: tuple[Token, ...], fuzzy: bool = False) -> int:
    """apk-tools' comparison of two token lists; ``fuzzy`` makes ``b`` a prefix match (``~``)."""
    i = 0
    while True:
        a, b = ta[i], tb[i]
        if a[0] != b[0] or a[0] >= END:
            break
        r = _token_cmp(a, b)
        if r:
            return r
        i += 1
    if a[0] == b[0]:
        return 0
    if b[0] == END and fuzzy:
        return 0
    # One side continues: a pre-release suffix makes it smaller, anything else makes it larger.
    if a[0] == SUFFIX and a[3] < _SUFFIX_NONE:
        return -1
    if b[0] == SUFFIX and b[3] < _SUFFIX_NONE:
        return 1
    return -1 if a[0] > b[0] else 1


class ApkComparator:
    """Alpine, Wolfi and Chainguard package versions (apk-tools)."""

    scheme = "apk"

    def compare(self, a: str, b: str) -> int:
        """-1, 0 or 1 as ``a`` sorts before, equal to, or after ``b``."""
        return compare_tokens(tokens(a), tokens(b))

    def valid(self, v: str) -> bool:
        """True when apk-tools accepts the version."""
        return tokens(v)[-1][0] == END


_OPS = {
    "<": (-1,),
    "<=": (-1, 0),
    "=": (0,),
    ">=": (0, 1),
    ">": (1,),
    "~": (0,),
    "<~": (-1, 0),
    ">~": (0, 1),
    "~=": (0,),
}
_CONSTRAINT = re.compile(r"\s*(!?)([<>=~]{1,2})\s*(\S+)\s*")


@dataclass(frozen=True, slots=True)
class ApkConstraint:
    """One apk dependency constraint such as ``>=1.2-r0``, ``~3.6`` or ``!<2``."""

    text: str
    op: str
    version: str
    negate: bool = False

    @classmethod
    def parse(cls, text: str) -> ApkConstraint:
        """Parse ``[!]op version``; raises ConstraintError when it is not an apk constraint."""
        m = _CONSTRAINT.fullmatch(text)
        if m is None or m.group(2) not in _OPS:
            raise ConstraintError(f"not an apk version constraint: {text[:80]!r}")
        return cls(text=text, op=m.group(2), version=m.group(3), negate=bool(m.group(1)))

    def contains(self, version: str) -> bool:
        """True when ``version`` satisfies the constraint (apk_version_match)."""
        fuzzy = "~" in self.op
        ok = compare_tokens(tokens(version), tokens(self.version), fuzzy) in _OPS[self.op]
        return ok != self.negate
