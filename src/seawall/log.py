"""The one logging setup: warnings and progress on stderr, reports on stdout."""

from __future__ import annotations

import logging
import sys

from rich.console import Console
from rich.logging import RichHandler

_stderr: Console | None = None


def stderr_console() -> Console:
    """The console for progress bars and log lines (stderr, so reports on stdout stay clean)."""
    global _stderr
    if _stderr is None:
        _stderr = Console(stderr=True, highlight=False)
    return _stderr


def setup_logging(quiet: bool = False, debug: bool = False) -> None:
    """Configure the ``seawall`` logger once: WARNING by default, ERROR with --quiet, DEBUG with --debug."""
    level = logging.DEBUG if debug else logging.ERROR if quiet else logging.WARNING
    root = logging.getLogger("seawall")
    root.setLevel(level)
    root.handlers.clear()
    if sys.stderr.isatty():
        handler: logging.Handler = RichHandler(
            console=stderr_console(), show_time=debug, show_path=debug, markup=False
        )
        handler.setFormatter(logging.Formatter("%(message)s"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    root.addHandler(handler)
    root.propagate = False


def progress_enabled(quiet: bool) -> bool:
    """Progress bars only on an interactive stderr and never with --quiet."""
    return not quiet and sys.stderr.isatty()
