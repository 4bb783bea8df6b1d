"""Go, Java and Rust-binary inventory through the CLI (``seawall image`` / ``seawall rootfs``,
``--format json --list-all-pkgs``) on the real Debian minbase image plus one layer of real binaries."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from realimages import BuiltImage, extend, minbase

sys.path.insert(0, str(Path(__file__).parent))
from test_golang import GoBinaries, go_binaries  # noqa: F401
from test_java import JavaData, java_data  # noqa: F401
from test_rustbinary import RustBinaries, rust_binaries  # noqa: F401

from seawall.cli.main import main


def _populate(root: Path, go: GoBinaries, java: JavaData, rust: RustBinaries) -> None:
    bin_dir = root / "usr" / "local" / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    for src, name in ((go.built, "hello"), (go.esbuild, "esbuild"), (rust.uvx, "uvx")):
        shutil.copy(src, bin_dir / name)
        (bin_dir / name).chmod(0o755)
    docs = root / "usr" / "share" / "doc" / "hello"
    docs.mkdir(parents=True, exist_ok=True)
    shutil.copy(go.built, docs / "hello.sample")  # not executable: not a binary to inventory
    (docs / "hello.sample").chmod(0o644)
    for src, dest in (
        (java.war, "srv/tomcat/webapps/shop.war"),
        (java.boot, "app/demo.jar"),
        (java.jar("commons-lang3.jar"), "usr/share/java/commons-lang3.jar"),
    ):
        (root / dest).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src, root / dest)


@pytest.fixture(scope="session")
def gojava_image(go_binaries: GoBinaries, java_data: JavaData, rust_binaries: RustBinaries) -> BuiltImage:  # noqa: F811
    """Debian minbase plus a layer of Go, Rust and Java artifacts (cached per machine)."""
    for tool in ("mmdebstrap", "umoci", "skopeo"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed: run `make test`, which installs it")
    return extend(
        minbase(),
        "lang-gojava",
        lambda root: _populate(root, go_binaries, java_data, rust_binaries),
        "COPY go, rust and java artifacts",
    )


def _scan(capsysbinary: pytest.CaptureFixture[bytes], cache: Path, *args: str) -> dict[str, Any]:
    rc = main(
        ["--cache-dir", str(cache), *args, "--format", "json", "--list-all-pkgs", "--scanners", "vuln", "-q"]
    )
    captured = capsysbinary.readouterr()
    assert rc == 0, captured.err.decode()
    report: dict[str, Any] = json.loads(captured.out)
    return report


def _packages(report: dict[str, Any], kind: str) -> dict[str, set[tuple[str, str, str]]]:
    """Packages of one result type, by target: (name, version, file path)."""
    out: dict[str, set[tuple[str, str, str]]] = {}
    for result in report["Results"]:
        if result.get("Type") == kind:
            pkgs = {(p["Name"], p["Version"], p.get("FilePath", "")) for p in result.get("Packages", [])}
            out.setdefault(result["Target"], set()).update(pkgs)
    return out


def _check(report: dict[str, Any]) -> None:
    gobin = _packages(report, "gobinary")
    assert set(gobin) == {"usr/local/bin/hello", "usr/local/bin/esbuild"}
    hello = {(n, v) for n, v, _ in gobin["usr/local/bin/hello"]}
    assert ("example.com/hello", "1.4.2") in hello and ("./greet", "") in hello
    assert ("golang.org/x/sys", "v0.0.0-20200501145240-bc7a7d42d5c3") in {
        (n, v) for n, v, _ in gobin["usr/local/bin/esbuild"]
    }
    rust = _packages(report, "rustbinary")
    assert set(rust) == {"usr/local/bin/uvx"} and len(rust["usr/local/bin/uvx"]) > 500
    jars = set().union(*_packages(report, "jar").values())
    assert ("com.example:shop", "1.0.0", "srv/tomcat/webapps/shop.war") in jars
    assert (
        "org.apache.logging.log4j:log4j-core",
        "2.19.0",
        "srv/tomcat/webapps/shop.war/WEB-INF/lib/log4j-core-2.19.0.jar",
    ) in jars
    assert (
        "org.apache.commons:commons-lang3",
        "3.12.0",
        "app/demo.jar/BOOT-INF/lib/commons-lang3-3.12.0.jar",
    ) in jars
    assert ("org.apache.commons:commons-lang3", "3.12.0", "usr/share/java/commons-lang3.jar") in jars
    assert len(jars) == 9
    assert any(r["Class"] == "os-pkgs" for r in report["Results"])  # the OS inventory is still there


@pytest.mark.slow
def test_image_oci_archive(
    gojava_image: BuiltImage, tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    _check(_scan(capsysbinary, tmp_path / "cache", "image", f"oci-archive:{gojava_image.oci_archive}"))


@pytest.mark.slow
def test_rootfs_directory(
    go_binaries: GoBinaries,  # noqa: F811
    java_data: JavaData,  # noqa: F811
    rust_binaries: RustBinaries,  # noqa: F811
    tmp_path: Path,
    capsysbinary: pytest.CaptureFixture[bytes],
) -> None:
    root = tmp_path / "rootfs"
    _populate(root, go_binaries, java_data, rust_binaries)
    (root / "etc").mkdir()
    (root / "etc" / "os-release").write_text(
        'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12"\n'
    )
    (root / "var" / "lib" / "dpkg").mkdir(parents=True)
    (root / "var" / "lib" / "dpkg" / "status").write_text(
        "Package: base-files\nStatus: install ok installed\nVersion: 12.4\nArchitecture: amd64\n\n"
    )
    _check(_scan(capsysbinary, tmp_path / "cache", "rootfs", str(root)))


GO_MOD = """module example.com/app

go 1.19

require (
\tgithub.com/pkg/errors v0.9.1
\tgolang.org/x/net v0.7.0 // indirect
)

replace golang.org/x/net v0.7.0 => golang.org/x/net v0.17.0
"""


@pytest.mark.slow
def test_fs_project_directory(
    go_binaries: GoBinaries,  # noqa: F811
    java_data: JavaData,  # noqa: F811
    tmp_path: Path,
    capsysbinary: pytest.CaptureFixture[bytes],
) -> None:
    """``seawall fs``: go.mod, go.sum, pom.xml, gradle.lockfile next to a binary and a WAR."""
    root = tmp_path / "project"
    (root / "go").mkdir(parents=True)
    (root / "go" / "go.mod").write_text(GO_MOD)
    (root / "go" / "go.sum").write_text(
        "github.com/pkg/errors v0.9.1 h1:x=\ngolang.org/x/net v0.17.0 h1:y=\n"
    )
    (root / "java").mkdir()
    pom = next((java_data.root / "deb" / "usr" / "share" / "maven-repo").rglob("jackson-databind-2.14.0.pom"))
    shutil.copy(pom, root / "java" / "pom.xml")
    (root / "java" / "gradle.lockfile").write_text("junit:junit:4.13.2=testRuntimeClasspath\n")
    (root / "dist").mkdir()
    shutil.copy(go_binaries.built, root / "dist" / "hello")
    shutil.copy(java_data.war, root / "dist" / "shop.war")
    report = _scan(capsysbinary, tmp_path / "cache", "fs", str(root))
    assert {(n, v) for n, v, _ in _packages(report, "gomod")["go/go.mod"]} == {
        ("example.com/app", ""),
        ("github.com/pkg/errors", "v0.9.1"),
        ("golang.org/x/net", "v0.17.0"),
    }
    # go.sum lists nothing go.mod lacks: its own result, or nothing once folded by merge_go_sum.
    assert _packages(report, "gosum").get("go/go.sum", set()) <= {
        ("golang.org/x/net", "v0.17.0", "go/go.sum"),
        ("github.com/pkg/errors", "v0.9.1", "go/go.sum"),
    }
    pom_pkgs = {n: v for n, v, _ in _packages(report, "pom")["java/pom.xml"]}
    assert pom_pkgs["com.fasterxml.jackson.core:jackson-databind"] == "2.14.0"
    assert _packages(report, "gradle")["java/gradle.lockfile"] == {
        ("junit:junit", "4.13.2", "java/gradle.lockfile")
    }
    assert ("example.com/hello", "1.4.2", "dist/hello") in _packages(report, "gobinary")["dist/hello"]
    jars = set().union(*_packages(report, "jar").values())
    assert ("com.example:shop", "1.0.0", "dist/shop.war") in jars and len(jars) == 5
