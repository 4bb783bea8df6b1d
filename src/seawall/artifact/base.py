"""The artifact contract: what every image source hands to the analysis pipeline."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from seawall.analyze.walker import LayerSource
from seawall.model import ImageMetadata, LayerRef


@dataclass(frozen=True, slots=True)
class ImageLayer:
    """One layer: its identity in the image and where to read its bytes."""

    diff_id: str  # sha256 of the uncompressed tar (from the image config)
    digest: str  # digest of the blob as stored/distributed ("" when the source has none)
    media_type: str
    source: LayerSource
    created_by: str = ""

    @property
    def ref(self) -> LayerRef:
        return LayerRef(diff_id=self.diff_id, digest=self.digest, created_by=self.created_by)


@dataclass(frozen=True, slots=True)
class Image:
    """A container image opened from any source, ready for layer analysis.

    ``config`` is the parsed image config (its digest verified where the source names one);
    ``layers`` are in application order (base first).
    """

    name: str
    config_digest: str
    config: Mapping[str, Any]
    layers: tuple[ImageLayer, ...]
    repo_tags: tuple[str, ...] = ()
    repo_digests: tuple[str, ...] = ()
    manifest: Mapping[str, Any] = field(default_factory=dict)

    def metadata(self) -> ImageMetadata:
        return ImageMetadata(
            image_id=self.config_digest,
            diff_ids=tuple(layer.diff_id for layer in self.layers),
            repo_tags=self.repo_tags,
            repo_digests=self.repo_digests,
            config=self.config,
            layers=tuple(layer.ref for layer in self.layers),
            size=sum(max(layer.source.blob.length, 0) for layer in self.layers),
        )


def history_created_by(config: Mapping[str, Any], n_layers: int) -> list[str]:
    """The ``created_by`` line of each non-empty history entry, aligned with the layers."""
    out: list[str] = []
    history = config.get("history")
    if isinstance(history, list):
        for entry in history:
            if isinstance(entry, dict) and not entry.get("empty_layer", False):
                out.append(str(entry.get("created_by", "")))
    if len(out) != n_layers:
        out = (out + [""] * n_layers)[:n_layers]
    return out


def config_diff_ids(config: Mapping[str, Any]) -> list[str]:
    """The ``rootfs.diff_ids`` of an image config, validated as digests."""
    from seawall.errors import ArtifactError

    rootfs = config.get("rootfs")
    diff_ids = rootfs.get("diff_ids") if isinstance(rootfs, dict) else None
    if not isinstance(diff_ids, list) or not all(isinstance(d, str) and ":" in d for d in diff_ids):
        raise ArtifactError("image config has no valid rootfs.diff_ids")
    return [str(d) for d in diff_ids]
