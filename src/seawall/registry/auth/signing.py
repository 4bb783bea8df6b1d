"""Token signing: RS256 or ES256 JWTs whose ``kid`` is the libtrust key id the registry expects."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from seawall.errors import UsageError
from seawall.registry.auth.policy import Scope

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey


def libtrust_key_id(public_key: PublicKey) -> str:
    """base32 of the first 30 bytes of sha256(DER SubjectPublicKeyInfo), 12 groups of 4 joined by ':'."""
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    b32 = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode("ascii")
    return ":".join(b32[i : i + 4] for i in range(0, 48, 4))


@dataclass(frozen=True, slots=True)
class Signer:
    """A private key with its algorithm and key id."""

    key: PrivateKey
    algorithm: str
    kid: str
    x5c: tuple[str, ...] = ()  # base64 DER certificates, leaf first, when a chain is configured

    def sign(
        self, issuer: str, subject: str, audience: str, ttl: int, access: list[Scope]
    ) -> tuple[str, int]:
        """A signed token and its issue time (seconds since the epoch)."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": issuer,
            "sub": subject,
            "aud": audience,
            "exp": now + ttl,
            # A few seconds of slack for clocks that disagree.
            "nbf": now - 5,
            "iat": now,
            "jti": secrets.token_hex(16),
            "access": [s.claim() for s in access],
        }
        headers: dict[str, Any] = {"kid": self.kid}
        if self.x5c:
            headers["x5c"] = list(self.x5c)
        return jwt.encode(claims, self.key, algorithm=self.algorithm, headers=headers), now


def load_signer(path: Path, chain: Path | None = None) -> Signer:
    """Load a PEM private key: RSA (RS256, at least 2048 bits) or EC P-256 (ES256).

    With ``chain`` (PEM certificates, leaf first) tokens carry it as ``x5c``, so a registry whose
    ``rootcertbundle`` holds only the issuing CA can verify them; the leaf must certify this key.
    """
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise UsageError(f"cannot load signing key {path}: {exc}") from exc
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < 2048:
            raise UsageError(f"signing key {path}: RSA keys must have at least 2048 bits")
        algorithm = "RS256"
    elif isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1):
        algorithm = "ES256"
    else:
        raise UsageError(f"signing key {path}: use an RSA or EC P-256 key")
    return Signer(key, algorithm, libtrust_key_id(key.public_key()), _chain(chain, key) if chain else ())


def _spki(public_key: Any) -> bytes:
    der: bytes = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return der


def _chain(path: Path, key: PrivateKey) -> tuple[str, ...]:
    try:
        certs = x509.load_pem_x509_certificates(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot load certificate chain {path}: {exc}") from exc
    if _spki(certs[0].public_key()) != _spki(key.public_key()):
        raise UsageError(f"certificate chain {path}: the first certificate is not for the signing key")
    return tuple(base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode("ascii") for c in certs)
