"""The dpkg inventory of the real mmdebstrap image equals dpkg-query's, through every local input form."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from realimages import TEST_CACHE, BuiltImage, locked
from seawall.cli.main import main


def dpkg_query_expected(image: BuiltImage) -> set[str]:
    """``dpkg-query`` run on the image's own dpkg database (extracted from the rootfs tar once)."""
    admin = TEST_CACHE / "minbase-dpkg-admin"
    with locked("minbase-dpkg-admin"):
        if not (admin / "status").exists():
            admin.mkdir(parents=True, exist_ok=True)
            with tarfile.open(image.rootfs_tar) as tar:
                for m in tar:
                    name = m.name.lstrip("./")
                    if name == "var/lib/dpkg/status":
                        src = tar.extractfile(m)
                        assert src is not None
                        (admin / "status").write_bytes(src.read())
            (admin / "updates").mkdir(exist_ok=True)
            (admin / "info").mkdir(exist_ok=True)
    out = subprocess.run(
        ["dpkg-query", f"--admindir={admin}", "-W", "-f", "${Package} ${Version} ${source:Package}\\n"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return {line for line in out.splitlines() if line}


def scan_json(capsysbinary: pytest.CaptureFixture[bytes], *args: str) -> dict:
    rc = main([*args, "--format", "json", "--list-all-pkgs", "--quiet"])
    captured = capsysbinary.readouterr()
    assert rc == 0, captured.err.decode()
    return json.loads(captured.out)


def os_packages(report: dict) -> set[str]:
    result = next(r for r in report["Results"] if r["Class"] == "os-pkgs")
    lines = set()
    for p in result["Packages"]:
        version = p["Version"] + (f"-{p['Release']}" if p.get("Release") else "")
        if p.get("Epoch"):
            version = f"{p['Epoch']}:{version}"
        lines.add(f"{p['Name']} {version} {p['SrcName']}")
    return lines


def test_docker_archive_equals_dpkg_query(minbase_image, cache_dir, capsysbinary):
    expected = dpkg_query_expected(minbase_image)
    report = scan_json(
        capsysbinary, "--cache-dir", str(cache_dir), "image", "--input", str(minbase_image.docker_archive)
    )
    assert len(expected) > 80
    assert os_packages(report) == expected
    assert report["Metadata"]["OS"] == {"Family": "debian", "Name": report["Metadata"]["OS"]["Name"]}
    assert report["Metadata"]["OS"]["Name"].startswith("12.")
    assert report["ArtifactType"] == "container_image"


@pytest.mark.parametrize(
    "form", ["oci-archive", "oci-dir", "oci-prefix", "docker-archive-prefix", "gzip-archive"]
)
def test_every_local_form_gives_the_same_inventory(form, minbase_image, cache_dir, tmp_path, capsysbinary):
    expected = dpkg_query_expected(minbase_image)
    if form == "oci-archive":
        args = ["image", "--input", str(minbase_image.oci_archive)]
    elif form == "oci-dir":
        args = ["image", "--input", f"{minbase_image.oci_dir}:base"]
    elif form == "oci-prefix":
        args = ["image", f"oci:{minbase_image.oci_dir}:base"]
    elif form == "docker-archive-prefix":
        args = ["image", f"docker-archive:{minbase_image.docker_archive}"]
    else:
        gz = tmp_path / "image.tar.gz"
        with minbase_image.docker_archive.open("rb") as src, gzip.open(gz, "wb", compresslevel=1) as dst:
            shutil.copyfileobj(src, dst)
        args = ["image", "--input", str(gz)]
    report = scan_json(capsysbinary, "--cache-dir", str(cache_dir), *args)
    assert os_packages(report) == expected
    # The OCI layout and the archives made from it describe the same image.
    assert report["Metadata"]["DiffIDs"] == _layout_diff_ids(minbase_image.oci_dir)


def _layout_diff_ids(oci_dir: Path) -> list[str]:
    index = json.loads((oci_dir / "index.json").read_text())
    desc = next(
        m for m in index["manifests"] if m["annotations"]["org.opencontainers.image.ref.name"] == "base"
    )
    manifest = json.loads((oci_dir / "blobs/sha256" / desc["digest"].split(":")[1]).read_text())
    config = json.loads((oci_dir / "blobs/sha256" / manifest["config"]["digest"].split(":")[1]).read_text())
    return config["rootfs"]["diff_ids"]


def test_rootfs_dir_gives_the_same_inventory(minbase_image, cache_dir, tmp_path, capsysbinary):
    expected = dpkg_query_expected(minbase_image)
    root = tmp_path / "rootfs"
    root.mkdir()
    subprocess.run(
        ["tar", "-xf", str(minbase_image.rootfs_tar), "-C", str(root), "--exclude=./dev/*"],
        check=True,
        capture_output=True,
    )
    report = scan_json(capsysbinary, "--cache-dir", str(cache_dir), "rootfs", str(root))
    assert os_packages(report) == expected
    report2 = scan_json(capsysbinary, "--cache-dir", str(cache_dir), "image", f"dir:{root}")
    assert os_packages(report2) == expected


def test_packages_carry_layer_source_and_files(minbase_image, cache_dir, capsysbinary):
    report = scan_json(
        capsysbinary, "--cache-dir", str(cache_dir), "image", "--input", str(minbase_image.oci_archive)
    )
    diff_id = report["Metadata"]["DiffIDs"][0]
    pkgs = {p["Name"]: p for p in next(r for r in report["Results"] if r["Class"] == "os-pkgs")["Packages"]}
    libc = pkgs["libc6"]
    assert libc["SrcName"] == "glibc"
    assert libc["Layer"]["DiffID"] == diff_id
    assert libc["Layer"]["CreatedBy"] == "mmdebstrap --variant=minbase bookworm"
    assert libc["Identifier"]["PURL"].startswith("pkg:deb/debian/libc6@")
    assert "distro=debian-12." in libc["Identifier"]["PURL"]
    assert "/lib/x86_64-linux-gnu/libc.so.6" in libc["InstalledFiles"]
    assert "/lib/x86_64-linux-gnu" not in libc["InstalledFiles"]  # directories are not files
    assert "GPL-3+" in pkgs["bash"]["Licenses"]


def test_warm_rescan_reads_no_layer(minbase_image, cache_dir, tmp_path, capsysbinary):
    """A second scan takes every layer from the cache: breaking the blob afterwards goes unnoticed."""
    layout = tmp_path / "oci"
    shutil.copytree(minbase_image.oci_dir, layout)
    first = scan_json(capsysbinary, "--cache-dir", str(cache_dir), "image", "--input", f"{layout}:base")
    index = json.loads((layout / "index.json").read_text())
    desc = next(
        m for m in index["manifests"] if m["annotations"]["org.opencontainers.image.ref.name"] == "base"
    )
    manifest = json.loads((layout / "blobs/sha256" / desc["digest"].split(":")[1]).read_text())
    blob = layout / "blobs/sha256" / manifest["layers"][0]["digest"].split(":")[1]
    blob.write_bytes(b"not a layer any more")
    second = scan_json(capsysbinary, "--cache-dir", str(cache_dir), "image", "--input", f"{layout}:base")
    assert os_packages(second) == os_packages(first)
    # --no-cache reads the (now broken) layer and says so in one line, exit code 2.
    rc = main(["--cache-dir", str(cache_dir), "image", "--input", f"{layout}:base", "--no-cache", "-q"])
    err = capsysbinary.readouterr().err.decode()
    assert rc == 2
    assert err.startswith("seawall: error:") and len(err.strip().splitlines()) == 1
