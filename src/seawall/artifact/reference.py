"""Image references: ``[HOST[:PORT]/]REPO[:TAG][@DIGEST]`` with Docker Hub's defaults."""

from __future__ import annotations

import re
from dataclasses import dataclass

from seawall.errors import UsageError

DOCKER_HUB = "docker.io"
DOCKER_HUB_API = "registry-1.docker.io"
DEFAULT_TAG = "latest"

# The grammar of github.com/distribution/reference, written out for Python.
_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_TAG = re.compile(r"[\w][\w.-]{0,127}")
_DIGEST = re.compile(r"[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,}")
_SHA256 = re.compile(r"sha256:[0-9a-f]{64}")
_HOST = re.compile(
    r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*"
    r"|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?"
)
MAX_NAME_LENGTH = 255


@dataclass(frozen=True, slots=True)
class Reference:
    """A parsed image reference; ``registry`` is the user-facing host (``docker.io`` for Docker Hub)."""

    registry: str
    repository: str
    tag: str = ""
    digest: str = ""

    @property
    def api_host(self) -> str:
        """The host[:port] that serves the Distribution API (Docker Hub's differs from its name)."""
        return DOCKER_HUB_API if self.registry == DOCKER_HUB else self.registry

    @property
    def reference(self) -> str:
        """What to ask the manifest endpoint for: the digest, else the tag, else ``latest``."""
        return self.digest or self.tag or DEFAULT_TAG

    @property
    def familiar_name(self) -> str:
        """The repository as users write it (``alpine``, ``user/app``, ``host:5000/app``)."""
        if self.registry == DOCKER_HUB:
            return self.repository.removeprefix("library/")
        return f"{self.registry}/{self.repository}"

    def __str__(self) -> str:
        out = f"{self.registry}/{self.repository}"
        if self.tag:
            out += f":{self.tag}"
        if self.digest:
            out += f"@{self.digest}"
        return out


def parse_reference(text: str) -> Reference:
    """Parse an image reference, applying Docker Hub defaults (``library/`` prefix, ``docker.io``)."""
    raw = text.strip()
    raw = raw.removeprefix("docker://").removeprefix("registry:")
    if not raw:
        raise UsageError("empty image reference")
    name, digest = raw, ""
    if "@" in raw:
        name, _, digest = raw.partition("@")
        if not _DIGEST.fullmatch(digest):
            raise UsageError(f"invalid digest in image reference {text!r}")
        if digest.startswith("sha256:") and not _SHA256.fullmatch(digest):
            raise UsageError(f"invalid sha256 digest in image reference {text!r}")
    tag = ""
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
        if not _TAG.fullmatch(tag):
            raise UsageError(f"invalid tag {tag!r} in image reference {text!r}")
    registry, repository = _split_host(name)
    if registry in ("index.docker.io", "registry-1.docker.io"):
        registry = DOCKER_HUB
    if registry == DOCKER_HUB and "/" not in repository:
        repository = f"library/{repository}"
    if len(repository) > MAX_NAME_LENGTH:
        raise UsageError(f"repository name in {text!r} is longer than {MAX_NAME_LENGTH} characters")
    for part in repository.split("/"):
        if not _COMPONENT.fullmatch(part):
            raise UsageError(
                f"invalid repository name {repository!r} in image reference {text!r} "
                "(lowercase letters, digits and separators only)"
            )
    return Reference(registry=registry, repository=repository, tag=tag, digest=digest)


def _split_host(name: str) -> tuple[str, str]:
    first, sep, rest = name.partition("/")
    # As in Docker: the first component is a host when it has a dot or a port, or is localhost.
    if sep and ("." in first or ":" in first or first == "localhost" or first.startswith("[")):
        if not _HOST.fullmatch(first):
            raise UsageError(f"invalid registry host {first!r} in image reference")
        return first, rest
    return DOCKER_HUB, name
