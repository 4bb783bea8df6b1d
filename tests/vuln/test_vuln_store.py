"""The store: withdrawn records, MAL- records, bundles, the demo snapshot, hostile input."""

from __future__ import annotations

import zipfile
from pathlib import Path

import orjson
import pytest

from seawall.cli.main import main
from seawall.model import Application, Inventory, Package
from seawall.scan.policy import VulnOptions
from seawall.scan.vuln import match_inventory
from seawall.vulndb import store
from seawall.vulndb.bundle import export_bundle, import_bundle
from seawall.vulndb.ensure import DBSettings, ensure_database
from seawall.vulndb.errors import VulnDBError
from seawall.vulndb.ingest import osv

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "vulndb"
PYPA = CORPUS / "pypa-advisory-database" / "vulns"
TRIVY_OSV = CORPUS / "trivy-db-feed-fixtures/pkg/vulnsrc/osv/testdata/happy/vuln-list/osv/python"


def _inv(name: str, version: str) -> Inventory:
    pkg = Package(name=name, version=version, purl=f"pkg:pypi/{name}@{version}")
    return Inventory("t", "container_image", None, "", (), (Application("python-pkg", "site", (pkg,)),))


def _db(tmp_path: Path, *paths: Path) -> store.VulnDB:
    with store.building(tmp_path, fresh=True) as db:
        for p in paths:
            db.put_advisories(osv.iter_path(p), "local")
    return store.open_db(store.db_path(tmp_path))


def test_withdrawn_records_are_not_matched(tmp_path: Path) -> None:
    # PYSEC-2022-15 (loguru) was withdrawn in 2022; trivy-db's PYSEC-2019-156 is withdrawn in 3001.
    db = _db(tmp_path, PYPA / "loguru", TRIVY_OSV / "withdrawn_after_now.json")
    assert db.advisory("PYSEC-2022-15") is not None
    assert match_inventory(_inv("loguru", "0.5.3"), db, VulnOptions()) == {}
    found = match_inventory(_inv("scipy", "0.11.0"), db, VulnOptions())
    assert {f.vulnerability_id for f in found["Python"]} == {"CVE-2013-4251"}


def test_malicious_package_records(tmp_path: Path) -> None:
    # The corpus has no MAL- record, so this one follows the OSSF malicious-packages OSV shape.
    rec = {"id": "MAL-2024-0001", "summary": "Malicious code in evil-pkg (PyPI)",
           "affected": [{"package": {"ecosystem": "PyPI", "name": "evil-pkg"}, "versions": ["1.0.0"]}]}  # fmt: skip
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "MAL-2024-0001.json").write_bytes(orjson.dumps(rec))
    db = _db(tmp_path / "db", tmp_path / "src")
    (f,) = match_inventory(_inv("Evil_Pkg", "1.0.0"), db, VulnOptions())["Python"]
    assert f.malicious and f.severity.name == "CRITICAL" and f.to_json()["Malicious"] is True
    assert match_inventory(_inv("evil-pkg", "1.0.1"), db, VulnOptions()) == {}


def test_hostile_records_are_skipped(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.json").write_text('{"id": 5}')
    (src / "b.json").write_text("[1, 2")
    (src / "c.yaml").write_text("a: &a [*a, *a]\n" * 3)
    (src / "d.json").write_text('{"id": "X-1", "affected": "nope"}')
    (src / "e.yaml").write_bytes(
        b"id: X-2\naffected:\n- package: {ecosystem: PyPI, name: ok}\n  versions: ['1']\n"
    )
    db = _db(tmp_path / "db", src)
    assert db.counts()["advisories"] == 1
    bomb = tmp_path / "bomb.zip"
    bomb.write_bytes(b"PK\x03\x04garbage")
    with pytest.raises(VulnDBError, match="not a valid zip"):
        list(osv.iter_zip(bomb))


def test_bundle_round_trip_and_checksum(corpus_db_dir: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "db.zip"
    meta = export_bundle(corpus_db_dir, bundle)
    assert meta["counts"]["advisories"] > 6000 and len(meta["sha256"]) == 64
    target = tmp_path / "air-gapped"
    import_bundle(bundle, target)
    assert store.open_db(store.db_path(target)).counts() == meta["counts"]
    # A bundle whose database bytes changed is refused, and the imported database stays.
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(bundle) as src, zipfile.ZipFile(tampered, "w") as dst:
        dst.writestr("metadata.json", src.read("metadata.json"))
        data = bytearray(src.read(store.DB_FILENAME))
        data[-100] ^= 1
        dst.writestr(store.DB_FILENAME, bytes(data))
    with pytest.raises(VulnDBError, match="checksum"):
        import_bundle(tampered, target)
    assert store.open_db(store.db_path(target)).counts() == meta["counts"]
    assert main(["-q", "db", "import", str(tampered), "--db-dir", str(target)]) == 2


def test_demo_snapshot_when_no_database(tmp_path: Path) -> None:
    settings = DBSettings(tmp_path / "nodb", offline=True)
    db = ensure_database(settings, tmp_path / "cache")
    assert db.is_demo
    found = match_inventory(_inv("requests", "2.19.0"), db, VulnOptions())
    assert "CVE-2018-18074" in {f.vulnerability_id for f in found["Python"]}


def test_not_a_database(tmp_path: Path) -> None:
    bad = tmp_path / store.DB_FILENAME
    bad.write_bytes(b"SQLite format 3\0" + b"\0" * 100)
    with pytest.raises(VulnDBError):
        store.open_db(bad)
    bad.write_bytes(b"hello")
    with pytest.raises(VulnDBError, match="not a Seawall"):
        store.open_db(bad)


def test_db_import_of_osv_files_and_status_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db_dir = tmp_path / "db"
    assert main(["-q", "db", "import", str(PYPA / "requests"), str(TRIVY_OSV / "PYSEC-2018-27.json"),
                 "--db-dir", str(db_dir)]) == 0  # fmt: skip
    n = len(list((PYPA / "requests").glob("*.yaml")))
    capsys.readouterr()
    assert main(["db", "status", "--db-dir", str(db_dir)]) == 0
    out = capsys.readouterr().out
    assert f"advisories {n + 1}" in out or f"advisories {n}" in out
    assert "local" in out and "schema 1" in out
    assert main(["-q", "db", "import", str(tmp_path / "missing"), "--db-dir", str(db_dir)]) == 2
    # A file with no OSV record in it is refused, and the database keeps what it had.
    junk = tmp_path / "junk.json"
    junk.write_bytes(b"\x00\xff not an advisory")
    capsys.readouterr()
    assert main(["-q", "db", "import", str(junk), "--db-dir", str(db_dir)]) == 2
    assert "holds no valid OSV advisory" in capsys.readouterr().err
    assert main(["db", "status", "--db-dir", str(db_dir)]) == 0
    records = [line for line in out.splitlines() if line.startswith("Records:")]
    assert records and records[0] in capsys.readouterr().out


def test_ubuntu_priority_and_lts_ecosystem(tmp_path: Path) -> None:
    # A minimal UBUNTU-CVE-shaped record (priority in severity); real Ubuntu OSV records: test_vuln_distro_streams.
    rec = {"id": "UBUNTU-CVE-2024-0001", "upstream": ["CVE-2024-0001"], "severity": [{"type": "Ubuntu", "score": "medium"}],
           "affected": [{"package": {"ecosystem": "Ubuntu:22.04:LTS", "name": "openssl"},
                         "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.0.2-0ubuntu1.15"}]}]}]}  # fmt: skip
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "u.json").write_bytes(orjson.dumps(rec))
    db = _db(tmp_path / "db", tmp_path / "src")
    from seawall.model import OSInfo

    pkg = Package("libssl3", "3.0.2-0ubuntu1.10", src_name="openssl", src_version="3.0.2-0ubuntu1.10")
    inv = Inventory("u", "container_image", OSInfo("ubuntu", "22.04"), "ubuntu", (pkg,), ())
    (f,) = next(iter(match_inventory(inv, db, VulnOptions()).values()))
    assert f.vulnerability_id == "CVE-2024-0001" and f.fixed_version == "3.0.2-0ubuntu1.15"
    assert f.severity.name == "MEDIUM" and f.severity_source == "ubuntu"
