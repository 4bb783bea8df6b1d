"""The token decision: authenticate, check lockout, grant the minimised scope, sign, audit."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from seawall.errors import SeawallError
from seawall.registry.auth.audit import AuditLog
from seawall.registry.auth.config import AuthConfig, load_config
from seawall.registry.auth.lockout import Lockout
from seawall.registry.auth.passwords import hash_password, verify_password, verify_token
from seawall.registry.auth.policy import Account, Scope, grant, parse_scopes, subjects_of
from seawall.registry.auth.signing import Signer, load_signer

log = logging.getLogger("seawall.registry")

RELOAD_CHECK_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class Decision:
    """What the HTTP layer sends back: a token, or a status with a reason."""

    status: int
    token: str = ""
    expires_in: int = 0
    issued_at: int = 0
    granted: tuple[Scope, ...] = ()
    reason: str = ""
    retry_after: float = 0.0


@dataclass(frozen=True, slots=True)
class Credentials:
    """What a client presented: nothing (anonymous) or a user name and password/token."""

    username: str | None
    password: str = ""


@dataclass(frozen=True, slots=True)
class _Loaded:
    config: AuthConfig
    signer: Signer
    dummy_hash: str
    stamp: tuple[float, ...]


def _stamp(config_path: Path, accounts_file: Path | None) -> tuple[float, ...]:
    out = []
    for p in (config_path, accounts_file):
        try:
            out.append(p.stat().st_mtime if p is not None else 0.0)
        except OSError:
            out.append(-1.0)
    return tuple(out)


class TokenService:
    """Thread-safe token issuing with reload of accounts, rules and keys when the files change."""

    def __init__(self, config_path: Path) -> None:
        self._path = config_path
        self._loaded = self._load()
        self.lockout = Lockout(self._loaded.config.lockout)
        self.audit = AuditLog(self._loaded.config.audit_log)
        self._reload_lock = threading.Lock()
        self._next_check = time.monotonic() + RELOAD_CHECK_SECONDS

    def _load(self) -> _Loaded:
        config = load_config(self._path)
        signer = load_signer(config.signing_key, config.certificate)
        # Unknown names are checked against this hash so they cost as much as known ones.
        dummy = hash_password("seawall-dummy-password", config.hash_cost)
        return _Loaded(config, signer, dummy, _stamp(self._path, config.accounts_file))

    @property
    def config(self) -> AuthConfig:
        """The configuration in force."""
        return self._loaded.config

    def reload(self, force: bool = False) -> bool:
        """Reload when the files changed (or ``force``); keep the old config when the new one is bad."""
        with self._reload_lock:
            cur = self._loaded
            if not force and _stamp(self._path, cur.config.accounts_file) == cur.stamp:
                return False
            try:
                new = self._load()
            except SeawallError as exc:
                log.error("config reload failed, keeping the previous one: %s", exc)
                return False
            self._loaded = new
            self.lockout.policy = new.config.lockout
            log.info(
                "reloaded %s: %d accounts, %d rules",
                self._path,
                len(new.config.accounts),
                len(new.config.rules),
            )
            return True

    def _maybe_reload(self) -> None:
        now = time.monotonic()
        if now >= self._next_check:
            self._next_check = now + RELOAD_CHECK_SECONDS
            self.reload()

    def _authenticate(self, loaded: _Loaded, creds: Credentials) -> Account | None:
        """The account when the credentials are right; None otherwise (in comparable time)."""
        name = creds.username or ""
        account = loaded.config.accounts.get(name)
        if account is None:
            verify_password(loaded.dummy_hash, creds.password)
            return None
        ok = (
            verify_token(account.secret_hash, creds.password)
            if account.robot
            else verify_password(account.secret_hash, creds.password)
        )
        return account if ok and not account.disabled else None

    def request(
        self, creds: Credentials, service: str, scopes: list[str], address: str, agent: str
    ) -> Decision:
        """Decide one token request and write it to the audit log."""
        self._maybe_reload()
        loaded = self._loaded
        asked = parse_scopes(scopes)
        record: dict[str, object] = {
            "subject": (creds.username or "")[:256],
            "address": address,
            "user_agent": agent[:256],
            "service": service,
            "scope_requested": [s.text() for s in asked],
        }
        decision = self._decide(loaded, creds, service, asked, address)
        record.update(
            decision=_label(decision, asked),
            status=decision.status,
            scope_granted=[s.text() for s in decision.granted],
        )
        if decision.reason:
            record["reason"] = decision.reason
        self.audit.write(record)
        return decision

    def _decide(
        self, loaded: _Loaded, creds: Credentials, service: str, asked: list[Scope], address: str
    ) -> Decision:
        cfg = loaded.config
        if service and service != cfg.service:
            return Decision(400, reason=f"unknown service {service[:100]!r}")
        account: Account | None = None
        if creds.username is not None:
            wait = self.lockout.blocked(creds.username, address)
            if wait > 0:
                return Decision(429, reason="locked out", retry_after=wait)
            account = self._authenticate(loaded, creds)
            if account is None:
                self.lockout.failure(creds.username, address)
                return Decision(401, reason="invalid credentials")
            self.lockout.success(account.name)
        granted = grant(cfg.rules, subjects_of(account), asked)
        subject = account.name if account else ""
        token, issued = loaded.signer.sign(cfg.issuer, subject, cfg.service, cfg.token_ttl, granted)
        reason = _refused(asked, granted)
        return Decision(200, token, cfg.token_ttl, issued, tuple(granted), reason)


def _label(decision: Decision, asked: list[Scope]) -> str:
    """``grant`` (all asked), ``partial`` (some), or ``deny`` (nothing, or no token)."""
    if decision.status != 200 or (asked and not decision.granted):
        return "deny"
    return "partial" if decision.reason else "grant"


def _refused(asked: list[Scope], granted: list[Scope]) -> str:
    """Which asked actions were not granted, for the audit log."""
    have = {(g.type, g.name): set(g.actions) for g in granted}
    missing = []
    for s in asked:
        left = [a for a in s.actions if a not in have.get((s.type, s.name), set())]
        if left:
            missing.append(Scope(s.type, s.name, tuple(left)).text())
    return f"not granted: {' '.join(missing)}" if missing else ""


def iso(ts: int) -> str:
    """RFC 3339 UTC time for ``issued_at``."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
