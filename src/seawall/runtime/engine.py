"""The rules engine: index compiled rules by (source, event type) and turn matching events into alerts."""

from __future__ import annotations

import logging
import socket
import time
from collections import Counter
from typing import Any

from seawall.runtime.alerts import Alert, Priority
from seawall.runtime.events import SOURCE_KEY, SYSCALL, TYPE_KEY, Event
from seawall.runtime.rules.compiler import CompiledRule, Ruleset

log = logging.getLogger("seawall.runtime")

RULE_MATCHING = ("first", "all")

# Like Falco's default ``append_output`` for syscall rules: every alert says which container it came
# from, even when the rule's own output does not (the 2026 stable rules leave it to this setting).
DEFAULT_APPEND_FIELDS: dict[str, tuple[str, ...]] = {
    "syscall": ("container.id", "container.name", "container.image.repository", "container.image.tag"),
}


def format_value(value: Any) -> str:
    """Falco's rendering of one output value (``<NA>`` when absent, lists in parentheses)."""
    if value is None:
        return "<NA>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "(" + ",".join(format_value(v) for v in value) + ")"
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _json_value(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    return value


class Engine:
    """Evaluates events against the enabled rules that can match their type."""

    def __init__(
        self,
        ruleset: Ruleset,
        min_priority: Priority = Priority.DEBUG,
        rule_matching: str = "first",
        hostname: str | None = None,
        append_fields: dict[str, tuple[str, ...]] | None = None,
    ) -> None:
        if rule_matching not in RULE_MATCHING:
            raise ValueError(f"rule_matching must be one of {RULE_MATCHING}")
        self.rules = [r for r in ruleset.rules if r.enabled and r.priority >= min_priority]
        self.first = rule_matching == "first"
        self.hostname = hostname if hostname is not None else socket.gethostname()
        self.processed = 0
        self.rule_errors = 0
        self.alerts_by_rule: Counter[str] = Counter()
        self.append_fields = DEFAULT_APPEND_FIELDS if append_fields is None else append_fields
        self._index: dict[tuple[str, Any], tuple[CompiledRule, ...]] = {}

    def candidates(self, source: str, evttype: Any) -> tuple[CompiledRule, ...]:
        """Rules that can match an event of this source and type, in load order (cached)."""
        key = (source, evttype)
        found = self._index.get(key)
        if found is None:
            found = tuple(
                r for r in self.rules if r.source == source and (r.evttypes is None or evttype in r.evttypes)
            )
            if len(self._index) < 4096:  # event types are a small set; bound it against odd input anyway
                self._index[key] = found
        return found

    def process(self, event: Event) -> list[Alert]:
        """Return the alerts ``event`` raises (at most one with ``rule_matching=first``)."""
        self.processed += 1
        src = event.get(SOURCE_KEY, SYSCALL)
        key = (src, event.get(TYPE_KEY))
        rules = self._index.get(key)
        if rules is None:
            rules = self.candidates(*key)
        alerts: list[Alert] = []
        for rule in rules:
            try:
                hit = rule.match(event)
            except Exception as exc:  # a value of an unexpected type: count it, never stop the agent
                self.rule_errors += 1
                log.debug("rule %r failed on an event: %s", rule.name, exc)
                continue
            if hit:
                alerts.append(self.alert(rule, event))
                if self.first:
                    break
        return alerts

    def alert(self, rule: CompiledRule, event: Event) -> Alert:
        """Format the alert for ``rule`` matching ``event``."""
        self.alerts_by_rule[rule.name] += 1
        text: list[str] = []
        fields: dict[str, Any] = {}
        for part in rule.output:
            if part.name is None:
                text.append(part.text)
                continue
            try:
                value = part.getter(event) if part.getter is not None else None
            except Exception:
                value = None
            text.append(format_value(value))
            fields[part.name] = _json_value(value)
        extra = [f for f in self.append_fields.get(rule.source, ()) if f not in fields]
        for name in extra:
            value = event.get(name)
            fields[name] = _json_value(value)
            text.append(f" {name.replace('.', '_')}={format_value(value)}")
        t = event.get("evt.time")
        return Alert(
            rule=rule.name,
            priority=rule.priority,
            output="".join(text),
            source=rule.source,
            time_ns=t if isinstance(t, int) else time.time_ns(),
            hostname=self.hostname,
            tags=rule.tags,
            output_fields=fields,
        )
