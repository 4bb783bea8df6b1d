"""Alerts and priorities in Falco's JSON shape.

Independent of any event source: the registry monitor reuses them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from seawall.errors import UsageError


class Priority(enum.IntEnum):
    """Falco's eight priorities; a higher value is more severe."""

    DEBUG = 0
    INFORMATIONAL = 1
    NOTICE = 2
    WARNING = 3
    ERROR = 4
    CRITICAL = 5
    ALERT = 6
    EMERGENCY = 7

    @classmethod
    def parse(cls, text: object) -> Priority:
        """Parse a priority name case-insensitively (``INFO`` is ``INFORMATIONAL``); raise ValueError."""
        name = str(text).strip().upper()
        if name == "INFO":
            name = "INFORMATIONAL"
        try:
            return cls[name]
        except KeyError:
            raise ValueError(f"unknown priority {text!r}") from None

    @classmethod
    def from_flag(cls, text: str) -> Priority:
        """Parse a ``--min-priority`` value into a UsageError-raising form."""
        try:
            return cls.parse(text)
        except ValueError as exc:
            raise UsageError(f"{exc}; use one of {', '.join(p.name.lower() for p in cls)}") from exc

    @property
    def label(self) -> str:
        """The capitalised form Falco prints (``Warning``, ``Informational``)."""
        return self.name.capitalize()


@dataclass(frozen=True, slots=True)
class Alert:
    """One detection."""

    rule: str
    priority: Priority
    output: str
    source: str
    time_ns: int
    hostname: str = ""
    tags: tuple[str, ...] = ()
    output_fields: dict[str, Any] = field(default_factory=dict)

    def iso_time(self) -> str:
        """RFC 3339 time with nanoseconds, as Falco writes it."""
        secs, nanos = divmod(self.time_ns, 1_000_000_000)
        return datetime.fromtimestamp(secs, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{nanos:09d}Z"

    def text(self) -> str:
        """Falco's text line: ``HH:MM:SS.nnnnnnnnn: Priority message``."""
        secs, nanos = divmod(self.time_ns, 1_000_000_000)
        clock = datetime.fromtimestamp(secs, UTC).strftime("%H:%M:%S")
        return f"{clock}.{nanos:09d}: {self.priority.label} {self.output}"

    def to_dict(self) -> dict[str, Any]:
        """Falco's ``json_output`` object."""
        return {
            "hostname": self.hostname,
            "output": self.text(),
            "output_fields": self.output_fields,
            "priority": self.priority.label,
            "rule": self.rule,
            "source": self.source,
            "tags": sorted(self.tags),
            "time": self.iso_time(),
        }
