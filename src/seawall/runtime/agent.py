"""The agent loop: source -> (capture) -> enrich -> engine -> sinks, with periodic counters."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

import orjson

from seawall.runtime.engine import Engine
from seawall.runtime.events import K8S_AUDIT, SOURCE_KEY, SYSCALL, SYSCALL_TYPES, TYPE_KEY, Event
from seawall.runtime.sinks import Sink
from seawall.runtime.sources.base import Source
from seawall.runtime.sources.replay import CaptureWriter

log = logging.getLogger("seawall.runtime")

Enricher = Callable[[Event], None]


@dataclass(slots=True)
class Agent:
    """Runs one source through the engine into the sinks."""

    source: Source
    engine: Engine
    sinks: Sequence[Sink]
    enrich: Enricher | None = None
    capture: CaptureWriter | None = None
    stats_interval: float = 0.0
    stats_stream: IO[str] = field(default_factory=lambda: sys.stderr)
    unknown_type: int = 0
    _last_stats: float = 0.0

    def counters(self) -> dict[str, Any]:
        """Events received, processed, dropped, malformed, skipped, and alerts per rule."""
        st = self.source.stats
        by_rule = dict(sorted(self.engine.alerts_by_rule.items()))
        return {
            "source": self.source.name,
            "events_received": st.received,
            "events_processed": self.engine.processed,
            "events_dropped": st.dropped,
            "events_malformed": st.malformed,
            "events_unknown_type": self.unknown_type + st.unknown_type,
            "rule_errors": self.engine.rule_errors,
            "alerts": sum(by_rule.values()),
            "alerts_by_rule": by_rule,
        }

    def report(self) -> None:
        """Write the counters as one JSON line on the stats stream."""
        self.stats_stream.write(orjson.dumps({"counters": self.counters()}).decode() + "\n")
        self.stats_stream.flush()

    def _known(self, event: Event) -> bool:
        src = event.get(SOURCE_KEY, SYSCALL)
        if src == K8S_AUDIT:
            return True
        return src == SYSCALL and event.get(TYPE_KEY) in SYSCALL_TYPES

    def run(self, max_events: int | None = None) -> dict[str, Any]:
        """Process events until the source ends (or ``max_events``); returns the final counters."""
        engine, sinks, enrich, capture = self.engine, self.sinks, self.enrich, self.capture
        self._last_stats = time.monotonic()
        n = 0
        try:
            for event in self.source.events():
                if capture is not None:
                    capture.write(event)
                if not self._known(event):
                    self.unknown_type += 1
                    continue
                if enrich is not None:
                    try:
                        enrich(event)
                    except Exception as exc:  # attribution is best effort; the event still counts
                        log.debug("enrichment failed: %s", exc)
                for alert in engine.process(event):
                    for sink in sinks:
                        sink.emit(alert)
                n += 1
                if self.stats_interval and time.monotonic() - self._last_stats >= self.stats_interval:
                    self._last_stats = time.monotonic()
                    self.report()
                if max_events is not None and n >= max_events:
                    break
        finally:
            self.source.stop()
            if capture is not None:
                capture.close()
        if self.stats_interval:
            self.report()
        return self.counters()
