"""SARIF 2.1.0 output, generic over every scanner's findings (through ``FindingSummary``).

One rule per finding id, one result per finding located at the target file (a package's file, a
config file, a secret's line). Levels follow Trivy: CRITICAL/HIGH -> error, MEDIUM -> warning,
LOW/UNKNOWN -> note; ``security-severity`` carries the numeric score GitHub code scanning sorts by.
"""

from __future__ import annotations

from typing import Any

import orjson

from seawall import __version__
from seawall.model import Severity
from seawall.report.document import FindingSummary, Report

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.UNKNOWN: "note",
}
_SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "2.0",
    Severity.UNKNOWN: "0.0",
}


def _summaries(report: Report) -> list[tuple[str, FindingSummary]]:
    out: list[tuple[str, FindingSummary]] = []
    for result in report.results:
        for group in (result.vulnerabilities, result.misconfigurations, result.secrets, result.malware):
            out.extend((result.target, f.summary()) for f in group)
    return out


def _uri(path: str) -> str:
    # SARIF wants a relative URI reference; image paths have no leading slash in Trivy's reports.
    return path.lstrip("/").replace(" ", "%20") or "."


def build(report: Report) -> dict[str, Any]:
    """The SARIF log as a dict."""
    rules: dict[str, dict[str, Any]] = {}
    results: list[dict[str, Any]] = []
    for target, s in _summaries(report):
        if s.rule_id not in rules:
            rule: dict[str, Any] = {
                "id": s.rule_id,
                "name": s.kind.title().replace(" ", "") or "Finding",
                "shortDescription": {"text": s.title or s.rule_id},
                "fullDescription": {"text": s.help_text or s.title or s.rule_id},
                "defaultConfiguration": {"level": _LEVEL[s.severity]},
                "help": {"text": s.help_text or s.message, "markdown": s.help_text or s.message},
                "properties": {
                    "precision": "very-high",
                    "security-severity": _SECURITY_SEVERITY[s.severity],
                    "tags": [t for t in (s.kind, "security", s.severity.name) if t],
                },
            }
            if s.help_uri:
                rule["helpUri"] = s.help_uri
            rules[s.rule_id] = rule
        start = max(s.start_line, 1)
        region = {"startLine": start, "startColumn": 1, "endLine": max(s.end_line, start), "endColumn": 1}
        results.append(
            {
                "ruleId": s.rule_id,
                "ruleIndex": list(rules).index(s.rule_id),
                "level": _LEVEL[s.severity],
                "message": {"text": s.message},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": _uri(s.path or target), "uriBaseId": "ROOTPATH"},
                            "region": region,
                        },
                        "message": {"text": f"{target}: {s.package}" if s.package else target},
                    }
                ],
            }
        )
    return {
        "version": "2.1.0",
        "$schema": SCHEMA_URI,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "fullName": "Seawall container security scanner",
                        "informationUri": "https://github.com/seawall/seawall",
                        "name": "Seawall",
                        "rules": list(rules.values()),
                        "version": __version__,
                    }
                },
                "results": results,
                "columnKind": "utf16CodeUnits",
                "originalUriBaseIds": {"ROOTPATH": {"uri": "file:///"}},
                "properties": {"artifactName": report.artifact_name, "artifactType": report.artifact_type},
            }
        ],
    }


def render(report: Report) -> bytes:
    """The SARIF log as indented JSON."""
    return orjson.dumps(build(report), option=orjson.OPT_INDENT_2) + b"\n"
