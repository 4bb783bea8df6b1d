"""``seawall config PATH``: misconfiguration checks for Dockerfiles, Kubernetes manifests, compose files."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import orjson
import typer

from seawall.cli.opts import option as _opt
from seawall.errors import UsageError
from seawall.model import Severity

log = logging.getLogger("seawall.misconfig")

FORMATS = ("table", "json", "sarif", "junit")


def register(app: typer.Typer) -> None:
    """Add ``config`` to the application."""
    app.command("config")(config)


def config(
    paths: Annotated[list[Path], typer.Argument(help="Files or directories to scan.")],
    format: Annotated[
        str, _opt("--format", "-f", help="Output format: table, json, sarif, junit.")
    ] = "table",
    output: Annotated[Path | None, _opt("--output", "-o", help="Write the report to this file.")] = None,
    severity: Annotated[
        str, _opt("--severity", "-s", help="Comma-separated severities to report (default: all).")
    ] = "",
    compliance: Annotated[
        str,
        _opt(
            "--compliance",
            help="Compliance report: docker-cis, k8s-cis, k8s-pss-baseline, k8s-pss-restricted, k8s-nsa.",
        ),
    ] = "",
    policy: Annotated[
        list[Path] | None, _opt("--policy", help="Custom CEL policy file or directory (repeatable).")
    ] = None,
    skip_checks: Annotated[str, _opt("--skip-checks", help="Comma-separated check ids to skip.")] = "",
    ignorefile: Annotated[
        Path | None, _opt("--ignorefile", help="File of check ids to ignore [.seawallignore].")
    ] = None,
    trusted_registries: Annotated[
        str, _opt("--trusted-registries", help="Comma-separated registries base images may come from.")
    ] = "",
    exit_code: Annotated[int, _opt("--exit-code", help="Exit code when findings are reported.")] = 0,
) -> None:
    """Scan configuration files: Dockerfiles, Kubernetes manifests (YAML/JSON, Helm output), compose files."""
    from seawall.misconfig import compliance as comp
    from seawall.misconfig.engine import DEFAULT_TRUSTED_REGISTRIES, EngineOptions
    from seawall.misconfig.scan import build_report, scan_paths
    from seawall.misconfig.suppress import Suppressions, load_ignore_file
    from seawall.report import render

    if format not in FORMATS:
        raise UsageError(f"unknown format {format!r}; choose one of: {', '.join(FORMATS)}")
    if compliance and compliance not in comp.FRAMEWORKS:
        raise UsageError(f"unknown compliance {compliance!r}; choose one of: {', '.join(comp.FRAMEWORKS)}")
    if compliance and format not in ("table", "json"):
        raise UsageError("--compliance reports are printed as table or json")
    severities = _severities(severity)
    ignore = Path(".seawallignore") if ignorefile is None else ignorefile
    ignored = load_ignore_file(ignore) if (ignorefile is not None or ignore.exists()) else frozenset()
    options = EngineOptions(
        skip_checks=frozenset(s.strip() for s in skip_checks.split(",") if s.strip()),
        severities=severities,
        trusted_registries=tuple(r.strip() for r in trusted_registries.split(",") if r.strip())
        or DEFAULT_TRUSTED_REGISTRIES,
        suppressions=Suppressions(ignored_ids=ignored),
    )
    policies = []
    if policy:
        # The CEL library pulls in prompt_toolkit (0.5 s); load it only when policies are given.
        from seawall.misconfig.policy import load_policies

        policies = [c for p in policy for c in load_policies(p)]
    scan = scan_paths(paths, options, policies)
    for warning in scan.warnings:
        log.warning("%s", warning)
    if compliance:
        result = comp.build(compliance, scan.checks, scan.findings, {o.target for o in scan.objects})
        data = (
            orjson.dumps(result.to_json(), option=orjson.OPT_INDENT_2) + b"\n"
            if format == "json"
            else comp.render_table(result).encode()
        )
    else:
        name = str(paths[0]) if len(paths) == 1 else ", ".join(str(p) for p in paths)
        data = render(build_report(scan, name), format)
    _write(data, output)
    if exit_code and scan.findings:
        raise typer.Exit(exit_code)


def _severities(text: str) -> frozenset[Severity]:
    if not text:
        return frozenset(Severity)
    out: set[Severity] = set()
    for name in text.split(","):
        sev = Severity.parse(name)
        if sev is Severity.UNKNOWN and name.strip().upper() != "UNKNOWN":
            raise UsageError(f"unknown severity {name.strip()!r}")
        out.add(sev)
    return frozenset(out)


def _write(data: bytes, output: Path | None) -> None:
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    try:
        output.write_bytes(data)
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror}") from exc
