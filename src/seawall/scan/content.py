"""Secret and malware findings in Trivy's ``Secrets[]`` shape (and Seawall's ``Malware[]`` in the same style).

Built from the merged inventory's located content findings: each carries its layer and, when a later
layer deleted the file, ``Deleted: true`` (the bytes are still in the image).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from seawall.model import ContentFinding, LayerRef, LocatedFinding, Severity
from seawall.report.document import FindingSummary

HELP = {
    "secret": "Remove the secret from every layer (deleting it in a later layer does not remove it), "
    "and rotate it: anyone who pulled the image has it.",
    "malware": "Find out how this file got into the image, rebuild from a trusted base, and scan the build "
    "pipeline.",
    "file": "Check whether the file needs these permissions or this location; remove or fix it in the build.",
}


@dataclass(frozen=True, slots=True)
class ContentResultFinding:
    """One secret, malware or dangerous-file finding placed in a report result."""

    finding: ContentFinding
    layer: LayerRef = field(default_factory=LayerRef)
    deleted: bool = False

    @classmethod
    def of(cls, located: LocatedFinding) -> ContentResultFinding:
        """The report finding for a located content finding."""
        return cls(located.finding, located.layer, located.deleted)

    @property
    def severity(self) -> Severity:
        """The severity as the enum the writers sort and filter by."""
        return Severity.parse(self.finding.severity)

    def code_lines(self) -> list[dict[str, Any]]:
        """Trivy's ``Code.Lines``: the masked lines around the secret, the secret's own marked as cause."""
        f = self.finding
        lines: list[dict[str, Any]] = []
        for entry in f.context:
            number_text, _, content = entry.partition(": ")
            try:
                number = int(number_text)
            except ValueError:
                continue
            cause = f.start_line <= number <= f.end_line
            lines.append(
                {
                    "Number": number,
                    "Content": content,
                    "IsCause": cause,
                    "Annotation": "",
                    "Truncated": content.endswith("..."),
                    "Highlighted": content,
                    "FirstCause": cause and number == f.start_line,
                    "LastCause": cause and number == f.end_line,
                }
            )
        return lines

    def to_json(self) -> dict[str, Any]:
        """Trivy's ``Secrets[]`` entry (secrets) or Seawall's ``Malware[]`` entry in the same style."""
        f = self.finding
        d: dict[str, Any] = {
            "RuleID": f.rule_id,
            "Category": f.category,
            "Severity": self.severity.name,
            "Title": f.title,
        }
        if f.kind == "secret":
            d["StartLine"] = f.start_line
            d["EndLine"] = f.end_line
            d["Code"] = {"Lines": self.code_lines()}
            d["Match"] = f.match
        else:
            d["Kind"] = f.kind
            d["Path"] = f.path
            if f.detail:
                d["Detail"] = dict(f.detail)
        if self.layer.diff_id or self.layer.digest:
            layer: dict[str, str] = {}
            if self.layer.digest:
                layer["Digest"] = self.layer.digest
            if self.layer.diff_id:
                layer["DiffID"] = self.layer.diff_id
            if self.layer.created_by:
                layer["CreatedBy"] = self.layer.created_by
            d["Layer"] = layer
        if self.deleted:
            d["Deleted"] = True
        return d

    def summary(self) -> FindingSummary:
        """The format-neutral view used by the table, SARIF and JUnit writers."""
        f = self.finding
        where = f"{f.path}:{f.start_line}" if f.start_line else f.path
        gone = " (deleted in a later layer, but still in the image)" if self.deleted else ""
        layer = f" Layer: {self.layer.diff_id[:19]}." if self.layer.diff_id else ""
        match = f" Match: {f.match}" if f.match else ""
        kind = {"secret": "secret", "malware": "malware"}.get(f.kind, "dangerous file")
        return FindingSummary(
            rule_id=f.rule_id,
            title=f.title,
            message=f"{f.title} in {where}{gone}.{layer}{match}",
            severity=self.severity,
            path=f.path,
            start_line=f.start_line,
            end_line=f.end_line,
            help_text=HELP.get(f.kind, ""),
            kind=kind,
        )
