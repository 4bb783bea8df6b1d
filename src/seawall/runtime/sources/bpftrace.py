"""eBPF through bpftrace: not implemented yet (see docs/runtime.md, "Not done")."""

from __future__ import annotations

from collections.abc import Iterator

from seawall.errors import UsageError
from seawall.runtime.events import Event
from seawall.runtime.sources.base import SourceStats


class BpftraceSource:
    """Placeholder that refuses to start with a clear message."""

    name = "bpf"

    def __init__(self) -> None:
        self.stats = SourceStats()
        raise UsageError("--source bpf is not implemented yet; use --source proc for exec events")

    def events(self) -> Iterator[Event]:
        """Never reached."""
        return iter(())

    def stop(self) -> None:
        """Nothing to stop."""
