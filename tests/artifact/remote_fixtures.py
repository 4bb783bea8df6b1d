"""Session fixtures for the remote sources: registries (anonymous, htpasswd, token) and Podman.

The three registries share one storage directory, filled once by pushing with skopeo to the
anonymous one: the real minbase image as an OCI manifest (``:oci``) and as a Docker schema2
manifest (``:docker``), and a two-platform index (``seawall/multi:latest``).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import socket as socketlib
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from regservers import FaultProxy, Registry, TokenServer, push, start_registry, stop

from imagetools import OCI_INDEX, SyntheticImage, files, layer_tar, write_oci_layout
from realimages import BUILD_VERSION, TEST_CACHE, BuiltImage, have, locked

USER, PASSWORD = "seawall", "s3cret-pass"


@dataclass(frozen=True)
class SourceFacts:
    """What a pull must reproduce: the source image's config digest and diff_ids."""

    manifest_digest: str
    config_digest: str
    diff_ids: tuple[str, ...]


def layout_facts(layout: Path, tag: str) -> SourceFacts:
    """Read config digest and diff_ids straight from an OCI layout on disk."""
    index = json.loads((layout / "index.json").read_text())
    desc = next(
        m
        for m in index["manifests"]
        if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag
    )
    blobs = layout / "blobs" / "sha256"
    manifest = json.loads((blobs / desc["digest"].split(":")[1]).read_text())
    config_digest = manifest["config"]["digest"]
    config = json.loads((blobs / config_digest.split(":")[1]).read_text())
    return SourceFacts(desc["digest"], config_digest, tuple(config["rootfs"]["diff_ids"]))


@dataclass(frozen=True)
class Registries:
    anon: Registry
    basic: Registry
    token: Registry
    token_server: TokenServer
    minbase: SourceFacts
    arm64: SourceFacts
    workdir: Path


def _multi_platform_layout(root: Path, minbase: BuiltImage) -> tuple[Path, SourceFacts]:
    """An OCI layout whose tag ``multi`` is an index: minbase for linux/amd64, a small linux/arm64 image."""
    layout = root / "multi"
    arm = SyntheticImage(
        layers=[layer_tar(files({"etc/os-release": "ID=debian\n", "arm-only": "aarch64"}))],
        created_by=["synthetic arm64 layer"],
        architecture="arm64",
    )
    write_oci_layout(layout, arm, tag="arm")
    arm_facts = layout_facts(layout, "arm")
    src_blobs = minbase.oci_dir / "blobs" / "sha256"
    for blob in src_blobs.iterdir():
        shutil.copyfile(blob, layout / "blobs" / "sha256" / blob.name)
    base = layout_facts(minbase.oci_dir, minbase.tag)
    index = json.loads((layout / "index.json").read_text())
    arm_desc = next(m for m in index["manifests"] if m["digest"] == arm_facts.manifest_digest)
    amd_size = (src_blobs / base.manifest_digest.split(":")[1]).stat().st_size
    image_index = {
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": base.manifest_digest,
                "size": amd_size,
                "platform": {"os": "linux", "architecture": "amd64"},
            },
            {
                "mediaType": arm_desc["mediaType"],
                "digest": arm_desc["digest"],
                "size": arm_desc["size"],
                "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"},
            },
        ],
    }
    data = json.dumps(image_index).encode()
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    (layout / "blobs" / "sha256" / digest.split(":")[1]).write_bytes(data)
    index["manifests"].append(
        {
            "mediaType": OCI_INDEX,
            "digest": digest,
            "size": len(data),
            "annotations": {"org.opencontainers.image.ref.name": "multi"},
        }
    )
    (layout / "index.json").write_text(json.dumps(index))
    return layout, arm_facts


@pytest.fixture(scope="session", name="registries")
def registries_fixture(
    minbase_image: BuiltImage, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Registries]:
    """Anonymous, htpasswd and token-auth registries over one storage holding the test images."""
    for tool in ("docker-registry", "skopeo", "htpasswd"):
        if not have(tool):
            pytest.fail(f"{tool} is not installed: run `make test`, which installs it")
    work = tmp_path_factory.mktemp("registries")
    storage = work / "storage"
    started: list[Registry] = []
    token_server = TokenServer(users={USER: PASSWORD}, workdir=work / "token").start()
    try:
        anon = start_registry(work / "anon", storage)
        started.append(anon)
        push(f"oci:{minbase_image.oci_dir}:{minbase_image.tag}", anon, "seawall/minbase:oci")
        push(f"docker-archive:{minbase_image.docker_archive}", anon, "seawall/minbase:docker")
        layout, arm_facts = _multi_platform_layout(work, minbase_image)
        push(f"oci:{layout}:multi", anon, "seawall/multi:latest", "--all")
        htpasswd = subprocess.run(
            ["htpasswd", "-Bbn", USER, PASSWORD], check=True, capture_output=True, text=True
        ).stdout
        (work / "htpasswd").write_text(htpasswd)
        basic = start_registry(
            work / "basic",
            storage,
            {"htpasswd": {"realm": "seawall-test", "path": str(work / "htpasswd")}},
        )
        started.append(basic)
        token = start_registry(work / "tokenreg", storage, token_server.token_auth_config())
        started.append(token)
        yield Registries(
            anon=anon,
            basic=basic,
            token=token,
            token_server=token_server,
            minbase=layout_facts(minbase_image.oci_dir, minbase_image.tag),
            arm64=arm_facts,
            workdir=work,
        )
    finally:
        for reg in started:
            stop(reg.proc)
        token_server.stop()


@pytest.fixture(name="proxy")
def proxy_fixture(registries: Registries) -> Iterator[FaultProxy]:
    """A fresh counting/fault-injecting proxy in front of the anonymous registry."""
    p = FaultProxy(registries.anon.port)
    try:
        yield p
    finally:
        p.stop()


@dataclass(frozen=True)
class PodmanService:
    socket: Path
    image: str
    command: tuple[str, ...]


@pytest.fixture(scope="session", name="podman_service")
def podman_service_fixture(
    minbase_image: BuiltImage, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PodmanService]:
    """``podman system service`` on a unix socket in a tmp dir, with the minbase docker-archive loaded."""
    if not have("podman"):
        pytest.fail("podman is not installed: run `make test`, which installs it")
    work = tmp_path_factory.mktemp("podman")
    # The image store is cached between runs (deleting a vfs store takes ~20 s here); podman records
    # the run root in its database, so that is fixed too. The socket and log are per run.
    # vfs: no overlay mounts; explicit --root/--runroot (MACHINE-NOTES.md).
    store = TEST_CACHE / f"podman-vfs-v{BUILD_VERSION}"
    base = (
        "podman", "--storage-driver", "vfs", "--runtime", "runc", "--cgroup-manager=cgroupfs",
        "--events-backend=file", "--root", str(store / "root"), "--runroot", str(store / "runroot"),
    )  # fmt: skip
    image = "localhost/seawall-test:base"
    with locked("podman-vfs"):
        if subprocess.run([*base, "image", "exists", image], capture_output=True).returncode != 0:
            subprocess.run(
                [*base, "load", "-q", "-i", str(minbase_image.docker_archive)],
                check=True,
                capture_output=True,
            )
    sock = work / "podman.sock"
    log = (work / "service.log").open("wb")
    proc = subprocess.Popen(
        [*base, "system", "service", "--time=0", f"unix://{sock}"], stdout=log, stderr=log
    )
    try:
        _wait_for_socket(sock, proc)
        yield PodmanService(socket=sock, image=image, command=base)
    finally:
        stop(proc)
        log.close()
        _unmount_under(work)
        shutil.rmtree(work, ignore_errors=True)


def _wait_for_socket(sock: Path, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"podman system service exited with {proc.returncode}")
        if sock.exists():
            with socketlib.socket(socketlib.AF_UNIX) as s:
                try:
                    s.connect(str(sock))
                    return
                except OSError:
                    pass
        time.sleep(0.05)
    raise RuntimeError("podman system service did not create its socket")


def _unmount_under(root: Path) -> None:
    """Unmount anything Podman left mounted below ``root`` (deepest first)."""
    prefix = str(root) + "/"
    mounts = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()]
    for mnt in sorted((m for m in mounts if m.startswith(prefix)), key=len, reverse=True):
        subprocess.run(["umount", "-l", mnt], check=False)
