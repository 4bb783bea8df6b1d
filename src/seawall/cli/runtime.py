"""``seawall runtime``: run the Falco-compatible detection agent; validate and list rules."""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from seawall.cli.opts import option as _opt
from seawall.errors import UsageError

runtime_app = typer.Typer(help="Runtime threat detection with Falco-compatible rules.", no_args_is_help=True)
rules_app = typer.Typer(help="Validate and list Falco rules files.", no_args_is_help=True)
runtime_app.add_typer(rules_app, name="rules")


def register(app: typer.Typer) -> None:
    """Add the ``runtime`` command group to the application."""
    app.add_typer(runtime_app, name="runtime")


RulesOpt = Annotated[
    list[Path] | None, _opt("--rules", "-r", help="Falco rules file; repeat to load several, in order.")
]


def default_rules(source: str = "") -> list[Path]:
    """The bundled Falco rules for a source, as Falco loads its default rules file: the stable syscall
    rules, the k8saudit rules, or both (for ``replay:``, which can hold either kind of event)."""
    import seawall

    base = Path(seawall.__file__).parent / "data" / "falco-rules"
    syscall, audit = base / "falco_rules.yaml", base / "k8s_audit_rules.yaml"
    if source == "k8s-audit":
        return [audit]
    if source in ("bpf", "proc", "fanotify"):
        return [syscall]
    return [syscall, audit]


def _load(paths: list[Path]) -> Any:
    from seawall.runtime.rules.compiler import compile_spec
    from seawall.runtime.rules.loader import load_rule_files

    for p in paths:
        if not p.is_file():
            raise UsageError(f"rules file {p} does not exist")
    return compile_spec(load_rule_files(paths))


@rules_app.command("validate")
def validate_cmd(
    files: Annotated[list[Path], typer.Argument(help="Rules files, loaded in this order.")],
) -> None:
    """Load rules files as the agent would; print every error and warning with file and line."""
    rs = _load(files)
    for d in rs.diagnostics:
        typer.echo(str(d), err=True)
    errors = sum(1 for d in rs.diagnostics if d.level == "error")
    typer.echo(
        f"{len(rs.rules)} rules compiled, {len(rs.skipped)} skipped, {rs.macros} macros, {rs.lists} lists; "
        f"{errors} errors, {len(rs.diagnostics) - errors} warnings"
    )
    if errors:
        raise typer.Exit(1)


@rules_app.command("list")
def list_cmd(
    rules: RulesOpt = None,
    output_format: Annotated[str, _opt("--format", "-f", help="table or json.")] = "table",
) -> None:
    """List the rules the files define (default: the bundled Falco rules): name, priority, source, ..."""
    if not rules:
        rules = default_rules()
    rs = _load(rules)
    rows = [
        {
            "rule": r.name,
            "priority": r.priority.label,
            "source": r.source,
            "enabled": r.enabled,
            "evttypes": sorted(r.evttypes) if r.evttypes is not None else None,
            "tags": list(r.tags),
        }
        for r in rs.rules
    ]
    rows += [{"rule": name, "skipped": reason} for name, reason in rs.skipped.items()]
    if output_format == "json":
        sys.stdout.write(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    if output_format != "table":
        raise UsageError("--format must be table or json")
    for row in rows:
        if "skipped" in row:
            typer.echo(f"{row['rule']}\tskipped: {row['skipped']}")
            continue
        types = ",".join(row["evttypes"]) if row["evttypes"] is not None else "all"
        state = "enabled" if row["enabled"] else "disabled"
        typer.echo(f"{row['rule']}\t{row['priority']}\t{row['source']}\t{state}\t{types}")


@runtime_app.command("run")
def run_cmd(
    ctx: typer.Context,
    rules: RulesOpt = None,
    source: Annotated[
        str, _opt("--source", help="k8s-audit, bpf, proc, fanotify, or replay:FILE.")
    ] = "k8s-audit",
    listen: Annotated[str, _opt("--listen", help="k8s-audit webhook address HOST:PORT.")] = "127.0.0.1:9765",
    audit_log: Annotated[
        Path | None, _opt("--audit-log", help="Tail this Kubernetes audit log file instead of the webhook.")
    ] = None,
    tls_cert: Annotated[
        Path | None, _opt("--tls-cert", help="Serve the webhook over HTTPS with this cert.")
    ] = None,
    tls_key: Annotated[Path | None, _opt("--tls-key", help="Private key for --tls-cert.")] = None,
    min_priority: Annotated[str, _opt("--min-priority", help="Lowest priority to alert on.")] = "debug",
    rule_matching: Annotated[
        str, _opt("--rule-matching", help="first or all (Falco's rule_matching).")
    ] = "first",
    json_output: Annotated[
        bool, _opt("--json-output/--text-output", help="Alerts on stdout as JSON lines or text.")
    ] = True,
    output_file: Annotated[
        Path | None, _opt("--output-file", help="Also append alerts to this file.")
    ] = None,
    webhook_url: Annotated[str, _opt("--webhook-url", help="Also POST alerts to this URL.")] = "",
    syslog: Annotated[str, _opt("--syslog", help="Also send alerts to syslog: /dev/log or udp://H:P.")] = "",
    stats_interval: Annotated[
        float, _opt("--stats-interval", help="Seconds between counter lines on stderr (0: only at exit).")
    ] = 60.0,
    capture: Annotated[
        Path | None, _opt("--capture", help="Write every event seen to this replay file.")
    ] = None,
    podman_socket: Annotated[
        str, _opt("--container-socket", help="Podman/Docker API socket for container attribution.")
    ] = "",
) -> None:
    """Watch a live source (or replay a recording) and raise Falco-compatible alerts."""
    from seawall.runtime.agent import Agent
    from seawall.runtime.alerts import Priority
    from seawall.runtime.engine import Engine
    from seawall.runtime.sinks import FileSink, Sink, StdoutSink, SyslogSink, WebhookSink
    from seawall.runtime.sources.factory import make_source
    from seawall.runtime.sources.replay import CaptureWriter

    if not rules:
        rules = default_rules(source)
    rs = _load(rules)
    errors = [d for d in rs.diagnostics if d.level == "error"]
    for d in rs.diagnostics:
        typer.echo(str(d), err=True)
    if errors:
        raise UsageError(f"{len(errors)} errors in the rules files (see above)")
    if rule_matching not in ("first", "all"):
        raise UsageError("--rule-matching must be first or all")
    engine = Engine(rs, min_priority=Priority.from_flag(min_priority), rule_matching=rule_matching)
    src = make_source(source, listen=listen, audit_log=audit_log, tls_cert=tls_cert, tls_key=tls_key)
    sinks: list[Sink] = [StdoutSink(json_output=json_output)]
    if output_file is not None:
        sinks.append(FileSink(output_file))
    if webhook_url:
        sinks.append(WebhookSink(webhook_url))
    if syslog:
        sinks.append(SyslogSink(syslog))
    enrich = None
    if source in ("bpf", "proc", "fanotify"):
        from seawall.runtime.containers import ContainerResolver

        enrich = ContainerResolver(podman_socket or None).enrich
    agent = Agent(
        source=src,
        engine=engine,
        sinks=sinks,
        enrich=enrich,
        capture=CaptureWriter(capture) if capture is not None else None,
        stats_interval=stats_interval,
    )

    def _stop(signum: int, frame: Any) -> None:
        src.stop()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        agent.run()
    finally:
        for sink in sinks:
            sink.close()
        if not stats_interval:
            agent.report()
