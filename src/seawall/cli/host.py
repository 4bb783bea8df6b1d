"""``seawall host``: audit a live container host (or a mounted host filesystem) against CIS Docker 1.6."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import orjson
import typer

from seawall.cli.opts import option as _opt
from seawall.errors import UsageError

if TYPE_CHECKING:  # the audit modules are imported when the command runs, to keep start-up fast
    from seawall.host.snapshot import HostSnapshot
    from seawall.host.versions import RuntimeVulns

log = logging.getLogger("seawall.host")

FORMATS = ("table", "json", "sarif", "junit")


def register(app: typer.Typer) -> None:
    """Add ``host`` to the application."""
    app.command("host")(host)


def host(
    ctx: typer.Context,
    docker_host: Annotated[
        str,
        _opt(
            "--docker-host",
            help="Engine API: unix:///path.sock or tcp://host:port [$DOCKER_HOST, Podman, Docker].",
        ),
    ] = "",
    root: Annotated[
        Path | None, _opt("--root", help="Audit the host filesystem mounted at DIR (offline; no engine API).")
    ] = None,
    format: Annotated[
        str, _opt("--format", "-f", help="Output format: table, json, sarif, junit.")
    ] = "table",
    output: Annotated[Path | None, _opt("--output", "-o", help="Write the report to this file.")] = None,
    compliance: Annotated[str, _opt("--compliance", help="Compliance report: docker-cis.")] = "",
    skip_checks: Annotated[str, _opt("--skip-checks", help="Comma-separated HOST check ids to skip.")] = "",
    include_non_failures: Annotated[
        bool, _opt("--include-non-failures", help="Also report passed, manual and not-applicable results.")
    ] = False,
    skip_version_check: Annotated[
        bool, _opt("--skip-version-check", help="Do not match runtime versions against the vulnerability DB.")
    ] = False,
    db_dir: Annotated[
        Path | None, _opt("--db-dir", help="Vulnerability database directory (default: CACHE/db).")
    ] = None,
    skip_db_update: Annotated[
        bool, _opt("--skip-db-update", help="Do not update the vulnerability database.")
    ] = False,
    offline: Annotated[bool, _opt("--offline", help="No network: never update the database.")] = False,
    exit_code: Annotated[int, _opt("--exit-code", help="Exit code when a control fails.")] = 0,
) -> None:
    """Audit the container host against CIS Docker 1.6: daemon config, files, containers, runtime versions."""
    from seawall.host.audit import (
        build_report,
        compliance_json,
        compliance_report,
        render_compliance_table,
        run_audit,
    )
    from seawall.host.snapshot import collect
    from seawall.misconfig.checks.host import FAIL, host_checks
    from seawall.report import render

    if format not in FORMATS:
        raise UsageError(f"unknown format {format!r}; choose one of: {', '.join(FORMATS)}")
    if compliance and compliance != "docker-cis":
        raise UsageError(f"unknown compliance {compliance!r} for host audits; choose docker-cis")
    if root is not None and not root.is_dir():
        raise UsageError(f"--root {root} is not a directory")
    skip = {s.strip().upper() for s in skip_checks.split(",") if s.strip()}
    unknown = sorted(skip - set(host_checks()))
    if unknown:
        raise UsageError(f"unknown host check id {unknown[0]!r}")
    snap = collect(root or Path("/"), docker_host)
    runtime = None if skip_version_check else _runtime(snap, ctx, db_dir, skip_db_update, offline)
    audit = run_audit(snap, skip, runtime=runtime)
    name = f"host:{root}" if root is not None else f"host:{snap.engine.endpoint if snap.engine else '/'}"
    if compliance:
        if format == "json":
            data = orjson.dumps(compliance_json(audit), option=orjson.OPT_INDENT_2) + b"\n"
        elif format == "table":
            data = render_compliance_table(compliance_json(audit)).encode()
        else:
            data = render(compliance_report(audit, name), format)
    else:
        report = build_report(audit, name, include_non_failures)
        if runtime is not None and runtime.findings:
            from seawall.report.document import Result

            report.results.append(
                Result(
                    target="container runtime",
                    result_class="lang-pkgs",
                    type="gobinary",
                    vulnerabilities=list(runtime.findings),
                )
            )
        data = render(report, format)
    _write(data, output)
    if exit_code and any(o.outcome.status == FAIL for o in audit.outcomes):
        raise typer.Exit(exit_code)


def _runtime(
    snap: HostSnapshot, ctx: typer.Context, db_dir: Path | None, skip_update: bool, offline: bool
) -> RuntimeVulns:
    """The runtime components matched against the vulnerability database (updated as for image scans)."""
    from seawall.cli.vulnopts import db_settings
    from seawall.host.versions import components, match_runtime, os_release
    from seawall.vulndb.ensure import ensure_database

    comps = components(snap)
    cache_dir = Path(ctx.obj.cache_dir)
    db = ensure_database(db_settings(cache_dir, db_dir, skip_update, offline), cache_dir)
    try:
        return match_runtime(comps, db, os_release(snap))
    finally:
        db.close()


def _write(data: bytes, output: Path | None) -> None:
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    try:
        output.write_bytes(data)
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror}") from exc
