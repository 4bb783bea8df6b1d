"""OS detection from os-release and distribution release files."""

from __future__ import annotations

import re

from seawall.analyze.analyzer import Analyzer
from seawall.model import FileFacts, OSInfo

# os-release ID -> Seawall/Trivy OS family
_FAMILIES = {
    "debian": "debian",
    "ubuntu": "ubuntu",
    "alpine": "alpine",
    "rhel": "redhat",
    "centos": "centos",
    "rocky": "rocky",
    "almalinux": "alma",
    "fedora": "fedora",
    "ol": "oracle",
    "amzn": "amazon",
    "opensuse-leap": "opensuse-leap",
    "opensuse-tumbleweed": "opensuse-tumbleweed",
    "opensuse": "opensuse-leap",
    "sles": "suse linux enterprise server",
    "sle-micro": "sle-micro",
    "sl-micro": "sle-micro",  # SUSE Linux Micro 6.x
    "sles_sap": "suse linux enterprise server",
    "wolfi": "wolfi",
    "chainguard": "chainguard",
    "photon": "photon",
    "mariner": "cbl-mariner",
    "azurelinux": "azurelinux",
}

# Which source wins when several are present (lower is better).
PRIORITY = {
    "etc/alpine-release": 0,
    "etc/debian_version": 1,
    "etc/os-release": 2,
    "usr/lib/os-release": 3,
    "etc/redhat-release": 4,
}

_KV = re.compile(r"^([A-Z_][A-Z0-9_]*)=(.*)$")
_REDHAT = re.compile(r"^(.*?) (?:Linux )?release ([0-9][0-9.]*)", re.IGNORECASE)


def parse_os_release(text: str) -> dict[str, str]:
    """Parse os-release ``KEY=value`` lines (shell quoting reduced to what the spec allows)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        m = _KV.match(line.strip())
        if not m:
            continue
        value = m.group(2).strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        out[m.group(1)] = value
    return out


class OSReleaseAnalyzer(Analyzer):
    """Detects the distribution and release."""

    name = "os-release"
    version = 2
    paths = frozenset(PRIORITY)
    max_size = 64 * 1024

    def analyze(self, path: str, data: bytes) -> FileFacts | None:
        text = data.decode("utf-8", "replace")
        info: OSInfo | None = None
        if path.endswith("os-release"):
            fields = parse_os_release(text)
            ident = fields.get("ID", "").lower()
            family = _FAMILIES.get(ident)
            if family is None:
                for like in fields.get("ID_LIKE", "").lower().split():
                    if like in _FAMILIES:
                        family = _FAMILIES[like]
                        break
            if family:
                pretty = fields.get("PRETTY_NAME", "")
                distroless = "distroless" in pretty.lower()
                version = fields.get("VERSION_ID", "")
                info = OSInfo(family, version, pretty, distroless)
        elif path == "etc/alpine-release":
            version = text.strip().splitlines()[0] if text.strip() else ""
            if version:
                info = OSInfo("alpine", version, f"Alpine Linux v{version}")
        elif path == "etc/debian_version":
            version = text.strip()
            # Debian proper has numbers ("12.7"); Ubuntu ships codenames ("bookworm/sid"), left to os-release.
            if version and version[0].isdigit():
                info = OSInfo("debian", version, f"Debian GNU/Linux {version}")
        elif path == "etc/redhat-release":
            m = _REDHAT.match(text.strip())
            if m:
                info = _redhat_family(m.group(1), m.group(2))
        return FileFacts(path=path, os=info) if info else FileFacts(path=path)


def _redhat_family(name: str, version: str) -> OSInfo:
    lowered = name.lower()
    for key, family in (
        ("centos", "centos"),
        ("rocky", "rocky"),
        ("alma", "alma"),
        ("fedora", "fedora"),
        ("oracle", "oracle"),
    ):
        if key in lowered:
            return OSInfo(family, version, f"{name} {version}")
    return OSInfo("redhat", version, f"{name} {version}")


def choose_os(candidates: dict[str, OSInfo]) -> OSInfo | None:
    """Pick the OS from the merged per-file detections, most specific source first.

    os-release decides the family; a release file of the same family refines the version
    (``etc/debian_version`` says 12.7 where os-release says 12).
    """
    if not candidates:
        return None
    by_release = [candidates[p] for p in ("etc/os-release", "usr/lib/os-release") if p in candidates]
    base = by_release[0] if by_release else None
    ranked = sorted(candidates.items(), key=lambda kv: PRIORITY.get(kv[0], 99))
    if base is None:
        return ranked[0][1]
    for path, info in ranked:
        if path not in ("etc/os-release", "usr/lib/os-release") and info.family == base.family:
            return OSInfo(base.family, info.name, base.pretty_name or info.pretty_name, base.distroless)
    return base
