"""Hostile and broken images: one-line error and exit code 2 (or a logged skip), nothing written outside
the cache, memory bounded. Each case runs the real CLI in a subprocess with a scratch HOME and TMPDIR."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import tarfile
import zlib
from pathlib import Path

import pytest

from imagetools import (
    DEBIAN_OS_RELEASE,
    Entry,
    SyntheticImage,
    dpkg_status,
    files,
    layer_tar,
    sha256,
    write_docker_archive,
    write_oci_layout,
)
from realimages import TEST_CACHE, locked

# Peak RSS from VmHWM: ru_maxrss would carry over the (large) pytest worker's peak across fork and exec.
RUNNER = """
import sys
from seawall.cli.main import main
rc = main(sys.argv[2:])
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
with open(sys.argv[1], "w") as f:
    f.write(hwm.split()[1])
sys.exit(rc)
"""

BASE = {
    "etc/os-release": DEBIAN_OS_RELEASE,
    "var/lib/dpkg/status": dpkg_status([("bash", "5.2.15-2+b7", "")]),
}


def run_cli(tmp_path: Path, *args: str) -> tuple[int, str, str, int]:
    """Run ``seawall ARGS`` isolated; return (exit code, stdout, stderr, peak RSS in MiB)."""
    home, work, tmp = tmp_path / "home", tmp_path / "work", tmp_path / "tmpdir"
    for d in (home, work, tmp):
        d.mkdir(exist_ok=True)
    rss_file = tmp_path / "rss"
    env = {**os.environ, "HOME": str(home), "TMPDIR": str(tmp), "XDG_CACHE_HOME": str(home / ".cache")}
    env.pop("SEAWALL_CACHE_DIR", None)
    env["SEAWALL_OFFLINE"] = "true"  # no advisory download attempts: this machine has no internet
    proc = subprocess.run(
        [sys.executable, "-c", RUNNER, str(rss_file), "--cache-dir", str(tmp_path / "cache"), *args],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    # Nothing outside the cache directory: HOME, the working directory and TMPDIR stay empty.
    for d in (home, work, tmp):
        assert list(d.iterdir()) == [], f"{d.name} got {list(d.iterdir())}"
    rss = int(rss_file.read_text()) // 1024 if rss_file.exists() else 0
    return proc.returncode, proc.stdout, proc.stderr, rss


def assert_one_line_error(rc: int, err: str, words: str) -> None:
    assert rc == 2, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("seawall: error:"), err
    assert words in lines[0], err
    assert "Traceback" not in err


def image_with(tmp_path: Path, upper: bytes, compression: str | None = "gzip") -> Path:
    layout = write_oci_layout(
        tmp_path / "oci", SyntheticImage([layer_tar(files(BASE)), upper]), compression=compression
    )
    return layout


def test_path_traversal_entry(tmp_path):
    layout = image_with(tmp_path, layer_tar([Entry("../../etc/cron.d/evil", b"* * * * * root sh")]))
    rc, _, err, _ = run_cli(tmp_path, "image", "--input", str(layout))
    assert_one_line_error(rc, err, "climbs out of the image root")


def test_absolute_path_entry_is_read_relative_to_the_image_root(tmp_path):
    upper = layer_tar([Entry("/var/lib/dpkg/status", dpkg_status([("dash", "0.5.12-2", "")]).encode())])
    layout = image_with(tmp_path, upper)
    rc, out, err, _ = run_cli(tmp_path, "image", "--input", str(layout), "-f", "json", "--list-all-pkgs")
    assert rc == 0, err
    pkgs = json.loads(out)["Results"][0]["Packages"]
    assert [p["Name"] for p in pkgs] == ["dash"]


def test_symlinks_to_root_and_loops_are_not_followed(tmp_path):
    upper = layer_tar(
        [
            Entry("rootlink", kind="symlink", linkname="/"),
            Entry("loop-a", kind="symlink", linkname="loop-b"),
            Entry("loop-b", kind="symlink", linkname="loop-a"),
            Entry("etc/os-release", kind="symlink", linkname="../../../../etc/os-release"),
            Entry("var/lib/dpkg/status", kind="symlink", linkname="/etc/shadow"),
        ]
    )
    rc, out, err, _ = run_cli(tmp_path, "image", "--input", str(image_with(tmp_path, upper)), "-f", "json")
    assert rc == 0, err
    report = json.loads(out)
    assert "OS" not in report["Metadata"] or report["Metadata"]["OS"]["Family"] == "debian"


def test_hardlink_out_of_the_image(tmp_path):
    upper = layer_tar([Entry("etc/passwd2", kind="hardlink", linkname="../../../etc/passwd")])
    rc, _, err, _ = run_cli(tmp_path, "image", "--input", str(image_with(tmp_path, upper)))
    assert_one_line_error(rc, err, "climbs out of the image root")


def _gzip_bomb() -> bytes:
    """A gzip layer: one tar entry of 1 GiB of zeros (about 1 MiB compressed), cached per machine."""
    path = TEST_CACHE / "bomb-1g.tar.gz"
    with locked("bomb"):
        if not path.exists():
            size = 1 << 30
            info = tarfile.TarInfo("var/tmp/zeros")
            info.size = size
            header = info.tobuf(format=tarfile.GNU_FORMAT)
            comp = zlib.compressobj(9, zlib.DEFLATED, 31)
            chunk = bytes(1 << 20)
            parts = [comp.compress(header)]
            for _ in range(size >> 20):
                parts.append(comp.compress(chunk))
            parts.append(comp.compress(bytes(1024)))
            parts.append(comp.flush())
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(b"".join(parts))
            tmp.rename(path)
    return path.read_bytes()


def test_gzip_bomb_layer(tmp_path):
    bomb = _gzip_bomb()
    # The diff_id would be the hash of 1 GiB of zeros; it does not matter: the ratio guard fires first.
    layout = tmp_path / "oci"
    image = SyntheticImage([layer_tar(files(BASE))])
    write_oci_layout(layout, image, compression="gzip")
    index = json.loads((layout / "index.json").read_text())
    mpath = layout / "blobs/sha256" / index["manifests"][0]["digest"].split(":")[1]
    manifest = json.loads(mpath.read_text())
    config_path = layout / "blobs/sha256" / manifest["config"]["digest"].split(":")[1]
    config = json.loads(config_path.read_text())
    config["rootfs"]["diff_ids"].append("sha256:" + "0" * 64)
    config["history"].append({"created_by": "bomb"})
    cbytes = json.dumps(config).encode()
    (layout / "blobs/sha256" / sha256(cbytes).split(":")[1]).write_bytes(cbytes)
    (layout / "blobs/sha256" / sha256(bomb).split(":")[1]).write_bytes(bomb)
    manifest["config"] = {**manifest["config"], "digest": sha256(cbytes), "size": len(cbytes)}
    manifest["layers"].append(
        {
            "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
            "digest": sha256(bomb),
            "size": len(bomb),
        }
    )
    mbytes = json.dumps(manifest).encode()
    (layout / "blobs/sha256" / sha256(mbytes).split(":")[1]).write_bytes(mbytes)
    index["manifests"][0].update(digest=sha256(mbytes), size=len(mbytes))
    (layout / "index.json").write_text(json.dumps(index))
    rc, _, err, rss = run_cli(tmp_path, "image", "--input", str(layout))
    assert_one_line_error(rc, err, "compression ratio")
    assert rss < 400, f"peak RSS {rss} MiB"


def test_blob_digest_mismatch(tmp_path):
    layout = write_oci_layout(tmp_path / "oci", SyntheticImage([layer_tar(files(BASE))]), corrupt_layer=0)
    rc, _, err, _ = run_cli(tmp_path, "image", "--input", str(layout))
    assert_one_line_error(rc, err, "digest mismatch")


def test_diff_id_mismatch_in_docker_archive(tmp_path):
    image = SyntheticImage([layer_tar(files(BASE))])
    archive = write_docker_archive(tmp_path / "a.tar", image)
    data = bytearray(archive.read_bytes())
    i = data.find(b"bash")
    data[i : i + 4] = b"BASH"  # same length, different content: only the diff_id check can see it
    archive.write_bytes(bytes(data))
    rc, _, err, _ = run_cli(tmp_path, "image", "--input", str(archive))
    assert_one_line_error(rc, err, "digest mismatch")


def test_truncated_layer_tar(tmp_path):
    full = layer_tar(files({**BASE, "usr/share/big": os.urandom(200_000)}))
    cut = full[: len(full) // 2]
    image = SyntheticImage([cut])  # diff_id computed over the cut bytes, so only the tar reader can object
    layout = write_oci_layout(tmp_path / "oci", image, compression=None)
    rc, _, err, _ = run_cli(tmp_path, "image", "--input", str(layout))
    assert_one_line_error(rc, err, "broken tar")


def test_truncated_archive(tmp_path):
    archive = write_docker_archive(tmp_path / "a.tar", SyntheticImage([layer_tar(files(BASE))]))
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) * 6 // 10])
    rc, _, err, _ = run_cli(tmp_path, "image", "--input", str(archive))
    assert rc == 2 and "Traceback" not in err and err.startswith("seawall: error:"), err


def test_manifest_not_json(tmp_path):
    archive = write_docker_archive(
        tmp_path / "a.tar", SyntheticImage([layer_tar(files(BASE))]), manifest_override=b"{not json"
    )
    rc, _, err, _ = run_cli(tmp_path, "image", "--input", str(archive))
    assert_one_line_error(rc, err, "not valid JSON")


def test_manifest_names_missing_blob(tmp_path):
    layout = write_oci_layout(tmp_path / "oci", SyntheticImage([layer_tar(files(BASE))]))
    index = json.loads((layout / "index.json").read_text())
    manifest = json.loads(
        (layout / "blobs/sha256" / index["manifests"][0]["digest"].split(":")[1]).read_text()
    )
    (layout / "blobs/sha256" / manifest["layers"][0]["digest"].split(":")[1]).unlink()
    rc, _, err, _ = run_cli(tmp_path, "image", "--input", str(layout))
    assert_one_line_error(rc, err, "missing")


def test_digest_with_path_traversal_is_refused(tmp_path):
    layout = write_oci_layout(tmp_path / "oci", SyntheticImage([layer_tar(files(BASE))]))
    index = json.loads((layout / "index.json").read_text())
    index["manifests"][0]["digest"] = "sha256:../../../../etc/passwd"
    (layout / "index.json").write_text(json.dumps(index))
    rc, _, err, _ = run_cli(tmp_path, "image", "--input", str(layout))
    assert_one_line_error(rc, err, "invalid digest")


def test_ten_gigabyte_declared_file(tmp_path):
    info = tarfile.TarInfo("var/lib/dpkg/status")
    info.size = 10 * 1024**3
    header = info.tobuf(format=tarfile.GNU_FORMAT)
    body = b"".join(_raw_entry(p, v.encode()) for p, v in BASE.items())
    layer = body + header + b"Package: x\n" + bytes(512 - 11)
    layout = write_oci_layout(tmp_path / "oci", SyntheticImage([layer]), compression="gzip")
    rc, _, err, rss = run_cli(tmp_path, "image", "--input", str(layout))
    assert rc == 2, err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("seawall: error:")
    assert rss < 300


def _raw_entry(path: str, data: bytes) -> bytes:
    """One tar member (header and padded data) with no end-of-archive marker after it."""
    info = tarfile.TarInfo(path)
    info.size = len(data)
    return info.tobuf(format=tarfile.GNU_FORMAT) + data + bytes(-len(data) % 512)


def test_not_an_image(tmp_path):
    junk = tmp_path / "junk.tar"
    junk.write_bytes(gzip.compress(b"hello world"))
    rc, _, err, _ = run_cli(tmp_path, "image", "--input", str(junk))
    assert_one_line_error(rc, err, "junk.tar")


@pytest.mark.parametrize(
    "args", [["image"], ["image", "--input", "/nonexistent/x.tar"], ["image", "oci:/nope:tag"]]
)
def test_usage_and_missing_inputs(tmp_path, args):
    rc, _, err, _ = run_cli(tmp_path, *args)
    assert rc == 2 and "Traceback" not in err
