"""The vulnerability finding: one flaw in one installed package, in Trivy's ``Vulnerabilities[]`` shape."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from seawall.model import LayerRef, Severity
from seawall.report.document import FindingSummary

STATUSES = ("fixed", "affected", "will_not_fix", "fix_deferred", "end_of_life", "not_affected", "unknown")


@dataclass(frozen=True, slots=True)
class KEVInfo:
    """CISA Known Exploited Vulnerabilities membership."""

    date_added: str
    due_date: str
    ransomware: str = ""
    name: str = ""


@dataclass(frozen=True, slots=True)
class EPSSInfo:
    """FIRST EPSS exploit prediction score (0..1) and percentile (0..1)."""

    score: float
    percentile: float
    date: str = ""


@dataclass(frozen=True, slots=True)
class DetectedVulnerability:
    """One advisory (aliases merged) affecting one installed package in one result target."""

    vulnerability_id: str  # CVE id when one exists, else GHSA/PYSEC/GO/MAL...
    pkg_name: str
    installed_version: str
    target: str
    severity: Severity = Severity.UNKNOWN
    severity_source: str = ""
    fixed_version: str = ""
    status: str = "affected"
    pkg_id: str = ""
    purl: str = ""
    pkg_path: str = ""
    layer: LayerRef = field(default_factory=LayerRef)
    title: str = ""
    description: str = ""
    references: tuple[str, ...] = ()
    primary_url: str = ""
    aliases: tuple[str, ...] = ()  # every other id of the same flaw (GHSA, PYSEC, GO, DEBIAN ...)
    data_source: str = ""  # the advisory record the finding was taken from
    vendor_severity: Mapping[str, int] = field(default_factory=dict)
    cvss: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    published: str = ""
    last_modified: str = ""
    kev: KEVInfo | None = None
    epss: EPSSInfo | None = None
    malicious: bool = False
    suppressed_by: str = ""  # set on findings a VEX statement or ignore rule removed
    justification: str = ""

    def risk(self) -> tuple[int, float, int]:
        """Sort key for ``--sort risk``: KEV first, then EPSS score, then severity (higher is riskier)."""
        return (
            1 if self.kev or self.malicious else 0,
            self.epss.score if self.epss else 0.0,
            int(self.severity),
        )

    def to_json(self) -> dict[str, Any]:
        """Trivy's ``Vulnerabilities[]`` entry plus Seawall's ``KEV``, ``EPSS`` and ``Malicious``."""
        d: dict[str, Any] = {"VulnerabilityID": self.vulnerability_id}
        if self.aliases:
            d["VendorIDs"] = list(self.aliases)
        d["PkgID"] = self.pkg_id
        d["PkgName"] = self.pkg_name
        if self.pkg_path:
            d["PkgPath"] = self.pkg_path
        d["PkgIdentifier"] = {"PURL": self.purl} if self.purl else {}
        d["InstalledVersion"] = self.installed_version
        if self.fixed_version:
            d["FixedVersion"] = self.fixed_version
        d["Status"] = self.status
        if self.layer.diff_id or self.layer.digest:
            layer: dict[str, str] = {}
            if self.layer.digest:
                layer["Digest"] = self.layer.digest
            if self.layer.diff_id:
                layer["DiffID"] = self.layer.diff_id
            d["Layer"] = layer
        d["SeveritySource"] = self.severity_source
        if self.primary_url:
            d["PrimaryURL"] = self.primary_url
        d["DataSource"] = {"ID": self.data_source, "Name": self.data_source}
        if self.title:
            d["Title"] = self.title
        if self.description:
            d["Description"] = self.description
        d["Severity"] = self.severity.name
        if self.vendor_severity:
            d["VendorSeverity"] = dict(self.vendor_severity)
        if self.cvss:
            d["CVSS"] = {k: dict(v) for k, v in self.cvss.items()}
        if self.references:
            d["References"] = list(self.references)
        if self.published:
            d["PublishedDate"] = self.published
        if self.last_modified:
            d["LastModifiedDate"] = self.last_modified
        if self.kev:
            d["KEV"] = {
                "DateAdded": self.kev.date_added,
                "DueDate": self.kev.due_date,
                "KnownRansomwareCampaignUse": self.kev.ransomware,
            }
        if self.epss:
            d["EPSS"] = {"Score": self.epss.score, "Percentile": self.epss.percentile, "Date": self.epss.date}
        if self.malicious:
            d["Malicious"] = True
        if self.suppressed_by:
            d["SuppressedBy"] = self.suppressed_by
            if self.justification:
                d["Justification"] = self.justification
        return d

    def summary(self) -> FindingSummary:
        """The format-neutral view used by the table, SARIF and JUnit writers."""
        fix = f" Fixed version: {self.fixed_version}." if self.fixed_version else f" Status: {self.status}."
        if self.layer.diff_id:
            # The layer that installed the package: where to fix it in the Dockerfile.
            fix += f" Layer: {self.layer.diff_id.removeprefix('sha256:')[:12]}."
        kind = "malicious package" if self.malicious else "vulnerability"
        message = (
            f"Package {self.pkg_name} {self.installed_version} is affected by {kind} {self.vulnerability_id}"
            f" ({self.severity.name}).{fix}"
        )
        return FindingSummary(
            rule_id=self.vulnerability_id,
            title=self.title or self.vulnerability_id,
            message=message,
            severity=self.severity,
            path=self.pkg_path or self.target,
            help_uri=self.primary_url,
            help_text=self.description or self.title,
            package=f"{self.pkg_name}@{self.installed_version}",
            kind="malware" if self.malicious else "vulnerability",
            installed_version=self.installed_version,
            fixed_version=self.fixed_version,
            status=self.status,
            layer=self.layer.diff_id.removeprefix("sha256:")[:12],
        )
