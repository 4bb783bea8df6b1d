"""Shared fixtures: real images, the CLI runner, a scratch cache directory."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from realimages import BuiltImage, have, minbase

SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` beside the checkout (the corpus, schemas, design notes)."""
    if not SHARED.exists():
        pytest.fail(f"{SHARED} is missing: the corpus is part of every checkout's surroundings")
    return SHARED


@pytest.fixture(scope="session")
def minbase_image() -> BuiltImage:
    """Debian bookworm minbase as rootfs tar, OCI layout, docker-archive and oci-archive."""
    for tool in ("mmdebstrap", "umoci", "skopeo"):
        if not have(tool):
            pytest.fail(f"{tool} is not installed: run `make test`, which installs it")
    return minbase()


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    """A fresh Seawall cache directory for one test."""
    d = tmp_path / "cache"
    d.mkdir()
    return d
