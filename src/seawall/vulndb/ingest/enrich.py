"""Enrichment feeds: CISA KEV JSON, FIRST EPSS CSV and NVD CVE JSON 2.0, as rows for the store."""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Iterator, Mapping
from typing import Any

import orjson

from seawall.vulndb.errors import SourceError

log = logging.getLogger("seawall.vulndb")

_CVE = re.compile(r"^CVE-\d{4}-\d{4,}$")


def kev_rows(data: Any) -> Iterator[tuple[str, str, str, str, str]]:
    """(cve, date added, due date, ransomware use, name) for every KEV catalogue entry."""
    if not isinstance(data, dict) or not isinstance(data.get("vulnerabilities"), list):
        raise SourceError(
            "KEV: not a CISA known-exploited-vulnerabilities catalogue (no vulnerabilities list)"
        )
    for item in data["vulnerabilities"]:
        if isinstance(item, dict) and isinstance(item.get("cveID"), str) and _CVE.match(item["cveID"]):
            yield (
                item["cveID"],
                str(item.get("dateAdded", "")),
                str(item.get("dueDate", "")),
                str(item.get("knownRansomwareCampaignUse", "")),
                str(item.get("vulnerabilityName", "")),
            )


def epss_rows(text: str) -> Iterator[tuple[str, float, float, str]]:
    """(cve, score, percentile, score date) from the EPSS CSV (with its ``#model_version`` comment line)."""
    date = ""
    lines = text.splitlines()
    if lines and lines[0].startswith("#"):
        m = re.search(r"score_date:([0-9T:+\-]+)", lines[0])
        date = m.group(1)[:10] if m else ""
        lines = lines[1:]
    reader = csv.reader(io.StringIO("\n".join(lines)))
    header = next(reader, None)
    if header is None or [h.strip() for h in header[:3]] != ["cve", "epss", "percentile"]:
        raise SourceError(f"EPSS: unexpected CSV header {header!r} (want cve,epss,percentile)")
    for row in reader:
        if len(row) < 3 or not _CVE.match(row[0]):
            continue
        try:
            yield row[0], float(row[1]), float(row[2]), date
        except ValueError:
            log.debug("EPSS: skipping malformed row %r", row)


def _cvss_entries(metrics: Mapping[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for key, version in (
        ("cvssMetricV40", "4"),
        ("cvssMetricV31", "3"),
        ("cvssMetricV30", "3"),
        ("cvssMetricV2", "2"),
    ):
        items = metrics.get(key)
        if not isinstance(items, list):
            continue
        # NVD's own ("Primary") score first, then secondary scorers.
        for item in sorted(
            (i for i in items if isinstance(i, dict)), key=lambda i: i.get("type") != "Primary"
        ):
            data = item.get("cvssData") or {}
            vector = data.get("vectorString")
            if isinstance(vector, str):
                out.append(
                    {
                        "version": version,
                        "vector": vector,
                        "score": data.get("baseScore"),
                        "source": item.get("source", ""),
                    }
                )
                break
    return out


def nvd_rows(data: Any) -> Iterator[tuple[str, bytes]]:
    """(cve, enrichment JSON) for every CVE of an NVD 2.0 feed or API page (or one bare ``cve`` object)."""
    if isinstance(data, dict) and isinstance(data.get("vulnerabilities"), list):
        items = [v.get("cve") for v in data["vulnerabilities"] if isinstance(v, dict)]
    elif isinstance(data, dict) and isinstance(data.get("id"), str):
        items = [data]
    else:
        raise SourceError("NVD: not a CVE JSON 2.0 document (no vulnerabilities list)")
    for cve in items:
        if not isinstance(cve, dict) or not isinstance(cve.get("id"), str):
            continue
        desc = next(
            (
                d.get("value", "")
                for d in cve.get("descriptions") or []
                if isinstance(d, dict) and d.get("lang") == "en"
            ),
            "",
        )
        metrics = cve.get("metrics") if isinstance(cve.get("metrics"), dict) else {}
        refs = [
            r["url"]
            for r in cve.get("references") or []
            if isinstance(r, dict) and isinstance(r.get("url"), str)
        ]
        rec = {"cvss": _cvss_entries(metrics or {}), "description": desc, "references": refs[:50],
               "published": str(cve.get("published", ""))}  # fmt: skip
        yield cve["id"], orjson.dumps(rec)
