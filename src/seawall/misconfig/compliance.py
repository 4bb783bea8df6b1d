"""Compliance reports: each control of a benchmark with pass, fail or manual, and the findings behind it."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from seawall.errors import UsageError
from seawall.misconfig.compliance_specs import SPECS
from seawall.misconfig.model import PSS_BASELINE, PSS_RESTRICTED, Check, MisconfigFinding

FRAMEWORKS = tuple(SPECS)


@dataclass(frozen=True, slots=True)
class ControlResult:
    """One control: its status and what decided it."""

    id: str
    title: str
    status: str  # PASS, FAIL, MANUAL
    checks: tuple[str, ...]
    findings: tuple[MisconfigFinding, ...]


@dataclass(frozen=True, slots=True)
class ComplianceReport:
    framework: str
    title: str
    controls: tuple[ControlResult, ...]

    def to_json(self) -> dict[str, Any]:
        """Trivy-like compliance JSON: ``ID``, ``Title``, ``SummaryControls`` and per-control results."""
        counts = {s: sum(1 for c in self.controls if c.status == s) for s in ("PASS", "FAIL", "MANUAL")}
        return {
            "ID": self.framework,
            "Title": self.title,
            "Summary": counts,
            "Controls": [
                {
                    "ID": c.id,
                    "Name": c.title,
                    "Status": c.status,
                    "Checks": list(c.checks),
                    "Findings": [f.to_json() | {"Target": f.file} for f in c.findings],
                }
                for c in self.controls
            ],
        }


def _mapped(framework: str, checks: Iterable[Check]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for c in checks:
        for m in c.meta.compliance:
            if m.framework == framework:
                out.setdefault(m.control, []).append(c.meta.id)
    return out


def build(
    framework: str,
    checks: Sequence[Check],
    findings: Sequence[MisconfigFinding],
    scanned_targets: Collection[str] | None = None,
) -> ComplianceReport:
    """Evaluate the controls of ``framework`` from the findings of a scan that ran ``checks``.

    A control passes only if one of its checks had something to look at (``scanned_targets``: the
    targets of the scanned objects); without evidence it stays MANUAL.
    """
    if framework not in SPECS:
        raise UsageError(f"unknown compliance {framework!r}; choose one of: {', '.join(FRAMEWORKS)}")
    title, controls = SPECS[framework]
    specs: list[tuple[str, str, str]] = [(cid, name, framework) for cid, name in controls]
    if framework == PSS_RESTRICTED:
        # The restricted profile includes every baseline control.
        specs = [(f"baseline/{cid}", name, PSS_BASELINE) for cid, name in SPECS[PSS_BASELINE][1]] + specs
    applies = {c.meta.id: c.applies_to for c in checks}
    by_fw = {fw: _mapped(fw, checks) for fw in {s[2] for s in specs}}
    results = []
    for cid, name, fw in specs:
        key = cid.removeprefix("baseline/")
        ids = by_fw[fw].get(key, [])
        hits = tuple(f for f in findings if f.check.id in ids)
        evidence = scanned_targets is None or any(set(applies[i]) & set(scanned_targets) for i in ids)
        status = "FAIL" if hits else ("PASS" if ids and evidence else "MANUAL")
        results.append(ControlResult(cid, name, status, tuple(ids), hits))
    return ComplianceReport(framework, title, tuple(results))


def render_table(report: ComplianceReport) -> str:
    """A plain-text table: control, status, checks, number of findings, then the failing findings."""
    lines = [f"{report.title} ({report.framework})", ""]
    width = max(len(c.id) for c in report.controls)
    for c in report.controls:
        checks = ",".join(c.checks) or "-"
        title = "" if c.id.endswith(c.title) else c.title  # PSS controls are named by their title
        lines.append(f"{c.id:<{width}}  {c.status:<6}  {len(c.findings):>4}  {checks:<24}  {title}".rstrip())
    summary = report.to_json()["Summary"]
    lines += ["", f"PASS: {summary['PASS']}  FAIL: {summary['FAIL']}  MANUAL: {summary['MANUAL']}"]
    for c in report.controls:
        if c.findings:
            name = c.id if c.id.endswith(c.title) else f"{c.id} {c.title}"
            lines += ["", f"{name}: {len(c.findings)} finding(s)"]
            for f in c.findings[:50]:
                where = f"{f.file}:{f.start_line}" if f.start_line else f.file
                lines.append(f"  {f.check.id} {f.severity.name:<8} {where}  {f.message}")
            if len(c.findings) > 50:
                lines.append(f"  ... {len(c.findings) - 50} more")
    return "\n".join(lines) + "\n"
