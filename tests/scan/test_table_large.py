"""Large reports are written as fixed-width text (fast), small ones keep their rich tables."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from seawall.model import Severity
from seawall.report.document import FindingSummary, Report, Result
from seawall.report.table import LARGE_REPORT, render

SEVERITIES = [Severity.LOW, Severity.CRITICAL, Severity.MEDIUM, Severity.HIGH]


@dataclass
class _Finding:
    rule: str
    severity: Severity
    message: str
    installed: str = ""

    def to_json(self) -> dict[str, Any]:
        return {}

    def summary(self) -> FindingSummary:
        return FindingSummary(
            self.rule,
            "title of " + self.rule,
            self.message,
            self.severity,
            package="pkg@1" if self.installed else "",
            path="deploy/app.yaml",
            start_line=7,
            installed_version=self.installed,
            fixed_version="2.0" if self.installed else "",
        )


def _report(findings_per_result: int, results: int, installed: str = "") -> Report:
    report = Report("cluster[/prod]", "kubernetes")
    for r in range(results):
        found: list[Any] = [
            _Finding(f"K8S{r:03d}-{i:04d}", SEVERITIES[i % 4], f"msg {r}/{i} [bold]literal[/bold]", installed)
            for i in range(findings_per_result)
        ]
        report.results.append(
            Result(f"Deployment/ns-{r}/app", "kubernetes", "config", misconfigurations=found)
        )
    return report


def test_large_report_is_plain_text_with_every_finding() -> None:
    report = _report(findings_per_result=600, results=5)
    text = render(report, width=120)
    assert "│" not in text and "┃" not in text  # no rich box drawing: the fixed-width writer ran
    for r in report.results:
        for f in r.misconfigurations:
            assert f.rule in text  # type: ignore[attr-defined]
    assert "msg 3/599 [bold]literal[/bold]" in text  # printed literally, never parsed as markup
    assert "cluster[/prod]" in text
    assert text.count("Total: 600 (CRITICAL: 150, HIGH: 150, MEDIUM: 150, LOW: 150, UNKNOWN: 0)") == 5
    assert all(len(line) <= 120 for line in text.splitlines())
    # the summary lists every target; findings are ordered worst first within a target
    assert text.count("Deployment/ns-") >= 10
    first = text.split("— Misconfigurations")[1].splitlines()
    header = next(i for i, line in enumerate(first) if line.startswith("Severity"))
    assert first[header + 1].startswith("-")
    assert first[header + 2].startswith("CRITICAL")
    assert first[header + 151].startswith("CRITICAL") and first[header + 152].startswith("HIGH")


def test_plain_columns_align_and_long_cells_fold() -> None:
    report = _report(findings_per_result=LARGE_REPORT + 1, results=1)
    long = "x" * 300
    report.results[0].misconfigurations.append(_Finding("K8S999-LONG", Severity.CRITICAL, long))
    text = render(report, width=100)
    lines = text.splitlines()
    assert all(len(line) <= 100 for line in lines)
    start = next(i for i, line in enumerate(lines) if "K8S999-LONG" in line)
    column = lines[start].index("x")
    # the 300-character detail continues on the next lines, in the same column
    pieces = [lines[start][column:]]
    for line in lines[start + 1 :]:
        if line[:column].strip():
            break
        pieces.append(line[column:])
    assert "".join(pieces) == long
    # every data row puts its ID at the same column as the header's "ID"
    id_col = next(line for line in lines if line.startswith("Severity")).index("ID")
    rows = [line for line in lines if re.search(r"K8S000-\d{4}", line)]
    assert len(rows) == LARGE_REPORT + 1
    assert all(line.index("K8S000-") == id_col for line in rows)


def test_small_report_keeps_rich_tables() -> None:
    report = _report(findings_per_result=10, results=3)
    text = render(report, width=120)
    assert "┃" in text or "│" in text
    assert "K8S002-0009" in text


def test_large_vulnerability_report_uses_trivy_columns_and_colour() -> None:
    report = _report(findings_per_result=LARGE_REPORT + 10, results=1, installed="1.0")
    text = render(report, width=160, color=True)
    assert "│" not in text
    header = next(
        line for line in text.splitlines() if "Vulnerability" in line and "Installed Version" in line
    )
    assert "Library" in header and "Fixed Version" in header
    assert "\x1b[1;31mCRITICAL\x1b[0m" in text  # the severity styles of the rich tables, as ANSI codes
    plain = render(report, width=160)
    assert "\x1b[" not in plain
