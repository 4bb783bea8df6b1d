"""Brute-force protection: per-account and per-address failure counts, backoff and lockout."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field

from seawall.registry.auth.config import LockoutPolicy

# Bound memory under a spray from many addresses: the oldest keys are forgotten first.
MAX_TRACKED = 100_000


@dataclass(slots=True)
class _Record:
    failures: deque[float] = field(default_factory=deque)
    blocked_until: float = 0.0


class Lockout:
    """Tracks failures; ``blocked`` answers how many seconds a key must still wait (0: may try)."""

    def __init__(self, policy: LockoutPolicy) -> None:
        self.policy = policy
        self._records: dict[str, _Record] = {}
        self._lock = threading.Lock()

    def blocked(self, account: str, address: str, now: float | None = None) -> float:
        """Seconds until the account or address may try again; 0 when neither is blocked."""
        now = time.monotonic() if now is None else now
        with self._lock:
            waits = [
                r.blocked_until - now
                for r in (self._records.get("a:" + account), self._records.get("ip:" + address))
                if r is not None
            ]
        return max([0.0, *waits])

    def failure(self, account: str, address: str, now: float | None = None) -> None:
        """Count a failed attempt against the account (when named) and the address."""
        now = time.monotonic() if now is None else now
        with self._lock:
            if account:
                self._count("a:" + account, self.policy.account_failures, now)
            self._count("ip:" + address, self.policy.address_failures, now)

    def success(self, account: str) -> None:
        """A correct credential clears the account's failures (not the address's)."""
        with self._lock:
            self._records.pop("a:" + account, None)

    def _count(self, key: str, limit: int, now: float) -> None:
        rec = self._records.get(key)
        if rec is None:
            if len(self._records) >= MAX_TRACKED:
                self._records.pop(next(iter(self._records)))
            rec = self._records[key] = _Record()
        rec.failures.append(now)
        while rec.failures and rec.failures[0] < now - self.policy.window:
            rec.failures.popleft()
        n = len(rec.failures)
        if n >= limit:
            rec.blocked_until = now + self.policy.lock_seconds
        elif n > limit // 2:
            backoff = self.policy.backoff_base * 2 ** (n - limit // 2 - 1)
            rec.blocked_until = max(rec.blocked_until, now + backoff)
