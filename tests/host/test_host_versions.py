"""Runtime version check: versions from the real Podman API and from dpkg, matched against the corpus
vulnerability database (Go advisories for runc/containerd/podman/docker, Debian for packaged builds)."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "artifact"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "vuln"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from hostfs import hardened_host, put
from remote_fixtures import PodmanService
from vulnref import build_corpus_db

from realimages import TEST_CACHE, locked
from seawall.cli.main import main
from seawall.host.audit import run_audit
from seawall.host.snapshot import collect
from seawall.host.versions import Component, components, from_api, match_runtime, upstream_version
from seawall.misconfig.checks.host import FAIL, PASS
from seawall.vulndb import store

SRC = Path(__file__).resolve().parents[2] / "src" / "seawall" / "vulndb"


@pytest.fixture(scope="module")
def corpus_db_dir() -> Path:
    """The corpus database of the vulnerability tests (same cache key, built once per machine)."""
    h = hashlib.sha256()
    for p in sorted([SRC / "store.py", *sorted((SRC / "ingest").glob("*.py"))]):
        h.update(p.read_bytes())
    db_dir = TEST_CACHE / f"vulndb-corpus-{h.hexdigest()[:12]}"
    with locked("vulndb-corpus"):
        if not store.db_path(db_dir).is_file():
            build_corpus_db(db_dir)
    return db_dir


@pytest.fixture
def corpus_db(corpus_db_dir: Path) -> store.VulnDB:
    db = store.open_db(store.db_path(corpus_db_dir))
    yield db  # type: ignore[misc]
    db.close()


def test_upstream_version() -> None:
    assert upstream_version("1.1.5+ds1-1+deb12u1") == "1.1.5"
    assert upstream_version("runc version 1.1.12\ncommit: v1.1.12-0") == "1.1.12"
    assert upstream_version("conmon version 2.1.6, commit: unknown") == "2.1.6"
    assert upstream_version("nonsense") == ""


def test_components_from_the_podman_api(podman_service: PodmanService) -> None:
    snap = collect("/", f"unix://{podman_service.socket}")
    found = {c.name: c for c in components(snap)}
    assert found["podman"].version == "4.3.1" and found["podman"].source == "engine API /version"
    assert found["podman"].go_version.startswith("1.")
    # Podman names the Debian package of its OCI runtime: the packaged build is recognised.
    assert found["runc"].version == "1.1.5" and found["runc"].deb_version.startswith("1.1.5+ds1")
    assert "conmon" in found


def test_upstream_runc_has_the_leaky_vessels_cve(corpus_db: store.VulnDB) -> None:
    comp = Component("runc", "1.1.5", "runc --version", go_version="")
    result = match_runtime([comp], corpus_db)
    ids = {f.vulnerability_id for f in result.findings}
    assert "CVE-2024-21626" in ids  # runc < 1.1.12: working directory leak, container escape
    assert result.sources["runc 1.1.5"] == "Go (github.com/opencontainers/runc)"
    fixed = match_runtime([Component("runc", "1.3.3", "x")], corpus_db)
    assert "CVE-2024-21626" not in {f.vulnerability_id for f in fixed.findings}


def test_packaged_build_uses_distribution_advisories(corpus_db: store.VulnDB) -> None:
    """A Debian build carries backported fixes: its Debian version is matched, not upstream's."""
    comp = Component("runc", "1.1.5", "dpkg", deb_version="1.1.5+ds1-1+deb12u1")
    debian = match_runtime([comp], corpus_db, ("debian", "12"))
    assert debian.sources[comp.label] == "Debian:12"
    assert not [
        f for f in debian.findings if f.pkg_name.endswith("runc")
    ]  # no Debian runc advisory in the corpus
    upstream = match_runtime([comp], corpus_db, ("", ""))
    assert "CVE-2024-21626" in {f.vulnerability_id for f in upstream.findings}


def test_api_versions_become_control_1_2_2(podman_service: PodmanService, corpus_db: store.VulnDB) -> None:
    snap = collect("/", f"unix://{podman_service.socket}")
    runtime = match_runtime(components(snap), corpus_db)  # no distro: upstream advisories
    audit = run_audit(snap, runtime=runtime)
    outcomes = {o.outcome.subject: o.outcome for o in audit.for_control("1.2.2")}
    assert outcomes["runc"].status == FAIL and "CVE-2024-21626" in outcomes["runc"].message
    assert outcomes["runc"].evidence.startswith("engine API /version; advisories: Go")
    assert outcomes["podman"].status == FAIL
    assert outcomes["go"].status == FAIL and "stdlib" in outcomes["go"].message


def test_docker_version_shape(corpus_db: store.VulnDB) -> None:
    version = {
        "Components": [
            {"Name": "Engine", "Version": "20.10.5", "Details": {"GoVersion": "go1.15.8"}},
            {"Name": "containerd", "Version": "1.4.3", "Details": {"GitCommit": "x"}},
            {"Name": "runc", "Version": "1.0.0-rc93", "Details": {"GitCommit": "x"}},
        ]
    }
    comps = {c.name: c for c in from_api(version)}
    assert comps["docker"].version == "20.10.5" and comps["docker"].go_version == "1.15.8"
    assert comps["containerd"].version == "1.4.3" and comps["runc"].version == "1.0.0"
    found = match_runtime(list(comps.values()), corpus_db)
    names = {f.pkg_name for f in found.findings}
    assert {"github.com/docker/docker", "github.com/containerd/containerd", "stdlib"} <= names


@pytest.mark.skipif(os.geteuid() != 0, reason="fixtures need chown")
def test_cli_on_root_with_dpkg_status(
    tmp_path: Path, corpus_db_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = hardened_host(tmp_path / "host")
    put(
        root, "/etc/os-release", "ID=alpine\nVERSION_ID=3.99.0\n"
    )  # no distro advisories: upstream ones apply
    put(
        root,
        "/var/lib/dpkg/status",
        "Package: runc\nStatus: install ok installed\nVersion: 1.1.5+ds1-1\n\n"
        "Package: containerd\nStatus: install ok installed\nVersion: 1.6.20~ds1-1\n",
    )
    args = ["host", "--root", str(root), "--db-dir", str(corpus_db_dir), "--skip-db-update", "-f", "json"]
    assert main(args) == 0
    doc = json.loads(capsys.readouterr().out)
    runtime = next(r for r in doc["Results"] if r["Target"] == "container runtime")
    ids = {v["VulnerabilityID"] for v in runtime["Vulnerabilities"]}
    assert "CVE-2024-21626" in ids
    assert main([*args, "--compliance", "docker-cis"]) == 0
    comp = json.loads(capsys.readouterr().out)
    [control] = [c for c in comp["Controls"] if c["ID"] == "1.2.2"]
    assert control["Status"] == FAIL
    subjects = {r["Subject"]: r["Status"] for r in control["Results"]}
    assert subjects == {"runc": FAIL, "containerd": subjects["containerd"]} and subjects["containerd"] in (
        FAIL,
        PASS,
    )
