"""Scan-on-push: pull each newly pushed image, scan it, keep the result, alert on policy breaks."""

from __future__ import annotations

import hashlib
import logging
import queue
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from seawall.errors import SeawallError
from seawall.model import Severity
from seawall.registry.monitor.events import Activity
from seawall.report.document import Report
from seawall.report.json_report import report_json
from seawall.runtime.alerts import Alert, Priority

log = logging.getLogger("seawall.registry")

ScanFn = Callable[[str], Report]
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True, slots=True)
class ScanPolicy:
    """What breaks the policy: vulnerabilities at or above ``fail_severity``, any secret, any malware."""

    fail_severity: Severity = Severity.CRITICAL
    fail_on_secret: bool = True
    fail_on_malware: bool = True


def violations(report: Report, policy: ScanPolicy) -> list[str]:
    """One line per policy break found in the report."""
    out: list[str] = []
    for result in report.results:
        for v in result.vulnerabilities:
            if v.severity >= policy.fail_severity:
                s = v.summary()
                out.append(f"{s.severity.name} vulnerability {s.rule_id} in {s.package or result.target}")
        if policy.fail_on_secret:
            out.extend(
                f"secret {f.summary().rule_id} in {f.summary().path or result.target}" for f in result.secrets
            )
        if policy.fail_on_malware:
            out.extend(
                f"malware {f.summary().rule_id} in {f.summary().path or result.target}"
                for f in result.malware
            )
    return out


class ScanOnPush:
    """A bounded queue of pushed images and one worker thread that scans them in order."""

    def __init__(
        self,
        scan: ScanFn,
        registry_host: str,
        results_dir: Path,
        emit: Callable[[Alert], None],
        policy: ScanPolicy = ScanPolicy(),
        hostname: str = "",
        queue_size: int = 1000,
    ) -> None:
        self.scan = scan
        self.registry_host = registry_host
        self.results_dir = results_dir
        self.emit = emit
        self.policy = policy
        self.hostname = hostname
        self.scanned = 0
        self.failed = 0
        self.dropped = 0
        self._queue: queue.Queue[Activity | None] = queue.Queue(maxsize=queue_size)
        self._pending: set[str] = set()
        self._lock = threading.Lock()
        results_dir.mkdir(parents=True, exist_ok=True)
        self._thread = threading.Thread(target=self._run, name="scan-on-push", daemon=True)
        self._thread.start()

    def submit(self, act: Activity) -> None:
        """Queue a pushed manifest (each digest once while pending); dropped and counted when full."""
        key = f"{act.repository}@{act.digest}"
        with self._lock:
            if not act.digest or key in self._pending:
                return
            self._pending.add(key)
        try:
            self._queue.put_nowait(act)
        except queue.Full:
            self.dropped += 1
            with self._lock:
                self._pending.discard(key)
            log.warning("scan-on-push queue full: %s not scanned", key)

    def idle(self) -> bool:
        """True when nothing is queued or being scanned."""
        return self._queue.unfinished_tasks == 0

    def _run(self) -> None:
        while True:
            act = self._queue.get()
            try:
                if act is None:
                    return
                self._scan_one(act)
            finally:
                if act is not None:
                    with self._lock:
                        self._pending.discard(f"{act.repository}@{act.digest}")
                self._queue.task_done()

    def _scan_one(self, act: Activity) -> None:
        ref = f"{self.registry_host}/{act.repository}@{act.digest}"
        record: dict[str, Any] = {
            "Repository": act.repository,
            "Tag": act.tag,
            "Digest": act.digest,
            "PushedBy": act.account,
            "ScannedAt": time.time(),
        }
        try:
            report = self.scan(ref)
        except SeawallError as exc:
            self.failed += 1
            log.warning("scan-on-push of %s failed: %s", ref, exc)
            record["Error"] = str(exc)
            self._store(act, record)
            return
        except Exception as exc:  # a scanner bug must not stop the monitor
            self.failed += 1
            log.exception("scan-on-push of %s failed", ref)
            record["Error"] = f"{type(exc).__name__}: {exc}"
            self._store(act, record)
            return
        self.scanned += 1
        broken = violations(report, self.policy)
        record["Violations"] = broken
        record["Report"] = report_json(report)
        self._store(act, record)
        if broken:
            worst = (
                Priority.CRITICAL
                if any(b.startswith("CRITICAL") or "secret" in b for b in broken)
                else Priority.ERROR
            )
            self.emit(
                Alert(
                    rule="Registry pushed image breaks policy",
                    priority=worst,
                    output=f"{act.repository}:{act.tag or act.digest} pushed by {act.account}: "
                    f"{len(broken)} policy violations ({'; '.join(broken[:3])})",
                    source="registry",
                    time_ns=time.time_ns(),
                    hostname=self.hostname,
                    tags=("registry", "scan_on_push"),
                    output_fields={
                        "registry.account": act.account,
                        "registry.repository": act.repository,
                        "registry.tag": act.tag,
                        "registry.digest": act.digest,
                        "registry.violations": broken,
                    },
                )
            )

    def result_path(self, repository: str, digest: str) -> Path:
        """Where the result for one image is kept."""
        name = _SAFE.sub("_", repository)[:100] + "-" + hashlib.sha256(repository.encode()).hexdigest()[:8]
        return self.results_dir / name / (digest.replace(":", "-") + ".json")

    def _store(self, act: Activity, record: dict[str, Any]) -> None:
        path = self.result_path(act.repository, act.digest)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(orjson.dumps(record))
        tmp.replace(path)

    def close(self, timeout: float = 60.0) -> None:
        """Finish queued scans (up to ``timeout`` seconds), then stop."""
        deadline = time.monotonic() + timeout
        while not self.idle() and time.monotonic() < deadline:
            time.sleep(0.05)
        try:
            self._queue.put(None, timeout=1)
        except queue.Full:
            pass
        self._thread.join(timeout=max(0.1, deadline - time.monotonic()))


def load_results(results_dir: Path) -> list[dict[str, Any]]:
    """Every stored scan-on-push result (for the server and ``seawall registry results``)."""
    out = []
    for path in sorted(results_dir.glob("*/*.json")):
        try:
            out.append(orjson.loads(path.read_bytes()))
        except (OSError, orjson.JSONDecodeError):
            log.warning("skipping unreadable result %s", path)
    return out
