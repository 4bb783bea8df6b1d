"""The one way to declare a CLI option: its environment variable is ``SEAWALL_<FLAG>``."""

from __future__ import annotations

from typing import Any

import typer

from seawall.settings import env_var


def option(*names: str, help: str, **kw: Any) -> Any:
    """A typer option for ``names`` (long flag first) that also reads ``SEAWALL_<FLAG>``."""
    return typer.Option(*names, envvar=env_var(names[0]), help=help, **kw)
