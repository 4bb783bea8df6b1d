"""SPDX 2.3 JSON SBOM (validated with spdx-tools in the test suite)."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson

from seawall import __version__
from seawall.model import Package
from seawall.report.document import Report
from seawall.report.licenses import is_spdx_id, license_ref


def _spdx_id(kind: str, *parts: str) -> str:
    digest = hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]
    return f"SPDXRef-{kind}-{digest}"


class _Licenses:
    """Turns licence names into SPDX expressions, collecting LicenseRef definitions."""

    def __init__(self) -> None:
        self.extracted: dict[str, str] = {}

    def expression(self, names: tuple[str, ...]) -> str:
        if not names:
            return "NOASSERTION"
        terms = []
        for name in names:
            if is_spdx_id(name):
                terms.append(name)
            else:
                ref = license_ref(name)
                self.extracted.setdefault(ref, name)
                terms.append(ref)
        unique = list(dict.fromkeys(terms))
        return unique[0] if len(unique) == 1 else " AND ".join(unique)


def _package(p: Package, pkg_type: str, spdx_id: str, lic: _Licenses) -> dict[str, Any]:
    d: dict[str, Any] = {
        "SPDXID": spdx_id,
        "name": p.name,
        "versionInfo": p.full_version,
        "downloadLocation": "NONE",
        "filesAnalyzed": False,
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": lic.expression(p.licenses),
        "copyrightText": "NOASSERTION",
        "primaryPackagePurpose": "LIBRARY",
    }
    if p.maintainer:
        d["supplier"] = "Organization: " + p.maintainer.replace("\n", " ")
    if p.src_name:
        d["sourceInfo"] = f"built package from: {p.src_name} {p.src_full_version}"
    if p.purl:
        d["externalRefs"] = [
            {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": p.purl}
        ]
    annotations = [f"PkgType: {pkg_type}"]
    if p.layer.diff_id:
        annotations.append(f"LayerDiffID: {p.layer.diff_id}")
    if p.file_path:
        annotations.append(f"FilePath: {p.file_path}")
    d["comment"] = "; ".join(annotations)
    return d


def build(report: Report) -> dict[str, Any]:
    """The SPDX document: the artifact DESCRIBED, CONTAINS each result's packages."""
    now = report.created_at or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    lic = _Licenses()
    root_kind = "ContainerImage" if report.image is not None else "Filesystem"
    root_id = _spdx_id(root_kind, report.artifact_name)
    root: dict[str, Any] = {
        "SPDXID": root_id,
        "name": report.artifact_name,
        "downloadLocation": "NONE",
        "filesAnalyzed": False,
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": "NOASSERTION",
        "copyrightText": "NOASSERTION",
        "primaryPackagePurpose": "CONTAINER" if report.image is not None else "SOURCE",
    }
    if report.image is not None and report.image.image_id:
        root["versionInfo"] = report.image.image_id
    packages: list[dict[str, Any]] = [root]
    relationships: list[dict[str, str]] = [
        {"spdxElementId": "SPDXRef-DOCUMENT", "relatedSpdxElement": root_id, "relationshipType": "DESCRIBES"}
    ]
    seen: set[str] = {root_id}
    for result in report.results:
        if not result.packages:
            continue
        if result.result_class == "os-pkgs" and report.os is not None:
            parent_id = _spdx_id("OperatingSystem", report.os.family, report.os.name)
            parent = {
                "SPDXID": parent_id,
                "name": report.os.family,
                "versionInfo": report.os.name,
                "downloadLocation": "NONE",
                "filesAnalyzed": False,
                "licenseConcluded": "NOASSERTION",
                "licenseDeclared": "NOASSERTION",
                "copyrightText": "NOASSERTION",
                "primaryPackagePurpose": "OPERATING-SYSTEM",
            }
        else:
            parent_id = _spdx_id("Application", result.type, result.target)
            parent = {
                "SPDXID": parent_id,
                "name": result.target,
                "downloadLocation": "NONE",
                "filesAnalyzed": False,
                "licenseConcluded": "NOASSERTION",
                "licenseDeclared": "NOASSERTION",
                "copyrightText": "NOASSERTION",
                "primaryPackagePurpose": "APPLICATION",
                "comment": f"PkgType: {result.type}",
            }
        if parent_id not in seen:
            seen.add(parent_id)
            packages.append(parent)
            relationships.append(
                {"spdxElementId": root_id, "relatedSpdxElement": parent_id, "relationshipType": "CONTAINS"}
            )
        for p in result.packages:
            pid = _spdx_id("Package", result.type, result.target, p.name, p.full_version, p.arch, p.file_path)
            if pid in seen:
                continue
            seen.add(pid)
            packages.append(_package(p, result.type, pid, lic))
            relationships.append(
                {"spdxElementId": parent_id, "relatedSpdxElement": pid, "relationshipType": "CONTAINS"}
            )
    doc: dict[str, Any] = {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": report.artifact_name,
        "documentNamespace": f"https://seawall.invalid/spdx/{report.artifact_type}/{uuid.uuid4()}",
        "creationInfo": {
            "creators": ["Organization: Seawall", f"Tool: seawall-{__version__}"],
            "created": now,
        },
        "packages": packages,
        "relationships": relationships,
    }
    if lic.extracted:
        doc["hasExtractedLicensingInfos"] = [
            {"licenseId": ref, "extractedText": name, "name": name}
            for ref, name in sorted(lic.extracted.items())
        ]
    return doc


def render(report: Report) -> bytes:
    return orjson.dumps(build(report), option=orjson.OPT_INDENT_2) + b"\n"
