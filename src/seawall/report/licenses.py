"""SPDX licence identifiers: which names are valid ids, and how to write the rest into SBOMs."""

from __future__ import annotations

import re
from functools import lru_cache

_REF_UNSAFE = re.compile(r"[^A-Za-z0-9.-]+")


@lru_cache(maxsize=4096)
def is_spdx_id(name: str) -> bool:
    """True when ``name`` is an SPDX licence id known to the CycloneDX schema's licence list."""
    from cyclonedx.spdx import is_supported_id

    return bool(is_supported_id(name))


def license_ref(name: str) -> str:
    """An SPDX ``LicenseRef-`` identifier for a licence name that is not an SPDX id."""
    return "LicenseRef-" + (_REF_UNSAFE.sub("-", name).strip("-") or "unknown")
