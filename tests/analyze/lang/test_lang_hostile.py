"""Every Python/Node/Ruby/PHP/.NET/Rust analyzer on hostile input: no exception, no package made up,
one warning at most, and bounded work."""

from __future__ import annotations

import random

import pytest

from seawall.analyze.analyzers import dotnet, node, php, python, ruby, rust
from seawall.analyze.analyzers.langcommon import LangAnalyzer

ANALYZERS: list[tuple[LangAnalyzer, str]] = [
    (python.PythonPackageAnalyzer(), "site/x-1.dist-info/METADATA"),
    (python.PythonEggAnalyzer(), "site/x-1.egg"),
    (python.RequirementsAnalyzer(), "requirements.txt"),
    (python.PipfileLockAnalyzer(), "Pipfile.lock"),
    (python.PoetryLockAnalyzer(), "poetry.lock"),
    (python.UvLockAnalyzer(), "uv.lock"),
    (python.PdmLockAnalyzer(), "pdm.lock"),
    (node.NodePkgAnalyzer(), "node_modules/x/package.json"),
    (node.NpmLockAnalyzer(), "package-lock.json"),
    (node.YarnLockAnalyzer(), "yarn.lock"),
    (node.PnpmLockAnalyzer(), "pnpm-lock.yaml"),
    (ruby.GemspecAnalyzer(), "gems/specifications/x-1.gemspec"),
    (ruby.GemfileLockAnalyzer(), "Gemfile.lock"),
    (php.ComposerInstalledAnalyzer(), "vendor/composer/installed.json"),
    (php.ComposerLockAnalyzer(), "composer.lock"),
    (dotnet.DepsJsonAnalyzer(), "app.deps.json"),
    (dotnet.NugetLockAnalyzer(), "packages.lock.json"),
    (dotnet.PackagesConfigAnalyzer(), "packages.config"),
    (rust.CargoLockAnalyzer(), "Cargo.lock"),
]

rng = random.Random(1234)
GARBAGE = {
    "empty": b"",
    "binary": bytes(rng.randrange(256) for _ in range(4096)),
    "nul": b"\0" * 1000,
    "json-array": b"[1, 2, 3]",
    "json-deep": b"[" * 100_000 + b"]" * 100_000,
    "json-wrong-types": b'{"packages": 5, "dependencies": "x", "libraries": [1], "default": [], "name": 3}',
    "toml-wrong-types": b'package = "x"\n[metadata]\nx = 1\n',
    "toml-packages-of-wrong-type": b"package = [1, 2, 3]\n",
    "yaml-deep": b"a: " + b"[" * 1000 + b"]" * 1000,
    "yaml-tags": b"lockfileVersion: '9.0'\npackages: !!python/object/apply:os.system ['id']\n",
    "utf16": '{"name": "x", "version": "1"}'.encode("utf-16"),
    "long-line": b"x" * 1_000_000,
    "xml-entities": b'<!DOCTYPE p [<!ENTITY a "b">]><packages><package id="&a;" version="1"/></packages>',
}


@pytest.mark.parametrize(("analyzer", "path"), ANALYZERS, ids=[f"{a.name}:{p}" for a, p in ANALYZERS])
def test_garbage_never_raises(analyzer: LangAnalyzer, path: str) -> None:
    for label, data in GARBAGE.items():
        facts = analyzer.analyze(path, data)
        if facts is None:
            continue
        assert len(facts.warnings) <= 1, (label, facts.warnings)
        text = data.decode("utf-8", "replace")
        for app in facts.applications:
            for pkg in app.packages:
                # Whatever is made of garbage must at least be a name and a version taken from the input.
                assert pkg.name and pkg.version and pkg.name in text and pkg.version in text, (label, pkg)
