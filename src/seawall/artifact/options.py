"""Options shared by every artifact source."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class SourceOptions:
    """How to reach and store an artifact.

    ``cache_dir`` is Seawall's own cache: verified registry blobs go to ``cache_dir/blobs/sha256``,
    temporary files (daemon exports, decompressed archives) to ``cache_dir/tmp``. Nothing is ever
    written anywhere else.
    """

    cache_dir: Path
    platform: str = "linux/amd64"
    insecure: bool = False
    username: str = ""
    password: str = ""
    registry_token: str = ""
    docker_host: str = ""
    image_src: tuple[str, ...] = ("remote",)  # for plain references: docker, podman, remote, in order
    progress: bool = False
    timeout: float = 60.0
    retries: int = 4

    @property
    def blob_dir(self) -> Path:
        return self.cache_dir / "blobs" / "sha256"

    @property
    def tmp_dir(self) -> Path:
        d = self.cache_dir / "tmp"
        d.mkdir(parents=True, exist_ok=True)
        return d
