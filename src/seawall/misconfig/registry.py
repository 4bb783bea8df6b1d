"""The check registry: every built-in check registers itself here at import time."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable

from seawall.errors import UsageError
from seawall.misconfig.model import Check, CheckMeta, Compliance, ConfigObject, Evaluate, Hit, ScanContext
from seawall.model import Severity

_CHECKS: dict[str, Check] = {}
_MODULES = ("dockerfile", "image", "kubernetes", "rbac", "compose", "registry_config")
_loaded = False


def check(
    id: str,
    title: str,
    severity: Severity,
    description: str,
    remediation: str,
    *,
    target: str,
    applies_to: tuple[str, ...] | None = None,
    references: Iterable[str] = (),
    compliance: Iterable[tuple[str, str]] = (),
) -> Callable[[Evaluate], Evaluate]:
    """Decorator that registers an evaluation function as a check with this metadata."""

    def register(fn: Evaluate) -> Evaluate:
        if id in _CHECKS:
            raise ValueError(f"check id {id} registered twice")
        meta = CheckMeta(
            id=id,
            target=target,
            title=title,
            severity=severity,
            description=description,
            remediation=remediation,
            references=tuple(references),
            compliance=tuple(Compliance(f, c) for f, c in compliance),
        )
        _CHECKS[id] = Check(meta, fn, applies_to or (target,))
        return fn

    return register


def all_checks() -> list[Check]:
    """Every built-in check, ordered by id."""
    global _loaded
    if not _loaded:
        for name in _MODULES:
            importlib.import_module(f"seawall.misconfig.checks.{name}")
        _loaded = True
    return sorted(_CHECKS.values(), key=lambda c: _sort_key(c.meta.id))


def get_check(check_id: str) -> Check:
    """The built-in check with this id; UsageError for unknown ids."""
    for c in all_checks():
        if c.meta.id == check_id:
            return c
    raise UsageError(f"unknown check id {check_id}")


def _sort_key(check_id: str) -> tuple[str, int]:
    prefix = check_id.rstrip("0123456789")
    digits = check_id[len(prefix) :]
    return (prefix, int(digits) if digits else 0)


__all__ = ["Check", "ConfigObject", "Hit", "ScanContext", "all_checks", "check", "get_check"]
