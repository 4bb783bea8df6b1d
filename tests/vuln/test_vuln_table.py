"""The vulnerability table: Trivy's columns plus the layer, from real matches (Ubuntu OSV records)."""

from __future__ import annotations

from pathlib import Path

from distroosv import UBUNTU_OSV

from seawall.model import Inventory, LayerRef, OSInfo, Package
from seawall.report.document import Report, Result
from seawall.report.table import render
from seawall.scan.policy import VulnOptions
from seawall.scan.vuln import match_inventory
from seawall.vulndb import store
from seawall.vulndb.ingest import osv

LAYER = LayerRef("sha256:4f1c2a9b8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170605f4e3")


def test_vulnerability_rows_show_status_versions_and_layer(tmp_path: Path) -> None:
    with store.building(tmp_path, fresh=True) as db:
        db.put_advisories(osv.iter_path(UBUNTU_OSV), "osv:Ubuntu")
    db = store.open_db(store.db_path(tmp_path))
    pkgs = (
        Package("libwayland-client0", "1.20.0", release="1", src_name="wayland", src_version="1.20.0",
                src_release="1", layer=LAYER),
        Package("libc6", "2.35", release="0ubuntu3.1", src_name="glibc", src_version="2.35",
                src_release="0ubuntu3.1", layer=LAYER),
    )  # fmt: skip
    inv = Inventory("img", "container_image", OSInfo("ubuntu", "22.04"), "ubuntu", pkgs, ())
    [(target, findings)] = match_inventory(inv, db, VulnOptions()).items()
    report = Report("img", "container_image")
    report.results.append(Result(target, "os-pkgs", "ubuntu", vulnerabilities=list(findings)))
    text = render(report, width=250)
    header = next(line for line in text.splitlines() if "Library" in line)
    cols = [c.strip() for c in header.strip("┃│ ").split("┃")]
    assert cols == ["Library", "Vulnerability", "Severity", "Status", "Installed Version", "Fixed Version",
                    "Layer", "Title"]  # fmt: skip
    rows = {line.split("│")[1].strip(): [c.strip() for c in line.split("│")[1:-1]]
            for line in text.splitlines() if line.startswith("│") and line.split("│")[1].strip()}  # fmt: skip
    assert rows["libwayland-client0"][:7] == [
        "libwayland-client0", "CVE-2021-3782", "MEDIUM", "fixed", "1.20.0-1", "1.20.0-1ubuntu0.1", "4f1c2a9b8e7d",
    ]  # fmt: skip
    assert rows["libc6"][:7] == [
        "libc6",
        "CVE-2016-20013",
        "LOW",
        "affected",
        "2.35-0ubuntu3.1",
        "",
        "4f1c2a9b8e7d",
    ]
