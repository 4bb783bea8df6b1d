"""The vulnerability matcher: an Inventory plus the advisory store give findings per result target.

OS packages are matched against their distribution's advisories for the exact release, by source
package (with the source version, epoch included) and by binary package; language packages against
their ecosystem's OSV ranges and version lists. Advisories that name each other (CVE, GHSA, PYSEC,
GO, DEBIAN ...) merge into one finding per package, keyed by the CVE id when one exists.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from seawall.model import Application, Inventory, OSInfo, Package, Severity
from seawall.report.document import AGGREGATED_TARGETS, os_target
from seawall.scan.findings import DetectedVulnerability, EPSSInfo, KEVInfo
from seawall.scan.policy import Policy, PolicyResult, VulnOptions
from seawall.vulndb.store import VulnDB, utcnow
from seawall.vulndb.versions import comparator_for

log = logging.getLogger("seawall.scan")

# Trivy result/application type -> OSV ecosystem.
APP_ECOSYSTEMS = {
    "python-pkg": "PyPI", "pip": "PyPI", "pipenv": "PyPI", "poetry": "PyPI", "uv": "PyPI",
    "node-pkg": "npm", "npm": "npm", "yarn": "npm", "pnpm": "npm", "bun": "npm",
    "gobinary": "Go", "gomod": "Go",
    "jar": "Maven", "pom": "Maven", "gradle": "Maven", "sbt": "Maven",
    "gemspec": "RubyGems", "bundler": "RubyGems",
    "cargo": "crates.io", "rustbinary": "crates.io", "rust-binary": "crates.io",
    "composer": "Packagist", "composer-vendor": "Packagist",
    "nuget": "NuGet", "dotnet-core": "NuGet", "packages-props": "NuGet",
    "pub": "Pub", "hex": "Hex", "swift": "SwiftURL", "conan": "ConanCenter",
}  # fmt: skip

_DEBIAN_URGENCY = {
    "unimportant": Severity.LOW,
    "low": Severity.LOW,
    "medium": Severity.MEDIUM,
    "high": Severity.HIGH,
}
# Ubuntu priorities as trivy-db maps them (negligible counts as LOW).
_UBUNTU_PRIORITY = {
    "negligible": Severity.LOW,
    "low": Severity.LOW,
    "medium": Severity.MEDIUM,
    "high": Severity.HIGH,
    "critical": Severity.CRITICAL,
}
_STATUS_RANK = {"fixed": 0, "affected": 1, "end_of_life": 2, "fix_deferred": 3, "will_not_fix": 4}


def os_ecosystems(os_info: OSInfo | None) -> list[str]:
    """The OSV ecosystems holding a distribution release's advisories (empty when unsupported)."""
    if os_info is None:
        return []
    family, name = os_info.family.lower(), os_info.name
    parts = name.split(".")
    major = parts[0]
    if family == "debian":
        return [f"Debian:{major}"]
    if family == "ubuntu":
        return [f"Ubuntu:{name}", f"Ubuntu:{name}:LTS"]
    if family == "alpine":
        return [f"Alpine:v{'.'.join(parts[:2])}"]
    if family == "rocky":
        return [f"Rocky Linux:{major}"]
    if family in ("alma", "almalinux"):
        return [f"AlmaLinux:{major}"]
    if family == "wolfi":
        return ["Wolfi"]
    if family == "chainguard":
        return ["Chainguard"]
    if family == "opensuse-leap":
        return [f"openSUSE:Leap {'.'.join(parts[:2])}"]
    if family == "opensuse-tumbleweed":
        return ["openSUSE:Tumbleweed"]
    if family == "sle-micro":
        # SUSE renamed the product "SUSE Linux Micro" from 6.0 on.
        product = "Linux Micro" if major.isdigit() and int(major) >= 6 else "Linux Enterprise Micro"
        return [f"SUSE:{product} {'.'.join(parts[:2])}"]
    return []


# Families whose OSV ecosystems name product streams: the database's names under this prefix are filtered.
_STREAM_PREFIXES = {
    "redhat": "Red Hat:",
    "centos": "Red Hat:",  # CentOS is matched against Red Hat's advisories, as Trivy does
    "suse linux enterprise server": "SUSE:",
}


def _sles_version(release: str) -> str:
    """``15.5`` -> ``15 SP5``, ``15`` or ``15.0`` -> ``15`` (SUSE's product version naming)."""
    major, _, minor = release.partition(".")
    return f"{major} SP{minor}" if minor and minor.strip("0") else major


def stream_applies(os_info: OSInfo, ecosystem: str) -> bool:
    """True when a product-stream ecosystem (``Red Hat:enterprise_linux:9::appstream``) covers the OS."""
    family = os_info.family.lower()
    if family in ("redhat", "centos"):
        # "Red Hat:<cpe product>:<version>::<stream>": the major release's main product, any stream
        # (AppStream, BaseOS, CRB ...); EUS/AUS/E4S/ELS streams are for pinned minor releases.
        parts = ecosystem.split(":")
        return (
            len(parts) >= 3
            and parts[1] == "enterprise_linux"
            and parts[2].split(".")[0] == os_info.name.split(".")[0]
        )
    if family == "suse linux enterprise server":
        version = _sles_version(os_info.name)
        if ecosystem == f"SUSE:Linux Enterprise Server {version}":
            return True
        # SLES is made of modules (Basesystem, Server Applications, Containers ...) of the same version.
        return ecosystem.startswith("SUSE:Linux Enterprise Module for ") and ecosystem.endswith(f" {version}")
    return False


def db_os_ecosystems(os_info: OSInfo | None, db: VulnDB) -> list[str]:
    """The ecosystems of the OS that the database actually holds advisories for."""
    if os_info is None:
        return []
    found = [e for e in os_ecosystems(os_info) if db.has_ecosystem(e)]
    prefix = _STREAM_PREFIXES.get(os_info.family.lower())
    if prefix:
        found += [e for e in db.ecosystems_with_prefix(prefix) if stream_applies(os_info, e)]
    return found


def app_target(app: Application) -> str:
    """The result target of one application: Trivy's aggregate name or the file path."""
    return AGGREGATED_TARGETS.get(app.type, app.file_path)


def _go_version(version: str) -> str:
    """Go OSV ranges carry bare semver: ``v1.2.3`` and ``go1.21.5`` become ``1.2.3`` / ``1.21.5``."""
    for prefix in ("go", "v"):
        if version.startswith(prefix) and version[len(prefix) : len(prefix) + 1].isdigit():
            return version[len(prefix) :]
    return version


@dataclass(frozen=True, slots=True)
class Hit:
    """One affected entry of one advisory that covers the installed version."""

    advisory_id: str
    entry: Mapping[str, Any]
    fixed: tuple[str, ...]
    status: str


Compare = Callable[[str, str], int]


def _event_key(compare: Compare) -> Callable[[tuple[str, str]], Any]:
    def cmp(a: tuple[str, str], b: tuple[str, str]) -> int:
        if a[1] == b[1]:
            return 0
        if a[1] == "0":
            return -1
        if b[1] == "0":
            return 1
        return compare(a[1], b[1])

    return functools.cmp_to_key(cmp)


def range_affects(compare: Compare, version: str, events: Sequence[Any]) -> tuple[bool, tuple[str, ...]]:
    """Evaluate one OSV ``ECOSYSTEM``/``SEMVER`` range: (affected?, the fixed versions above ``version``)."""
    evs: list[tuple[str, str]] = []
    limits: list[str] = []
    for e in events:
        if not isinstance(e, dict):
            continue
        for kind in ("introduced", "fixed", "last_affected"):
            if e.get(kind) is not None:
                evs.append((kind, str(e[kind])))
        if e.get("limit") is not None:
            limits.append(str(e["limit"]))
    if limits and not any(lim == "*" or compare(version, lim) < 0 for lim in limits):
        return False, ()
    evs.sort(key=_event_key(compare))
    affected = False
    for kind, v in evs:
        if kind == "introduced":
            if v == "0" or compare(version, v) >= 0:
                affected = True
        elif kind == "fixed":
            if compare(version, v) >= 0:
                affected = False
        elif kind == "last_affected" and compare(version, v) > 0:
            affected = False
    fixed = tuple(v for kind, v in evs if kind == "fixed" and compare(version, v) < 0)
    return affected, fixed[:1]


def entry_affects(compare: Compare, version: str, entry: Mapping[str, Any]) -> tuple[bool, tuple[str, ...]]:
    """Does one OSV affected entry cover ``version``: by its ranges or its explicit versions list."""
    fixed: list[str] = []
    hit = False
    for rng in entry.get("ranges") or ():
        if not isinstance(rng, dict) or rng.get("type") not in ("ECOSYSTEM", "SEMVER"):
            continue  # GIT ranges name commits, which installed packages do not carry
        affected, fx = range_affects(compare, version, rng.get("events") or ())
        if affected:
            hit = True
            fixed.extend(fx)
    if not hit:
        versions = entry.get("versions") or ()
        if version in versions or any(isinstance(v, str) and compare(version, v) == 0 for v in versions):
            hit = True
            for rng in entry.get("ranges") or ():
                if isinstance(rng, dict):
                    events = [e for e in rng.get("events") or () if isinstance(e, dict) and "fixed" in e]
                    fixed.extend(str(e["fixed"]) for e in events if compare(version, str(e["fixed"])) < 0)
    return hit, tuple(dict.fromkeys(fixed))


class Matcher:
    """Matches packages against one store (one instance per scan: it fixes "now" for withdrawals)."""

    def __init__(self, db: VulnDB) -> None:
        self.db = db
        self._now = utcnow()[:19]

    def _is_withdrawn(self, when: str) -> bool:
        # A withdrawal dated in the future has not happened yet (trivy-db's "withdrawn_after_now").
        return bool(when) and when[:19] <= self._now

    def match(self, ecosystem: str, name: str, version: str) -> list[Hit]:
        """Every non-withdrawn advisory entry for (ecosystem, name) covering ``version``."""
        rows = self.db.affected_for(ecosystem, name)
        if not rows:
            return []
        compare = comparator_for(ecosystem).compare
        if ecosystem == "Go":
            version = _go_version(version)
        hits = []
        for row in rows:
            if self._is_withdrawn(row.withdrawn):
                continue
            affected, fixed = entry_affects(compare, version, row.entry)
            if not affected:
                continue
            specific = row.entry.get("ecosystem_specific")
            status = specific.get("status") if isinstance(specific, dict) else None
            if not isinstance(status, str) or status not in _STATUS_RANK:
                status = "fixed" if fixed else "affected"
            if fixed:
                status = "fixed"
            hits.append(Hit(row.advisory_id, row.entry, fixed, status))
        return hits


# ---- findings ------------------------------------------------------------------------------------
def _all_ids(rec: Mapping[str, Any]) -> list[str]:
    """The ids naming the same flaw as a record: its id, its aliases, and its upstream id when single.

    A distribution advisory fixing several CVEs (a DSA listing three ``upstream`` ids) is related to each
    of them but is not the same flaw as any one, so it must not weld their findings together.
    """
    ids = [str(rec.get("id", ""))]
    ids.extend(a for a in rec.get("aliases") or () if isinstance(a, str))
    upstream = [a for a in rec.get("upstream") or () if isinstance(a, str)]
    if len(upstream) == 1:
        ids.extend(upstream)
    return ids


def _primary_id(ids: Iterable[str]) -> str:
    ids = sorted(set(ids))
    for prefix in ("CVE-", "GHSA-", "MAL-"):
        for i in ids:
            if i.startswith(prefix):
                return i
    return ids[0]


def _primary_url(vid: str) -> str:
    if vid.startswith("CVE-"):
        return f"https://nvd.nist.gov/vuln/detail/{vid}"
    if vid.startswith("GHSA-"):
        return f"https://github.com/advisories/{vid}"
    if vid.startswith("GO-"):
        return f"https://pkg.go.dev/vuln/{vid}"
    return f"https://osv.dev/vulnerability/{vid}"


def cvss_severity(vector: str) -> tuple[float, Severity, str] | None:
    """Base score, severity band and CVSS version of a vector, computed with the ``cvss`` library."""
    import cvss

    try:
        if vector.startswith("CVSS:4"):
            c4 = cvss.CVSS4(vector)
            score, version = float(c4.base_score), "4"
        elif vector.startswith("CVSS:3"):
            score, version = float(cvss.CVSS3(vector).base_score), "3"
        else:
            score, version = float(cvss.CVSS2(vector).base_score), "2"
    except Exception:  # the library raises several error types for malformed vectors
        return None
    return score, score_severity(score, version), version


def score_severity(score: float, version: str) -> Severity:
    """NVD's qualitative bands (v2 has no CRITICAL)."""
    if score >= 9.0 and version != "2":
        return Severity.CRITICAL
    if score >= 7.0:
        return Severity.HIGH
    if score >= 4.0:
        return Severity.MEDIUM
    if score > 0.0:
        return Severity.LOW
    return Severity.UNKNOWN


def _source_name(advisory_id: str, ecosystem: str) -> str:
    if advisory_id.startswith("DEBIAN-") or ecosystem.startswith("Debian"):
        return "debian"
    if advisory_id.startswith("ALPINE-") or ecosystem.startswith("Alpine"):
        return "alpine"
    if advisory_id.startswith(("UBUNTU-", "USN-")) or ecosystem.startswith("Ubuntu"):
        return "ubuntu"
    prefix = advisory_id.split("-", 1)[0].lower()
    return {"pysec": "osv", "go": "go", "ghsa": "ghsa", "mal": "osv", "rustsec": "osv"}.get(
        prefix, prefix or "osv"
    )


class _Builder:
    """Turns merged hits into one finding (severity choice, enrichment)."""

    def __init__(self, db: VulnDB, ecosystem: str) -> None:
        self.db = db
        self.ecosystem = ecosystem

    def build(self, pkg: Package, version: str, target: str, hits: Sequence[Hit]) -> DetectedVulnerability:
        records = [(h, self.db.advisory(h.advisory_id) or {"id": h.advisory_id}) for h in hits]
        ids = [i for _, rec in records for i in _all_ids(rec)]
        vid = _primary_id(ids)
        aliases = tuple(sorted({i for i in ids if i and i != vid}))
        malicious = any(i.startswith("MAL-") for i in ids)
        # The record named by the primary id (or the first one) supplies texts and dates.
        main = next((rec for _, rec in records if rec.get("id") == vid), records[0][1])
        title = str(
            main.get("summary") or next((r.get("summary") for _, r in records if r.get("summary")), "") or ""
        )
        details = str(
            main.get("details") or next((r.get("details") for _, r in records if r.get("details")), "") or ""
        )
        refs: list[str] = []
        for _, rec in records:
            refs.extend(
                r["url"]
                for r in rec.get("references") or ()
                if isinstance(r, dict) and isinstance(r.get("url"), str)
            )
        fixed = sorted(
            {f for h in hits for f in h.fixed},
            key=functools.cmp_to_key(comparator_for(self.ecosystem).compare),
        )
        status = "fixed" if fixed else max((h.status for h in hits), key=lambda s: _STATUS_RANK.get(s, 0))

        vendor: dict[str, int] = {}
        cvss_map: dict[str, dict[str, Any]] = {}
        for h, rec in records:
            src = _source_name(str(rec.get("id", "")), self.ecosystem)
            specific = (
                h.entry.get("ecosystem_specific")
                if isinstance(h.entry.get("ecosystem_specific"), dict)
                else {}
            )
            urgency = str((specific or {}).get("urgency") or "").rstrip("*").lower()
            if urgency in _DEBIAN_URGENCY:
                vendor[src] = int(_DEBIAN_URGENCY[urgency])
            dbs = rec.get("database_specific") if isinstance(rec.get("database_specific"), dict) else {}
            sev_text = str((dbs or {}).get("severity") or "")
            if sev_text:
                sev = Severity.parse("MEDIUM" if sev_text.upper() == "MODERATE" else sev_text)
                if sev is not Severity.UNKNOWN:
                    vendor[src] = int(sev)
            for s in rec.get("severity") or ():
                if isinstance(s, dict) and s.get("type") == "Ubuntu" and isinstance(s.get("score"), str):
                    # Ubuntu's OSV records carry the Ubuntu priority itself, not a CVSS vector.
                    vendor["ubuntu"] = int(_UBUNTU_PRIORITY.get(s["score"].lower(), Severity.UNKNOWN))
                elif isinstance(s, dict) and isinstance(s.get("score"), str):
                    computed = cvss_severity(s["score"])
                    if computed:
                        score, _, version_ = computed
                        cvss_map.setdefault(src, {})[f"V{version_}Vector"] = s["score"]
                        cvss_map[src][f"V{version_}Score"] = score
        cve_ids = [i for i in [vid, *aliases] if i.startswith("CVE-")]
        nvd = self.db.nvd(cve_ids[0]) if cve_ids else None
        if nvd:
            for c in nvd.get("cvss") or ():
                vec = c.get("vector")
                if isinstance(vec, str) and f"V{c.get('version')}Vector" not in cvss_map.get("nvd", {}):
                    computed = cvss_severity(vec)
                    if computed:
                        cvss_map.setdefault("nvd", {})[f"V{computed[2]}Vector"] = vec
                        cvss_map["nvd"][f"V{computed[2]}Score"] = computed[0]
            if not details:
                details = str(nvd.get("description") or "")
        severity, severity_source = self._choose_severity(vendor, cvss_map, malicious)
        kev = next((k for k in (self.db.kev(c) for c in cve_ids) if k), None)
        epss = next((e for e in (self.db.epss(c) for c in cve_ids) if e), None)
        return DetectedVulnerability(
            vulnerability_id=vid,
            pkg_name=pkg.name,
            installed_version=version,
            target=target,
            severity=severity,
            severity_source=severity_source,
            fixed_version=", ".join(fixed),
            status=status,
            pkg_id=pkg.id,
            purl=pkg.purl,
            pkg_path=pkg.file_path,
            layer=pkg.layer,
            title=title or _short_title(details),
            description=details,
            references=tuple(dict.fromkeys(refs)),
            primary_url=_primary_url(vid),
            aliases=aliases,
            data_source=str(main.get("id", "")),
            vendor_severity=vendor,
            cvss=cvss_map,
            published=str(main.get("published", "") or ""),
            last_modified=str(main.get("modified", "") or ""),
            kev=KEVInfo(*kev) if kev else None,
            epss=EPSSInfo(*epss) if epss else None,
            malicious=malicious,
        )

    def _choose_severity(
        self, vendor: Mapping[str, int], cvss_map: Mapping[str, Mapping[str, Any]], malicious: bool
    ) -> tuple[Severity, str]:
        if malicious:
            return Severity.CRITICAL, "osv"
        # The distribution's own rating first, then the language database's, as Trivy does.
        for src in ("debian", "ubuntu", "alpine", "ghsa", *vendor):
            if src in vendor:
                return Severity(vendor[src]), src
        for version in ("4", "3", "2"):
            for src in (*[s for s in cvss_map if s != "nvd"], "nvd"):
                score = cvss_map.get(src, {}).get(f"V{version}Score")
                if isinstance(score, float):
                    return score_severity(score, version), src
        return Severity.UNKNOWN, ""


def _merge_groups(hits: Sequence[Hit], db: VulnDB) -> list[list[Hit]]:
    """Union advisories that name each other into groups: one flaw, one finding."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for h in hits:
        rec = db.advisory(h.advisory_id) or {"id": h.advisory_id}
        for other in _all_ids(rec):
            if other:
                parent[find(other)] = find(h.advisory_id)
    groups: dict[str, list[Hit]] = {}
    for h in hits:
        groups.setdefault(find(h.advisory_id), []).append(h)
    return list(groups.values())


def match_package(
    matcher: Matcher, pkg: Package, ecosystem: str, target: str, queries: Sequence[tuple[str, str]]
) -> list[DetectedVulnerability]:
    """Findings for one package given (name, version) queries (source and binary for OS packages)."""
    hits: list[Hit] = []
    seen: set[tuple[str, tuple[str, ...], str]] = set()
    for name, version in queries:
        if not version:
            continue  # no version (a Go main module built as "(devel)"): ranges would match everything
        for h in matcher.match(ecosystem, name, version):
            key = (h.advisory_id, h.fixed, h.status)  # the source and binary queries can hit the same entry
            if key in seen:
                continue
            seen.add(key)
            hits.append(h)
    builder = _Builder(matcher.db, ecosystem)
    installed = pkg.full_version
    groups = _merge_groups(hits, matcher.db)
    covered = {i for g in groups for h in g for i in _all_ids(matcher.db.advisory(h.advisory_id) or {})}
    kept = []
    for group in groups:
        # A multi-CVE distribution advisory whose CVEs already have findings of their own adds nothing.
        recs = [matcher.db.advisory(h.advisory_id) or {} for h in group]
        upstream = {u for r in recs if len(r.get("upstream") or ()) > 1 for u in r.get("upstream") or ()}
        own = {i for r in recs for i in _all_ids(r)}
        if upstream and upstream & (covered - own):
            continue
        kept.append(group)
    return [builder.build(pkg, installed, target, group) for group in kept]


def _os_queries(pkg: Package) -> list[tuple[str, str]]:
    queries = []
    if pkg.src_name:
        queries.append((pkg.src_name, pkg.src_full_version or pkg.full_version))
    if pkg.name != pkg.src_name:
        queries.append((pkg.name, pkg.full_version))
    return queries


def match_inventory(
    inventory: Inventory, db: VulnDB, options: VulnOptions
) -> dict[str, list[DetectedVulnerability]]:
    """Every finding, unfiltered, keyed by result target."""
    matcher = Matcher(db)
    out: dict[str, list[DetectedVulnerability]] = {}
    ecosystems = db_os_ecosystems(inventory.os, db) if inventory.os_packages else []
    if inventory.os_packages and inventory.os and not ecosystems:
        log.warning(
            "no advisories for %s %s in the database: OS packages were not checked",
            inventory.os.family, inventory.os.name,
        )  # fmt: skip
    target = os_target(inventory)
    for pkg in inventory.os_packages:
        found: dict[str, DetectedVulnerability] = {}
        for eco in ecosystems:
            for f in match_package(matcher, pkg, eco, target, _os_queries(pkg)):
                found.setdefault(f.vulnerability_id, f)
        if found:
            out.setdefault(target, []).extend(found.values())
    for app in inventory.applications:
        app_eco = APP_ECOSYSTEMS.get(app.type)
        if app_eco is None:
            continue
        t = app_target(app)
        for pkg in app.packages:
            if pkg.owned_by and options.detection_priority != "comprehensive":
                continue  # the OS package's vendor advisories cover it (Trivy's "precise" mode)
            findings = match_package(matcher, pkg, app_eco, t, [(pkg.name, pkg.version)])
            if findings:
                out.setdefault(t, []).extend(findings)
    return out


def scan_inventory_detailed(
    inventory: Inventory, db: VulnDB, options: VulnOptions
) -> dict[str, PolicyResult]:
    """Match an inventory and apply the policy; per target, the kept and the suppressed findings."""
    matched = match_inventory(inventory, db, options)
    policy = Policy.from_options(options)
    return {target: policy.apply(findings) for target, findings in matched.items()}


def scan_inventory(
    inventory: Inventory, db: VulnDB, options: VulnOptions
) -> dict[str, list[DetectedVulnerability]]:
    """Match an inventory and apply the policy (filters, ignore file, VEX, sort); keyed by result target."""
    return {t: r.kept for t, r in scan_inventory_detailed(inventory, db, options).items() if r.kept}


def _short_title(details: str, limit: int = 120) -> str:
    """A title from an advisory's details when it has none: the first line, cut at a word with '...'."""
    first = details.strip().split("\n", 1)[0].strip() if details else ""
    if len(first) <= limit:
        return first
    cut = first[: limit - 3].rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:") + "..."
