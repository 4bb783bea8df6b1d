"""The ``seawall`` command: global options, config file, error handling, command groups."""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from click.exceptions import ClickException

from seawall import __version__
from seawall.errors import SeawallError
from seawall.settings import default_cache_dir, env_var, load_config_file

log = logging.getLogger("seawall")

app = typer.Typer(
    name="seawall",
    help="Seawall: scan images, filesystems and configuration; watch runtimes and registries.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help texts hold literal brackets ("oci:DIR[:TAG]", "os/arch[/variant]")
    context_settings={"help_option_names": ["-h", "--help"]},
)


@dataclass(slots=True)
class GlobalOptions:
    """Options every command can read from ``ctx.obj``."""

    cache_dir: Path
    quiet: bool = False
    debug: bool = False


def _version(value: bool) -> None:
    if value:
        typer.echo(f"seawall {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    ctx: typer.Context,
    version: Annotated[
        bool, typer.Option("--version", "-v", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", envvar=env_var("quiet"), help="Only errors; no progress bars.")
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", "-d", envvar=env_var("debug"), help="Debug logging.")
    ] = False,
    cache_dir: Annotated[
        Path | None,
        typer.Option("--cache-dir", envvar=env_var("cache-dir"), help="Cache directory [~/.cache/seawall]."),
    ] = None,
    # Named config_file so that click's default_map key cannot collide with the `config` command's section.
    config_file: Annotated[
        Path | None,
        typer.Option("--config", "-c", envvar=env_var("config"), help="Config file [seawall.yaml]."),
    ] = None,
) -> None:
    """Global options."""
    from seawall.log import setup_logging

    setup_logging(quiet=quiet, debug=debug)
    ctx.obj = GlobalOptions(cache_dir=cache_dir or default_cache_dir(), quiet=quiet, debug=debug)


# Command name -> the module under seawall.cli that registers it. Only the module of the command being
# run is imported (building every group's options costs a quarter second); --help loads them all.
COMMAND_MODULES = {
    "image": "image",
    "rootfs": "image",
    "fs": "image",
    "sbom": "sbom",
    "db": "db",
    "config": "config",
    "runtime": "runtime",
    "registry": "registry",
    "host": "host",
    "k8s": "k8s",
}
_registered: set[str] = set()


def register_commands(names: Iterable[str] = ()) -> None:
    """Register the modules of the named commands (all of them when none is named or one is unknown)."""
    wanted = [COMMAND_MODULES.get(n) for n in names]
    modules = (
        [m for m in wanted if m] if wanted and all(wanted) else list(dict.fromkeys(COMMAND_MODULES.values()))
    )
    for module in modules:
        if module not in _registered:
            importlib.import_module(f"seawall.cli.{module}").register(app)
            _registered.add(module)


def _command_name(args: list[str]) -> str:
    """The first word on the command line that is not a global option or its value."""
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in GLOBAL_VALUE_FLAGS:
            i += 2
            continue
        if not arg.startswith("-"):
            return arg
        i += 1
    return ""


def _cascade(command: Any, flat: dict[str, Any], own: dict[str, Any]) -> dict[str, Any]:
    """Give every (sub)command the top-level config keys plus its own section."""
    result: dict[str, Any] = {k: v for k, v in flat.items() if not isinstance(v, dict)}
    result.update({k: v for k, v in own.items() if not isinstance(v, dict)})
    if hasattr(command, "commands"):
        for name, sub in command.commands.items():
            section = own.get(name.replace("-", "_"), {})
            result[name] = _cascade(sub, result, section if isinstance(section, dict) else {})
    return result


def _config_path(argv: list[str]) -> Path | None:
    for i, arg in enumerate(argv):
        if arg in ("--config", "-c") and i + 1 < len(argv):
            return Path(argv[i + 1])
        if arg.startswith("--config="):
            return Path(arg.split("=", 1)[1])
    return None


GLOBAL_VALUE_FLAGS = ("--cache-dir", "--config")
GLOBAL_SWITCHES = ("--quiet", "-q", "--debug")


def hoist_global_options(args: list[str]) -> list[str]:
    """Move global options given after the command (``seawall image --cache-dir X``) to the front,
    so they work anywhere on the line, as Trivy's do."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest.extend(args[i:])
            break
        name = arg.split("=", 1)[0]
        if name in GLOBAL_VALUE_FLAGS:
            if "=" in arg:
                front.append(arg)
            elif i + 1 < len(args):
                front.extend(args[i : i + 2])
                i += 1
            else:
                rest.append(arg)
        elif arg in GLOBAL_SWITCHES:
            front.append(arg)
        else:
            rest.append(arg)
        i += 1
    return front + rest


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI, turning every error into one line on stderr and an exit code."""
    args = hoist_global_options(list(sys.argv[1:] if argv is None else argv))
    debug = "--debug" in args or "-d" in args
    try:
        name = _command_name(args)
        register_commands([name] if name else [])
        command = typer.main.get_command(app)
        config = load_config_file(_config_path(args))
        default_map = _cascade(command, config, config)
        rv = command.main(args=args, prog_name="seawall", default_map=default_map, standalone_mode=False)
        return int(rv) if isinstance(rv, int) else 0
    except typer.Exit as exc:
        return int(exc.exit_code)
    except ClickException as exc:
        exc.show()
        return 2
    except typer.Abort:
        typer.echo("seawall: aborted", err=True)
        return 130
    except SeawallError as exc:
        if debug:
            log.exception("error")
        typer.echo(f"seawall: error: {exc}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        typer.echo("seawall: interrupted", err=True)
        return 130
    except BrokenPipeError:
        return 1
    except MemoryError:
        typer.echo("seawall: error: out of memory", err=True)
        return 2
    except Exception as exc:
        if debug:
            log.exception("internal error")
        typer.echo(f"seawall: internal error: {type(exc).__name__}: {exc} (run with --debug)", err=True)
        return 3


if __name__ == "__main__":
    sys.exit(main())
