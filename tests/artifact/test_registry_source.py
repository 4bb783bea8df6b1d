"""The registry image source against the real distribution registry (anonymous, htpasswd, token auth)."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import uuid
from pathlib import Path

import pytest
from regservers import FaultProxy, fail_times, push, self_signed_cert, start_registry, stop
from remote_fixtures import PASSWORD, USER, Registries, layout_facts, proxy_fixture, registries_fixture  # noqa: F401

from imagetools import SyntheticImage, files, layer_tar, write_oci_layout
from seawall.analyze.streams import Limits
from seawall.analyze.walker import analyze_layer
from seawall.artifact.options import SourceOptions
from seawall.artifact.registry import DOCKER_MANIFEST, open_registry_image
from seawall.errors import DigestMismatchError, LimitExceededError, RegistryError

pytestmark = pytest.mark.slow


def opts(cache_dir: Path, **kw: object) -> SourceOptions:
    kw.setdefault("insecure", True)
    return SourceOptions(cache_dir=cache_dir, **kw)  # type: ignore[arg-type]


def cache_files(cache_dir: Path) -> set[str]:
    return {str(p.relative_to(cache_dir)) for p in cache_dir.rglob("*") if p.is_file()}


def expected_cache(config_digest: str, layer_digests: list[str]) -> set[str]:
    return {f"blobs/sha256/{d.split(':')[1]}" for d in [config_digest, *layer_digests]}


@pytest.fixture(autouse=True)
def no_docker_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Keep the machine's own ~/.docker/config.json out of the tests."""
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "no-docker-config"))


@pytest.mark.parametrize(("tag", "media_type"), [("oci", ""), ("docker", DOCKER_MANIFEST)])
def test_pull_matches_source_layout(
    registries: Registries, cache_dir: Path, tag: str, media_type: str
) -> None:
    ref = f"{registries.anon.host}/seawall/minbase:{tag}"
    image = open_registry_image(ref, opts(cache_dir))
    assert image.config_digest == registries.minbase.config_digest
    assert tuple(layer.diff_id for layer in image.layers) == registries.minbase.diff_ids
    assert image.name == ref
    assert image.repo_tags == (f"{registries.anon.host}/seawall/minbase:{tag}",)
    assert image.repo_digests[0].startswith(f"{registries.anon.host}/seawall/minbase@sha256:")
    assert image.manifest.get("mediaType", "") == media_type
    assert image.layers[0].created_by == "mmdebstrap --variant=minbase bookworm"
    assert image.config["architecture"] == "amd64"
    # Blobs land in the cache and nothing else does (the tmp dir is left empty).
    digests = [layer.digest for layer in image.layers]
    assert cache_files(cache_dir) == expected_cache(image.config_digest, digests)
    for layer in image.layers:
        assert layer.source.blob.path.parent == cache_dir / "blobs" / "sha256"
        assert layer.source.digest == layer.digest and layer.source.diff_id == layer.diff_id
    assert image.metadata().size == sum(layer.source.blob.path.stat().st_size for layer in image.layers)


def test_oci_pull_repo_digest_is_the_pushed_manifest(registries: Registries, cache_dir: Path) -> None:
    image = open_registry_image(f"{registries.anon.host}/seawall/minbase:oci", opts(cache_dir))
    assert image.repo_digests == (
        f"{registries.anon.host}/seawall/minbase@{registries.minbase.manifest_digest}",
    )
    by_digest = open_registry_image(
        f"{registries.anon.host}/seawall/minbase@{registries.minbase.manifest_digest}", opts(cache_dir)
    )
    assert by_digest.repo_tags == ()
    assert by_digest.config_digest == image.config_digest


def test_second_pull_downloads_nothing(proxy: FaultProxy, cache_dir: Path) -> None:
    ref = f"{proxy.host}/seawall/minbase:docker"
    first = open_registry_image(ref, opts(cache_dir))
    assert proxy.blob_gets() == 2  # config + one layer
    before = {p: p.stat().st_mtime_ns for p in (cache_dir / "blobs" / "sha256").iterdir()}
    second = open_registry_image(ref, opts(cache_dir))
    assert proxy.blob_gets() == 2
    assert second.config_digest == first.config_digest
    assert {p: p.stat().st_mtime_ns for p in (cache_dir / "blobs" / "sha256").iterdir()} == before


@pytest.mark.parametrize(("compression", "suffix"), [("zstd", "+zstd"), (None, ".tar")])
def test_multi_layer_image_is_walkable(
    registries: Registries, cache_dir: Path, tmp_path: Path, compression: str | None, suffix: str
) -> None:
    marker = uuid.uuid4().hex
    image = SyntheticImage(
        layers=[layer_tar(files({f"layer{i}/file": f"{marker} {i}"})) for i in range(5)],
        created_by=[f"step {i}" for i in range(5)],
    )
    layout = write_oci_layout(tmp_path / "layout", image, tag="z", compression=compression)
    # --preserve-digests: skopeo would otherwise gzip uncompressed layers on the way.
    push(f"oci:{layout}:z", registries.anon, f"seawall/layers-{marker[:8]}:z", "--preserve-digests")
    pulled = open_registry_image(f"{registries.anon.host}/seawall/layers-{marker[:8]}:z", opts(cache_dir))
    source = layout_facts(layout, "z")
    assert tuple(layer.diff_id for layer in pulled.layers) == source.diff_ids
    assert [layer.created_by for layer in pulled.layers] == [f"step {i}" for i in range(5)]
    assert all(layer.media_type.endswith(suffix) for layer in pulled.layers)
    for layer in pulled.layers:  # the walker verifies both digests while reading
        facts = analyze_layer(layer.source, [], Limits())
        assert facts.entries >= 1


def test_platform_selection_from_index(registries: Registries, cache_dir: Path) -> None:
    ref = f"{registries.anon.host}/seawall/multi:latest"
    amd = open_registry_image(ref, opts(cache_dir))
    assert amd.config_digest == registries.minbase.config_digest
    arm = open_registry_image(ref, opts(cache_dir, platform="linux/arm64"))
    assert arm.config_digest == registries.arm64.config_digest
    assert arm.config["architecture"] == "arm64"
    assert tuple(layer.diff_id for layer in arm.layers) == registries.arm64.diff_ids
    # The repo digest names the index the tag points at, for both platforms.
    assert arm.repo_digests == amd.repo_digests
    assert (
        open_registry_image(ref, opts(cache_dir, platform="linux/arm64/v8")).config_digest
        == arm.config_digest
    )


def test_no_matching_platform_lists_available(registries: Registries, cache_dir: Path) -> None:
    with pytest.raises(RegistryError) as err:
        open_registry_image(
            f"{registries.anon.host}/seawall/multi:latest", opts(cache_dir, platform="linux/s390x")
        )
    msg = str(err.value)
    assert "linux/s390x" in msg and "linux/amd64" in msg and "linux/arm64/v8" in msg
    assert "\n" not in msg


def test_missing_manifest_is_a_clear_error(registries: Registries, cache_dir: Path) -> None:
    with pytest.raises(RegistryError, match=r"not found.*404") as err:
        open_registry_image(f"{registries.anon.host}/seawall/minbase:no-such-tag", opts(cache_dir))
    assert "seawall/minbase:no-such-tag" in str(err.value)
    assert cache_files(cache_dir) == set()


def test_tampered_blob_gives_digest_mismatch(registries: Registries, cache_dir: Path, tmp_path: Path) -> None:
    marker = uuid.uuid4().hex
    image = SyntheticImage(layers=[layer_tar(files({"tampered": marker * 100}))])
    layout = write_oci_layout(tmp_path / "layout", image, tag="t")
    push(f"oci:{layout}:t", registries.anon, f"seawall/tamper-{marker[:8]}:t")
    manifest = json.loads(
        (layout / "blobs/sha256" / layout_facts(layout, "t").manifest_digest.split(":")[1]).read_text()
    )
    layer_digest = manifest["layers"][0]["digest"]
    data_path = registries.anon.blob_data(layer_digest)
    data = bytearray(data_path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, different bytes
    data_path.write_bytes(bytes(data))
    with pytest.raises(DigestMismatchError) as err:
        open_registry_image(
            f"{registries.anon.host}/seawall/tamper-{marker[:8]}:t", opts(cache_dir, retries=0)
        )
    assert layer_digest in str(err.value)
    names = cache_files(cache_dir)
    assert f"blobs/sha256/{layer_digest.split(':')[1]}" not in names
    assert not any(name.startswith("tmp/") for name in names)


# -- authentication ------------------------------------------------------------------------------


def test_basic_auth_with_credentials(registries: Registries, cache_dir: Path) -> None:
    ref = f"{registries.basic.host}/seawall/minbase:docker"
    image = open_registry_image(ref, opts(cache_dir, username=USER, password=PASSWORD))
    assert image.config_digest == registries.minbase.config_digest


def test_basic_auth_wrong_password(registries: Registries, cache_dir: Path) -> None:
    ref = f"{registries.basic.host}/seawall/minbase:docker"
    with pytest.raises(RegistryError, match="wrong username or password") as err:
        open_registry_image(ref, opts(cache_dir, username=USER, password="nope"))
    assert "\n" not in str(err.value)
    with pytest.raises(RegistryError, match="authentication required"):
        open_registry_image(ref, opts(cache_dir))
    assert cache_files(cache_dir) == set()


def test_basic_auth_from_docker_config(
    registries: Registries, cache_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conf = tmp_path / "docker"
    conf.mkdir()
    auth = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    (conf / "config.json").write_text(json.dumps({"auths": {registries.basic.host: {"auth": auth}}}))
    monkeypatch.setenv("DOCKER_CONFIG", str(conf))
    image = open_registry_image(f"{registries.basic.host}/seawall/minbase:oci", opts(cache_dir))
    assert image.config_digest == registries.minbase.config_digest


def test_docker_config_helpers_are_skipped_with_a_warning(
    registries: Registries,
    cache_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    conf = tmp_path / "docker"
    conf.mkdir()
    (conf / "config.json").write_text(json.dumps({"credsStore": "desktop", "auths": {}}))
    monkeypatch.setenv("DOCKER_CONFIG", str(conf))
    with caplog.at_level(logging.WARNING, logger="seawall"), pytest.raises(RegistryError):
        open_registry_image(f"{registries.basic.host}/seawall/minbase:oci", opts(cache_dir))
    assert "credsStore 'desktop' is not supported" in caplog.text


def test_token_auth_with_credentials(registries: Registries, cache_dir: Path) -> None:
    registries.token_server.requests.clear()
    ref = f"{registries.token.host}/seawall/minbase:oci"
    image = open_registry_image(ref, opts(cache_dir, username=USER, password=PASSWORD))
    assert image.config_digest == registries.minbase.config_digest
    assert tuple(layer.diff_id for layer in image.layers) == registries.minbase.diff_ids
    assert any("scope=repository%3Aseawall%2Fminbase%3Apull" in r for r in registries.token_server.requests)


def test_token_auth_wrong_credentials(registries: Registries, cache_dir: Path) -> None:
    ref = f"{registries.token.host}/seawall/minbase:oci"
    with pytest.raises(RegistryError, match="wrong username or password") as err:
        open_registry_image(ref, opts(cache_dir, username=USER, password="wrong"))
    assert "\n" not in str(err.value)
    # Anonymous: the token server grants nothing, so the registry keeps answering 401.
    with pytest.raises(RegistryError, match="authentication failed"):
        open_registry_image(ref, opts(cache_dir))
    assert cache_files(cache_dir) == set()


# -- hostile or failing servers --------------------------------------------------------------------


def test_non_json_manifest(proxy: FaultProxy, cache_dir: Path) -> None:
    proxy.rule = lambda method, path: (
        (200, {"Content-Type": "text/html"}, b"<html>login portal</html>") if "/manifests/" in path else None
    )
    with pytest.raises(RegistryError, match="not valid JSON") as err:
        open_registry_image(f"{proxy.host}/seawall/minbase:oci", opts(cache_dir))
    assert "\n" not in str(err.value)


def test_schema1_manifest_refused(proxy: FaultProxy, cache_dir: Path) -> None:
    body = json.dumps({"schemaVersion": 1, "name": "seawall/minbase", "tag": "oci", "fsLayers": []}).encode()
    proxy.rule = lambda method, path: (
        (200, {"Content-Type": "application/vnd.docker.distribution.manifest.v1+prettyjws"}, body)
        if "/manifests/" in path
        else None
    )
    with pytest.raises(RegistryError, match="schema 1"):
        open_registry_image(f"{proxy.host}/seawall/minbase:oci", opts(cache_dir))


def test_artifact_manifest_is_an_unsupported_media_type(proxy: FaultProxy, cache_dir: Path) -> None:
    body = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.cncf.helm.config.v1+json",
                "digest": "sha256:" + "a" * 64,
                "size": 2,
            },
            "layers": [],
        }
    ).encode()
    proxy.rule = lambda method, path: (
        (200, {"Content-Type": "application/vnd.oci.image.manifest.v1+json"}, body)
        if "/manifests/" in path
        else None
    )
    with pytest.raises(RegistryError, match=r"helm\.config.*not a container image"):
        open_registry_image(f"{proxy.host}/seawall/minbase:oci", opts(cache_dir))


def test_huge_manifest_is_refused(proxy: FaultProxy, cache_dir: Path) -> None:
    body = b"{" + b" " * (5 << 20) + b"}"
    proxy.rule = lambda method, path: (
        (200, {"Content-Type": "application/vnd.oci.image.manifest.v1+json"}, body)
        if "/manifests/" in path
        else None
    )
    with pytest.raises(LimitExceededError, match="manifest is larger"):
        open_registry_image(f"{proxy.host}/seawall/minbase:oci", opts(cache_dir))


def test_retries_503_then_succeeds(proxy: FaultProxy, cache_dir: Path) -> None:
    proxy.rule = fail_times(2, 503)
    image = open_registry_image(f"{proxy.host}/seawall/minbase:oci", opts(cache_dir, retries=3))
    assert image.config_digest is not None
    assert proxy.counts["GET /v2/"] == 3  # two 503s, then the real answer


def test_always_429_gives_up_after_retries(proxy: FaultProxy, cache_dir: Path) -> None:
    proxy.rule = lambda method, path: (429, {"Retry-After": "0"}, b"slow down")
    with pytest.raises(RegistryError, match="429") as err:
        open_registry_image(f"{proxy.host}/seawall/minbase:oci", opts(cache_dir, retries=2))
    assert "\n" not in str(err.value)
    assert sum(proxy.counts.values()) == 3  # one try plus two retries, nothing more


def test_plain_http_registry_without_insecure(registries: Registries, cache_dir: Path) -> None:
    with pytest.raises(RegistryError, match="--insecure"):
        open_registry_image(f"{registries.anon.host}/seawall/minbase:oci", opts(cache_dir, insecure=False))


def test_corrupt_cached_config_is_fetched_again(proxy: FaultProxy, cache_dir: Path) -> None:
    ref = f"{proxy.host}/seawall/minbase:oci"
    image = open_registry_image(ref, opts(cache_dir))
    config_path = cache_dir / "blobs" / "sha256" / image.config_digest.split(":")[1]
    data = bytearray(config_path.read_bytes())
    data[0] ^= 0x01  # same size, wrong content
    config_path.write_bytes(bytes(data))
    again = open_registry_image(ref, opts(cache_dir))
    assert proxy.blob_gets() == 3  # config + layer, then the config once more
    assert again.config == image.config


def test_single_platform_image_for_another_platform_warns(
    registries: Registries, cache_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="seawall"):
        image = open_registry_image(
            f"{registries.anon.host}/seawall/minbase:oci", opts(cache_dir, platform="linux/arm64")
        )
    assert image.config["architecture"] == "amd64"
    assert "single-platform image for linux/amd64, not linux/arm64" in caplog.text


def test_token_fetched_on_401_with_the_challenge_scope(registries: Registries, cache_dir: Path) -> None:
    # The ping answers 200 without a challenge, so the first 401 comes from the manifest request.
    front = FaultProxy(registries.token.port)
    front.rule = lambda method, path: (
        (200, {"Content-Type": "application/json"}, b"{}") if path == "/v2/" else None
    )
    registries.token_server.requests.clear()
    try:
        image = open_registry_image(
            f"{front.host}/seawall/minbase:oci", opts(cache_dir, username=USER, password=PASSWORD)
        )
    finally:
        front.stop()
    assert image.config_digest == registries.minbase.config_digest
    assert len(registries.token_server.requests) == 1
    assert "scope=repository%3Aseawall%2Fminbase%3Apull" in registries.token_server.requests[0]
    assert front.counts["GET /v2/seawall/minbase/manifests/oci"] == 2  # 401, then with the token


def test_manifest_with_too_many_layers(proxy: FaultProxy, cache_dir: Path) -> None:
    layer = {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": "sha256:" + "b" * 64, "size": 1}
    body = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": "sha256:" + "a" * 64,
                "size": 2,
            },
            "layers": [layer] * 5000,
        }
    ).encode()
    proxy.rule = lambda method, path: (
        (200, {"Content-Type": "application/vnd.oci.image.manifest.v1+json"}, body)
        if "/manifests/" in path
        else None
    )
    with pytest.raises(LimitExceededError, match="more than 1000 layers"):
        open_registry_image(f"{proxy.host}/seawall/minbase:oci", opts(cache_dir))
    assert proxy.blob_gets() == 0


def test_blob_cut_short_is_downloaded_again(proxy: FaultProxy, cache_dir: Path) -> None:
    proxy.truncate_blobs = 1  # the first blob (the config) stops half way
    image = open_registry_image(f"{proxy.host}/seawall/minbase:oci", opts(cache_dir, progress=True))
    config_file = cache_dir / "blobs/sha256" / image.config_digest.split(":")[1]
    assert "sha256:" + hashlib.sha256(config_file.read_bytes()).hexdigest() == image.config_digest
    assert proxy.blob_gets() == 3  # config twice, layer once
    assert not (cache_dir / "tmp").exists() or list((cache_dir / "tmp").iterdir()) == []


def test_blob_missing_from_registry(registries: Registries, cache_dir: Path, tmp_path: Path) -> None:
    marker = uuid.uuid4().hex
    layout = write_oci_layout(
        tmp_path / "layout", SyntheticImage(layers=[layer_tar(files({"gone": marker}))]), tag="g"
    )
    push(f"oci:{layout}:g", registries.anon, f"seawall/gone-{marker[:8]}:g")
    manifest_digest = layout_facts(layout, "g").manifest_digest
    manifest = json.loads((layout / "blobs/sha256" / manifest_digest.split(":")[1]).read_text())
    layer_digest = manifest["layers"][0]["digest"]
    registries.anon.blob_data(layer_digest).unlink()
    with pytest.raises(
        RegistryError, match=rf"blob {layer_digest} not found in seawall/gone-{marker[:8]}"
    ) as err:
        open_registry_image(f"{registries.anon.host}/seawall/gone-{marker[:8]}:g", opts(cache_dir))
    assert "\n" not in str(err.value)
    assert f"blobs/sha256/{layer_digest.split(':')[1]}" not in cache_files(cache_dir)


def test_deeply_nested_manifest(proxy: FaultProxy, cache_dir: Path) -> None:
    body = b"[" * 200_000 + b"]" * 200_000
    proxy.rule = lambda method, path: (
        (200, {"Content-Type": "application/vnd.oci.image.manifest.v1+json"}, body)
        if "/manifests/" in path
        else None
    )
    with pytest.raises(RegistryError, match="not valid JSON"):
        open_registry_image(f"{proxy.host}/seawall/minbase:oci", opts(cache_dir))


def test_repeated_layer_is_downloaded_once(registries: Registries, cache_dir: Path, tmp_path: Path) -> None:
    marker = uuid.uuid4().hex
    same = layer_tar(files({"same": marker}))
    image = SyntheticImage(layers=[same, layer_tar(files({"other": marker})), same])
    layout = write_oci_layout(tmp_path / "layout", image, tag="r")
    push(f"oci:{layout}:r", registries.anon, f"seawall/repeat-{marker[:8]}:r")
    pulled = open_registry_image(f"{registries.anon.host}/seawall/repeat-{marker[:8]}:r", opts(cache_dir))
    assert tuple(layer.diff_id for layer in pulled.layers) == layout_facts(layout, "r").diff_ids
    assert pulled.layers[0].source.blob.path == pulled.layers[2].source.blob.path
    assert len(cache_files(cache_dir)) == 3  # config + two distinct layers


def test_self_signed_https_registry(registries: Registries, cache_dir: Path, tmp_path: Path) -> None:
    tls = self_signed_cert(tmp_path / "tls")
    reg = start_registry(tmp_path / "tlsreg", registries.anon.storage, tls=tls)
    try:
        ref = f"{reg.host}/seawall/minbase:oci"
        with pytest.raises(
            RegistryError, match=r"TLS handshake .*CERTIFICATE_VERIFY_FAILED.*--insecure"
        ) as err:
            open_registry_image(ref, opts(cache_dir, insecure=False, retries=0))
        assert "\n" not in str(err.value)
        image = open_registry_image(ref, opts(cache_dir, insecure=True))
    finally:
        stop(reg.proc)
    assert image.config_digest == registries.minbase.config_digest
    # The registry speaks only TLS, so --insecure used HTTPS without verification (no HTTP fallback).
    assert "http.request.uri=/v2/seawall/minbase/manifests/oci" in reg.log.read_text()
