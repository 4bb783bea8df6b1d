"""The vulnerability-scan flags, defined once for image, rootfs, fs and sbom, and the scanner hook."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from seawall.cli.opts import option as _opt
from seawall.errors import UsageError
from seawall.model import Severity

if TYPE_CHECKING:  # the scanner's modules load only when a scan runs, to keep start-up fast
    from seawall.scan.policy import VulnOptions
    from seawall.vulndb.ensure import DBSettings


SeverityOpt = Annotated[
    str,
    _opt(
        "--severity", "-s", help="Severities to report, comma-separated (UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL)."
    ),
]
IgnoreUnfixedOpt = Annotated[bool, _opt("--ignore-unfixed", help="Report only vulnerabilities with a fix.")]
IgnoreStatusOpt = Annotated[
    str,
    _opt("--ignore-status", help="Statuses to leave out: affected,will_not_fix,fix_deferred,end_of_life,..."),
]
FailOnOpt = Annotated[
    str, _opt("--fail-on", help="With --exit-code: fail only on findings of this severity or higher.")
]
IgnoreFileOpt = Annotated[
    Path | None,
    _opt("--ignorefile", help="Ignore file (.trivyignore syntax, or YAML) (default: .seawallignore)."),
]
VexOpt = Annotated[list[Path] | None, _opt("--vex", help="OpenVEX or CycloneDX VEX document (repeatable).")]
DetectionPriorityOpt = Annotated[
    str,
    _opt(
        "--detection-priority",
        help="precise: OS-owned language packages use vendor advisories only; comprehensive: match them too.",
    ),
]
SortOpt = Annotated[str, _opt("--sort", help="Order of findings: severity or risk (KEV, EPSS, severity).")]
DBDirOpt = Annotated[
    Path | None, _opt("--db-dir", help="Vulnerability database directory (default: CACHE/db).")
]
SkipDBUpdateOpt = Annotated[bool, _opt("--skip-db-update", help="Do not update the vulnerability database.")]
OfflineOpt = Annotated[bool, _opt("--offline", help="No network: never update the database.")]
DBMaxAgeOpt = Annotated[
    float, _opt("--db-max-age", help="Update the database automatically when older than this (hours).")
]

DEFAULT_IGNOREFILE = Path(".seawallignore")


def db_settings(
    cache_dir: Path,
    db_dir: Path | None,
    skip_update: bool = False,
    offline: bool = False,
    max_age: float = 24.0,
) -> DBSettings:
    """Where the database lives and whether a scan may update it."""
    from seawall.vulndb.ensure import DBSettings

    return DBSettings(db_dir or cache_dir / "db", skip_update, offline, max_age)


def vuln_options(params: Mapping[str, Any]) -> VulnOptions:
    """Turn a command's parsed vulnerability flags (by parameter name) into VulnOptions."""
    from seawall.scan.findings import STATUSES
    from seawall.scan.policy import VulnOptions, parse_severities

    priority = str(params.get("detection_priority") or "precise")
    if priority not in ("precise", "comprehensive"):
        raise UsageError(f"--detection-priority must be precise or comprehensive, not {priority!r}")
    sort = str(params.get("sort") or "severity")
    if sort not in ("severity", "risk"):
        raise UsageError(f"--sort must be severity or risk, not {sort!r}")
    fail_on_text = str(params.get("fail_on") or "")
    fail_on: Severity | None = None
    if fail_on_text:
        severities = parse_severities(fail_on_text)
        fail_on = min(severities) if severities else None
    ignore_file = params.get("ignorefile")
    if ignore_file is None and DEFAULT_IGNOREFILE.is_file():
        ignore_file = DEFAULT_IGNOREFILE
    if ignore_file is not None and not Path(ignore_file).is_file():
        raise UsageError(f"ignore file {ignore_file} does not exist")
    statuses = frozenset(s.strip() for s in str(params.get("ignore_status") or "").split(",") if s.strip())
    unknown = sorted(statuses - set(STATUSES))
    if unknown:
        raise UsageError(f"unknown status {unknown[0]!r} for --ignore-status (use {', '.join(STATUSES)})")
    return VulnOptions(
        severities=parse_severities(str(params.get("severity") or "")),
        ignore_unfixed=bool(params.get("ignore_unfixed")),
        ignore_statuses=statuses,
        detection_priority=priority,
        sort=sort,
        ignore_file=Path(ignore_file) if ignore_file else None,
        vex=tuple(Path(p) for p in params.get("vex") or ()),
        exit_code=int(params.get("exit_code") or 0),
        fail_on=fail_on,
    )


def run_vuln_scanner(request: Any) -> int:
    """Scanner hook for ``seawall.cli.scanrun``: add vulnerability findings to the report's results.

    Returns the number of findings that count for ``--exit-code`` (those at or above ``--fail-on``).
    """
    from seawall.report.document import Result
    from seawall.scan.vuln import scan_inventory_detailed
    from seawall.vulndb.ensure import DEMO_NOTE, ensure_database

    params = request.params
    options = vuln_options(params)
    db_dir = params.get("db_dir")
    settings = db_settings(
        Path(request.globals.cache_dir),
        Path(db_dir) if db_dir else None,
        bool(params.get("skip_db_update")),
        bool(params.get("offline")),
        float(params.get("db_max_age") or 24.0),
    )
    db = ensure_database(settings, request.globals.cache_dir)
    try:
        if db.is_demo:
            request.report.notes.append(DEMO_NOTE)
        detailed = scan_inventory_detailed(request.inventory, db, options)
    finally:
        db.close()
    by_target = {r.target: r for r in request.report.results}
    counted = 0
    for target, result in detailed.items():
        if not result.kept and not result.suppressed:
            continue
        res = by_target.get(target)
        if res is None:
            res = Result(target=target, result_class="lang-pkgs")
            request.report.results.append(res)
            by_target[target] = res
        res.vulnerabilities.extend(result.kept)
        res.modified_findings.extend(result.suppressed)  # kept in JSON with their justification
        threshold = options.fail_on or Severity.UNKNOWN
        counted += sum(1 for f in result.kept if f.severity >= threshold)
    return counted


def vuln_params(
    severity: SeverityOpt = "",
    ignore_unfixed: IgnoreUnfixedOpt = False,
    ignore_status: IgnoreStatusOpt = "",
    fail_on: FailOnOpt = "",
    ignorefile: IgnoreFileOpt = None,
    vex: VexOpt = None,
    detection_priority: DetectionPriorityOpt = "precise",
    sort: SortOpt = "severity",
    db_dir: DBDirOpt = None,
    skip_db_update: SkipDBUpdateOpt = False,
    offline: OfflineOpt = False,
    db_max_age: DBMaxAgeOpt = 24.0,
) -> None:
    """The vulnerability scanner's options, for ``with_options`` (a declaration, never called)."""
