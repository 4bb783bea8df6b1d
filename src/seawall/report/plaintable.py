"""Fixed-width text tables for large reports: one pass over the rows, no per-cell measuring.

rich's Table measures every cell of every row (and wraps by words) before it prints; on tens of
thousands of findings that costs minutes. Here column widths come from the longest cell (capped so a
row fits ``width``) and longer cells fold onto continuation lines, which is all a large report needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# ANSI SGR codes for the rich style names the table writer uses (only when colour is asked for).
_ANSI = {
    "bold red": "1;31",
    "red": "31",
    "yellow": "33",
    "cyan": "36",
    "dim": "2",
    "bold": "1",
    "italic": "3",
}


@dataclass(frozen=True, slots=True)
class Cell:
    """One cell's text and an optional style name (a key of ``_ANSI``)."""

    text: str
    style: str = ""


def styled(text: str, style: str, color: bool) -> str:
    """``text`` wrapped in the ANSI codes of ``style`` when colour is on."""
    code = _ANSI.get(style) if color else None
    return f"\x1b[{code}m{text}\x1b[0m" if code else text


def _widths(columns: Sequence[str], rows: Sequence[Sequence[Cell]], width: int) -> list[int]:
    natural = [len(c) for c in columns]
    for row in rows:
        for i, cell in enumerate(row):
            # a cell with line breaks is as wide as its longest line
            n = max(map(len, cell.text.split("\n"))) if "\n" in cell.text else len(cell.text)
            natural[i] = max(natural[i], n)
    budget = max(width - 2 * (len(columns) - 1), len(columns) * 4)
    widths = list(natural)
    # Shrink the widest column until the row fits; no column goes below 8 characters (or its natural width).
    while sum(widths) > budget:
        i = max(range(len(widths)), key=widths.__getitem__)
        floor = min(natural[i], 8)
        if widths[i] <= floor:
            break
        widths[i] = max(floor, widths[i] - max(1, sum(widths) - budget))
    return widths


def _fold(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for line in text.split("\n"):
        if len(line) <= width:
            lines.append(line)
        else:
            lines.extend(line[i : i + width] for i in range(0, len(line), width))
    return lines


def render_plain(
    columns: Sequence[str],
    rows: Sequence[Sequence[Cell]],
    width: int = 160,
    color: bool = False,
    right: frozenset[int] = frozenset(),
) -> str:
    """The rows as fixed-width text under a header and a rule; ``right`` lists right-aligned columns."""
    widths = _widths(columns, rows, width)
    out: list[str] = []

    def emit(cells: Sequence[Cell]) -> None:
        folded = [_fold(c.text, w) for c, w in zip(cells, widths, strict=True)]
        height = max(len(f) for f in folded)
        for n in range(height):
            parts = []
            for i, (cell, lines, w) in enumerate(zip(cells, folded, widths, strict=True)):
                text = lines[n] if n < len(lines) else ""
                pad = " " * (w - len(text))
                text = styled(text, cell.style, color) if text else text
                parts.append(pad + text if i in right else text + pad)
            out.append("  ".join(parts).rstrip())

    emit([Cell(c, "bold") for c in columns])
    out.append("  ".join("-" * w for w in widths))
    for row in rows:
        emit(row)
    return "\n".join(out) + "\n"
