"""Test helpers that write real image files: layer tars, OCI layouts, OCI and docker archives.

These produce the same on-disk formats as skopeo/podman (checked in the tests against skopeo-made
images), so edge cases (whiteouts, hostile entries, bad digests) can be made in a few lines.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import zstandard

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"


@dataclass
class Entry:
    """One tar entry. ``kind``: file, dir, symlink, hardlink."""

    path: str
    data: bytes = b""
    kind: str = "file"
    linkname: str = ""
    mode: int = 0o644
    declared_size: int | None = None  # lie about the size in the header


def layer_tar(entries: list[Entry]) -> bytes:
    """A layer tar (uncompressed) holding ``entries`` in order."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for e in entries:
            info = tarfile.TarInfo(e.path)
            info.mode = e.mode
            info.mtime = 1_700_000_000
            if e.kind == "dir":
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tar.addfile(info)
            elif e.kind == "symlink":
                info.type = tarfile.SYMTYPE
                info.linkname = e.linkname
                tar.addfile(info)
            elif e.kind == "hardlink":
                info.type = tarfile.LNKTYPE
                info.linkname = e.linkname
                tar.addfile(info)
            else:
                info.size = len(e.data)
                tar.addfile(info, io.BytesIO(e.data))
    data = buf.getvalue()
    return data


def files(mapping: dict[str, bytes | str]) -> list[Entry]:
    """Entries for a mapping of path to content."""
    return [Entry(p, v.encode() if isinstance(v, str) else v) for p, v in mapping.items()]


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def compress(data: bytes, how: str | None) -> bytes:
    if how == "gzip":
        return gzip.compress(data, compresslevel=1, mtime=0)
    if how == "zstd":
        return zstandard.ZstdCompressor().compress(data)
    return data


@dataclass
class SyntheticImage:
    """An image made of layer tars, with a config derived from them."""

    layers: list[bytes]
    created_by: list[str] = field(default_factory=list)
    config_extra: dict[str, Any] = field(default_factory=dict)
    architecture: str = "amd64"
    os: str = "linux"

    def config(self) -> dict[str, Any]:
        history = [
            {"created": "2024-01-01T00:00:00Z", "created_by": (self.created_by + [""] * len(self.layers))[i]}
            for i in range(len(self.layers))
        ]
        cfg: dict[str, Any] = {
            "architecture": self.architecture,
            "os": self.os,
            "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},
            "rootfs": {"type": "layers", "diff_ids": [sha256(layer) for layer in self.layers]},
            "history": history,
        }
        cfg.update(self.config_extra)
        return cfg


def _blob(root: Path, data: bytes) -> str:
    digest = sha256(data)
    path = root / "blobs" / "sha256" / digest.split(":")[1]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return digest


def write_oci_layout(
    root: Path,
    image: SyntheticImage,
    tag: str = "latest",
    compression: str | None = "gzip",
    corrupt_layer: int | None = None,
) -> Path:
    """Write (or add to) an OCI image layout directory; returns ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    layer_descs = []
    for i, layer in enumerate(image.layers):
        blob = compress(layer, compression)
        digest = _blob(root, blob)
        if corrupt_layer == i:
            path = root / "blobs" / "sha256" / digest.split(":")[1]
            path.write_bytes(compress(layer + b"\0" * 1024, compression))
        media = OCI_LAYER + ("+gzip" if compression == "gzip" else "+zstd" if compression == "zstd" else "")
        layer_descs.append({"mediaType": media, "digest": digest, "size": len(blob)})
    config = json.dumps(image.config()).encode()
    config_digest = _blob(root, config)
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": config_digest, "size": len(config)},
        "layers": layer_descs,
    }
    mbytes = json.dumps(manifest).encode()
    mdigest = _blob(root, mbytes)
    index_path = root / "index.json"
    index = (
        json.loads(index_path.read_text())
        if index_path.exists()
        else {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []}
    )
    index["manifests"].append(
        {
            "mediaType": OCI_MANIFEST,
            "digest": mdigest,
            "size": len(mbytes),
            "annotations": {"org.opencontainers.image.ref.name": tag},
            "platform": {"architecture": image.architecture, "os": image.os},
        }
    )
    index_path.write_text(json.dumps(index))
    return root


def write_oci_archive(path: Path, image: SyntheticImage, tag: str = "latest", **kw: Any) -> Path:
    """An oci-archive: a tar of an OCI layout."""
    layout = path.with_suffix(".layout")
    write_oci_layout(layout, image, tag=tag, **kw)
    with tarfile.open(path, "w") as tar:
        for p in sorted(layout.rglob("*")):
            tar.add(p, arcname=str(p.relative_to(layout)), recursive=False)
    return path


def write_docker_archive(
    path: Path,
    image: SyntheticImage,
    repo_tag: str = "localhost/test:latest",
    gzip_outer: bool = False,
    manifest_override: bytes | None = None,
) -> Path:
    """A docker-archive (``docker save`` format, legacy layout: ``<id>/layer.tar``)."""
    config = json.dumps(image.config()).encode()
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:

        def add(name: str, data: bytes) -> None:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1_700_000_000
            tar.addfile(info, io.BytesIO(data))

        layer_names = []
        for layer in image.layers:
            name = hashlib.sha256(layer).hexdigest() + "/layer.tar"
            add(name, layer)
            layer_names.append(name)
        add(config_name, config)
        manifest = [{"Config": config_name, "RepoTags": [repo_tag], "Layers": layer_names}]
        add("manifest.json", manifest_override or json.dumps(manifest).encode())
    data = buf.getvalue()
    path.write_bytes(gzip.compress(data) if gzip_outer else data)
    return path


def dpkg_status(packages: list[tuple[str, str, str]]) -> str:
    """A dpkg status file for (name, version, source-or-empty) triples."""
    out = []
    for name, version, source in packages:
        lines = [
            f"Package: {name}",
            "Status: install ok installed",
            "Priority: optional",
            "Architecture: amd64",
            f"Version: {version}",
        ]
        if source:
            lines.insert(2, f"Source: {source}")
        lines.append(f"Description: test package {name}")
        out.append("\n".join(lines) + "\n")
    return "\n".join(out)


DEBIAN_OS_RELEASE = (
    'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\n'
    'VERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n'
)
