"""Fixtures for the language analyzer tests: real data made by the real tools (see langdata.py), and a
helper that runs analyzers through the real layer walker."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import langdata


def _need(tool: str) -> None:
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} is not installed: run `make test` (scripts/install-system-deps.sh installs it)")


@pytest.fixture(scope="session")
def python_site() -> Path:
    return langdata.python_site()


@pytest.fixture(scope="session")
def python_egg() -> Path:
    return langdata.python_egg()


@pytest.fixture(scope="session")
def python_locks() -> Path:
    return langdata.python_locks()


@pytest.fixture(scope="session")
def pipenv_lock() -> Path:
    return langdata.pipenv_lock()


@pytest.fixture(scope="session")
def node_app() -> Path:
    _need("npm")
    return langdata.node_app()


@pytest.fixture(scope="session")
def node_locks() -> Path:
    _need("npm")
    return langdata.node_locks()


@pytest.fixture(scope="session")
def ruby_lock() -> Path:
    _need("bundle")
    return langdata.ruby_lock()


@pytest.fixture(scope="session")
def composer_project() -> Path:
    _need("composer")
    return langdata.composer_project()


@pytest.fixture(scope="session")
def rust_lock() -> Path:
    if not Path("/usr/bin/cargo").exists():  # Debian's cargo (a rustup one may be on PATH, with its own HOME)
        pytest.fail("Debian's cargo is not installed: run `make test` (scripts/install-system-deps.sh)")
    return langdata.rust_lock()


@pytest.fixture(scope="session")
def debian_tree() -> Callable[[str], Path]:
    """Files of a Debian package, fetched with apt-get download."""
    return langdata.debian_files


@pytest.fixture(scope="session")
def dotnet_deps() -> Path:
    return langdata.dotnet_deps()


@pytest.fixture(scope="session")
def node_express() -> Path:
    _need("npm")
    return langdata.node_express()


@pytest.fixture(scope="session")
def node_alias() -> Path:
    _need("npm")
    return langdata.node_alias()


@pytest.fixture(scope="session")
def uv_venv() -> Path:
    return langdata.uv_venv()


@pytest.fixture(scope="session")
def node_workspaces() -> Path:
    _need("npm")
    return langdata.node_workspaces()
