"""The report document every writer renders: Trivy's JSON report structure, typed.

Findings of any scanner (vulnerabilities, misconfigurations, secrets, malware) implement
:class:`JSONFinding`; the JSON writer calls ``to_json()`` and places them under their Trivy key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from seawall.model import Application, ImageMetadata, OSInfo, Package, Severity


class JSONFinding(Protocol):
    """A finding that knows its Trivy-shaped JSON form and its severity."""

    @property
    def severity(self) -> Severity: ...

    def to_json(self) -> dict[str, Any]: ...


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
