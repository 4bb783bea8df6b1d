"""Source adapters on real feed samples: NVD CVSS (scores recomputed with ``cvss``), Alpine secdb, KEV, EPSS."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from vulnref import CORPUS, EPSS_CSV, KEV

from seawall.model import Inventory, OSInfo, Package
from seawall.scan.policy import VulnOptions
from seawall.scan.vuln import cvss_severity, match_inventory
from seawall.vulndb import store
from seawall.vulndb.errors import SourceError
from seawall.vulndb.ingest import alpine_secdb, enrich
from seawall.yamlsafe import load_yaml

NVD_PAGE = CORPUS / "vunnel-feed-fixtures/tests/unit/providers/nvd/test-fixtures/full-page.json"
EPSS_DIR = CORPUS / "vunnel-feed-fixtures/tests/unit/providers/epss/test-fixtures"


def test_nvd_cvss_recomputed_matches_nvd_bands() -> None:
    page = orjson.loads(NVD_PAGE.read_bytes())
    rows = dict(enrich.nvd_rows(page))
    assert len(rows) == len(page["vulnerabilities"])
    checked = 0
    for v in page["vulnerabilities"]:
        cve = v["cve"]
        for key in ("cvssMetricV31", "cvssMetricV30"):
            for m in cve.get("metrics", {}).get(key, []):
                if m["type"] != "Primary":
                    continue
                score, sev, version = cvss_severity(m["cvssData"]["vectorString"])  # type: ignore[misc]
                assert version == "3" and score == pytest.approx(m["cvssData"]["baseScore"])
                assert sev.name == m["cvssData"]["baseSeverity"]
                checked += 1
        rec = orjson.loads(rows[cve["id"]])
        assert rec["description"] and all(c["vector"] for c in rec["cvss"])
    assert checked > 10


def test_alpine_secdb_fixed_versions(tmp_path: Path) -> None:
    doc = load_yaml((CORPUS / "alpine-secdb/v3.11/main.yaml").read_text(), "main.yaml")
    with store.building(tmp_path, fresh=True) as db:
        db.put_advisories(alpine_secdb.convert(doc), "alpine:v3.11/main")
    db = store.open_db(store.db_path(tmp_path))
    inv = Inventory("a", "container_image", OSInfo("alpine", "3.11.6"), "alpine",
                    (Package("ansible", "2.9.2-r0", src_name="ansible", src_version="2.9.2-r0"),), ())  # fmt: skip
    found = {f.vulnerability_id: f for fs in match_inventory(inv, db, VulnOptions()).values() for f in fs}
    assert found["CVE-2019-14904"].fixed_version == "2.9.3-r0"
    assert "CVE-2019-14846" not in found  # fixed in 2.8.6-r0, below the installed version
    with pytest.raises(SourceError):
        list(alpine_secdb.convert({"nope": 1}))


def test_kev_and_epss_feeds() -> None:
    rows = list(enrich.kev_rows(orjson.loads(KEV.read_bytes())))
    assert len(rows) == 1404 and rows[0][0].startswith("CVE-")
    epss = list(enrich.epss_rows(EPSS_CSV.read_text()))
    assert epss[0] == ("CVE-1999-0001", 0.00383, 0.73075, "2025-02-20")
    with pytest.raises(SourceError, match="header"):
        list(enrich.epss_rows((EPSS_DIR / "invalid-header.csv").read_text()))
    with pytest.raises(SourceError):
        list(enrich.kev_rows({"title": "not kev"}))
