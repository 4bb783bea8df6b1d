"""Scope parsing, rule evaluation and the lockout arithmetic, on the real classes."""

from __future__ import annotations

from pathlib import Path

import pytest

from seawall.errors import UsageError
from seawall.registry.auth.config import LockoutPolicy, load_config
from seawall.registry.auth.lockout import Lockout
from seawall.registry.auth.passwords import HashCost, hash_password, verify_password
from seawall.registry.auth.policy import Account, Rule, Scope, grant, parse_scopes, subjects_of


def test_parse_scopes_merges_and_rejects_malformed() -> None:
    got = parse_scopes(
        ["repository:a/b:pull repository:a/b:push", "registry:catalog:*", "junk", "repository:UP:pull"]
    )
    assert got == [Scope("repository", "a/b", ("pull", "push")), Scope("registry", "catalog", ("*",))]
    assert len(parse_scopes([" ".join(f"repository:r{i}:pull" for i in range(100))])) == 32


def test_grant_is_intersection_and_deny_by_default() -> None:
    rules = (
        Rule(("group:dev",), ("team/*",), ("pull", "push")),
        Rule(("anonymous",), ("public/*",), ("pull",)),
        Rule(("user:root",), ("*",), ("*",)),
    )
    dev = subjects_of(Account("dana", "x", groups=("dev",)))
    asked = parse_scopes(
        ["repository:team/app:pull,push,delete", "repository:other/app:pull", "registry:catalog:*"]
    )
    assert grant(rules, dev, asked) == [Scope("repository", "team/app", ("pull", "push"))]
    assert grant(rules, subjects_of(None), parse_scopes(["repository:public/x:pull,push"])) == [
        Scope("repository", "public/x", ("pull",))
    ]
    assert grant(rules, subjects_of(None), parse_scopes(["repository:team/app:pull"])) == []
    root = subjects_of(Account("root", "x"))
    assert grant(rules, root, parse_scopes(["repository:any/thing:pull,delete"]))[0].actions == (
        "pull",
        "delete",
    )


def test_lockout_backoff_then_lock() -> None:
    lock = Lockout(
        LockoutPolicy(account_failures=6, address_failures=100, window=60, lock_seconds=300, backoff_base=2)
    )
    for i in range(3):
        lock.failure("u", "1.2.3.4", now=100.0 + i)
    assert lock.blocked("u", "9.9.9.9", now=102.0) == 0
    lock.failure("u", "1.2.3.4", now=103.0)  # 4th failure: beyond half the limit, backoff 2 s
    assert lock.blocked("u", "9.9.9.9", now=103.0) == pytest.approx(2.0)
    assert lock.blocked("u", "9.9.9.9", now=106.0) == 0
    lock.failure("u", "1.2.3.4", now=106.0)  # 5th: backoff doubles
    assert lock.blocked("u", "9.9.9.9", now=106.0) == pytest.approx(4.0)
    lock.failure("u", "1.2.3.4", now=111.0)  # 6th: locked
    assert lock.blocked("u", "9.9.9.9", now=111.0) == pytest.approx(300.0)
    # Failures older than the window do not count.
    lock2 = Lockout(
        LockoutPolicy(account_failures=3, address_failures=100, window=10, lock_seconds=300, backoff_base=0)
    )
    for t in (0.0, 20.0, 40.0, 60.0):
        lock2.failure("v", "1.1.1.1", now=t)
    assert lock2.blocked("v", "1.1.1.1", now=60.0) == 0


def test_hashes_verify_and_reject() -> None:
    for cost in (HashCost(argon2_time_cost=1, argon2_memory_kib=8192), HashCost("bcrypt", bcrypt_rounds=4)):
        h = hash_password("pw-123", cost)
        assert verify_password(h, "pw-123") and not verify_password(h, "pw-124")
    assert not verify_password("plaintext", "plaintext")
    assert not verify_password("$argon2id$garbage", "x")


def test_bad_config_is_a_one_line_error(tmp_path: Path) -> None:
    cases = {
        "missing-key.yaml": "issuer: a\nservice: b\n",
        "bad-action.yaml": "issuer: a\nservice: b\nsigning_key: k.pem\nrules: [{subjects: [x], actions: [fly]}]\n",
        "not-a-map.yaml": "- 1\n- 2\n",
        "alias-bomb.yaml": "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
        "e: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n",
    }
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
        with pytest.raises(UsageError) as err:
            load_config(tmp_path / name)
        assert "\n" not in str(err.value)


def test_client_address_behind_trusted_proxies() -> None:
    import ipaddress

    from seawall.registry.auth.server import client_address

    lb = (ipaddress.ip_network("10.0.0.0/8"),)
    assert client_address("10.0.0.5", "203.0.113.9", ()) == "10.0.0.5"  # no trusted proxies: the peer
    assert client_address("198.51.100.1", "203.0.113.9", lb) == "198.51.100.1"  # untrusted peer: ignored
    # A spoofed first hop is not believed: the last hop before the trusted proxies is the client.
    assert client_address("10.0.0.5", "1.2.3.4, 203.0.113.9, 10.0.0.7", lb) == "203.0.113.9"
    assert client_address("10.0.0.5", "10.0.0.6", lb) == "10.0.0.6"
    assert client_address("10.0.0.5", "garbage", lb) == "garbage"
