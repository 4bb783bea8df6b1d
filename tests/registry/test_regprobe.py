"""``seawall registry audit`` against real registries: an open one, the token-protected one, htpasswd, TLS."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from regservers import Registry, push, self_signed_cert, start_registry, stop
from regstack import Stack, image_layout

from seawall.cli.main import main
from seawall.errors import UsageError
from seawall.registry.probe import probe

ANONYMOUS_IDS = {"REGP-002", "REGP-003", "REGP-004", "REGP-005", "REGP-007"}


@pytest.fixture(scope="module")
def open_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    work = tmp_path_factory.mktemp("openreg")
    reg = start_registry(work / "reg", work / "storage")
    push(f"oci:{image_layout(work / 'img', 'open')}:latest", reg, "pub/app:1")
    yield reg
    stop(reg.proc)


def test_open_registry_reports_anonymous_pull_and_push(
    open_registry: Registry, capsys: pytest.CaptureFixture[str]
) -> None:
    report = probe(f"http://{open_registry.host}")
    ids = report.ids()
    assert {"REGP-001", "REGP-002", "REGP-003", "REGP-004", "REGP-005", "REGP-007"} <= ids
    assert report.facts["delete_enabled"] is True  # start_registry enables deletes
    assert report.facts["upload_cancel_status"] == 204  # the probe cancels the upload it started
    assert (
        main(["registry", "audit", f"http://{open_registry.host}", "--format", "json", "--exit-code", "4"])
        == 4
    )
    out = json.loads(capsys.readouterr().out)
    assert {f["ID"] for f in out["Findings"]} >= {"REGP-004", "REGP-005"}


def test_token_protected_registry_reports_no_anonymous_access(stack: Stack) -> None:
    report = probe(f"http://{stack.host}", repository="e2e/app")
    assert not report.ids() & ANONYMOUS_IDS
    assert report.facts["auth"] == "bearer"
    assert report.facts["anonymous_pull_status"] == 401 and report.facts["anonymous_push_status"] == 401
    # Loopback plain HTTP is still reported, at low severity.
    assert {"REGP-001", "REGP-009"} <= report.ids()
    with_creds = probe(
        f"http://{stack.host}", repository="e2e/app", username="admin", password="admin-pass-1"
    )
    assert "REGP-006" in with_creds.ids()


def test_htpasswd_over_http_and_tls(tmp_path: Path) -> None:
    htpasswd = tmp_path / "htpasswd"
    line = subprocess.run(["htpasswd", "-Bbn", "u", "p"], capture_output=True, text=True, check=True).stdout
    htpasswd.write_text(line)
    auth = {"htpasswd": {"realm": "test", "path": str(htpasswd)}}
    plain = start_registry(tmp_path / "plain", tmp_path / "s1", auth=auth)
    tls = start_registry(
        tmp_path / "tls", tmp_path / "s2", auth=auth, tls=self_signed_cert(tmp_path / "certs")
    )
    try:
        assert "REGP-008" in probe(f"http://{plain.host}").ids()
        report = probe(f"https://{tls.host}", insecure=True)
        assert report.facts["tls_version"] in ("TLSv1.2", "TLSv1.3")
        assert "REGP-012" in report.ids()  # self-signed
        assert not report.ids() & (ANONYMOUS_IDS | {"REGP-001", "REGP-008", "REGP-010"})
        with pytest.raises(UsageError, match=r"not trusted.*--insecure"):
            probe(f"https://{tls.host}")
    finally:
        stop(plain.proc)
        stop(tls.proc)


def test_unreachable_registry_is_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["registry", "audit", "http://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("seawall: error: cannot reach") and err.count("\n") == 1
