"""An independent reference evaluation of OSV records (PyPI with ``packaging``, Go with a small semver).

Deliberately simple and separate from ``seawall.scan.vuln``: it reads the corpus files itself and
walks the range events the way the OSV schema describes them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from seawall.vulndb import store
from seawall.vulndb.ingest import debian_tracker, enrich, osv
from seawall.yamlsafe import load_yaml

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "vulndb"
PYPA = CORPUS / "pypa-advisory-database" / "vulns"
GOVULNDB = CORPUS / "golang-vulndb" / "data" / "osv"
KEV = CORPUS / "cisa-kev" / "known_exploited_vulnerabilities.json"
DEBIAN_JSON = CORPUS / "vunnel-feed-fixtures/tests/unit/providers/debian/test-fixtures/input/debian.json"
EPSS_CSV = CORPUS / "vunnel-feed-fixtures/tests/unit/providers/epss/test-fixtures/example-1.csv"


def _semver_key(v: str) -> tuple[Any, ...]:
    core, _, pre = v.lstrip("v").partition("-")
    nums = tuple(int(x) for x in [*core.split("+")[0].split("."), "0", "0"][:3])
    if not pre:
        return (nums, 1, ())
    parts = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("+")[0].split("."))
    return (nums, 0, parts)


def go_compare(a: str, b: str) -> int:
    ka, kb = _semver_key(a), _semver_key(b)
    return (ka > kb) - (ka < kb)


def pep440_compare(a: str, b: str) -> int:
    va, vb = Version(a), Version(b)
    return (va > vb) - (va < vb)


def _affected_by_range(cmp: Callable[[str, str], int], version: str, events: list[dict[str, str]]) -> bool:
    # The events of the corpus records come in ascending order; OSV's algorithm then reduces to this walk.
    affected = False
    for e in events:
        if "introduced" in e:
            if e["introduced"] == "0" or cmp(version, str(e["introduced"])) >= 0:
                affected = True
        elif "fixed" in e:
            if cmp(version, str(e["fixed"])) >= 0:
                affected = False
        elif "last_affected" in e and cmp(version, str(e["last_affected"])) > 0:
            affected = False
    return affected


def affecting(records: list[dict[str, Any]], ecosystem: str, name: str, version: str) -> set[str]:
    """Ids of the records that affect ``name@version``."""
    cmp = pep440_compare if ecosystem == "PyPI" else go_compare
    norm = canonicalize_name if ecosystem == "PyPI" else (lambda n: n)
    out = set()
    for rec in records:
        if rec.get("withdrawn"):
            continue
        for aff in rec.get("affected", []):
            pkg = aff.get("package", {})
            if pkg.get("ecosystem") != ecosystem or norm(pkg.get("name", "")) != norm(name):
                continue
            hit = version in [str(v) for v in aff.get("versions", [])]
            for rng in aff.get("ranges", []):
                if rng.get("type") in ("ECOSYSTEM", "SEMVER"):
                    try:
                        hit = hit or _affected_by_range(cmp, version, rng.get("events", []))
                    except InvalidVersion:
                        pass
            if hit:
                out.add(rec["id"])
    return out


def load_pypa(pypa: Path, names: list[str]) -> list[dict[str, Any]]:
    """The pypa records of the named packages (directory names compared canonically)."""
    wanted = {canonicalize_name(n) for n in names}
    out = []
    for d in pypa.iterdir():
        if canonicalize_name(d.name) in wanted:
            out.extend(load_yaml(p.read_text(), str(p)) for p in sorted(d.glob("*.yaml")))
    return out


def load_go(govulndb: Path, modules: set[str]) -> list[dict[str, Any]]:
    """The Go records that name any of the modules."""
    out = []
    pattern = re.compile(rb'"name":\s*"([^"]+)"')
    for p in govulndb.glob("GO-*.json"):
        raw = p.read_bytes()
        if {m.decode() for m in pattern.findall(raw)} & modules:
            out.append(orjson.loads(raw))
    return out


def build_corpus_db(db_dir: Path) -> Path:
    """Full ingest of the corpus PyPI and Go databases, KEV and the Debian tracker fixture."""
    with store.building(db_dir, fresh=True) as db:
        db.put_advisories(osv.iter_path(PYPA), "osv:PyPI")
        db.put_advisories(osv.iter_path(GOVULNDB), "osv:Go")
        db.put_advisories(debian_tracker.convert(orjson.loads(DEBIAN_JSON.read_bytes())), "debian-tracker")
        db.put_rows("kev", enrich.kev_rows(orjson.loads(KEV.read_bytes())))
        db.put_rows("epss", enrich.epss_rows(EPSS_CSV.read_text()))
    return store.db_path(db_dir)
