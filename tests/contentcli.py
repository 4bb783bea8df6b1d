"""Run the real ``seawall`` CLI in a subprocess for the secret and malware tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_seawall(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``seawall ARGS`` with a scratch cache, HOME and TMPDIR; no network."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {**os.environ, "HOME": str(home), "TMPDIR": str(home), "SEAWALL_OFFLINE": "true"}
    env.pop("SEAWALL_CACHE_DIR", None)
    return subprocess.run(
        [sys.executable, "-m", "seawall", "--cache-dir", str(tmp_path / "cache"), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
