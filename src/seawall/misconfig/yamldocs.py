"""YAML documents with the line range of every node, loaded through seawall.yamlsafe's bounded loader.

Findings point at the exact offending field, so besides the data we keep a map from JSON path to
(start_line, end_line). The alias, depth, expansion and size limits are the ones of
:mod:`seawall.yamlsafe`, whose loader this uses (it checks them while composing, which ``get_node`` does).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from seawall.misconfig.model import JSONPath
from seawall.yamlsafe import MAX_YAML_BYTES, YAMLError, _check_size, _one_line, make_loader


@dataclass(frozen=True, slots=True)
class YAMLDocument:
    """One document of a YAML stream: its data and where each of its nodes is."""

    data: Any
    positions: dict[JSONPath, tuple[int, int]]
    start_line: int
    end_line: int


def load_documents(text: str, name: str, limit: int = MAX_YAML_BYTES) -> Iterator[YAMLDocument]:
    """Parse every document of ``text``, raising :class:`YAMLError` on malformed or hostile input."""
    _check_size(text, name, limit)
    loader = make_loader(text, name)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            data = loader.construct_document(node)
            positions: dict[JSONPath, tuple[int, int]] = {}
            _walk(node, data, (), positions, set())
            yield YAMLDocument(data, positions, node.start_mark.line + 1, _end_line(node))
    except yaml.YAMLError as exc:
        raise YAMLError(f"{name}: invalid YAML: {_one_line(exc)}") from exc
    except YAMLError as exc:
        # yamlsafe's limit errors (aliases, depth, expansion) do not carry the file name.
        if str(exc).startswith(name):
            raise
        raise YAMLError(f"{name}: {exc}") from exc
    except RecursionError as exc:
        raise YAMLError(f"{name}: YAML nested too deeply") from exc
    finally:
        loader.dispose()


def _end_line(node: yaml.Node) -> int:
    # PyYAML's end mark of a block collection sits on the line after its last value at column 0.
    end = node.end_mark
    return end.line if end.column == 0 and end.line > node.start_mark.line else end.line + 1


def _walk(
    node: yaml.Node, data: Any, path: JSONPath, out: dict[JSONPath, tuple[int, int]], seen: set[int]
) -> None:
    out[path] = (node.start_mark.line + 1, _end_line(node))
    if id(node) in seen:  # an aliased subtree: its lines are recorded where it was defined
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode) and isinstance(data, dict):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if isinstance(key, str) and key in data:
                _walk(value_node, data[key], (*path, key), out, seen)
    elif isinstance(node, yaml.SequenceNode) and isinstance(data, list):
        for index, (child, item) in enumerate(zip(node.value, data, strict=False)):
            _walk(child, item, (*path, index), out, seen)
