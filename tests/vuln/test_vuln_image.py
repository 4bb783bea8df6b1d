"""``seawall image`` on a real image against the full corpus database: exactly the expected advisories."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import orjson
import pytest
from vulnimage import PINNED, go_toolchain, pinned_image
from vulnref import GOVULNDB, PYPA, affecting, load_go, load_pypa

from realimages import have
from seawall.cli.main import main

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def image_json(corpus_db_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:  # type: ignore[type-arg]
    for tool in ("mmdebstrap", "umoci", "skopeo", "go"):
        if not have(tool):
            pytest.fail(f"{tool} is not installed: run scripts/install-system-deps.sh")
    img = pinned_image()
    out = tmp_path_factory.mktemp("report") / "report.json"
    cache = tmp_path_factory.mktemp("cache")
    rc = main(["-q", "--cache-dir", str(cache), "image", f"docker-archive:{img.docker_archive}", "--scanners",
               "vuln", "--format", "json", "--db-dir", str(corpus_db_dir), "--skip-db-update", "-o", str(out)])  # fmt: skip
    assert rc == 0
    return orjson.loads(out.read_bytes())  # type: ignore[no-any-return]


def _reported(report: dict, target_pred) -> dict[str, set[str]]:  # type: ignore[no-untyped-def, type-arg]
    out: dict[str, set[str]] = {}
    for result in report.get("Results", []):
        if not target_pred(result["Target"]):
            continue
        for v in result.get("Vulnerabilities") or []:
            ids = {v["VulnerabilityID"], *v.get("VendorIDs", [])}
            out.setdefault(v["PkgName"], set()).update(ids)
    return out


def test_every_affecting_advisory_and_nothing_else(image_json: dict) -> None:  # type: ignore[type-arg]
    pypa = load_pypa(PYPA, list(PINNED))
    pypa_ids = {r["id"] for r in pypa}
    reported = _reported(image_json, lambda t: t == "Python")
    for name, version in PINNED.items():
        expected = affecting(pypa, "PyPI", name, version)
        assert reported.get(name, set()) & pypa_ids == expected, name
    assert set(reported) <= set(PINNED)

    go_records = load_go(GOVULNDB, {"stdlib", "github.com/docker/distribution"})
    go_ids = {r["id"] for r in go_records}
    go_reported = _reported(image_json, lambda t: t.endswith("docker-registry"))
    expected_stdlib = affecting(go_records, "Go", "stdlib", go_toolchain())
    assert expected_stdlib, "Go 1.19.8 has known stdlib advisories in the corpus"
    assert go_reported.get("stdlib", set()) & go_ids == expected_stdlib
    assert set(go_reported) <= {"stdlib"}


def test_json_entries_have_trivy_keys(image_json: dict) -> None:  # type: ignore[type-arg]
    vulns = [v for r in image_json["Results"] for v in r.get("Vulnerabilities") or []]
    assert vulns
    for v in vulns:
        for key in ("VulnerabilityID", "PkgName", "PkgIdentifier", "InstalledVersion", "Status", "Severity",
                    "SeveritySource", "PrimaryURL"):  # fmt: skip
            assert key in v, key
    req = next(v for v in vulns if v["VulnerabilityID"] == "CVE-2018-18074")
    assert req["PkgName"] == "requests" and req["FixedVersion"] == "2.20.0" and req["Status"] == "fixed"
    assert req["PkgIdentifier"]["PURL"].startswith("pkg:pypi/requests@2.19.0")
    assert req["Layer"]["DiffID"].startswith("sha256:")


def test_sarif_and_junit_outputs(corpus_db_dir: Path, tmp_path: Path, shared_dir: Path) -> None:
    img = pinned_image()
    schema = json.loads((shared_dir / "schemas" / "sarif-schema-2.1.0.json").read_text())
    base = ["-q", "--cache-dir", str(tmp_path / "c"), "image", f"docker-archive:{img.docker_archive}", "--scanners",
            "vuln", "--db-dir", str(corpus_db_dir), "--skip-db-update"]  # fmt: skip
    assert main([*base, "--format", "sarif", "-o", str(tmp_path / "r.sarif")]) == 0
    sarif = json.loads((tmp_path / "r.sarif").read_text())
    jsonschema.validate(sarif, schema)
    results = sarif["runs"][0]["results"]
    assert any(
        r["ruleId"] == "CVE-2018-18074" and r["level"] in ("error", "warning", "note") for r in results
    )
    assert main([*base, "--format", "junit", "-o", str(tmp_path / "r.xml")]) == 0
    import xml.etree.ElementTree as ET

    root = ET.parse(tmp_path / "r.xml").getroot()
    assert int(root.get("failures", "0")) == len(results)
    # --exit-code fails the run on any finding; --fail-on raises the bar (no CRITICAL from these records).
    assert main([*base, "--format", "json", "-o", str(tmp_path / "x.json"), "--exit-code", "5"]) == 5
    out = str(tmp_path / "y.json")
    assert main([*base, "--format", "json", "-o", out, "--exit-code", "5", "--fail-on", "CRITICAL"]) == 0


@pytest.mark.parametrize("fmt", ["cyclonedx", "spdx-json"])
def test_sbom_command_finds_the_same(
    fmt: str,
    image_json: dict,
    corpus_db_dir: Path,
    tmp_path: Path,  # type: ignore[type-arg]
) -> None:
    img = pinned_image()
    sbom = tmp_path / f"sbom.{fmt}.json"
    assert main(["-q", "--cache-dir", str(tmp_path / "c"), "image", f"docker-archive:{img.docker_archive}",
                 "--scanners", "vuln", "--format", fmt, "-o", str(sbom), "--db-dir", str(corpus_db_dir),
                 "--skip-db-update"]) == 0  # fmt: skip
    out = tmp_path / "r.json"
    rc = main(["-q", "sbom", str(sbom), "--format", "json", "-o", str(out), "--db-dir", str(corpus_db_dir),
               "--skip-db-update"])  # fmt: skip
    assert rc == 0
    from_sbom = _reported(orjson.loads(out.read_bytes()), lambda t: True)
    from_image = _reported(image_json, lambda t: True)
    assert from_sbom["requests"] == from_image["requests"]
    assert from_sbom.keys() == from_image.keys()


def test_cyclonedx_carries_vulnerabilities(corpus_db_dir: Path, tmp_path: Path, image_json: dict) -> None:  # type: ignore[type-arg]
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    img = pinned_image()
    out = tmp_path / "bom.json"
    assert main(["-q", "--cache-dir", str(tmp_path / "c"), "image", f"docker-archive:{img.docker_archive}",
                 "--scanners", "vuln", "--format", "cyclonedx", "-o", str(out), "--db-dir", str(corpus_db_dir),
                 "--skip-db-update"]) == 0  # fmt: skip
    text = out.read_text()
    errors = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    assert errors is None, errors
    bom = json.loads(text)
    refs = {c["bom-ref"]: c for c in bom["components"]}
    vulns = {v["id"]: v for v in bom["vulnerabilities"]}
    assert vulns.keys() == {
        v["VulnerabilityID"] for r in image_json["Results"] for v in r.get("Vulnerabilities") or []
    }
    (affects,) = vulns["CVE-2018-18074"]["affects"]
    assert refs[affects["ref"]]["name"] == "requests"


def test_vex_suppressed_findings_keep_justification_in_json(corpus_db_dir: Path, tmp_path: Path) -> None:
    img = pinned_image()
    vex = tmp_path / "vex.json"
    vex.write_text(json.dumps({
        "@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.com/vex/1", "author": "test",
        "timestamp": "2026-01-01T00:00:00Z", "version": 1,
        "statements": [{"vulnerability": {"name": "CVE-2018-18074"}, "products": [{"@id": "pkg:pypi/requests@2.19.0"}],
                        "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"}],
    }))  # fmt: skip
    out = tmp_path / "r.json"
    assert main(["-q", "--cache-dir", str(tmp_path / "c"), "image", f"docker-archive:{img.docker_archive}",
                 "--scanners", "vuln", "--format", "json", "-o", str(out), "--db-dir", str(corpus_db_dir),
                 "--skip-db-update", "--vex", str(vex)]) == 0  # fmt: skip
    (python,) = [r for r in json.loads(out.read_text())["Results"] if r["Target"] == "Python"]
    assert "CVE-2018-18074" not in {v["VulnerabilityID"] for v in python["Vulnerabilities"]}
    (mod,) = python["ExperimentalModifiedFindings"]
    assert mod["VulnerabilityID"] == "CVE-2018-18074" and mod["SuppressedBy"] == "vex:not_affected"
    assert mod["Justification"] == "vulnerable_code_not_in_execute_path"
