"""Just enough shell understanding for checks: split a RUN script into simple commands."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from seawall.misconfig.dockerfile import split_words

_SEPARATORS = re.compile(r"&&|\|\||;|\n|(?<![|>])\|(?!\|)")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_WRAPPERS = frozenset({"sudo", "env", "nice", "nohup", "time", "exec", "command", "xargs", "doas"})


@dataclass(frozen=True, slots=True)
class Command:
    """One simple command of a script: its words (wrappers such as ``sudo`` removed) and pipe position."""

    words: tuple[str, ...]
    piped_from: bool  # this command reads the previous command's output through ``|``
    raw: tuple[str, ...]  # words as written, wrappers included
    assignments: tuple[tuple[str, str], ...] = ()  # ``NAME=value`` prefixes (environment of this command)
    name: str = ""  # the program's base name (``/usr/bin/apt-get`` -> ``apt-get``)
    arguments: tuple[str, ...] = ()  # words after the name that are not flags

    def has(self, *flags: str) -> bool:
        """True if any word equals one of ``flags`` (or is a short-flag cluster containing it)."""
        for word in self.words[1:]:
            if word in flags or any(f.startswith("--") and word.startswith(f + "=") for f in flags):
                return True
            for f in flags:
                if len(f) == 2 and f[0] == "-" and f[1] != "-" and _short_cluster(word, f[1]):
                    return True
        return False

    def args(self) -> list[str]:
        """Words after the command name that are not flags."""
        return list(self.arguments)


def _short_cluster(word: str, letter: str) -> bool:
    return len(word) > 1 and word[0] == "-" and word[1] != "-" and word[1:].isalpha() and letter in word[1:]


@functools.lru_cache(maxsize=256)
def commands(script: str) -> list[Command]:
    """Split a script on ``&&``, ``||``, ``;``, ``|`` and newlines into simple commands (cached: every
    RUN check asks for the same script; callers must not modify the list)."""
    out: list[Command] = []
    pos = 0
    piped = False
    text = script.replace("\\\n", " ")
    for m in [*_SEPARATORS.finditer(text), None]:
        end = m.start() if m else len(text)
        words = split_words(text[pos:end])
        raw = tuple(words)
        assigned: list[tuple[str, str]] = []
        while words and (words[0] in _WRAPPERS or _ASSIGNMENT.match(words[0]) or words[0] in ("(", "{")):
            if _ASSIGNMENT.match(words[0]):
                name, _, value = words[0].partition("=")
                assigned.append((name, value))
            words = words[1:]
            # sudo -u user / env -i: drop the wrapper's own flags
            while words and words[0].startswith("-"):
                words = words[1:]
        words = [w for w in words if w not in (")", "}")]
        if words or assigned:
            name = words[0].rsplit("/", 1)[-1] if words else ""
            arguments = tuple(w for w in words[1:] if not w.startswith("-"))
            out.append(Command(tuple(words), piped, raw, tuple(assigned), name, arguments))
        piped = bool(m and m.group(0) == "|")
        if m:
            pos = m.end()
    return out
