"""`seawall config` as a library call: load files, run built-in and custom checks, build the report."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from seawall.misconfig.engine import EngineOptions, run_checks
from seawall.misconfig.loader import load_paths
from seawall.misconfig.model import Check, ConfigObject, MisconfigFinding
from seawall.misconfig.registry import all_checks
from seawall.report.document import Report, Result


@dataclass(frozen=True, slots=True)
class ConfigScan:
    """What a configuration scan found, and the files it read or skipped."""

    objects: tuple[ConfigObject, ...]
    findings: tuple[MisconfigFinding, ...]
    warnings: tuple[str, ...]
    files: tuple[str, ...]
    checks: tuple[Check, ...]


def scan_paths(
    paths: Sequence[Path], options: EngineOptions | None = None, policies: Iterable[Check] = ()
) -> ConfigScan:
    """Scan files and directories with every built-in check plus ``policies``."""
    base = paths[0] if len(paths) == 1 and paths[0].is_dir() else None
    loaded = load_paths(paths, base)
    checks = (*all_checks(), *policies)
    findings = run_checks(loaded.objects, checks, options)
    return ConfigScan(loaded.objects, tuple(findings), loaded.warnings, loaded.files, tuple(checks))


def build_report(scan: ConfigScan, artifact_name: str) -> Report:
    """One ``Result`` per scanned file (class ``config``), findings in file order."""
    types: dict[str, str] = {}
    for obj in scan.objects:
        types.setdefault(obj.file, obj.target)
    by_file: dict[str, list[MisconfigFinding]] = {f: [] for f in scan.files}
    for finding in scan.findings:
        by_file.setdefault(finding.file, []).append(finding)
    report = Report(artifact_name=artifact_name, artifact_type="filesystem")
    for file, findings in by_file.items():
        findings.sort(key=lambda f: (f.start_line, f.check.id))
        report.results.append(
            Result(
                target=file, result_class="config", type=types.get(file, ""), misconfigurations=list(findings)
            )
        )
    return report
