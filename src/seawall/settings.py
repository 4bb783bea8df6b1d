"""Global settings: cache directory, config file and environment variables.

Precedence, as Trivy's: command-line flag, then ``SEAWALL_<FLAG>`` environment variable, then the
config file (``seawall.yaml`` in the working directory, or ``--config`` / ``SEAWALL_CONFIG``), then the
built-in default.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from seawall.errors import UsageError

DEFAULT_CONFIG_NAME = "seawall.yaml"


def default_cache_dir() -> Path:
    """``$SEAWALL_CACHE_DIR``, else ``$XDG_CACHE_HOME/seawall``, else ``~/.cache/seawall``."""
    env = os.environ.get("SEAWALL_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return Path(xdg) / "seawall" if xdg else Path.home() / ".cache" / "seawall"


def env_var(flag: str) -> str:
    """The environment variable for a long flag: ``--cache-dir`` -> ``SEAWALL_CACHE_DIR``."""
    return "SEAWALL_" + flag.lstrip("-").replace("-", "_").upper()


def load_config_file(path: Path | None) -> dict[str, Any]:
    """Read the config file into click's ``default_map`` shape.

    Keys are long flag names (``cache-dir``, ``format``, ``severity``) at the top level, where they
    apply to every command, or under a command name (``image:``, ``config:``) for that command alone.
    """
    from seawall.yamlsafe import load_yaml

    explicit = path is not None
    if path is None:
        env = os.environ.get("SEAWALL_CONFIG")
        path = Path(env) if env else Path(DEFAULT_CONFIG_NAME)
        explicit = bool(env)
    if not path.exists():
        if explicit:
            raise UsageError(f"config file {path} does not exist")
        return {}
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read config file {path}: {exc}") from exc
    data = load_yaml(text, str(path))
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UsageError(f"config file {path} must be a mapping of flag names to values")
    return _to_default_map(data)


def _to_default_map(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = str(key).replace("-", "_")
        out[name] = _to_default_map(value) if isinstance(value, dict) else value
    return out
