"""The language ecosystems through the CLI (``--format json --list-all-pkgs``): ``seawall image`` on the
real oci-archive and docker-archive, ``seawall rootfs`` on the unpacked layer, and ``seawall fs`` on a
source tree of lockfiles made by the real tools."""

from __future__ import annotations

import gzip
import json
import shutil
import tarfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import langdata
import pytest
from langdata import lang_image, top_layer

from seawall.cli.main import main

EXPECTED = {
    "python-pkg": {"requests@2.19.0", "PyYAML@5.3", "Jinja2@2.10", "six@1.16.0"},
    "node-pkg": {"lodash@4.17.15", "minimist@1.2.0"},
    "gemspec": {f"rack@{langdata.debian_gem_version('ruby-rack', 'rack')}", "rake@13.0.6"},
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


# What each real lockfile locks (langdata's projects), as name@version sets.
NODE_TREE = {"lodash@4.17.15", "debug@2.6.9", "ms@2.0.0", "@tootallnate/once@1.1.2", "minimist@1.2.0",
             "mkdirp@0.5.1", "minimist@0.0.8"}  # fmt: skip


def test_fs_command_on_real_lockfiles(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    tree = tmp_path / "src"
    skip = shutil.ignore_patterns(".yarn*", ".pnpm-store", ".venv", "src")
    for name, path in {
        "node": langdata.node_locks(),
        "python": langdata.python_locks(),
        "pipenv": langdata.pipenv_lock(),
        "php": langdata.composer_project(),
        "ruby": langdata.ruby_lock(),
        "rust": langdata.rust_lock(),
    }.items():
        shutil.copytree(path, tree / name, ignore=skip, symlinks=True)
    doc = _scan(capsys, tmp_path / "cache", "fs", str(tree))
    assert doc["ArtifactType"] == "filesystem"
    by_target: dict[str, tuple[str, dict[str, Any]]] = {}
    for result in doc["Results"]:
        if result.get("Class") == "lang-pkgs":
            pkgs = {f"{p['Name']}@{p['Version']}": p for p in result.get("Packages") or []}
            by_target[result["Target"]] = (result["Type"], pkgs)
    for lock, kind in [
        ("node/npm-v1/package-lock.json", "npm"),
        ("node/npm-v2/package-lock.json", "npm"),
        ("node/npm-v3/package-lock.json", "npm"),
        ("node/yarn-classic/yarn.lock", "yarn"),
        ("node/yarn-berry/yarn.lock", "yarn"),
        ("node/pnpm7/pnpm-lock.yaml", "pnpm"),
        ("node/pnpm8/pnpm-lock.yaml", "pnpm"),
        ("node/pnpm9/pnpm-lock.yaml", "pnpm"),
    ]:
        got_kind, pkgs = by_target[lock]
        assert got_kind == kind and set(pkgs) == NODE_TREE, lock
        assert pkgs["debug@2.6.9"]["DependsOn"] == ["ms@2.0.0"]
    for lock, kind in [
        ("python/uv/uv.lock", "uv"),
        ("python/pdm/pdm.lock", "pdm"),
        ("python/poetry/poetry.lock", "poetry"),
        ("pipenv/Pipfile.lock", "pipenv"),
    ]:
        got_kind, pkgs = by_target[lock]
        assert (
            got_kind == kind and "requests@2.19.0" in pkgs and pkgs["iniconfig@2.0.0"].get("Dev") is True
        ), lock
    assert "cryptography" in {k.split("@")[0] for k in by_target["python/pip-compile/requirements.txt"][1]}
    assert by_target["php/composer.lock"][1]["acme/testkit@0.9.1"].get("Dev") is True
    assert set(by_target["ruby/Gemfile.lock"][1]) == EXPECTED["gemspec"]
    assert by_target["rust/Cargo.lock"][1]["aho-corasick@0.7.19"]["DependsOn"] == ["memchr@2.5.0"]
    # Installed packages are read in source trees too (npm's node_modules, composer's vendor).
    node_pkgs = {
        f"{p['Name']}@{p['Version']}"
        for r in doc["Results"]
        if r.get("Type") == "node-pkg"
        for p in r.get("Packages") or []
    }
    assert node_pkgs >= NODE_TREE
    assert by_target["php/vendor/composer/installed.json"][0] == "composer-vendor"
