"""Real images built with mmdebstrap + umoci + skopeo, cached once per machine.

The cache lives outside the checkout (``$SEAWALL_TEST_CACHE``, default ``/var/tmp/seawall-tests``), so
CI on a fresh clone reuses what an earlier run on the same machine built. Builds take a file lock, so
parallel pytest workers build each image once.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

TEST_CACHE = Path(os.environ.get("SEAWALL_TEST_CACHE", "/var/tmp/seawall-tests"))
BUILD_VERSION = "1"  # bump to rebuild cached images after changing how they are made


@dataclass(frozen=True)
class BuiltImage:
    """One image in every on-disk form."""

    root: Path
    rootfs_tar: Path  # the tar mmdebstrap wrote (the image's single layer)
    oci_dir: Path  # OCI layout holding tag ``tag``
    tag: str
    docker_archive: Path
    oci_archive: Path

    @property
    def oci_ref(self) -> str:
        return f"{self.oci_dir}:{self.tag}"


def have(tool: str) -> bool:
    return shutil.which(tool) is not None


@contextmanager
def locked(name: str) -> Iterator[None]:
    TEST_CACHE.mkdir(parents=True, exist_ok=True)
    with (TEST_CACHE / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def run(*cmd: str | Path, cwd: Path | None = None) -> None:
    subprocess.run([str(c) for c in cmd], check=True, cwd=cwd, stdout=subprocess.DEVNULL)


def minbase() -> BuiltImage:
    """Debian bookworm minbase, one layer (built once per machine, about 30 s)."""
    root = TEST_CACHE / f"minbase-v{BUILD_VERSION}"
    image = BuiltImage(
        root=root,
        rootfs_tar=root / "rootfs.tar",
        oci_dir=root / "oci",
        tag="base",
        docker_archive=root / "minbase.docker.tar",
        oci_archive=root / "minbase.oci.tar",
    )
    with locked("minbase"):
        if (root / "done").exists():
            return image
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        run("mmdebstrap", "--quiet", "--variant=minbase", "bookworm", image.rootfs_tar)
        run("umoci", "init", "--layout", image.oci_dir)
        run("umoci", "new", "--image", f"{image.oci_dir}:base")
        run(
            "umoci", "raw", "add-layer", "--image", f"{image.oci_dir}:base", image.rootfs_tar,
            "--history.created_by", "mmdebstrap --variant=minbase bookworm",
        )  # fmt: skip
        run("umoci", "config", "--image", f"{image.oci_dir}:base", "--config.cmd", "/bin/bash")
        _export(image)
        (root / "done").write_text("ok")
    return image


def _export(image: BuiltImage) -> None:
    src = f"oci:{image.oci_dir}:{image.tag}"
    run(
        "skopeo",
        "copy",
        "--quiet",
        src,
        f"docker-archive:{image.docker_archive}:localhost/seawall-test:{image.tag}",
    )
    run("skopeo", "copy", "--quiet", src, f"oci-archive:{image.oci_archive}:{image.tag}")


def extend(base: BuiltImage, name: str, populate: object, created_by: str) -> BuiltImage:
    """A new image: ``base`` plus one layer made by ``populate(rootfs_dir)`` (cached by ``name``).

    ``populate`` is a callable taking the unpacked root filesystem path; what it changes becomes the
    new layer (umoci computes whiteouts for deletions).
    """
    root = TEST_CACHE / f"{name}-v{BUILD_VERSION}"
    image = BuiltImage(
        root=root,
        rootfs_tar=base.rootfs_tar,
        oci_dir=root / "oci",
        tag=name,
        docker_archive=root / f"{name}.docker.tar",
        oci_archive=root / f"{name}.oci.tar",
    )
    with locked(name):
        if (root / "done").exists():
            return image
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        shutil.copytree(base.oci_dir, image.oci_dir)
        bundle = root / "bundle"
        run("umoci", "unpack", "--rootless", "--image", f"{image.oci_dir}:{base.tag}", bundle)
        populate(bundle / "rootfs")  # type: ignore[operator]
        run(
            "umoci",
            "repack",
            "--image",
            f"{image.oci_dir}:{name}",
            "--history.created_by",
            created_by,
            bundle,
        )
        shutil.rmtree(bundle, ignore_errors=True)
        _export(image)
        (root / "done").write_text("ok")
    return image


BIG_PACKAGES = "python3,python3-pip,perl,git,curl,ca-certificates,binutils,openssh-client"


def big() -> BuiltImage:
    """A ~300 MB three-layer Debian image: minbase, then tools and libraries, then their /usr/share.

    The extra layers come from a real mmdebstrap root with more packages, unpacked over the base in
    two steps, so each layer holds what a build step would have added (umoci computes the diffs).
    """
    base = minbase()
    full = TEST_CACHE / f"bigroot-v{BUILD_VERSION}.tar"
    with locked("bigroot"):
        if not full.exists():
            tmp = full.with_suffix(".tmp.tar")
            run("mmdebstrap", "--quiet", "--variant=minbase", f"--include={BIG_PACKAGES}", "bookworm", tmp)
            tmp.rename(full)

    def add_programs(root: Path) -> None:
        subprocess.run(
            ["tar", "-xf", str(full), "-C", str(root), "--exclude=./usr/share", "--exclude=./dev"], check=True
        )

    def add_share(root: Path) -> None:
        subprocess.run(["tar", "-xf", str(full), "-C", str(root), "./usr/share"], check=True)

    step1 = extend(base, "big1", add_programs, f"apt-get install {BIG_PACKAGES.replace(',', ' ')}")
    return extend(step1, "big2", add_share, "apt-get install (documentation and data)")
