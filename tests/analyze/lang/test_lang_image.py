"""All ecosystems in one real image layer (Debian minbase + a layer built with umoci), walked by the real
layer walker with the registered analyzers for image and fs targets."""

from __future__ import annotations

import shutil
from collections import defaultdict
from pathlib import Path

import pytest
from langdata import debian_gem_version, lang_image, top_layer

from seawall.analyze.analyzer import Analyzer, default_analyzers
from seawall.analyze.streams import BlobRef, Limits
from seawall.analyze.walker import LayerSource, analyze_layer
from seawall.model import LayerFacts

MY_ANALYZERS = {
    "python-pkg", "python-egg", "pip", "pipenv", "poetry", "uv", "pdm", "node-pkg", "npm", "yarn", "pnpm", "gemspec",
    "bundler", "composer-vendor", "composer", "dotnet-core", "nuget", "packages-config", "cargo",
}  # fmt: skip

IMAGE_INVENTORY = {
    "python-pkg": {("requests", "2.19.0"), ("PyYAML", "5.3"), ("Jinja2", "2.10"), ("six", "1.16.0")},
    "node-pkg": {("lodash", "4.17.15"), ("minimist", "1.2.0")},
    "gemspec": {("rack", debian_gem_version("ruby-rack", "rack")), ("rake", "13.0.6")},
    "composer-vendor": {("acme/http", "2.1.0"), ("acme/log", "1.4.2"), ("acme/testkit", "0.9.1")},
    # Rust leaves no installed metadata: a shipped Cargo.lock is read in images too (as Trivy does).
    "cargo": {
        ("aho-corasick", "0.7.19"),
        ("memchr", "2.5.0"),
        ("cfg-if", "1.0.0"),
        ("itoa", "1.0.1"),
        ("demo", "0.1.0"),
    },
}


@pytest.fixture(scope="module")
def layer() -> Path:
    for tool in ("mmdebstrap", "umoci", "skopeo", "npm", "composer", "cargo"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed: run `make test`")
    return top_layer(lang_image())


def _walk(layer: Path, target: str) -> LayerFacts:
    analyzers: list[Analyzer] = [a for a in default_analyzers(target) if a.name in MY_ANALYZERS]
    return analyze_layer(LayerSource(BlobRef(layer), label="lang-app"), analyzers, Limits())


def _by_type(facts: LayerFacts) -> dict[str, set[tuple[str, str]]]:
    out: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for f in facts.files.values():
        for app in f.applications:
            out[app.type].update((p.name, p.version) for p in app.packages)
    return dict(out)


def test_registered_for_the_right_targets() -> None:
    image = {a.name for a in default_analyzers("image")} & MY_ANALYZERS
    fs = {a.name for a in default_analyzers("fs")} & MY_ANALYZERS
    assert image == {"python-pkg", "python-egg", "node-pkg", "gemspec", "composer-vendor", "dotnet-core", "nuget",
                     "packages-config", "cargo"}  # fmt: skip
    assert fs == MY_ANALYZERS


def test_image_layer_inventory(layer: Path) -> None:
    facts = _walk(layer, "image")
    got = _by_type(facts)
    dotnet = got.pop("dotnet-core")
    assert got == IMAGE_INVENTORY
    assert len(dotnet) == 18 and ("Microsoft.CSharp", "4.7.0") in dotnet
    # Lockfiles of ecosystems with installed metadata (package-lock.json, composer.lock) are for source
    # trees: not read in images.
    assert not any(p.endswith(("package-lock.json", "composer.lock")) for p in facts.files)
    assert not any(f.warnings for f in facts.files.values())
    paths = {p.file_path for f in facts.files.values() for a in f.applications for p in a.packages}
    assert "usr/local/lib/python3.11/site-packages/requests-2.19.0.dist-info/METADATA" in paths
    assert "app/node_modules/lodash/package.json" in paths
    assert "var/www/app/vendor/composer/installed.json" in paths


def test_same_layer_as_source_tree(layer: Path) -> None:
    got = _by_type(_walk(layer, "fs"))
    assert got["npm"] == IMAGE_INVENTORY["node-pkg"]
    assert got["composer"] == IMAGE_INVENTORY["composer-vendor"]
    assert got["cargo"] == IMAGE_INVENTORY["cargo"]
    assert got["node-pkg"] == IMAGE_INVENTORY["node-pkg"]
