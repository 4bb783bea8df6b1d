"""The report document every writer renders: Trivy's JSON report structure, typed.

Findings of any scanner (vulnerabilities, misconfigurations, secrets, malware) implement
:class:`JSONFinding`; the JSON writer calls ``to_json()`` and places them under their Trivy key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from seawall.model import Application, ImageMetadata, Inventory, OSInfo, Package, Severity


@dataclass(frozen=True, slots=True)
class FindingSummary:
    """The format-neutral view of any finding, used by the table, SARIF and JUnit writers."""

    rule_id: str  # CVE-2023-1234, DS002, aws-access-key-id, ...
    title: str
    message: str  # one or two sentences: what is wrong here
    severity: Severity
    path: str = ""  # file the finding is in (or the package's file)
    start_line: int = 0
    end_line: int = 0
    help_uri: str = ""
    help_text: str = ""  # remediation or description
    package: str = ""  # name@version for vulnerabilities
    kind: str = ""  # vulnerability, misconfiguration, secret, malware
    # Vulnerabilities only (empty otherwise): the columns of Trivy's vulnerability table.
    installed_version: str = ""
    fixed_version: str = ""
    status: str = ""
    layer: str = ""  # short diff id of the layer that installed the package


class JSONFinding(Protocol):
    """A finding that knows its Trivy-shaped JSON form and its format-neutral summary."""

    @property
    def severity(self) -> Severity: ...

    def to_json(self) -> dict[str, Any]: ...

    def summary(self) -> FindingSummary: ...


@dataclass(slots=True)
class Result:
    """One ``Results[]`` entry: a target (OS packages, a lockfile, a config file) and its findings."""

    target: str
    result_class: str  # os-pkgs, lang-pkgs, config, secret, malware, custom
    type: str = ""
    packages: list[Package] = field(default_factory=list)
    vulnerabilities: list[JSONFinding] = field(default_factory=list)
    misconfigurations: list[JSONFinding] = field(default_factory=list)
    secrets: list[JSONFinding] = field(default_factory=list)
    malware: list[JSONFinding] = field(default_factory=list)
    modified_findings: list[JSONFinding] = field(default_factory=list)  # suppressed by VEX/ignore rules


@dataclass(slots=True)
class Report:
    """A whole scan report."""

    artifact_name: str
    artifact_type: str  # container_image, filesystem, rootfs, sbom, ...
    os: OSInfo | None = None
    image: ImageMetadata | None = None
    results: list[Result] = field(default_factory=list)
    applications: list[Application] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # shown under the table (e.g. demo data in use)
    created_at: str = ""


# Types whose packages Trivy gathers into one result per ecosystem, named below; every other
# application (a lockfile, a Go binary) is a result of its own, named by its file path.
AGGREGATED_TARGETS = {
    "python-pkg": "Python",
    "conda-pkg": "Conda",
    "gemspec": "Ruby",
    "node-pkg": "Node.js",
    "jar": "Java",
}


def os_target(inventory: Inventory) -> str:
    """Trivy's OS result target: ``NAME (family version)``."""
    if inventory.os is None:
        return inventory.artifact_name
    return f"{inventory.artifact_name} ({inventory.os.family} {inventory.os.name})"


def report_from_inventory(inventory: Inventory) -> Report:
    """The report skeleton for an inventory: one result for OS packages, one per application target."""
    report = Report(
        artifact_name=inventory.artifact_name,
        artifact_type=inventory.artifact_type,
        os=inventory.os,
        image=inventory.image,
        applications=list(inventory.applications),
    )
    if inventory.os is not None or inventory.os_packages:
        report.results.append(
            Result(
                target=os_target(inventory),
                result_class="os-pkgs",
                type=inventory.os_package_type or (inventory.os.family if inventory.os else ""),
                packages=list(inventory.os_packages),
            )
        )
    aggregated: dict[str, Result] = {}
    for app in inventory.applications:
        if not app.packages:
            continue
        name = AGGREGATED_TARGETS.get(app.type)
        if name is not None:
            result = aggregated.get(app.type)
            if result is None:
                result = aggregated[app.type] = Result(target=name, result_class="lang-pkgs", type=app.type)
            result.packages.extend(app.packages)
        else:
            report.results.append(
                Result(
                    target=app.file_path, result_class="lang-pkgs", type=app.type, packages=list(app.packages)
                )
            )
    for result in aggregated.values():
        result.packages.sort(key=lambda p: (p.name.lower(), p.version, p.file_path))
    report.results.extend(aggregated[t] for t in sorted(aggregated))
    return report
