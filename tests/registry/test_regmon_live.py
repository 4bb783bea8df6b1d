"""The monitor fed by the real registry's notifications and the auth server's audit log."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
from regstack import PASSWORDS, Stack, bearer, http_push, image_layout, pull, push_layout


def creds(user: str) -> str:
    return f"{user}:{PASSWORDS[user]}"


def about(account: str, rule: str | None = None) -> Any:
    def pred(a: dict[str, Any]) -> bool:
        return a["output_fields"].get("registry.account") == account and (rule is None or a["rule"] == rule)

    return pred


def test_tag_mutation_alert(stack: Stack, tmp_path: Path) -> None:
    mon = stack.monitor
    assert (
        push_layout(
            stack, image_layout(tmp_path / "v1", "release one"), "mon/mut:stable", creds("mutator")
        ).returncode
        == 0
    )
    assert (
        push_layout(
            stack, image_layout(tmp_path / "v1b", "release one"), "mon/mut:stable", creds("mutator")
        ).returncode
        == 0
    )
    mon.settle(stack)
    # Pushing identical content again is no mutation.
    assert not mon.alerts(about("mutator", "Registry tag mutation"))
    assert (
        push_layout(
            stack, image_layout(tmp_path / "v2", "something else"), "mon/mut:stable", creds("mutator")
        ).returncode
        == 0
    )
    found = mon.wait_for(about("mutator", "Registry tag mutation"))
    assert len(found) == 1
    alert = found[0]
    assert alert["priority"] == "Warning" and alert["source"] == "registry"
    assert alert["output_fields"]["registry.repository"] == "mon/mut"
    assert alert["output_fields"]["registry.tag"] == "stable"
    assert alert["output_fields"]["registry.previous_digest"] != alert["output_fields"]["registry.digest"]
    # Falco's JSON shape, as the runtime engine's sinks write it.
    assert {
        "hostname",
        "output",
        "output_fields",
        "priority",
        "rule",
        "source",
        "tags",
        "time",
    } == alert.keys()


def test_exfiltration_after_quiet_baseline(stack: Stack, tmp_path: Path) -> None:
    mon = stack.monitor
    admin = PASSWORDS["admin"]
    repos = [f"exfil/r{i:02d}" for i in range(50)]
    with httpx.Client(timeout=30) as client:
        for repo in repos:
            http_push(
                client, stack, bearer(stack, "admin", admin, f"repository:{repo}:pull,push"), repo, "1", repo
            )
    # A quiet baseline: the scraper pulls the same two images a few times.
    for i in range(3):
        for repo in repos[:2]:
            assert pull(stack, f"{repo}:1", creds("scraper"), tmp_path / f"q{i}{repo[-2:]}").returncode == 0
    mon.settle(stack)
    assert not mon.alerts(about("scraper", "Registry pull volume above baseline"))
    # Then 50 repositories within a minute.
    with httpx.Client(timeout=30) as client:
        for chunk in (repos[:25], repos[25:]):
            headers = bearer(stack, "scraper", PASSWORDS["scraper"], *(f"repository:{r}:pull" for r in chunk))
            headers["Accept"] = "application/vnd.oci.image.manifest.v1+json"
            for repo in chunk:
                assert (
                    client.get(f"http://{stack.host}/v2/{repo}/manifests/1", headers=headers).status_code
                    == 200
                )
    found = mon.wait_for(about("scraper", "Registry pull volume above baseline"))
    assert len(found) == 1
    assert found[0]["priority"] == "Critical"
    assert found[0]["output_fields"]["registry.distinct_repositories"] > 20


def test_auth_failure_burst(stack: Stack) -> None:
    mon = stack.monitor
    for _ in range(20):
        assert stack.token("victim", "not-the-password", source="127.0.0.5").status_code in (401, 429)
    found = mon.wait_for(
        lambda a: (
            a["rule"] == "Registry authentication failure burst"
            and a["output_fields"]["registry.account"] == "victim"
        )
    )
    keys = {a["output_fields"]["registry.key"] for a in found}
    assert "account:victim" in keys
    assert mon.alerts(lambda a: a["output_fields"].get("registry.key") == "address:127.0.0.5")
    # One alert per key and window, not one per failure.
    assert len(mon.alerts(lambda a: a["output_fields"].get("registry.key") == "account:victim")) == 1


def test_normal_ci_workload_raises_nothing(stack: Stack, tmp_path: Path) -> None:
    mon = stack.monitor
    start_hour = time.gmtime().tm_hour
    for round_ in range(4):
        for app in ("api", "web", "worker"):
            layout = image_layout(tmp_path / f"{app}{round_}", f"{app} build {round_}")
            assert push_layout(stack, layout, f"ci/{app}:build-{round_}", creds("builder")).returncode == 0
            assert (
                pull(
                    stack, f"ci/{app}:build-{round_}", creds("builder"), tmp_path / f"p{app}{round_}"
                ).returncode
                == 0
            )
    mon.settle(stack)
    assert mon.monitor.detectors.state.account("builder", 0).events >= 24
    alerts = mon.alerts(about("builder"))
    if time.gmtime().tm_hour != start_hour:  # the test crossed an hour boundary: that alert is legitimate
        alerts = [a for a in alerts if a["rule"] != "Registry activity outside usual hours"]
    assert alerts == []


def test_push_to_protected_repository(stack: Stack) -> None:
    mon = stack.monitor
    admin = PASSWORDS["admin"]
    with httpx.Client(timeout=30) as client:
        http_push(
            client,
            stack,
            bearer(stack, "admin", admin, "repository:prod/api:pull,push"),
            "prod/api",
            "1",
            "x",
        )
    found = mon.wait_for(about("admin", "Registry push to protected repository"))
    assert found and found[0]["output_fields"]["registry.repository"] == "prod/api"


def test_delete_alert(stack: Stack) -> None:
    mon = stack.monitor
    admin = PASSWORDS["admin"]
    with httpx.Client(timeout=30) as client:
        digest = http_push(
            client,
            stack,
            bearer(stack, "admin", admin, "repository:tmp/del:pull,push"),
            "tmp/del",
            "1",
            "gone",
        )
        headers = bearer(stack, "admin", admin, "repository:tmp/del:delete")
        assert (
            client.delete(f"http://{stack.host}/v2/tmp/del/manifests/{digest}", headers=headers).status_code
            == 202
        )
    found = mon.wait_for(about("admin", "Registry deletion"))
    assert found and found[0]["output_fields"]["registry.repository"] == "tmp/del"


def test_push_by_account_that_never_pushed(stack: Stack, tmp_path: Path) -> None:
    mon = stack.monitor
    assert (
        push_layout(stack, image_layout(tmp_path / "base", "ops base"), "ops/tool:1", creds("ci")).returncode
        == 0
    )
    for i in range(3):  # a baseline of pulls only
        assert pull(stack, "ops/tool:1", creds("ops"), tmp_path / f"p{i}").returncode == 0
    mon.settle(stack)
    assert not mon.alerts(about("ops", "Registry push by account that does not push"))
    assert (
        push_layout(stack, image_layout(tmp_path / "new", "ops push"), "ops/tool:2", creds("ops")).returncode
        == 0
    )
    found = mon.wait_for(about("ops", "Registry push by account that does not push"))
    assert len(found) == 1 and found[0]["output_fields"]["registry.tag"] == "2"


def test_repeated_requests_beyond_rights(stack: Stack) -> None:
    mon = stack.monitor
    for i in range(9):
        r = stack.token("prober", PASSWORDS["prober"], f"repository:probe/r{i}:pull,push")
        assert r.status_code == 200  # a token, with pull only
    mon.settle(stack)
    assert not mon.alerts(about("prober", "Registry repeated requests beyond granted rights"))
    stack.token("prober", PASSWORDS["prober"], "repository:probe/r9:pull,push,delete")
    found = mon.wait_for(about("prober", "Registry repeated requests beyond granted rights"))
    assert len(found) == 1
    assert found[0]["output_fields"]["registry.refused"] == "not granted: repository:probe/r9:push,delete"
