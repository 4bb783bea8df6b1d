"""The Debian security tracker JSON (``/tracker/data/json``) converted into OSV records.

The tracker is keyed source package -> CVE -> release codename and carries what Debian's OSV feed
lacks: urgency, and why an open issue stays open (no-dsa, ignored, postponed, end-of-life). Each CVE
becomes one record ``DEBIAN-TRACKER-CVE-...`` with one affected entry per (source package, release);
the status and urgency go into ``ecosystem_specific``. The id differs from osv.dev's ``DEBIAN-CVE-...``
so neither feed overwrites the other (a 304 on one must not lose its data); the matcher merges the two
through their single upstream CVE, and the tracker's more specific status wins. Mapping follows
trivy-db (ANCHORS D4): ignored -> will_not_fix, postponed -> fix_deferred, end-of-life -> end_of_life,
no-dsa and unfixed -> affected; "undetermined" entries and fixed version ``0`` (never affected) are
dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

log = logging.getLogger("seawall.vulndb")

# Debian codename -> major version, as in the ``Debian:<major>`` OSV ecosystem.
CODENAMES = {
    "buzz": "1.1", "rex": "1.2", "bo": "1.3", "hamm": "2.0", "slink": "2.1", "potato": "2.2",
    "woody": "3.0", "sarge": "3.1", "etch": "4", "lenny": "5", "squeeze": "6", "wheezy": "7",
    "jessie": "8", "stretch": "9", "buster": "10", "bullseye": "11", "bookworm": "12",
    "trixie": "13", "forky": "14", "duke": "15",
}  # fmt: skip


def release_status(info: Mapping[str, Any]) -> str | None:
    """The OSV-side status of one tracker release entry, or None when it should not be recorded."""
    status = info.get("status")
    urgency = str(info.get("urgency") or "")
    if status == "resolved":
        fixed = str(info.get("fixed_version") or "")
        return None if fixed in ("", "0") else "fixed"
    if status != "open":
        return None  # undetermined: Debian has not decided whether the release is affected
    reason = str(info.get("nodsa_reason") or "")
    if reason == "ignored":
        return "will_not_fix"
    if reason == "postponed":
        return "fix_deferred"
    if urgency == "end-of-life":
        return "end_of_life"
    return "affected"


def convert(data: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Yield one OSV record per CVE from the tracker's whole JSON document."""
    records: dict[str, dict[str, Any]] = {}
    for pkg, cves in data.items():
        if not isinstance(pkg, str) or not isinstance(cves, dict):
            continue
        for cve_id, cve in cves.items():
            if not isinstance(cve_id, str) or not isinstance(cve, dict):
                continue
            releases = cve.get("releases")
            if not isinstance(releases, dict):
                continue  # an empty list when no release is tracked
            for codename, info in releases.items():
                major = CODENAMES.get(codename)
                if major is None or not isinstance(info, dict):
                    continue  # sid and experimental have no OSV ecosystem
                status = release_status(info)
                if status is None:
                    continue
                events: list[dict[str, str]] = [{"introduced": "0"}]
                if status == "fixed":
                    events.append({"fixed": str(info["fixed_version"])})
                specific = {"status": status, "urgency": str(info.get("urgency") or "").rstrip("*")}
                if info.get("nodsa"):
                    specific["nodsa"] = str(info["nodsa"])
                rec = records.get(cve_id)
                if rec is None:
                    rec = records[cve_id] = {
                        "id": f"DEBIAN-TRACKER-{cve_id}",
                        "modified": "",
                        "upstream": [cve_id],
                        "details": str(cve.get("description") or ""),
                        "affected": [],
                        "references": [
                            {
                                "type": "ADVISORY",
                                "url": f"https://security-tracker.debian.org/tracker/{cve_id}",
                            }
                        ],
                    }
                rec["affected"].append(
                    {
                        "package": {"ecosystem": f"Debian:{major}", "name": pkg},
                        "ranges": [{"type": "ECOSYSTEM", "events": events}],
                        "ecosystem_specific": specific,
                    }
                )
    yield from (r for r in records.values() if r["affected"])
