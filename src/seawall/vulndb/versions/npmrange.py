"""npm version ranges, evaluated as node-semver's ``satisfies(version, range, options)``.

Supports everything node-semver does: ``||`` alternatives, space-separated comparator sets,
hyphen ranges (``1.2 - 2.3.4``), x-ranges (``1.x``, ``1.2.*``, ``*``, ``""``), tilde (``~1.2.3``,
``~>1.2``), caret (``^0.2.3``), and the ``loose`` and ``includePrerelease`` options. A pre-release
version only satisfies a comparator set that names a pre-release of the same major.minor.patch,
unless ``include_prerelease`` is set. A range node-semver cannot parse raises ConstraintError from
``NpmRange``; ``satisfies`` turns it into False, as node-semver does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from seawall.vulndb.versions._common import ConstraintError
from seawall.vulndb.versions.semver import (
    _BUILD,
    FULLPLAIN,
    LOOSEPLAIN,
    PRERELEASE,
    PRERELEASE_LOOSE,
    Key,
    parse_npm,
)

MAX_RANGE_LENGTH = 4096

_NUM = r"0|[1-9][0-9]*"
_NUM_LOOSE = r"[0-9]+"
_XID = rf"{_NUM}|x|X|\*"
_XID_LOOSE = rf"{_NUM_LOOSE}|x|X|\*"
XRANGEPLAIN = rf"[v=\s]*({_XID})(?:\.({_XID})(?:\.({_XID})(?:{PRERELEASE})?{_BUILD}?)?)?"
XRANGEPLAIN_LOOSE = (
    rf"[v=\s]*({_XID_LOOSE})(?:\.({_XID_LOOSE})(?:\.({_XID_LOOSE})(?:{PRERELEASE_LOOSE})?{_BUILD}?)?)?"
)
GTLT = r"((?:<|>)?=?)"


def _strip_groups(pattern: str) -> str:
    # The trim patterns embed the plain patterns only to match them, not to capture.
    return re.sub(r"\((?!\?)", "(?:", pattern)


_RE = {
    False: {
        "hyphen": re.compile(rf"^\s*({XRANGEPLAIN})\s+-\s+({XRANGEPLAIN})\s*$"),
        "xrange": re.compile(rf"^{GTLT}\s*{XRANGEPLAIN}$"),
        "tilde": re.compile(rf"^(?:~>?){XRANGEPLAIN}$"),
        "caret": re.compile(rf"^(?:\^){XRANGEPLAIN}$"),
        "comparator": re.compile(rf"^{GTLT}\s*({FULLPLAIN})$|^$"),
    },
    True: {
        "hyphen": re.compile(rf"^\s*({XRANGEPLAIN_LOOSE})\s+-\s+({XRANGEPLAIN_LOOSE})\s*$"),
        "xrange": re.compile(rf"^{GTLT}\s*{XRANGEPLAIN_LOOSE}$"),
        "tilde": re.compile(rf"^(?:~>?){XRANGEPLAIN_LOOSE}$"),
        "caret": re.compile(rf"^(?:\^){XRANGEPLAIN_LOOSE}$"),
        "comparator": re.compile(rf"^{GTLT}\s*({LOOSEPLAIN})$|^$"),
    },
}
_COMPARATOR_TRIM = re.compile(rf"(\s*){GTLT}\s*({_strip_groups(LOOSEPLAIN)}|{_strip_groups(XRANGEPLAIN)})")
_TILDE_TRIM = re.compile(r"(\s*)(?:~>?)\s+")
_CARET_TRIM = re.compile(r"(\s*)(?:\^)\s+")
_BUILD_STRIP = re.compile(_BUILD)
_STAR = re.compile(r"(<|>)?=?\s*\*")
_GTE0 = re.compile(r"^\s*>=\s*0\.0\.0\s*$")
_GTE0_PRE = re.compile(r"^\s*>=\s*0\.0\.0-0\s*$")


def _is_x(ident: str | None) -> bool:
    return not ident or ident.lower() == "x" or ident == "*"


def _hyphen_replace(include_pre: bool) -> Callable[[re.Match[str]], str]:
    z = "-0" if include_pre else ""

    def repl(m: re.Match[str]) -> str:
        frm, f_major, f_minor, f_patch, f_pre = m.group(1), m.group(2), m.group(3), m.group(4), m.group(5)
        to, t_major, t_minor, t_patch, t_pre = m.group(7), m.group(8), m.group(9), m.group(10), m.group(11)
        if _is_x(f_major):
            frm = ""
        elif _is_x(f_minor):
            frm = f">={f_major}.0.0{z}"
        elif _is_x(f_patch):
            frm = f">={f_major}.{f_minor}.0{z}"
        elif f_pre:
            frm = f">={frm}"
        else:
            frm = f">={frm}{z}"
        if _is_x(t_major):
            to = ""
        elif _is_x(t_minor):
            to = f"<{int(t_major) + 1}.0.0-0"
        elif _is_x(t_patch):
            to = f"<{t_major}.{int(t_minor) + 1}.0-0"
        elif t_pre:
            to = f"<={t_major}.{t_minor}.{t_patch}-{t_pre}"
        elif include_pre:
            to = f"<{t_major}.{t_minor}.{int(t_patch) + 1}-0"
        else:
            to = f"<={to}"
        return f"{frm} {to}".strip()

    return repl


def _replace_carets(comp: str, loose: bool, include_pre: bool) -> str:
    z = "-0" if include_pre else ""
    out = []
    for part in comp.strip().split():
        m = _RE[loose]["caret"].match(part)
        if m is None:
            out.append(part)
            continue
        major, minor, patch, pre = m.group(1), m.group(2), m.group(3), m.group(4)
        if _is_x(major):
            ret = ""
        elif _is_x(minor):
            ret = f">={major}.0.0{z} <{int(major) + 1}.0.0-0"
        elif _is_x(patch):
            if major == "0":
                ret = f">={major}.{minor}.0{z} <{major}.{int(minor) + 1}.0-0"
            else:
                ret = f">={major}.{minor}.0{z} <{int(major) + 1}.0.0-0"
        elif pre:
            base = f">={major}.{minor}.{patch}-{pre}"
            if major == "0":
                if minor == "0":
                    ret = f"{base} <{major}.{minor}.{int(patch) + 1}-0"
                else:
                    ret = f"{base} <{major}.{int(minor) + 1}.0-0"
            else:
                ret = f"{base} <{int(major) + 1}.0.0-0"
        elif major == "0":
            if minor == "0":
                ret = f">={major}.{minor}.{patch} <{major}.{minor}.{int(patch) + 1}-0"
            else:
                ret = f">={major}.{minor}.{patch} <{major}.{int(minor) + 1}.0-0"
        else:
            ret = f">={major}.{minor}.{patch} <{int(major) + 1}.0.0-0"
        out.append(ret)
    return " ".join(out)


def _replace_tildes(comp: str, loose: bool, include_pre: bool) -> str:
    # With includePrerelease the lower bound is -0, keeping ~1.2 equal to the 1.2.x x-range.
    z = "-0" if include_pre else ""
    out = []
    for part in comp.strip().split():
        m = _RE[loose]["tilde"].match(part)
        if m is None:
            out.append(part)
            continue
        major, minor, patch, pre = m.group(1), m.group(2), m.group(3), m.group(4)
        if _is_x(major):
            ret = ""
        elif _is_x(minor):
            ret = f">={major}.0.0{z} <{int(major) + 1}.0.0-0"
        elif _is_x(patch):
            ret = f">={major}.{minor}.0{z} <{major}.{int(minor) + 1}.0-0"
        elif pre:
            ret = f">={major}.{minor}.{patch}-{pre} <{major}.{int(minor) + 1}.0-0"
        else:
            ret = f">={major}.{minor}.{patch} <{major}.{int(minor) + 1}.0-0"
        out.append(ret)
    return " ".join(out)


def _replace_xranges(comp: str, loose: bool, include_pre: bool) -> str:
    out = []
    for part in comp.strip().split():
        m = _RE[loose]["xrange"].match(part.strip())
        if m is None:
            out.append(part)
            continue
        gtlt, major, minor, patch = m.group(1), m.group(2), m.group(3), m.group(4)
        if (_is_x(major) and not _is_x(minor)) or (_is_x(minor) and patch and not _is_x(patch)):
            # node-semver leaves an x-range like "*.1" or "1.x.2" as it is (and then rejects it).
            out.append(part.strip())
            continue
        x_major = _is_x(major)
        x_minor = x_major or _is_x(minor)
        x_patch = x_minor or _is_x(patch)
        if gtlt == "=" and x_patch:
            gtlt = ""
        pr = "-0" if include_pre else ""
        if x_major:
            ret = "<0.0.0-0" if gtlt in (">", "<") else "*"
        elif gtlt and x_patch:
            maj, mi, pa = int(major), 0 if x_minor else int(minor), 0
            if gtlt == ">":
                gtlt = ">="
                if x_minor:
                    maj, mi, pa = maj + 1, 0, 0
                else:
                    mi, pa = mi + 1, 0
            elif gtlt == "<=":
                gtlt = "<"
                if x_minor:
                    maj += 1
                else:
                    mi += 1
            if gtlt == "<":
                pr = "-0"
            ret = f"{gtlt}{maj}.{mi}.{pa}{pr}"
        elif x_minor:
            ret = f">={major}.0.0{pr} <{int(major) + 1}.0.0-0"
        elif x_patch:
            ret = f">={major}.{minor}.0{pr} <{major}.{int(minor) + 1}.0-0"
        else:
            ret = part
        out.append(ret)
    return " ".join(out)


@dataclass(frozen=True, slots=True)
class _Comparator:
    op: str
    key: Key | None
    value: str

    @classmethod
    def parse(cls, comp: str, loose: bool) -> _Comparator:
        comp = " ".join(comp.strip().split())
        m = _RE[loose]["comparator"].match(comp)
        if m is None:
            raise ConstraintError(f"invalid npm comparator: {comp[:80]!r}")
        op = "" if (m.group(1) or "") == "=" else (m.group(1) or "")
        if not m.group(2):
            return cls(op=op, key=None, value="")
        key = parse_npm(m.group(2), loose)
        if key is None:
            raise ConstraintError(f"invalid npm version in range: {m.group(2)[:80]!r}")
        return cls(op=op, key=key, value=f"{op}{m.group(2)}")

    def test(self, v: Key) -> bool:
        if self.key is None:
            return True
        c = (v > self.key) - (v < self.key)
        if self.op == "":
            return c == 0
        if self.op == ">":
            return c > 0
        if self.op == ">=":
            return c >= 0
        if self.op == "<":
            return c < 0
        return c <= 0  # "<="


_NULL_SET_KEY = (0, 0, 0, (0, (0, 0)))


@dataclass(frozen=True, slots=True)
class NpmRange:
    """A parsed node-semver range."""

    text: str
    sets: tuple[tuple[_Comparator, ...], ...]
    loose: bool = False
    include_prerelease: bool = False

    @classmethod
    def parse(cls, text: str, loose: bool = False, include_prerelease: bool = False) -> NpmRange:
        """Parse a node-semver range with its options; raises ConstraintError where node-semver throws."""
        if len(text) > MAX_RANGE_LENGTH:
            raise ConstraintError("npm range is too long")
        raw = " ".join(text.strip().split())
        sets = [cls._parse_set(part.strip(), loose, include_prerelease) for part in raw.split("||")]
        sets = [s for s in sets if s]
        if not sets:
            raise ConstraintError(f"invalid npm range: {text[:80]!r}")
        if len(sets) > 1:
            # node-semver drops "<0.0.0-0" sets when other alternatives exist.
            useful = [s for s in sets if not cls._null_set(s)]
            sets = useful or sets[:1]
            # ... and a lone "any" set replaces all the others (which changes pre-release matching).
            for s in sets:
                if len(s) == 1 and s[0].key is None:
                    sets = [s]
                    break
        return cls(text=text, sets=tuple(sets), loose=loose, include_prerelease=include_prerelease)

    @staticmethod
    def _null_set(comparators: tuple[_Comparator, ...]) -> bool:
        return any(c.op == "<" and c.key == _NULL_SET_KEY for c in comparators)

    @staticmethod
    def _parse_set(text: str, loose: bool, inc: bool) -> tuple[_Comparator, ...]:
        # Build metadata is stripped first so it cannot bleed into the version.
        text = _BUILD_STRIP.sub("", text)
        text = _RE[loose]["hyphen"].sub(_hyphen_replace(inc), text)
        text = _COMPARATOR_TRIM.sub(lambda m: m.group(1) + m.group(2) + m.group(3), text)
        text = _TILDE_TRIM.sub(lambda m: m.group(1) + "~", text)
        text = _CARET_TRIM.sub(lambda m: m.group(1) + "^", text)
        parts = []
        for comp in text.split(" "):
            comp = _replace_carets(comp, loose, inc)
            comp = _replace_tildes(comp, loose, inc)
            comp = _replace_xranges(comp, loose, inc)
            comp = _STAR.sub("", comp.strip(), count=1)
            parts.append(comp)
        comps = [(_GTE0_PRE if inc else _GTE0).sub("", c) for c in re.split(r"\s+", " ".join(parts))]
        if loose:
            comps = [c for c in comps if _RE[True]["comparator"].match(c)]
        result: dict[str, _Comparator] = {}
        for c in comps:
            comparator = _Comparator.parse(c, loose)
            if comparator.op == "<" and comparator.key == _NULL_SET_KEY:
                return (comparator,)
            result[comparator.value] = comparator
        if len(result) > 1 and "" in result:
            del result[""]
        return tuple(result.values())

    def contains(self, version: str) -> bool:
        """True when ``version`` satisfies the range (node-semver ``Range#test``)."""
        v = parse_npm(version, self.loose)
        if v is None:
            return False
        return any(self._test_set(s, v) for s in self.sets)

    def _test_set(self, comparators: tuple[_Comparator, ...], v: Key) -> bool:
        if not all(c.test(v) for c in comparators):
            return False
        if v[3] != (1,) and not self.include_prerelease:
            # A pre-release only matches when some comparator names a pre-release of the same triple.
            return any(c.key is not None and c.key[3] != (1,) and c.key[:3] == v[:3] for c in comparators)
        return True


def satisfies(version: str, text: str, loose: bool = False, include_prerelease: bool = False) -> bool:
    """node-semver ``satisfies``: False for an invalid version or an invalid range."""
    try:
        return NpmRange.parse(text, loose, include_prerelease).contains(version)
    except ConstraintError:
        return False
