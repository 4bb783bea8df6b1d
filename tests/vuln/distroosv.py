"""Convert the corpus's real Red Hat CSAF and SUSE CVRF advisories into OSV records, as osv.dev publishes them.

The corpus has no OSV export for Red Hat or SUSE; these test helpers turn the vendors' own advisories
(vunnel's RHSA CSAF fixtures, trivy-db's SUSE CVRF fixtures) into the OSV shape osv.dev serves for them:
one ``affected`` entry per (product stream, package), the ecosystem named from the CPE
(``Red Hat:enterprise_linux:9::appstream``) or the product name (``SUSE:Linux Enterprise Module for
Containers 15 SP1``, ``openSUSE:Leap 15.1``), and an ``ECOSYSTEM`` range fixed at the shipped version.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
from vulnref import CORPUS

RHEL_CSAF = CORPUS / "vunnel-feed-fixtures/tests/unit/providers/rhel/test-fixtures/csaf/advisories"
SUSE_CVRF = CORPUS / "trivy-db-feed-fixtures/pkg/vulnsrc/suse-cvrf/testdata/happy"
ROCKY_OSV = CORPUS / "vunnel-feed-fixtures/tests/unit/providers/rocky/test-fixtures/osv"
CHAINGUARD_OSV = CORPUS / "vunnel-feed-fixtures/tests/unit/providers/chainguard/test-fixtures/input/osv"
UBUNTU_OSV = CORPUS / "vunnel-feed-fixtures/tests/unit/providers/ubuntu/test-fixtures/osv"
NVD_PAGE = CORPUS / "vunnel-feed-fixtures/tests/unit/providers/nvd/test-fixtures"


def _fixed_entry(ecosystem: str, name: str, fixed: str) -> dict[str, Any]:
    return {
        "package": {"ecosystem": ecosystem, "name": name},
        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}],
    }


def _csaf_products(branches: list[dict[str, Any]], out: dict[str, str]) -> None:
    for b in branches:
        prod = b.get("product") or {}
        cpe = (prod.get("product_identification_helper") or {}).get("cpe", "")
        if b.get("category") == "product_name" and cpe.startswith("cpe:/"):
            # cpe:/a:redhat:enterprise_linux:9::appstream -> enterprise_linux:9::appstream
            out[prod["product_id"]] = cpe.split(":", 3)[3]
        _csaf_products(b.get("branches") or [], out)


def _nevra(ref: str) -> tuple[str, str]:
    """``python3.9-0:3.9.19-8.el9.src`` -> (``python3.9``, ``0:3.9.19-8.el9``)."""
    nevr = ref.rsplit(".", 1)[0]
    name, ev, release = nevr.rsplit("-", 2)
    return name, f"{ev}-{release}"


def rhsa_to_osv(path: Path) -> dict[str, Any]:
    """One RHSA CSAF document as the OSV record osv.dev serves for it (source packages, per stream)."""
    doc = orjson.loads(path.read_bytes())
    streams: dict[str, str] = {}
    _csaf_products(doc["product_tree"]["branches"], streams)
    affected: dict[tuple[str, str], dict[str, Any]] = {}
    for rel in doc["product_tree"].get("relationships") or []:
        ref = rel["product_reference"]
        stream = streams.get(rel["relates_to_product_reference"])
        if stream is None or not ref.endswith(".src"):
            continue
        name, version = _nevra(ref)
        eco = f"Red Hat:{stream}"
        affected.setdefault((eco, name), _fixed_entry(eco, name, version))
    vulns = doc.get("vulnerabilities") or []
    severity = [
        {"type": "CVSS_V3", "score": s["cvss_v3"]["vectorString"]}
        for v in vulns[:1]
        for s in v.get("scores") or []
        if "cvss_v3" in s
    ][:1]
    tracking = doc["document"]["tracking"]
    return {
        "id": tracking["id"],
        "modified": tracking.get("current_release_date", ""),
        "published": tracking.get("initial_release_date", ""),
        "summary": doc["document"].get("title", ""),
        "upstream": [v["cve"] for v in vulns if "cve" in v],
        "severity": severity,
        "affected": list(affected.values()),
    }


def _suse_ecosystem(product: str) -> str:
    """``SUSE Linux Enterprise Module for Containers 15 SP1`` -> ``SUSE:Linux Enterprise ...``."""
    if product.startswith("openSUSE "):
        return "openSUSE:" + product.removeprefix("openSUSE ")
    return "SUSE:" + product.removeprefix("SUSE ")


def suse_to_osv(path: Path) -> dict[str, Any]:
    """One SUSE CVRF advisory (trivy vuln-list JSON) as an OSV record: binary packages per product."""
    doc = orjson.loads(path.read_bytes())
    affected: dict[tuple[str, str], dict[str, Any]] = {}
    for rel in doc["ProductTree"]["Relationships"]:
        name, version, release = rel["ProductReference"].rsplit("-", 2)
        eco = _suse_ecosystem(rel["RelatesToProductReference"])
        affected.setdefault((eco, name), _fixed_entry(eco, name, f"{version}-{release}"))
    vulns = doc.get("Vulnerabilities") or []
    return {
        "id": doc["Tracking"]["ID"],
        "modified": doc["Tracking"].get("CurrentReleaseDate", ""),
        "summary": doc.get("Title", ""),
        "upstream": [v["CVE"] for v in vulns if v.get("CVE")],
        "affected": list(affected.values()),
    }


def rhsa_records() -> Iterator[dict[str, Any]]:
    """Every RHSA in the corpus's CSAF fixtures, converted."""
    for p in sorted(RHEL_CSAF.rglob("rhsa-*.json")):
        yield rhsa_to_osv(p)


def suse_records() -> Iterator[dict[str, Any]]:
    """Every SUSE/openSUSE CVRF advisory in the corpus's trivy-db fixtures, converted."""
    for p in sorted(SUSE_CVRF.rglob("*.json")):
        yield suse_to_osv(p)
