"""The secret and malware scanners' flags and scanner hooks (``SCANNER_HOOKS`` in cli/scanrun.py).

The analyzers find content findings while layers are read; the hooks place them in the report, one
result per file (Trivy's ``Class: secret``; ``Class: malware`` for malware and dangerous files), add
secrets in the image config (environment, labels, history) and executables no OS package owns.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from seawall.cli.opts import option as _opt
from seawall.errors import UsageError
from seawall.model import ContentFinding, Inventory, LayerRef, LocatedFinding, Severity
from seawall.report.document import Report, Result

if TYPE_CHECKING:
    from seawall.analyze.pipeline import AnalysisOptions


SecretConfigOpt = Annotated[
    Path | None,
    _opt("--secret-config", help="Custom secret rules and allow rules (trivy-secret.yaml format)."),
]
MalwareRulesOpt = Annotated[
    Path | None,
    _opt("--malware-rules", help="Directory of extra YARA rules (.yar, .yara) for --scanners malware."),
]
MalwareHashesOpt = Annotated[
    Path | None, _opt("--malware-hashes", help="SHA-256 deny-list file (one hash per line, optional name).")
]


def content_options(
    options: AnalysisOptions,
    scanners: Iterable[str],
    secret_config: Path | None = None,
    malware_rules: Path | None = None,
    malware_hashes: Path | None = None,
) -> AnalysisOptions:
    """Enable the secret/malware analyzers for the chosen scanners; check their settings up front."""
    chosen = tuple(scanners)
    settings: list[tuple[str, str]] = []
    if "secret" in chosen:
        if secret_config is not None:
            settings.append(("secret-config", str(secret_config.resolve())))
        from seawall.analyze.analyzers.secret import engine_for

        engine_for(dict(settings))  # a bad rule file fails here, with one clear message
    if "malware" in chosen:
        if malware_rules is not None:
            settings.append(("malware-rules", str(malware_rules.resolve())))
        if malware_hashes is not None:
            settings.append(("malware-hashes", str(malware_hashes.resolve())))
        from seawall.analyze.analyzers.malware import engine_for as malware_engine

        malware_engine(dict(settings))
    return dataclasses.replace(options, scanners=chosen, settings=tuple(settings))


def _severities(params: Mapping[str, Any]) -> frozenset[Severity]:
    from seawall.scan.policy import parse_severities

    return parse_severities(str(params.get("severity") or ""))


def _fail_on(params: Mapping[str, Any]) -> Severity:
    text = str(params.get("fail_on") or "").strip()
    if not text:
        return Severity.UNKNOWN
    if text.upper() not in Severity.__members__:
        raise UsageError(f"--fail-on: unknown severity {text!r}")
    return Severity[text.upper()]


def _add(
    report: Report,
    findings: Iterable[LocatedFinding],
    result_class: str,
    params: Mapping[str, Any],
    target_of: Any = None,
) -> int:
    from seawall.scan.content import ContentResultFinding

    wanted = _severities(params)
    threshold = _fail_on(params)
    by_target: dict[str, Result] = {}
    counted = 0
    ordered = sorted(findings, key=lambda lf: (lf.finding.path, lf.finding.start_line, lf.finding.rule_id))
    for located in ordered:
        item = ContentResultFinding.of(located)
        if wanted and item.severity not in wanted:
            continue
        target = target_of(located) if target_of else located.finding.path
        result = by_target.get(target)
        if result is None:
            result = by_target[target] = Result(target=target, result_class=result_class)
            report.results.append(result)
        (result.secrets if result_class == "secret" else result.malware).append(item)
        counted += item.severity >= threshold
    return counted


def config_secrets(
    inventory: Inventory, secret_config: Path | None = None
) -> tuple[list[LocatedFinding], dict[str, Any] | None]:
    """Secrets in the image config (environment variables, labels, history commands), and the config
    with those secrets masked (None when nothing was found), for the report's ``ImageConfig``."""
    if inventory.image is None:
        return [], None
    from seawall.analyze.analyzers.secret import engine_for

    settings = {"secret-config": str(secret_config.resolve())} if secret_config else {}
    engine, _ = engine_for(settings)
    config: dict[str, Any] = copy.deepcopy(dict(inventory.image.config or {}))
    inner = config.get("config")
    inner = inner if isinstance(inner, dict) else {}
    sections: list[tuple[str, list[str]]] = []
    if isinstance(inner.get("Env"), list):
        sections.append(("Env", [str(e) for e in inner["Env"]]))
    if isinstance(inner.get("Labels"), dict):
        sections.append(("Labels", [f"{k}={v}" for k, v in inner["Labels"].items()]))
    history = config.get("history")
    if isinstance(history, list):
        sections.append(("History", [str(h.get("created_by", "")) for h in history if isinstance(h, dict)]))
    out: list[LocatedFinding] = []
    for name, lines in sections:
        path = f"image config: {name}"
        masked = list(lines)
        for m in engine.scan(path, "\n".join(line.replace("\n", " ") for line in lines)):
            out.append(LocatedFinding(_config_finding(path, m), LayerRef()))
            for entry in m.context:
                number, _, content = entry.partition(": ")
                if number.isdigit() and m.start_line <= int(number) <= m.end_line:
                    masked[int(number) - 1] = content
        if masked != lines:
            _put_back(config, inner, name, masked)
    return out, (config if out else None)


def _config_finding(path: str, m: Any) -> ContentFinding:
    return ContentFinding(
        kind="secret",
        rule_id=m.rule_id,
        severity=m.severity,
        title=m.title,
        path=path,
        category=m.category,
        start_line=m.start_line,
        end_line=m.end_line,
        match=m.match,
        context=m.context,
    )


def _put_back(config: dict[str, Any], inner: dict[str, Any], section: str, masked: list[str]) -> None:
    if section == "Env":
        inner["Env"] = masked
    elif section == "Labels":
        inner["Labels"] = dict(line.partition("=")[::2] for line in masked)
    else:
        entries = [h for h in config["history"] if isinstance(h, dict)]
        for entry, text in zip(entries, masked, strict=False):
            if "created_by" in entry:
                entry["created_by"] = text


def run_secret_scanner(request: Any) -> int:
    """Scanner hook: secrets from every layer (deleted ones marked) and from the image config.

    The report's copy of the image config gets the same masking, so no output shows a secret.
    """
    found = [lf for lf in request.inventory.findings if lf.finding.kind == "secret"]
    secret_config = request.params.get("secret_config")
    in_config, masked_config = config_secrets(
        request.inventory, Path(secret_config) if secret_config else None
    )
    found.extend(in_config)
    if masked_config is not None and request.report.image is not None:
        renamed = _masked_history(request.report.image.config, masked_config)
        request.report.image = dataclasses.replace(
            request.report.image,
            config=masked_config,
            layers=tuple(_relabel(layer, renamed) for layer in request.report.image.layers),
        )
        found = [dataclasses.replace(lf, layer=_relabel(lf.layer, renamed)) for lf in found]
        _relabel_packages(request.report, renamed)
    return _add(request.report, found, "secret", request.params)


def _masked_history(original: Mapping[str, Any], masked: Mapping[str, Any]) -> dict[str, str]:
    """Original history ``created_by`` text -> its masked form, for entries that held a secret."""
    before = [h.get("created_by", "") for h in original.get("history") or [] if isinstance(h, Mapping)]
    after = [h.get("created_by", "") for h in masked.get("history") or [] if isinstance(h, Mapping)]
    return {str(a): str(b) for a, b in zip(before, after, strict=False) if a != b}


def _relabel(layer: LayerRef, renamed: Mapping[str, str]) -> LayerRef:
    # A layer's CreatedBy is its history line: mask it wherever it is printed (Layer objects).
    masked = renamed.get(layer.created_by)
    return layer if masked is None else dataclasses.replace(layer, created_by=masked)


def _relabel_packages(report: Report, renamed: Mapping[str, str]) -> None:
    if not renamed:
        return
    for result in report.results:
        result.packages = [
            dataclasses.replace(p, layer=_relabel(p.layer, renamed)) if p.layer.created_by in renamed else p
            for p in result.packages
        ]


# The runtime bind-mounts these over whatever the image holds; image builders leave them with odd modes.
RUNTIME_FILES = frozenset({"etc/hostname", "etc/hosts", "etc/resolv.conf"})
# Package managers' own metadata (maintainer scripts, hooks): owned by the database, not listed in it.
PACKAGE_DB_DIRS = ("var/lib/dpkg/", "var/lib/rpm/", "lib/apk/", "usr/lib/sysimage/rpm/", "var/cache/")


def unowned_executables(inventory: Inventory) -> list[LocatedFinding]:
    """Executables still in the image that no OS package lists among its files (low severity)."""
    from seawall.scan.malware.dangerous import canonical

    candidates = [
        lf
        for lf in inventory.findings
        if lf.finding.rule_id == "unowned-executable" and lf.finding.category == "candidate"
    ]
    if not candidates or not inventory.os_packages:
        return []  # without a package database there is nothing to compare against
    owned = {canonical(f.lstrip("/")) for p in inventory.os_packages for f in p.installed_files}
    out = []
    for lf in candidates:
        path = lf.finding.path
        if (
            lf.deleted
            or canonical(path) in owned
            or path in RUNTIME_FILES
            or path.startswith(PACKAGE_DB_DIRS)
        ):
            continue
        out.append(
            LocatedFinding(dataclasses.replace(lf.finding, category="unowned-file"), lf.layer, lf.deleted)
        )
    return out


def run_malware_scanner(request: Any) -> int:
    """Scanner hook: YARA and deny-list matches, dangerous files, and executables no package owns."""
    found = [
        lf
        for lf in request.inventory.findings
        if lf.finding.kind in ("malware", "file") and lf.finding.category != "candidate"
    ]
    found.extend(unowned_executables(request.inventory))
    return _add(request.report, found, "malware", request.params)


def content_options_from(
    options: AnalysisOptions, scanners: Iterable[str], params: Mapping[str, Any]
) -> AnalysisOptions:
    """``content_options`` with the settings taken from a command's parsed options (by name)."""
    return content_options(
        options,
        scanners,
        params.get("secret_config"),
        params.get("malware_rules"),
        params.get("malware_hashes"),
    )


def content_params(
    secret_config: SecretConfigOpt = None,
    malware_rules: MalwareRulesOpt = None,
    malware_hashes: MalwareHashesOpt = None,
) -> None:
    """The secret and malware scanners' options, for ``with_options`` (a declaration, never called)."""
