"""The append-only audit log: one JSON line per grant and denial."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import orjson

from seawall.errors import UsageError


class AuditLog:
    """Appends records with O_APPEND so concurrent writers and readers never see torn lines."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._fd: int | None = None
        self._lock = threading.Lock()
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            except OSError as exc:
                raise UsageError(f"cannot open audit log {path}: {exc}") from exc

    def write(self, record: dict[str, Any]) -> None:
        """Append one record, stamped with the current time."""
        if self._fd is None:
            return
        line = orjson.dumps({"time": time.time(), **record}, option=orjson.OPT_APPEND_NEWLINE)
        with self._lock:
            os.write(self._fd, line)

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
