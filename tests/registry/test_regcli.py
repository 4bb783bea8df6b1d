"""The ``seawall registry`` commands as processes: auth server (TLS, SIGHUP reload), monitor, accounts."""

from __future__ import annotations

import copy
import io
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from regservers import free_port, self_signed_cert, wait_for_port
from regstack import SERVICE, write_auth_config

from seawall.cli.main import main
from seawall.registry.auth.passwords import verify_password

SEAWALL = [sys.executable, "-m", "seawall"]


@contextmanager
def running(
    args: list[str], port: int, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen([*SEAWALL, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        wait_for_port(port, proc, "seawall")
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)


def test_hash_password_and_add_accounts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("hunter22\n"))
    assert main(["registry", "hash-password", "--algorithm", "bcrypt"]) == 0
    hashed = capsys.readouterr().out.strip()
    assert hashed.startswith("$2b$") and verify_password(hashed, "hunter22")
    config = write_auth_config(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.StringIO("pw-for-dora\n"))
    assert (
        main(
            [
                "registry",
                "add-account",
                "dora",
                "--auth-config",
                str(config),
                "-g",
                "readers",
                "--password-stdin",
            ]
        )
        == 0
    )
    assert main(["registry", "add-account", "bot", "--auth-config", str(config), "--robot"]) == 0
    token = capsys.readouterr().out.strip()
    assert token.startswith("swr_") and len(token) > 40
    assert main(["registry", "add-account", "bot", "--auth-config", str(config), "--robot"]) == 2
    assert "already exists" in capsys.readouterr().err
    accounts = (tmp_path / "accounts.yaml").read_text()
    assert "dora" in accounts and token not in accounts  # only the token's hash is stored


def test_auth_server_process_tls_and_sighup_reload(tmp_path: Path) -> None:
    cert, key = self_signed_cert(tmp_path / "tls")
    config = write_auth_config(tmp_path, tls={"certificate": str(cert), "key": str(key)})
    port = free_port()
    url = f"https://127.0.0.1:{port}/token"
    with running(
        ["registry", "auth-server", "--auth-config", str(config), "--listen", f"127.0.0.1:{port}"], port
    ) as proc:
        # A client that connects and never starts its TLS handshake must not block everyone else.
        silent = socket.create_connection(("127.0.0.1", port))
        with silent, httpx.Client(verify=ssl.create_default_context(cafile=str(cert))) as client:
            ok = client.get(
                url,
                params={"service": SERVICE, "scope": "repository:a/b:pull"},
                auth=("reader", "reader-pass-1"),
            )
            assert ok.status_code == 200
            assert client.get(url, params={"service": SERVICE}, auth=("late", "late-pass")).status_code == 401
            env = {**os.environ, "PYTHONUNBUFFERED": "1"}
            subprocess.run(
                [
                    *SEAWALL,
                    "registry",
                    "add-account",
                    "late",
                    "--auth-config",
                    str(config),
                    "--password-stdin",
                ],
                input=b"late-pass\n",
                check=True,
                env=env,
                capture_output=True,
            )
            proc.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + 20
            status = 0
            while time.monotonic() < deadline and status != 200:
                status = client.get(url, params={"service": SERVICE}, auth=("late", "late-pass")).status_code
                time.sleep(0.1)
            assert status == 200
        # Plain HTTP to the TLS port gets nothing usable.
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://127.0.0.1:{port}/token", timeout=5).raise_for_status()
    assert proc.returncode == 0


def test_bad_auth_config_is_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bad.yaml").write_text("issuer: x\nservice: y\nsigning_key: missing.pem\n")
    assert main(["registry", "auth-server", "--auth-config", str(tmp_path / "bad.yaml")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("seawall: error: cannot load signing key") and err.count("\n") == 1


def test_monitor_process_alerts_and_keeps_state_across_restart(tmp_path: Path, shared_dir: Path) -> None:
    sample: dict[str, Any] = json.loads(
        (shared_dir / "corpus/samples/registry-notification-manifest-push.json").read_text()
    )
    event = sample["events"][0]
    event["actor"] = {"name": "ci"}
    alerts = tmp_path / "alerts.jsonl"
    port = free_port()
    args = [
        "--cache-dir",
        str(tmp_path / "cache"),
        "registry",
        "monitor",
        "--listen",
        f"127.0.0.1:{port}",
        "--output-file",
        str(alerts),
        "--warmup-events",
        "1",
        "--warmup-seconds",
        "0",
        "--protected",
        "feas/*",
    ]

    def post(ev: dict[str, Any]) -> None:
        r = httpx.post(
            f"http://127.0.0.1:{port}/events",
            content=json.dumps({"events": [ev]}),
            headers={"Content-Type": "application/vnd.docker.distribution.events.v1+json"},
        )
        assert r.status_code == 200

    with running(args, port) as proc:
        post(event)
    assert proc.returncode == 0
    first = [json.loads(line) for line in alerts.read_text().splitlines()]
    assert [a["rule"] for a in first] == ["Registry push to protected repository"]
    moved = copy.deepcopy(event)
    moved["target"]["digest"] = "sha256:" + "2" * 64
    with running(args, port) as proc:
        post(moved)
    out = proc.stdout.read().decode() if proc.stdout else ""
    rules = [json.loads(line)["rule"] for line in alerts.read_text().splitlines()]
    # The tag → digest map came back from the state directory after the restart.
    assert "Registry tag mutation" in rules[1:]
    assert "Registry tag mutation" in out  # stdout gets the same alerts as JSON lines
