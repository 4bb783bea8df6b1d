"""Per-layer analysis cache, keyed by layer diff_id and the analyzer set.

A layer's diff_id names its uncompressed content, so a result computed once holds for every image
that shares the layer. Entries are JSON files written atomically; an unreadable entry is treated as
a miss and rewritten.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

import orjson

from seawall.errors import CacheError
from seawall.model import LayerFacts

log = logging.getLogger(__name__)

FORMAT = 1


class LayerCache:
    """Layer results under ``<cache_dir>/layers/<analyzer key>/<diff_id hex>.json``."""

    def __init__(self, cache_dir: Path, analyzer_key: str) -> None:
        self.root = cache_dir / "layers" / f"v{FORMAT}-{analyzer_key}"

    def _path(self, diff_id: str) -> Path | None:
        algo, _, hexpart = diff_id.partition(":")
        if (
            algo not in ("sha256", "sha512")
            or not hexpart
            or not all(c in "0123456789abcdef" for c in hexpart)
        ):
            return None
        return self.root / f"{algo}-{hexpart}.json"

    def get(self, diff_id: str) -> LayerFacts | None:
        """The cached result for a layer, or None."""
        path = self._path(diff_id)
        if path is None:
            return None
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            log.debug("layer cache read failed for %s: %s", diff_id, exc)
            return None
        try:
            facts = LayerFacts.from_dict(orjson.loads(data))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            log.warning("ignoring a damaged layer cache entry %s (%s)", path.name, exc)
            return None
        return facts if facts.diff_id == diff_id else None

    def put(self, facts: LayerFacts) -> None:
        """Store a layer's result (atomically: write a temp file, then rename)."""
        path = self._path(facts.diff_id)
        if path is None:
            return
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".tmp-", suffix=".json")
            with os.fdopen(fd, "wb") as f:
                f.write(orjson.dumps(facts.to_dict()))
            os.replace(tmp, path)
        except OSError as exc:
            raise CacheError(f"cannot write the layer cache in {self.root}: {exc.strerror}") from exc
