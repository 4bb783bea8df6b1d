"""``seawall registry``: token auth server, account management, registry probe, access monitor."""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from seawall.cli.opts import option as _opt
from seawall.errors import UsageError

registry_app = typer.Typer(
    help="Registry protection: token auth server, registry audit, access monitoring.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    """Add the ``registry`` command group to the application."""
    app.add_typer(registry_app, name="registry")


def _interrupt(signum: int, frame: Any) -> None:
    # SIGTERM stops the server the same way Ctrl-C does.
    raise KeyboardInterrupt


AuthConfigOpt = Annotated[Path, _opt("--auth-config", help="Auth server config file (YAML).")]


@registry_app.command("auth-server")
def auth_server_cmd(
    auth_config: AuthConfigOpt,
    listen: Annotated[str | None, _opt("--listen", help="HOST:PORT to listen on [config's listen].")] = None,
) -> None:
    """Serve Docker Registry v2 tokens (GET and OAuth2 POST /token); SIGHUP or a file change reloads."""
    from seawall.registry.auth.server import AuthServer, split_listen
    from seawall.registry.auth.service import TokenService

    service = TokenService(auth_config)
    host, port = split_listen(listen or service.config.listen)
    try:
        server = AuthServer(service, host, port)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc}") from exc
    signal.signal(signal.SIGHUP, lambda *_: service.reload(force=True))
    signal.signal(signal.SIGTERM, _interrupt)
    scheme = "https" if server.tls else "http"
    typer.echo(f"seawall auth server on {scheme}://{host}:{server.port}/token", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()
        service.audit.close()


@registry_app.command("hash-password")
def hash_password_cmd(
    algorithm: Annotated[str, _opt("--algorithm", help="argon2 or bcrypt.")] = "argon2",
) -> None:
    """Read a password (prompted on a terminal, else one line of stdin) and print its hash."""
    from seawall.registry.auth.passwords import HashCost, hash_password

    if sys.stdin.isatty():
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise UsageError("no password on stdin")
    typer.echo(hash_password(password, HashCost(algorithm=algorithm)))


@registry_app.command("add-account")
def add_account_cmd(
    name: Annotated[str, typer.Argument(help="Account name (the token's subject).")],
    auth_config: AuthConfigOpt,
    group: Annotated[list[str] | None, _opt("--group", "-g", help="Group; repeat for several.")] = None,
    robot: Annotated[bool, _opt("--robot", help="A robot account: print a new random token.")] = False,
    password_stdin: Annotated[bool, _opt("--password-stdin", help="Read the password from stdin.")] = False,
) -> None:
    """Add an account to the config's ``accounts_file``; the running server picks it up."""
    from seawall.registry.auth.accounts import add_account

    password = None
    if not robot:
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    token = add_account(auth_config, name, group or [], password=password, robot=robot)
    if token:
        typer.echo(token)
    typer.echo(f"added {'robot' if robot else 'account'} {name}", err=True)


def _scan_function(g: Any, scanners: tuple[str, ...], params: dict[str, Any], source: Any) -> Any:
    """A function image-reference -> Report that runs the image pipeline and the chosen scanners."""
    from seawall.analyze.pipeline import scan_image
    from seawall.artifact.target import open_image, parse_target
    from seawall.cli import contentscan as cs
    from seawall.cli.common import DEFAULT_LIMITS, analysis_options
    from seawall.cli.scanrun import ScanRequest, run_scanners
    from seawall.report.document import Report, report_from_inventory

    options = analysis_options(
        True,
        False,
        0,
        DEFAULT_LIMITS.max_file_read,
        DEFAULT_LIMITS.max_layer_size,
        DEFAULT_LIMITS.max_ratio,
        DEFAULT_LIMITS.max_entries,
    )
    options = cs.content_options(options, scanners)

    def scan(reference: str) -> Report:
        with open_image(parse_target(f"docker://{reference}"), source) as img:
            inventory = scan_image(img, g.cache_dir, options)
        report = report_from_inventory(inventory)
        run_scanners(ScanRequest(inventory, report, scanners, g, params))
        return report

    return scan


@registry_app.command("monitor")
def monitor_cmd(
    ctx: typer.Context,
    listen: Annotated[str, _opt("--listen", help="HOST:PORT for the registry's notifications.")] = (
        "127.0.0.1:5002"
    ),
    audit_log: Annotated[
        Path | None, _opt("--audit-log", help="The auth server's audit log to follow.")
    ] = None,
    notify_token: Annotated[
        str, _opt("--notify-token", help="Require 'Authorization: Bearer TOKEN' on notifications.")
    ] = "",
    state_dir: Annotated[
        Path | None, _opt("--state-dir", help="Baselines and results [CACHE_DIR/registry-monitor].")
    ] = None,
    tls_cert: Annotated[Path | None, _opt("--tls-cert", help="Serve HTTPS with this certificate.")] = None,
    tls_key: Annotated[Path | None, _opt("--tls-key", help="Its private key.")] = None,
    warmup_seconds: Annotated[
        float, _opt("--warmup-seconds", help="Learn-only period per account.")
    ] = 86400.0,
    warmup_events: Annotated[int, _opt("--warmup-events", help="Learn-only events per account.")] = 20,
    pull_window: Annotated[float, _opt("--pull-window", help="Seconds over which pulls are counted.")] = 60.0,
    pull_min: Annotated[
        int, _opt("--pull-min", help="Distinct repositories per window always allowed.")
    ] = 20,
    pull_factor: Annotated[
        float, _opt("--pull-factor", help="Alert above this multiple of the account's peak.")
    ] = 5.0,
    pull_volume_min: Annotated[
        int, _opt("--pull-volume-min", help="Manifest pulls per window always allowed (any repositories).")
    ] = 500,
    auth_fail_window: Annotated[float, _opt("--auth-fail-window", help="Seconds for failure bursts.")] = 60.0,
    auth_fail_burst: Annotated[
        int, _opt("--auth-fail-burst", help="Failures in the window that alert.")
    ] = 10,
    beyond_rights_burst: Annotated[
        int,
        _opt("--beyond-rights-burst", help="Token requests for ungranted access in the window that alert."),
    ] = 10,
    protected: Annotated[
        list[str] | None, _opt("--protected", help="Repository glob whose pushes alert; repeatable.")
    ] = None,
    mutable_tag: Annotated[
        list[str] | None, _opt("--mutable-tag", help="Tag glob expected to move (latest); repeatable.")
    ] = None,
    no_novelty: Annotated[
        bool, _opt("--no-novelty", help="No alerts for new addresses, user agents or hours.")
    ] = False,
    output_file: Annotated[
        Path | None, _opt("--output-file", help="Append alerts (JSON lines) here.")
    ] = None,
    webhook_url: Annotated[str, _opt("--webhook-url", help="POST each alert to this URL.")] = "",
    syslog: Annotated[str, _opt("--syslog", help="Syslog address: /dev/log or udp://HOST:PORT.")] = "",
    scan_on_push: Annotated[bool, _opt("--scan-on-push", help="Pull and scan every pushed image.")] = False,
    registry: Annotated[str, _opt("--registry", help="HOST:PORT to pull pushed images from.")] = "",
    username: Annotated[str, _opt("--username", help="Registry user (a robot) for scan-on-push.")] = "",
    password: Annotated[str, _opt("--password", help="Its password or robot token.")] = "",
    insecure: Annotated[
        bool, _opt("--insecure", help="Plain HTTP / unverified TLS to the registry.")
    ] = False,
    scanners: Annotated[str, _opt("--scanners", help="Scanners for scan-on-push.")] = "vuln,secret",
    fail_severity: Annotated[
        str, _opt("--fail-severity", help="Vulnerability severity that breaks the policy.")
    ] = "CRITICAL",
    db_dir: Annotated[Path | None, _opt("--db-dir", help="Vulnerability database directory.")] = None,
    skip_db_update: Annotated[bool, _opt("--skip-db-update", help="Do not update the database.")] = False,
    offline: Annotated[bool, _opt("--offline", help="No network for the database.")] = False,
) -> None:
    """Receive registry notifications and the auth audit log; alert on anomalous access; scan on push."""
    import time

    from seawall.cli.common import parse_scanners
    from seawall.model import Severity
    from seawall.registry.auth.server import split_listen
    from seawall.registry.monitor.detectors import Detectors, Thresholds
    from seawall.registry.monitor.receiver import AuditFollower, Monitor, NotificationServer
    from seawall.registry.monitor.scanonpush import ScanOnPush, ScanPolicy
    from seawall.registry.monitor.state import MonitorState
    from seawall.runtime.sinks import FileSink, Sink, StdoutSink, SyslogSink, WebhookSink

    g = ctx.obj
    if (
        min(pull_window, auth_fail_window, pull_factor) <= 0
        or min(pull_min, pull_volume_min, auth_fail_burst, beyond_rights_burst) < 1
    ):
        raise UsageError("windows, factors and counts must be positive")
    severity = Severity.parse(fail_severity)
    if severity == Severity.UNKNOWN:
        raise UsageError(f"unknown severity {fail_severity!r}")
    if bool(tls_cert) != bool(tls_key):
        raise UsageError("--tls-cert and --tls-key go together")
    if scan_on_push and not registry:
        raise UsageError("--scan-on-push needs --registry HOST:PORT")
    state_root = state_dir or g.cache_dir / "registry-monitor"
    thresholds = Thresholds(
        warmup_seconds=warmup_seconds,
        warmup_events=warmup_events,
        pull_window=pull_window,
        pull_min=pull_min,
        pull_factor=pull_factor,
        pull_volume_min=pull_volume_min,
        auth_fail_window=auth_fail_window,
        auth_fail_burst=auth_fail_burst,
        beyond_rights_burst=beyond_rights_burst,
        protected=tuple(protected or ()),
        mutable_tags=tuple(mutable_tag or ()),
        alert_new_address=not no_novelty,
        alert_new_user_agent=not no_novelty,
        alert_off_hours=not no_novelty,
    )
    sinks: list[Sink] = [StdoutSink()]
    if output_file:
        sinks.append(FileSink(output_file))
    if webhook_url:
        sinks.append(WebhookSink(webhook_url))
    if syslog:
        sinks.append(SyslogSink(syslog))
    state = MonitorState(state_root / "state.sqlite")
    detectors = Detectors(state, thresholds)
    monitor = Monitor(detectors, sinks)
    scanner_worker = None
    if scan_on_push:
        from seawall.artifact.options import SourceOptions

        chosen = parse_scanners(scanners)
        source = SourceOptions(
            cache_dir=g.cache_dir,
            insecure=insecure,
            username=username,
            password=password,
            image_src=("remote",),
        )
        params = {"db_dir": db_dir, "skip_db_update": skip_db_update, "offline": offline}
        scanner_worker = ScanOnPush(
            _scan_function(g, chosen, params, source),
            registry,
            state_root / "scans",
            monitor.emit,
            ScanPolicy(fail_severity=severity),
            hostname=detectors.hostname,
        )
        detectors.on_push = scanner_worker.submit
    host, port = split_listen(listen)
    try:
        tls = (tls_cert, tls_key) if tls_cert and tls_key else None
        server = NotificationServer(monitor, host, port, notify_token, tls).start()
    except OSError as exc:
        raise UsageError(f"cannot listen on {listen}: {exc}") from exc
    follower = AuditFollower(audit_log, monitor).start() if audit_log else None
    scheme = "https" if tls else "http"
    typer.echo(f"seawall registry monitor on {scheme}://{host}:{server.port}/ (notifications)", err=True)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        if follower:
            follower.stop()
        if scanner_worker:
            scanner_worker.close()
        for sink in sinks:
            sink.close()
        state.close()


@registry_app.command("results")
def results_cmd(
    ctx: typer.Context,
    state_dir: Annotated[
        Path | None, _opt("--state-dir", help="The monitor's state directory [CACHE_DIR/registry-monitor].")
    ] = None,
) -> None:
    """Print the stored scan-on-push results as JSON lines (repository, digest, violations)."""
    import orjson

    from seawall.registry.monitor.scanonpush import load_results

    for rec in load_results((state_dir or ctx.obj.cache_dir / "registry-monitor") / "scans"):
        rec.pop("Report", None)
        sys.stdout.write(orjson.dumps(rec).decode() + "\n")


@registry_app.command("audit")
def audit_cmd(
    url: Annotated[
        str, typer.Argument(help="Registry URL: https://HOST[:PORT] (http:// to probe plain HTTP).")
    ],
    repository: Annotated[
        str, _opt("--repository", help="Repository to try pulls, pushes and deletes on [first in catalog].")
    ] = "",
    username: Annotated[str, _opt("--username", help="User for the credentialed delete check.")] = "",
    password: Annotated[str, _opt("--password", help="Its password.")] = "",
    insecure: Annotated[
        bool, _opt("--insecure", help="Do not verify the registry's TLS certificate.")
    ] = False,
    timeout: Annotated[float, _opt("--timeout", help="Network timeout in seconds.")] = 15.0,
    output_format: Annotated[str, _opt("--format", "-f", help="table or json.")] = "table",
    exit_code: Annotated[int, _opt("--exit-code", help="Exit code when findings are reported.")] = 0,
) -> None:
    """Probe a running registry: TLS, anonymous API/catalog/pull/push/delete, credentials over HTTP."""
    import orjson

    from seawall.registry.probe import probe

    if output_format not in ("table", "json"):
        raise UsageError("--format must be table or json")
    report = probe(url, repository, username, password, insecure, timeout)
    if output_format == "json":
        sys.stdout.write(orjson.dumps(report.to_json(), option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        typer.echo(f"{report.url}: {len(report.findings)} findings")
        for f in sorted(report.findings, key=lambda f: -f.severity):
            typer.echo(f"  {f.id:<9} {f.severity.name:<9} {f.title}: {f.detail}")
    if report.findings and exit_code:
        raise typer.Exit(exit_code)
