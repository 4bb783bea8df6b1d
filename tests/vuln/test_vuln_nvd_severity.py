"""Severity from NVD when the advisory has none, end to end: ``db update`` from a loopback feed server
serving an OSV zip and the corpus's real NVD CVE JSON 2.0 page, then matching; and a year's re-ingest
replacing that year's NVD rows."""

from __future__ import annotations

import gzip
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from distroosv import NVD_PAGE
from feedserver import FeedServer

from seawall.cli.main import main
from seawall.model import Inventory, OSInfo, Package, Severity
from seawall.scan.policy import VulnOptions
from seawall.scan.vuln import match_inventory
from seawall.vulndb import store

PAGE = orjson.loads((NVD_PAGE / "full-page.json").read_bytes())
CVE = "CVE-2023-22068"  # Oracle MySQL Server, in the corpus NVD page with one Primary CVSS v3.1 metric

# The advisory the NVD data enriches: an OSV record with no severity of its own (the shape of a Debian
# tracker record for a CVE; the corpus has no OSV record naming any CVE of its NVD page).
ADVISORY = {
    "id": f"DEBIAN-{CVE}",
    "modified": "2023-10-18T00:00:00Z",
    "upstream": [CVE],
    "affected": [
        {
            "package": {"ecosystem": "Debian:12", "name": "mysql-8.0"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "8.0.35-1"}]}],
        }
    ],
}


def _zip(name: str, data: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(name, data)
    return buf.getvalue()


def _nvd_expectation(cve: str) -> dict[str, Any]:
    """The NVD Primary v3.x metric of a CVE, read straight from the page."""
    item = next(v["cve"] for v in PAGE["vulnerabilities"] if v["cve"]["id"] == cve)
    metric = next(m for m in item["metrics"]["cvssMetricV31"] if m["type"] == "Primary")
    return dict(metric["cvssData"])


@pytest.fixture
def server() -> Iterator[FeedServer]:
    srv = FeedServer(
        files={
            "/osv/Debian:12/all.zip": _zip(f"DEBIAN-{CVE}.json", orjson.dumps(ADVISORY)),
            "/nvd/nvdcve-2.0-2023.json.gz": gzip.compress(orjson.dumps(PAGE)),
        }
    ).start()
    yield srv
    srv.stop()


def _update(srv: FeedServer, db_dir: Path) -> None:
    args = ["-q", "db", "update", "--db-dir", str(db_dir), "--source", "osv,nvd", "--osv-url", f"{srv.url}/osv",
            "--ecosystems", "Debian:12", "--nvd-url", f"{srv.url}/nvd", "--nvd-years", "2023", "--timeout", "20"]  # fmt: skip
    assert main(args) == 0


def _finding(db_dir: Path) -> Any:
    pkg = Package("mysql-server-core-8.0", "8.0.34", release="1", src_name="mysql-8.0",
                  src_version="8.0.34", src_release="1")  # fmt: skip
    inv = Inventory("img", "container_image", OSInfo("debian", "12.2"), "debian", (pkg,), ())
    db = store.open_db(store.db_path(db_dir))
    try:
        [findings] = match_inventory(inv, db, VulnOptions()).values()
    finally:
        db.close()
    [f] = findings
    return f


def test_severity_from_nvd_when_the_advisory_has_none(server: FeedServer, tmp_path: Path) -> None:
    db_dir = tmp_path / "db"
    _update(server, db_dir)
    f = _finding(db_dir)
    want = _nvd_expectation(CVE)
    assert f.vulnerability_id == CVE and f.fixed_version == "8.0.35-1"
    assert f.severity is Severity.parse(want["baseSeverity"]) and f.severity_source == "nvd"
    assert f.cvss["nvd"] == {"V3Vector": want["vectorString"], "V3Score": want["baseScore"]}
    assert f.description.startswith("Vulnerability in the MySQL Server product of Oracle MySQL")


def test_reingesting_a_year_replaces_its_rows(server: FeedServer, tmp_path: Path) -> None:
    db_dir = tmp_path / "db"
    _update(server, db_dir)
    db = store.open_db(store.db_path(db_dir))
    before = {c: db.nvd(c) is not None for c in (CVE, "CVE-2023-45109", "CVE-2022-22377")}
    n_before = db.counts()["nvd"]
    db.close()
    assert before == {CVE: True, "CVE-2023-45109": True, "CVE-2022-22377": True}

    # NVD drops (rejects) a 2023 CVE: the next 2023 feed no longer carries it.
    page = dict(PAGE, vulnerabilities=[v for v in PAGE["vulnerabilities"] if v["cve"]["id"] != CVE])
    server.files["/nvd/nvdcve-2.0-2023.json.gz"] = gzip.compress(orjson.dumps(page))
    _update(server, db_dir)
    db = store.open_db(store.db_path(db_dir))
    try:
        assert db.nvd(CVE) is None
        assert db.nvd("CVE-2023-45109") is not None
        # Rows of other years are owned by their own year's feed and stay.
        assert db.nvd("CVE-2022-22377") is not None
        assert db.counts()["nvd"] == n_before - 1
    finally:
        db.close()
    f = _finding(db_dir)
    assert f.severity is Severity.UNKNOWN and f.severity_source == "" and "nvd" not in f.cvss
