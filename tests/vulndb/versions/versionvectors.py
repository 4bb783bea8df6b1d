"""Load the upstream version vectors (``shared/corpus/version-vectors``) as pytest params, one per row."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

VECTORS = Path(__file__).resolve().parents[4] / "shared" / "corpus" / "version-vectors"


def rows(name: str, expected_failures: dict[str, str] | None = None) -> list[object]:
    """Every data row of ``name`` as a ``pytest.param`` with id ``name:line``.

    Rows listed in ``expected_failures`` (id -> reason) are strict xfails: they must keep failing.
    """
    path = VECTORS / name
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: the corpus is part of every checkout's surroundings")
    expected_failures = expected_failures or {}
    out: list[object] = []
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        next(reader)
        for row in reader:
            # csv tracks physical lines, which equal the row's line number (no field spans lines).
            ident = f"{name}:{reader.line_num}"
            marks = []
            if ident in expected_failures:
                marks.append(pytest.mark.xfail(strict=True, reason=expected_failures[ident]))
            out.append(pytest.param(*row, id=ident, marks=marks))
    return out
