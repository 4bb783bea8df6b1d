"""The must-show test image: Debian minbase plus pinned old PyPI wheels and a real Go binary from Debian."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from realimages import TEST_CACHE, BuiltImage, extend, minbase

PINNED = {"requests": "2.19.0", "Jinja2": "2.10", "urllib3": "1.24.1", "Flask": "0.12.2", "idna": "2.7"}
GO_BINARY = Path("/usr/bin/docker-registry")  # Debian package docker-registry (Go 1.19.8 toolchain)
SITE = "usr/local/lib/python3.11/site-packages"


def wheels() -> list[Path]:
    """The pinned wheels, downloaded once per machine with pip."""
    dest = TEST_CACHE / "vuln-wheels"
    dest.mkdir(parents=True, exist_ok=True)
    if len(list(dest.glob("*.whl"))) < len(PINNED):
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:", "--dest",
             str(dest), *[f"{n}=={v}" for n, v in PINNED.items()]],
            check=True,
        )  # fmt: skip
    return sorted(dest.glob("*.whl"))


def _populate(rootfs: Path) -> None:
    site = rootfs / SITE
    site.mkdir(parents=True, exist_ok=True)
    for whl in wheels():
        with zipfile.ZipFile(whl) as zf:
            zf.extractall(site)  # wheels from PyPI: trusted test input
    (rootfs / "usr/local/bin").mkdir(parents=True, exist_ok=True)
    shutil.copy2(GO_BINARY, rootfs / "usr/local/bin/docker-registry")


def pinned_image() -> BuiltImage:
    """The test image (cached under the test cache)."""
    wheels()
    return extend(minbase(), "vuln-pinned", _populate, "pip wheels + docker-registry")


def go_toolchain(binary: Path = GO_BINARY) -> str:
    """The Go toolchain version of a binary, as ``go version`` prints it (``go1.19.8`` -> ``1.19.8``)."""
    out = subprocess.run(["go", "version", str(binary)], check=True, capture_output=True, text=True).stdout
    return out.split()[-1].removeprefix("go")
