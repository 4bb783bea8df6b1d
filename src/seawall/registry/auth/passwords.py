"""Password and robot-token hashing: argon2id or bcrypt for people, SHA-256 for long random tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

import argon2
import bcrypt

from seawall.errors import UsageError

ROBOT_TOKEN_BYTES = 32


@dataclass(frozen=True, slots=True)
class HashCost:
    """Work factors for new hashes (verification reads them from the hash itself).

    Defaults are OWASP's password-storage parameters (argon2id m=19 MiB t=2 p=1; bcrypt cost 10):
    every token request verifies a password, so the cost is paid per registry operation.
    """

    algorithm: str = "argon2"
    argon2_time_cost: int = 2
    argon2_memory_kib: int = 19456
    argon2_parallelism: int = 1
    bcrypt_rounds: int = 10


def hash_password(password: str, cost: HashCost = HashCost()) -> str:
    """Hash a password with the configured algorithm and cost."""
    if cost.algorithm == "argon2":
        hasher = argon2.PasswordHasher(
            time_cost=cost.argon2_time_cost,
            memory_cost=cost.argon2_memory_kib,
            parallelism=cost.argon2_parallelism,
        )
        return hasher.hash(password)
    if cost.algorithm == "bcrypt":
        if len(password.encode()) > 72:
            raise UsageError("bcrypt only uses the first 72 bytes of a password; use argon2 for longer ones")
        return bcrypt.hashpw(password.encode(), bcrypt.gensalt(cost.bcrypt_rounds)).decode()
    raise UsageError(f"unknown hash algorithm {cost.algorithm!r}: use argon2 or bcrypt")


_ARGON2 = argon2.PasswordHasher()


def verify_password(stored: str, password: str) -> bool:
    """True when ``password`` matches the argon2 or bcrypt hash ``stored``; never raises."""
    try:
        if stored.startswith("$argon2"):
            return _ARGON2.verify(stored, password)
        if stored.startswith(("$2a$", "$2b$", "$2y$")):
            data = password.encode()
            return len(data) <= 72 and bcrypt.checkpw(data, stored.encode())
    except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError, ValueError):
        return False
    return False


def new_robot_token() -> str:
    """A long random robot token (256 bits, URL-safe)."""
    return "swr_" + secrets.token_urlsafe(ROBOT_TOKEN_BYTES)


def hash_token(token: str) -> str:
    """The stored form of a robot token: high-entropy tokens need no slow hash."""
    return "sha256:" + hashlib.sha256(token.encode()).hexdigest()


def verify_token(stored: str, token: str) -> bool:
    """Constant-time comparison of a robot token against its stored hash."""
    return hmac.compare_digest(stored.encode(), hash_token(token).encode())
