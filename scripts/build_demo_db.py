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

from seawall.vulndb.ingest import debian_tracker, osv  # noqa: E402

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
)
GO_PACKAGES = ("stdlib", "golang.org/x/net", "golang.org/x/crypto", "golang.org/x/text")
DEBIAN_TRACKER = CORPUS / "vunnel-feed-fixtures/tests/unit/providers/debian/test-fixtures/input/debian.json"

NOTICE = """Demo advisory snapshot for Seawall (NOT a complete vulnerability database).

Built by scripts/build_demo_db.py from the shared test corpus:
- PyPI records: pypa/advisory-database @ 3ccb612573e2511ab5cad7dafecd838605c80cda, CC-BY-4.0
  (https://github.com/pypa/advisory-database)
- Go records: golang/vulndb @ a752ea54fd1b989d208a270aeef772f55a36b87a, CC-BY-4.0 (https://github.com/golang/vulndb)
- Debian tracker sample: anchore/vunnel test fixtures @ 42a1d4233aeb95259ce249778f44dbebc32b9e30, Apache-2.0,
  derived from the Debian security tracker (https://security-tracker.debian.org/tracker/)
"""


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
    (OUT / "NOTICE.txt").write_text(NOTICE)
    print(f"{len(records)} records, {len(data)} bytes -> {OUT}")


if __name__ == "__main__":
    main()
