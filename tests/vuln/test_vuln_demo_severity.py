"""The embedded demo snapshot keeps the records' CVSS vectors and carries the corpus's GHSA/NVD severities."""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson

from seawall.model import Application, Inventory, Package, Severity
from seawall.scan.policy import VulnOptions
from seawall.scan.vuln import match_inventory
from seawall.vulndb.ensure import demo_nvd_bytes, demo_snapshot_bytes, open_demo


def _app(kind: str, name: str, version: str) -> Inventory:
    return Inventory(
        "img", "container_image", None, "", (), (Application(kind, "f", (Package(name, version),)),)
    )


def test_demo_records_keep_cvss_and_ghsa_severity(tmp_path: Path) -> None:
    db = open_demo(tmp_path)
    assert db.is_demo
    # urllib3 1.24.1 (the demo image's): CVE-2023-43804's PYSEC record carries a CVSS v3.1 vector.
    [found] = match_inventory(_app("python-pkg", "urllib3", "1.24.1"), db, VulnOptions()).values()
    f = next(f for f in found if f.vulnerability_id == "CVE-2023-43804")
    assert f.severity is Severity.HIGH and f.cvss["osv"]["V3Vector"].startswith("CVSS:3.1/")
    # golang.org/x/crypto before 0.31.0: the reviewed GHSA (from the corpus) rates CVE-2024-45337 HIGH,
    # merged with the Go vulndb record (which has no severity) into one finding.
    [found] = match_inventory(_app("gobinary", "golang.org/x/crypto", "v0.30.0"), db, VulnOptions()).values()
    g = next(f for f in found if f.vulnerability_id == "CVE-2024-45337")
    assert (g.severity, g.severity_source) == (Severity.HIGH, "ghsa")
    assert {"GHSA-v778-237x-gjrc"} <= set(g.aliases) and any(a.startswith("GO-") for a in g.aliases)


def test_demo_snapshot_is_small_and_attributed() -> None:
    raw, nvd = demo_snapshot_bytes(), demo_nvd_bytes()
    assert len(raw) + len(nvd) < 1_000_000
    assert isinstance(orjson.loads(gzip.decompress(nvd)), list)
    notice = (Path(__file__).resolve().parents[2] / "src/seawall/data/advisories/NOTICE.txt").read_text()
    for source in ("pypa/advisory-database", "golang/vulndb", "anchore/vunnel", "trivy-db", "NVD"):
        assert source in notice
