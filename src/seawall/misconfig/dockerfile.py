"""A Dockerfile parser that keeps what checks need: lines, flags, JSON/shell forms, heredocs, stages.

Handles the ``# escape=`` and ``# syntax=`` parser directives, line continuations (with comment
and blank lines inside them, as BuildKit does), heredocs (``<<EOF``, ``<<-EOF``, quoted
delimiters, several per instruction), ``ARG``/``ENV`` substitution (``$V``, ``${V}``,
``${V:-d}``, ``${V:+a}``) and multi-stage builds with ``AS`` names. Unknown instructions are
kept and reported as warnings, never fatal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

KNOWN = frozenset(
    {"ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL"}
    | {"MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"}
)
_FLAG_INSTRUCTIONS = frozenset({"FROM", "COPY", "ADD", "RUN", "HEALTHCHECK"})
_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9_-]*)\s*=\s*(.*?)\s*$")
_HEREDOC = re.compile(r"<<(-?)\s*(['\"]?)([A-Za-z_][A-Za-z0-9_.-]*)\2")
_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")
MAX_DOCKERFILE_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Heredoc:
    """A heredoc body attached to a RUN/COPY/ADD instruction."""

    name: str
    body: str
    start_line: int
    end_line: int


@dataclass(frozen=True, slots=True)
class Instruction:
    """One instruction with its flags, arguments (after substitution) and 1-based line range."""

    cmd: str  # upper case
    original: str  # the instruction as written, continuations joined
    args: str  # the text after the instruction and its flags, variables substituted
    flags: tuple[tuple[str, str], ...]
    json_form: tuple[str, ...] | None
    start_line: int
    end_line: int
    stage: int  # index of the stage it belongs to (-1 before the first FROM)
    heredocs: tuple[Heredoc, ...] = ()
    index: int = 0  # position within its stage (FROM is 0), or among the instructions before the first FROM

    @property
    def json_path(self) -> tuple[str | int, ...]:
        """Where the instruction sits in the CEL view of a Dockerfile: ``stages[s].instructions[i]``."""
        if self.stage < 0:
            return ()
        return ("stages", self.stage, "instructions", self.index)

    def flag(self, name: str) -> str | None:
        """The value of ``--name`` (``""`` for a bare flag), or None when absent."""
        for key, value in self.flags:
            if key == name:
                return value
        return None

    @property
    def words(self) -> list[str]:
        """The arguments as words: the JSON form's items, or a shell-like split."""
        if self.json_form is not None:
            return list(self.json_form)
        return split_words(self.args)

    @property
    def script(self) -> str:
        """For RUN: the command text plus heredoc bodies (what the shell executes)."""
        parts = [" ".join(self.json_form) if self.json_form is not None else self.args]
        parts.extend(h.body for h in self.heredocs)
        return "\n".join(parts)


@dataclass(frozen=True, slots=True)
class Stage:
    """One build stage: ``FROM base [AS name]`` and its instructions."""

    index: int
    base: str  # image reference after ARG substitution
    alias: str
    platform: str
    from_instruction: Instruction
    instructions: tuple[Instruction, ...]
    parent: int | None  # index of the stage this one is built FROM, if any


@dataclass(frozen=True, slots=True)
class Dockerfile:
    """A parsed Dockerfile."""

    path: str
    instructions: tuple[Instruction, ...]
    stages: tuple[Stage, ...]
    escape: str = "\\"
    warnings: tuple[str, ...] = ()
    lines: tuple[str, ...] = field(default=(), repr=False)

    @property
    def final_stage(self) -> Stage | None:
        return self.stages[-1] if self.stages else None

    def final_chain(self) -> list[Stage]:
        """The final stage and the stages it is built ``FROM`` (what ends up in the image), last first."""
        chain: list[Stage] = []
        stage = self.final_stage
        seen: set[int] = set()
        while stage is not None and stage.index not in seen:
            seen.add(stage.index)
            chain.append(stage)
            stage = self.stages[stage.parent] if stage.parent is not None else None
        return chain


_WORD = re.compile(r"""(?:[^\s'"]+|'[^']*'?|"(?:\\.|[^"\\])*"?)+""")
_QUOTED = re.compile(r"""'([^']*)'?|"((?:\\.|[^"\\])*)"?""")


def split_words(text: str) -> list[str]:
    """Split on whitespace, honouring single and double quotes; never fails on unbalanced quotes."""
    words = _WORD.findall(text)
    if "'" not in text and '"' not in text:
        return words
    return [_QUOTED.sub(_unquote, w) for w in words]


def _unquote(m: re.Match[str]) -> str:
    if m.group(1) is not None:
        return m.group(1)
    return re.sub(r"\\(.)", r"\1", m.group(2) or "")


def substitute(text: str, env: Mapping[str, str]) -> str:
    """Expand ``$V``, ``${V}``, ``${V:-default}`` and ``${V:+alt}``; unknown variables stay as written."""

    def repl(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(4)
        op, word = m.group(2), m.group(3)
        value = env.get(name)
        if op in (":-", "-"):
            return value if value else (word or "")
        if op in (":+", "+"):
            return (word or "") if value else ""
        return value if value is not None else m.group(0)

    if "$" not in text:
        return text
    return _VAR.sub(repl, text)


def parse_dockerfile(text: str, path: str = "Dockerfile") -> Dockerfile:
    """Parse Dockerfile text; never raises on odd content (problems become ``warnings``)."""
    lines = text.splitlines()
    escape = "\\"
    warnings: list[str] = []
    i = 0
    # Parser directives: only at the very top, before any instruction, blank line or other comment.
    while i < len(lines):
        m = _DIRECTIVE.match(lines[i].strip())
        if not m:
            break
        if m.group(1).lower() == "escape":
            if m.group(2) in ("\\", "`"):
                escape = m.group(2)
            else:
                warnings.append(f"{path}:{i + 1}: invalid escape directive {m.group(2)!r}")
        i += 1
    raw: list[tuple[str, int, int, tuple[Heredoc, ...]]] = []
    while i < len(lines):
        stripped = lines[i].strip()
        if not stripped or stripped.startswith("#"):
            i += 1
            continue
        start = i
        parts: list[str] = []
        while True:
            line = lines[i].rstrip()
            if line.endswith(escape):
                parts.append(line[:-1])
                i += 1
                # Blank and comment lines inside a continuation are dropped.
                while i < len(lines) and (not lines[i].strip() or lines[i].lstrip().startswith("#")):
                    i += 1
                if i >= len(lines):
                    break
                continue
            parts.append(line)
            i += 1
            break
        logical = " ".join(p.strip() for p in parts)
        end = i
        heredocs: list[Heredoc] = []
        word = logical.split(None, 1)[0].upper() if logical.split() else ""
        if word in ("RUN", "COPY", "ADD"):
            for hm in _HEREDOC.finditer(logical):
                strip_tabs, name = hm.group(1) == "-", hm.group(3)
                body_start = i
                body: list[str] = []
                while i < len(lines):
                    candidate = lines[i].lstrip("\t") if strip_tabs else lines[i]
                    if candidate.rstrip() == name:
                        break
                    body.append(candidate)
                    i += 1
                else:
                    warnings.append(f"{path}:{start + 1}: heredoc {name} is not terminated")
                heredocs.append(Heredoc(name, "\n".join(body), body_start + 1, max(i, body_start) + 1))
                i += 1
                end = i
        raw.append((logical, start + 1, end, tuple(heredocs)))
    return _build(path, raw, escape, warnings, tuple(lines))


def _split_flags(rest: str) -> tuple[list[tuple[str, str]], str]:
    flags: list[tuple[str, str]] = []
    while rest.startswith("--"):
        token, _, remainder = rest.partition(" ")
        if not token[2:]:
            break
        key, _, value = token[2:].partition("=")
        flags.append((key.lower(), value.strip("\"'")))
        rest = remainder.lstrip()
    return flags, rest


def _json_form(rest: str) -> tuple[str, ...] | None:
    if not rest.startswith("["):
        return None
    try:
        value = json.loads(rest)
    except ValueError:
        return None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


def _build(
    path: str,
    raw: list[tuple[str, int, int, tuple[Heredoc, ...]]],
    escape: str,
    warnings: list[str],
    lines: tuple[str, ...],
) -> Dockerfile:
    global_args: dict[str, str] = {}
    env: dict[str, str] = {}
    instructions: list[Instruction] = []
    stages: list[Stage] = []
    stage_instr: list[Instruction] = []
    stage_info: tuple[str, str, str, Instruction, int | None] | None = None
    aliases: dict[str, int] = {}
    unknown: list[str] = []
    for logical, start, end, heredocs in raw:
        word, _, rest = logical.partition(" ")
        cmd = word.upper()
        rest = rest.strip()
        if cmd not in KNOWN:
            unknown.append(f"{word} (line {start})")
        flags: list[tuple[str, str]] = []
        if cmd in _FLAG_INSTRUCTIONS:
            flags, rest = _split_flags(rest)
        json_form = (
            _json_form(rest)
            if cmd in ("CMD", "ENTRYPOINT", "RUN", "SHELL", "COPY", "ADD", "VOLUME")
            else None
        )
        if cmd == "FROM":
            if stage_info is not None:
                stages.append(_stage(len(stages), stage_info, stage_instr))
            stage_instr = []
            words = split_words(substitute(rest, global_args))
            base = words[0] if words else ""
            alias = words[2] if len(words) >= 3 and words[1].lower() == "as" else ""
            parent = aliases.get(base.lower())
            platform = dict(flags).get("platform", "")
            env = dict(global_args)
            instr = Instruction(
                cmd, logical, " ".join(words), tuple(flags), None, start, end, len(stages), (), 0
            )
            stage_info = (base, alias, platform, instr, parent)
            if alias:
                aliases[alias.lower()] = len(stages)
            instructions.append(instr)
            stage_instr.append(instr)
            continue
        args = (
            rest
            if cmd in ("RUN", "CMD", "ENTRYPOINT", "HEALTHCHECK", "SHELL", "ONBUILD")
            else substitute(rest, env)
        )
        instr = Instruction(
            cmd,
            logical,
            args,
            tuple(flags),
            json_form,
            start,
            end,
            len(stages) if stage_info else -1,
            heredocs,
            len(stage_instr) if stage_info else len(instructions),
        )
        instructions.append(instr)
        if stage_info is None:
            if cmd == "ARG":
                for name, value in assignments(args):
                    global_args[name] = value
            elif cmd in KNOWN:
                warnings.append(f"{path}:{start}: {cmd} before the first FROM")
            continue
        stage_instr.append(instr)
        if cmd in ("ARG", "ENV"):
            for name, value in assignments(args, legacy_env=cmd == "ENV"):
                if cmd == "ARG" and not value and name in global_args:
                    value = global_args[name]
                env[name] = value
    if stage_info is not None:
        stages.append(_stage(len(stages), stage_info, stage_instr))
    if unknown:
        warnings.append(f"{path}: unknown instructions: {', '.join(unknown[:5])}")
    if not stages and raw:
        warnings.append(f"{path}: no FROM instruction")
    return Dockerfile(path, tuple(instructions), tuple(stages), escape, tuple(warnings), lines)


def _stage(
    index: int, info: tuple[str, str, str, Instruction, int | None], instr: list[Instruction]
) -> Stage:
    base, alias, platform, from_instr, parent = info
    return Stage(index, base, alias, platform, from_instr, tuple(instr), parent)


def assignments(args: str, legacy_env: bool = False) -> list[tuple[str, str]]:
    """``ARG A=1 B``, ``ENV A=1 B=2`` and the legacy ``ENV A some value`` form."""
    words = split_words(args)
    if not words:
        return []
    if legacy_env and "=" not in words[0]:
        return [(words[0], " ".join(words[1:]))]
    out: list[tuple[str, str]] = []
    for w in words:
        name, _, value = w.partition("=")
        if name:
            out.append((name, value))
    return out
