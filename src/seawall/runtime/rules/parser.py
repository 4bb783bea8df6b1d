"""The Falco condition grammar (libsinsp ``filter/parser.h``) parsed into a small AST.

::

    Expr   := Or
    Or     := And ('or' And)*
    And    := Not ('and' Not)*
    Not    := 'not' Not | '(' Expr ')' | Check
    Check  := Identifier                      (a macro)
            | Field 'exists'
            | Field CmpOp Value
            | Field ListOp '(' Item (',' Item)* ')'
    Field  := Transformer '(' Field ')' | name ('[' arg ']')?
    Value  := 'val' '(' Field ')' | quoted | bare
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from seawall.errors import SeawallError


class ConditionSyntaxError(SeawallError):
    """A condition that does not parse."""


@dataclass(frozen=True, slots=True)
class FieldRef:
    """``name[arg]`` wrapped in zero or more transformers (innermost first)."""

    name: str
    arg: str | None = None
    transformers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ListValue:
    """A parenthesised list; items may name Falco lists, expanded at compile time."""

    items: tuple[str, ...]
    quoted: tuple[bool, ...]


@dataclass(frozen=True, slots=True)
class FieldValue:
    """``val(field)``: compare against another field of the same event."""

    field: FieldRef


Value = str | ListValue | FieldValue


@dataclass(frozen=True, slots=True)
class Check:
    """``field op value``; ``value`` is None for unary operators (``exists``)."""

    field: FieldRef
    op: str
    value: Value | None


@dataclass(frozen=True, slots=True)
class MacroRef:
    """A bare identifier: a macro reference."""

    name: str


@dataclass(frozen=True, slots=True)
class And:
    """Conjunction."""

    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    """Disjunction."""

    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    """Negation."""

    child: Node


Node = Check | MacroRef | And | Or | Not

BINARY_OPS = (
    "==",
    "!=",
    "<=",
    ">=",
    "=",
    "<",
    ">",
)
WORD_OPS = (
    "bstartswith",
    "bcontains",
    "icontains",
    "contains",
    "startswith",
    "endswith",
    "intersects",
    "pmatch",
    "iglob",
    "glob",
    "regex",
    "in",
)
LIST_OPS = frozenset({"in", "intersects", "pmatch"})
UNARY_OPS = frozenset({"exists"})
TRANSFORMERS = frozenset({"tolower", "toupper", "basename", "b64", "len"})

_WS = re.compile(r"\s*")
_IDENT = re.compile(r"[A-Za-z_][\w-]*")
_FIELD = re.compile(r"[A-Za-z_][\w-]*(?:\.[\w-]+)+")
_BARE = re.compile(r"[^\s(),'\"]+")
_LIST_BARE = re.compile(r"[^\s(),'\"]+(?:[ \t]+[^\s(),'\"]+)*")
_MAX_DEPTH = 100


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.depth = 0

    def fail(self, msg: str) -> ConditionSyntaxError:
        snippet = self.text[self.pos : self.pos + 30].replace("\n", " ")
        return ConditionSyntaxError(f"{msg} at column {self.pos + 1} (near {snippet!r})")

    def skip(self) -> None:
        m = _WS.match(self.text, self.pos)
        self.pos = m.end() if m else self.pos

    def word(self, w: str) -> bool:
        """Consume keyword ``w`` if it is next (as a whole word)."""
        self.skip()
        end = self.pos + len(w)
        if self.text[self.pos : end] == w and (end == len(self.text) or not _is_word_char(self.text[end])):
            self.pos = end
            return True
        return False

    def char(self, c: str) -> bool:
        self.skip()
        if self.text.startswith(c, self.pos):
            self.pos += len(c)
            return True
        return False

    def parse(self) -> Node:
        node = self.parse_or()
        self.skip()
        if self.pos != len(self.text):
            raise self.fail("unexpected text")
        return node

    def parse_or(self) -> Node:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise self.fail("condition nested too deeply")
        children = [self.parse_and()]
        while self.word("or"):
            children.append(self.parse_and())
        self.depth -= 1
        return children[0] if len(children) == 1 else Or(tuple(children))

    def parse_and(self) -> Node:
        children = [self.parse_not()]
        while self.word("and"):
            children.append(self.parse_not())
        return children[0] if len(children) == 1 else And(tuple(children))

    def parse_not(self) -> Node:
        if self.word("not"):
            self.depth += 1
            if self.depth > _MAX_DEPTH:
                raise self.fail("condition nested too deeply")
            child = self.parse_not()
            self.depth -= 1
            return Not(child)
        if self.char("("):
            node = self.parse_or()
            if not self.char(")"):
                raise self.fail("expected ')'")
            return node
        return self.parse_check()

    def parse_field(self) -> FieldRef:
        self.skip()
        m = _IDENT.match(self.text, self.pos)
        if m and m.group() in TRANSFORMERS and self.text.startswith("(", m.end()):
            self.pos = m.end() + 1
            inner = self.parse_field()
            if not self.char(")"):
                raise self.fail("expected ')' after transformer argument")
            return FieldRef(inner.name, inner.arg, (*inner.transformers, m.group()))
        m = _FIELD.match(self.text, self.pos)
        if not m:
            raise self.fail("expected a field name")
        self.pos = m.end()
        arg = None
        if self.text.startswith("[", self.pos):
            end = self.text.find("]", self.pos)
            if end < 0:
                raise self.fail("unterminated field argument")
            arg = self.text[self.pos + 1 : end]
            self.pos = end + 1
        return FieldRef(m.group(), arg)

    def parse_check(self) -> Node:
        self.skip()
        fm = _FIELD.match(self.text, self.pos)
        im = _IDENT.match(self.text, self.pos)
        is_transformer = im is not None and im.group() in TRANSFORMERS and self.text.startswith("(", im.end())
        if fm is None and not is_transformer:
            if im is None:
                raise self.fail("expected a field, a macro name, 'not' or '('")
            self.pos = im.end()
            return MacroRef(im.group())
        field = self.parse_field()
        self.skip()
        for op in UNARY_OPS:
            if self.word(op):
                return Check(field, op, None)
        for op in WORD_OPS:
            if self.word(op):
                if op in LIST_OPS:
                    return Check(field, op, self.parse_list())
                return Check(field, op, self.parse_value())
        for op in BINARY_OPS:
            if self.char(op):
                return Check(field, "=" if op == "==" else op, self.parse_value())
        raise self.fail(f"expected an operator after {field.name}")

    def parse_value(self) -> Value:
        self.skip()
        if self.text.startswith("val(", self.pos):
            self.pos += 4
            ref = self.parse_field()
            if not self.char(")"):
                raise self.fail("expected ')' after val(")
            return FieldValue(ref)
        if self.pos < len(self.text) and self.text[self.pos] in "'\"":
            return self.parse_quoted()
        m = _BARE.match(self.text, self.pos)
        if not m:
            raise self.fail("expected a value")
        self.pos = m.end()
        return m.group()

    def parse_quoted(self) -> str:
        quote = self.text[self.pos]
        i = self.pos + 1
        out: list[str] = []
        while i < len(self.text):
            c = self.text[i]
            if c == "\\" and i + 1 < len(self.text):
                out.append(self.text[i + 1])
                i += 2
                continue
            if c == quote:
                self.pos = i + 1
                return "".join(out)
            out.append(c)
            i += 1
        raise self.fail("unterminated string")

    def parse_list(self) -> ListValue:
        if not self.char("("):
            raise self.fail("expected '(' to start a list")
        items: list[str] = []
        quoted: list[bool] = []
        if self.char(")"):
            return ListValue((), ())
        while True:
            self.skip()
            if self.pos < len(self.text) and self.text[self.pos] in "'\"":
                items.append(self.parse_quoted())
                quoted.append(True)
            else:
                m = _LIST_BARE.match(self.text, self.pos)
                if not m:
                    raise self.fail("expected a list item")
                self.pos = m.end()
                items.append(m.group())
                quoted.append(False)
            if self.char(","):
                continue
            if self.char(")"):
                return ListValue(tuple(items), tuple(quoted))
            raise self.fail("expected ',' or ')' in list")


def _is_word_char(c: str) -> bool:
    return c.isalnum() or c in "_."


def parse_condition(text: str) -> Node:
    """Parse one condition; raises ConditionSyntaxError with the column."""
    return _Parser(text).parse()
