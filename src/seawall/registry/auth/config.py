"""The auth server's YAML configuration: signing key, accounts, robots, groups, rules, limits."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seawall.errors import UsageError
from seawall.registry.auth.passwords import HashCost
from seawall.registry.auth.policy import ACTIONS, Account, Rule
from seawall.yamlsafe import load_yaml


@dataclass(frozen=True, slots=True)
class LockoutPolicy:
    """Brute-force limits: failures within ``window`` seconds before a lock of ``lock_seconds``."""

    account_failures: int = 5
    address_failures: int = 10
    window: float = 300.0
    lock_seconds: float = 900.0
    # Each failure beyond half the limit doubles a short refusal period (starting here, in seconds).
    backoff_base: float = 1.0


@dataclass(frozen=True, slots=True)
class AuthConfig:
    """Everything the token server needs; rebuilt whole on reload."""

    path: Path
    issuer: str
    service: str
    signing_key: Path
    certificate: Path | None
    listen: str = "127.0.0.1:5001"
    token_ttl: int = 300
    audit_log: Path | None = None
    tls_certificate: Path | None = None
    tls_key: Path | None = None
    hash_cost: HashCost = field(default_factory=HashCost)
    lockout: LockoutPolicy = field(default_factory=LockoutPolicy)
    accounts: dict[str, Account] = field(default_factory=dict)
    rules: tuple[Rule, ...] = ()
    accounts_file: Path | None = None
    # Peers whose X-Forwarded-For is believed (load balancers, TLS proxies).
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()


def _strs(value: Any, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UsageError(f"{what} must be a string or a list of strings")
    return tuple(value)


def _path(base: Path, value: Any, what: str) -> Path | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise UsageError(f"{what} must be a file path")
    p = Path(value)
    return p if p.is_absolute() else base / p


def _mapping(value: Any, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise UsageError(f"{what} must be a mapping")
    return value


def _accounts(items: Any, where: str, groups: dict[str, set[str]]) -> dict[str, Account]:
    out: dict[str, Account] = {}
    if items is None:
        return out
    if not isinstance(items, list):
        raise UsageError(f"{where}: accounts must be a list")
    for i, item in enumerate(items):
        item = _mapping(item, f"{where}: accounts[{i}]")
        name = item.get("name")
        robot = bool(item.get("robot", False))
        secret = item.get("token_hash" if robot else "password_hash")
        if not isinstance(name, str) or not name or ":" in name:
            raise UsageError(f"{where}: accounts[{i}] needs a name without ':'")
        if not isinstance(secret, str) or not secret:
            key = "token_hash" if robot else "password_hash"
            raise UsageError(f"{where}: account {name} needs {key}")
        if name in out:
            raise UsageError(f"{where}: account {name} defined twice")
        member_of = set(_strs(item.get("groups"), f"account {name} groups"))
        member_of.update(g for g, members in groups.items() if name in members)
        out[name] = Account(
            name=name,
            secret_hash=secret,
            groups=tuple(sorted(member_of)),
            robot=robot,
            disabled=bool(item.get("disabled", False)),
        )
    return out


def _rules(items: Any, where: str) -> tuple[Rule, ...]:
    if items is None:
        return ()
    if not isinstance(items, list):
        raise UsageError(f"{where}: rules must be a list")
    out = []
    for i, item in enumerate(items):
        item = _mapping(item, f"{where}: rules[{i}]")
        subjects = _strs(item.get("subjects"), f"rules[{i}].subjects")
        actions = _strs(item.get("actions"), f"rules[{i}].actions")
        bad = [a for a in actions if a not in ACTIONS]
        if bad or not subjects:
            raise UsageError(f"{where}: rules[{i}] needs subjects and actions among {', '.join(ACTIONS)}")
        out.append(
            Rule(
                subjects=subjects,
                repositories=_strs(item.get("repositories"), f"rules[{i}].repositories"),
                actions=actions,
                catalog=bool(item.get("catalog", False)),
            )
        )
    return tuple(out)


def read_yaml_file(path: Path) -> dict[str, Any]:
    """A YAML mapping from a file, or UsageError."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from exc
    data = load_yaml(text, str(path))
    return _mapping(data, str(path))


def load_config(path: Path) -> AuthConfig:
    """Read and validate the config file (and its ``accounts_file``); UsageError on any problem."""
    data = read_yaml_file(path)
    base = path.parent
    where = str(path)
    key = _path(base, data.get("signing_key"), "signing_key")
    if key is None:
        raise UsageError(f"{where}: signing_key (PEM private key, RSA or EC P-256) is required")
    groups_raw = _mapping(data.get("groups"), "groups")
    groups = {str(g): set(_strs(m, f"groups.{g}")) for g, m in groups_raw.items()}
    accounts = _accounts(data.get("accounts"), where, groups)
    accounts_file = _path(base, data.get("accounts_file"), "accounts_file")
    if accounts_file is not None and accounts_file.exists():
        extra = _accounts(read_yaml_file(accounts_file).get("accounts"), str(accounts_file), groups)
        dup = set(extra) & set(accounts)
        if dup:
            raise UsageError(f"{accounts_file}: accounts already in {where}: {', '.join(sorted(dup))}")
        accounts.update(extra)
    hash_cfg = _mapping(data.get("hash"), "hash")
    lock_cfg = _mapping(data.get("lockout"), "lockout")
    tls = _mapping(data.get("tls"), "tls")
    try:
        d = HashCost()
        cost = HashCost(
            algorithm=str(hash_cfg.get("algorithm", d.algorithm)),
            argon2_time_cost=int(hash_cfg.get("argon2_time_cost", d.argon2_time_cost)),
            argon2_memory_kib=int(hash_cfg.get("argon2_memory_kib", d.argon2_memory_kib)),
            argon2_parallelism=int(hash_cfg.get("argon2_parallelism", d.argon2_parallelism)),
            bcrypt_rounds=int(hash_cfg.get("bcrypt_rounds", d.bcrypt_rounds)),
        )
        lockout = LockoutPolicy(
            account_failures=int(lock_cfg.get("account_failures", 5)),
            address_failures=int(lock_cfg.get("address_failures", 10)),
            window=float(lock_cfg.get("window", 300)),
            lock_seconds=float(lock_cfg.get("lock_seconds", 900)),
            backoff_base=float(lock_cfg.get("backoff_base", 1.0)),
        )
        ttl = int(data.get("token_ttl", 300))
        proxies = tuple(
            ipaddress.ip_network(p, strict=False)
            for p in _strs(data.get("trusted_proxies"), "trusted_proxies")
        )
    except (TypeError, ValueError) as exc:
        raise UsageError(f"{where}: {exc}") from exc
    if not 10 <= ttl <= 3600:
        raise UsageError(f"{where}: token_ttl must be between 10 and 3600 seconds")
    issuer, service = data.get("issuer"), data.get("service")
    if not isinstance(issuer, str) or not isinstance(service, str) or not issuer or not service:
        raise UsageError(f"{where}: issuer and service are required (the registry's auth.token values)")
    return AuthConfig(
        path=path,
        issuer=issuer,
        service=service,
        signing_key=key,
        certificate=_path(base, data.get("certificate"), "certificate"),
        listen=str(data.get("listen", "127.0.0.1:5001")),
        token_ttl=ttl,
        audit_log=_path(base, data.get("audit_log"), "audit_log"),
        tls_certificate=_path(base, tls.get("certificate"), "tls.certificate"),
        tls_key=_path(base, tls.get("key"), "tls.key"),
        hash_cost=cost,
        lockout=lockout,
        accounts=accounts,
        rules=_rules(data.get("rules"), where),
        accounts_file=accounts_file,
        trusted_proxies=proxies,
    )
