"""Whiteouts, layer attribution, compression and the layer cache, on small synthetic images."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from imagetools import (
    DEBIAN_OS_RELEASE,
    Entry,
    SyntheticImage,
    dpkg_status,
    files,
    layer_tar,
    write_docker_archive,
    write_oci_layout,
)
from seawall.analyze.analyzer import Analyzer, FileMeta
from seawall.analyze.merge import build_inventory, merge_layers
from seawall.analyze.pipeline import AnalysisOptions, scan_image
from seawall.analyze.streams import Limits
from seawall.analyze.walker import analyze_layer
from seawall.artifact.archive import open_oci_layout
from seawall.cli.main import main
from seawall.model import ContentFinding, FileFacts

BASE = {
    "etc/os-release": DEBIAN_OS_RELEASE,
    "etc/debian_version": "12.7\n",
    "var/lib/dpkg/status": dpkg_status(
        [
            ("base-files", "12.4+deb12u7", ""),
            ("libssl3", "3.0.14-1~deb12u2", "openssl"),
            ("curl", "7.88.1-10", ""),
        ]
    ),
}


def inventory(tmp_path: Path, image: SyntheticImage, compression: str | None = "gzip", **opts: object):
    layout = write_oci_layout(tmp_path / "oci", image, compression=compression)
    with open_oci_layout(layout) as img:
        return scan_image(img, tmp_path / "cache", AnalysisOptions(**opts))  # type: ignore[arg-type]


def names(inv) -> set[str]:
    return {p.name for p in inv.os_packages}


def test_upper_layer_removing_a_package_removes_it(tmp_path):
    upper = dpkg_status([("base-files", "12.4+deb12u7", ""), ("libssl3", "3.0.14-1~deb12u2", "openssl")])
    image = SyntheticImage([layer_tar(files(BASE)), layer_tar(files({"var/lib/dpkg/status": upper}))])
    inv = inventory(tmp_path, image)
    assert names(inv) == {"base-files", "libssl3"}


def test_package_keeps_the_layer_that_introduced_it(tmp_path):
    upper = dpkg_status([("base-files", "12.4+deb12u7", ""), ("libssl3", "3.0.14-1~deb12u2", "openssl"),
                         ("curl", "7.88.1-10", ""), ("jq", "1.6-2.1", "")])  # fmt: skip
    image = SyntheticImage(
        [layer_tar(files(BASE)), layer_tar(files({"var/lib/dpkg/status": upper}))],
        created_by=["debootstrap", "apt-get install jq"],
    )
    inv = inventory(tmp_path, image)
    layers = {p.name: p.layer for p in inv.os_packages}
    diff_ids = image.config()["rootfs"]["diff_ids"]
    assert layers["curl"].diff_id == diff_ids[0]
    assert layers["jq"].diff_id == diff_ids[1]
    assert layers["jq"].created_by == "apt-get install jq"
    # An upgraded package belongs to the layer that upgraded it.
    upgraded = upper.replace("7.88.1-10", "7.88.1-10+deb12u8")
    image2 = SyntheticImage([layer_tar(files(BASE)), layer_tar(files({"var/lib/dpkg/status": upgraded}))])
    inv2 = inventory(tmp_path / "2", image2)
    curl = next(p for p in inv2.os_packages if p.name == "curl")
    assert curl.layer.diff_id == image2.config()["rootfs"]["diff_ids"][1]
    assert curl.full_version == "7.88.1-10+deb12u8"


def test_whiteout_file_removes_distroless_package(tmp_path):
    base = {
        "etc/os-release": DEBIAN_OS_RELEASE,
        "var/lib/dpkg/status.d/base": dpkg_status([("base-files", "12.4+deb12u7", "")]),
        "var/lib/dpkg/status.d/tzdata": dpkg_status([("tzdata", "2024a-0+deb12u1", "")]),
    }
    upper = layer_tar([Entry("var/lib/dpkg/status.d/.wh.tzdata")])
    inv = inventory(tmp_path, SyntheticImage([layer_tar(files(base)), upper]))
    assert names(inv) == {"base-files"}


def test_opaque_directory_hides_everything_below(tmp_path):
    base = {
        "etc/os-release": DEBIAN_OS_RELEASE,
        "var/lib/dpkg/status.d/base": dpkg_status([("base-files", "12.4+deb12u7", "")]),
        "var/lib/dpkg/status.d/tzdata": dpkg_status([("tzdata", "2024a-0+deb12u1", "")]),
    }
    upper = layer_tar(
        [
            Entry("var/lib/dpkg/status.d", kind="dir"),
            Entry("var/lib/dpkg/status.d/.wh..wh..opq"),
            Entry("var/lib/dpkg/status.d/new", dpkg_status([("zlib1g", "1:1.2.13.dfsg-1", "zlib")]).encode()),
        ]
    )
    inv = inventory(tmp_path, SyntheticImage([layer_tar(files(base)), upper]))
    assert names(inv) == {"zlib1g"}
    z = inv.os_packages[0]
    assert (z.epoch, z.version, z.release, z.src_name) == (1, "1.2.13.dfsg", "1", "zlib")
    assert z.full_version == "1:1.2.13.dfsg-1"


def test_whiteout_of_a_directory_removes_its_facts(tmp_path):
    upper = layer_tar([Entry("var/lib/.wh.dpkg")])
    inv = inventory(tmp_path, SyntheticImage([layer_tar(files(BASE)), upper]))
    assert inv.os_packages == ()
    assert inv.os is not None and inv.os.family == "debian"


@pytest.mark.parametrize("compression", [None, "gzip", "zstd"])
def test_layer_compressions(tmp_path, compression):
    inv = inventory(tmp_path, SyntheticImage([layer_tar(files(BASE))]), compression=compression)
    assert names(inv) == {"base-files", "libssl3", "curl"}
    assert inv.os is not None and (inv.os.family, inv.os.name) == ("debian", "12.7")


def test_parallel_and_sequential_agree(tmp_path):
    layers = [layer_tar(files(BASE))]
    for i in range(5):
        layers.append(
            layer_tar(files({f"var/lib/dpkg/status.d/p{i}": dpkg_status([(f"pkg{i}", f"1.{i}-1", "")])}))
        )
    image = SyntheticImage(layers)
    seq = inventory(tmp_path / "a", image, workers=1)
    par = inventory(tmp_path / "b", image, workers=2)
    assert seq.os_packages == par.os_packages
    assert len(seq.os_packages) == 8


def test_shared_base_layer_is_analyzed_once(tmp_path):
    """Two images sharing a base layer: the second scan takes the base from the cache."""
    base = layer_tar(files(BASE))
    first = SyntheticImage([base, layer_tar(files({"etc/motd": "one"}))])
    second = SyntheticImage([base, layer_tar(files({"etc/motd": "two"}))])
    cache = tmp_path / "cache"
    inv1 = inventory(tmp_path / "one", first)
    del inv1
    layout = write_oci_layout(tmp_path / "two-oci", second, compression="gzip")
    # Break the shared base blob of the second image: a cache hit means it is never read.
    index = json.loads((layout / "index.json").read_text())
    manifest = json.loads(
        (layout / "blobs/sha256" / index["manifests"][0]["digest"].split(":")[1]).read_text()
    )
    base_blob = layout / "blobs/sha256" / manifest["layers"][0]["digest"].split(":")[1]
    with open_oci_layout(write_oci_layout(tmp_path / "one-again", first)) as img:
        scan_image(img, cache, AnalysisOptions())
    base_blob.write_bytes(b"garbage")
    with open_oci_layout(layout) as img:
        inv2 = scan_image(img, cache, AnalysisOptions())
    assert names(inv2) == {"base-files", "libssl3", "curl"}


def test_docker_archive_from_helpers_matches_oci(tmp_path, capsysbinary):
    image = SyntheticImage([layer_tar(files(BASE)), layer_tar(files({"etc/motd": "hi"}))])
    archive = write_docker_archive(tmp_path / "img.tar", image)
    rc = main(
        [
            "--cache-dir",
            str(tmp_path / "c"),
            "image",
            "--input",
            str(archive),
            "-f",
            "json",
            "--list-all-pkgs",
        ]
    )
    out = json.loads(capsysbinary.readouterr().out)
    assert rc == 0
    assert out["Metadata"]["RepoTags"] == ["localhost/test:latest"]
    assert out["Metadata"]["DiffIDs"] == image.config()["rootfs"]["diff_ids"]
    pkgs = out["Results"][0]["Packages"]
    assert {p["Name"] for p in pkgs} == {"base-files", "libssl3", "curl"}
    assert out["Results"][0]["Target"] == f"{archive} (debian 12.7)"


class _MarkerAnalyzer(Analyzer):
    """Test analyzer: a content finding for every file that contains the word PLANTED."""

    name = "test-marker"
    version = 1

    def claims(self, path: str, mode: int, size: int) -> bool:
        return path.startswith("app/")

    def analyze(self, path: str, data: bytes) -> FileFacts | None:
        if b"PLANTED" not in data:
            return None
        return FileFacts(path=path, findings=(ContentFinding("secret", "planted", "HIGH", "planted", path),))


class _SetuidAnalyzer(Analyzer):
    """Test metadata analyzer: setuid regular files."""

    name = "test-setuid"
    version = 1
    metadata_only = True

    def claims(self, path: str, mode: int, size: int) -> bool:
        return stat.S_ISREG(mode) and bool(mode & stat.S_ISUID)

    def analyze_metadata(self, path: str, meta: FileMeta) -> FileFacts | None:
        return FileFacts(path=path, findings=(ContentFinding("file", "setuid", "LOW", "setuid", path),))


def _analyze(image: SyntheticImage, tmp_path: Path):
    analyzers = [_MarkerAnalyzer(), _SetuidAnalyzer()]
    layout = write_oci_layout(tmp_path / "oci", image, compression="gzip")
    with open_oci_layout(layout) as img:
        facts = [analyze_layer(layer.source, analyzers, Limits()) for layer in img.layers]
        return build_inventory(
            merge_layers([(layer.ref, f) for layer, f in zip(img.layers, facts, strict=True)]),
            "x",
            "container_image",
        )


def test_content_findings_survive_deletion_and_are_marked(tmp_path):
    image = SyntheticImage(
        [
            layer_tar(
                [
                    Entry("app/.env", b"TOKEN=PLANTED"),
                    Entry("app/ok", b"fine"),
                    Entry("usr/bin/su", b"x", mode=0o4755),
                ]
            ),
            layer_tar([Entry("app/.wh..env"), Entry("app/new", b"PLANTED again")]),
            layer_tar([Entry("app/new", b"clean now")]),
        ]
    )
    inv = _analyze(image, tmp_path)
    diff_ids = image.config()["rootfs"]["diff_ids"]
    by_path = {(f.finding.path, f.layer.diff_id): f for f in inv.findings}
    env = by_path[("app/.env", diff_ids[0])]
    assert env.deleted and env.finding.rule_id == "planted"
    replaced = by_path[("app/new", diff_ids[1])]
    assert replaced.deleted  # overwritten by a clean file in the third layer
    su = by_path[("usr/bin/su", diff_ids[0])]
    assert su.finding.rule_id == "setuid" and not su.deleted
    assert len(inv.findings) == 3
