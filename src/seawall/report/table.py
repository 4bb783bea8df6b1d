"""The human-readable report: a summary per target, then findings (and packages on request).

Small reports are rich tables; a report of more than ``LARGE_REPORT`` rows is written as fixed-width
text (seawall.report.plaintable), because rich measures every cell and took a minute for 45,000 findings.
"""

from __future__ import annotations

import io
from collections import Counter

from rich.console import Console
from rich.table import Table
from rich.text import Text

from seawall.model import Severity
from seawall.report.document import FindingSummary, Report, Result
from seawall.report.plaintable import Cell, render_plain, styled

SEVERITY_STYLE = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.UNKNOWN: "dim",
}
ORDER = [Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.UNKNOWN]
# Table rows (summary, findings, packages) above which the whole report is written as plain text.
LARGE_REPORT = 2000

Rows = list[list[Cell]]


def _findings(r: Result) -> list[tuple[str, list[object]]]:
    return [
        ("Vulnerabilities", list(r.vulnerabilities)),
        ("Misconfigurations", list(r.misconfigurations)),
        ("Secrets", list(r.secrets)),
        ("Malware", list(r.malware)),
    ]


def _severity_line(findings: list[object]) -> str:
    counts = Counter(getattr(f, "severity", Severity.UNKNOWN) for f in findings)
    total = sum(counts.values())
    parts = ", ".join(f"{s.name}: {counts.get(s, 0)}" for s in ORDER)
    return f"Total: {total} ({parts})"


def render(report: Report, list_all_pkgs: bool = False, width: int = 160, color: bool = False) -> str:
    """Render the report as text tables (fixed-width text when it has more than LARGE_REPORT rows)."""
    rows = len(report.results) + sum(len(f) for r in report.results for _, f in _findings(r))
    if list_all_pkgs:
        rows += sum(len(r.packages) for r in report.results)
    if rows > LARGE_REPORT:
        return _render_plain(report, list_all_pkgs, width, color)
    buf = io.StringIO()
    console = Console(file=buf, width=width, force_terminal=color, no_color=not color, highlight=False)
    console.print(Text(_header(report), style="bold"))
    if report.image is not None:
        console.print(Text(_image_line(report)))
    console.print(_rich_table(*_summary(report), title="Summary"))
    for r in report.results:
        for title, findings in _findings(r):
            if not findings:
                continue
            console.print()
            console.print(Text(f"{r.target} ({r.type or r.result_class}) — {title}", style="bold"))
            console.print(_severity_line(findings))
            console.print(_rich_table(*_finding_rows(findings)))
        if list_all_pkgs and r.packages:
            console.print()
            console.print(Text(f"{r.target} ({r.type}) — Packages: {len(r.packages)}", style="bold"))
            console.print(_rich_table(*_package_rows(r)))
    for note in report.notes:
        console.print()
        console.print(Text(note, style="italic"))
    return buf.getvalue()


def _render_plain(report: Report, list_all_pkgs: bool, width: int, color: bool) -> str:
    """The same sections as ``render``, each table as fixed-width text."""
    out = [styled(_header(report), "bold", color) + "\n"]
    if report.image is not None:
        out.append(_image_line(report) + "\n")
    columns, rows, right = _summary(report)
    out.append("\nSummary\n" + render_plain(columns, rows, width, color, right))
    for r in report.results:
        for title, findings in _findings(r):
            if not findings:
                continue
            head = styled(f"{r.target} ({r.type or r.result_class}) — {title}", "bold", color)
            out.append(f"\n{head}\n{_severity_line(findings)}\n")
            out.append(render_plain(*_finding_rows(findings), width=width, color=color))
        if list_all_pkgs and r.packages:
            head = styled(f"{r.target} ({r.type}) — Packages: {len(r.packages)}", "bold", color)
            out.append(f"\n{head}\n" + render_plain(*_package_rows(r), width=width, color=color))
    for note in report.notes:
        out.append("\n" + styled(note, "italic", color) + "\n")
    return "".join(out)


def _header(report: Report) -> str:
    header = report.artifact_name
    if report.os is not None:
        header += f" ({report.os.family} {report.os.name})"
    return header


def _image_line(report: Report) -> str:
    img = report.image
    assert img is not None
    return f"Image ID: {img.image_id}  Layers: {len(img.diff_ids)}  Size: {_size(img.size)}"


def _summary(report: Report) -> tuple[tuple[str, ...], Rows, frozenset[int]]:
    columns = ("Target", "Type", "Packages", "Vulnerabilities", "Misconfigurations", "Secrets", "Malware")
    rows = [
        [
            Cell(r.target),
            Cell(r.type or r.result_class),
            Cell(str(len(r.packages)) if r.packages else "-"),
            *(Cell(str(len(f)) if f else "-") for _, f in _findings(r)),
        ]
        for r in report.results
    ]
    if not report.results:
        rows.append([Cell("(nothing detected)"), *(Cell("") for _ in range(6))])
    return columns, rows, frozenset(range(2, 7))


def _rich_table(
    columns: tuple[str, ...], rows: Rows, right: frozenset[int] = frozenset(), title: str | None = None
) -> Table:
    """A rich Table of the rows; cells are Text, so brackets in findings are printed, not parsed as markup."""
    table = Table(title=title, title_justify="left", show_lines=False)
    for i, col in enumerate(columns):
        if title is None:
            table.add_column(col, overflow="fold")
        else:
            table.add_column(col, justify="right" if i in right else "left")
    for row in rows:
        table.add_row(*(Text(c.text, style=c.style) for c in row))
    return table


def _finding_rows(findings: list[object]) -> tuple[tuple[str, ...], Rows]:
    rows = [f.summary() for f in findings]  # type: ignore[attr-defined]
    rows.sort(key=lambda s: (-int(s.severity), s.package or s.path, s.rule_id))
    if rows and all(s.installed_version for s in rows):
        return _vulnerability_rows(rows)
    out: Rows = []
    for s in rows:
        where = s.package or (f"{s.path}:{s.start_line}" if s.start_line else s.path)
        out.append(
            [
                Cell(s.severity.name, SEVERITY_STYLE[s.severity]),
                Cell(s.rule_id),
                Cell(where),
                Cell(s.message or s.title),
            ]
        )
    return ("Severity", "ID", "Package / File", "Detail"), out


def _vulnerability_rows(rows: list[FindingSummary]) -> tuple[tuple[str, ...], Rows]:
    """Trivy's vulnerability columns, plus the layer that installed the package."""
    cols = (
        "Library",
        "Vulnerability",
        "Severity",
        "Status",
        "Installed Version",
        "Fixed Version",
        "Layer",
        "Title",
    )
    out: Rows = [
        [
            Cell(s.package.rsplit("@", 1)[0]),
            Cell(s.rule_id),
            Cell(s.severity.name, SEVERITY_STYLE[s.severity]),
            Cell(s.status),
            Cell(s.installed_version),
            Cell(s.fixed_version),
            Cell(s.layer),
            Cell(s.title),
        ]
        for s in rows
    ]
    return cols, out


def _package_rows(r: Result) -> tuple[tuple[str, ...], Rows]:
    out: Rows = []
    for p in r.packages:
        src = f"{p.src_name} {p.src_full_version}" if p.src_name and p.src_name != p.name else ""
        out.append(
            [Cell(p.name), Cell(p.full_version), Cell(src), Cell(p.layer.diff_id[7:19]), Cell(p.file_path)]
        )
    return ("Name", "Version", "Source", "Layer", "Path"), out


def _size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"
