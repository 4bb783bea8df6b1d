"""End to end: a registry pull and a daemon export give the dpkg inventory dpkg-query reports."""

from __future__ import annotations

import json
import subprocess
import tarfile
from pathlib import Path

import pytest
from remote_fixtures import (  # noqa: F401
    PASSWORD,
    USER,
    PodmanService,
    Registries,
    podman_service_fixture,
    registries_fixture,
)

from realimages import BuiltImage
from seawall.analyze.pipeline import scan_image
from seawall.artifact.options import SourceOptions
from seawall.artifact.target import open_image, parse_target
from seawall.model import Inventory

pytestmark = pytest.mark.slow

Triple = tuple[str, str, str]


@pytest.fixture(scope="session")
def dpkg_truth(minbase_image: BuiltImage, tmp_path_factory: pytest.TempPathFactory) -> set[Triple]:
    """``dpkg-query -W`` on the minbase rootfs: (package, version, source package)."""
    root = tmp_path_factory.mktemp("minbase-dpkg")
    with tarfile.open(minbase_image.rootfs_tar) as tar:
        members = [
            m for m in tar if m.name.lstrip("./").startswith("var/lib/dpkg/") and (m.isfile() or m.isdir())
        ]
        tar.extractall(root, members=members, filter="data")
    out = subprocess.run(
        [
            "dpkg-query",
            f"--admindir={root}/var/lib/dpkg",
            "-W",
            "-f",
            "${Package} ${Version} ${source:Package}\n",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    triples = {tuple(line.split(" ")) for line in out.splitlines() if line}
    assert len(triples) > 50  # minbase has about 90 packages: a tiny set means extraction went wrong
    return triples  # type: ignore[return-value]


def dpkg_triples(inventory: Inventory) -> set[Triple]:
    return {(p.name, p.full_version, p.src_name or p.name) for p in inventory.os_packages}


def test_registry_pull_inventory_equals_dpkg_query(
    registries: Registries, dpkg_truth: set[Triple], cache_dir: Path
) -> None:
    opts = SourceOptions(cache_dir=cache_dir, insecure=True)
    with open_image(parse_target(f"docker://{registries.anon.host}/seawall/minbase:docker"), opts) as image:
        inventory = scan_image(image, cache_dir)
    assert inventory.os is not None and inventory.os.family == "debian"
    assert dpkg_triples(inventory) == dpkg_truth
    assert inventory.image is not None
    assert inventory.image.repo_digests[0].startswith(f"{registries.anon.host}/seawall/minbase@sha256:")


def test_daemon_export_inventory_equals_dpkg_query(
    podman_service: PodmanService, dpkg_truth: set[Triple], cache_dir: Path
) -> None:
    opts = SourceOptions(cache_dir=cache_dir, docker_host=f"unix://{podman_service.socket}")
    with open_image(parse_target(f"podman:{podman_service.image}"), opts) as image:
        inventory = scan_image(image, cache_dir)
    assert dpkg_triples(inventory) == dpkg_truth
    # The export is a temporary file: gone once the image is closed.
    assert not any(p.name.startswith("daemon-") for p in (cache_dir / "tmp").rglob("*"))


def test_cli_registry_scan_and_auth_failure(
    registries: Registries, cache_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from seawall.cli.main import main

    host = registries.basic.host
    common = ["--cache-dir", str(cache_dir), "image", "--insecure", "--scanners", "", "--username", USER]
    rc = main([*common, "--password", PASSWORD, "--format", "json", f"{host}/seawall/minbase:docker"])
    out, _ = capsys.readouterr()
    assert rc == 0
    report = json.loads(out)
    assert report["ArtifactName"] == f"{host}/seawall/minbase:docker"
    assert report["Metadata"]["RepoDigests"][0].startswith(f"{host}/seawall/minbase@sha256:")
    assert report["Metadata"]["DiffIDs"] == list(registries.minbase.diff_ids)
    rc = main([*common, "--password", "wrong", f"{host}/seawall/minbase:docker"])
    out, err = capsys.readouterr()
    assert rc == 2 and out == ""
    assert err.strip().splitlines() == [
        f"seawall: error: {host}: authentication failed: wrong username or password"
    ]


def test_plain_reference_found_in_the_engine_first(
    podman_service: PodmanService,
    dpkg_truth: set[Triple],
    cache_dir: Path,
    capsysbinary: pytest.CaptureFixture[bytes],
) -> None:
    """``--image-src docker,remote`` (Trivy's order): a plain reference the engine has is exported from
    it, not pulled; one it lacks falls through to the registry (unreachable here: a one-line error)."""
    from seawall.cli.main import main

    host = f"unix://{podman_service.socket}"
    args = [
        "--cache-dir",
        str(cache_dir),
        "-q",
        "image",
        "--docker-host",
        host,
        "--image-src",
        "docker,remote",
    ]
    rc = main([*args, podman_service.image, "-f", "json", "--list-all-pkgs", "--offline"])
    report = json.loads(capsysbinary.readouterr().out)
    assert rc == 0
    pkgs = next(r for r in report["Results"] if r["Class"] == "os-pkgs")["Packages"]
    assert {p["Name"] for p in pkgs} == {name for name, _, _ in dpkg_truth}
    assert not (cache_dir / "blobs").exists()  # nothing came from a registry
    rc = main([*args, "127.0.0.1:9/nothing-here:1", "--offline", "--timeout", "2"])
    err = capsysbinary.readouterr().err.decode()
    assert rc == 2 and err.strip().splitlines()[-1].startswith("seawall: error:")
