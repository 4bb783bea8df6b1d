"""Go build information and go.mod/go.sum, checked against the real Go toolchain on real binaries.

Binaries: Debian's docker-registry, skopeo, podman and umoci (Go 1.19, GOPATH builds), esbuild 0.11.23
from npm (Go 1.16: the pre-1.18 pointer layout), and a module built here with ``go build`` (with a
replaced dependency, an ``-ldflags -X`` version, stripped and with its section headers removed).
"""

from __future__ import annotations

import os
import random
import shutil
import struct
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from imagetools import Entry, layer_tar
from realimages import TEST_CACHE, locked
from seawall.analyze.analyzers.gobuildinfo import GoModule, read_build_info
from seawall.analyze.analyzers.golang import (
    GoBinaryAnalyzer,
    GoModAnalyzer,
    GoSumAnalyzer,
    merge_go_sum,
    parse_go_mod,
    version_from_ldflags,
)
from seawall.analyze.streams import BlobRef, Limits
from seawall.analyze.walker import LayerSource, analyze_layer
from seawall.model import Package

GO_CACHE = TEST_CACHE / "lang-go-v1"
DEBIAN_GO_BINARIES = ("docker-registry", "skopeo", "podman", "umoci")
ESBUILD = "esbuild-linux-64@0.11.23"

MAIN_GO = """package main

import (
\t"fmt"

\t"example.com/greet"
)

var version = "dev"

func main() { fmt.Println(greet.Hello(), version) }
"""
GREET_GO = 'package greet\n\n// Hello says hello.\nfunc Hello() string { return "hello" }\n'


@dataclass(frozen=True)
class GoBinaries:
    built: Path  # -ldflags "-X main.version=1.4.2", replaced dependency
    stripped: Path  # -trimpath -ldflags "-s -w"
    no_sections: Path  # stripped, then its section header table removed
    esbuild: Path  # real Go 1.16 binary (pre-1.18 layout)
    module_dir: Path


def _go_env(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        GOTOOLCHAIN="local",
        GOPROXY="off",
        GOFLAGS="-mod=mod",
        GOCACHE=str(root / "gocache"),
        GOPATH=str(root / "gopath"),
        CGO_ENABLED="0",
    )
    return env


def _drop_section_headers(src: Path, dst: Path) -> None:
    """Zero e_shoff/e_shnum/e_shstrndx, as sstrip does: only program headers remain."""
    data = bytearray(src.read_bytes())
    struct.pack_into("<Q", data, 0x28, 0)
    struct.pack_into("<HHH", data, 0x3A, 0, 0, 0)
    dst.write_bytes(bytes(data))
    dst.chmod(0o755)


def _build(root: Path) -> None:
    mod = root / "src"
    (mod / "greet").mkdir(parents=True)
    (mod / "main.go").write_text(MAIN_GO)
    (mod / "greet" / "greet.go").write_text(GREET_GO)
    env = _go_env(root)

    def go(*args: str, cwd: Path) -> None:
        subprocess.run(["go", *args], cwd=cwd, env=env, check=True, capture_output=True)

    go("mod", "init", "example.com/greet", cwd=mod / "greet")
    go("mod", "init", "example.com/hello", cwd=mod)
    go(
        "mod",
        "edit",
        "-require=example.com/greet@v1.2.3",
        "-replace=example.com/greet@v1.2.3=./greet",
        cwd=mod,
    )
    go("build", "-ldflags=-X main.version=1.4.2", "-o", str(root / "hello"), ".", cwd=mod)
    go("build", "-trimpath", "-ldflags=-s -w", "-o", str(root / "hello-stripped"), ".", cwd=mod)
    _drop_section_headers(root / "hello-stripped", root / "hello-nosections")
    npm = root / "npm"
    npm.mkdir()
    out = subprocess.run(
        ["npm", "pack", "--silent", ESBUILD],
        cwd=npm,
        env={**env, "HOME": str(npm), "npm_config_cache": str(npm / "cache")},
        check=True,
        capture_output=True,
        text=True,
    )
    with tarfile.open(npm / out.stdout.strip().splitlines()[-1]) as tar:
        member = tar.getmember("package/bin/esbuild")
        handle = tar.extractfile(member)
        assert handle is not None
        (root / "esbuild").write_bytes(handle.read())
    (root / "esbuild").chmod(0o755)
    shutil.rmtree(root / "gocache", ignore_errors=True)


@pytest.fixture(scope="session")
def go_binaries() -> GoBinaries:
    """Built once per machine under /var/tmp/seawall-tests (go build offline, npm pack)."""
    for tool in ("go", "npm"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed: run `make test`, which installs it")
    root = GO_CACHE
    with locked("lang-go"):
        if not (root / "done").exists():
            shutil.rmtree(root, ignore_errors=True)
            root.mkdir(parents=True)
            _build(root)
            (root / "done").write_text("ok")
    return GoBinaries(
        built=root / "hello",
        stripped=root / "hello-stripped",
        no_sections=root / "hello-nosections",
        esbuild=root / "esbuild",
        module_dir=root / "src",
    )


def _go_version_m(path: Path) -> list[str]:
    out = subprocess.run(["go", "version", "-m", str(path)], check=True, capture_output=True, text=True)
    # Go 1.19 prints an empty line after each "=>" replacement (a printing quirk fixed in later Go).
    return [line for line in out.stdout.splitlines() if line.strip()]


def _ours(path: Path) -> list[str]:
    info = read_build_info(path.read_bytes())
    assert info is not None, f"{path}: no build info found"
    return [f"{path}: {info.go_version}", *("\t" + line for line in info.render())]


def _debian_binary(name: str) -> Path:
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: run `make test` (scripts/install-system-deps.sh)")
    return Path(found)


@pytest.mark.parametrize("name", DEBIAN_GO_BINARIES)
def test_debian_binaries_agree_with_go_version_m(name: str) -> None:
    path = _debian_binary(name)
    assert _ours(path) == _go_version_m(path)


@pytest.mark.parametrize("which", ["built", "stripped", "esbuild"])
def test_built_and_old_binaries_agree_with_go_version_m(go_binaries: GoBinaries, which: str) -> None:
    path = getattr(go_binaries, which)
    assert _ours(path) == _go_version_m(path)


def _by_name(packages: tuple[Package, ...]) -> dict[str, Package]:
    return {p.name: p for p in packages}


def _analyze_file(path: Path, name: str) -> tuple[Package, ...]:
    facts = GoBinaryAnalyzer().analyze(name, path.read_bytes())
    assert facts is not None and len(facts.applications) == 1
    app = facts.applications[0]
    assert app.type == "gobinary" and app.file_path == name
    return app.packages


def test_trivy_view_of_a_built_binary(go_binaries: GoBinaries) -> None:
    goversion = subprocess.run(["go", "env", "GOVERSION"], capture_output=True, text=True, check=True)
    stdlib = goversion.stdout.strip().removeprefix("go")
    pkgs = _by_name(_analyze_file(go_binaries.built, "usr/local/bin/hello"))
    assert set(pkgs) == {"stdlib", "example.com/hello", "./greet"}
    assert pkgs["stdlib"].version == stdlib and pkgs["stdlib"].purl == f"pkg:golang/stdlib@{stdlib}"
    # The main module is "(devel)": its version comes from -ldflags "-X main.version=1.4.2".
    main = pkgs["example.com/hello"]
    assert main.version == "1.4.2"
    assert main.purl == "pkg:golang/example.com/hello@1.4.2"
    assert main.depends_on == ("./greet@", f"stdlib@{stdlib}")
    # The dependency is reported under its replacement (a local directory: no version), as Trivy does.
    assert pkgs["./greet"].version == ""
    assert all(p.file_path == "usr/local/bin/hello" for p in pkgs.values())


def test_stripped_binary_and_binary_without_section_headers(go_binaries: GoBinaries) -> None:
    stripped = _analyze_file(go_binaries.stripped, "hello")
    assert {p.name for p in stripped} == {"stdlib", "example.com/hello", "./greet"}
    # -trimpath builds do not record -ldflags, so the "(devel)" main module has no version.
    assert _by_name(stripped)["example.com/hello"].version == ""
    # Without section headers the header is found by scanning the first writable PT_LOAD segment.
    assert _analyze_file(go_binaries.no_sections, "hello") == stripped


def test_pre_118_pointer_layout_real_binary(go_binaries: GoBinaries) -> None:
    data = go_binaries.esbuild.read_bytes()
    at = data.index(b"\xff Go buildinf:")
    assert data[at + 15] & 0x2 == 0, "esbuild 0.11 must use the pointer layout"
    info = read_build_info(data)
    assert info is not None and info.go_version == "go1.16.3"
    assert info.main is not None and info.main.version == "(devel)"
    pkgs = _by_name(_analyze_file(go_binaries.esbuild, "esbuild"))
    assert pkgs["stdlib"].version == "1.16.3"
    assert pkgs["golang.org/x/sys"].version == "v0.0.0-20200501145240-bc7a7d42d5c3"
    assert pkgs["github.com/evanw/esbuild"].version == ""


def test_pointer_layout_big_endian_32_bit_from_go_documentation() -> None:
    """No 32-bit big-endian Go binary is available here: this one follows debug/buildinfo's layout."""
    blob = _elf32_be_with_pointer_buildinfo("go1.15.2", "path\tex/cmd\nmod\tex\tv1.0.0\th1:x=\n")
    info = read_build_info(blob)
    assert info is not None
    assert (info.go_version, info.path, info.deps) == ("go1.15.2", "ex/cmd", ())
    assert info.main == GoModule("ex", "v1.0.0", "h1:x=")


def _elf32_be_with_pointer_buildinfo(version: str, modinfo: str) -> bytes:
    """A minimal ELF32 big-endian file with one RW PT_LOAD holding a pointer-layout build info."""
    base = 0x10000
    sentinel = b"0" * 16
    mod = sentinel + modinfo.encode() + sentinel
    ehdr_size, phdr_size = 52, 32
    seg_off = 0x100  # the segment starts here in the file, 16-byte aligned
    header_at = seg_off
    strhdr_at = header_at + 32
    vers_at = strhdr_at + 16
    mod_at = vers_at + len(version)
    end = mod_at + len(mod)
    buf = bytearray(end)
    ident = b"\x7fELF" + bytes([1, 2, 1]) + bytes(9)
    struct.pack_into(">16sHHIIIIIHHHHHH", buf, 0, ident, 2, 20, 1, base, ehdr_size, 0, 0, ehdr_size,
                     phdr_size, 1, 40, 0, 0)  # fmt: skip
    struct.pack_into(">IIIIIIII", buf, ehdr_size, 1, seg_off, base + seg_off, base + seg_off,
                     end - seg_off, end - seg_off, 6, 0x1000)  # fmt: skip
    buf[header_at : header_at + 16] = b"\xff Go buildinf:" + bytes([4, 1])
    struct.pack_into(">II", buf, header_at + 16, base + strhdr_at, base + strhdr_at + 8)
    struct.pack_into(">IIII", buf, strhdr_at, base + vers_at, len(version), base + mod_at, len(mod))
    buf[vers_at:mod_at] = version.encode()
    buf[mod_at:end] = mod
    return bytes(buf)


def test_ldflags_version_choice() -> None:
    assert version_from_ldflags("ex.com/m", "-s -w -X main.version=1.2.3") == "1.2.3"
    assert version_from_ldflags("ex.com/m", "-X=main.Version=v2.0.0") == "v2.0.0"
    assert (
        version_from_ldflags("ex.com/m", "-X 'ex.com/m/cmd/x.version=3.0.0' -X main.version=1.0.0") == "3.0.0"
    )
    assert version_from_ldflags("ex.com/m", "-X main.version=1.0.0 -X main.ver=2.0.0") == ""  # ambiguous
    assert version_from_ldflags("ex.com/m", "-X main.version=not-a-version") == ""
    assert version_from_ldflags("ex.com/m", "-X 'unterminated") == ""


def test_non_go_and_broken_executables(go_binaries: GoBinaries) -> None:
    analyzer = GoBinaryAnalyzer()
    assert analyzer.analyze("bin/ls", Path("/bin/ls").read_bytes()) is None
    assert analyzer.analyze("bin/script", b"#!/bin/sh\necho hi\n" * 10) is None
    data = go_binaries.built.read_bytes()
    for cut in (64, 200, len(data) // 2):
        facts = analyzer.analyze("hello", data[:cut])
        assert facts is None or (not facts.applications and facts.warnings)
    # A pointer-layout header whose string length points far past the end of the file: a warning.
    blob = bytearray(_elf32_be_with_pointer_buildinfo("go1.15.2", "path\tx\n"))
    struct.pack_into(">I", blob, 0x100 + 32 + 4, 0x7FFFFFF0)
    facts = analyzer.analyze("bad", bytes(blob))
    assert facts is not None and not facts.applications
    assert "implausibly long" in facts.warnings[0]


def test_implausible_header_counts_and_random_corruption(go_binaries: GoBinaries) -> None:
    data = go_binaries.stripped.read_bytes()
    huge = bytearray(data)
    struct.pack_into("<H", huge, 0x38, 0xFFFF)  # e_phnum: parsing 65535 headers would take seconds
    facts = GoBinaryAnalyzer().analyze("hello", bytes(huge))
    assert facts is not None and "implausible" in facts.warnings[0]
    rng = random.Random(20261129)
    for _ in range(60):  # corrupted headers give a warning or nothing, never an exception
        d = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            d[rng.choice([rng.randrange(64), rng.randrange(4096), rng.randrange(len(d) - 4096, len(d))])] = (
                rng.randrange(256)
            )
        facts = GoBinaryAnalyzer().analyze("hello", bytes(d))
        assert facts is None or facts.applications or facts.warnings


def test_claims_only_executables() -> None:
    analyzer = GoBinaryAnalyzer()
    assert analyzer.claims("usr/bin/x", 0o755, 10_000)
    assert not analyzer.claims("usr/lib/x.so", 0o644, 10_000)
    assert not analyzer.claims("usr/bin/tiny", 0o755, 10)


def test_walker_reads_executables_in_a_layer(go_binaries: GoBinaries, tmp_path: Path) -> None:
    data = go_binaries.built.read_bytes()
    layer = tmp_path / "layer.tar"
    layer.write_bytes(
        layer_tar(
            [
                Entry("usr/local/bin/hello", data, mode=0o755),
                Entry("usr/share/doc/hello.copy", data, mode=0o644),  # not executable: not read
                Entry("usr/bin/broken", data[:1000], mode=0o755),
            ]
        )
    )
    facts = analyze_layer(LayerSource(BlobRef(layer)), [GoBinaryAnalyzer()], Limits())
    assert set(facts.files) == {"usr/local/bin/hello", "usr/bin/broken"}
    app = facts.files["usr/local/bin/hello"].applications[0]
    assert {p.name for p in app.packages} == {"stdlib", "example.com/hello", "./greet"}
    assert not facts.files["usr/bin/broken"].applications


# go.mod / go.sum ------------------------------------------------------------------------------------

GO_MOD_EDITS = (
    "-go=1.19",
    "-require=github.com/pkg/errors@v0.9.1",
    "-require=golang.org/x/text@v0.3.7",
    "-require=golang.org/x/net@v0.7.0",
    "-require=example.com/local@v1.0.0",
    "-replace=golang.org/x/net@v0.7.0=golang.org/x/net@v0.17.0",
    "-replace=example.com/local=../local",
    "-replace=github.com/pkg/errors@v0.8.0=github.com/pkg/errors@v0.8.1",  # version mismatch: ignored
)


def _go_mod(tmp_path: Path, *edits: str, indirect: str = "golang.org/x/text") -> Path:
    env = _go_env(tmp_path)
    subprocess.run(
        ["go", "mod", "init", "example.com/app"], cwd=tmp_path, env=env, check=True, capture_output=True
    )
    subprocess.run(["go", "mod", "edit", *edits], cwd=tmp_path, env=env, check=True, capture_output=True)
    gomod = tmp_path / "go.mod"
    # `go mod edit` cannot mark a requirement indirect; `go mod tidy` would, but needs the network.
    text = gomod.read_text().replace(f"{indirect} v0.3.7", f"{indirect} v0.3.7 // indirect")
    gomod.write_text(text)
    return gomod


def test_go_mod_parse_agrees_with_go_mod_edit_json(tmp_path: Path) -> None:
    import json

    gomod = _go_mod(tmp_path, *GO_MOD_EDITS)
    ref = json.loads(
        subprocess.run(
            ["go", "mod", "edit", "-json"], cwd=tmp_path, env=_go_env(tmp_path), check=True,
            capture_output=True, text=True,
        ).stdout
    )  # fmt: skip
    mod = parse_go_mod(gomod.read_text())
    assert mod.module == ref["Module"]["Path"] and mod.go == ref["Go"]
    assert [(p, v, i) for p, v, i in mod.requires] == [
        (r["Path"], r["Version"], bool(r.get("Indirect"))) for r in ref["Require"]
    ]
    assert mod.replaces == [
        (r["Old"]["Path"], r["Old"].get("Version", ""), r["New"]["Path"], r["New"].get("Version", ""))
        for r in ref["Replace"]
    ]


def test_go_mod_packages_as_trivy(tmp_path: Path) -> None:
    gomod = _go_mod(tmp_path, *GO_MOD_EDITS)
    facts = GoModAnalyzer().analyze("src/go.mod", gomod.read_bytes())
    assert facts is not None
    app = facts.applications[0]
    assert app.type == "gomod"
    got = {(p.name, p.version) for p in app.packages}
    assert got == {
        ("example.com/app", ""),
        ("github.com/pkg/errors", "v0.9.1"),  # the replace names another version: not applied
        ("golang.org/x/text", "v0.3.7"),  # indirect, kept from go 1.17 on
        ("golang.org/x/net", "v0.17.0"),  # replaced
    }  # example.com/local is replaced by a directory: dropped
    root = next(p for p in app.packages if p.name == "example.com/app")
    assert "golang.org/x/net@v0.17.0" in root.depends_on
    assert (
        next(p for p in app.packages if p.name == "golang.org/x/net").purl
        == "pkg:golang/golang.org/x/net@v0.17.0"
    )


def test_go_mod_before_117_skips_indirect(tmp_path: Path) -> None:
    gomod = _go_mod(tmp_path, "-go=1.16", "-require=golang.org/x/text@v0.3.7", "-require=rsc.io/quote@v1.5.2")
    facts = GoModAnalyzer().analyze("go.mod", gomod.read_bytes())
    assert facts is not None
    assert {p.name for p in facts.applications[0].packages} == {"example.com/app", "rsc.io/quote"}


def test_go_mod_malformed() -> None:
    for bad in (b"require (\n  a v1\n", b"replace a v1\n", b"\xff\xfe\x00", b'module "unterminated\n'):
        facts = GoModAnalyzer().analyze("go.mod", bad)
        assert facts is not None and facts.warnings and not facts.applications


def test_go_sum_modules_built_from() -> None:
    text = (
        "golang.org/x/text v0.3.0/go.mod h1:aaa=\n"
        "golang.org/x/text v0.3.7 h1:bbb=\n"
        "golang.org/x/text v0.3.7/go.mod h1:ccc=\n"
        "github.com/pkg/errors v0.9.1 h1:ddd=\n"
        "golang.org/x/tools v0.1.0/go.mod h1:eee=\n"  # only its go.mod was read: not built
        "garbage\n\n"
    )
    facts = GoSumAnalyzer().analyze("go.sum", text.encode())
    assert facts is not None
    app = facts.applications[0]
    assert app.type == "gosum"
    assert [(p.name, p.version) for p in app.packages] == [
        ("github.com/pkg/errors", "v0.9.1"),
        ("golang.org/x/text", "v0.3.7"),
    ]
    assert GoSumAnalyzer().analyze("go.sum", b"not a go.sum\n") is None


GO_SUM = (
    "github.com/pkg/errors v0.9.1 h1:a=\n"
    "github.com/pkg/errors v0.9.1/go.mod h1:b=\n"
    "golang.org/x/text v0.3.7 h1:c=\n"
    "golang.org/x/text v0.3.7/go.mod h1:d=\n"
    "rsc.io/quote v1.5.2 h1:e=\n"
    "rsc.io/sampler v1.3.0 h1:f=\n"
)


@pytest.mark.parametrize(
    ("go", "added"), [("1.16", {"golang.org/x/text", "rsc.io/sampler"}), ("1.19", set())]
)
def test_merge_go_sum_completes_an_old_go_mod(tmp_path: Path, go: str, added: set[str]) -> None:
    edits = [f"-go={go}", "-require=rsc.io/quote@v1.5.2", "-require=github.com/pkg/errors@v0.9.1"]
    if go == "1.19":  # from 1.17 on go.mod lists every module the build uses
        edits += ["-require=golang.org/x/text@v0.3.7", "-require=rsc.io/sampler@v1.3.0"]
    gomod = _go_mod(tmp_path, *edits)
    mod_facts = GoModAnalyzer().analyze("app/go.mod", gomod.read_bytes())
    sum_facts = GoSumAnalyzer().analyze("app/go.sum", GO_SUM.encode())
    other_sum = GoSumAnalyzer().analyze("tools/go.sum", GO_SUM.encode())
    assert mod_facts is not None and sum_facts is not None and other_sum is not None
    before = {p.name for p in mod_facts.applications[0].packages}
    apps = merge_go_sum([*mod_facts.applications, *sum_facts.applications, *other_sum.applications])
    assert [a.file_path for a in apps] == ["app/go.mod", "tools/go.sum"]  # a lone go.sum stays
    merged = apps[0]
    assert {p.name for p in merged.packages} - before == added
    assert all(p.file_path == "app/go.mod" for p in merged.packages)
