"""The admission policy file: which checks the webhook applies to pods and workloads, and how.

Example (YAML; every section is optional)::

    podSecurity: {level: restricted, action: deny}      # baseline | restricted; deny | warn
    registries: {allowed: [ghcr.io/acme, registry.k8s.io], action: deny}
    digests: {required: true, action: warn}
    cel: {files: [cel-policies.yaml], action: deny}     # seawall config --policy files
    vulnerabilities: {reports: scans/, maxSeverity: HIGH, unscanned: warn, action: deny}
    exemptNamespaces: [kube-system]
    auditLog: decisions.jsonl                           # not written for dryRun requests
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seawall.errors import SeawallError, UsageError
from seawall.misconfig.model import Check
from seawall.model import Severity
from seawall.yamlsafe import load_yaml_documents

ACTIONS = ("deny", "warn")
UNSCANNED = ("allow", "warn", "deny")
LEVELS = ("privileged", "baseline", "restricted")
_SECTIONS = {"podSecurity", "registries", "digests", "cel", "vulnerabilities", "exemptNamespaces", "auditLog"}


class AdmissionPolicyError(UsageError):
    """The admission policy file is invalid."""


@dataclass(frozen=True, slots=True)
class AdmissionPolicy:
    """What the webhook enforces; an empty policy admits everything."""

    pss_level: str = "privileged"
    pss_action: str = "deny"
    allowed_registries: tuple[str, ...] = ()  # empty: any registry
    registry_action: str = "deny"
    require_digest: bool = False
    digest_action: str = "deny"
    cel: tuple[Check, ...] = ()
    cel_action: str = "deny"
    vuln_reports: Path | None = None
    vuln_max_severity: Severity = Severity.CRITICAL  # images with findings at or above this fail
    vuln_unscanned: str = "allow"
    vuln_action: str = "deny"
    exempt_namespaces: tuple[str, ...] = ()
    audit_log: Path | None = None


def load_policy(path: Path) -> AdmissionPolicy:
    """Parse and validate a policy file; AdmissionPolicyError with the offending field otherwise."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AdmissionPolicyError(f"cannot read admission policy {path}: {exc}") from exc
    try:
        docs = [d for d in load_yaml_documents(text, str(path)) if d is not None]
    except SeawallError as exc:
        raise AdmissionPolicyError(str(exc)) from exc
    if len(docs) != 1 or not isinstance(docs[0], Mapping):
        raise AdmissionPolicyError(f"{path}: the admission policy must be one YAML mapping")
    return parse_policy(docs[0], path.parent, str(path))


def _section(raw: Mapping[str, Any], name: str, where: str) -> Mapping[str, Any]:
    value = raw.get(name, {})
    if not isinstance(value, Mapping):
        raise AdmissionPolicyError(f"{where}: {name} must be a mapping")
    return value


def _choice(section: Mapping[str, Any], key: str, choices: tuple[str, ...], default: str, where: str) -> str:
    value = section.get(key, default)
    if value not in choices:
        raise AdmissionPolicyError(f"{where}: {key} must be one of {', '.join(choices)} (got {value!r})")
    return str(value)


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise AdmissionPolicyError(f"{where} must be a list of non-empty strings")
    return tuple(value)


def parse_policy(raw: Mapping[str, Any], base: Path, where: str = "policy") -> AdmissionPolicy:
    """An AdmissionPolicy from its parsed YAML; relative paths are taken from ``base``."""
    unknown = sorted(set(map(str, raw)) - _SECTIONS)
    if unknown:
        raise AdmissionPolicyError(f"{where}: unknown section(s) {', '.join(unknown)}")
    pss = _section(raw, "podSecurity", where)
    reg = _section(raw, "registries", where)
    dig = _section(raw, "digests", where)
    cel = _section(raw, "cel", where)
    vul = _section(raw, "vulnerabilities", where)
    checks: list[Check] = []
    if cel.get("files") is not None:
        from seawall.misconfig.policy import PolicyError, load_policies

        for name in _strings(cel["files"], f"{where}: cel.files"):
            try:
                checks.extend(load_policies(base / name))
            except PolicyError as exc:
                raise AdmissionPolicyError(f"{where}: cel: {exc}") from exc
    reports = None
    if vul.get("reports") is not None:
        reports = base / str(vul["reports"])
        if not reports.exists():
            raise AdmissionPolicyError(f"{where}: vulnerabilities.reports {reports} does not exist")
    max_sev = Severity.parse(str(vul.get("maxSeverity", "CRITICAL")))
    if max_sev is Severity.UNKNOWN:
        raise AdmissionPolicyError(
            f"{where}: vulnerabilities.maxSeverity must be LOW, MEDIUM, HIGH or CRITICAL"
        )
    audit = raw.get("auditLog")
    return AdmissionPolicy(
        pss_level=_choice(pss, "level", LEVELS, "privileged", f"{where}: podSecurity"),
        pss_action=_choice(pss, "action", ACTIONS, "deny", f"{where}: podSecurity"),
        allowed_registries=_strings(reg.get("allowed", []), f"{where}: registries.allowed"),
        registry_action=_choice(reg, "action", ACTIONS, "deny", f"{where}: registries"),
        require_digest=bool(dig.get("required", False)),
        digest_action=_choice(dig, "action", ACTIONS, "deny", f"{where}: digests"),
        cel=tuple(checks),
        cel_action=_choice(cel, "action", ACTIONS, "deny", f"{where}: cel"),
        vuln_reports=reports,
        vuln_max_severity=max_sev,
        vuln_unscanned=_choice(vul, "unscanned", UNSCANNED, "allow", f"{where}: vulnerabilities"),
        vuln_action=_choice(vul, "action", ACTIONS, "deny", f"{where}: vulnerabilities"),
        exempt_namespaces=_strings(raw.get("exemptNamespaces", []), f"{where}: exemptNamespaces"),
        audit_log=base / str(audit) if isinstance(audit, str) and audit else None,
    )
