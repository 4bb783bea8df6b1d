"""The table writer prints finding text literally (no markup interpretation) and groups per target."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from seawall.model import Package, Severity
from seawall.report.document import FindingSummary, Report, Result
from seawall.report.table import render


@dataclass
class _Finding:
    severity: Severity
    message: str

    def to_json(self) -> dict[str, Any]:
        return {}

    def summary(self) -> FindingSummary:
        return FindingSummary(
            "RULE-1", "title", self.message, self.severity, path="etc/[x]/file", start_line=3
        )


def test_brackets_in_messages_are_printed_not_parsed():
    report = Report("img[/variant]", "container_image")
    report.results.append(
        Result(
            "etc/[x]/file",
            "config",
            "dockerfile",
            packages=[Package("p[/x]", "1.0")],
            misconfigurations=[_Finding(Severity.HIGH, "bad [/variant] and [bold]not bold[/bold]")],
        )
    )
    text = render(report, list_all_pkgs=True, width=200)
    assert "bad [/variant] and [bold]not bold[/bold]" in text
    assert "img[/variant]" in text
    assert "p[/x]" in text
    assert "Total: 1 (CRITICAL: 0, HIGH: 1" in text
