"""Local image sources: OCI layout directories, oci-archives and docker-archives (``docker save``).

Nothing is extracted: an archive is indexed once (member name -> byte range) and each layer is read
in place by the walker. A gzip-compressed archive is first decompressed into Seawall's cache
(``cache/tmp``), since members of a compressed stream cannot be read in place.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from seawall.analyze.streams import GZIP_MAGIC, ZSTD_MAGIC, BlobRef
from seawall.analyze.walker import LayerSource
from seawall.artifact.base import Image, ImageLayer, config_diff_ids, history_created_by
from seawall.artifact.oci import (
    DIGEST_RE,
    MAX_JSON,
    image_from_manifest,
    parse_json,
    resolve_descriptor,
    select_from_index,
    verify,
)
from seawall.errors import ArtifactError, LimitExceededError

MAX_ARCHIVE_MEMBERS = 100_000


class DirBlobStore:
    """Blobs of an OCI layout directory: ``<dir>/blobs/<algo>/<hex>``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, digest: str) -> Path:
        algo, _, hexpart = digest.partition(":")
        path = self.root / "blobs" / algo / hexpart
        if path.is_symlink() or not path.is_file():
            raise ArtifactError(f"{self.root}: blob {digest[:19]} is missing")
        return path

    def read(self, digest: str, limit: int) -> bytes:
        path = self._path(digest)
        if path.stat().st_size > limit:
            raise LimitExceededError(f"{self.root}: blob {digest[:19]} is larger than {limit} bytes")
        return path.read_bytes()

    def ref(self, digest: str) -> BlobRef:
        path = self._path(digest)
        return BlobRef(path, 0, path.stat().st_size)


class TarBlobStore:
    """Members of an uncompressed tar, by name, read in place."""

    def __init__(self, path: Path, display: Path | None = None) -> None:
        self.path = path
        self.display = display or path  # the name the user gave (``path`` may be a decompressed copy)
        self.members: dict[str, tuple[int, int]] = {}
        try:
            with tarfile.open(path, "r:") as tar:
                for i, m in enumerate(tar):
                    if i >= MAX_ARCHIVE_MEMBERS:
                        raise LimitExceededError(
                            f"{self.display} has more than {MAX_ARCHIVE_MEMBERS} members"
                        )
                    if m.isreg():
                        self.members[_clean(m.name)] = (m.offset_data, m.size)
        except (tarfile.TarError, EOFError) as exc:
            raise ArtifactError(f"{self.display} is not a readable tar archive: {exc}") from exc
        except OSError as exc:
            raise ArtifactError(f"cannot read {self.display}: {exc.strerror}") from exc

    def member(self, name: str, limit: int) -> bytes:
        if name not in self.members:
            raise ArtifactError(f"{self.display}: archive has no {name}")
        offset, size = self.members[name]
        if size > limit:
            raise LimitExceededError(f"{self.display}: {name} is larger than {limit} bytes")
        with self.path.open("rb") as f:
            f.seek(offset)
            data = f.read(size)
        if len(data) != size:
            raise ArtifactError(f"{self.display} is truncated inside {name}")
        return data

    def member_ref(self, name: str) -> BlobRef:
        if name not in self.members:
            raise ArtifactError(f"{self.display}: archive names missing blob {name}")
        offset, size = self.members[name]
        if offset + size > self.path.stat().st_size:
            raise ArtifactError(f"{self.display} is truncated inside {name}")
        return BlobRef(self.path, offset, size)

    def _blob_name(self, digest: str) -> str:
        algo, _, hexpart = digest.partition(":")
        return f"blobs/{algo}/{hexpart}"

    def read(self, digest: str, limit: int) -> bytes:
        return self.member(self._blob_name(digest), limit)

    def ref(self, digest: str) -> BlobRef:
        return self.member_ref(self._blob_name(digest))


def _clean(name: str) -> str:
    parts = [p for p in name.split("/") if p not in ("", ".")]
    return "/".join(parts)


def sniff(path: Path, tmp_dir: Path) -> str:
    """Classify an input file: "docker-archive", "oci-archive", or raise."""
    with _plain_tar(path, tmp_dir) as tar_path:
        store = TarBlobStore(tar_path, path)
        if "manifest.json" in store.members:
            return "docker-archive"
        if "index.json" in store.members:
            return "oci-archive"
    raise ArtifactError(f"{path} is neither a docker-archive (manifest.json) nor an oci-archive (index.json)")


@contextmanager
def _plain_tar(path: Path, tmp_dir: Path) -> Iterator[Path]:
    """Yield an uncompressed tar for ``path``, decompressing a gzip archive into ``tmp_dir``."""
    try:
        with path.open("rb") as f:
            head = f.read(4)
    except OSError as exc:
        raise ArtifactError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if head.startswith(ZSTD_MAGIC):
        raise ArtifactError(f"{path}: zstd-compressed archives are not supported; decompress it first")
    if not head.startswith(GZIP_MAGIC):
        yield path
        return
    tmp_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=tmp_dir, prefix="archive-", suffix=".tar")
    try:
        with os.fdopen(fd, "wb") as out, gzip.open(path, "rb") as src:
            shutil.copyfileobj(src, out, 1 << 20)
    except (OSError, EOFError, zlib.error) as exc:
        os.unlink(tmp)
        raise ArtifactError(f"{path}: broken gzip data: {exc}") from exc
    try:
        yield Path(tmp)
    finally:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass


@contextmanager
def open_docker_archive(path: Path, tmp_dir: Path, name: str = "", ref: str = "") -> Iterator[Image]:
    """Open a ``docker save`` / ``podman save`` archive (plain or gzip)."""
    with _plain_tar(path, tmp_dir) as tar_path:
        store = TarBlobStore(tar_path, path)
        manifest_list = _parse_json_list(store.member("manifest.json", MAX_JSON), f"{path}: manifest.json")
        entry = _pick_docker_entry(manifest_list, ref, path)
        config_name = entry.get("Config")
        layer_names = entry.get("Layers")
        if not isinstance(config_name, str) or not isinstance(layer_names, list):
            raise ArtifactError(f"{path}: manifest.json entry has no Config or Layers")
        config_name = _clean(config_name)
        config_bytes = store.member(config_name, MAX_JSON)
        config_digest = _digest_from_name(config_name)
        if config_digest:
            verify(config_bytes, config_digest, "image config")
        else:
            config_digest = "sha256:" + hashlib.sha256(config_bytes).hexdigest()
        config = parse_json(config_bytes, f"{path}: image config")
        diff_ids = config_diff_ids(config)
        if len(diff_ids) != len(layer_names):
            raise ArtifactError(
                f"{path}: manifest lists {len(layer_names)} layers"
                f" but the config has {len(diff_ids)} diff_ids"
            )
        created_by = history_created_by(config, len(layer_names))
        layers = []
        for i, (layer_name, diff_id) in enumerate(zip(layer_names, diff_ids, strict=True)):
            if not isinstance(layer_name, str):
                raise ArtifactError(f"{path}: manifest.json layer entry is not a string")
            member = _clean(layer_name)
            blob_digest = _digest_from_name(member)
            source = LayerSource(
                blob=store.member_ref(member), diff_id=diff_id, digest=blob_digest, label=diff_id[:19]
            )
            layers.append(ImageLayer(diff_id, blob_digest, "", source, created_by[i]))
        tags = entry.get("RepoTags") or []
        yield Image(
            name=name or str(path),
            config_digest=config_digest,
            config=config,
            layers=tuple(layers),
            repo_tags=tuple(t for t in tags if isinstance(t, str)),
        )


@contextmanager
def open_oci_archive(
    path: Path, tmp_dir: Path, name: str = "", ref: str = "", platform: str = "linux/amd64"
) -> Iterator[Image]:  # fmt: skip
    """Open an oci-archive (a tar of an OCI layout), picking the image by tag or digest."""
    with _plain_tar(path, tmp_dir) as tar_path:
        store = TarBlobStore(tar_path, path)
        index = parse_json(store.member("index.json", MAX_JSON), f"{path}: index.json")
        yield _image_from_index(store, index, ref, platform, name or str(path), str(path))


@contextmanager
def open_oci_layout(
    root: Path, name: str = "", ref: str = "", platform: str = "linux/amd64"
) -> Iterator[Image]:
    """Open an OCI image layout directory, picking the image by tag or digest."""
    index_path = root / "index.json"
    if not index_path.is_file():
        raise ArtifactError(f"{root} is not an OCI layout (no index.json)")
    if index_path.stat().st_size > MAX_JSON:
        raise LimitExceededError(f"{index_path} is larger than {MAX_JSON} bytes")
    index = parse_json(index_path.read_bytes(), f"{root}: index.json")
    yield _image_from_index(DirBlobStore(root), index, ref, platform, name or str(root), str(root))


def _image_from_index(
    store: Any, index: dict[str, Any], ref: str, platform: str, name: str, where: str
) -> Image:
    desc, tag = select_from_index(store, index, ref, platform, where)
    _, manifest = resolve_descriptor(store, desc, platform)
    return image_from_manifest(store, manifest, name, repo_tags=(tag,) if tag else ())


def _parse_json_list(data: bytes, what: str) -> list[dict[str, Any]]:
    import json

    try:
        value = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ArtifactError(f"{what} is not valid JSON: {exc}") from exc
    if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
        raise ArtifactError(f"{what} is not a list of images")
    return value


def _pick_docker_entry(entries: list[dict[str, Any]], ref: str, path: Path) -> dict[str, Any]:
    if not ref:
        return entries[0]
    for entry in entries:
        tags = entry.get("RepoTags") or []
        if ref in tags or any(isinstance(t, str) and t.rpartition("/")[2] == ref for t in tags):
            return entry
    raise ArtifactError(f"{path} has no image tagged {ref!r}")


def _digest_from_name(name: str) -> str:
    """``blobs/sha256/<hex>`` or ``<hex>.json`` -> ``sha256:<hex>``; anything else -> ""."""
    base = name.rpartition("/")[2].removesuffix(".json")
    if name.startswith("blobs/sha256/") or len(base) == 64:
        candidate = f"sha256:{base}"
        if DIGEST_RE.match(candidate):
            return candidate
    return ""
