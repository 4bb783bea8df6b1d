"""Registry config checks on Debian's shipped config.yml and on a hardened config a real registry serves."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest
import yaml

from seawall.misconfig.engine import run_checks
from seawall.misconfig.loader import load_file
from seawall.misconfig.registry import all_checks


def _reg_findings(path: Path) -> dict[str, str]:
    checks = [c for c in all_checks() if c.meta.id.startswith("REG")]
    return {f.check.id: f.message for f in run_checks(load_file(path, path.name), checks)}


def test_debian_default_config() -> None:
    shipped = Path("/etc/docker/registry/config.yml")
    if not shipped.exists():
        pytest.fail("docker-registry is not installed: run `make test`, which installs it")
    found = _reg_findings(shipped)
    assert set(found) == {"REG001", "REG003", "REG004", "REG009"}  # REG009: delete enabled with htpasswd
    assert "http.addr :5000 without http.tls" in found["REG001"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_hardened_config_is_clean_and_served_by_a_real_registry(tmp_path: Path) -> None:
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(tmp_path / "key.pem"),
            "-out",
            str(tmp_path / "cert.pem"),
        ],
        check=True,
        capture_output=True,
    )
    htpasswd = subprocess.run(
        ["htpasswd", "-Bbn", "ci", "s3cret-pass"], check=True, capture_output=True, text=True
    )
    (tmp_path / "htpasswd").write_text(htpasswd.stdout)
    port, debug = _free_port(), _free_port()
    config = {
        "version": 0.1,
        "storage": {"filesystem": {"rootdirectory": str(tmp_path / "data")}},
        "http": {
            "addr": f"127.0.0.1:{port}",
            "secret": "f0c1d2e3b4a5968778695a4b3c2d1e0f",
            "tls": {
                "certificate": str(tmp_path / "cert.pem"),
                "key": str(tmp_path / "key.pem"),
                "minimumtls": "tls1.2",
            },
            "debug": {"addr": f"127.0.0.1:{debug}"},
        },
        "auth": {"htpasswd": {"realm": "registry", "path": str(tmp_path / "htpasswd")}},
    }
    path = tmp_path / "config.yml"
    path.write_text(yaml.safe_dump(config))
    assert _reg_findings(path) == {}
    proc = subprocess.Popen(
        ["docker-registry", "serve", str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        status = 0
        for _ in range(100):
            try:
                status = httpx.get(f"https://127.0.0.1:{port}/v2/", verify=False, timeout=2).status_code
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert status == 401  # TLS up and authentication required: the config works as scanned
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    # Exposing the same registry on every interface without TLS is what REG001/REG003 report.
    config["http"] = {"addr": f":{port}", "secret": config["http"]["secret"]}  # type: ignore[index]
    path.write_text(yaml.safe_dump(config))
    assert set(_reg_findings(path)) == {"REG001", "REG003"}
