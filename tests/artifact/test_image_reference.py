"""Image reference parsing, WWW-Authenticate challenges and platform strings."""

from __future__ import annotations

import pytest

from seawall.artifact.platform import parse_platform
from seawall.artifact.reference import parse_reference
from seawall.artifact.registry import parse_challenge
from seawall.errors import UsageError

DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize(
    ("text", "registry", "repository", "tag", "digest", "api_host"),
    [
        ("alpine", "docker.io", "library/alpine", "", "", "registry-1.docker.io"),
        ("alpine:3.20", "docker.io", "library/alpine", "3.20", "", "registry-1.docker.io"),
        ("user/app:v1", "docker.io", "user/app", "v1", "", "registry-1.docker.io"),
        ("docker.io/library/debian:12", "docker.io", "library/debian", "12", "", "registry-1.docker.io"),
        ("index.docker.io/nginx", "docker.io", "library/nginx", "", "", "registry-1.docker.io"),
        ("docker://ghcr.io/o/r:t", "ghcr.io", "o/r", "t", "", "ghcr.io"),
        ("localhost/app", "localhost", "app", "", "", "localhost"),
        ("localhost:5000/a/b/c:tag", "localhost:5000", "a/b/c", "tag", "", "localhost:5000"),
        ("127.0.0.1:5000/app@" + DIGEST, "127.0.0.1:5000", "app", "", DIGEST, "127.0.0.1:5000"),
        ("quay.io/org/app:v1@" + DIGEST, "quay.io", "org/app", "v1", DIGEST, "quay.io"),
        ("[::1]:5000/app:x", "[::1]:5000", "app", "x", "", "[::1]:5000"),
        ("my_registry/app", "docker.io", "my_registry/app", "", "", "registry-1.docker.io"),
    ],
)
def test_parse(text: str, registry: str, repository: str, tag: str, digest: str, api_host: str) -> None:
    ref = parse_reference(text)
    assert (ref.registry, ref.repository, ref.tag, ref.digest) == (registry, repository, tag, digest)
    assert ref.api_host == api_host
    assert ref.reference == (digest or tag or "latest")


def test_familiar_name() -> None:
    assert parse_reference("alpine:3").familiar_name == "alpine"
    assert parse_reference("user/app").familiar_name == "user/app"
    assert parse_reference("host:5000/app").familiar_name == "host:5000/app"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "UPPER/case",
        "app:bad tag",
        "app@sha256:xyz",
        "app@sha256:" + "a" * 63,
        "host:5000/",
        "a//b",
        "app:" + "t" * 129,
        "../etc/passwd",
        "host:5000/app/../../x",
        "x" * 300,
    ],
)
def test_invalid(text: str) -> None:
    with pytest.raises(UsageError):
        parse_reference(text)


def test_challenges() -> None:
    c = parse_challenge(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"'
    )
    assert c is not None and c.scheme == "bearer"
    assert c.params == {
        "realm": "https://auth.docker.io/token",
        "service": "registry.docker.io",
        "scope": "repository:library/alpine:pull",
    }
    basic = parse_challenge('Basic realm="Registry Realm"')
    assert basic is not None and basic.scheme == "basic" and basic.params["realm"] == "Registry Realm"
    bare = parse_challenge("Bearer realm=http://127.0.0.1:1/token, service=svc")
    assert (
        bare is not None
        and bare.params["realm"] == "http://127.0.0.1:1/token"
        and bare.params["service"] == "svc"
    )
    assert parse_challenge("") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("linux/amd64", ("linux", "amd64", "")),
        ("linux/x86_64", ("linux", "amd64", "")),
        ("linux/aarch64", ("linux", "arm64", "")),
        ("Linux/ARM/v7", ("linux", "arm", "v7")),
    ],
)
def test_platform(text: str, expected: tuple[str, str, str]) -> None:
    assert parse_platform(text) == expected


@pytest.mark.parametrize("text", ["amd64", "linux/", "linux/arm/v7/x", ""])
def test_bad_platform(text: str) -> None:
    with pytest.raises(UsageError):
        parse_platform(text)
