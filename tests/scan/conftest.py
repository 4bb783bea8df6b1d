"""Scan tests run offline: no advisory database download is attempted (this machine has no internet)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEAWALL_OFFLINE", "true")
