"""AlmaLinux OSV advisories (real ALSA records from the vunnel fixtures) against rpm packages."""

from __future__ import annotations

from pathlib import Path

from vulnref import CORPUS

from seawall.model import Inventory, OSInfo, Package
from seawall.scan.policy import VulnOptions
from seawall.scan.vuln import match_inventory
from seawall.vulndb import store
from seawall.vulndb.ingest import osv

ALMA = CORPUS / "vunnel-feed-fixtures/tests/unit/providers/alma/test-fixtures/osv-database/advisories"


def _found(db: store.VulnDB, release: str, *pkgs: Package) -> dict[str, set[str]]:
    inv = Inventory("img", "container_image", OSInfo("alma", release), "alma", pkgs, ())
    out: dict[str, set[str]] = {}
    for fs in match_inventory(inv, db, VulnOptions()).values():
        for f in fs:
            out.setdefault(f.pkg_name, set()).add(f"{f.vulnerability_id} {f.fixed_version}")
    return out


def test_almalinux_binary_packages_and_release(tmp_path: Path) -> None:
    with store.building(tmp_path, fresh=True) as db:
        db.put_advisories(osv.iter_path(ALMA), "osv:AlmaLinux")
    db = store.open_db(store.db_path(tmp_path))
    old = Package(
        "avahi-compat-howl",
        "0.8",
        release="15.el9",
        src_name="avahi",
        src_version="0.8",
        src_release="15.el9",
    )
    new = Package(
        "avahi-compat-howl",
        "0.8",
        release="20.el9",
        src_name="avahi",
        src_version="0.8",
        src_release="20.el9",
    )
    assert _found(db, "9.3", old) == {"avahi-compat-howl": {"ALSA-2024:2433 0.8-20.el9"}}
    assert _found(db, "9.3", new) == {}
    # The AlmaLinux 8 advisories do not apply to release 9, nor the 9 ones to 8.
    assert _found(db, "8.9", old) == {}
