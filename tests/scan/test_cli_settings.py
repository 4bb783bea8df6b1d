"""Config file, environment variables and global options, as Trivy reads trivy.yaml and TRIVY_*."""

from __future__ import annotations

import json

import pytest

from imagetools import DEBIAN_OS_RELEASE, SyntheticImage, dpkg_status, files, layer_tar, write_oci_layout
from seawall import __version__
from seawall.cli.main import main


@pytest.fixture
def layout(tmp_path):
    image = SyntheticImage(
        [
            layer_tar(
                files(
                    {
                        "etc/os-release": DEBIAN_OS_RELEASE,
                        "var/lib/dpkg/status": dpkg_status([("bash", "5.2", "")]),
                    }
                )
            )
        ]
    )
    return write_oci_layout(tmp_path / "oci", image)


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"seawall {__version__}"


def test_config_file_sets_flags(tmp_path, layout, capsysbinary, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "seawall.yaml").write_text(
        f"cache-dir: {tmp_path / 'c'}\nformat: json\nimage:\n  list-all-pkgs: true\n"
    )
    assert main(["image", "--input", str(layout)]) == 0
    report = json.loads(capsysbinary.readouterr().out)
    assert report["Results"][0]["Packages"][0]["Name"] == "bash"
    assert (tmp_path / "c" / "layers").is_dir()


def test_environment_beats_config_file_and_flag_beats_environment(
    tmp_path, layout, capsysbinary, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "seawall.yaml").write_text("format: table\n")
    monkeypatch.setenv("SEAWALL_FORMAT", "json")
    monkeypatch.setenv("SEAWALL_CACHE_DIR", str(tmp_path / "envcache"))
    assert main(["image", "--input", str(layout)]) == 0
    json.loads(capsysbinary.readouterr().out)  # JSON, from the environment
    assert (tmp_path / "envcache").is_dir()
    assert main(["image", "--input", str(layout), "--format", "spdx-json"]) == 0
    assert json.loads(capsysbinary.readouterr().out)["spdxVersion"] == "SPDX-2.3"


def test_global_options_after_the_command(tmp_path, layout, capsysbinary):
    assert (
        main(["image", "--input", str(layout), "--cache-dir", str(tmp_path / "late"), "-q", "-f", "json"])
        == 0
    )
    assert (tmp_path / "late" / "layers").is_dir()


def test_explicit_missing_config_is_an_error(tmp_path, capsys):
    assert main(["--config", str(tmp_path / "nope.yaml"), "image", "x"]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_hostile_config_file(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    bomb = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{c}: &{c} [{','.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    (tmp_path / "seawall.yaml").write_text(bomb)
    assert main(["image", "x"]) == 2
    err = capsys.readouterr().err
    assert "alias" in err and len(err.strip().splitlines()) == 1


def test_unknown_format_and_scanner(tmp_path, layout, capsys):
    assert main(["--cache-dir", str(tmp_path), "image", "--input", str(layout), "-f", "xml"]) == 2
    assert "unknown format" in capsys.readouterr().err
    assert main(["--cache-dir", str(tmp_path), "image", "--input", str(layout), "--scanners", "bogus"]) == 2
    assert "unknown scanner" in capsys.readouterr().err
