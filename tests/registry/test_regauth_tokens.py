"""Token attacks against the real registry and Seawall's auth server; each must be refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from regservers import start_registry, stop
from regstack import (
    ISSUER,
    PASSWORDS,
    SERVICE,
    Stack,
    image_layout,
    push_layout,
    start_stack,
    write_auth_config,
    write_ca_signed,
)

from seawall.errors import UsageError
from seawall.registry.auth.accounts import add_account
from seawall.registry.auth.policy import parse_scopes
from seawall.registry.auth.server import AuthServer
from seawall.registry.auth.service import TokenService
from seawall.registry.auth.signing import load_signer

MANIFEST_ACCEPT = "application/vnd.oci.image.manifest.v1+json"


@pytest.fixture(scope="module")
def pushed(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Stack:
    """Two repositories, tok/a and tok/b, pushed by the CI account."""
    root = tmp_path_factory.mktemp("tokimg")
    for repo in ("tok/a", "tok/b"):
        assert (
            push_layout(
                stack, image_layout(root / repo, repo), f"{repo}:1", f"ci:{PASSWORDS['ci']}"
            ).returncode
            == 0
        )
    return stack


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims(repo: str, actions: list[str], **over: Any) -> dict[str, Any]:
    now = int(time.time())
    c = {
        "iss": ISSUER,
        "sub": "ci",
        "aud": SERVICE,
        "exp": now + 300,
        "nbf": now - 5,
        "iat": now,
        "jti": "x",
        "access": [{"type": "repository", "name": repo, "actions": actions}],
    }
    c.update(over)
    return c


def manifest_status(stack: Stack, repo: str, token: str) -> int:
    r = httpx.get(
        f"http://{stack.host}/v2/{repo}/manifests/1",
        headers={"Authorization": f"Bearer {token}", "Accept": MANIFEST_ACCEPT},
    )
    return r.status_code


def real_token(stack: Stack, user: str, *scopes: str) -> str:
    r = stack.token(user, PASSWORDS[user], *scopes)
    assert r.status_code == 200, r.text
    return str(r.json()["token"])


def test_a_real_token_works(pushed: Stack) -> None:
    # The control case: without it the refusals below could be refusals of everything.
    assert manifest_status(pushed, "tok/a", real_token(pushed, "reader", "repository:tok/a:pull")) == 200


def test_alg_none_refused(pushed: Stack) -> None:
    kid = load_signer(pushed.workdir / "signing-rsa.pem").kid
    header = b64(json.dumps({"alg": "none", "typ": "JWT", "kid": kid}).encode())
    body = b64(json.dumps(claims("tok/a", ["pull"])).encode())
    for token in (f"{header}.{body}.", f"{header}.{body}"):
        assert manifest_status(pushed, "tok/a", token) == 401


def test_hs256_signed_with_public_key_refused(pushed: Stack) -> None:
    signer = load_signer(pushed.workdir / "signing-rsa.pem")
    public_pem = pushed.cert.read_bytes()
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": signer.kid}).encode())
    body = b64(json.dumps(claims("tok/a", ["pull"])).encode())
    for secret in (
        public_pem,
        signer.key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo),
    ):
        sig = hmac.new(secret, f"{header}.{body}".encode(), hashlib.sha256).digest()
        assert manifest_status(pushed, "tok/a", f"{header}.{body}.{b64(sig)}") == 401


def test_expired_token_refused(pushed: Stack) -> None:
    signer = load_signer(pushed.workdir / "signing-rsa.pem")
    now = int(time.time())
    old = claims("tok/a", ["pull"], exp=now - 120, nbf=now - 600, iat=now - 600)
    token = jwt.encode(old, signer.key, algorithm="RS256", headers={"kid": signer.kid})
    assert manifest_status(pushed, "tok/a", token) == 401
    # The same claims, fresh, are accepted: the expiry is what was refused.
    fresh = jwt.encode(claims("tok/a", ["pull"]), signer.key, algorithm="RS256", headers={"kid": signer.kid})
    assert manifest_status(pushed, "tok/a", fresh) == 200


def test_token_for_repository_a_refused_on_b(pushed: Stack) -> None:
    token = real_token(pushed, "reader", "repository:tok/a:pull")
    assert manifest_status(pushed, "tok/a", token) == 200
    assert manifest_status(pushed, "tok/b", token) == 401


def test_push_asked_with_pull_only_rights_grants_pull_only(pushed: Stack) -> None:
    token = real_token(pushed, "reader", "repository:tok/a:pull,push")
    access = jwt.decode(token, options={"verify_signature": False})["access"]
    assert access == [{"type": "repository", "name": "tok/a", "actions": ["pull"]}]
    upload = httpx.post(
        f"http://{pushed.host}/v2/tok/a/blobs/uploads/", headers={"Authorization": f"Bearer {token}"}
    )
    assert upload.status_code == 401
    ci = real_token(pushed, "ci", "repository:tok/a:pull,push,delete")
    # The CI group may pull and push, not delete: the grant is the intersection.
    assert jwt.decode(ci, options={"verify_signature": False})["access"][0]["actions"] == ["pull", "push"]


def test_catalog_only_for_admin(pushed: Stack) -> None:
    admin = real_token(pushed, "admin", "registry:catalog:*")
    reader = real_token(pushed, "reader", "registry:catalog:*")
    url = f"http://{pushed.host}/v2/_catalog"
    assert httpx.get(url, headers={"Authorization": f"Bearer {admin}"}).status_code == 200
    assert httpx.get(url, headers={"Authorization": f"Bearer {reader}"}).status_code == 401


def test_password_spray_from_one_address_locks_it_out(pushed: Stack) -> None:
    spray_from = "127.0.0.3"
    statuses = []
    for i in range(12):
        user = ["ci", "reader", "admin", "ops", f"user{i}"][i % 5]
        statuses.append(
            pushed.token(user, "Winter2026!", "repository:tok/a:pull", source=spray_from).status_code
        )
    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429, 429]
    # The right password from the locked address is refused too; another address is unaffected.
    locked = pushed.token("reader", PASSWORDS["reader"], "repository:tok/a:pull", source=spray_from)
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    assert pushed.token("reader", PASSWORDS["reader"], "repository:tok/a:pull").status_code == 200
    from_spray = [r for r in pushed.audit() if r["address"] == spray_from]
    assert len(from_spray) == 13
    assert sum(r.get("reason") == "locked out" for r in from_spray) == 3


def test_account_lockout_after_repeated_failures(pushed: Stack) -> None:
    # Five wrong passwords for one account from different addresses lock the account itself.
    for i in range(5):
        assert pushed.token("lockme", "wrong", source=f"127.0.1.{i + 1}").status_code == 401
    assert pushed.token("lockme", PASSWORDS["lockme"], source="127.0.1.9").status_code == 429


def test_oauth2_post_form(pushed: Stack) -> None:
    form = {
        "grant_type": "password",
        "username": "reader",
        "password": PASSWORDS["reader"],
        "service": SERVICE,
        "scope": "repository:tok/a:pull,push",
        "client_id": "test",
    }
    r = httpx.post(pushed.realm, data=form)
    assert r.status_code == 200
    assert r.json()["scope"] == "repository:tok/a:pull"
    assert manifest_status(pushed, "tok/a", r.json()["access_token"]) == 200
    assert httpx.post(pushed.realm, data={**form, "password": "nope"}).status_code == 401
    assert httpx.post(pushed.realm, data={**form, "grant_type": "refresh_token"}).status_code == 400


def test_malformed_requests_get_clear_errors(pushed: Stack) -> None:
    assert httpx.get(pushed.realm, headers={"Authorization": "Basic %%%"}).status_code == 400
    assert httpx.get(pushed.realm, params={"service": "other"}).status_code == 400
    r = httpx.get(pushed.realm, params={"service": SERVICE, "scope": "repository:../../etc:pull"})
    assert (
        r.status_code == 200
        and jwt.decode(r.json()["token"], options={"verify_signature": False})["access"] == []
    )
    big = httpx.post(
        pushed.realm, content=b"x" * 100_000, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert big.status_code == 400


def test_accounts_reload_without_restart(pushed: Stack) -> None:
    config = pushed.workdir / "auth.yaml"
    assert pushed.token("newbie", "newbie-pass", "repository:tok/a:pull").status_code == 401
    add_account(config, "newbie", ["readers"], password="newbie-pass")
    pushed.auth.service.reload()
    r = pushed.token("newbie", "newbie-pass", "repository:tok/a:pull")
    assert r.status_code == 200
    assert manifest_status(pushed, "tok/a", r.json()["token"]) == 200


def test_es256_keys_work_with_the_registry(tmp_path: Path) -> None:
    es = start_stack(tmp_path, key_kind="ec")
    try:
        layout = image_layout(tmp_path / "img", "es256")
        assert push_layout(es, layout, "es/app:1", f"ci:{PASSWORDS['ci']}").returncode == 0
        token = es.token("reader", PASSWORDS["reader"], "repository:es/app:pull").json()["token"]
        assert jwt.get_unverified_header(token)["alg"] == "ES256"
        assert manifest_status(es, "es/app", token) == 200
    finally:
        es.registry.proc.terminate()
        es.registry.proc.wait(timeout=10)
        es.auth.stop()


def test_certificate_chain_in_x5c_verifies_against_a_ca_bundle(tmp_path: Path) -> None:
    key, chain, ca = write_ca_signed(tmp_path / "pki")
    # The registry trusts only the CA: tokens must carry the chain (x5c); the kid alone cannot match.
    auth = {"token": {"realm": "", "service": SERVICE, "issuer": ISSUER, "rootcertbundle": str(ca)}}
    with_chain = load_signer(key, chain)
    without = load_signer(key)
    auth_server = None
    registry = None
    try:
        config = write_auth_config(tmp_path / "auth", signing_key=str(key), certificate=str(chain))
        auth_server = AuthServer(TokenService(config), "127.0.0.1", 0).start()
        auth["token"]["realm"] = f"http://127.0.0.1:{auth_server.port}/token"
        registry = start_registry(tmp_path / "reg", tmp_path / "storage", auth=auth)
        stack = Stack(auth_server, registry, tmp_path / "auth", chain)
        assert (
            push_layout(
                stack, image_layout(tmp_path / "img", "x5c"), "x5c/app:1", f"ci:{PASSWORDS['ci']}"
            ).returncode
            == 0
        )
        token = stack.token("reader", PASSWORDS["reader"], "repository:x5c/app:pull").json()["token"]
        assert len(jwt.get_unverified_header(token)["x5c"]) == 2
        assert manifest_status(stack, "x5c/app", token) == 200
        kid_only, _ = without.sign(ISSUER, "reader", SERVICE, 60, parse_scopes(["repository:x5c/app:pull"]))
        assert manifest_status(stack, "x5c/app", kid_only) == 401
        assert with_chain.x5c and not without.x5c
    finally:
        if registry is not None:
            stop(registry.proc)
        if auth_server is not None:
            auth_server.stop()


def test_chain_for_another_key_is_refused(tmp_path: Path) -> None:
    key, chain, _ = write_ca_signed(tmp_path / "a")
    other_key, _, _ = write_ca_signed(tmp_path / "b")
    with pytest.raises(UsageError, match="not for the signing key"):
        load_signer(other_key, chain)
    assert load_signer(key, chain).algorithm == "RS256"
