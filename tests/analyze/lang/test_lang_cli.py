"""The language ecosystems through the CLI: ``seawall image`` on the real oci-archive and docker-archive,
and ``seawall rootfs`` on the unpacked layer (``--format json --list-all-pkgs``)."""

from __future__ import annotations

import gzip
import json
import tarfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from langdata import lang_image, top_layer

from seawall.cli.main import main

EXPECTED = {
    "python-pkg": {"requests@2.19.0", "PyYAML@5.3", "Jinja2@2.10", "six@1.16.0"},
    "node-pkg": {"lodash@4.17.15", "minimist@1.2.0"},
    "gemspec": {"rack@2.2.22", "rake@13.0.6"},
    "composer-vendor": {"acme/http@2.1.0", "acme/log@1.4.2", "acme/testkit@0.9.1"},
    "cargo": {"aho-corasick@0.7.19", "memchr@2.5.0", "cfg-if@1.0.0", "itoa@1.0.1", "demo@0.1.0"},
}


def _scan(capsys: pytest.CaptureFixture[str], cache: Path, *args: str) -> dict[str, Any]:
    rc = main(
        ["--quiet", "--cache-dir", str(cache), *args, "--format", "json", "--list-all-pkgs", "--scanners", ""]
    )
    out = capsys.readouterr().out
    assert rc == 0, out[-2000:]
    doc: dict[str, Any] = json.loads(out)
    return doc


def _lang(doc: dict[str, Any]) -> dict[str, set[str]]:
    got: dict[str, set[str]] = defaultdict(set)
    for result in doc.get("Results") or []:
        if result.get("Class") == "lang-pkgs":
            got[result["Type"]].update(f"{p['Name']}@{p['Version']}" for p in result.get("Packages") or [])
    return dict(got)


def _check(doc: dict[str, Any]) -> None:
    got = _lang(doc)
    dotnet = got.pop("dotnet-core")
    assert got == EXPECTED
    assert len(dotnet) == 18 and "Microsoft.CSharp@4.7.0" in dotnet
    pkgs = {
        p["ID"]: p for r in doc["Results"] if r.get("Class") == "lang-pkgs" for p in r.get("Packages") or []
    }
    assert pkgs["PyYAML@5.3"]["Identifier"]["PURL"] == "pkg:pypi/pyyaml@5.3"
    assert pkgs["acme/testkit@0.9.1"].get("Dev") is True
    assert pkgs["acme/http@2.1.0"]["DependsOn"] == ["acme/log@1.4.2"]


@pytest.fixture(scope="module")
def image() -> Any:
    return lang_image()


@pytest.mark.parametrize("form", ["oci_archive", "docker_archive"])
def test_image_command(capsys: pytest.CaptureFixture[str], tmp_path: Path, image: Any, form: str) -> None:
    doc = _scan(capsys, tmp_path, "image", "--input", str(getattr(image, form)))
    _check(doc)


def test_rootfs_command(capsys: pytest.CaptureFixture[str], tmp_path: Path, image: Any) -> None:
    root = tmp_path / "rootfs"
    blob = top_layer(image)
    with (
        gzip.open(blob) if blob.read_bytes()[:2] == b"\x1f\x8b" else blob.open("rb") as f,
        tarfile.open(fileobj=f, mode="r|") as tar,
    ):
        tar.extractall(root, filter="data")
    doc = _scan(capsys, tmp_path / "cache", "rootfs", str(root))
    _check(doc)
