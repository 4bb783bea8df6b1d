"""What every event source shares: counters and the iteration contract."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from seawall.runtime.events import Event


@dataclass(slots=True)
class SourceStats:
    """Counters a source keeps; the agent reports them."""

    received: int = 0
    malformed: int = 0
    dropped: int = 0
    unknown_type: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, name: str, n: int = 1) -> None:
        """Increment a counter from any thread."""
        with self.lock:
            setattr(self, name, getattr(self, name) + n)


class Source(Protocol):
    """An event source: iterate ``events()`` until it ends or ``stop()`` is called."""

    name: str
    stats: SourceStats

    def events(self) -> Iterator[Event]:
        """Yield events; return when the source is exhausted or stopped."""
        ...

    def stop(self) -> None:
        """Ask the source to end ``events()`` soon (callable from another thread)."""
        ...
