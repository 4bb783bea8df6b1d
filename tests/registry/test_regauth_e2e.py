"""End to end: skopeo against the Debian registry with ``auth: token`` pointing at Seawall's auth server."""

from __future__ import annotations

from pathlib import Path

from regstack import PASSWORDS, ROBOT_TOKEN, Stack, image_layout, pull, push_layout

CI = f"ci:{PASSWORDS['ci']}"
READER = f"reader:{PASSWORDS['reader']}"


def test_ci_pushes_reader_pulls_reader_cannot_push_unknown_refused(stack: Stack, tmp_path: Path) -> None:
    layout = image_layout(tmp_path / "img", "hello from ci")
    before = len(stack.audit())

    assert push_layout(stack, layout, "e2e/app:1", CI).returncode == 0
    got = pull(stack, "e2e/app:1", READER, tmp_path / "pulled")
    assert got.returncode == 0, got.stderr
    assert (tmp_path / "pulled" / "index.json").exists()

    refused = push_layout(stack, image_layout(tmp_path / "img2", "reader's"), "e2e/app:2", READER)
    assert refused.returncode != 0
    assert "unauthorized" in refused.stderr.lower() or "denied" in refused.stderr.lower()

    for creds in ("mallory:guess", None):
        assert push_layout(stack, layout, "e2e/app:3", creds).returncode != 0
        assert pull(stack, "e2e/app:1", creds, tmp_path / "nope").returncode != 0

    records = stack.audit()[before:]
    ci_push = [r for r in records if r["subject"] == "ci" and r["decision"] == "grant"]
    assert any("repository:e2e/app:pull,push" in r["scope_granted"] for r in ci_push)
    reader_push = [
        r for r in records if r["subject"] == "reader" and any("push" in s for s in r["scope_requested"])
    ]
    # The reader asked for push on e2e/app and got pull only: scope minimisation, logged with the reason.
    assert reader_push
    assert all(r["scope_granted"] == ["repository:e2e/app:pull"] for r in reader_push)
    assert all(r["decision"] == "partial" for r in reader_push)
    assert any("not granted: repository:e2e/app:push" in r.get("reason", "") for r in reader_push)
    mallory = [r for r in records if r["subject"] == "mallory"]
    assert mallory and all(r["decision"] == "deny" and r["status"] == 401 for r in mallory)
    anonymous = [r for r in records if r["subject"] == ""]
    assert anonymous and all(r["scope_granted"] == [] and r["decision"] == "deny" for r in anonymous)
    for r in records:
        assert {"time", "subject", "address", "scope_requested", "scope_granted", "decision"} <= r.keys()
        assert r["address"] == "127.0.0.1"


def test_robot_token_pulls(stack: Stack, tmp_path: Path) -> None:
    assert (
        push_layout(stack, image_layout(tmp_path / "img", "for the robot"), "e2e/robot:1", CI).returncode == 0
    )
    got = pull(stack, "e2e/robot:1", f"scanner:{ROBOT_TOKEN}", tmp_path / "pulled")
    assert got.returncode == 0, got.stderr
    assert pull(stack, "e2e/robot:1", "scanner:swr_wrong-token", tmp_path / "nope").returncode != 0


def test_anonymous_pull_only_where_configured(stack: Stack, tmp_path: Path) -> None:
    layout = image_layout(tmp_path / "img", "public image")
    assert push_layout(stack, layout, "public/tool:1", CI).returncode == 0
    assert push_layout(stack, layout, "private/tool:1", CI).returncode == 0
    assert pull(stack, "public/tool:1", None, tmp_path / "pub").returncode == 0
    assert pull(stack, "private/tool:1", None, tmp_path / "priv").returncode != 0
    assert (
        push_layout(stack, image_layout(tmp_path / "anon", "anon push"), "public/tool:2", None).returncode
        != 0
    )
