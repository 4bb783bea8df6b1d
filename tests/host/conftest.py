"""Fixtures of the host audit tests: the Podman service of the daemon image source tests, registered
once for the whole directory (one service per test session)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "artifact"))

from remote_fixtures import podman_service_fixture  # noqa: F401
