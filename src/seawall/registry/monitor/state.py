"""The monitor's persistent state in SQLite: per-account baselines, tag → digest, audit-log cursor."""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from seawall.errors import CacheError

SCHEMA = """
CREATE TABLE IF NOT EXISTS account(
    name TEXT PRIMARY KEY, first_seen REAL NOT NULL, events INTEGER NOT NULL,
    pushes INTEGER NOT NULL, pull_peak INTEGER NOT NULL, pull_total_peak INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS seen(
    account TEXT NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY(account, kind, value));
CREATE TABLE IF NOT EXISTS tag(
    repository TEXT NOT NULL, tag TEXT NOT NULL, digest TEXT NOT NULL, time REAL NOT NULL,
    PRIMARY KEY(repository, tag));
CREATE TABLE IF NOT EXISTS cursor(path TEXT PRIMARY KEY, inode INTEGER NOT NULL, offset INTEGER NOT NULL);
"""
# Per account and kind, stop learning new values beyond this: bounds the table under a flood.
MAX_SEEN_PER_KIND = 10_000


@dataclass(slots=True)
class AccountBaseline:
    """What is known about an account (mutable: updated as events arrive, written through)."""

    name: str
    first_seen: float
    events: int = 0
    pushes: int = 0
    pull_peak: int = 0
    pull_total_peak: int = 0


class MonitorState:
    """SQLite-backed state; callers batch writes and call :meth:`commit`."""

    def __init__(self, path: Path) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(path, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(SCHEMA)
        except sqlite3.Error as exc:
            raise CacheError(f"cannot open monitor state {path}: {exc}") from exc
        self.lock = threading.RLock()
        self._accounts: dict[str, AccountBaseline] = {}
        self._seen_counts: dict[tuple[str, str], int] = {}
        for name, first, events, pushes, peak, total_peak in self.db.execute(
            "SELECT name, first_seen, events, pushes, pull_peak, pull_total_peak FROM account"
        ):
            self._accounts[name] = AccountBaseline(name, first, events, pushes, peak, total_peak)
        for account, kind, n in self.db.execute(
            "SELECT account, kind, count(*) FROM seen GROUP BY account, kind"
        ):
            self._seen_counts[(account, kind)] = n

    def account(self, name: str, now: float) -> AccountBaseline:
        """The account's baseline, created on first sight."""
        acct = self._accounts.get(name)
        if acct is None:
            acct = self._accounts[name] = AccountBaseline(name, now)
        return acct

    def save_account(self, acct: AccountBaseline) -> None:
        """Write an account's counters."""
        self.db.execute(
            "INSERT INTO account(name, first_seen, events, pushes, pull_peak, pull_total_peak) "
            "VALUES (?,?,?,?,?,?) ON CONFLICT(name) DO UPDATE SET events=excluded.events, "
            "pushes=excluded.pushes, pull_peak=excluded.pull_peak, pull_total_peak=excluded.pull_total_peak",
            (acct.name, acct.first_seen, acct.events, acct.pushes, acct.pull_peak, acct.pull_total_peak),
        )

    def known(self, account: str, kind: str, value: str) -> bool:
        """Whether ``value`` (an address, user agent, hour ...) is in the account's baseline."""
        row = self.db.execute(
            "SELECT 1 FROM seen WHERE account=? AND kind=? AND value=?", (account, kind, value)
        ).fetchone()
        return row is not None

    def has_any(self, account: str, kind: str) -> bool:
        """Whether the account has any learned value of this kind."""
        return self._seen_counts.get((account, kind), 0) > 0

    def learn(self, account: str, kind: str, value: str) -> None:
        """Add a value to the account's baseline (bounded per kind)."""
        key = (account, kind)
        if self._seen_counts.get(key, 0) >= MAX_SEEN_PER_KIND:
            return
        cur = self.db.execute(
            "INSERT OR IGNORE INTO seen(account, kind, value) VALUES (?,?,?)", (account, kind, value)
        )
        if cur.rowcount:
            self._seen_counts[key] = self._seen_counts.get(key, 0) + 1

    def swap_tag(self, repository: str, tag: str, digest: str, now: float) -> str | None:
        """Record tag → digest; return the previous digest when it was different."""
        row = self.db.execute(
            "SELECT digest FROM tag WHERE repository=? AND tag=?", (repository, tag)
        ).fetchone()
        self.db.execute(
            "INSERT INTO tag(repository, tag, digest, time) VALUES (?,?,?,?) "
            "ON CONFLICT(repository, tag) DO UPDATE SET digest=excluded.digest, time=excluded.time",
            (repository, tag, digest, now),
        )
        return str(row[0]) if row is not None and row[0] != digest else None

    def cursor(self, path: str) -> tuple[int, int]:
        """The (inode, offset) where reading ``path`` stopped."""
        row = self.db.execute("SELECT inode, offset FROM cursor WHERE path=?", (path,)).fetchone()
        return (int(row[0]), int(row[1])) if row else (0, 0)

    def set_cursor(self, path: str, inode: int, offset: int) -> None:
        """Remember where reading ``path`` stopped."""
        self.db.execute(
            "INSERT INTO cursor(path, inode, offset) VALUES (?,?,?) "
            "ON CONFLICT(path) DO UPDATE SET inode=excluded.inode, offset=excluded.offset",
            (path, inode, offset),
        )

    def commit(self) -> None:
        """Make the batch durable."""
        self.db.commit()

    def close(self) -> None:
        """Commit and close."""
        self.db.commit()
        self.db.close()
