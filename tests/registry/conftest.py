"""Fixtures for the registry tests: one token-protected Debian registry for the session."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from regstack import Stack, start_stack

from realimages import have


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Seawall's auth server and a ``docker-registry`` with ``auth: token`` pointing at it."""
    for tool in ("docker-registry", "skopeo"):
        if not have(tool):
            pytest.fail(f"{tool} is not installed: run `make test`, which installs it")
    s = start_stack(tmp_path_factory.mktemp("regstack"))
    yield s
    s.registry.proc.terminate()
    s.registry.proc.wait(timeout=10)
    s.auth.stop()
