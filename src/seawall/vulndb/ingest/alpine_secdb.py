"""Alpine secdb (``secdb.alpinelinux.org/<release>/<repo>.json`` or the older YAML) into OSV records.

Records are named ``ALPINE-SECDB-<CVE>`` so they never replace osv.dev's ``ALPINE-CVE-...`` records;
the matcher merges both through their single upstream CVE. secdb lists only fixes ("this CVE is fixed
in version V of package P on release R"); Alpine publishes no unfixed data, so every record here has
status fixed. A fixed version of ``0`` means the release was never affected and is dropped.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from seawall.vulndb.errors import SourceError


def convert(data: Any, records: dict[str, dict[str, Any]] | None = None) -> Iterator[dict[str, Any]]:
    """Yield one OSV record per CVE from one secdb document (``records`` merges several documents)."""
    if not isinstance(data, dict) or not isinstance(data.get("packages"), list):
        raise SourceError("Alpine secdb: not a secdb document (no packages list)")
    release = str(data.get("distroversion", ""))
    if not release.startswith("v"):
        release = "v" + release
    out = {} if records is None else records
    for item in data["packages"]:
        pkg = item.get("pkg") if isinstance(item, dict) else None
        if not isinstance(pkg, dict) or not isinstance(pkg.get("name"), str):
            continue
        secfixes = pkg.get("secfixes") or {}
        if not isinstance(secfixes, dict):
            continue
        for fixed, ids in secfixes.items():
            fixed = str(fixed)
            if fixed == "0" or not isinstance(ids, list):
                continue
            for text in ids:
                for vid in str(text).split():
                    if not vid.startswith(("CVE-", "GHSA-", "XSA-", "ALPINE-")):
                        continue
                    rec = out.setdefault(
                        vid, {"id": f"ALPINE-SECDB-{vid}", "upstream": [vid], "affected": []}
                    )
                    rec["affected"].append(
                        {
                            "package": {"ecosystem": f"Alpine:{release}", "name": pkg["name"]},
                            "ranges": [
                                {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}
                            ],
                            "ecosystem_specific": {"status": "fixed"},
                        }
                    )
    if records is None:
        yield from out.values()
