"""CycloneDX 1.6 and SPDX 2.3 output of a real image, validated with the formats' own libraries."""

from __future__ import annotations

import json

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from seawall.cli.main import main


@pytest.fixture(scope="module")
def outputs(minbase_image, tmp_path_factory):
    cache = tmp_path_factory.mktemp("cache")
    out = {}
    for fmt in ("cyclonedx", "spdx-json", "json"):
        path = tmp_path_factory.mktemp("out") / f"report.{fmt}"
        rc = main(["--cache-dir", str(cache), "-q", "image", "--input", str(minbase_image.oci_archive),
                   "-f", fmt, "-o", str(path), "--list-all-pkgs", "--scanners", "vuln", "--offline"])  # fmt: skip
        assert rc == 0
        out[fmt] = path.read_text()
    return out


def test_cyclonedx_is_valid_1_6(outputs):
    errors = JsonStrictValidator(SchemaVersion.V1_6).validate_str(outputs["cyclonedx"])
    assert errors is None, errors
    bom = json.loads(outputs["cyclonedx"])
    report = json.loads(outputs["json"])
    pkgs = next(r for r in report["Results"] if r["Class"] == "os-pkgs")["Packages"]
    libs = [c for c in bom["components"] if c["type"] == "library"]
    assert {c["purl"] for c in libs} == {p["Identifier"]["PURL"] for p in pkgs}
    assert any(c["type"] == "operating-system" and c["name"] == "debian" for c in bom["components"])
    assert bom["metadata"]["component"]["type"] == "container"
    refs = {c["bom-ref"] for c in bom["components"]} | {bom["metadata"]["component"]["bom-ref"]}
    for dep in bom["dependencies"]:
        assert dep["ref"] in refs
        assert set(dep["dependsOn"]) <= refs
    libc = next(c for c in libs if c["name"] == "libc6")
    props = {p["name"]: p["value"] for p in libc["properties"]}
    assert props["seawall:SrcName"] == "glibc"
    assert props["seawall:LayerDiffID"] == report["Metadata"]["DiffIDs"][0]


def test_spdx_is_valid_2_3(outputs, tmp_path):
    from spdx_tools.spdx.parser.parse_anything import parse_file
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    path = tmp_path / "sbom.spdx.json"
    path.write_text(outputs["spdx-json"])
    document = parse_file(str(path))
    messages = validate_full_spdx_document(document)
    assert messages == [], [m.validation_message for m in messages[:5]]
    names = {p.name for p in document.packages}
    assert {"libc6", "bash", "debian"} <= names
    doc = json.loads(outputs["spdx-json"])
    report = json.loads(outputs["json"])
    pkgs = next(r for r in report["Results"] if r["Class"] == "os-pkgs")["Packages"]
    purls = {ref["referenceLocator"] for p in doc["packages"] for ref in p.get("externalRefs", [])}
    assert purls == {p["Identifier"]["PURL"] for p in pkgs}
    # Debian licence names that are not SPDX ids become LicenseRefs with their text.
    bash = next(p for p in doc["packages"] if p["name"] == "bash")
    assert "LicenseRef-GPL-3" in bash["licenseDeclared"]
