"""``seawall registry``: token auth server, account management, registry probe, access monitor."""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from seawall.errors import UsageError
from seawall.settings import env_var

registry_app = typer.Typer(
    help="Registry protection: token auth server, registry audit, access monitoring.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    """Add the ``registry`` command group to the application."""
    app.add_typer(registry_app, name="registry")


def _opt(*names: str, help: str, **kw: Any) -> Any:
    return typer.Option(*names, envvar=env_var(names[0]), help=help, **kw)


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
    """Read a password from stdin and print its hash for the config's ``password_hash``."""
    from seawall.registry.auth.passwords import HashCost, hash_password

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
