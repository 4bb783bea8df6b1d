"""Fixtures for the registry tests: one token-protected Debian registry, watched by the monitor."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from regstack import Stack, start_stack

from realimages import have
from seawall.registry.monitor.detectors import Detectors, Thresholds
from seawall.registry.monitor.receiver import AuditFollower, Monitor, NotificationServer
from seawall.registry.monitor.state import MonitorState
from seawall.runtime.sinks import FileSink

# Short warm-up so the tests reach detection quickly; everything else at its default.
TEST_THRESHOLDS = Thresholds(warmup_seconds=0, warmup_events=4, protected=("prod/*",))


@dataclass
class Watched:
    """The monitor around the session's registry: its detectors, and the alerts file its sink writes."""

    monitor: Monitor
    server: NotificationServer
    follower: AuditFollower
    alerts_path: Path
    state_path: Path

    def alerts(self, pred: Callable[[dict[str, Any]], bool] = lambda a: True) -> list[dict[str, Any]]:
        if not self.alerts_path.exists():
            return []
        rows = [orjson.loads(line) for line in self.alerts_path.read_bytes().splitlines()]
        return [a for a in rows if pred(a)]

    def wait_for(self, pred: Callable[[dict[str, Any]], bool], timeout: float = 30) -> list[dict[str, Any]]:
        """Alerts matching ``pred``, waiting for the registry's asynchronous notifications to arrive."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.alerts(pred)
            if found:
                return found
            time.sleep(0.1)
        return []

    def settle(self, stack: Stack, quiet: float = 1.0, timeout: float = 30) -> None:
        """Wait until notifications stop arriving and the audit log is read to its end."""
        last = -1
        deadline = time.monotonic() + timeout
        stable_since = time.monotonic()
        while time.monotonic() < deadline:
            self.follower.poll()
            n = self.monitor.detectors.processed
            if n != last:
                last, stable_since = n, time.monotonic()
            elif time.monotonic() - stable_since >= quiet:
                return
            time.sleep(0.1)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Seawall's auth server, a ``docker-registry`` with ``auth: token`` pointing at it and
    ``notifications`` pointing at Seawall's monitor, which also follows the auth audit log."""
    for tool in ("docker-registry", "skopeo"):
        if not have(tool):
            pytest.fail(f"{tool} is not installed: run `make test`, which installs it")
    work = tmp_path_factory.mktemp("regstack")
    state = MonitorState(work / "monitor" / "state.sqlite")
    alerts_path = work / "monitor" / "alerts.jsonl"
    monitor = Monitor(Detectors(state, TEST_THRESHOLDS), [FileSink(alerts_path)])
    server = NotificationServer(monitor, "127.0.0.1", 0).start()
    s = start_stack(work, notify_url=f"http://127.0.0.1:{server.port}/events")
    follower = AuditFollower(s.audit_path, monitor, interval=0.1).start()
    s.monitor = Watched(monitor, server, follower, alerts_path, work / "monitor" / "state.sqlite")
    yield s
    s.registry.proc.terminate()
    s.registry.proc.wait(timeout=10)
    s.auth.stop()
    follower.stop()
    server.stop()
    for sink in monitor.sinks:
        sink.close()
    state.close()
