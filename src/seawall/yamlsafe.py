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
MAX_ALIASES = 10_000
MAX_DEPTH = 200
MAX_EXPANDED_NODES = 2_000_000  # nodes after alias expansion: what a consumer walking the data would see


class YAMLError(SeawallError):
    """YAML that is malformed, too large, or hostile."""


class _Limits:
    """Alias, depth and expansion limits, applied by the (Python) composer whatever the parser."""

    _aliases = 0
    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):  # type: ignore[attr-defined]
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise YAMLError(f"more than {MAX_ALIASES} YAML aliases (an alias bomb?)")
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise YAMLError(f"YAML nested deeper than {MAX_DEPTH} levels")
            return super().compose_node(parent, index)  # type: ignore[misc]
        finally:
            self._depth -= 1

    def compose_document(self) -> Any:
        node = super().compose_document()  # type: ignore[misc]
        if self._aliases and node is not None:
            _check_expansion(node)
        return node


class _BoundedLoader(_Limits, yaml.SafeLoader):
    """SafeLoader that refuses alias bombs and absurd nesting (pure Python)."""


try:
    from yaml._yaml import CParser

    class _CBoundedLoader(
        _Limits, yaml.composer.Composer, CParser, yaml.constructor.SafeConstructor, yaml.resolver.Resolver
    ):
        """The same limits with LibYAML's C scanner and parser underneath (about 8x faster): the composer
        stays Python, so every node still passes the alias, depth and expansion checks."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
            yaml.composer.Composer.__init__(self)

    HAVE_LIBYAML = True
except ImportError:  # PyYAML built without LibYAML
    HAVE_LIBYAML = False


def make_loader(text: str, name: str = "<yaml>") -> Any:
    """A bounded safe loader for ``text`` (LibYAML-backed when available); call ``dispose()`` after.

    Text YAML cannot hold (control characters) is refused here, as a :class:`YAMLError`.
    """
    try:
        return _CBoundedLoader(text) if HAVE_LIBYAML else _BoundedLoader(text)
    except yaml.YAMLError as exc:
        raise YAMLError(f"{name}: invalid YAML: {_one_line(exc)}") from exc


def _check_expansion(root: yaml.Node) -> None:
    """Refuse documents whose aliases expand to more than MAX_EXPANDED_NODES ("billion laughs")."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise YAMLError("recursive YAML alias")
        active.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(size(child) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        active.discard(key)
        if total > MAX_EXPANDED_NODES:
            raise YAMLError(f"YAML aliases expand to more than {MAX_EXPANDED_NODES} nodes (an alias bomb?)")
        sizes[key] = total
        return total

    size(root)


def _check_size(text: str, name: str, limit: int) -> None:
    if len(text) > limit:
        raise YAMLError(f"{name}: {len(text)} bytes of YAML is over the {limit}-byte limit")


def load_yaml(text: str, name: str = "<yaml>", limit: int = MAX_YAML_BYTES) -> Any:
    """Parse one YAML document safely."""
    _check_size(text, name, limit)
    loader = make_loader(text, name)
    try:
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        raise YAMLError(f"{name}: invalid YAML: {_one_line(exc)}") from exc
    except RecursionError as exc:
        raise YAMLError(f"{name}: YAML nested too deeply") from exc
    finally:
        loader.dispose()


def load_yaml_documents(text: str, name: str = "<yaml>", limit: int = MAX_YAML_BYTES) -> Iterator[Any]:
    """Parse every document of a multi-document YAML stream safely."""
    _check_size(text, name, limit)
    loader = make_loader(text, name)
    try:
        while loader.check_data():
            yield loader.get_data()
    except yaml.YAMLError as exc:
        raise YAMLError(f"{name}: invalid YAML: {_one_line(exc)}") from exc
    finally:
        loader.dispose()


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())
