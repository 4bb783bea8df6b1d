"""Accounts, robots, groups and access rules; scopes and the grant = asked ∩ allowed computation."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

ACTIONS = ("pull", "push", "delete", "*")
ANONYMOUS = "anonymous"
# Repository names per the distribution spec: lowercase path components; bounded length.
_REPO_RE = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$")
MAX_SCOPES = 32


@dataclass(frozen=True, slots=True)
class Account:
    """A person or robot that can authenticate."""

    name: str
    secret_hash: str
    groups: tuple[str, ...] = ()
    robot: bool = False
    disabled: bool = False


@dataclass(frozen=True, slots=True)
class Rule:
    """Subjects (``user:N``, ``robot:N``, ``group:N``, ``anonymous``, ``authenticated``) get actions
    on repositories matching globs (``*`` also crosses ``/``), or the catalog."""

    subjects: tuple[str, ...]
    repositories: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    catalog: bool = False


@dataclass(frozen=True, slots=True)
class Scope:
    """One ``type:name:actions`` access request or grant."""

    type: str
    name: str
    actions: tuple[str, ...]

    def text(self) -> str:
        """The scope in the wire form ``repository:app:pull,push``."""
        return f"{self.type}:{self.name}:{','.join(self.actions)}"

    def claim(self) -> dict[str, object]:
        """The JWT ``access`` entry."""
        return {"type": self.type, "name": self.name, "actions": list(self.actions)}


def parse_scopes(values: list[str]) -> list[Scope]:
    """Parse ``scope`` parameters (each may hold several space-separated scopes); skip malformed ones."""
    # Clients repeat scopes (skopeo asks for the same repository twice): merge by resource.
    merged: dict[tuple[str, str], tuple[str, ...]] = {}
    for value in values:
        for item in value.split():
            scope = _parse_one(item)
            if scope is None:
                continue
            key = (scope.type, scope.name)
            if key in merged:
                merged[key] = tuple(dict.fromkeys(merged[key] + scope.actions))
            elif len(merged) < MAX_SCOPES:
                merged[key] = scope.actions
    return [Scope(kind, name, acts) for (kind, name), acts in merged.items()]


def _parse_one(item: str) -> Scope | None:
    kind, sep, rest = item.partition(":")
    name, sep2, actions = rest.rpartition(":")
    if not (sep and sep2 and kind and name and actions) or len(item) > 512:
        return None
    # A resource class may follow the type: repository(plugin):name:pull.
    kind = kind.split("(", 1)[0]
    if kind == "repository" and not _REPO_RE.match(name):
        return None
    acts = tuple(dict.fromkeys(a for a in actions.split(",") if a))
    return Scope(kind, name, acts) if acts else None


def subjects_of(account: Account | None) -> set[str]:
    """The rule subjects an authenticated account (or anonymous, None) matches."""
    if account is None:
        return {ANONYMOUS}
    kind = "robot" if account.robot else "user"
    return {f"{kind}:{account.name}", "authenticated", *(f"group:{g}" for g in account.groups)}


def allowed_actions(rules: tuple[Rule, ...], subjects: set[str], scope: Scope) -> set[str]:
    """Every action the rules allow these subjects on the scope's resource (deny by default)."""
    allowed: set[str] = set()
    for rule in rules:
        if not subjects.intersection(rule.subjects):
            continue
        if scope.type == "registry" and scope.name == "catalog" and rule.catalog:
            allowed.add("*")
        elif scope.type == "repository" and any(
            fnmatch.fnmatchcase(scope.name, g) for g in rule.repositories
        ):
            allowed.update(rule.actions)
    return allowed


def grant(rules: tuple[Rule, ...], subjects: set[str], asked: list[Scope]) -> list[Scope]:
    """The intersection of what was asked and what is allowed, scope by scope; never more."""
    granted: list[Scope] = []
    for scope in asked:
        allowed = allowed_actions(rules, subjects, scope)
        if "*" in allowed:
            acts = scope.actions
        else:
            acts = tuple(a for a in scope.actions if a in allowed and a != "*")
        if acts:
            granted.append(Scope(scope.type, scope.name, acts))
    return granted
