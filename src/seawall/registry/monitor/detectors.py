"""Detectors over registry activity: novelty against per-account baselines, volume, tag mutation,
deletions, protected repositories, authentication-failure bursts."""

from __future__ import annotations

import fnmatch
import socket
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from seawall.registry.monitor.events import ANONYMOUS, Activity
from seawall.registry.monitor.state import AccountBaseline, MonitorState
from seawall.runtime.alerts import Alert, Priority

SOURCE = "registry"
# Bound memory: windows keep at most this many entries per key, and this many keys.
MAX_WINDOW_ENTRIES = 10_000
MAX_WINDOW_KEYS = 100_000


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Every knob of the detectors."""

    warmup_seconds: float = 86400.0
    warmup_events: int = 20
    pull_window: float = 60.0
    pull_min: int = 20
    pull_factor: float = 5.0
    pull_volume_min: int = 500
    auth_fail_window: float = 60.0
    auth_fail_burst: int = 10
    beyond_rights_burst: int = 10  # token requests asking for more than granted, per account and window
    protected: tuple[str, ...] = ()
    mutable_tags: tuple[str, ...] = ()  # tag globs expected to move (latest, nightly-*): no mutation alert
    alert_new_address: bool = True
    alert_new_user_agent: bool = True
    alert_off_hours: bool = True


@dataclass(slots=True)
class _Window:
    """Distinct keys seen in the last ``span`` seconds, with their latest time."""

    span: float
    items: deque[tuple[float, str]] = field(default_factory=deque)
    latest: dict[str, float] = field(default_factory=dict)

    def add(self, now: float, key: str) -> int:
        self.items.append((now, key))
        self.latest[key] = now
        while self.items and (self.items[0][0] < now - self.span or len(self.items) > MAX_WINDOW_ENTRIES):
            t, k = self.items.popleft()
            if self.latest.get(k) == t:
                del self.latest[k]
        return len(self.latest)


@dataclass(slots=True)
class _Bucket:
    """Pulls of one account in one fixed window-length interval (what teaches the baseline peaks)."""

    id: int
    repos: set[str] = field(default_factory=set)
    total: int = 0
    alerted: bool = False


class Detectors:
    """Turns activity into alerts and keeps the baselines; call under one thread or hold ``state.lock``."""

    def __init__(self, state: MonitorState, thresholds: Thresholds, hostname: str | None = None) -> None:
        self.state = state
        self.th = thresholds
        self.hostname = hostname if hostname is not None else socket.gethostname()
        self._pulls: dict[str, _Window] = {}
        self._failures: dict[str, deque[float]] = {}
        self._bucket: dict[str, _Bucket] = {}
        self._quiet_until: dict[str, float] = {}
        self.on_push: Callable[[Activity], None] | None = None
        self.processed = 0

    def process(self, act: Activity) -> list[Alert]:
        """Alerts for one activity, then learn from it."""
        self.processed += 1
        alerts: list[Alert] = []
        if act.action == "auth_fail":
            # Failed names are attacker-chosen: they get no baseline (and no memory) of their own.
            self._auth_burst(act, alerts)
            return alerts
        acct = self.state.account(act.account, act.time)
        if act.refused:
            self._beyond_rights(act, alerts)
        warm = acct.events < self.th.warmup_events or act.time - acct.first_seen < self.th.warmup_seconds
        if act.action == "push":
            self._push(act, acct, warm, alerts)
        elif act.action == "delete":
            alerts.append(
                self._alert(
                    "Registry deletion",
                    Priority.WARNING,
                    act,
                    f"{act.account} deleted {_ref(act)}",
                    ("deletion",),
                )
            )
        elif act.action == "pull":
            self._pull(act, acct, warm, alerts)
        # Anonymous clients are everyone without credentials: novelty means nothing for them.
        if not warm and act.account != ANONYMOUS:
            self._novelty(act, alerts)
        self._learn(act, acct)
        return alerts

    # -- detectors -----------------------------------------------------------------------------

    def _push(self, act: Activity, acct: AccountBaseline, warm: bool, alerts: list[Alert]) -> None:
        if act.tag and act.digest and not any(fnmatch.fnmatchcase(act.tag, g) for g in self.th.mutable_tags):
            previous = self.state.swap_tag(act.repository, act.tag, act.digest, act.time)
            if previous is not None:
                alerts.append(
                    self._alert(
                        "Registry tag mutation",
                        Priority.WARNING,
                        act,
                        f"tag {act.repository}:{act.tag} moved from {previous} to {act.digest} "
                        f"(pushed by {act.account})",
                        ("tag_mutation",),
                        previous_digest=previous,
                    )
                )
        if any(fnmatch.fnmatchcase(act.repository, g) for g in self.th.protected):
            alerts.append(
                self._alert(
                    "Registry push to protected repository",
                    Priority.ERROR,
                    act,
                    f"{act.account} pushed to protected repository {_ref(act)}",
                    ("protected",),
                )
            )
        if not warm and acct.pushes == 0:
            alerts.append(
                self._alert(
                    "Registry push by account that does not push",
                    Priority.WARNING,
                    act,
                    f"{act.account} pushed {_ref(act)} but never pushed during its baseline",
                    ("unusual_push",),
                )
            )
        if self.on_push is not None:
            self.on_push(act)

    def _pull(self, act: Activity, acct: AccountBaseline, warm: bool, alerts: list[Alert]) -> None:
        window = self._window(self._pulls, act.account, self.th.pull_window)
        distinct = window.add(act.time, act.repository)
        total = len(window.items)
        # Completed buckets of the window's length teach the baseline peaks (unless they alerted).
        bucket_id = int(act.time // self.th.pull_window)
        cur = self._bucket.get(act.account)
        if cur is None or cur.id != bucket_id:
            if cur is not None and not cur.alerted:
                acct.pull_peak = max(acct.pull_peak, len(cur.repos))
                acct.pull_total_peak = max(acct.pull_total_peak, cur.total)
            cur = self._bucket[act.account] = _Bucket(bucket_id)
        if len(cur.repos) < MAX_WINDOW_ENTRIES:
            cur.repos.add(act.repository)
        cur.total += 1
        key = "pull:" + act.account
        if warm or self._quiet_until.get(key, 0) > act.time:
            return
        by_repos = max(self.th.pull_min, self.th.pull_factor * acct.pull_peak)
        by_total = max(self.th.pull_volume_min, self.th.pull_factor * acct.pull_total_peak)
        if distinct > by_repos:
            what = f"{distinct} repositories (baseline peak {acct.pull_peak}, threshold {by_repos:g})"
        elif total > by_total:
            what = f"{total} manifests (baseline peak {acct.pull_total_peak}, threshold {by_total:g})"
        else:
            return
        self._quiet(act.time, key, act.time + self.th.pull_window)
        cur.alerted = True
        alerts.append(
            self._alert(
                "Registry pull volume above baseline",
                Priority.CRITICAL,
                act,
                f"{act.account} pulled {what} in {self.th.pull_window:g}s: possible scraping or exfiltration",
                ("exfiltration", "mitre_exfiltration"),
                distinct_repositories=distinct,
                pulls=total,
                baseline_peak=acct.pull_peak,
                baseline_total_peak=acct.pull_total_peak,
            )
        )

    def _auth_burst(self, act: Activity, alerts: list[Alert]) -> None:
        for key, what in (("account:" + act.account, act.account), ("address:" + act.address, act.address)):
            if not what:
                continue
            n = self._count(key, act.time)
            if n >= self.th.auth_fail_burst and self._quiet_until.get("auth:" + key, 0) <= act.time:
                self._quiet(act.time, "auth:" + key, act.time + self.th.auth_fail_window)
                alerts.append(
                    self._alert(
                        "Registry authentication failure burst",
                        Priority.ERROR,
                        act,
                        f"{n} failed logins in {self.th.auth_fail_window:g}s for {key.replace(':', ' ', 1)}",
                        ("brute_force", "mitre_credential_access"),
                        failures=n,
                        key=key,
                    )
                )

    def _beyond_rights(self, act: Activity, alerts: list[Alert]) -> None:
        key = "scope:" + act.account
        n = self._count(key, act.time)
        if n >= self.th.beyond_rights_burst and self._quiet_until.get(key, 0) <= act.time:
            self._quiet(act.time, key, act.time + self.th.auth_fail_window)
            alerts.append(
                self._alert(
                    "Registry repeated requests beyond granted rights",
                    Priority.WARNING,
                    act,
                    f"{act.account} asked {n} times in {self.th.auth_fail_window:g}s for access it does not "
                    f"have (last: {act.refused})",
                    ("privilege_probe", "mitre_discovery"),
                    requests=n,
                    refused=act.refused,
                )
            )

    def _novelty(self, act: Activity, alerts: list[Alert]) -> None:
        checks = []
        if self.th.alert_new_address and act.address:
            checks.append(("addr", act.address, "address", "Registry new address for account"))
        if self.th.alert_new_user_agent and act.user_agent:
            checks.append(("ua", act.user_agent, "user agent", "Registry new user agent for account"))
        if self.th.alert_off_hours:
            hour = str(time.gmtime(act.time).tm_hour)
            checks.append(("hour", hour, "hour (UTC)", "Registry activity outside usual hours"))
        for kind, value, label, rule in checks:
            if self.state.has_any(act.account, kind) and not self.state.known(act.account, kind, value):
                alerts.append(
                    self._alert(
                        rule,
                        Priority.NOTICE,
                        act,
                        f"{act.account} active from new {label} {value!r} ({act.action})",
                        ("novelty",),
                    )
                )

    def _learn(self, act: Activity, acct: AccountBaseline) -> None:
        for kind, value in (
            ("addr", act.address),
            ("ua", act.user_agent),
            ("hour", str(time.gmtime(act.time).tm_hour)),
        ):
            if value:
                self.state.learn(act.account, kind, value)
        acct.events += 1
        if act.action == "push":
            acct.pushes += 1
        self.state.save_account(acct)

    # -- helpers ---------------------------------------------------------------------------------

    def _quiet(self, now: float, key: str, until: float) -> None:
        """No further alert for ``key`` before ``until``; expired entries go when the table is full."""
        if len(self._quiet_until) >= MAX_WINDOW_KEYS:
            self._quiet_until = {k: t for k, t in self._quiet_until.items() if t > now}
        self._quiet_until[key] = until

    def _count(self, key: str, now: float) -> int:
        """Events for ``key`` (failures, refused scopes) within ``auth_fail_window``, this one included."""
        times = self._failures.get(key)
        if times is None:
            if len(self._failures) >= MAX_WINDOW_KEYS:
                self._failures.pop(next(iter(self._failures)))
            times = self._failures[key] = deque(maxlen=MAX_WINDOW_ENTRIES)
        times.append(now)
        while times and times[0] < now - self.th.auth_fail_window:
            times.popleft()
        return len(times)

    def _window(self, table: dict[str, _Window], key: str, span: float) -> _Window:
        w = table.get(key)
        if w is None:
            if len(table) >= MAX_WINDOW_KEYS:
                table.pop(next(iter(table)))
            w = table[key] = _Window(span)
        return w

    def _alert(
        self, rule: str, priority: Priority, act: Activity, message: str, tags: tuple[str, ...], **extra: Any
    ) -> Alert:
        fields: dict[str, Any] = {
            "registry.account": act.account,
            "registry.action": act.action,
            "registry.address": act.address,
            "registry.user_agent": act.user_agent,
            "registry.repository": act.repository,
            "registry.tag": act.tag,
            "registry.digest": act.digest,
            **{f"registry.{k}": v for k, v in extra.items()},
        }
        return Alert(
            rule=rule,
            priority=priority,
            output=message,
            source=SOURCE,
            time_ns=int(act.time * 1_000_000_000),
            hostname=self.hostname,
            tags=("registry", *tags),
            output_fields=fields,
        )


def _ref(act: Activity) -> str:
    if act.tag:
        return f"{act.repository}:{act.tag}"
    return f"{act.repository}@{act.digest}" if act.digest else act.repository
