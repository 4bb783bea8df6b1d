"""Detectors on the corpus notification sample: parsing, state that survives a restart, hostile input."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from seawall.registry.monitor.detectors import Detectors, Thresholds
from seawall.registry.monitor.events import from_audit_line, parse_envelope, parse_time
from seawall.registry.monitor.receiver import AuditFollower, Monitor, NotificationServer
from seawall.registry.monitor.state import MonitorState
from seawall.runtime.alerts import Alert


class Collect:
    """A sink that keeps alerts in a list (the Sink protocol, nothing faked about the detectors)."""

    def __init__(self) -> None:
        self.alerts: list[Alert] = []

    def emit(self, alert: Alert) -> None:
        self.alerts.append(alert)

    def close(self) -> None:
        pass


@pytest.fixture
def sample(shared_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (shared_dir / "corpus/samples/registry-notification-manifest-push.json").read_text()
    )
    return data


def envelope(event: dict[str, Any]) -> bytes:
    return json.dumps({"events": [event]}).encode()


def test_parse_the_corpus_sample(sample: dict[str, Any]) -> None:
    (act,) = parse_envelope(json.dumps(sample).encode())
    assert act.action == "push" and act.repository == "feas/deb-py" and act.tag == "test"
    assert act.address == "127.0.0.1" and act.user_agent == "skopeo/1.9.3"
    assert act.account == "<anonymous>"  # the sample's actor is empty: an unauthenticated registry
    assert act.time == pytest.approx(parse_time("2026-11-29T17:01:03.114976Z") or 0)
    blob = copy.deepcopy(sample["events"][0])
    blob["target"]["mediaType"] = "application/vnd.oci.image.layer.v1.tar+gzip"
    assert parse_envelope(envelope(blob)) == []


def test_state_survives_restart(tmp_path: Path, sample: dict[str, Any]) -> None:
    db = tmp_path / "state.sqlite"
    event = copy.deepcopy(sample["events"][0])
    event["actor"] = {"name": "ci"}
    th = Thresholds(warmup_seconds=0, warmup_events=2)
    state = MonitorState(db)
    det = Detectors(state, th, hostname="h")
    for _ in range(3):
        assert det.process(parse_envelope(envelope(event))[0]) == []
    state.commit()
    state.close()

    state = MonitorState(db)
    det = Detectors(state, th, hostname="h")
    assert state.account("ci", 0).events == 3 and state.account("ci", 0).pushes == 3
    moved = copy.deepcopy(event)
    moved["target"]["digest"] = "sha256:" + "1" * 64
    alerts = det.process(parse_envelope(envelope(moved))[0])
    assert [a.rule for a in alerts] == ["Registry tag mutation"]
    # The learned address is still known after the restart; a new one alerts.
    other = copy.deepcopy(event)
    other["request"]["addr"] = "10.9.8.7:5555"
    rules = [a.rule for a in det.process(parse_envelope(envelope(other))[0])]
    assert "Registry new address for account" in rules
    state.close()


def test_warmup_suppresses_novelty(tmp_path: Path, sample: dict[str, Any]) -> None:
    state = MonitorState(tmp_path / "s.sqlite")
    det = Detectors(state, Thresholds(warmup_seconds=0, warmup_events=5), hostname="h")
    event = copy.deepcopy(sample["events"][0])
    event["actor"] = {"name": "dev"}
    for i in range(5):
        event["request"]["addr"] = f"10.0.0.{i}:1"
        event["request"]["useragent"] = f"agent/{i}"
        assert det.process(parse_envelope(envelope(event))[0]) == []
    event["request"]["addr"] = "10.0.0.99:1"
    assert any(
        a.rule == "Registry new address for account" for a in det.process(parse_envelope(envelope(event))[0])
    )
    state.close()


def test_hostile_envelopes_are_refused_not_fatal(tmp_path: Path, sample: dict[str, Any]) -> None:
    state = MonitorState(tmp_path / "s.sqlite")
    sink = Collect()
    monitor = Monitor(Detectors(state, Thresholds(), hostname="h"), [sink])
    server = NotificationServer(monitor, "127.0.0.1", 0, token="sekrit").start()
    url = f"http://127.0.0.1:{server.port}/events"
    auth = {"Authorization": "Bearer sekrit"}
    try:
        assert httpx.post(url, content=json.dumps(sample)).status_code == 401
        assert httpx.post(url, content=b"{not json", headers=auth).status_code == 400
        assert httpx.post(url, content=b'{"events": 5}', headers=auth).status_code == 400
        assert httpx.post(url, content=b"x" * (5 << 20), headers=auth).status_code == 413
        weird = {
            "events": [1, None, {"action": "push"}, {"action": "pull", "target": "x", "timestamp": "never"}]
        }
        assert httpx.post(url, content=json.dumps(weird), headers=auth).status_code == 200
        assert httpx.post(url, content=json.dumps(sample), headers=auth).status_code == 200
        assert monitor.received == 2 and monitor.rejected == 4
        assert state.account("<anonymous>", 0).events == 1
    finally:
        server.stop()
        state.close()


def test_audit_follower_reads_appends_and_rotation(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    state = MonitorState(tmp_path / "s.sqlite")
    sink = Collect()
    monitor = Monitor(Detectors(state, Thresholds(auth_fail_burst=3), hostname="h"), [sink])
    follower = AuditFollower(log, monitor)
    line = {"time": 1000.0, "subject": "bob", "address": "10.1.1.1", "status": 401, "decision": "deny"}
    log.write_text(json.dumps(line) + "\n" + json.dumps(line) + "\n" + '{"partial": ')
    assert follower.poll() == 2
    assert sink.alerts == []
    with log.open("a") as f:
        f.write("1}\n" + json.dumps(line) + "\n")
    assert follower.poll() == 2  # the completed partial line (ignored) and the third failure
    assert [a.rule for a in sink.alerts] == [
        "Registry authentication failure burst"
    ] * 2  # account and address
    assert follower.poll() == 0
    log.unlink()
    log.write_text(json.dumps({**line, "status": 200}) + "\n")  # rotated: a new file from the start
    assert follower.poll() == 1
    assert from_audit_line(b"garbage") is None
    state.close()


def _pulls(det: Detectors, account: str, start: float, repos: list[str]) -> list[Alert]:
    from seawall.registry.monitor.events import Activity

    out: list[Alert] = []
    for i, repo in enumerate(repos):
        act = Activity(
            time=start + i * 0.01,
            account=account,
            action="pull",
            address="10.0.0.1",
            user_agent="ua",
            repository=repo,
        )
        out.extend(det.process(act))
    return out


def test_pull_volume_threshold_follows_the_learned_peak(tmp_path: Path) -> None:
    state = MonitorState(tmp_path / "s.sqlite")
    det = Detectors(
        state,
        Thresholds(warmup_seconds=0, warmup_events=5, pull_window=60, pull_min=20, pull_factor=5),
        hostname="h",
    )
    t0 = 1_800_000_000.0 - (1_800_000_000.0 % 60)
    for account in ("mirror", "mirror2"):
        for minute in range(3):  # a busy but steady account: 10 repositories every minute
            assert _pulls(det, account, t0 + minute * 60, [f"r{i}" for i in range(10)]) == []
    assert state.account("mirror", 0).pull_peak == 10
    # 40 distinct repositories is over pull_min but under 5 × the peak: a busy account is allowed more.
    assert _pulls(det, "mirror2", t0 + 3 * 60, [f"s{i}" for i in range(40)]) == []
    alerts = _pulls(det, "mirror", t0 + 3 * 60, [f"t{i}" for i in range(70)])
    assert [a.rule for a in alerts] == ["Registry pull volume above baseline"]
    assert alerts[0].output_fields["registry.distinct_repositories"] == 51
    # The alerting window does not teach the baseline.
    _pulls(det, "mirror", t0 + 5 * 60, ["r0"])
    assert state.account("mirror", 0).pull_peak == 10
    state.close()


def test_pull_volume_of_one_repository(tmp_path: Path) -> None:
    state = MonitorState(tmp_path / "s.sqlite")
    det = Detectors(state, Thresholds(warmup_seconds=0, warmup_events=5, pull_volume_min=100), hostname="h")
    alerts = _pulls(det, "bot", 1_800_000_000.0, ["same/repo"] * 150)
    assert [a.rule for a in alerts] == ["Registry pull volume above baseline"]
    assert alerts[0].output_fields["registry.pulls"] == 101
    state.close()


def test_mutable_tags_and_anonymous_novelty(tmp_path: Path, sample: dict[str, Any]) -> None:
    state = MonitorState(tmp_path / "s.sqlite")
    det = Detectors(
        state, Thresholds(warmup_seconds=0, warmup_events=1, mutable_tags=("lat*",)), hostname="h"
    )
    event = copy.deepcopy(sample["events"][0])  # anonymous actor
    for i, tag in enumerate(("latest", "latest", "test", "test")):
        event["target"]["tag"] = tag
        event["target"]["digest"] = f"sha256:{i:064x}"
        event["request"]["addr"] = f"10.0.0.{i}:1"
        rules = [a.rule for a in det.process(parse_envelope(envelope(event))[0])]
        # latest moved without an alert; test moved with one; new anonymous addresses never alert.
        assert rules == (["Registry tag mutation"] if i == 3 else [])
    state.close()


def test_notifications_over_tls(tmp_path: Path, sample: dict[str, Any]) -> None:
    import ssl

    from regservers import self_signed_cert

    from seawall.errors import UsageError

    cert, key = self_signed_cert(tmp_path / "tls")
    state = MonitorState(tmp_path / "s.sqlite")
    monitor = Monitor(Detectors(state, Thresholds(), hostname="h"), [Collect()])
    server = NotificationServer(monitor, "127.0.0.1", 0, tls=(cert, key)).start()
    try:
        ctx = ssl.create_default_context(cafile=str(cert))
        r = httpx.post(f"https://127.0.0.1:{server.port}/events", content=json.dumps(sample), verify=ctx)
        assert r.status_code == 200 and monitor.received == 1
    finally:
        server.stop()
        state.close()
    with pytest.raises(UsageError, match="cannot load TLS certificate"):
        NotificationServer(monitor, "127.0.0.1", 0, tls=(key, key))


def test_off_hours_and_new_user_agent(tmp_path: Path) -> None:
    from seawall.registry.monitor.events import Activity

    state = MonitorState(tmp_path / "s.sqlite")
    det = Detectors(state, Thresholds(warmup_seconds=2 * 86400, warmup_events=5), hostname="h")
    day = 1_800_000_000.0 - (1_800_000_000.0 % 86400)

    def act(t: float, ua: str = "containers/5.24") -> list[str]:
        a = Activity(
            time=t, account="dev", action="pull", address="10.1.1.1", user_agent=ua, repository="a/b"
        )
        return [x.rule for x in det.process(a)]

    for d in range(3):  # a warm-up of office hours, 09:00-10:59 UTC, over three days
        for minute in (0, 50, 70, 110):
            assert act(day + d * 86400 + 9 * 3600 + minute * 60) == []
    assert act(day + 4 * 86400 + 10 * 3600) == []
    assert act(day + 4 * 86400 + 3 * 3600) == ["Registry activity outside usual hours"]
    assert act(day + 4 * 86400 + 3 * 3600 + 60) == []  # learned: once per new hour
    assert act(day + 4 * 86400 + 10 * 3600, ua="curl/8.0") == ["Registry new user agent for account"]
    state.close()


def test_failed_names_get_no_baseline(tmp_path: Path) -> None:
    from seawall.registry.monitor.events import Activity

    state = MonitorState(tmp_path / "s.sqlite")
    det = Detectors(state, Thresholds(auth_fail_burst=1000), hostname="h")
    for i in range(2000):
        det.process(
            Activity(
                time=1000.0 + i, account=f"guess{i}", action="auth_fail", address=f"10.0.{i // 250}.{i % 250}"
            )
        )
    state.commit()
    assert state.db.execute("SELECT count(*) FROM account").fetchone()[0] == 0
    assert state.account("guess5", 0).events == 0
    state.close()
