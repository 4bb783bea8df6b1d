"""Helpers shared by the comparators: the length cap, the invalid-version fallback, the error type."""

from __future__ import annotations

from seawall.errors import SeawallError

# Real versions are short; a cap bounds parse time, cache memory and big-integer conversion.
MAX_VERSION_LENGTH = 1024

# Size of each scheme's parse cache: the matcher compares the same few thousand versions over and over.
CACHE_SIZE = 1 << 16


class ConstraintError(SeawallError):
    """A version constraint (range, specifier, requirement) could not be parsed."""


def cmp_str(a: str, b: str) -> int:
    """Plain code-point order of two strings, as -1, 0 or 1."""
    return (a > b) - (a < b)


def fallback(a: str, b: str, a_ok: bool, b_ok: bool) -> int:
    """Order when at least one side is invalid: invalid before valid, invalid among themselves by string."""
    if a_ok != b_ok:
        return 1 if a_ok else -1
    return cmp_str(a, b)
