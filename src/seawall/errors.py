"""One exception hierarchy; the CLI maps it to one-line messages and exit codes."""

from __future__ import annotations


class SeawallError(Exception):
    """Base of every error Seawall reports to the user as one line (exit code 2)."""

    exit_code = 2


class UsageError(SeawallError):
    """The command line or configuration is wrong."""


class ArtifactError(SeawallError):
    """An image, archive, layout or root filesystem could not be read."""


class RegistryError(ArtifactError):
    """A registry refused or failed a request."""


class DigestMismatchError(ArtifactError):
    """Content does not match the digest that names it."""


class LimitExceededError(ArtifactError):
    """Input exceeded a configured safety limit (entries, path length, bytes, compression ratio)."""


class HostileInputError(ArtifactError):
    """Input that is malformed in a way that suggests an attack (path traversal, link escape)."""


class CacheError(SeawallError):
    """The cache directory is unusable."""
