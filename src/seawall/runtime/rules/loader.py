"""Read Falco rules files: lists, macros, rules, exceptions, ``append`` and ``override``.

Files are applied in order, so later files extend or replace what earlier ones defined, exactly as
Falco's ``rule_loader_collector`` does. Problems are collected as diagnostics naming file and line;
the caller decides whether errors are fatal (``run``) or only printed (``rules validate``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seawall.errors import SeawallError
from seawall.runtime.alerts import Priority
from seawall.runtime.events import SYSCALL
from seawall.yamlsafe import YAMLError, load_yaml

MAX_RULES_FILE_BYTES = 16 * 1024 * 1024

RULE_APPENDABLE = frozenset({"condition", "output", "desc", "tags", "exceptions"})
RULE_REPLACEABLE = frozenset(
    {
        "condition",
        "output",
        "desc",
        "priority",
        "tags",
        "exceptions",
        "enabled",
        "warn_evttypes",
        "capture",
        "capture_duration",
        "skip-if-unknown-filter",
    }
)
RULE_KEYS = RULE_REPLACEABLE | {"rule", "source", "append", "override"}
LIST_KEYS = frozenset({"list", "items", "append", "override"})
MACRO_KEYS = frozenset({"macro", "condition", "append", "override"})


class RulesError(SeawallError):
    """Rules files that cannot be loaded."""


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One error or warning, located in a rules file."""

    level: str
    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.level}: {self.message}"


@dataclass(slots=True)
class Origin:
    """Where a definition came from (for later diagnostics)."""

    file: str
    line: int | None


@dataclass(slots=True)
class ListDef:
    """A Falco list while loading."""

    name: str
    items: list[str]
    origin: Origin


@dataclass(slots=True)
class MacroDef:
    """A Falco macro while loading."""

    name: str
    condition: str
    origin: Origin


@dataclass(slots=True)
class ExceptionDef:
    """One rule exception: fields, comparison operators, value tuples."""

    name: str
    fields: list[str] | str | None
    comps: list[str] | str | None
    values: list[Any]


@dataclass(slots=True)
class RuleDef:
    """A Falco rule while loading."""

    name: str
    condition: str
    output: str
    desc: str
    priority: Priority
    source: str
    origin: Origin
    tags: list[str] = field(default_factory=list)
    enabled: bool = True
    exceptions: list[ExceptionDef] = field(default_factory=list)
    skip_if_unknown_filter: bool = False
    warn_evttypes: bool = True


@dataclass(slots=True)
class RuleSpec:
    """Everything loaded from a sequence of rules files, before compilation."""

    lists: dict[str, ListDef] = field(default_factory=dict)
    macros: dict[str, MacroDef] = field(default_factory=dict)
    rules: dict[str, RuleDef] = field(default_factory=dict)
    required_plugins: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def errors(self) -> list[Diagnostic]:
        """Error diagnostics."""
        return [d for d in self.diagnostics if d.level == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        """Warning diagnostics."""
        return [d for d in self.diagnostics if d.level == "warning"]


_ITEM_START = re.compile(r"^( *)-(?:\s|$)")


def _item_lines(text: str) -> list[int]:
    """1-based line numbers of top-level sequence items (the shallowest ``-`` lines)."""
    found: list[tuple[int, int]] = []
    for no, line in enumerate(text.splitlines(), 1):
        m = _ITEM_START.match(line)
        if m:
            found.append((len(m.group(1)), no))
    if not found:
        return []
    indent = min(i for i, _ in found)
    return [no for i, no in found if i == indent]


def _strs(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [_scalar(v) for v in value]
    return [_scalar(value)]


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _strip_quotes(item: str) -> str:
    """List items written as ``'"sh -c"'`` keep their meaning without the inner quotes."""
    if len(item) >= 2 and item[0] == item[-1] and item[0] in "'\"":
        return item[1:-1]
    return item


class _Loader:
    def __init__(self, spec: RuleSpec) -> None:
        self.spec = spec
        self.file = ""
        self.line: int | None = None

    def diag(self, level: str, message: str) -> None:
        self.spec.diagnostics.append(Diagnostic(level, self.file, self.line, message))

    def load_text(self, text: str, name: str) -> None:
        self.file = name
        self.line = None
        try:
            data = load_yaml(text, name, MAX_RULES_FILE_BYTES)
        except YAMLError as exc:
            self.diag("error", str(exc).removeprefix(f"{name}: "))
            return
        if data is None:
            return
        if not isinstance(data, list):
            self.diag("error", "a rules file must be a YAML sequence of list/macro/rule items")
            return
        lines = _item_lines(text)
        for idx, item in enumerate(data):
            self.line = lines[idx] if len(lines) == len(data) else None
            if not isinstance(item, dict):
                self.diag("error", f"item {idx + 1} is not a mapping")
                continue
            try:
                self.item(item)
            except _ItemError as exc:
                self.diag("error", str(exc))

    def item(self, item: dict[str, Any]) -> None:
        if "required_engine_version" in item:
            return
        if "required_plugin_versions" in item:
            self.plugins(item["required_plugin_versions"])
        elif "list" in item:
            self.list_item(item)
        elif "macro" in item:
            self.macro_item(item)
        elif "rule" in item:
            self.rule_item(item)
        else:
            self.diag("warning", f"unknown item with keys {sorted(map(str, item))}; ignored")

    def plugins(self, value: Any) -> None:
        from seawall.runtime.rules.compiler import BUILTIN_PLUGINS

        if not isinstance(value, list):
            raise _ItemError("required_plugin_versions must be a list")
        for p in value:
            name = str(p.get("name")) if isinstance(p, dict) else str(p)
            alts = (
                [str(a.get("name")) for a in p.get("alternatives") or [] if isinstance(a, dict)]
                if isinstance(p, dict)
                else []
            )
            self.spec.required_plugins.append(name)
            if name not in BUILTIN_PLUGINS and not any(a in BUILTIN_PLUGINS for a in alts):
                self.diag(
                    "warning",
                    f"plugin {name} is not built into Seawall: rules that use its fields are skipped",
                )

    def unknown_keys(self, item: dict[str, Any], allowed: frozenset[str], kind: str) -> None:
        extra = sorted(str(k) for k in item if k not in allowed)
        if extra:
            self.diag("warning", f"{kind} {item.get(kind)!r}: unknown keys {extra} ignored")

    def override_of(self, item: dict[str, Any], kind: str) -> dict[str, str]:
        ov = item.get("override")
        if ov is None:
            return {}
        if not isinstance(ov, dict) or not all(v in ("append", "replace") for v in ov.values()):
            raise _ItemError(f"{kind} {item.get(kind)!r}: override must map keys to append or replace")
        if item.get("append"):
            raise _ItemError(f"{kind} {item.get(kind)!r}: append and override cannot be combined")
        for key in ov:
            if key not in item:
                raise _ItemError(
                    f"{kind} {item.get(kind)!r}: override names {key!r} but the item has no {key}"
                )
        return {str(k): str(v) for k, v in ov.items()}

    def list_item(self, item: dict[str, Any]) -> None:
        self.unknown_keys(item, LIST_KEYS, "list")
        name = _scalar(item["list"])
        items = [_strip_quotes(s) for s in _strs(item.get("items"))]
        ov = self.override_of(item, "list")
        existing = self.spec.lists.get(name)
        mode = ov.get("items") or ("append" if item.get("append") else None)
        if mode is not None and existing is None:
            raise _ItemError(f"list {name!r}: {mode} to a list that is not defined yet")
        if mode == "append" and existing is not None:
            existing.items.extend(items)
        else:
            self.spec.lists[name] = ListDef(name, items, Origin(self.file, self.line))

    def macro_item(self, item: dict[str, Any]) -> None:
        self.unknown_keys(item, MACRO_KEYS, "macro")
        name = _scalar(item["macro"])
        if "condition" not in item:
            raise _ItemError(f"macro {name!r}: no condition")
        cond = _cond(item["condition"], f"macro {name!r}")
        ov = self.override_of(item, "macro")
        existing = self.spec.macros.get(name)
        mode = ov.get("condition") or ("append" if item.get("append") else None)
        if mode is not None and existing is None:
            raise _ItemError(f"macro {name!r}: {mode} to a macro that is not defined yet")
        if mode == "append" and existing is not None:
            existing.condition = f"{existing.condition} {cond}"
        else:
            self.spec.macros[name] = MacroDef(name, cond, Origin(self.file, self.line))

    def rule_item(self, item: dict[str, Any]) -> None:
        self.unknown_keys(item, RULE_KEYS, "rule")
        name = _scalar(item["rule"])
        existing = self.spec.rules.get(name)
        ov = self.override_of(item, "rule")
        if ov:
            if existing is None:
                raise _ItemError(f"rule {name!r}: override of a rule that is not defined yet")
            self.apply_override(existing, item, ov)
            return
        if item.get("append"):
            if existing is None:
                raise _ItemError(f"rule {name!r}: append to a rule that is not defined yet")
            self.apply_override(existing, item, {k: "append" for k in item if k in RULE_APPENDABLE})
            return
        if existing is not None and set(item) <= {"rule", "enabled"}:
            existing.enabled = _bool(item.get("enabled", True), name)
            return
        if "enabled" in item and set(item) == {"rule", "enabled"}:
            self.diag("warning", f"rule {name!r}: enabled set on a rule that is not defined; ignored")
            return
        missing = [k for k in ("condition", "output", "priority") if k not in item]
        if missing:
            raise _ItemError(f"rule {name!r}: missing {', '.join(missing)}")
        if "desc" not in item:
            self.diag("warning", f"rule {name!r}: no desc")
        rule = RuleDef(
            name=name,
            condition=_cond(item["condition"], f"rule {name!r}"),
            output=_output(item["output"]),
            desc=_scalar(item.get("desc", "")).strip(),
            priority=_priority(item["priority"], name),
            source=_scalar(item.get("source", SYSCALL)),
            origin=Origin(self.file, self.line),
            tags=_strs(item.get("tags")),
            enabled=_bool(item.get("enabled", True), name),
            exceptions=[],
            skip_if_unknown_filter=_bool(item.get("skip-if-unknown-filter", False), name),
            warn_evttypes=_bool(item.get("warn_evttypes", True), name),
        )
        self.merge_exceptions(rule, item.get("exceptions"), append=False)
        self.spec.rules[name] = rule

    def apply_override(self, rule: RuleDef, item: dict[str, Any], ov: dict[str, str]) -> None:
        for key, mode in ov.items():
            allowed = RULE_APPENDABLE if mode == "append" else RULE_REPLACEABLE
            if key not in allowed:
                raise _ItemError(f"rule {rule.name!r}: key {key!r} cannot be {mode}ed")
            value = item[key]
            if key == "condition":
                cond = _cond(value, f"rule {rule.name!r}")
                rule.condition = f"{rule.condition} {cond}" if mode == "append" else cond
            elif key == "output":
                out = _output(value)
                rule.output = f"{rule.output} {out}" if mode == "append" else out
            elif key == "desc":
                desc = _scalar(value).strip()
                rule.desc = f"{rule.desc} {desc}" if mode == "append" else desc
            elif key == "tags":
                rule.tags = [*rule.tags, *_strs(value)] if mode == "append" else _strs(value)
            elif key == "exceptions":
                if mode == "replace":
                    rule.exceptions = []
                self.merge_exceptions(rule, value, append=mode == "append")
            elif key == "priority":
                rule.priority = _priority(value, rule.name)
            elif key == "enabled":
                rule.enabled = _bool(value, rule.name)
            elif key == "skip-if-unknown-filter":
                rule.skip_if_unknown_filter = _bool(value, rule.name)
            elif key == "warn_evttypes":
                rule.warn_evttypes = _bool(value, rule.name)

    def merge_exceptions(self, rule: RuleDef, value: Any, append: bool) -> None:
        if value is None:
            return
        if not isinstance(value, list):
            raise _ItemError(f"rule {rule.name!r}: exceptions must be a list")
        for ex in value:
            if not isinstance(ex, dict) or "name" not in ex:
                raise _ItemError(f"rule {rule.name!r}: every exception needs a name")
            name = _scalar(ex["name"])
            values = ex.get("values") or []
            if not isinstance(values, list):
                raise _ItemError(f"rule {rule.name!r}: exception {name!r}: values must be a list")
            current = next((e for e in rule.exceptions if e.name == name), None)
            if current is not None and append:
                current.values.extend(values)
                continue
            fields = ex.get("fields")
            if fields is None:
                raise _ItemError(f"rule {rule.name!r}: exception {name!r} has no fields")
            comps = ex.get("comps")
            if isinstance(fields, list):
                n = len(fields)
                if isinstance(comps, list) and len(comps) != n:
                    raise _ItemError(
                        f"rule {rule.name!r}: exception {name!r}: fields and comps differ in length"
                    )
                for tup in values:
                    if not isinstance(tup, list) or len(tup) != n:
                        raise _ItemError(
                            f"rule {rule.name!r}: exception {name!r}: each value must be a list of {n} items"
                        )
            exd = ExceptionDef(name, fields, comps, list(values))
            if current is not None:
                rule.exceptions[rule.exceptions.index(current)] = exd
            else:
                rule.exceptions.append(exd)


class _ItemError(Exception):
    pass


def _cond(value: Any, what: str) -> str:
    if isinstance(value, (dict, list)):
        raise _ItemError(f"{what}: condition must be a string")
    return " ".join(_scalar(value).split()) if value is not None else ""


def _output(value: Any) -> str:
    return " ".join(_scalar(value).split()) if value is not None else ""


def _bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("true", "false"):
        return str(value).lower() == "true"
    raise _ItemError(f"rule {name!r}: {value!r} is not true or false")


def _priority(value: Any, name: str) -> Priority:
    try:
        return Priority.parse(value)
    except ValueError as exc:
        raise _ItemError(f"rule {name!r}: {exc}") from None


def load_rule_texts(texts: list[tuple[str, str]], spec: RuleSpec | None = None) -> RuleSpec:
    """Load ``(name, yaml text)`` pairs in order into one RuleSpec."""
    spec = spec or RuleSpec()
    loader = _Loader(spec)
    for name, text in texts:
        loader.load_text(text, name)
    return spec


def load_rule_files(paths: list[Path]) -> RuleSpec:
    """Load rules files in order; unreadable files become error diagnostics."""
    spec = RuleSpec()
    for path in paths:
        try:
            if path.stat().st_size > MAX_RULES_FILE_BYTES:
                spec.diagnostics.append(Diagnostic("error", str(path), None, "file is over the 16 MiB limit"))
                continue
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            spec.diagnostics.append(Diagnostic("error", str(path), None, f"cannot read: {exc}"))
            continue
        load_rule_texts([(str(path), text)], spec)
    return spec
