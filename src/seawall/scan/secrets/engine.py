"""The secret engine: an Aho-Corasick keyword prefilter, then each hit rule's regex, entropy and allow rules.

The engine is compiled once per process (rules, regexes, automaton) and then scans many files. A file
is lowercased once and searched for every rule keyword in one pass; only rules whose keywords occur
run their regex. Secrets never leave the engine unmasked.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import ahocorasick

from seawall.scan.secrets.rules import (
    BUILTIN_ALLOW_RULES,
    BUILTIN_RULES,
    MINIFIED_SUFFIXES,
    AllowRule,
    Rule,
    validate_regex,
)

MAX_WINDOWS = 5000  # keyword hits per rule and file before the rule just searches the whole file
MAX_MATCHES_PER_RULE = 20  # per file: a generated file full of keys is reported, not listed 10,000 times
MAX_SECRET_CHARS = 4096  # longer "secrets" (huge base64 blobs) are cut before masking (Trivy #3168)
CONTEXT_LINES = 2
MAX_LINE_CHARS = 200  # code lines in findings are cut to this width (minified files have huge lines)
INLINE_ALLOW = (
    "pragma: allowlist secret",
    "gitleaks:allow",
    "seawall:allow",
    "nosec",
    "trivy:ignore",
    "checkov:skip=CKV_SECRET",
)
MINIFIED_LINE_LENGTH = 1000
# Assignment names whose values are digests or identifiers, not secrets.
NOT_SECRET_NAMES = (
    "hash",
    "checksum",
    "digest",
    "integrity",
    "fingerprint",
    "public",
    "sha1",
    "sha256",
    "md5",
    "key_id",
    "keyid",
    "client_id",
    "account_id",
    "uuid",
)
# Names that point at a secret rather than hold one (secretName: default-token-x, password_file: ...).
NOT_SECRET_NAME_ENDINGS = ("name", "file", "path", "ref", "type", "length", "size", "format", "mode")
# The key just before a value: `key = `, `"key": "`, `key: !!binary `.
_KEY_BEFORE_VALUE = re.compile(r"""([A-Za-z0-9_.\-]+)["']?\s*(?:=|:=|:|=>)\s*(?:!!binary\s+)?["'`]?$""")
# Source files, where a generic assignment counts only with a quoted literal value.
CODE_SUFFIXES = (
    ".py",
    ".pl",
    ".pm",
    ".rb",
    ".js",
    ".mjs",
    ".cjs",
    ".ts",
    ".tsx",
    ".jsx",
    ".go",
    ".java",
    ".kt",
    ".scala",
    ".c",
    ".h",
    ".cc",
    ".cpp",
    ".hpp",
    ".cs",
    ".php",
    ".rs",
    ".swift",
    ".lua",
    ".sh",
    ".bash",
    ".tcl",
    ".r",
    ".groovy",
    ".dart",
    ".ex",
    ".exs",
    ".erl",
    ".hs",
    ".ml",
    ".vue",
    ".svelte",
)  # a .js/.css whose first 4 KiB has no newline in this many chars is minified


@dataclass(frozen=True, slots=True)
class SecretMatch:
    """One secret found in one file, already masked."""

    rule_id: str
    category: str
    title: str
    severity: str
    start_line: int
    end_line: int
    match: str  # the (first) line holding the secret, secret masked
    context: tuple[str, ...]  # lines around the secret, numbered "N: text", secret masked


@dataclass(frozen=True, slots=True)
class _Compiled:
    rule: Rule
    pattern: re.Pattern[str]
    allow: tuple[re.Pattern[str], ...]
    path: re.Pattern[str] | None
    allow_paths: tuple[re.Pattern[str], ...]

    def applies_to(self, path: str) -> bool:
        """Whether the rule runs on the file at ``path`` (its path filter and path allow rules)."""
        if self.path is not None and self.path.search(path) is None:
            return False
        return not any(p.search(path) for p in self.allow_paths)


_Found = tuple[int, int, _Compiled, tuple[int, int]]  # report span, rule, secret span


def shannon_entropy(text: str) -> float:
    """Bits per character of ``text``."""
    if not text:
        return 0.0
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in Counter(text).values())


def mask(secret: str) -> str:
    """Keep only the first and last characters of a secret (all stars when it is short)."""
    if len(secret) <= 6:
        return "*" * len(secret)
    return secret[0] + "*" * (len(secret) - 2) + secret[-1]


class SecretEngine:
    """Compiled rules; :meth:`scan` finds secrets in one file's text."""

    def __init__(
        self,
        rules: Sequence[Rule] = BUILTIN_RULES,
        allow_rules: Sequence[AllowRule] = BUILTIN_ALLOW_RULES,
    ) -> None:
        self._rules: list[_Compiled] = []
        self._always: list[int] = []  # rules without keywords run on every file
        self._automaton = ahocorasick.Automaton()
        keyword_rules: dict[str, list[int]] = {}
        for rule in rules:
            pattern = validate_regex(rule.regex, f"secret rule {rule.id}")
            allow = tuple(validate_regex(a, f"allow pattern of {rule.id}") for a in rule.allow)
            index = len(self._rules)
            path = validate_regex(rule.path, f"path of {rule.id}") if rule.path else None
            allow_paths = tuple(validate_regex(a, f"allow path of {rule.id}") for a in rule.allow_paths)
            self._rules.append(_Compiled(rule, pattern, allow, path, allow_paths))
            if not rule.keywords:
                self._always.append(index)
            for keyword in rule.keywords:
                keyword_rules.setdefault(keyword.lower(), []).append(index)
        self._keyword_rules: list[tuple[int, ...]] = []
        for keyword, indexes in keyword_rules.items():
            self._automaton.add_word(keyword, len(self._keyword_rules))
            self._keyword_rules.append(tuple(indexes))
        if keyword_rules:
            self._automaton.make_automaton()
        self._has_keywords = bool(keyword_rules)
        self._allow_values = [validate_regex(a.regex, f"allow rule {a.id}") for a in allow_rules if a.regex]
        paths = [a.path for a in allow_rules if a.path]
        for p in paths:
            validate_regex(p, "allow rule path")
        self._allow_path = re.compile("|".join(f"(?:{p})" for p in paths)) if paths else None

    @property
    def rule_count(self) -> int:
        """How many rules are compiled."""
        return len(self._rules)

    def path_allowed(self, path: str) -> bool:
        """True when an allow rule exempts the whole file."""
        return self._allow_path is not None and self._allow_path.search(path) is not None

    def scan(self, path: str, text: str) -> list[SecretMatch]:
        """Every secret in ``text`` (the file at ``path``), masked, in file order."""
        if self.path_allowed(path):
            return []
        hits = self._hit_rules(text)
        if not hits:
            return []
        minified = _looks_minified(path, text)
        found: list[_Found] = []
        for index in sorted(hits):
            compiled = self._rules[index]
            if (minified and compiled.rule.generic) or not compiled.applies_to(path):
                continue
            found.extend(self._matches(compiled, text, path, hits[index]))
        found = [f for f in found if not _inline_allowed(text, f[3][0])]
        if not found:
            return []
        found.sort(key=lambda f: (f[0], f[2].rule.id))
        return _render(text, _drop_overlaps(found))

    def _hit_rules(self, text: str) -> dict[int, list[int] | None]:
        """Rule index -> offsets where its keywords end (None: search the whole text)."""
        hits: dict[int, list[int] | None] = dict.fromkeys(self._always)
        if not self._has_keywords:
            return hits
        lowered = text.lower()
        exact = len(lowered) == len(text)  # a few characters change length when lowercased
        by_keyword: dict[int, list[int]] = {}
        for end, keyword in self._automaton.iter(lowered):
            offsets = by_keyword.get(keyword)
            if offsets is None:
                by_keyword[keyword] = [end]
            else:
                offsets.append(end)
        for keyword, ends in by_keyword.items():
            for index in self._keyword_rules[keyword]:
                if index in hits and hits[index] is None:
                    continue
                if not exact or self._rules[index].rule.window is None:
                    hits[index] = None
                    continue
                merged = hits.get(index) or []
                merged.extend(ends)
                hits[index] = None if len(merged) > MAX_WINDOWS else merged
        return hits

    def _matches(
        self, compiled: _Compiled, text: str, path: str, offsets: list[int] | None
    ) -> Iterable[tuple[int, int, _Compiled, tuple[int, int]]]:
        """(start, end, rule, secret span): the span reported is the secret, or the whole match for
        multi-line rules (a key block is reported from its BEGIN line to its END line)."""
        rule = compiled.rule
        count = 0
        code = rule.generic and path.endswith(CODE_SUFFIXES)
        group = rule.secret_group if rule.secret_group in compiled.pattern.groupindex else 0
        for m in _finditer(compiled.pattern, text, offsets, rule.window):
            start, end = m.span(group)
            if start < 0 or end <= start:
                continue
            secret = text[start:end]
            if rule.entropy and shannon_entropy(secret) < rule.entropy:
                continue
            if rule.generic and not _plausible_assignment(text, start, end, secret, code):
                continue
            if any(a.search(secret) for a in compiled.allow):
                continue
            # Placeholder words are judged on single values; a key block's random base64 can spell
            # "fAkE" by chance, and blocks have their own allow patterns.
            if not rule.multiline and any(a.search(secret) for a in self._allow_values):
                continue
            if rule.multiline:
                yield m.start(), m.end(), compiled, (start, end)
            else:
                yield start, end, compiled, (start, end)
            count += 1
            if count >= MAX_MATCHES_PER_RULE:
                return


def _finditer(
    pattern: re.Pattern[str], text: str, offsets: list[int] | None, window: tuple[int, int] | None
) -> Iterator[re.Match[str]]:
    """Matches of ``pattern`` in the windows around keyword hits (or in all of ``text``).

    Searching only near the keywords is what makes the engine fast: Python's regex engine has no
    literal prefilter for patterns like ``(?i)(?:secret|token)...``. ``^`` still means a real line start,
    because ``finditer(text, pos, endpos)`` does not treat ``pos`` as a line start.
    """
    if offsets is None or window is None:
        yield from pattern.finditer(text)
        return
    before, after = window
    last_end = -1
    lo = hi = -1
    for offset in sorted(offsets):
        w_lo, w_hi = max(0, offset - before), min(len(text), offset + after)
        if w_lo <= hi:  # overlapping windows merge
            hi = max(hi, w_hi)
            continue
        if hi > lo:
            for m in pattern.finditer(text, lo, hi):
                if m.start() >= last_end:
                    last_end = max(m.end(), m.start() + 1)
                    yield m
        lo, hi = w_lo, w_hi
    if hi > lo:
        for m in pattern.finditer(text, lo, hi):
            if m.start() >= last_end:
                last_end = max(m.end(), m.start() + 1)
                yield m


def _plausible_assignment(text: str, start: int, end: int, secret: str, code: bool) -> bool:
    """Whether a generic ``name = value`` match looks like a literal secret rather than code or prose.

    A quoted value must end at its closing quote; an unquoted one must end its line (or be followed by
    a comment), and in source code only quoted literals count. Calls, member access, and words of a
    single character class (``elevated-privileges``) are not secrets.
    """
    line_start = text.rfind("\n", 0, start) + 1
    key = _KEY_BEFORE_VALUE.search(text, max(line_start, start - 200), start)
    name = (key.group(1) if key else text[max(line_start, start - 200) : start]).lower()
    if any(word in name for word in NOT_SECRET_NAMES) or name.endswith(NOT_SECRET_NAME_ENDINGS):
        return False
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    if before in "\"'`":
        if after != before:
            return False
    else:
        if code:
            return False
        rest = text[end : text.find("\n", end) if "\n" in text[end : end + 512] else end + 512].strip()
        if rest and not rest.startswith(("#", "//", ";")):
            return False
    if "::" in secret or "->" in secret or secret.endswith((".", "-")):
        return False
    classes = (
        any(c.islower() for c in secret)
        + any(c.isupper() for c in secret)
        + any(c.isdigit() for c in secret)
        + any(not c.isalnum() and c not in "-_./" for c in secret)
    )
    # Identifiers (getTokenByRangeStart, CancelToken) are letters only; real generated secrets and
    # passwords nearly always hold a digit or a symbol.
    has_digit_or_symbol = any(c.isdigit() or (not c.isalnum() and c not in "-_./") for c in secret)
    return classes >= 2 and has_digit_or_symbol


def _inline_allowed(text: str, offset: int) -> bool:
    # An inline marker on the secret's line, as detect-secrets, gitleaks and Seawall users write it.
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    line = text[start : end if end >= 0 else len(text)]
    return any(marker in line for marker in INLINE_ALLOW)


def _looks_minified(path: str, text: str) -> bool:
    if path.endswith(MINIFIED_SUFFIXES):
        return True
    if not path.endswith((".js", ".mjs", ".cjs", ".css")):
        return False
    head = text[:4096]
    return len(head) >= MINIFIED_LINE_LENGTH and "\n" not in head[:MINIFIED_LINE_LENGTH]


def _drop_overlaps(
    found: list[_Found],
) -> list[_Found]:
    # Two rules matching the same bytes (a provider rule and a generic one) give one finding: the
    # provider rule, which comes first as generic rules are ranked last.
    kept: list[_Found] = []
    for item in sorted(found, key=lambda f: (f[2].rule.generic, f[0])):
        if any(item[0] < k[1] and k[0] < item[1] for k in kept):
            continue
        kept.append(item)
    kept.sort(key=lambda f: (f[0], f[2].rule.id))
    return kept


def _render(text: str, found: list[_Found]) -> list[SecretMatch]:
    line_starts = _line_starts(text)
    lines = text.split("\n")
    masked_lines: dict[int, str] = {}
    spans: list[tuple[int, int]] = []  # 0-based first and last line of each secret
    for report_start, report_end, _, (start, end) in found:
        first, last = _line_of(line_starts, report_start), _line_of(line_starts, report_end - 1)
        spans.append((first, last))
        s_first, s_last = _line_of(line_starts, start), _line_of(line_starts, end - 1)
        masked_lines.setdefault(first, lines[first])
        for n in range(s_first, s_last + 1):
            line = masked_lines.get(n, lines[n])
            lo = max(start - line_starts[n], 0)
            hi = min(end - line_starts[n], len(lines[n]))
            if hi > lo:
                secret_part = line[lo:hi][:MAX_SECRET_CHARS]
                masked = mask(secret_part) if s_first == s_last else "*" * min(len(secret_part), 32)
                line = line[:lo] + masked.ljust(hi - lo, "*")[: hi - lo] + line[hi:]
            masked_lines[n] = line
    out: list[SecretMatch] = []
    for (first, last), (_, _, compiled, _) in zip(spans, found, strict=True):
        rule = compiled.rule
        lo, hi = max(first - CONTEXT_LINES, 0), min(last + CONTEXT_LINES, len(lines) - 1)
        context = tuple(f"{n + 1}: {_cut(masked_lines.get(n, lines[n]))}" for n in range(lo, hi + 1))
        out.append(
            SecretMatch(
                rule_id=rule.id,
                category=rule.category,
                title=rule.title,
                severity=rule.severity,
                start_line=first + 1,
                end_line=last + 1,
                match=_cut(masked_lines[first].strip()),
                context=context,
            )
        )
    return out


def _cut(line: str) -> str:
    return line if len(line) <= MAX_LINE_CHARS else line[:MAX_LINE_CHARS] + "..."


def _line_starts(text: str) -> list[int]:
    starts = [0]
    find = text.find
    i = find("\n")
    while i >= 0:
        starts.append(i + 1)
        i = find("\n", i + 1)
    return starts


def _line_of(starts: list[int], offset: int) -> int:
    return bisect.bisect_right(starts, offset) - 1
