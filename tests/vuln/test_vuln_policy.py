"""Ignore files (.trivyignore syntax and YAML), OpenVEX and CycloneDX VEX, against real matches."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import orjson
import pytest

from seawall.errors import UsageError
from seawall.model import Application, Inventory, Package
from seawall.scan.policy import VulnOptions, load_vex
from seawall.scan.vuln import scan_inventory, scan_inventory_detailed
from seawall.vulndb import store

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "vulndb"
OPENVEX = (
    CORPUS / "vunnel-feed-fixtures/tests/unit/providers/chainguard_libraries/test-fixtures/input/openvex/pypi"
)


def _inv(name: str, version: str) -> Inventory:
    pkg = Package(
        name=name, version=version, purl=f"pkg:pypi/{name}@{version}", file_path=f"site/{name}/METADATA"
    )
    return Inventory("t", "container_image", None, "", (), (Application("python-pkg", "site", (pkg,)),))


def _ids(found: dict) -> set[str]:  # type: ignore[type-arg]
    return {f.vulnerability_id for fs in found.values() for f in fs}


def test_trivyignore_syntax_with_expiry(corpus_db: store.VulnDB, tmp_path: Path) -> None:
    inv = _inv("requests", "2.19.0")
    every = _ids(scan_inventory(inv, corpus_db, VulnOptions()))
    assert {"CVE-2018-18074", "CVE-2023-32681"} <= every
    ignore = tmp_path / ".seawallignore"
    # An alias (PYSEC id) suppresses the merged CVE finding too; an expired entry does not.
    ignore.write_text("# accepted\nPYSEC-2018-28\nCVE-2023-32681 exp:2020-01-01\n")
    opts = VulnOptions(ignore_file=ignore, today=dt.date(2026, 1, 1))
    detailed = scan_inventory_detailed(inv, corpus_db, opts)["Python"]
    assert "CVE-2018-18074" not in {f.vulnerability_id for f in detailed.kept}
    assert "CVE-2023-32681" in {f.vulnerability_id for f in detailed.kept}
    assert [f.suppressed_by for f in detailed.suppressed] == ["ignore-file"]


def test_yaml_ignore_with_purls_and_reasons(corpus_db: store.VulnDB, tmp_path: Path) -> None:
    ignore = tmp_path / "ignore.yaml"
    ignore.write_text(
        "vulnerabilities:\n"
        "  - id: CVE-2018-18074\n    purls: [pkg:pypi/requests]\n    statement: not reachable\n"
        "    expired_at: 2999-01-01\n"
        "  - id: CVE-2023-32681\n    purls: [pkg:pypi/requests@9.9.9]\n"
    )
    res = scan_inventory_detailed(_inv("requests", "2.19.0"), corpus_db, VulnOptions(ignore_file=ignore))[
        "Python"
    ]
    kept = {f.vulnerability_id for f in res.kept}
    assert "CVE-2018-18074" not in kept and "CVE-2023-32681" in kept  # purl version differs: still reported
    (sup,) = res.suppressed
    assert sup.to_json()["Justification"] == "not reachable"
    bad = tmp_path / "bad.yaml"
    bad.write_text("vulnerabilities:\n  - id: X\n    expired_at: someday\n")
    with pytest.raises(UsageError, match="invalid date"):
        scan_inventory(_inv("requests", "2.19.0"), corpus_db, VulnOptions(ignore_file=bad))


def test_openvex_fixed_statement_from_chainguard(corpus_db: store.VulnDB) -> None:
    vex = OPENVEX / "urllib3.openvex.json"
    inv = _inv("urllib3", "1.26.16+cgr.1")
    without = _ids(scan_inventory(inv, corpus_db, VulnOptions()))
    assert "CVE-2023-45803" in without
    res = scan_inventory_detailed(inv, corpus_db, VulnOptions(vex=(vex,)))["Python"]
    assert "CVE-2023-45803" not in {f.vulnerability_id for f in res.kept}
    assert [f.suppressed_by for f in res.suppressed] == ["vex:fixed"]
    # The same statement does not cover another version.
    other = _ids(scan_inventory(_inv("urllib3", "1.26.15"), corpus_db, VulnOptions(vex=(vex,))))
    assert "CVE-2023-45803" in other


def test_cyclonedx_vex_not_affected(corpus_db: store.VulnDB, tmp_path: Path) -> None:
    doc = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "vulnerabilities": [
            {
                "id": "CVE-2018-18074",
                "analysis": {"state": "not_affected", "justification": "code_not_reachable"},
                "affects": [
                    {"ref": "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#pkg:pypi/requests@2.19.0"}
                ],
            }
        ],
    }
    path = tmp_path / "vex.cdx.json"
    path.write_bytes(orjson.dumps(doc))
    res = scan_inventory_detailed(_inv("requests", "2.19.0"), corpus_db, VulnOptions(vex=(path,)))["Python"]
    (sup,) = res.suppressed
    assert sup.vulnerability_id == "CVE-2018-18074" and sup.justification == "code_not_reachable"


def test_malformed_vex_is_a_usage_error(tmp_path: Path) -> None:
    p = tmp_path / "x.json"
    p.write_text("{not json")
    with pytest.raises(UsageError):
        load_vex(p)
    p.write_text('{"hello": 1}')
    with pytest.raises(UsageError, match="neither"):
        load_vex(p)


def test_flag_validation() -> None:
    from seawall.cli.vulnopts import vuln_options

    opts = vuln_options({"severity": "high,critical", "ignore_status": "will_not_fix", "fail_on": "HIGH",
                         "sort": "risk", "exit_code": 3})  # fmt: skip
    assert opts.fail_on is not None and opts.fail_on.name == "HIGH" and opts.sort == "risk"
    assert {s.name for s in opts.severities} == {"HIGH", "CRITICAL"}
    for bad in ({"severity": "SEVERE"}, {"ignore_status": "wontfix"}, {"sort": "random"},
                {"detection_priority": "loose"}, {"ignorefile": "/nonexistent/.seawallignore"}):  # fmt: skip
        with pytest.raises(UsageError):
            vuln_options(bad)
