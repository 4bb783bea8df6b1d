"""Scan-on-push: a pushed image is pulled from the real registry, scanned, kept, and alerted on."""

from __future__ import annotations

import time
from pathlib import Path

from regstack import PASSWORDS, ROBOT_TOKEN, Stack, image_layout, push_layout

from seawall.artifact.options import SourceOptions
from seawall.cli.main import GlobalOptions, main
from seawall.cli.registry import _scan_function
from seawall.registry.monitor.scanonpush import ScanOnPush, load_results

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
