"""Errors of the vulnerability database."""

from __future__ import annotations

from seawall.errors import SeawallError


class VulnDBError(SeawallError):
    """The vulnerability database is missing, corrupt, or could not be updated."""


class SourceError(VulnDBError):
    """A feed could not be downloaded or parsed (corrupt, truncated, wrong format)."""
