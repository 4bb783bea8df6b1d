"""CycloneDX 1.6 ``vulnerabilities[]`` for a report's vulnerability findings (added to the SBOM document).

Each finding becomes one entry affecting the component of its package (matched by purl, else by
name and version), with ratings (severity and CVSS), advisories, fixed version as a recommendation, the
analysis state for suppressed findings, and KEV/EPSS as properties.
"""

from __future__ import annotations

from typing import Any

from seawall.model import Severity
from seawall.report.document import Report

_SEVERITY = {
    Severity.CRITICAL: "critical",
    Severity.HIGH: "high",
    Severity.MEDIUM: "medium",
    Severity.LOW: "low",
    Severity.UNKNOWN: "unknown",
}
_CVSS_METHOD = {"V4": "CVSSv4", "V3": "CVSSv31", "V2": "CVSSv2"}


def _ratings(v: dict[str, Any]) -> list[dict[str, Any]]:
    ratings: list[dict[str, Any]] = []
    for source, scores in (v.get("CVSS") or {}).items():
        for ver in ("V4", "V3", "V2"):
            vector = scores.get(f"{ver}Vector")
            if not vector:
                continue
            method = "CVSSv3" if ver == "V3" and str(vector).startswith("CVSS:3.0") else _CVSS_METHOD[ver]
            rating: dict[str, Any] = {"source": {"name": source}, "method": method, "vector": vector}
            if isinstance(scores.get(f"{ver}Score"), float | int):
                rating["score"] = scores[f"{ver}Score"]
            ratings.append(rating)
    ratings.insert(0, {"source": {"name": v.get("SeveritySource") or "seawall"},
                       "severity": str(v.get("Severity", "UNKNOWN")).lower()})  # fmt: skip
    return ratings


def add_vulnerabilities(doc: dict[str, Any], report: Report) -> None:
    """Append ``vulnerabilities`` to a built CycloneDX document, referencing its components."""
    by_purl: dict[str, str] = {}
    by_name: dict[str, str] = {}
    for comp in doc.get("components", []):
        if comp.get("purl"):
            by_purl.setdefault(str(comp["purl"]), comp["bom-ref"])
        by_name.setdefault(f"{comp.get('name')}@{comp.get('version')}", comp["bom-ref"])
    entries: dict[str, dict[str, Any]] = {}
    for result in report.results:
        for finding in result.vulnerabilities:
            v = finding.to_json()
            purl = (v.get("PkgIdentifier") or {}).get("PURL", "")
            ref = by_purl.get(purl) or by_name.get(f"{v.get('PkgName')}@{v.get('InstalledVersion')}")
            if ref is None:
                continue
            vid = str(v["VulnerabilityID"])
            entry = entries.get(vid)
            if entry is None:
                entry = entries[vid] = {
                    "bom-ref": f"vuln:{vid}",
                    "id": vid,
                    "source": {
                        "name": str(v.get("SeveritySource") or "osv"),
                        "url": str(v.get("PrimaryURL", "")),
                    },
                    "ratings": _ratings(v),
                    "description": str(v.get("Title") or v.get("Description") or vid),
                    "advisories": [{"url": u} for u in (v.get("References") or [])[:20]],
                    "affects": [],
                }
                if v.get("VendorIDs"):
                    entry["references"] = [
                        {"id": a, "source": {"name": a.split("-", 1)[0]}} for a in v["VendorIDs"]
                    ]
                if v.get("FixedVersion"):
                    entry["recommendation"] = f"Upgrade to {v['FixedVersion']}"
                props = []
                if v.get("KEV"):
                    props.append({"name": "seawall:KEV:DateAdded", "value": v["KEV"]["DateAdded"]})
                if v.get("EPSS"):
                    props.append({"name": "seawall:EPSS:Score", "value": str(v["EPSS"]["Score"])})
                if props:
                    entry["properties"] = props
            # The installed version is affected whatever the fix status.
            entry["affects"].append(
                {
                    "ref": ref,
                    "versions": [{"version": str(v.get("InstalledVersion", "")), "status": "affected"}],
                }
            )
    if entries:
        doc["vulnerabilities"] = list(entries.values())
