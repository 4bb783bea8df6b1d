"""crates.io (Cargo) versions: SemVer 2.0 as the Rust ``semver`` crate parses it, by precedence.

Strict grammar: ``MAJOR.MINOR.PATCH[-pre][+build]``, no ``v`` prefix, no leading zeros, no
whitespace. Precedence is SemVer 2.0's (pre-releases before the release, identifiers numerically or
in ASCII order). The crate itself breaks precedence ties by build metadata (``1.0.0+a`` <
``1.0.0+b``); vulnerability ranges only need precedence, so build metadata is ignored here and those
two versions are equal. Invalid strings sort before every valid version and among themselves by
string order; strings over 1024 characters are invalid.
"""

from __future__ import annotations

from seawall.vulndb.versions.semver import SemverComparator


class CargoComparator(SemverComparator):
    """crates.io versions: SemVer 2.0 precedence (build metadata ignored)."""

    scheme = "cargo"
