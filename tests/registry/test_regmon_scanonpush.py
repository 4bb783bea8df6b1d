"""Scan-on-push: a pushed image is pulled from the real registry, scanned, kept, and alerted on."""

from __future__ import annotations

import time
from pathlib import Path

from regstack import PASSWORDS, ROBOT_TOKEN, Stack, image_layout, push_layout

from imagetools import SyntheticImage, files, layer_tar, write_oci_layout
from seawall.artifact.options import SourceOptions
from seawall.cli.main import GlobalOptions, main
from seawall.cli.registry import _scan_function
from seawall.registry.monitor.scanonpush import ScanOnPush, load_results
from seawall.vulndb import store

LEAKY = "aws_access_key_id = AKIAZ7QRSTUVWXY23456\naws_secret_access_key = 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\n"


def test_scan_on_push_alerts_on_secret_and_keeps_results(stack: Stack, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    g = GlobalOptions(cache_dir=cache, quiet=True)
    source = SourceOptions(
        cache_dir=cache, insecure=True, username="scanner", password=ROBOT_TOKEN, image_src=("remote",)
    )
    monitor = stack.monitor.monitor
    worker = ScanOnPush(
        _scan_function(g, ("secret",), {}, source),
        stack.host,
        tmp_path / "scans",
        monitor.emit,
        hostname="test",
    )
    monitor.detectors.on_push = worker.submit
    try:
        ci = f"ci:{PASSWORDS['ci']}"
        assert (
            push_layout(
                stack, image_layout(tmp_path / "clean", "nothing to see"), "sop/clean:1", ci
            ).returncode
            == 0
        )
        assert push_layout(stack, image_layout(tmp_path / "leaky", LEAKY), "sop/leaky:1", ci).returncode == 0
        found = stack.monitor.wait_for(lambda a: a["rule"] == "Registry pushed image breaks policy")
        deadline = time.monotonic() + 60
        while len(load_results(tmp_path / "scans")) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        monitor.detectors.on_push = None
        worker.close()
    assert len(found) == 1
    assert found[0]["output_fields"]["registry.repository"] == "sop/leaky"
    assert found[0]["priority"] == "Critical"
    assert any("secret" in v for v in found[0]["output_fields"]["registry.violations"])
    results = {r["Repository"]: r for r in load_results(tmp_path / "scans")}
    assert set(results) == {"sop/clean", "sop/leaky"}
    assert results["sop/clean"]["Violations"] == []
    assert results["sop/leaky"]["Report"]["ArtifactName"].endswith(
        "sop/leaky@" + results["sop/leaky"]["Digest"]
    )
    assert worker.failed == 0


def test_results_command_lists_stored_scans(tmp_path: Path, capsys: object) -> None:
    scans = tmp_path / "registry-monitor" / "scans" / "x"
    scans.mkdir(parents=True)
    (scans / "sha256-ab.json").write_text(
        '{"Repository": "x", "Digest": "sha256:ab", "Violations": [], "Report": {}}'
    )
    (scans / "sha256-bad.json").write_text("{broken")
    assert main(["--cache-dir", str(tmp_path), "registry", "results"]) == 0
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    assert '"Repository":"x"' in out and "Report" not in out


def _python_image(root: Path, version: str) -> Path:
    meta = f"Metadata-Version: 2.1\nName: leakylib\nVersion: {version}\n"
    path = f"usr/lib/python3.11/site-packages/leakylib-{version}.dist-info/METADATA"
    return write_oci_layout(root, SyntheticImage(layers=[layer_tar(files({path: meta}))]))


def test_scan_on_push_alerts_on_critical_vulnerability(stack: Stack, tmp_path: Path) -> None:
    record = {
        "id": "GHSA-test-crit-0001",
        "aliases": ["CVE-2099-0001"],
        "summary": "remote code execution",
        "modified": "2026-01-01T00:00:00Z",
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": "leakylib"},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.1"}]}],
            }
        ],
    }
    with store.building(tmp_path / "db", fresh=True) as db:
        db.put_advisories([record], "osv:PyPI")
    cache = tmp_path / "cache"
    source = SourceOptions(
        cache_dir=cache, insecure=True, username="scanner", password=ROBOT_TOKEN, image_src=("remote",)
    )
    params = {"db_dir": tmp_path / "db", "skip_db_update": True, "offline": True}
    monitor = stack.monitor.monitor
    worker = ScanOnPush(
        _scan_function(GlobalOptions(cache_dir=cache, quiet=True), ("vuln", "secret"), params, source),
        stack.host,
        tmp_path / "scans",
        monitor.emit,
    )
    monitor.detectors.on_push = worker.submit
    ci = f"ci:{PASSWORDS['ci']}"
    try:
        assert push_layout(stack, _python_image(tmp_path / "old", "1.0"), "sop/py:old", ci).returncode == 0
        assert push_layout(stack, _python_image(tmp_path / "new", "1.1"), "sop/py:new", ci).returncode == 0
        found = stack.monitor.wait_for(
            lambda a: (
                a["rule"] == "Registry pushed image breaks policy"
                and a["output_fields"]["registry.repository"] == "sop/py"
            )
        )
        deadline = time.monotonic() + 60
        while len(load_results(tmp_path / "scans")) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        monitor.detectors.on_push = None
        worker.close()
    assert len(found) == 1 and found[0]["output_fields"]["registry.tag"] == "old"
    assert found[0]["output_fields"]["registry.violations"] == [
        "CRITICAL vulnerability CVE-2099-0001 in leakylib@1.0"
    ]
    by_tag = {r["Tag"]: r for r in load_results(tmp_path / "scans")}
    assert by_tag["new"]["Violations"] == [] and "Error" not in by_tag["new"]
