"""Debian matching with the Debian security tracker data in the corpus (vunnel and trivy-db fixtures)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from seawall.model import Inventory, OSInfo, Package
from seawall.scan.policy import VulnOptions
from seawall.scan.vuln import match_inventory, scan_inventory
from seawall.vulndb import store
from seawall.vulndb.ingest import debian_tracker

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "vulndb"
TRACKER = CORPUS / "vunnel-feed-fixtures/tests/unit/providers/debian/test-fixtures/input/debian.json"
TRIVY_CVE = CORPUS / "trivy-db-feed-fixtures/pkg/vulnsrc/debian/testdata/happy/vuln-list-debian/tracker/CVE"


def _tracker_from_cve_list(path: Path) -> dict[str, dict[str, dict[str, object]]]:
    """The tracker-JSON form of a ``data/CVE/list`` entry (trivy's vuln-list copy) for the release lines.

    ``[stretch] - libgcrypt20 <no-dsa> (Minor issue)`` becomes ``{"status": "open", "nodsa": ...}``, as
    the tracker's JSON export renders it; fixed lines become ``resolved`` with their version.
    """
    cve = orjson.loads(path.read_bytes())
    out: dict[str, dict[str, dict[str, object]]] = {}
    for ann in cve["Annotations"]:
        if ann.get("Type") != "package" or not ann.get("Release"):
            continue
        entry: dict[str, object] = {"urgency": "low"}
        if ann["Kind"] == "fixed":
            entry |= {"status": "resolved", "fixed_version": ann["Version"]}
        elif ann["Kind"] in ("no-dsa", "ignored", "postponed"):
            reason = "" if ann["Kind"] == "no-dsa" else ann["Kind"]
            entry |= {"status": "open", "nodsa": ann.get("Description", ""), "nodsa_reason": reason}
        elif ann["Kind"] == "end-of-life":
            entry |= {"status": "open", "urgency": "end-of-life"}
        else:
            continue
        pkg = out.setdefault(ann["Package"], {}).setdefault(cve["Header"]["ID"], {"releases": {}})
        pkg["releases"][ann["Release"]] = entry  # type: ignore[index]
    return out


@pytest.fixture(scope="module")
def debian_db(tmp_path_factory: pytest.TempPathFactory) -> store.VulnDB:
    db_dir = tmp_path_factory.mktemp("debian-db")
    with store.building(db_dir, fresh=True) as db:
        db.put_advisories(debian_tracker.convert(orjson.loads(TRACKER.read_bytes())), "debian-tracker")
        extra = _tracker_from_cve_list(TRIVY_CVE / "CVE-2021-33560.json")
        db.put_advisories(debian_tracker.convert(extra), "debian-cve-list")
    opened = store.open_db(store.db_path(db_dir))
    yield opened  # type: ignore[misc]
    opened.close()


def _inv(release: str, *pkgs: Package) -> Inventory:
    return Inventory("img", "container_image", OSInfo("debian", release), "debian", pkgs, ())


def _find(db: store.VulnDB, release: str, pkg: Package, **opts: object) -> dict[str, object]:
    found = match_inventory(_inv(release, pkg), db, VulnOptions(**opts))  # type: ignore[arg-type]
    return {f.vulnerability_id: f for fs in found.values() for f in fs}


def test_binary_package_with_source_fixed_below_installed_is_not_reported(debian_db: store.VulnDB) -> None:
    # sope's bookworm fix is 5.8.0-1+deb12u1 (DSA-5970-1); the binary package libsope1 comes from source sope.
    fixed = Package("libsope1", "5.8.0-1+deb12u2", src_name="sope", src_version="5.8.0-1+deb12u2")
    assert _find(debian_db, "12.7", fixed) == {}
    vulnerable = Package("libsope1", "5.8.0-1", src_name="sope", src_version="5.8.0-1")
    f = _find(debian_db, "12.7", vulnerable)["CVE-2025-53603"]
    assert f.fixed_version == "5.8.0-1+deb12u1" and f.status == "fixed"  # type: ignore[attr-defined]
    assert f.pkg_name == "libsope1" and "DEBIAN-TRACKER-CVE-2025-53603" in f.aliases  # type: ignore[attr-defined]


def test_exact_release_and_epoch(debian_db: store.VulnDB) -> None:
    # Same version on bullseye (11) has its own fixed version 5.0.1-2+deb11u1.
    pkg = Package("sope", "5.0.1-2", src_name="sope", src_version="5.0.1-2")
    assert _find(debian_db, "11.9", pkg)["CVE-2025-53603"].fixed_version == "5.0.1-2+deb11u1"  # type: ignore[attr-defined]
    # An epoch outranks any upstream version: 1:5.0.0 is newer than 5.8.0-1+deb12u1.
    epoch = Package("sope", "5.0.0-1", epoch=1, src_name="sope", src_version="5.0.0-1", src_epoch=1)
    assert _find(debian_db, "12", epoch) == {}


def test_end_of_life_and_no_dsa_statuses(debian_db: store.VulnDB) -> None:
    chromium = Package(
        "chromium", "89.0.4389.114-1~deb10u1", src_name="chromium", src_version="89.0.4389.114-1~deb10u1"
    )
    f = _find(debian_db, "10.13", chromium)["CVE-2022-0456"]
    assert f.status == "end_of_life" and f.fixed_version == ""  # type: ignore[attr-defined]
    gcrypt = Package("libgcrypt20", "1.7.6-2+deb9u3", src_name="libgcrypt20", src_version="1.7.6-2+deb9u3")
    g = _find(debian_db, "9.13", gcrypt)["CVE-2021-33560"]
    assert g.status == "affected"  # type: ignore[attr-defined]
    # buster has a fixed version for the same CVE.
    gcrypt10 = Package("libgcrypt20", "1.8.4-5", src_name="libgcrypt20", src_version="1.8.4-5")
    assert _find(debian_db, "10", gcrypt10)["CVE-2021-33560"].fixed_version == "1.8.4-5+deb10u1"  # type: ignore[attr-defined]
    # --ignore-unfixed drops the unfixed ones.
    assert scan_inventory(_inv("9.13", gcrypt), debian_db, VulnOptions(ignore_unfixed=True)) == {}


def test_status_mapping() -> None:
    st = debian_tracker.release_status
    assert st({"status": "open", "nodsa": "Minor issue", "nodsa_reason": "ignored"}) == "will_not_fix"
    assert st({"status": "open", "nodsa": "x", "nodsa_reason": "postponed"}) == "fix_deferred"
    assert st({"status": "open", "nodsa": "Minor issue", "nodsa_reason": ""}) == "affected"
    assert st({"status": "resolved", "fixed_version": "0"}) is None  # never affected
    assert st({"status": "undetermined"}) is None


def test_urgency_becomes_vendor_severity(debian_db: store.VulnDB) -> None:
    pkg = Package("txt2man", "1.5.5-2", src_name="txt2man", src_version="1.5.5-2")
    f = _find(debian_db, "9", pkg)["CVE-2013-1444"]  # urgency "low**" on stretch
    assert f.severity.name == "LOW" and f.severity_source == "debian"  # type: ignore[attr-defined]


def test_multi_cve_advisory_does_not_merge_cves(tmp_path: Path) -> None:
    # Debian's OSV DSA records list every CVE they fix as "upstream"; the tracker has one record per CVE.
    tracker = orjson.loads(TRACKER.read_bytes())
    dsa = {"id": "DSA-9999-1", "upstream": ["CVE-2025-53603", "CVE-2022-0456"],
           "affected": [{"package": {"ecosystem": "Debian:12", "name": "sope"},
                         "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "5.8.0-1+deb12u1"}]}]}]}  # fmt: skip
    with store.building(tmp_path, fresh=True) as db:
        db.put_advisories(debian_tracker.convert(tracker), "debian-tracker")
        db.put_advisories([dsa], "osv:Debian")
    db = store.open_db(store.db_path(tmp_path))
    pkg = Package("sope", "5.8.0-1", src_name="sope", src_version="5.8.0-1")
    found = _find(db, "12", pkg)
    assert "CVE-2025-53603" in found and "CVE-2022-0456" not in found
    assert "DSA-9999-1" not in found  # its CVE already has a finding of its own
