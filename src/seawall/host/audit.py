"""Run the host checks over a snapshot; build the CIS Docker compliance view and the scan report."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from seawall.host.cis import CONTROLS, SECTIONS
from seawall.host.snapshot import HostSnapshot
from seawall.host.versions import RuntimeVulns
from seawall.misconfig.checks.host import (
    ERROR,
    FAIL,
    MANUAL,
    NA,
    PASS,
    STATUSES,
    WARN,
    HostCheck,
    Outcome,
    container_name,
    host_checks,
)
from seawall.misconfig.model import DOCKER_CIS, CheckMeta, MisconfigFinding
from seawall.report.document import JSONFinding, Report, Result

REPORTED = (FAIL, WARN, ERROR)  # statuses that become findings in the scan report
# CIS controls that are about images (section 4, checked by `seawall image`/`config`) or swarm.
OUT_OF_SCOPE = {"4": "image control: scan images with `seawall image` / Dockerfiles with `seawall config`"}


@dataclass(frozen=True, slots=True)
class CheckedOutcome:
    """An outcome with the check that produced it."""

    check: CheckMeta
    outcome: Outcome

    def finding(self) -> MisconfigFinding:
        """The outcome as a misconfiguration finding (Trivy's shape, with its status)."""
        o = self.outcome
        return MisconfigFinding(
            check=self.check,
            # The shared table writer renders messages as rich markup: no square brackets in them.
            message=_plain(f"{o.message} ({o.evidence})" if o.evidence else o.message),
            file=o.subject,
            resource=f"CIS {o.control}" if o.control else "",
            json_path=o.evidence,
            status=o.status,
        )


def _plain(text: str) -> str:
    return text.replace("[", "(").replace("]", ")")


@dataclass(frozen=True, slots=True)
class HostAudit:
    """Every outcome of a host audit, in check order."""

    snapshot: HostSnapshot
    outcomes: tuple[CheckedOutcome, ...]

    def for_control(self, control: str) -> list[CheckedOutcome]:
        """The outcomes deciding one CIS control."""
        return [o for o in self.outcomes if o.outcome.control == control]


def run_audit(
    snap: HostSnapshot,
    skip: Iterable[str] = (),
    checks: Sequence[HostCheck] | None = None,
    runtime: RuntimeVulns | None = None,
) -> HostAudit:
    """Evaluate host checks once and container checks once per running container."""
    skipped = set(skip)
    selected = [c for c in (checks or list(host_checks().values())) if c.meta.id not in skipped]
    containers = snap.engine.containers if snap.engine is not None and not snap.engine.error else ()
    outcomes: list[CheckedOutcome] = []
    for check in selected:
        if check.scope == "container":
            if snap.engine is None or snap.engine.error:
                why = snap.engine.error if snap.engine else "no engine API (offline audit)"
                status = ERROR if snap.engine else NA
                outcomes += [
                    CheckedOutcome(check.meta, Outcome(c, status, why, "", "containers"))
                    for c in check.controls
                ]
                continue
            if not containers:
                outcomes += [
                    CheckedOutcome(check.meta, Outcome(c, NA, "no running containers", "", "containers"))
                    for c in check.controls
                ]
            for container in containers:
                outcomes += [CheckedOutcome(check.meta, o) for o in check.run(snap, container)]
        else:
            outcomes += [CheckedOutcome(check.meta, o) for o in check.run(snap, runtime=runtime)]
    return HostAudit(snap, tuple(outcomes))


def control_status(outcomes: Sequence[CheckedOutcome]) -> str:
    """The worst status among a control's outcomes; MANUAL when no check decides it."""
    statuses = {o.outcome.status for o in outcomes}
    for status in STATUSES:
        if status in statuses:
            return status
    return MANUAL


def compliance_json(audit: HostAudit) -> dict[str, Any]:
    """The ``--compliance docker-cis`` report: the shape of ``seawall config --compliance`` (ID, Title,
    Summary, Controls[ID, Name, Status, Checks, Findings]) plus every outcome with its evidence."""
    controls = []
    swarm_inactive = _swarm_inactive(audit.snapshot)
    for control in CONTROLS:
        found = audit.for_control(control.id)
        status = control_status(found)
        note = ""
        if not found and control.section in OUT_OF_SCOPE:
            note = OUT_OF_SCOPE[control.section]
        elif not found and control.section == "7":
            status, note = (
                (NA, "swarm mode is not active") if swarm_inactive else (MANUAL, "swarm: review manually")
            )
        controls.append(
            {
                "ID": control.id,
                "Name": control.title,
                "Section": SECTIONS[control.section],
                "Status": status,
                "Checks": sorted({o.check.id for o in found}),
                "Note": note,
                "Results": [
                    {
                        "Subject": o.outcome.subject,
                        "Status": o.outcome.status,
                        "Message": o.outcome.message,
                        "Evidence": o.outcome.evidence,
                        "Check": o.check.id,
                    }
                    for o in found
                ],
                "Findings": [
                    o.finding().to_json() | {"Target": o.outcome.subject}
                    for o in found
                    if o.outcome.status == FAIL
                ],
            }
        )
    summary = {s: sum(1 for c in controls if c["Status"] == s) for s in (PASS, FAIL, WARN, ERROR, MANUAL, NA)}
    return {
        "ID": DOCKER_CIS,
        "Title": "CIS Docker Benchmark v1.6.0 (host audit: sections 1-7)",
        "Summary": summary,
        "Controls": controls,
    }


def _swarm_inactive(snap: HostSnapshot) -> bool:
    if snap.engine is None or snap.engine.error:
        return True
    swarm = snap.engine.info.get("Swarm")
    return not (isinstance(swarm, dict) and swarm.get("LocalNodeState") == "active")


def render_compliance_table(report: dict[str, Any]) -> str:
    """Plain-text compliance table, then the failing and erroring results with their evidence."""
    lines = [f"{report['Title']} ({report['ID']})", ""]
    for c in report["Controls"]:
        checks = ",".join(c["Checks"]) or "-"
        lines.append(f"{c['ID']:<7} {c['Status']:<14} {checks:<18} {c['Name']}")
    s = report["Summary"]
    lines += ["", "  ".join(f"{k}: {v}" for k, v in s.items())]
    for c in report["Controls"]:
        bad = [r for r in c["Results"] if r["Status"] in (FAIL, ERROR, WARN)]
        if bad:
            lines += ["", f"{c['ID']} {c['Name']}"]
            for r in bad[:50]:
                ev = f"  [{r['Evidence']}]" if r["Evidence"] else ""
                lines.append(f"  {r['Status']:<5} {r['Subject']}: {r['Message']}{ev}")
            if len(bad) > 50:
                lines.append(f"  ... {len(bad) - 50} more")
    return "\n".join(lines) + "\n"


def build_report(audit: HostAudit, artifact_name: str, include_passed: bool = False) -> Report:
    """The scan report: one result per subject (host engine, file, container) with its findings."""
    report = Report(artifact_name=artifact_name, artifact_type="host")
    by_subject: dict[str, list[JSONFinding]] = {}
    for o in audit.outcomes:
        if include_passed or o.outcome.status in REPORTED:
            by_subject.setdefault(o.outcome.subject, []).append(o.finding())
    for subject, findings in by_subject.items():
        report.results.append(
            Result(target=subject, result_class="config", type="host", misconfigurations=findings)
        )
    report.notes.extend(audit.snapshot.notes)
    return report


def compliance_report(audit: HostAudit, artifact_name: str) -> Report:
    """The compliance view as a scan report (for SARIF/JUnit): one result per failing or erroring control."""
    report = Report(artifact_name=artifact_name, artifact_type="host")
    for control in CONTROLS:
        found = [o for o in audit.for_control(control.id) if o.outcome.status in REPORTED]
        if found:
            report.results.append(
                Result(
                    target=f"CIS {control.id} {control.title}",
                    result_class="config",
                    type="host",
                    misconfigurations=[o.finding() for o in found],
                )
            )
    return report


__all__ = ["HostAudit", "build_report", "compliance_json", "container_name", "run_audit"]
