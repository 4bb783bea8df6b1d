"""A real protected registry for the registry tests: Seawall's auth server in-process, the Debian
distribution registry with ``auth: token`` pointing at it, skopeo as the client.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "artifact"))

from regservers import Registry, start_registry

from imagetools import SyntheticImage, files, layer_tar, write_oci_layout
from seawall.registry.auth.passwords import HashCost, hash_password, hash_token
from seawall.registry.auth.server import AuthServer
from seawall.registry.auth.service import TokenService

ISSUER = "seawall-auth"
SERVICE = "seawall-registry"
# Cheap hashes keep the tests fast; the benchmark measures the production cost.
TEST_COST = HashCost(argon2_time_cost=1, argon2_memory_kib=8192, bcrypt_rounds=4)

PASSWORDS = {
    "ci": "ci-pass-1",
    "reader": "reader-pass-1",
    "admin": "admin-pass-1",
    "ops": "ops-pass-1",
    "lockme": "lockme-pass-1",
    "builder": "builder-pass-1",
    "scraper": "scraper-pass-1",
    "mutator": "mutator-pass-1",
    "victim": "victim-pass-1",
    "prober": "prober-pass-1",
}
ROBOT_TOKEN = "swr_test-robot-token-0123456789abcdefghijklmnop"


def write_key_and_cert(workdir: Path, kind: str = "rsa") -> tuple[Path, Path]:
    """A signing key (RSA 2048 or EC P-256) and a self-signed certificate for the registry's rootcertbundle."""
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    key = rsa.generate_private_key(65537, 2048) if kind == "rsa" else ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "seawall token signer")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    workdir.mkdir(parents=True, exist_ok=True)
    key_path, cert_path = workdir / f"signing-{kind}.pem", workdir / f"signing-{kind}.crt"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def default_rules() -> list[dict[str, Any]]:
    return [
        {"subjects": ["group:ci"], "repositories": ["*"], "actions": ["pull", "push"]},
        {"subjects": ["group:readers"], "repositories": ["*"], "actions": ["pull"]},
        {"subjects": ["user:admin"], "repositories": ["*"], "actions": ["*"], "catalog": True},
        {"subjects": ["robot:scanner"], "repositories": ["*"], "actions": ["pull"]},
        {"subjects": ["anonymous"], "repositories": ["public/*"], "actions": ["pull"]},
    ]


def write_auth_config(workdir: Path, key_kind: str = "rsa", **overrides: Any) -> Path:
    """Write the auth server's config (JSON is YAML) with the test accounts; returns its path."""
    key, cert = write_key_and_cert(workdir, key_kind)
    accounts = [
        {"name": "ci", "password_hash": hash_password(PASSWORDS["ci"], TEST_COST), "groups": ["ci"]},
        {"name": "reader", "password_hash": hash_password(PASSWORDS["reader"], TEST_COST)},
        # bcrypt works too, for accounts migrated from htpasswd files.
        {
            "name": "admin",
            "password_hash": hash_password(PASSWORDS["admin"], HashCost("bcrypt", bcrypt_rounds=4)),
        },
        {"name": "ops", "password_hash": hash_password(PASSWORDS["ops"], TEST_COST), "groups": ["ci"]},
        {
            "name": "lockme",
            "password_hash": hash_password(PASSWORDS["lockme"], TEST_COST),
            "groups": ["readers"],
        },
        *(
            {"name": n, "password_hash": hash_password(PASSWORDS[n], TEST_COST), "groups": [g]}
            for n, g in (
                ("builder", "ci"),
                ("scraper", "readers"),
                ("mutator", "ci"),
                ("victim", "readers"),
                ("prober", "readers"),
            )
        ),
        {"name": "scanner", "robot": True, "token_hash": hash_token(ROBOT_TOKEN)},
    ]
    config: dict[str, Any] = {
        "issuer": ISSUER,
        "service": SERVICE,
        "signing_key": str(key),
        "certificate": str(cert),
        "token_ttl": 300,
        "audit_log": str(workdir / "audit.jsonl"),
        "accounts_file": str(workdir / "accounts.yaml"),
        "hash": {"algorithm": "argon2", "argon2_time_cost": 1, "argon2_memory_kib": 8192},
        "lockout": {
            "account_failures": 5,
            "address_failures": 10,
            "window": 300,
            "lock_seconds": 600,
            "backoff_base": 0,
        },
        "groups": {"readers": ["reader"]},
        "accounts": accounts,
        "rules": default_rules(),
    }
    config.update(overrides)
    path = workdir / "auth.yaml"
    path.write_text(json.dumps(config, indent=1))
    return path


@dataclass
class Stack:
    """Auth server + registry (+ the notification URL the registry posts to)."""

    auth: AuthServer
    registry: Registry
    workdir: Path
    cert: Path
    monitor: Any = None

    @property
    def realm(self) -> str:
        return f"http://127.0.0.1:{self.auth.port}/token"

    @property
    def host(self) -> str:
        return self.registry.host

    @property
    def audit_path(self) -> Path:
        return self.workdir / "audit.jsonl"

    def audit(self) -> list[dict[str, Any]]:
        if not self.audit_path.exists():
            return []
        return [json.loads(line) for line in self.audit_path.read_text().splitlines()]

    def token(
        self, user: str | None, password: str, *scopes: str, source: str = "127.0.0.1"
    ) -> httpx.Response:
        transport = httpx.HTTPTransport(local_address=source)
        auth = (user, password) if user is not None else None
        with httpx.Client(transport=transport, timeout=30) as c:
            return c.get(self.realm, params={"service": SERVICE, "scope": list(scopes)}, auth=auth)


def start_stack(
    workdir: Path, notify_url: str | None = None, key_kind: str = "rsa", **overrides: Any
) -> Stack:
    """Start the auth server (port 0) and a token-protected registry trusting its certificate."""
    config = write_auth_config(workdir, key_kind, **overrides)
    auth = AuthServer(TokenService(config), "127.0.0.1", 0).start()
    cert = workdir / f"signing-{key_kind}.crt"
    token_auth = {
        "token": {
            "realm": f"http://127.0.0.1:{auth.port}/token",
            "service": SERVICE,
            "issuer": ISSUER,
            "rootcertbundle": str(cert),
        }
    }
    extra: dict[str, Any] = {}
    if notify_url:
        extra["notifications"] = {
            "endpoints": [
                {
                    "name": "seawall",
                    "url": notify_url,
                    "timeout": "2s",
                    "threshold": 3,
                    "backoff": "200ms",
                    "ignoredmediatypes": ["application/octet-stream"],
                }
            ]
        }
    try:
        registry = start_registry(workdir / "registry", workdir / "storage", auth=token_auth, extra=extra)
    except Exception:
        auth.stop()
        raise
    return Stack(auth, registry, workdir, cert)


def image_layout(root: Path, content: str, tag: str = "latest") -> Path:
    """A one-layer OCI layout whose layer holds ``content`` (different content, different digest)."""
    image = SyntheticImage(layers=[layer_tar(files({"app/content.txt": content}))], created_by=["test layer"])
    return write_oci_layout(root, image, tag=tag)


def skopeo(*args: str) -> subprocess.CompletedProcess[str]:
    """Run skopeo (never raising) and return the completed process."""
    return subprocess.run(
        ["skopeo", "--insecure-policy", *args], capture_output=True, text=True, timeout=120, check=False
    )


def push_layout(
    stack: Stack, layout: Path, dest: str, creds: str | None, tag: str = "latest"
) -> subprocess.CompletedProcess[str]:
    """``skopeo copy`` an OCI layout to ``dest`` (repo:tag) with ``user:password`` credentials."""
    cred_args = [f"--dest-creds={creds}"] if creds else ["--dest-no-creds"]
    return skopeo(
        "copy",
        "--quiet",
        "--dest-tls-verify=false",
        *cred_args,
        f"oci:{layout}:{tag}",
        f"docker://{stack.host}/{dest}",
    )


def pull(stack: Stack, src: str, creds: str | None, dest_dir: Path) -> subprocess.CompletedProcess[str]:
    """``skopeo copy`` ``src`` (repo:tag) from the registry into an OCI layout with credentials."""
    cred_args = [f"--src-creds={creds}"] if creds else ["--src-no-creds"]
    return skopeo(
        "copy",
        "--quiet",
        "--src-tls-verify=false",
        *cred_args,
        f"docker://{stack.host}/{src}",
        f"oci:{dest_dir}:x",
    )


def bearer(stack: Stack, user: str, password: str, *scopes: str) -> dict[str, str]:
    """An Authorization header with a token from the auth server."""
    r = stack.token(user, password, *scopes)
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['token']}"}


def http_push(
    client: httpx.Client, stack: Stack, headers: dict[str, str], repo: str, tag: str, content: str
) -> str:
    """Push a one-layer image over the registry API (faster than skopeo for many repositories); its digest."""
    import hashlib

    layer = layer_tar(files({"data.txt": content}))
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(layer).hexdigest()]},
        }
    ).encode()
    base = f"http://{stack.host}/v2/{repo}"
    descs = []
    for blob, media in (
        (config, "application/vnd.oci.image.config.v1+json"),
        (layer, "application/vnd.oci.image.layer.v1.tar"),
    ):
        digest = "sha256:" + hashlib.sha256(blob).hexdigest()
        start = client.post(f"{base}/blobs/uploads/", headers=headers)
        assert start.status_code == 202, start.text
        loc = start.headers["Location"]
        sep = "&" if "?" in loc else "?"
        done = client.put(
            f"{loc}{sep}digest={digest}",
            content=blob,
            headers={**headers, "Content-Type": "application/octet-stream"},
        )
        assert done.status_code == 201, done.text
        descs.append({"mediaType": media, "digest": digest, "size": len(blob)})
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": descs[0],
            "layers": descs[1:],
        }
    ).encode()
    put = client.put(
        f"{base}/manifests/{tag}",
        content=manifest,
        headers={**headers, "Content-Type": "application/vnd.oci.image.manifest.v1+json"},
    )
    assert put.status_code == 201, put.text
    return str(put.headers["Docker-Content-Digest"])


def write_ca_signed(workdir: Path) -> tuple[Path, Path, Path]:
    """A CA certificate, and a signing key with a certificate issued by that CA: (key, leaf chain, CA)."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    leaf_key = rsa.generate_private_key(65537, 2048)
    now = datetime.now(UTC)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "seawall test token CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "seawall token signer")]))
        .issuer_name(ca_name)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(ca_key, hashes.SHA256())
    )
    workdir.mkdir(parents=True, exist_ok=True)
    key_path, chain_path, ca_path = workdir / "leaf.pem", workdir / "leaf-chain.crt", workdir / "ca.crt"
    key_path.write_bytes(
        leaf_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    chain_path.write_bytes(
        leaf.public_bytes(serialization.Encoding.PEM) + ca.public_bytes(serialization.Encoding.PEM)
    )
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    return key_path, chain_path, ca_path
