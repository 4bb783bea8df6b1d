"""OCI image layout semantics shared by layout directories, oci-archives and registries.

A :class:`BlobStore` finds blobs by digest; :func:`resolve_image` walks index -> manifest -> config,
verifying the digest of every JSON document it reads, and returns an :class:`Image` whose layers point
at blob byte ranges (verified later, while the walker streams them).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any, Protocol

from seawall.analyze.streams import BlobRef
from seawall.analyze.walker import LayerSource
from seawall.artifact.base import Image, ImageLayer, config_diff_ids, history_created_by
from seawall.artifact.platform import match_platform
from seawall.errors import ArtifactError, DigestMismatchError

MAX_JSON = 4 * 1024 * 1024
DIGEST_RE = re.compile(r"^(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$")
REF_NAME = "org.opencontainers.image.ref.name"

INDEX_TYPES = {
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
}
MANIFEST_TYPES = {
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
}


class BlobStore(Protocol):
    """Content-addressed blobs of one layout (a directory or a tar)."""

    def read(self, digest: str, limit: int) -> bytes: ...

    def ref(self, digest: str) -> BlobRef: ...


def check_digest(digest: object) -> str:
    """Validate a digest string (so it can never name a path outside the blob store)."""
    if not isinstance(digest, str) or not DIGEST_RE.match(digest):
        raise ArtifactError(f"invalid digest {digest!r}")
    return digest


def verify(data: bytes, digest: str, what: str) -> None:
    """Raise DigestMismatchError unless ``data`` hashes to ``digest``."""
    algo, _, expected = digest.partition(":")
    actual = hashlib.new(algo, data).hexdigest()
    if actual != expected:
        raise DigestMismatchError(f"{what} digest mismatch: expected {digest}, content has {algo}:{actual}")


def parse_json(data: bytes, what: str) -> dict[str, Any]:
    """Parse a JSON object, with a one-line error for anything else."""
    try:
        value = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ArtifactError(f"{what} is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise ArtifactError(f"{what} is not a JSON object")
    return value


def read_json_blob(store: BlobStore, digest: str, what: str) -> dict[str, Any]:
    data = store.read(check_digest(digest), MAX_JSON)
    verify(data, digest, what)
    return parse_json(data, what)


def pick_platform(manifests: list[Mapping[str, Any]], platform: str) -> Mapping[str, Any]:
    """Choose the manifest for ``platform`` from an index's descriptors."""
    matches, available = match_platform(manifests, platform)
    if not matches:
        raise ArtifactError(f"no image for platform {platform}; available: {', '.join(available) or 'none'}")
    return matches[0]


def resolve_descriptor(
    store: BlobStore, desc: Mapping[str, Any], platform: str, depth: int = 0
) -> tuple[str, dict[str, Any]]:
    """Follow an index/manifest descriptor to an image manifest: (manifest digest, manifest)."""
    if depth > 4:
        raise ArtifactError("image index nesting is too deep")
    digest = check_digest(desc.get("digest"))
    doc = read_json_blob(store, digest, f"manifest {digest[:19]}")
    media = doc.get("mediaType") or desc.get("mediaType") or ""
    if media in INDEX_TYPES or ("manifests" in doc and "layers" not in doc):
        manifests = doc.get("manifests")
        if not isinstance(manifests, list) or not manifests:
            raise ArtifactError(f"image index {digest[:19]} lists no manifests")
        return resolve_descriptor(store, pick_platform(manifests, platform), platform, depth + 1)
    return digest, doc


def image_from_manifest(
    store: BlobStore,
    manifest: Mapping[str, Any],
    name: str,
    repo_tags: tuple[str, ...] = (),
    repo_digests: tuple[str, ...] = (),
) -> Image:
    """Build an Image from an image manifest whose blobs are in ``store``."""
    if manifest.get("schemaVersion") == 1:
        raise ArtifactError(
            "Docker schema 1 manifests are not supported (re-push the image with a current client)"
        )
    config_desc = manifest.get("config")
    layers = manifest.get("layers")
    if not isinstance(config_desc, dict) or not isinstance(layers, list):
        raise ArtifactError("manifest has no config or layers")
    config_digest = check_digest(config_desc.get("digest"))
    config = read_json_blob(store, config_digest, "image config")
    diff_ids = config_diff_ids(config)
    if len(diff_ids) != len(layers):
        raise ArtifactError(
            f"manifest lists {len(layers)} layers but the config has {len(diff_ids)} diff_ids"
        )
    created_by = history_created_by(config, len(layers))
    out = []
    for i, (desc, diff_id) in enumerate(zip(layers, diff_ids, strict=True)):
        if not isinstance(desc, dict):
            raise ArtifactError("manifest layer entry is not an object")
        digest = check_digest(desc.get("digest"))
        media = str(desc.get("mediaType", ""))
        if "nondistributable" in media or media.endswith("foreign.diff.tar.gzip"):
            pass  # still read if present locally
        source = LayerSource(blob=store.ref(digest), diff_id=diff_id, digest=digest, label=diff_id[:19])
        out.append(ImageLayer(diff_id, digest, media, source, created_by[i]))
    return Image(
        name=name,
        config_digest=config_digest,
        config=config,
        layers=tuple(out),
        repo_tags=repo_tags,
        repo_digests=repo_digests,
        manifest=manifest,
    )


def select_from_index(
    store: BlobStore, index: Mapping[str, Any], selector: str, platform: str, where: str
) -> tuple[Mapping[str, Any], str]:
    """Pick the manifest descriptor for ``selector`` (tag or digest, or "" for the only image)."""
    manifests = index.get("manifests")
    if not isinstance(manifests, list) or not manifests:
        raise ArtifactError(f"{where}: index.json lists no images")
    manifests = [m for m in manifests if isinstance(m, dict)]
    if selector:
        sel = selector.lstrip("@")
        for desc in manifests:
            ann = desc.get("annotations") or {}
            tag = ann.get(REF_NAME, "") if isinstance(ann, dict) else ""
            if desc.get("digest") == sel or tag == sel or tag.rpartition(":")[2] == sel:
                return desc, tag
        refs = sorted({str((m.get("annotations") or {}).get(REF_NAME, m.get("digest"))) for m in manifests})
        raise ArtifactError(f"{where}: no image {selector!r}; the layout holds: {', '.join(refs)}")
    if len(manifests) == 1:
        ann = manifests[0].get("annotations") or {}
        return manifests[0], str(ann.get(REF_NAME, "")) if isinstance(ann, dict) else ""
    # Several entries: a multi-platform layout is fine, several different images need a choice.
    if all(isinstance(m.get("platform"), dict) for m in manifests):
        tags = {str((m.get("annotations") or {}).get(REF_NAME, "")) for m in manifests}
        if len(tags) == 1:
            return pick_platform(manifests, platform), tags.pop()
    refs = sorted({str((m.get("annotations") or {}).get(REF_NAME, m.get("digest"))) for m in manifests})
    raise ArtifactError(
        f"{where} holds several images ({', '.join(refs)}): name one as PATH:TAG or PATH@DIGEST"
    )
