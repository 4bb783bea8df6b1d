"""The one YAML loader: safe tags only, with limits on size, aliases and nesting.

PyYAML's ``SafeLoader`` refuses arbitrary tags but happily expands "billion laughs" alias bombs
into a structure of exponential size. This loader counts alias references and bounds nesting and
input size, so hostile YAML ends in a clear :class:`YAMLError` instead of exhausting memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml

from seawall.errors import SeawallError

MAX_YAML_BYTES = 32 * 1024 * 1024
MAX_ALIASES = 1000
MAX_DEPTH = 200


class YAMLError(SeawallError):
    """YAML that is malformed, too large, or hostile."""


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that refuses alias bombs and absurd nesting."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._aliases = 0
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise YAMLError(f"more than {MAX_ALIASES} YAML aliases (an alias bomb?)")
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise YAMLError(f"YAML nested deeper than {MAX_DEPTH} levels")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _check_size(text: str, name: str, limit: int) -> None:
    if len(text) > limit:
        raise YAMLError(f"{name}: {len(text)} bytes of YAML is over the {limit}-byte limit")


def load_yaml(text: str, name: str = "<yaml>", limit: int = MAX_YAML_BYTES) -> Any:
    """Parse one YAML document safely."""
    _check_size(text, name, limit)
    loader = _BoundedLoader(text)
    try:
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        raise YAMLError(f"{name}: invalid YAML: {_one_line(exc)}") from exc
    finally:
        loader.dispose()


def load_yaml_documents(text: str, name: str = "<yaml>", limit: int = MAX_YAML_BYTES) -> Iterator[Any]:
    """Parse every document of a multi-document YAML stream safely."""
    _check_size(text, name, limit)
    loader = _BoundedLoader(text)
    try:
        while loader.check_data():  # type: ignore[no-untyped-call]
            yield loader.get_data()
    except yaml.YAMLError as exc:
        raise YAMLError(f"{name}: invalid YAML: {_one_line(exc)}") from exc
    finally:
        loader.dispose()


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())
