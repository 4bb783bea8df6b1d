"""What to report: severity filter, statuses, ``.seawallignore``, VEX documents, sort order, exit code.

The ignore file takes Trivy's ``.trivyignore`` syntax (one id per line, ``#`` comments, optional
``exp:YYYY-MM-DD``) or, when it ends in ``.yaml``/``.yml``, the YAML form
(``vulnerabilities: [{id, paths, purls, statement, expired_at}]``). VEX documents are OpenVEX or
CycloneDX; ``not_affected`` and ``fixed``/``resolved`` statements suppress findings, which stay
available (with the justification) as suppressed findings.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import fnmatch
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import orjson

from seawall.errors import UsageError
from seawall.model import Severity
from seawall.scan.findings import DetectedVulnerability

log = logging.getLogger("seawall.scan")

UNFIXED_STATUSES = frozenset({"affected", "will_not_fix", "fix_deferred", "end_of_life"})
MAX_POLICY_FILE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class VulnOptions:
    """Everything that shapes a vulnerability scan's matching and filtering."""

    severities: frozenset[Severity] = frozenset()  # empty: every severity
    ignore_unfixed: bool = False
    ignore_statuses: frozenset[str] = frozenset()
    detection_priority: str = "precise"  # or "comprehensive": also match OS-owned language packages
    sort: str = "severity"  # or "risk"
    ignore_file: Path | None = None
    vex: tuple[Path, ...] = ()
    exit_code: int = 0
    fail_on: Severity | None = None
    today: dt.date | None = None  # for ignore-rule expiry; None means the real date


@dataclass(frozen=True, slots=True)
class IgnoreRule:
    """One ignore-file entry."""

    id: str
    paths: tuple[str, ...] = ()
    purls: tuple[str, ...] = ()
    statement: str = ""
    expires: dt.date | None = None


@dataclass(frozen=True, slots=True)
class VexStatement:
    """One VEX statement that suppresses a vulnerability for some products."""

    vulnerability: str
    status: str
    purls: tuple[str, ...]  # empty: every package
    justification: str = ""
    source: str = ""


@dataclass(slots=True)
class PolicyResult:
    """Findings kept for the report and those an ignore rule or VEX statement suppressed."""

    kept: list[DetectedVulnerability] = field(default_factory=list)
    suppressed: list[DetectedVulnerability] = field(default_factory=list)


def _read(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_POLICY_FILE_BYTES:
            raise UsageError(f"{path}: larger than {MAX_POLICY_FILE_BYTES} bytes")
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _date(value: Any, where: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError as exc:
        raise UsageError(f"{where}: invalid date {value!r} (want YYYY-MM-DD)") from exc


def load_ignore_file(path: Path) -> list[IgnoreRule]:
    """Parse a ``.seawallignore`` / ``.trivyignore`` file (plain or YAML form)."""
    text = _read(path).decode("utf-8", errors="replace")
    if path.suffix in (".yaml", ".yml"):
        from seawall.yamlsafe import load_yaml

        data = load_yaml(text, str(path)) or {}
        if not isinstance(data, dict):
            raise UsageError(f"{path}: the YAML ignore file must be a mapping with a vulnerabilities list")
        rules = []
        for i, item in enumerate(data.get("vulnerabilities") or []):
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                raise UsageError(f"{path}: vulnerabilities[{i}] needs an id")
            rules.append(
                IgnoreRule(
                    id=item["id"],
                    paths=tuple(str(p) for p in item.get("paths") or ()),
                    purls=tuple(str(p) for p in item.get("purls") or ()),
                    statement=str(item.get("statement") or ""),
                    expires=_date(item.get("expired_at"), f"{path}: vulnerabilities[{i}]"),
                )
            )
        return rules
    rules = []
    for n, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        expires = None
        for extra in parts[1:]:
            if extra.startswith("exp:"):
                expires = _date(extra[4:], f"{path}:{n}")
        rules.append(IgnoreRule(id=parts[0], expires=expires))
    return rules


def _purl_key(purl: str) -> tuple[str, str, str]:
    """(type/namespace/name, version, '') with qualifiers dropped and names lower-cased."""
    base = purl.split("?", 1)[0].split("#", 1)[0]
    name, _, version = base.partition("@")
    return unquote(name).lower(), unquote(version), ""


def purl_matches(pattern: str, purl: str) -> bool:
    """A VEX or ignore purl matches a package purl; a pattern without a version matches every version."""
    if not pattern or not purl:
        return False
    p_name, p_ver, _ = _purl_key(pattern)
    name, ver, _ = _purl_key(purl)
    return p_name == name and (not p_ver or p_ver == ver)


def load_vex(path: Path) -> list[VexStatement]:
    """Statements of an OpenVEX or CycloneDX VEX JSON document that suppress findings."""
    try:
        doc = orjson.loads(_read(path))
    except orjson.JSONDecodeError as exc:
        raise UsageError(f"{path}: not a JSON VEX document: {exc}") from exc
    if not isinstance(doc, dict):
        raise UsageError(f"{path}: not a VEX document")
    out: list[VexStatement] = []
    if isinstance(doc.get("statements"), list):  # OpenVEX
        for st in doc["statements"]:
            if not isinstance(st, dict) or st.get("status") not in ("not_affected", "fixed"):
                continue
            vuln = st.get("vulnerability")
            vid = vuln.get("name") if isinstance(vuln, dict) else vuln
            if not isinstance(vid, str):
                continue
            purls: list[str] = []
            image_wide = False
            for product in st.get("products") or []:
                if isinstance(product, str):
                    product = {"@id": product}
                if not isinstance(product, dict):
                    continue
                subs = [s.get("@id") for s in product.get("subcomponents") or [] if isinstance(s, dict)]
                identifiers = product.get("identifiers")
                if isinstance(identifiers, dict) and isinstance(identifiers.get("purl"), str):
                    purls.append(identifiers["purl"])  # OpenVEX 0.2 products named by identifiers
                purls.extend(s for s in subs if isinstance(s, str))
                pid = product.get("@id")
                if isinstance(pid, str):
                    if pid.startswith("pkg:") and not pid.startswith("pkg:oci/"):
                        purls.append(pid)
                    elif not subs:
                        image_wide = True  # the whole image is declared unaffected
            if purls or image_wide:
                aliases = vuln.get("aliases", []) if isinstance(vuln, dict) else []
                for v in [vid, *[a for a in aliases if isinstance(a, str)]]:
                    just = str(st.get("justification") or st.get("impact_statement") or "")
                    purl_list = () if image_wide else tuple(purls)
                    out.append(VexStatement(v, st["status"], purl_list, just, str(path)))
        return out
    if doc.get("bomFormat") == "CycloneDX":
        for vuln in doc.get("vulnerabilities") or []:
            if not isinstance(vuln, dict) or not isinstance(vuln.get("id"), str):
                continue
            analysis = vuln.get("analysis") or {}
            state = analysis.get("state") if isinstance(analysis, dict) else None
            if state not in ("not_affected", "false_positive", "resolved"):
                continue
            purls = []
            for aff in vuln.get("affects") or []:
                ref = aff.get("ref") if isinstance(aff, dict) else None
                if isinstance(ref, str):
                    ref = ref.split("#", 1)[1] if ref.startswith("urn:cdx:") and "#" in ref else ref
                    if ref.startswith("pkg:"):
                        purls.append(ref)
            status = "fixed" if state == "resolved" else "not_affected"
            just = str(analysis.get("justification") or analysis.get("detail") or state)
            out.append(VexStatement(vuln["id"], status, tuple(purls), just, str(path)))
        return out
    raise UsageError(f"{path}: neither an OpenVEX nor a CycloneDX VEX document")


def _ids(f: DetectedVulnerability) -> set[str]:
    return {f.vulnerability_id, *f.aliases}


def _ignored(f: DetectedVulnerability, rules: Sequence[IgnoreRule], today: dt.date) -> IgnoreRule | None:
    ids = _ids(f)
    for rule in rules:
        if rule.id not in ids or (rule.expires is not None and rule.expires < today):
            continue
        if rule.paths and not any(
            fnmatch.fnmatch(p, pat) for pat in rule.paths for p in (f.pkg_path, f.target)
        ):
            continue
        if rule.purls and not any(purl_matches(p, f.purl) for p in rule.purls):
            continue
        return rule
    return None


def _vex_match(f: DetectedVulnerability, statements: Sequence[VexStatement]) -> VexStatement | None:
    ids = _ids(f)
    for st in statements:
        if st.vulnerability in ids and (not st.purls or any(purl_matches(p, f.purl) for p in st.purls)):
            return st
    return None


@dataclass(frozen=True, slots=True)
class Policy:
    """The loaded ignore rules and VEX statements plus the filter options, applied per target."""

    options: VulnOptions
    rules: tuple[IgnoreRule, ...] = ()
    statements: tuple[VexStatement, ...] = ()

    @classmethod
    def from_options(cls, options: VulnOptions) -> Policy:
        """Read the ignore file and VEX documents once."""
        rules = load_ignore_file(options.ignore_file) if options.ignore_file else []
        statements = [s for p in options.vex for s in load_vex(p)]
        return cls(options, tuple(rules), tuple(statements))

    def apply(self, findings: Iterable[DetectedVulnerability]) -> PolicyResult:
        """Filter and order one target's findings."""
        options = self.options
        today = options.today or dt.date.today()
        ignored_statuses = set(options.ignore_statuses) | (
            UNFIXED_STATUSES if options.ignore_unfixed else set()
        )
        result = PolicyResult()
        for f in findings:
            if options.severities and f.severity not in options.severities:
                continue
            if f.status in ignored_statuses:
                continue
            rule = _ignored(f, self.rules, today)
            if rule is not None:
                result.suppressed.append(
                    dataclasses.replace(f, suppressed_by="ignore-file", justification=rule.statement)
                )
                continue
            st = _vex_match(f, self.statements)
            if st is not None:
                result.suppressed.append(
                    dataclasses.replace(f, suppressed_by=f"vex:{st.status}", justification=st.justification)
                )
                continue
            result.kept.append(f)
        result.kept.sort(key=sort_key(options.sort))
        return result


def apply_policy(findings: Iterable[DetectedVulnerability], options: VulnOptions) -> PolicyResult:
    """Filter and order one target's findings according to the options."""
    return Policy.from_options(options).apply(findings)


def sort_key(order: str) -> Any:
    """The sort key for findings: Trivy's (package, severity desc, id) or risk (KEV, EPSS, severity)."""
    if order == "risk":
        return lambda f: (tuple(-x for x in f.risk()), f.pkg_name, f.vulnerability_id)
    return lambda f: (f.pkg_name, -int(f.severity), f.vulnerability_id)


def exit_status(findings: Iterable[DetectedVulnerability], options: VulnOptions) -> int:
    """``options.exit_code`` if a finding is at or above ``--fail-on`` (any finding without it), else 0."""
    if not options.exit_code:
        return 0
    threshold = options.fail_on or Severity.UNKNOWN
    return options.exit_code if any(f.severity >= threshold for f in findings) else 0


def parse_severities(text: str) -> frozenset[Severity]:
    """``--severity HIGH,CRITICAL`` into a set; an unknown name is a usage error."""
    out = set()
    for part in text.split(","):
        part = part.strip().upper()
        if not part:
            continue
        if part not in Severity.__members__:
            raise UsageError(f"unknown severity {part!r} (use {','.join(Severity.__members__)})")
        out.add(Severity[part])
    return frozenset(out)
