"""JUnit XML output: one test suite per result target, one failed test case per finding.

CI systems show each finding as a failed test; a target without findings is one passing case.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from seawall.report.document import FindingSummary, Report


def _findings(result: object) -> list[FindingSummary]:
    out: list[FindingSummary] = []
    for name in ("vulnerabilities", "misconfigurations", "secrets", "malware"):
        out.extend(f.summary() for f in getattr(result, name))
    return out


def render(report: Report) -> bytes:
    """The JUnit XML document."""
    root = ET.Element("testsuites", name=report.artifact_name)
    total = failures = 0
    for result in report.results:
        findings = _findings(result)
        suite = ET.SubElement(
            root,
            "testsuite",
            name=f"[{result.type or result.result_class}] {result.target}",
            tests=str(max(len(findings), 1)),
            failures=str(len(findings)),
            errors="0",
            skipped="0",
            time="0",
        )
        if not findings:
            ET.SubElement(suite, "testcase", classname=result.target, name="no findings", time="0")
            total += 1
        for f in findings:
            case = ET.SubElement(
                suite, "testcase", classname=f.package or f.path or result.target,
                name=f"[{f.severity.name}] {f.rule_id}", time="0",
            )  # fmt: skip
            failure = ET.SubElement(
                case, "failure", message=f.title or f.rule_id, type=f.severity.name.lower()
            )
            failure.text = "\n".join(t for t in (f.message, f.help_uri, f.help_text) if t)
        total += len(findings)
        failures += len(findings)
    root.set("tests", str(total))
    root.set("failures", str(failures))
    ET.indent(root)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data + b"\n"
