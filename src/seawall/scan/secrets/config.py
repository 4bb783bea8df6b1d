"""Custom secret rules and allow rules from a YAML file shaped like Trivy's ``trivy-secret.yaml``.

Keys: ``rules`` (id, category, title, severity, regex, keywords, path, secret-group-name, entropy,
allow-rules), ``allow-rules`` (id, description, regex, path), ``enable-builtin-rules`` (only these
built-in rules), ``disable-rules`` and ``disable-allow-rules`` (by id).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seawall.errors import UsageError
from seawall.scan.secrets.rules import BUILTIN_ALLOW_RULES, BUILTIN_RULES, AllowRule, Rule, validate_regex
from seawall.yamlsafe import load_yaml

MAX_CONFIG_BYTES = 4 * 1024 * 1024
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN")


@dataclass(frozen=True, slots=True)
class SecretConfig:
    """The rule set a scan uses."""

    rules: tuple[Rule, ...] = BUILTIN_RULES
    allow_rules: tuple[AllowRule, ...] = BUILTIN_ALLOW_RULES
    fingerprint: str = "builtin"  # names the rule set in the layer cache key


def load_secret_config(path: Path | None) -> SecretConfig:
    """The built-in rule set, changed by the YAML file at ``path`` when given."""
    if path is None:
        return SecretConfig()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read secret config {path}: {exc.strerror}") from exc
    if len(raw) > MAX_CONFIG_BYTES:
        raise UsageError(f"secret config {path} is larger than {MAX_CONFIG_BYTES} bytes")
    data = load_yaml(raw.decode("utf-8", "replace"), str(path)) or {}
    if not isinstance(data, Mapping):
        raise UsageError(f"secret config {path}: the top level must be a mapping")
    return parse_secret_config(data, str(path), hashlib.sha256(raw).hexdigest()[:16])


def parse_secret_config(data: Mapping[str, Any], where: str, fingerprint: str = "custom") -> SecretConfig:
    """Apply a parsed config mapping to the built-in rules."""
    known = {"rules", "allow-rules", "enable-builtin-rules", "disable-rules", "disable-allow-rules"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise UsageError(f"{where}: unknown key {unknown[0]!r} (expected one of {', '.join(sorted(known))})")
    builtin = BUILTIN_RULES
    enabled = _strings(data, "enable-builtin-rules", where)
    if enabled:
        ids = {r.id for r in BUILTIN_RULES}
        missing = [i for i in enabled if i not in ids]
        if missing:
            raise UsageError(f"{where}: enable-builtin-rules names an unknown rule {missing[0]!r}")
        builtin = tuple(r for r in BUILTIN_RULES if r.id in set(enabled))
    custom = tuple(_rule(r, where, i) for i, r in enumerate(_list(data, "rules", where)))
    disabled = set(_strings(data, "disable-rules", where))
    rules = tuple(r for r in (*custom, *builtin) if r.id not in disabled)
    allow = tuple(_allow(a, where, i) for i, a in enumerate(_list(data, "allow-rules", where)))
    disabled_allow = set(_strings(data, "disable-allow-rules", where))
    allow_rules = tuple(a for a in (*BUILTIN_ALLOW_RULES, *allow) if a.id not in disabled_allow)
    return SecretConfig(rules, allow_rules, fingerprint)


def _list(data: Mapping[str, Any], key: str, where: str) -> list[Mapping[str, Any]]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise UsageError(f"{where}: {key} must be a list of mappings")
    return value


def _strings(data: Mapping[str, Any], key: str, where: str) -> list[str]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UsageError(f"{where}: {key} must be a list of strings")
    return value


def _text(item: Mapping[str, Any], key: str, where: str, default: str = "") -> str:
    value = item.get(key, default)
    if value is None:
        return default
    if not isinstance(value, (str, int, float)):
        raise UsageError(f"{where}: {key} must be a string")
    return str(value)


def _rule(item: Mapping[str, Any], where: str, index: int) -> Rule:
    rid = _text(item, "id", where)
    at = f"{where}: rules[{index}]" + (f" ({rid})" if rid else "")
    if not rid:
        raise UsageError(f"{at}: id is required")
    regex = _text(item, "regex", at)
    if not regex:
        raise UsageError(f"{at}: regex is required")
    validate_regex(regex, at)
    severity = _text(item, "severity", at, "UNKNOWN").upper()
    if severity not in SEVERITIES:
        raise UsageError(f"{at}: severity must be one of {', '.join(SEVERITIES)}")
    keywords = item.get("keywords") or []
    if not isinstance(keywords, list) or not all(isinstance(k, str) and k for k in keywords):
        raise UsageError(f"{at}: keywords must be a list of non-empty strings")
    try:
        entropy = float(item.get("entropy") or 0.0)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"{at}: entropy must be a number") from exc
    allow = [_allow(a, at, i) for i, a in enumerate(_list(item, "allow-rules", at))]
    path = _text(item, "path", at)
    if path:
        validate_regex(path, at)
    return Rule(
        id=rid,
        category=_text(item, "category", at, "Custom"),
        title=_text(item, "title", at, rid),
        severity=severity,
        regex=regex,
        keywords=tuple(k.lower() for k in keywords),
        entropy=entropy,
        allow=tuple(a.regex for a in allow if a.regex),
        secret_group=_text(item, "secret-group-name", at, "secret"),
        path=path,
        allow_paths=tuple(a.path for a in allow if a.path),
        multiline="\\n" in regex or "[\\s\\S]" in regex,
    )


def _allow(item: Mapping[str, Any], where: str, index: int) -> AllowRule:
    aid = _text(item, "id", where) or f"allow-{index}"
    regex, path = _text(item, "regex", where), _text(item, "path", where)
    if not (regex or path):
        raise UsageError(f"{where}: allow rule {aid!r} needs a regex or a path")
    for pattern in (regex, path):
        if pattern:
            validate_regex(pattern, f"{where}: allow rule {aid}")
    return AllowRule(aid, _text(item, "description", where), regex, path)
