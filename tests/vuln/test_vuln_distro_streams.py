"""Red Hat, CentOS, SUSE, openSUSE, SLE Micro, Ubuntu, Rocky, Wolfi and Chainguard matching with real advisories.

Red Hat and SUSE records are the vendors' own advisories from the corpus (RHSA CSAF, SUSE CVRF) converted
to the OSV shape by ``distroosv``; Ubuntu, Rocky, Wolfi and Chainguard records are real OSV files as published.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import orjson
import pytest
from distroosv import CHAINGUARD_OSV, ROCKY_OSV, UBUNTU_OSV, rhsa_records, suse_records
from feedserver import FeedServer

from seawall.cli.main import main
from seawall.model import Inventory, OSInfo, Package, Severity
from seawall.scan.findings import DetectedVulnerability
from seawall.scan.policy import VulnOptions
from seawall.scan.vuln import db_os_ecosystems, match_inventory
from seawall.vulndb import store
from seawall.vulndb.ingest import osv


@pytest.fixture(scope="module")
def distro_db(tmp_path_factory: pytest.TempPathFactory) -> store.VulnDB:
    db_dir = tmp_path_factory.mktemp("distro-db")
    with store.building(db_dir, fresh=True) as db:
        db.put_advisories(rhsa_records(), "redhat-csaf")
        db.put_advisories(suse_records(), "suse-cvrf")
        db.put_advisories(osv.iter_path(ROCKY_OSV), "osv:Rocky Linux")
        db.put_advisories(osv.iter_path(UBUNTU_OSV), "osv:Ubuntu")
        db.put_advisories(osv.iter_path(CHAINGUARD_OSV / "CGA-22hv-wp9q-4779.json"), "osv:Chainguard")
        db.put_advisories(osv.iter_path(CHAINGUARD_OSV / "CGA-224q-ccj5-2p53.json"), "osv:Chainguard")
        db.put_advisories(osv.iter_path(CHAINGUARD_OSV / "CGA-xcpc-gm23-prj9.json"), "osv:Chainguard")
    return store.open_db(store.db_path(db_dir))


def _rpm(name: str, version: str, release: str, src: str = "") -> Package:
    return Package(
        name, version, release=release, src_name=src or name, src_version=version, src_release=release
    )


def _findings(db: store.VulnDB, family: str, release: str, *pkgs: Package) -> list[DetectedVulnerability]:
    inv = Inventory("img", "container_image", OSInfo(family, release), family, pkgs, ())
    return [f for fs in match_inventory(inv, db, VulnOptions()).values() for f in fs]


def _found(db: store.VulnDB, family: str, release: str, *pkgs: Package) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for fs in [_findings(db, family, release, *pkgs)]:
        for f in fs:
            out.setdefault(f.pkg_name, set()).add(f"{f.vulnerability_id} {f.fixed_version}")
    return out


def test_red_hat_major_release_any_stream_not_eus(distro_db: store.VulnDB) -> None:
    ecos = db_os_ecosystems(OSInfo("redhat", "9.4"), distro_db)
    # AppStream, BaseOS and CRB of RHEL 9; never the EUS (rhel_eus:9.0), RHEL 8 or RHEL 6 ELS streams.
    assert sorted(ecos) == [
        "Red Hat:enterprise_linux:9::appstream",
        "Red Hat:enterprise_linux:9::baseos",
        "Red Hat:enterprise_linux:9::crb",
    ]
    old_python = _rpm("python3.9", "3.9.16", "1.el9")
    # CVE-2024-8088: RHSA-2024:6163 (9.4 z-stream) and RHSA-2024:9371 (9.5) merge into one finding.
    assert _found(distro_db, "redhat", "9.4", old_python) == {
        "python3.9": {"CVE-2024-8088 0:3.9.18-3.el9_4.5, 0:3.9.19-8.el9"}
    }
    assert _found(distro_db, "redhat", "9.5", _rpm("python3.9", "3.9.19", "8.el9")) == {}
    # sudo: RHSA-2024:0811 (three CVEs: stays one advisory-keyed finding, as for DSAs).
    assert _found(distro_db, "redhat", "9.3", _rpm("sudo", "1.9.5p2", "9.el9")) == {
        "sudo": {"RHSA-2024:0811 0:1.9.5p2-10.el9_3"}
    }
    assert _found(distro_db, "redhat", "9.3", _rpm("sudo", "1.9.5p2", "10.el9_3")) == {}
    # RHEL 8 reads enterprise_linux:8 only: the EUS 8.6/8.8 fixes are not offered as the fixed version.
    assert _found(distro_db, "redhat", "8.9", _rpm("sudo", "1.9.5p2", "1.el8_8")) == {
        "sudo": {"RHSA-2024:0811 0:1.9.5p2-1.el8_9"}
    }
    # The fix carries epoch 0 explicitly; an installed version with epoch 0 equal to it is fixed.
    assert _found(distro_db, "redhat", "8.9", _rpm("sudo", "1.9.5p2", "1.el8_9")) == {}


def test_centos_reads_red_hat_advisories(distro_db: store.VulnDB) -> None:
    assert _found(distro_db, "centos", "9", _rpm("python3.9", "3.9.16", "1.el9")) == {
        "python3.9": {"CVE-2024-8088 0:3.9.18-3.el9_4.5, 0:3.9.19-8.el9"}
    }
    assert _found(distro_db, "centos", "7", _rpm("python3.9", "3.9.16", "1.el9")) == {}


def test_sles_product_modules_of_the_service_pack(distro_db: store.VulnDB) -> None:
    sles = "suse linux enterprise server"
    helm = _rpm("helm-mirror", "0.2.0", "1.1")
    # SUSE-SU-2019:0048-2 ships in "SUSE Linux Enterprise Module for Containers 15 SP1".
    assert db_os_ecosystems(OSInfo(sles, "15.1"), distro_db) == [
        "SUSE:Linux Enterprise Module for Containers 15 SP1"
    ]
    assert _found(distro_db, sles, "15.1", helm) == {"helm-mirror": {"SUSE-SU-2019:0048-2 0.2.1-1.7.1"}}
    assert _found(distro_db, sles, "15.1", _rpm("helm-mirror", "0.2.1", "1.7.1")) == {}
    assert _found(distro_db, sles, "15.2", helm) == {}
    assert _found(distro_db, sles, "15", helm) == {}


def test_sle_micro_and_opensuse_releases(distro_db: store.VulnDB) -> None:
    gnutls = _rpm("libgnutls30", "3.7.3", "150400.4.1", src="gnutls")
    assert _found(distro_db, "sle-micro", "5.3", gnutls) == {
        "libgnutls30": {"SUSE-SU-2024:2546-1 3.7.3-150400.8.1"}
    }
    assert _found(distro_db, "sle-micro", "5.4", gnutls) == {}
    # SUSE-SU-2025:20377-1 is filed under the renamed product "SUSE Linux Micro 6.0".
    docker = _rpm("docker", "27.5.0_ce", "2.1")
    assert _found(distro_db, "sle-micro", "6.0", docker) == {"docker": {"SUSE-SU-2025:20377-1 27.5.1_ce-3.1"}}
    assert _found(distro_db, "sle-micro", "5.5", docker) == {}
    swan = _rpm("strongswan-libs0", "5.6.0", "lp151.4.2.1", src="strongswan")
    assert _found(distro_db, "opensuse-leap", "15.1", swan) == {
        "strongswan-libs0": {"openSUSE-SU-2019:2598-1 5.6.0-lp151.4.3.1"}
    }
    assert _found(distro_db, "opensuse-leap", "15.2", swan) == {}
    logilab = _rpm("python3-logilab-common", "1.2.0", "1.1")
    assert _found(distro_db, "opensuse-tumbleweed", "20240601", logilab) == {
        "python3-logilab-common": {"openSUSE-SU-2024:10400-1 1.2.2-1.2"}
    }
    assert _found(distro_db, "opensuse-tumbleweed", "20240601", _rpm(logilab.name, "1.2.2", "1.2")) == {}


def test_rocky_linux_real_osv_records(distro_db: store.VulnDB) -> None:
    ruby = _rpm("ruby", "3.3.0", "1.module+el9.4.0+20000+4c237fd3")
    assert _found(distro_db, "rocky", "9.4", ruby) == {
        "ruby": {"RLSA-2024:3671 0:3.3.1-2.module+el9.4.0+20787+4c237fd3"}
    }
    assert _found(distro_db, "rocky", "8.9", ruby) == {}
    firefox = _rpm("firefox", "102.10.0", "1.el8_7")
    assert "RLSA-2023:3220" in next(iter(_found(distro_db, "rocky", "8.8", firefox)["firefox"]))


def test_wolfi_and_chainguard_real_osv_records(distro_db: store.VulnDB) -> None:
    worker = Package("langfuse-3-worker", "3.152.0", release="r0", src_name="langfuse-3-worker")
    fixed = Package("langfuse-3-worker", "3.153.0", release="r0", src_name="langfuse-3-worker")
    for family in ("chainguard", "wolfi"):
        assert _found(distro_db, family, "20230201", worker) == {
            "langfuse-3-worker": {"CGA-22hv-wp9q-4779 3.153.0-r0"}
        }
        assert _found(distro_db, family, "20230201", fixed) == {}
    # The FIPS flavour is only in the Chainguard ecosystem of this advisory.
    fips = Package("langfuse-fips-3-worker", "3.151.0", release="r0", src_name="langfuse-fips-3-worker")
    assert _found(distro_db, "chainguard", "20230201", fips) == {
        "langfuse-fips-3-worker": {"CGA-22hv-wp9q-4779 3.152.0-r0"}
    }
    assert _found(distro_db, "wolfi", "20230201", fips) == {}


def test_ubuntu_real_osv_records_cve_and_usn_merge(distro_db: store.VulnDB) -> None:
    client = Package("libwayland-client0", "1.20.0", release="1", src_name="wayland", src_version="1.20.0",
                     src_release="1")  # fmt: skip
    [f] = _findings(distro_db, "ubuntu", "22.04", client)
    # UBUNTU-CVE-2021-3782 and USN-5614-1 (which names it) are one finding, keyed by the CVE.
    assert (f.vulnerability_id, f.fixed_version, f.status) == ("CVE-2021-3782", "1.20.0-1ubuntu0.1", "fixed")
    assert {"UBUNTU-CVE-2021-3782", "USN-5614-1"} <= set(f.aliases)
    assert (f.severity, f.severity_source) == (Severity.MEDIUM, "ubuntu")
    fixed = Package("libwayland-client0", "1.20.0", release="1ubuntu0.1", src_name="wayland",
                    src_version="1.20.0", src_release="1ubuntu0.1")  # fmt: skip
    assert _found(distro_db, "ubuntu", "22.04", fixed) == {}
    # 20.04 has its own fixed version.
    focal = Package("libwayland-client0", "1.18.0", release="1", src_name="wayland", src_version="1.18.0",
                    src_release="1")  # fmt: skip
    assert _found(distro_db, "ubuntu", "20.04", focal) == {
        "libwayland-client0": {"CVE-2021-3782 1.18.0-1ubuntu0.1"}
    }
    # An unfixed CVE whose Ubuntu priority is "negligible": affected, LOW from Ubuntu (not CVSS HIGH).
    libc = Package("libc6", "2.35", release="0ubuntu3.1", src_name="glibc", src_version="2.35",
                   src_release="0ubuntu3.1")  # fmt: skip
    [g] = _findings(distro_db, "ubuntu", "22.04", libc)
    assert (g.vulnerability_id, g.status, g.fixed_version) == ("CVE-2016-20013", "affected", "")
    assert (g.severity, g.severity_source) == (Severity.LOW, "ubuntu")
    # Ubuntu Pro (ESM) advisories are not applied to a plain 14.04 image.
    jansson = Package(
        "libjansson4", "2.5", release="2", src_name="jansson", src_version="2.5", src_release="2"
    )
    assert _found(distro_db, "ubuntu", "14.04", jansson) == {}
    tpp = Package("tpp", "1.3.1", release="2", src_name="tpp", src_version="1.3.1", src_release="2")
    # UBUNTU-CVE-2013-2208 would apply (1.3.1-2 < 1.3.1-3) but Ubuntu withdrew it.
    assert distro_db.affected_for("Ubuntu:14.04:LTS", "tpp")[0].withdrawn
    assert _found(distro_db, "ubuntu", "14.04", tpp) == {}


def test_ecosystem_prefix_lookup_is_exact_case(distro_db: store.VulnDB, tmp_path: Path) -> None:
    assert distro_db.ecosystems_with_prefix("red hat:") == []
    assert "Red Hat:rhel_els:6" in distro_db.ecosystems_with_prefix("Red Hat:")


def test_db_update_fetches_red_hat_and_suse_archives(tmp_path: Path) -> None:
    def zipped(records: list[dict[str, object]]) -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            for r in records:
                zf.writestr(f"{r['id']}.json".replace(":", "_"), orjson.dumps(r))
        return buf.getvalue()

    suse = list(suse_records())
    files = {
        "/osv/Red%20Hat/all.zip": zipped(list(rhsa_records())),
        "/osv/SUSE/all.zip": zipped([r for r in suse if r["id"].startswith("SUSE-")]),
    }
    srv = FeedServer(files=files).start()
    try:
        db_dir = tmp_path / "db"
        args = ["-q", "db", "update", "--db-dir", str(db_dir), "--source", "osv", "--osv-url", f"{srv.url}/osv",
                "--ecosystems", "Red Hat,SUSE", "--timeout", "20"]  # fmt: skip
        assert main(args) == 0
    finally:
        srv.stop()
    db = store.open_db(store.db_path(db_dir))
    try:
        assert {s.name for s in db.sources()} >= {"osv:Red Hat", "osv:SUSE"}
        assert _found(db, "redhat", "9.4", _rpm("python3.9", "3.9.16", "1.el9")) == {
            "python3.9": {"CVE-2024-8088 0:3.9.18-3.el9_4.5, 0:3.9.19-8.el9"}
        }
        assert _found(db, "suse linux enterprise server", "15.1", _rpm("helm-mirror", "0.2.0", "1.1")) == {
            "helm-mirror": {"SUSE-SU-2019:0048-2 0.2.1-1.7.1"}
        }
    finally:
        db.close()
