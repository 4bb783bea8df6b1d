"""Ruby, PHP, .NET and Rust analyzers on real data: Debian's gemspecs and bundler, Debian's composer,
a .NET SDK-written deps.json from a PyPI wheel, and Debian's cargo against Debian's packaged crates."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from langdata import debian_gem_version, name_versions, packages_of, tar_of, walk

from seawall.analyze.analyzers.dotnet import DepsJsonAnalyzer, NugetLockAnalyzer, PackagesConfigAnalyzer
from seawall.analyze.analyzers.php import ComposerInstalledAnalyzer, ComposerLockAnalyzer
from seawall.analyze.analyzers.ruby import GemfileLockAnalyzer, GemspecAnalyzer
from seawall.analyze.analyzers.rust import CargoLockAnalyzer
from seawall.model import Package


def _pkgs(analyzer: object, path: str, data: bytes) -> dict[str, Package]:
    facts = analyzer.analyze(path, data)  # type: ignore[attr-defined]
    assert facts is not None and not facts.warnings, facts
    [app] = facts.applications
    assert app.type == analyzer.app_type and app.file_path == path  # type: ignore[attr-defined]
    return {p.name: p for p in app.packages}


# ------------------------------------------------------------------------------------------- Ruby


def test_debian_gemspecs(tmp_path: Path, debian_tree: Callable[[str], Path]) -> None:
    layer = tar_of(debian_tree("ruby-rack")) + b""
    facts = walk(tmp_path, layer, [GemspecAnalyzer()])
    rack = packages_of(facts, "gemspec")
    v = debian_gem_version("ruby-rack", "rack")
    assert [(p.name, p.version, p.licenses, p.purl) for p in rack] == [
        ("rack", v, ("MIT",), f"pkg:gem/rack@{v}")
    ]
    assert rack[0].file_path == f"usr/share/rubygems-integration/all/specifications/rack-{v}.gemspec"
    rake = debian_tree("rake") / "usr/share/rubygems-integration/all/specifications/rake-13.0.6.gemspec"
    assert _pkgs(
        GemspecAnalyzer(), "var/lib/gems/3.1.0/specifications/rake-13.0.6.gemspec", rake.read_bytes()
    )["rake"].licenses == ("MIT",)


def test_gemspec_is_never_evaluated() -> None:
    text = b'Gem::Specification.new do |s|\n  s.name = "evil"\n  s.version = `id`\nend\n'
    facts = GemspecAnalyzer().analyze("specifications/evil.gemspec", text)
    assert facts is not None and facts.warnings and not facts.applications
    gem = b'Gem::Specification.new do |spec|\n  spec.name = "x"\n  spec.version = Gem::Version.new("1.0.1")\n'
    gem += b'  spec.license = "Apache-2.0"\nend\n'
    assert _pkgs(GemspecAnalyzer(), "specifications/x-1.0.1.gemspec", gem)["x"].licenses == ("Apache-2.0",)
    assert not GemspecAnalyzer().claims("app/my.gemspec", 0o644, 10)


def test_gemfile_lock_from_bundler(ruby_lock: Path) -> None:
    pkgs = _pkgs(GemfileLockAnalyzer(), "Gemfile.lock", (ruby_lock / "Gemfile.lock").read_bytes())
    v = debian_gem_version("ruby-rack", "rack")  # bundler resolved against the installed Debian gem
    assert {(p.name, p.version) for p in pkgs.values()} == {("rack", v), ("rake", "13.0.6")}
    assert pkgs["rack"].purl == f"pkg:gem/rack@{v}"


def test_gemfile_lock_dependencies_and_platforms() -> None:
    text = (
        "GIT\n  remote: https://example.com/x.git\n  revision: abc\n  specs:\n    xgem (0.1.0)\n\n"
        "GEM\n  remote: https://rubygems.org/\n  specs:\n    actionpack (7.0.4)\n      rack (~> 2.0, >= 2.2.0)\n"
        "      rack-test (>= 0.6.3)\n    nokogiri (1.13.10-x86_64-linux)\n      racc (~> 1.4)\n"
        "    racc (1.6.1)\n    rack (2.2.4)\n    rack-test (2.0.2)\n      rack (>= 1.3)\n\n"
        "PLATFORMS\n  x86_64-linux\n\nDEPENDENCIES\n  actionpack\n\nBUNDLED WITH\n   2.3.26\n"
    )
    pkgs = _pkgs(GemfileLockAnalyzer(), "Gemfile.lock", text.encode())
    assert set(pkgs) == {"xgem", "actionpack", "nokogiri", "racc", "rack", "rack-test"}
    assert pkgs["nokogiri"].version == "1.13.10" and pkgs["nokogiri"].depends_on == ("racc@1.6.1",)
    assert pkgs["actionpack"].depends_on == ("rack-test@2.0.2", "rack@2.2.4")


# -------------------------------------------------------------------------------------------- PHP


def test_composer_lock_and_installed_json(composer_project: Path) -> None:
    lock = _pkgs(ComposerLockAnalyzer(), "composer.lock", (composer_project / "composer.lock").read_bytes())
    installed_path = "vendor/composer/installed.json"
    assert ComposerInstalledAnalyzer().claims(f"var/www/{installed_path}", 0o644, 10)
    installed = _pkgs(
        ComposerInstalledAnalyzer(), installed_path, (composer_project / installed_path).read_bytes()
    )
    for pkgs in (lock, installed):
        assert {(p.name, p.version, p.dev) for p in pkgs.values()} == {
            ("acme/http", "2.1.0", False),
            ("acme/log", "1.4.2", False),
            ("acme/testkit", "0.9.1", True),
        }
        assert pkgs["acme/http"].purl == "pkg:composer/acme/http@2.1.0"
        assert pkgs["acme/http"].depends_on == ("acme/log@1.4.2",)  # "php" is a platform requirement
        assert pkgs["acme/http"].licenses == ("Apache-2.0",)


def test_composer_v1_installed_list() -> None:
    doc = [{"name": "monolog/monolog", "version": "1.27.1", "license": ["MIT"], "require": {"php": ">=5.3"}}]
    pkgs = _pkgs(ComposerInstalledAnalyzer(), "vendor/composer/installed.json", json.dumps(doc).encode())
    assert pkgs["monolog/monolog"].purl == "pkg:composer/monolog/monolog@1.27.1"
    bad = ComposerLockAnalyzer().analyze("composer.lock", b'"just a string"')
    assert bad is not None and bad.warnings


# ------------------------------------------------------------------------------------------- .NET


def test_real_deps_json(dotnet_deps: Path) -> None:
    pkgs = _pkgs(DepsJsonAnalyzer(), "app/Python.Runtime.deps.json", dotnet_deps.read_bytes())
    assert "Python.Runtime" not in pkgs  # type "project": the application itself
    assert len(pkgs) == 18
    assert pkgs["Microsoft.CSharp"].version == "4.7.0"
    assert pkgs["Microsoft.CSharp"].purl == "pkg:nuget/Microsoft.CSharp@4.7.0"
    assert pkgs["System.Reflection.Emit"].depends_on == (
        "System.IO@4.3.0",
        "System.Reflection.Emit.ILGeneration@4.3.0",
        "System.Reflection.Primitives@4.3.0",
        "System.Reflection@4.3.0",
        "System.Runtime@4.3.0",
    )
    assert pkgs["NETStandard.Library"].depends_on == ("Microsoft.NETCore.Platforms@1.1.0",)


def test_nuget_lock_and_packages_config() -> None:
    # Written in NuGet's exact formats (the NuGet client is not installable from Debian/PyPI/npm).
    lock = {
        "version": 1,
        "dependencies": {
            "net6.0": {
                "Serilog.Sinks.Console": {
                    "type": "Direct",
                    "requested": "[4.1.0, )",
                    "resolved": "4.1.0",
                    "contentHash": "K6N5q+5fetjnJPvCmkWOpJ/V8IEIoMIB1s86OzBrbxwTyHxdx3pmz4H+8+O/Dc/ftUX12DM1aynx/dDowkwzqg==",
                    "dependencies": {"Serilog": "2.10.0"},
                },
                "Serilog": {"type": "Transitive", "resolved": "2.10.0", "contentHash": "x"},
                "MyLib": {"type": "Project", "dependencies": {"Serilog": "[2.10.0, )"}},
            },
            "net6.0/linux-x64": {"Serilog": {"type": "Transitive", "resolved": "2.10.0", "contentHash": "x"}},
        },
    }
    pkgs = _pkgs(NugetLockAnalyzer(), "src/packages.lock.json", json.dumps(lock).encode())
    assert set(pkgs) == {"Serilog.Sinks.Console", "Serilog"}
    assert pkgs["Serilog.Sinks.Console"].depends_on == ("Serilog@2.10.0",)
    config = (
        b'\xef\xbb\xbf<?xml version="1.0" encoding="utf-8"?>\n<packages>\n'
        b'  <package id="Newtonsoft.Json" version="12.0.3" targetFramework="net472" />\n'
        b'  <package id="NUnit" version="3.13.3" targetFramework="net472" developmentDependency="true" />\n'
        b"</packages>\n"
    )
    cfg = _pkgs(PackagesConfigAnalyzer(), "packages.config", config)
    assert (cfg["Newtonsoft.Json"].version, cfg["Newtonsoft.Json"].dev, cfg["NUnit"].dev) == (
        "12.0.3",
        False,
        True,
    )
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><packages>&b;</packages>'
    facts = PackagesConfigAnalyzer().analyze("packages.config", bomb)
    assert facts is not None and facts.warnings and not facts.applications


# ------------------------------------------------------------------------------------------- Rust


def test_cargo_lock_from_cargo(rust_lock: Path) -> None:
    pkgs = _pkgs(CargoLockAnalyzer(), "Cargo.lock", (rust_lock / "Cargo.lock").read_bytes())
    assert {(p.name, p.version) for p in pkgs.values()} == {
        ("aho-corasick", "0.7.19"),
        ("memchr", "2.5.0"),
        ("cfg-if", "1.0.0"),
        ("itoa", "1.0.1"),
        ("demo", "0.1.0"),
    }
    assert pkgs["aho-corasick"].depends_on == ("memchr@2.5.0",)
    assert pkgs["demo"].depends_on == ("aho-corasick@0.7.19", "cfg-if@1.0.0", "itoa@1.0.1")
    assert pkgs["memchr"].purl == "pkg:cargo/memchr@2.5.0"


def test_cargo_lock_v1_and_duplicates() -> None:
    # Format v1 (cargo < 1.41): "name version (source)" dependency strings and a [metadata] table.
    v1 = (
        '[[package]]\nname = "app"\nversion = "0.1.0"\ndependencies = [\n'
        ' "rand 0.7.3 (registry+https://github.com/rust-lang/crates.io-index)",\n'
        ' "rand 0.8.5 (registry+https://github.com/rust-lang/crates.io-index)",\n]\n\n'
        '[[package]]\nname = "rand"\nversion = "0.7.3"\nsource = "registry+https://github.com/rust-lang/crates.io-index"\n\n'
        '[[package]]\nname = "rand"\nversion = "0.8.5"\nsource = "registry+https://github.com/rust-lang/crates.io-index"\n\n'
        '[metadata]\n"checksum rand 0.7.3 (registry+https://github.com/rust-lang/crates.io-index)" = "abc"\n'
    )
    facts = CargoLockAnalyzer().analyze("Cargo.lock", v1.encode())
    assert facts is not None
    pkgs = list(facts.applications[0].packages)
    assert name_versions(pkgs) == {("app", "0.1.0"), ("rand", "0.7.3"), ("rand", "0.8.5")}
    app = next(p for p in pkgs if p.name == "app")
    assert app.depends_on == ("rand@0.7.3", "rand@0.8.5")
    bad = CargoLockAnalyzer().analyze("Cargo.lock", b"[[package]\n")
    assert bad is not None and bad.warnings


def test_ruby_default_gems_of_debian(tmp_path: Path, debian_tree: Callable[[str], Path]) -> None:
    # Debian's libruby3.1: the default and bundled gems' specifications, written by RubyGems.
    tree = debian_tree("libruby3.1")
    specs = sorted(tree.rglob("specifications/**/*.gemspec"))
    assert len(specs) >= 50
    gems = tree / "usr/lib/ruby/gems"  # where the specifications are (the rest is Ruby's library)
    facts = walk(tmp_path, tar_of(gems, prefix="usr/lib/ruby/gems/"), [GemspecAnalyzer()])
    for spec in specs:
        rel = str(spec.relative_to(tree))
        [app] = facts.files[rel].applications
        [pkg] = app.packages
        assert spec.name == f"{pkg.name}-{pkg.version}.gemspec" and pkg.licenses, rel


@pytest.mark.parametrize("header", ["", "version = 3\n", "version = 4\n"])
def test_cargo_lock_v2_v3_v4_headers(rust_lock: Path, header: str) -> None:
    # v2 (cargo 1.41-1.52) has no version line, v3 and v4 (cargo 1.78+) have one; the tables are the same.
    body = (rust_lock / "Cargo.lock").read_text()
    # Drop the file's own "version = 3" line (package versions are quoted strings).
    body = "\n".join(
        line for line in body.splitlines() if not (line.startswith("version = ") and '"' not in line)
    )
    pkgs = _pkgs(CargoLockAnalyzer(), "Cargo.lock", (header + body).encode())
    assert pkgs["aho-corasick"].depends_on == ("memchr@2.5.0",) and len(pkgs) == 5
