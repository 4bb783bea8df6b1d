"""The human-readable report: a summary per target, then findings (and packages on request)."""

from __future__ import annotations

import io
from collections import Counter

from rich.console import Console
from rich.table import Table
from rich.text import Text

from seawall.model import Severity
from seawall.report.document import FindingSummary, Report, Result

SEVERITY_STYLE = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.UNKNOWN: "dim",
}
ORDER = [Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.UNKNOWN]


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
    """Render the report as text tables."""
    buf = io.StringIO()
    console = Console(file=buf, width=width, force_terminal=color, no_color=not color, highlight=False)
    header = report.artifact_name
    if report.os is not None:
        header += f" ({report.os.family} {report.os.name})"
    console.print(Text(header, style="bold"))
    if report.image is not None:
        img = report.image
        console.print(Text(f"Image ID: {img.image_id}  Layers: {len(img.diff_ids)}  Size: {_size(img.size)}"))
    summary = Table(title="Summary", title_justify="left", show_lines=False)
    for col in ("Target", "Type", "Packages", "Vulnerabilities", "Misconfigurations", "Secrets", "Malware"):
        summary.add_column(col, justify="right" if col not in ("Target", "Type") else "left")
    for r in report.results:
        summary.add_row(
            Text(r.target),
            r.type or r.result_class,
            str(len(r.packages)) if r.packages else "-",
            *(str(len(f)) if f else "-" for _, f in _findings(r)),
        )
    if not report.results:
        summary.add_row("(nothing detected)", "", "", "", "", "", "")
    console.print(summary)
    for r in report.results:
        for title, findings in _findings(r):
            if not findings:
                continue
            console.print()
            console.print(Text(f"{r.target} ({r.type or r.result_class}) — {title}", style="bold"))
            console.print(_severity_line(findings))
            console.print(_finding_table(findings))
        if list_all_pkgs and r.packages:
            console.print()
            console.print(Text(f"{r.target} ({r.type}) — Packages: {len(r.packages)}", style="bold"))
            console.print(_package_table(r))
    for note in report.notes:
        console.print()
        console.print(Text(note, style="italic"))
    return buf.getvalue()


def _finding_table(findings: list[object]) -> Table:
    table = Table(show_lines=False)
    rows = [f.summary() for f in findings]  # type: ignore[attr-defined]
    rows.sort(key=lambda s: (-int(s.severity), s.package or s.path, s.rule_id))
    if rows and all(s.installed_version for s in rows):
        return _vulnerability_table(table, rows)
    for col in ("Severity", "ID", "Package / File", "Detail"):
        table.add_column(col, overflow="fold")
    for s in rows:
        where = s.package or (f"{s.path}:{s.start_line}" if s.start_line else s.path)
        table.add_row(
            Text(s.severity.name, style=SEVERITY_STYLE[s.severity]),
            Text(s.rule_id),
            Text(where),
            Text(s.message or s.title),
        )
    return table


def _vulnerability_table(table: Table, rows: list[FindingSummary]) -> Table:
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
    for col in cols:
        table.add_column(col, overflow="fold")
    for s in rows:
        table.add_row(
            Text(s.package.rsplit("@", 1)[0]),
            Text(s.rule_id),
            Text(s.severity.name, style=SEVERITY_STYLE[s.severity]),
            Text(s.status),
            Text(s.installed_version),
            Text(s.fixed_version),
            Text(s.layer),
            Text(s.title),
        )
    return table


def _package_table(r: Result) -> Table:
    table = Table(show_lines=False)
    for col in ("Name", "Version", "Source", "Layer", "Path"):
        table.add_column(col, overflow="fold")
    for p in r.packages:
        src = f"{p.src_name} {p.src_full_version}" if p.src_name and p.src_name != p.name else ""
        table.add_row(Text(p.name), Text(p.full_version), Text(src), p.layer.diff_id[7:19], Text(p.file_path))
    return table


def _size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"
