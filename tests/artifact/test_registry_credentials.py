"""Credentials from flags and from real Docker ``config.json`` files."""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path

import pytest

from seawall.artifact.credentials import (
    Credentials,
    credentials_from_config,
    docker_config_path,
    find_credentials,
)


def write_config(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data))
    return path


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_flags_win_over_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(tmp_path / "config.json", {"auths": {"r.example": {"auth": b64("cfg:pw")}}})
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    assert find_credentials("r.example", "flag", "secret") == Credentials("flag", "secret")
    assert find_credentials("r.example") == Credentials("cfg", "pw")
    assert find_credentials("other.example") is None


def test_docker_config_location(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "d"))
    assert docker_config_path() == tmp_path / "d" / "config.json"
    monkeypatch.delenv("DOCKER_CONFIG")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert docker_config_path() == tmp_path / ".docker" / "config.json"


def test_docker_hub_keys(tmp_path: Path) -> None:
    cfg = write_config(
        tmp_path / "c.json", {"auths": {"https://index.docker.io/v1/": {"auth": b64("hub:pw:with:colons")}}}
    )
    assert credentials_from_config(cfg, "docker.io") == Credentials("hub", "pw:with:colons")
    assert credentials_from_config(cfg, "registry.example") is None
    short = write_config(tmp_path / "d.json", {"auths": {"docker.io": {"username": "u", "password": "p"}}})
    assert credentials_from_config(short, "docker.io") == Credentials("u", "p")


def test_url_keys_and_username_password(tmp_path: Path) -> None:
    cfg = write_config(
        tmp_path / "c.json",
        {"auths": {"https://reg.example:5000/v2/": {"username": "u", "password": "p"}}},
    )
    assert credentials_from_config(cfg, "reg.example:5000") == Credentials("u", "p")


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        "[1, 2]",
        json.dumps({"auths": {"r.example": {"auth": "%%%not-base64"}}}),
        json.dumps({"auths": {"r.example": {"auth": b64("no-colon")}}}),
        json.dumps({"auths": {"r.example": "string"}}),
        json.dumps({"auths": ["r.example"]}),
    ],
)
def test_broken_configs_are_ignored(tmp_path: Path, content: str) -> None:
    path = tmp_path / "c.json"
    path.write_text(content)
    assert credentials_from_config(path, "r.example") is None


def test_helpers_warn(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cfg = write_config(tmp_path / "c.json", {"credHelpers": {"r.example": "ecr-login"}, "credsStore": "pass"})
    with caplog.at_level(logging.WARNING, logger="seawall"):
        assert credentials_from_config(cfg, "r.example") is None
    assert "credential helper for r.example is not supported" in caplog.text
    assert "credsStore 'pass' is not supported" in caplog.text


def test_secret_not_in_repr() -> None:
    assert "hunter2" not in repr(Credentials("u", "hunter2"))


def test_huge_config_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    with path.open("wb") as f:
        f.truncate(5 << 20)
    assert credentials_from_config(path, "r.example") is None


def test_identity_token_warns(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cfg = write_config(tmp_path / "c.json", {"auths": {"acr.example": {"identitytoken": "eyJ..."}}})
    with caplog.at_level(logging.WARNING, logger="seawall"):
        assert credentials_from_config(cfg, "acr.example") is None
    assert "identity token, which is not supported" in caplog.text
