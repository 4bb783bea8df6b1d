"""Fixtures for the vulnerability database and matcher tests: the full corpus database, built once."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from vulnref import build_corpus_db

from realimages import TEST_CACHE, locked
from seawall.vulndb import store

SRC = Path(__file__).resolve().parents[2] / "src" / "seawall" / "vulndb"


def _code_hash() -> str:
    h = hashlib.sha256()
    for p in sorted([SRC / "store.py", *sorted((SRC / "ingest").glob("*.py"))]):
        h.update(p.read_bytes())
    return h.hexdigest()[:12]


@pytest.fixture(scope="session")
def corpus_db_dir() -> Path:
    """A database directory holding the whole corpus (cached per machine and per ingest-code version)."""
    db_dir = TEST_CACHE / f"vulndb-corpus-{_code_hash()}"
    with locked("vulndb-corpus"):
        if not store.db_path(db_dir).is_file():
            for stale in TEST_CACHE.glob("vulndb-corpus-*"):
                shutil.rmtree(stale, ignore_errors=True)  # built by older ingest code
            build_corpus_db(db_dir)
    return db_dir


@pytest.fixture
def corpus_db(corpus_db_dir: Path) -> store.VulnDB:
    """The corpus database, opened read-only."""
    db = store.open_db(store.db_path(corpus_db_dir))
    yield db  # type: ignore[misc]
    db.close()
