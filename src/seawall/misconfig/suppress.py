"""Suppressions: inline ``# seawall:ignore:<ID> <reason>`` comments, the ignore file, ``--skip-checks``."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from seawall.errors import UsageError
from seawall.misconfig.model import ConfigObject, MisconfigFinding

_INLINE = re.compile(r"#\s*seawall:ignore:([A-Za-z0-9_*-]+)")
_EXP = re.compile(r"exp:(\d{4}-\d{2}-\d{2})")


@dataclass(frozen=True, slots=True)
class Suppressions:
    """Check ids ignored everywhere (ignore file) plus inline comments read from each object's source."""

    ignored_ids: frozenset[str] = frozenset()

    def suppressed(self, finding: MisconfigFinding, obj: ConfigObject) -> bool:
        """True when the ignore file or an inline comment covers this finding."""
        if finding.check.id in self.ignored_ids:
            return True
        return inline_suppressed(finding, obj)


_MARKERS: dict[int, tuple[tuple[str, ...], bool]] = {}


def _has_marker(lines: tuple[str, ...]) -> bool:
    """Whether a file has any inline suppression at all: checked once per file, not once per finding
    (every object of a file shares one ``lines`` tuple, so its identity is the key)."""
    hit = _MARKERS.get(id(lines))
    if hit is not None and hit[0] is lines:
        return hit[1]
    if len(_MARKERS) > 256:
        _MARKERS.clear()
    found = any("seawall:ignore" in line for line in lines)
    _MARKERS[id(lines)] = (lines, found)
    return found


def inline_suppressed(finding: MisconfigFinding, obj: ConfigObject) -> bool:
    """An inline comment covers a finding when it is on its first line, on the comment lines just
    above it, or in the comment block that opens the object's document (file-wide for Dockerfiles)."""
    if not obj.lines or not _has_marker(obj.lines):
        return False
    wanted = finding.check.id
    if finding.start_line:
        # The finding's own line (a trailing comment) and the comment block directly above it.
        line = finding.start_line - 1
        if _ids_on(obj.lines, line) & {wanted, "*"}:
            return True
        line -= 1
        while line >= 0 and obj.lines[line].lstrip().startswith("#"):
            if _ids_on(obj.lines, line) & {wanted, "*"}:
                return True
            line -= 1
    # The comment block just above the object's first line covers every finding in the object.
    first = obj.locate(())[0] if obj.positions else _first_content_line(obj.lines)
    index = first - 2
    while index >= 0:
        text = obj.lines[index].strip()
        if text and not text.startswith("#"):
            break
        if _ids_on(obj.lines, index) & {wanted, "*"}:
            return True
        index -= 1
    return False


def _first_content_line(lines: tuple[str, ...]) -> int:
    for index, text in enumerate(lines):
        stripped = text.strip()
        if stripped and not stripped.startswith("#"):
            return index + 1
    return len(lines) + 1


def _ids_on(lines: tuple[str, ...], index: int) -> set[str]:
    if index < 0 or index >= len(lines):
        return set()
    return {m.group(1) for m in _INLINE.finditer(lines[index])}


def load_ignore_file(path: Path, today: dt.date | None = None) -> frozenset[str]:
    """Check ids from an ignore file (Trivy's ``.trivyignore`` format: one id per line, ``#`` comments,
    optional ``exp:YYYY-MM-DD`` after which the entry no longer applies)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read ignore file {path}: {exc}") from exc
    day = today or dt.date.today()
    ids: set[str] = set()
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        words = line.split()
        exp = _EXP.search(line)
        if exp:
            try:
                if dt.date.fromisoformat(exp.group(1)) < day:
                    continue
            except ValueError as exc:
                raise UsageError(f"{path}: bad expiry date in {raw.strip()!r}") from exc
        ids.add(words[0])
    return frozenset(ids)
