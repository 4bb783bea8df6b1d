"""Adding accounts and robots to the auth server's ``accounts_file`` (the server reloads it)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from seawall.errors import UsageError
from seawall.registry.auth.config import load_config, read_yaml_file
from seawall.registry.auth.passwords import hash_password, hash_token, new_robot_token


def add_account(
    config_path: Path, name: str, groups: list[str], password: str | None = None, robot: bool = False
) -> str:
    """Add a person (with ``password``) or a robot (token generated and returned) to the accounts file."""
    config = load_config(config_path)
    target = config.accounts_file
    if target is None:
        raise UsageError(f"{config_path}: set accounts_file to add accounts from the command line")
    if not name or ":" in name:
        raise UsageError("account names must be non-empty and without ':'")
    if name in config.accounts:
        raise UsageError(f"account {name} already exists")
    secret = ""
    entry: dict[str, Any] = {"name": name, "groups": groups}
    if robot:
        secret = new_robot_token()
        entry.update(robot=True, token_hash=hash_token(secret))
    else:
        if not password:
            raise UsageError("a password is required")
        entry["password_hash"] = hash_password(password, config.hash_cost)
    data = read_yaml_file(target) if target.exists() else {}
    accounts = data.get("accounts") or []
    if not isinstance(accounts, list):
        raise UsageError(f"{target}: accounts must be a list")
    accounts.append(entry)
    data["accounts"] = accounts
    _write_atomic(target, yaml.safe_dump(data, sort_keys=False))
    return secret


def _write_atomic(path: Path, text: str) -> None:
    # Write then rename, so the server never reloads a half-written file.
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)
