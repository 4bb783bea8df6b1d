"""Image references as Kubernetes resolves them: default registry, ``library/`` for Docker Hub."""

from __future__ import annotations

from dataclasses import dataclass

DOCKER_HUB = "docker.io"


@dataclass(frozen=True, slots=True)
class ImageName:
    """``registry/repository`` with the tag and digest split off."""

    registry: str
    repository: str
    tag: str
    digest: str

    @property
    def full(self) -> str:
        """``registry/repository`` (no tag or digest)."""
        return f"{self.registry}/{self.repository}"


def parse_image(image: str) -> ImageName:
    """Split an image reference; Docker Hub names get ``docker.io`` and ``library/`` as kubelet does."""
    name, _, digest = image.strip().partition("@")
    last = name.rsplit("/", 1)[-1]
    tag = ""
    if ":" in last:
        name, _, tag = name.rpartition(":")
    first, slash, rest = name.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        registry, repository = first, rest
    else:
        registry, repository = DOCKER_HUB, name
    if registry in ("index.docker.io", "registry-1.docker.io"):
        registry = DOCKER_HUB
    if registry == DOCKER_HUB and "/" not in repository:
        repository = f"library/{repository}"
    return ImageName(registry.lower(), repository, tag, digest)


def allowed_by(image: str, allowed: tuple[str, ...]) -> bool:
    """Whether ``image`` comes from one of ``allowed`` (a registry host or a registry/path prefix)."""
    full = parse_image(image).full
    for entry in allowed:
        entry = entry.rstrip("/").lower()
        if full == entry or full.startswith(entry + "/"):
            return True
    return False
