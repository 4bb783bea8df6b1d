"""Compile loaded rules into Python functions, once, and work out which event types each rule needs.

Every rule's condition (macros inlined, lists expanded, exceptions appended as ``and not (...)``)
becomes one generated ``def`` compiled with ``compile()``: evaluating a rule is a single Python call
with short-circuit ``and``/``or`` and constant sets, not a walk over a syntax tree.

Falco semantics kept on purpose: a comparison on a field the event lacks is false (so ``!=`` on a
missing field is false, while ``not ... =`` is true); ``in`` on a multi-valued field means every value
is in the set, ``intersects`` means at least one is.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import ipaddress
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from seawall.runtime import fields as F
from seawall.runtime.alerts import Priority
from seawall.runtime.events import Event
from seawall.runtime.rules.loader import Diagnostic, ExceptionDef, RuleDef, RuleSpec
from seawall.runtime.rules.parser import (
    And,
    Check,
    ConditionSyntaxError,
    FieldRef,
    FieldValue,
    ListValue,
    MacroRef,
    Node,
    Not,
    Or,
    parse_condition,
)

BUILTIN_PLUGINS = frozenset(
    {"k8saudit", "k8saudit-aks", "k8saudit-eks", "k8saudit-gke", "k8saudit-ovh", "json", "container"}
)
# Output-only shorthands Falco expands (``%container.info``).
OUTPUT_ALIASES: dict[str, Callable[[Event], Any]] = {
    "container.info": lambda e: (
        f"container_id={e.get('container.id')} container_name={e.get('container.name')}"
    ),
}

Matcher = Callable[[Event], bool]


class CompileError(Exception):
    """A rule that cannot be compiled (message is user-facing)."""


class UnknownFieldError(CompileError):
    """A field that no table knows."""

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown field {name}")
        self.field = name


@dataclass(frozen=True, slots=True)
class OutputPart:
    """One piece of an output template: literal text, or a field to interpolate."""

    text: str
    name: str | None = None
    getter: Callable[[Event], Any] | None = None


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A rule ready for the engine."""

    name: str
    desc: str
    priority: Priority
    source: str
    tags: tuple[str, ...]
    enabled: bool
    match: Matcher
    evttypes: frozenset[str] | None
    output: tuple[OutputPart, ...]
    order: int
    condition: str = ""


@dataclass(slots=True)
class Ruleset:
    """Compiled rules plus what could not be compiled and why."""

    rules: list[CompiledRule] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    lists: int = 0
    macros: int = 0


# --- helpers the generated code calls -------------------------------------------------------


def _any(values: Iterable[Any], pred: Callable[[Any], bool]) -> bool:
    return any(v is not None and pred(v) for v in values)


def _pmatch(value: Any, prefixes: tuple[str, ...]) -> bool:
    if not isinstance(value, str):
        return False
    return any(value == p or value.startswith(p if p.endswith("/") else p + "/") for p in prefixes)


def _in_nets(value: Any, nets: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(value)
    except ValueError:
        return False
    return any(ip in n for n in nets)


def _tobytes(value: Any) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode("utf-8", "surrogateescape")


def _text(value: Any) -> Any:
    if value is None or isinstance(value, (str, list)):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _map(fn: Callable[[str], Any]) -> Callable[[Any], Any]:
    def apply(v: Any) -> Any:
        if v is None:
            return None
        if isinstance(v, list):
            return [fn(str(x)) for x in v]
        return fn(str(v))

    return apply


def _b64(s: str) -> str | None:
    try:
        return base64.b64decode(s, validate=False).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return None


def _len(v: Any) -> int | None:
    return None if v is None else len(v)


TRANSFORM: dict[str, Callable[[Any], Any]] = {
    "tolower": _map(str.lower),
    "toupper": _map(str.upper),
    "basename": _map(os.path.basename),
    "b64": _map(_b64),
    "len": _len,
}

_BASE_NS: dict[str, Any] = {
    "_any": _any,
    "_pmatch": _pmatch,
    "_in_nets": _in_nets,
    "_tobytes": _tobytes,
    "_text": _text,
}

STRING_OPS = frozenset({"contains", "icontains", "startswith", "endswith", "glob", "iglob", "regex"})
COMPARE_OPS = {"=": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


class _Codegen:
    """Turns one rule's AST into a Python expression, collecting constants into a namespace."""

    def __init__(self, spec: RuleSpec, source: str, ns: dict[str, Any], consts: dict[Any, str]) -> None:
        self.spec = spec
        self.source = source
        self.ns = ns
        self.consts = consts
        self.nvar = 0

    def const(self, value: Any, key: Any = None) -> str:
        k: tuple[str, Any] | None = (type(value).__name__, key if key is not None else value)
        try:
            name = self.consts.get(k)
        except TypeError:  # unhashable constant: never shared
            name, k = None, None
        if name is None:
            name = f"K{len(self.ns)}"
            self.ns[name] = value
            if k is not None:
                self.consts[k] = name
        return name

    def var(self) -> str:
        self.nvar += 1
        return f"v{self.nvar}"

    def expr(self, node: Node) -> str:
        if isinstance(node, And):
            return "(" + " and ".join(self.expr(c) for c in node.children) + ")"
        if isinstance(node, Or):
            return "(" + " or ".join(self.expr(c) for c in node.children) + ")"
        if isinstance(node, Not):
            return f"(not {self.expr(node.child)})"
        if isinstance(node, MacroRef):
            raise CompileError(f"undefined macro {node.name}")  # expanded before codegen
        return self.check(node)

    def access(self, ref: FieldRef) -> tuple[str, str, bool]:
        try:
            acc = F.accessor(self.source, ref.name, ref.arg)
        except KeyError:
            raise UnknownFieldError(ref.name) from None
        except ValueError as exc:
            raise CompileError(f"{ref.name}: {exc}") from None
        if acc.key is not None:
            code = f"g({acc.key!r})"
        else:
            code = f"{self.const(acc.getter, ('getter', acc.name, self.source))}(e)"
        type_, is_list = acc.type, acc.is_list
        for t in ref.transformers:
            code = f"{self.const(TRANSFORM[t], ('tx', t))}({code})"
            if t == "len":
                type_, is_list = F.INT, False
            else:
                type_ = F.STR
        return code, type_, is_list

    def literal(self, value: str, type_: str, op: str) -> Any:
        if op in ("bcontains", "bstartswith"):
            try:
                return bytes.fromhex(value)
            except ValueError:
                raise CompileError(f"{value!r} is not a hex byte string for {op}") from None
        if op in STRING_OPS:
            return value.lower() if op == "icontains" else value
        if type_ == F.INT:
            try:
                return int(value, 0) if value.lower().startswith("0x") else int(value)
            except ValueError:
                raise CompileError(f"{value!r} is not a number") from None
        if type_ == F.BOOL:
            if value.lower() not in ("true", "false"):
                raise CompileError(f"{value!r} is not true or false")
            return value.lower() == "true"
        if type_ == F.IPNET:
            try:
                return ipaddress.ip_network(value, strict=False)
            except ValueError:
                raise CompileError(f"{value!r} is not an IP network") from None
        if type_ == F.IPADDR:
            try:
                return str(ipaddress.ip_address(value))
            except ValueError:
                raise CompileError(f"{value!r} is not an IP address") from None
        return value

    def items(self, lv: ListValue, seen: tuple[str, ...] = ()) -> list[str]:
        out: list[str] = []
        for item, quoted in zip(lv.items, lv.quoted, strict=True):
            lst = None if quoted else self.spec.lists.get(item)
            if lst is None:
                out.append(item)
            elif item in seen:
                raise CompileError(f"list {item} refers to itself")
            else:
                out.extend(self.items(ListValue(tuple(lst.items), (False,) * len(lst.items)), (*seen, item)))
        return out

    def pattern(self, op: str, value: str) -> re.Pattern[str]:
        try:
            if op == "regex":
                return re.compile(value)
            return re.compile(fnmatch.translate(value), re.IGNORECASE if op == "iglob" else 0)
        except re.error as exc:
            raise CompileError(f"bad {op} pattern {value!r}: {exc}") from None

    def check(self, c: Check) -> str:
        x, type_, is_list = self.access(c.field)
        op = c.op
        if op == "exists":
            return f"({x} is not None)"
        if op in STRING_OPS and type_ != F.STR:
            x = f"_text({x})"
            type_ = F.STR
        v = self.var()
        if isinstance(c.value, FieldValue):
            y, _, _ = self.access(c.value.field)
            w = self.var()
            test = self.test(op, v, f"{w}", type_)
            return f"(({v} := {x}) is not None and ({w} := {y}) is not None and {test})"
        if isinstance(c.value, ListValue):
            if op not in ("in", "intersects", "pmatch"):
                raise CompileError(f"operator {op} does not take a list")
            values = self.items(c.value)
            if op == "pmatch":
                r = self.const(tuple(values))
                if is_list:
                    return f"(({v} := {x}) is not None and all(_pmatch(i, {r}) for i in {v}))"
                return f"_pmatch({x}, {r})"
            if type_ == F.IPNET:
                r = self.const(tuple(self.literal(s, type_, "=") for s in values), ("nets", tuple(values)))
                if is_list:
                    return f"(({v} := {x}) is not None and _any({v}, lambda i: _in_nets(i, {r})))"
                return f"_in_nets({x}, {r})"
            r = self.const(
                frozenset(self.literal(s, type_, "=") for s in values), ("set", type_, tuple(values))
            )
            if is_list:
                method = "issuperset" if op == "in" else "isdisjoint"
                neg = "" if op == "in" else "not "
                return f"(({v} := {x}) is not None and {neg}{r}.{method}({v}))"
            return f"({x} in {r})"
        if op in ("in", "intersects", "pmatch"):
            raise CompileError(f"operator {op} needs a list in parentheses")
        assert isinstance(c.value, str)
        if op in ("glob", "iglob", "regex"):
            r = self.const(self.pattern(op, c.value), (op, c.value))
        else:
            lit = self.literal(c.value, type_, op)
            r = self.const(lit, (type_, op, c.value))
        if is_list:
            return f"(({v} := {x}) is not None and _any({v}, lambda {v}: {self.test(op, v, r, type_)}))"
        if op == "=" and type_ != F.IPNET:
            return f"({x} == {r})"
        return f"(({v} := {x}) is not None and {self.test(op, v, r, type_)})"

    def test(self, op: str, v: str, r: str, type_: str) -> str:
        if type_ == F.IPNET and op in ("=", "!="):
            neg = "not " if op == "!=" else ""
            return f"{neg}_in_nets({v}, ({r},))"
        if op in COMPARE_OPS:
            return f"{v} {COMPARE_OPS[op]} {r}"
        if op == "contains":
            return f"{r} in {v}"
        if op == "icontains":
            return f"{r}.lower() in {v}.lower()"
        if op == "startswith":
            return f"{v}.startswith({r})"
        if op == "endswith":
            return f"{v}.endswith({r})"
        if op == "bcontains":
            return f"{r} in _tobytes({v})"
        if op == "bstartswith":
            return f"_tobytes({v}).startswith({r})"
        if op in ("glob", "iglob"):
            return f"{r}.match({v}) is not None"
        if op == "regex":
            return f"{r}.fullmatch({v}) is not None"
        raise CompileError(f"unsupported operator {op}")


class _Expander:
    """Inlines macros (parsed once each) into rule ASTs."""

    def __init__(self, spec: RuleSpec) -> None:
        self.spec = spec
        self.parsed: dict[str, Node] = {}

    def macro(self, name: str) -> Node:
        node = self.parsed.get(name)
        if node is None:
            m = self.spec.macros.get(name)
            if m is None:
                raise CompileError(f"undefined macro {name}")
            try:
                node = parse_condition(m.condition)
            except ConditionSyntaxError as exc:
                raise CompileError(f"macro {name} ({m.origin.file}:{m.origin.line}): {exc}") from None
            self.parsed[name] = node
        return node

    def expand(self, node: Node, stack: tuple[str, ...] = ()) -> Node:
        if isinstance(node, MacroRef):
            if node.name in stack:
                raise CompileError(f"macro {node.name} refers to itself")
            return self.expand(self.macro(node.name), (*stack, node.name))
        if isinstance(node, And):
            return And(tuple(self.expand(c, stack) for c in node.children))
        if isinstance(node, Or):
            return Or(tuple(self.expand(c, stack) for c in node.children))
        if isinstance(node, Not):
            return Not(self.expand(node.child, stack))
        return node


def _field_ref(text: str) -> FieldRef:
    node = parse_condition(f"{text} exists")
    assert isinstance(node, Check)
    return node.field


def _exception_node(ex: ExceptionDef) -> Node | None:
    """Falco's exception semantics: tuples of field comparisons, OR-ed, negated by the caller."""
    if not ex.values:
        return None
    if isinstance(ex.fields, str):
        comp = str(ex.comps) if isinstance(ex.comps, str) else "in"
        items = tuple(str(v) for v in ex.values)
        return Check(_field_ref(ex.fields), comp, ListValue(items, (False,) * len(items)))
    assert isinstance(ex.fields, list)
    comps = ex.comps if isinstance(ex.comps, list) else ["="] * len(ex.fields)
    alts: list[Node] = []
    for tup in ex.values:
        parts: list[Node] = []
        for fname, comp, val in zip(ex.fields, comps, tup, strict=True):
            ref = _field_ref(str(fname))
            comp = "=" if str(comp) == "==" else str(comp)
            if comp in ("in", "intersects", "pmatch"):
                vals = tuple(str(x) for x in val) if isinstance(val, list) else (str(val),)
                parts.append(Check(ref, comp, ListValue(vals, (False,) * len(vals))))
            else:
                parts.append(Check(ref, comp, str(val)))
        alts.append(And(tuple(parts)) if len(parts) > 1 else parts[0])
    return Or(tuple(alts)) if len(alts) > 1 else alts[0]


def evttypes(node: Node) -> frozenset[str] | None:
    """The event types a condition can match (None: any), as Falco's evttype index computes."""
    if isinstance(node, Check):
        if node.field.name == "evt.type" and not node.field.transformers:
            if node.op == "=" and isinstance(node.value, str):
                return frozenset({node.value})
            if node.op == "in" and isinstance(node.value, ListValue):
                return frozenset(node.value.items)
        return None
    if isinstance(node, And):
        result: frozenset[str] | None = None
        for c in node.children:
            t = evttypes(c)
            if t is not None:
                result = t if result is None else result & t
        return result
    if isinstance(node, Or):
        acc: set[str] = set()
        for c in node.children:
            t = evttypes(c)
            if t is None:
                return None
            acc |= t
        return frozenset(acc)
    if isinstance(node, Not):
        return None
    return None


_OUTPUT_FIELD = re.compile(
    r"%\((?P<pn>[A-Za-z_][\w-]*(?:\.[\w-]+)+)(?P<pa>\[[^\]]*\])?\)|%(?P<n>[A-Za-z_][\w-]*(?:\.[\w-]+)+)(?P<a>\[[^\]]*\])?"
)


def _output(text: str, source: str, known: bool) -> tuple[tuple[OutputPart, ...], list[str]]:
    parts: list[OutputPart] = []
    unknown: list[str] = []
    pos = 0
    for m in _OUTPUT_FIELD.finditer(text):
        if m.start() > pos:
            parts.append(OutputPart(text[pos : m.start()]))
        name, arg = m.group("pn") or m.group("n"), m.group("pa") or m.group("a")
        full = name + (arg or "")
        getter = OUTPUT_ALIASES.get(full)
        if known and getter is None:
            try:
                acc = F.accessor(source, name, arg[1:-1] if arg else None)
                getter = acc.getter if acc.getter is not None else _key_getter(acc.key or name)
            except (KeyError, ValueError):
                unknown.append(full)
        parts.append(OutputPart("", full, getter))
        pos = m.end()
    if pos < len(text):
        parts.append(OutputPart(text[pos:]))
    return tuple(parts), unknown


def _key_getter(key: str) -> Callable[[Event], Any]:
    return lambda e: e.get(key)


def compile_spec(spec: RuleSpec) -> Ruleset:
    """Compile every rule of ``spec``; problems become diagnostics and skipped rules, never exceptions."""
    out = Ruleset(diagnostics=list(spec.diagnostics), lists=len(spec.lists), macros=len(spec.macros))
    expander = _Expander(spec)
    ns: dict[str, Any] = dict(_BASE_NS)
    consts: dict[Any, str] = {}
    known_sources = F.known_sources()
    for order, rule in enumerate(spec.rules.values()):

        def diag(level: str, msg: str, rule: RuleDef = rule) -> None:
            out.diagnostics.append(
                Diagnostic(level, rule.origin.file, rule.origin.line, f"rule {rule.name!r}: {msg}")
            )

        try:
            node = parse_condition(rule.condition)
            node = expander.expand(node)
            for ex in rule.exceptions:
                ex_node = _exception_node(ex)
                if ex_node is not None:
                    node = And((node, Not(ex_node)))
        except (ConditionSyntaxError, CompileError, ValueError) as exc:
            diag("error", str(exc))
            out.skipped[rule.name] = str(exc)
            continue
        if rule.source not in known_sources:
            out.skipped[rule.name] = f"source {rule.source} has no Seawall event source"
            continue
        gen = _Codegen(spec, rule.source, ns, consts)
        try:
            body = gen.expr(node)
            matcher = _build(body, ns, rule.name)
        except UnknownFieldError as exc:
            plugin = F.plugin_of(exc.field)
            reason = f"uses field {exc.field}" + (
                f" of plugin {plugin}, which Seawall does not provide" if plugin else ""
            )
            out.skipped[rule.name] = reason
            if plugin or rule.skip_if_unknown_filter:
                diag("warning", f"skipped: {reason}")
            else:
                diag("error", str(exc))
            continue
        except CompileError as exc:
            diag("error", str(exc))
            out.skipped[rule.name] = str(exc)
            continue
        output, unknown = _output(rule.output, rule.source, True)
        for name in unknown:
            diag("warning", f"output field %{name} is unknown and prints as <NA>")
        types = evttypes(node)
        out.rules.append(
            CompiledRule(
                name=rule.name,
                desc=rule.desc,
                priority=rule.priority,
                source=rule.source,
                tags=tuple(rule.tags),
                enabled=rule.enabled,
                match=matcher,
                evttypes=types,
                output=output,
                order=order,
                condition=rule.condition,
            )
        )
    return out


def _build(body: str, ns: dict[str, Any], name: str) -> Matcher:
    src = f"def _rule(e):\n    g = e.get\n    return {body}\n"
    try:
        code = compile(src, f"<rule {name}>", "exec")
    except (SyntaxError, RecursionError, MemoryError) as exc:
        raise CompileError(f"condition too complex to compile: {exc}") from None
    local: dict[str, Any] = {}
    exec(code, ns, local)
    fn: Matcher = local["_rule"]
    return fn
