"""Platforms (``os/arch[/variant]``) and choosing a manifest from an image index."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from seawall.errors import UsageError

_ARCH_ALIASES = {"x86_64": "amd64", "x86-64": "amd64", "aarch64": "arm64", "armhf": "arm", "i686": "386"}


def parse_platform(text: str) -> tuple[str, str, str]:
    """``os/arch[/variant]`` -> (os, arch, variant), with the usual aliases (x86_64, aarch64)."""
    parts = text.strip().lower().split("/")
    if len(parts) not in (2, 3) or not all(parts):
        raise UsageError(f"invalid platform {text!r}: expected os/arch[/variant], e.g. linux/amd64")
    arch = _ARCH_ALIASES.get(parts[1], parts[1])
    return parts[0], arch, parts[2] if len(parts) == 3 else ""


def platform_label(desc: Mapping[str, Any]) -> str:
    """``os/arch[/variant]`` of an index entry ("" when it has no platform)."""
    plat = desc.get("platform")
    if not isinstance(plat, dict):
        return ""
    parts = (str(plat.get("os", "")), str(plat.get("architecture", "")), str(plat.get("variant", "")))
    return "/".join(p for p in parts if p)


def match_platform(entries: Sequence[Any], platform: str) -> tuple[list[Mapping[str, Any]], list[str]]:
    """The index entries for ``platform`` (best first), and the platforms the index offers.

    Attestation manifests (``unknown/unknown``, written by buildx) are not images and are skipped;
    arm64 entries without a variant count as ``v8``, as the engines treat them.
    """
    want_os, want_arch, want_variant = parse_platform(platform)
    matches: list[Mapping[str, Any]] = []
    available: list[str] = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("platform"), dict):
            continue
        plat = entry["platform"]
        os_, arch = str(plat.get("os", "")), str(plat.get("architecture", ""))
        if os_ == "unknown" or arch == "unknown":
            continue
        variant = str(plat.get("variant", "")) or ("v8" if arch == "arm64" else "")
        available.append(platform_label(entry))
        if (os_, arch) == (want_os, want_arch) and (not want_variant or variant == want_variant):
            matches.append(entry)
    return matches, sorted(set(available))
