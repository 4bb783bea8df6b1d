"""The one way to declare a CLI option: its environment variable is ``SEAWALL_<FLAG>``."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TypeVar

import typer

from seawall.settings import env_var


def option(*names: str, help: str, **kw: Any) -> Any:
    """A typer option for ``names`` (long flag first) that also reads ``SEAWALL_<FLAG>``."""
    return typer.Option(*names, envvar=env_var(names[0]), help=help, **kw)


F = TypeVar("F", bound=Callable[..., Any])


def with_options(*templates: Callable[..., None]) -> Callable[[F], F]:
    """Give a command the options declared once in ``templates`` (functions whose parameters are the
    options); the command receives them in ``**kwargs`` and in ``ctx.params``.

    Typer reads a command's options from its signature, so without this every scan command would
    repeat the same twenty option declarations.
    """

    def decorate(func: F) -> F:
        own = inspect.signature(func, eval_str=True)
        params = [p for p in own.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
        names = {p.name for p in params}
        for template in templates:
            for p in inspect.signature(template, eval_str=True).parameters.values():
                if p.name not in names:
                    params.append(p.replace(kind=inspect.Parameter.KEYWORD_ONLY))
                    names.add(p.name)
        func.__signature__ = own.replace(parameters=params)  # type: ignore[attr-defined]
        return func

    return decorate
