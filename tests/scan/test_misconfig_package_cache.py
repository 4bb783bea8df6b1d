"""``seawall image --scanners misconfig`` reports package-manager caches (IMG012) from the layer walk."""

from __future__ import annotations

import json
import shutil
import tarfile
from pathlib import Path
from typing import Any

import pytest

from imagetools import DEBIAN_OS_RELEASE, Entry, SyntheticImage, layer_tar, write_oci_layout
from realimages import BuiltImage, extend, minbase
from seawall.cli.main import main


def _scan(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes], target: list[str]) -> dict[str, Any]:
    argv = [
        "--cache-dir",
        str(tmp_path / "c"),
        "image",
        *target,
        "--scanners",
        "misconfig,malware",
        "-f",
        "json",
    ]
    assert main(argv) == 0
    return json.loads(capsysbinary.readouterr().out)  # type: ignore[no-any-return]


def _by_id(out: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["ID"]: m for r in out["Results"] if r["Class"] == "config" for m in r["Misconfigurations"]}


def test_caches_in_a_synthetic_image(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    pip = [Entry(f"root/.cache/pip/http-v2/{i:04d}", b"x" * 100) for i in range(300)]
    layer = layer_tar(
        [
            Entry("etc/os-release", DEBIAN_OS_RELEASE.encode()),
            Entry("var/lib/apt/lists/lock", b""),
            Entry(
                "var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4",
                b"p" * 4096,
            ),
            Entry("var/cache/apt/archives/lock", b""),
            Entry("var/cache/apt/archives/curl_7.88_amd64.deb", b"d" * 2048),
            *pip,
        ]
    )
    out = _scan(
        tmp_path, capsysbinary, ["--input", str(write_oci_layout(tmp_path / "oci", SyntheticImage([layer])))]
    )
    finding = _by_id(out)["IMG012"]
    message = finding["Message"]
    assert finding["Severity"] == "LOW"
    assert "/root/.cache/pip (pip: 300 files, 29.3 KiB)" in message
    assert "/var/lib/apt/lists (apt: 1 files, 4.0 KiB)" in message
    assert "/var/cache/apt/archives (apt: 1 files, 2.0 KiB)" in message
    assert "(36144 bytes)" in message  # 30000 + 4096 + 2048
    # One finding for the image, not one per file; and the cache facts are not malware findings.
    assert sum(m["ID"] == "IMG012" for r in out["Results"] for m in r.get("Misconfigurations") or []) == 1
    assert not any(r["Class"] == "malware" and "cache" in json.dumps(r) for r in out["Results"])
    # A second scan reads the layer from the cache and reports the same totals.
    assert any((tmp_path / "c" / "layers").iterdir())
    again = _scan(tmp_path, capsysbinary, ["--input", str(tmp_path / "oci")])
    assert _by_id(again)["IMG012"]["Message"] == message


def test_cache_removed_in_a_later_layer_is_not_reported(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    first = layer_tar(
        [
            Entry("etc/os-release", DEBIAN_OS_RELEASE.encode()),
            Entry("var/cache/apk/APKINDEX.1.tar.gz", b"i" * 500),
        ]
    )
    second = layer_tar([Entry("var/cache/.wh.apk", b"")])
    image = SyntheticImage([first, second])
    out = _scan(tmp_path, capsysbinary, ["--input", str(write_oci_layout(tmp_path / "oci", image))])
    assert "IMG012" not in _by_id(out)


def test_real_minbase_has_no_cache(
    minbase_image: BuiltImage, tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    """mmdebstrap leaves only apt's lock files and empty partial/ directories: nothing to report."""
    with tarfile.open(minbase_image.rootfs_tar) as tar:
        names = {m.name.removeprefix("./") for m in tar}
    assert {"var/lib/apt/lists/lock", "var/cache/apt/archives/lock", "var/lib/apt/lists/partial/"} & names
    assert not [n for n in names if n.startswith("var/lib/apt/lists/") and n.endswith("Packages")]
    assert not [n for n in names if n.startswith("var/cache/apt/archives/") and n.endswith(".deb")]
    out = _scan(tmp_path, capsysbinary, ["--input", str(minbase_image.oci_archive)])
    ids = _by_id(out)
    assert "IMG001" in ids  # the scan did run the image checks
    assert "IMG012" not in ids


HOST_LISTS = Path("/var/lib/apt/lists")
HOST_DEBS = Path("/var/cache/apt/archives")


def _add_host_apt_cache(rootfs: Path) -> None:
    """Copy real apt index files (and up to two real .deb files) from this machine into the image,
    as a Dockerfile's `apt-get update && apt-get install` without cleanup leaves them."""
    lists = sorted(
        p for p in HOST_LISTS.iterdir() if p.is_file() and p.name != "lock" and p.stat().st_size < 2**21
    )
    debs = sorted(HOST_DEBS.glob("*.deb"))[:2]
    expected = {"var/lib/apt/lists": [0, 0], "var/cache/apt/archives": [0, 0]}
    for src, rel in [
        *((p, "var/lib/apt/lists") for p in lists),
        *((p, "var/cache/apt/archives") for p in debs),
    ]:
        shutil.copyfile(src, rootfs / rel / src.name)
        expected[rel][0] += 1
        expected[rel][1] += src.stat().st_size
    (rootfs.parent.parent / "expected.json").write_text(json.dumps(expected))


def test_real_apt_cache_on_minbase(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    """minbase plus a layer holding this machine's real apt lists and .deb files: IMG012 totals them."""
    if not any(p.name.endswith("InRelease") for p in HOST_LISTS.glob("*")):
        pytest.skip("this machine has no apt lists (apt-get update never ran)")
    image = extend(
        minbase(), "pkgcache-apt", _add_host_apt_cache, "RUN apt-get update && apt-get install ..."
    )
    expected = json.loads((image.root / "expected.json").read_text())
    out = _scan(tmp_path, capsysbinary, ["--input", str(image.oci_archive)])
    message = _by_id(out)["IMG012"]["Message"]
    total = 0
    for directory, (files, size) in expected.items():
        if files:
            assert f"/{directory} (apt: {files} files, " in message
            total += size
        else:
            assert f"/{directory} " not in message
    assert f"({total} bytes)" in message
    assert "apt-get clean" in message
