"""The matcher against the full corpus database, compared with an independent reference evaluation."""

from __future__ import annotations

import pytest
from vulnref import GOVULNDB, PYPA, affecting, load_go, load_pypa

from seawall.model import Application, Inventory, OSInfo, Package, Severity
from seawall.scan.policy import VulnOptions
from seawall.scan.vuln import match_inventory, scan_inventory
from seawall.vulndb import store

PINNED = {"requests": "2.19.0", "Jinja2": "2.10", "urllib3": "1.24.1", "PyYAML": "5.3", "Flask": "0.12.2"}
GO_MODULES = {"stdlib": "1.19.8", "golang.org/x/net": "v0.0.0-20220722155237-a158d28d115b"}


def _pypi(name: str, version: str, **kw: object) -> Package:
    return Package(name=name, version=version, purl=f"pkg:pypi/{name.lower()}@{version}", **kw)  # type: ignore[arg-type]


def _inventory(*apps: Application, os_pkgs: tuple[Package, ...] = (), os: OSInfo | None = None) -> Inventory:
    return Inventory("test", "container_image", os, "debian" if os else "", os_pkgs, apps)


def _ids(findings: list) -> set[str]:  # type: ignore[type-arg]
    return {i for f in findings for i in (f.vulnerability_id, *f.aliases)}


def test_pypi_and_go_match_reference(corpus_db: store.VulnDB) -> None:
    py = Application(
        "python-pkg", "usr/lib/python3/dist-packages", tuple(_pypi(n, v) for n, v in PINNED.items())
    )
    go = Application(
        "gobinary", "usr/bin/app", tuple(Package(name=n, version=v) for n, v in GO_MODULES.items())
    )
    found = match_inventory(_inventory(py, go), corpus_db, VulnOptions())
    pypa = load_pypa(PYPA, list(PINNED))
    gorecs = load_go(GOVULNDB, set(GO_MODULES))
    for name, version in PINNED.items():
        expected = affecting(pypa, "PyPI", name, version)
        got = [f for f in found.get("Python", []) if f.pkg_name == name]
        assert expected, f"the corpus has advisories for {name} {version}"
        assert _ids(got) & {r["id"] for r in pypa} == expected, name
        assert len({f.vulnerability_id for f in got}) == len(got)
    for name, version in GO_MODULES.items():
        expected = affecting(gorecs, "Go", name, version.lstrip("v"))
        got = [f for f in found.get("usr/bin/app", []) if f.pkg_name == name]
        assert expected
        assert _ids(got) & {r["id"] for r in gorecs} == expected, name


def test_aliases_merge_to_cve(corpus_db: store.VulnDB) -> None:
    found = match_inventory(
        _inventory(Application("python-pkg", "x", (_pypi("requests", "2.19.0"),))), corpus_db, VulnOptions()
    )["Python"]
    cve = next(f for f in found if f.vulnerability_id == "CVE-2018-18074")
    assert "PYSEC-2018-28" in cve.aliases
    assert cve.fixed_version == "2.20.0" and cve.status == "fixed"
    assert not any(f.vulnerability_id.startswith("PYSEC-2018-28") for f in found)


def test_go_stdlib_matched_at_toolchain_version(corpus_db: store.VulnDB) -> None:
    def ids(version: str) -> set[str]:
        app = Application("gobinary", "b", (Package(name="stdlib", version=version),))
        return _ids(match_inventory(_inventory(app), corpus_db, VulnOptions()).get("b", []))

    old, new = ids("1.19.8"), ids("1.19.10")
    assert "GO-2023-1840" in old  # fixed in 1.19.10
    assert "GO-2023-1840" not in new
    assert ids("v1.19.8") == old == ids("go1.19.8")


def test_os_owned_language_packages_need_comprehensive(corpus_db: store.VulnDB) -> None:
    owned = _pypi("requests", "2.19.0", owned_by="python3-requests")
    inv = _inventory(Application("python-pkg", "usr/lib/python3/dist-packages", (owned,)))
    assert match_inventory(inv, corpus_db, VulnOptions()) == {}
    found = match_inventory(inv, corpus_db, VulnOptions(detection_priority="comprehensive"))
    assert "CVE-2018-18074" in _ids(found["Python"])


def test_kev_and_epss_enrichment_and_risk_sort(corpus_db: store.VulnDB) -> None:
    app = Application("python-pkg", "x", (_pypi("requests", "2.19.0"), _pypi("urllib3", "1.24.1")))
    found = scan_inventory(_inventory(app), corpus_db, VulnOptions(sort="risk"))["Python"]
    assert [f.risk() for f in found] == sorted((f.risk() for f in found), reverse=True)
    kev = corpus_db.kev("CVE-2021-44228")
    assert kev is not None and kev[0] == "2021-12-10"
    epss = corpus_db.epss("CVE-1999-0001")
    assert epss is not None and epss[0] == pytest.approx(0.00383)


def test_severity_filter_and_unfixed(corpus_db: store.VulnDB) -> None:
    app = Application("python-pkg", "x", (_pypi("urllib3", "1.24.1"),))
    every = scan_inventory(_inventory(app), corpus_db, VulnOptions())["Python"]
    high = scan_inventory(_inventory(app), corpus_db, VulnOptions(severities=frozenset({Severity.HIGH})))
    assert {f.vulnerability_id for f in high.get("Python", [])} == {
        f.vulnerability_id for f in every if f.severity is Severity.HIGH
    }
    assert all(f.status == "fixed" for f in every)
    assert scan_inventory(_inventory(app), corpus_db, VulnOptions(ignore_unfixed=True))["Python"] == every


def test_unknown_package_and_odd_versions_do_not_raise(corpus_db: store.VulnDB) -> None:
    pkgs = (_pypi("no-such-package-xyz", "1.0"), _pypi("requests", "not a version!"), _pypi("requests", ""))
    match_inventory(_inventory(Application("python-pkg", "x", pkgs)), corpus_db, VulnOptions())
