"""``seawall db update`` end to end against a loopback feed server built from the corpus."""

from __future__ import annotations

import gzip
import io
import os
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from feedserver import FeedServer
from vulnref import DEBIAN_JSON, EPSS_CSV, GOVULNDB, KEV, PYPA

from seawall.cli.main import main
from seawall.vulndb import store
from seawall.yamlsafe import load_yaml

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "vulndb"
NVD_PAGE = CORPUS / "vunnel-feed-fixtures/tests/unit/providers/nvd/test-fixtures/full-page.json"
PYPI_SUBSET = ("requests", "urllib3", "jinja2", "pyyaml", "flask", "django", "pillow", "cryptography")


def _osv_zip(records: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in records:
            zf.writestr(name, data)
    return buf.getvalue()


@pytest.fixture(scope="module")
def feed_files() -> dict[str, bytes]:
    """OSV zips (a PyPI subset, all of Go), the Debian tracker sample, KEV, EPSS (gzip) and an NVD page."""
    pypi = []
    for d in PYPA.iterdir():
        if d.name.lower() in PYPI_SUBSET:
            for p in d.glob("*.yaml"):
                pypi.append((p.stem + ".json", orjson.dumps(load_yaml(p.read_text(), str(p)), default=str)))
    go = [(p.name, p.read_bytes()) for p in sorted(GOVULNDB.glob("GO-*.json"))]
    return {
        "/osv/PyPI/all.zip": _osv_zip(pypi),
        "/osv/Go/all.zip": _osv_zip(go),
        "/debian/json": DEBIAN_JSON.read_bytes(),
        "/kev.json": KEV.read_bytes(),
        "/epss.csv.gz": gzip.compress(EPSS_CSV.read_bytes()),
        "/nvd/nvdcve-2.0-2023.json.gz": gzip.compress(NVD_PAGE.read_bytes()),
    }


@pytest.fixture
def server(feed_files: dict[str, bytes]) -> Iterator[FeedServer]:
    srv = FeedServer(files=dict(feed_files)).start()
    yield srv
    srv.stop()


def _args(srv: FeedServer, db_dir: Path) -> list[str]:
    return [
        "db", "update", "--db-dir", str(db_dir), "--source", "osv,debian,kev,epss,nvd",
        "--osv-url", f"{srv.url}/osv", "--ecosystems", "PyPI,Go", "--debian-url", f"{srv.url}/debian/json",
        "--kev-url", f"{srv.url}/kev.json", "--epss-url", f"{srv.url}/epss.csv.gz",
        "--nvd-url", f"{srv.url}/nvd", "--nvd-years", "2023", "--timeout", "20",
    ]  # fmt: skip


def _counts(db_dir: Path) -> dict[str, int]:
    db = store.open_db(store.db_path(db_dir))
    try:
        return db.counts()
    finally:
        db.close()


def test_update_status_and_conditional_refresh(
    server: FeedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db_dir = tmp_path / "db"
    assert main(["-q", *_args(server, db_dir)]) == 0
    counts = _counts(db_dir)
    go_records = len(list(GOVULNDB.glob("GO-*.json")))
    assert counts["advisories"] >= go_records + 100
    assert counts["kev"] > 1000 and counts["epss"] == 5 and counts["nvd"] > 0
    capsys.readouterr()
    assert main(["db", "status", "--db-dir", str(db_dir), "--format", "json"]) == 0
    status = orjson.loads(capsys.readouterr().out)
    sources = {s["Name"]: s for s in status["Sources"]}
    assert sources["osv:Go"]["Records"] == go_records and sources["osv:Go"]["ETag"]
    assert status["SchemaVersion"] == store.SCHEMA_VERSION and status["Demo"] is False

    # Second run: every feed answers 304 to the stored validators, and the data stays.
    server.log.clear()
    assert main(["-q", *_args(server, db_dir)]) == 0
    assert all(r.get("if-none-match") for r in server.log), server.log
    err = capsys.readouterr().err
    assert err.count("not modified") == 6
    assert _counts(db_dir) == counts


def test_corrupt_and_truncated_downloads_are_rejected(
    server: FeedServer, feed_files: dict[str, bytes], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db_dir = tmp_path / "db"
    assert main(["-q", *_args(server, db_dir)]) == 0
    before = _counts(db_dir)
    # A flipped byte inside a member: the zip's CRC check fails.
    good = feed_files["/osv/Go/all.zip"]
    bad = bytearray(good)
    bad[len(bad) // 3] ^= 0xFF
    server.files["/osv/Go/all.zip"] = bytes(bad)
    capsys.readouterr()
    assert main(["-q", *_args(server, db_dir)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("seawall: error: osv:Go") and "\n" not in err, err
    assert "corrupt" in err or "truncated" in err
    assert _counts(db_dir) == before
    # A file cut short by the server (Content-Length promises more).
    server.files["/osv/Go/all.zip"] = good + b"\0"
    server.cut.add("/osv/Go/all.zip")
    assert main(["-q", *_args(server, db_dir)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("seawall: error: osv:Go") and "\n" not in err, err
    # A truncated archive served in full: not a zip any more.
    server.cut.clear()
    server.files["/osv/Go/all.zip"] = good[: len(good) // 2]
    assert main(["-q", *_args(server, db_dir)]) == 2
    assert "not a valid zip archive" in capsys.readouterr().err
    assert _counts(db_dir) == before
    assert not list(db_dir.glob(".seawall-vuln.db.tmp-*"))
    # Fixed upstream: the update succeeds; feeds already downloaded by the failed runs are revalidated
    # (If-None-Match with their own ETag) and reused rather than fetched again.
    server.files["/osv/Go/all.zip"] = good
    server.log.clear()
    assert main(["-q", *_args(server, db_dir)]) == 0
    assert all(r.get("if-none-match") for r in server.log)
    assert _counts(db_dir) == before


def test_sigkill_midway_keeps_previous_database_and_resumes(server: FeedServer, tmp_path: Path) -> None:
    db_dir = tmp_path / "db"
    assert main(["-q", *_args(server, db_dir)]) == 0
    before = _counts(db_dir)
    # Make the Go archive change and arrive slowly, then kill the updater while it downloads.
    fewer = sorted(GOVULNDB.glob("GO-*.json"))[:-5]
    server.files["/osv/Go/all.zip"] = _osv_zip([(p.name, p.read_bytes()) for p in fewer])
    server.slow.add("/osv/Go/all.zip")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    proc = subprocess.Popen([sys.executable, "-m", "seawall", "-q", *_args(server, db_dir)], env=env)
    part = db_dir / "downloads" / "osv_Go.part"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (part.exists() and part.stat().st_size > 64 * 1024):
        time.sleep(0.05)
    assert part.exists(), "the update never started downloading"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert _counts(db_dir) == before  # the previous database is intact and readable

    server.slow.clear()
    server.log.clear()
    assert main(["-q", *_args(server, db_dir)]) == 0
    go_requests = [r for r in server.log if r["path"] == "/osv/Go/all.zip"]
    assert go_requests and go_requests[0].get("range", "").startswith("bytes="), "the download resumed"
    assert _counts(db_dir)["advisories"] == before["advisories"] - 5
    assert not list(db_dir.glob(".seawall-vuln.db.tmp-*"))


def test_scan_updates_a_stale_database(
    server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from seawall.vulndb.ensure import DBSettings, ensure_database

    monkeypatch.setenv("SEAWALL_OSV_URL", f"{server.url}/osv")
    monkeypatch.setenv("SEAWALL_ECOSYSTEMS", "Go")
    monkeypatch.setenv("SEAWALL_SOURCE", "osv")
    db_dir = tmp_path / "db"
    # No database yet: the scan fetches one.
    db = ensure_database(DBSettings(db_dir), tmp_path / "cache")
    assert not db.is_demo and db.counts()["advisories"] == len(list(GOVULNDB.glob("GO-*.json")))
    db.close()
    # Fresh enough: no request at all; --db-max-age 0: a conditional request.
    server.log.clear()
    ensure_database(DBSettings(db_dir), tmp_path / "cache").close()
    assert server.log == []
    ensure_database(DBSettings(db_dir, max_age_hours=0), tmp_path / "cache").close()
    assert [r.get("if-none-match") is not None for r in server.log] == [True]
    # The server is gone: the scan goes on with the database it has.
    server.stop()
    db = ensure_database(DBSettings(db_dir, max_age_hours=0), tmp_path / "cache")
    assert not db.is_demo
    db.close()


def test_sigkill_during_ingest_keeps_previous_database(server: FeedServer, tmp_path: Path) -> None:
    db_dir = tmp_path / "db"
    assert main(["-q", *_args(server, db_dir)]) == 0
    before = _counts(db_dir)
    # New archives (Go gains a member the ingest skips, so its 4,291 records are ingested again, which
    # takes a moment): kill the updater as soon as its temporary database appears.
    go = [(p.name, p.read_bytes()) for p in sorted(GOVULNDB.glob("GO-*.json"))]
    server.files["/osv/Go/all.zip"] = _osv_zip([*go, ("README.txt", b"not a record")])
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    proc = subprocess.Popen([sys.executable, "-m", "seawall", "-q", *_args(server, db_dir)], env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not list(db_dir.glob(".seawall-vuln.db.tmp-*")):
        assert proc.poll() is None, "the update finished before it could be killed"
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert list(db_dir.glob(".seawall-vuln.db.tmp-*")), "killed mid-build: the temporary file is left"
    assert _counts(db_dir) == before  # the live database is the previous one, complete and readable
    assert main(["-q", *_args(server, db_dir)]) == 0
    assert not list(db_dir.glob(".seawall-vuln.db.tmp-*"))  # the next update cleared the stale build
    assert _counts(db_dir) == before
