"""Build the embedded demo advisory snapshot (``src/seawall/data/advisories/``) from the shared corpus.

Selects the OSV records that name the packages of the demo image (old PyPI packages, Go stdlib, the
Debian tracker fixtures) and writes them as one gzip'd JSON list, with the corpus attribution beside it.
Run: ``.venv/bin/python scripts/build_demo_db.py``.
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from seawall.vulndb.errors import SourceError  # noqa: E402
from seawall.vulndb.ingest import debian_tracker, enrich, osv  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "vulndb"
OUT = ROOT / "src" / "seawall" / "data" / "advisories"
PYPI_PACKAGES = (
    "requests",
    "pyyaml",
    "jinja2",
    "urllib3",
    "flask",
    "werkzeug",
    "markupsafe",
    "idna",
    "certifi",
    "aiohttp",
    "gitpython",
)
GO_PACKAGES = ("stdlib", "golang.org/x/net", "golang.org/x/crypto", "golang.org/x/text")
DEBIAN_TRACKER = CORPUS / "vunnel-feed-fixtures/tests/unit/providers/debian/test-fixtures/input/debian.json"
# Severity data in the corpus: NVD CVE JSON 2.0 (API pages and single records) and reviewed GHSA advisories.
NVD_DIRS = (
    CORPUS / "vunnel-feed-fixtures/tests/unit/providers/nvd/test-fixtures",
    CORPUS / "trivy-db-feed-fixtures/pkg/vulnsrc/nvd/testdata/happy",
)
GHSA_DIR = CORPUS / "trivy-db-feed-fixtures/pkg/vulnsrc/ghsa/testdata/happy/ghsa/advisories"

NOTICE = """Demo advisory snapshot for Seawall (NOT a complete vulnerability database).

Built by scripts/build_demo_db.py from the shared test corpus:
- PyPI records: pypa/advisory-database @ 3ccb612573e2511ab5cad7dafecd838605c80cda, CC-BY-4.0
  (https://github.com/pypa/advisory-database)
- Go records: golang/vulndb @ a752ea54fd1b989d208a270aeef772f55a36b87a, CC-BY-4.0 (https://github.com/golang/vulndb)
- Debian tracker sample: anchore/vunnel test fixtures @ 42a1d4233aeb95259ce249778f44dbebc32b9e30, Apache-2.0,
  derived from the Debian security tracker (https://security-tracker.debian.org/tracker/)
- Severity data (demo-nvd.json.gz, and GHSA records naming the demo packages), where the corpus has it:
  NVD CVE JSON 2.0 records from the vunnel fixtures above and aquasecurity/trivy-db test fixtures
  @ a0049d7ad12f983e2a14b3c74a0aa914de741af0 (Apache-2.0), which also hold the GitHub Security Advisories
  used (CC-BY-4.0, https://github.com/github/advisory-database). This product uses data from the NVD API
  but is not endorsed or certified by the NVD.
"""


def _ids(rec: dict[str, Any]) -> set[str]:
    return {rec["id"], *rec.get("aliases", ()), *rec.get("upstream", ())}


def nvd_rows(cves: set[str]) -> list[tuple[str, Any]]:
    """NVD enrichment rows (as the store's ``nvd`` table holds them) for the CVEs the corpus has."""
    rows: dict[str, Any] = {}
    for base in NVD_DIRS:
        for path in sorted(base.rglob("*.json")):
            if "snapshots" in path.parts:
                continue  # vunnel's normalized outputs, not NVD documents
            try:
                for cve, blob in enrich.nvd_rows(orjson.loads(path.read_bytes())):
                    if cve in cves:
                        rows[cve] = orjson.loads(blob)
            except (SourceError, orjson.JSONDecodeError):
                continue
    return sorted(rows.items())


def ghsa_records(packages: set[tuple[str, str]]) -> list[dict[str, Any]]:
    """Reviewed GHSA advisories in the corpus that name a demo package (they carry severity and CVSS)."""
    out = []
    for rec in osv.iter_path(GHSA_DIR):
        named = {(a["package"]["ecosystem"], a["package"]["name"].lower()) for a in rec.get("affected", [])}
        if named & packages:
            out.append(rec)
    return out


def main() -> None:
    records: list[dict[str, Any]] = []
    pypa = CORPUS / "pypa-advisory-database" / "vulns"
    for name in PYPI_PACKAGES:
        for d in pypa.iterdir():
            if d.name.lower() == name:
                records.extend(osv.iter_path(d))
    go_dir = CORPUS / "golang-vulndb" / "data" / "osv"
    for rec in osv.iter_path(go_dir):
        names = {a.get("package", {}).get("name") for a in rec.get("affected", [])}
        if names & set(GO_PACKAGES):
            records.append(rec)
    records.extend(debian_tracker.convert(orjson.loads(DEBIAN_TRACKER.read_bytes())))
    wanted = {("PyPI", n) for n in PYPI_PACKAGES} | {("Go", n) for n in GO_PACKAGES}
    records.extend(ghsa_records(wanted))
    cves = {i for rec in records for i in _ids(rec) if i.startswith("CVE-")}
    nvd = nvd_rows(cves)
    # Drop bulky fields the matcher does not need, to keep the snapshot small.
    for rec in records:
        for entry in rec.get("affected", []):
            if any(r.get("type") in ("ECOSYSTEM", "SEMVER") for r in entry.get("ranges") or []):
                entry.pop("versions", None)
            if entry.get("package", {}).get("ecosystem") == "Go":
                entry.pop("ecosystem_specific", None)  # symbol lists: large, and unused by the matcher
        rec.pop("credits", None)
    OUT.mkdir(parents=True, exist_ok=True)
    data = gzip.compress(orjson.dumps(records), 9, mtime=0)
    (OUT / "demo-osv.json.gz").write_bytes(data)
    (OUT / "demo-nvd.json.gz").write_bytes(gzip.compress(orjson.dumps(nvd), 9, mtime=0))
    (OUT / "NOTICE.txt").write_text(NOTICE)
    with_severity = sum(
        1 for r in records if r.get("severity") or (r.get("database_specific") or {}).get("severity")
    )
    print(f"{len(records)} records ({with_severity} with a severity), {len(nvd)} NVD rows, {len(data)} bytes")


if __name__ == "__main__":
    main()
