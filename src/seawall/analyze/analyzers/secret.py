"""The secret analyzers: text-like files (every target) and archives (source trees only).

Runs only with ``--scanners secret``. Binaries are skipped by a NUL-byte sniff, big files by a size
cap; the engine (compiled once per process and settings) does the rest.
"""

from __future__ import annotations

import stat
from collections.abc import Mapping
from pathlib import Path

from seawall.analyze.analyzer import Analyzer
from seawall.model import ContentFinding, FileFacts
from seawall.scan.secrets import archives
from seawall.scan.secrets.config import load_secret_config
from seawall.scan.secrets.engine import SecretEngine

SETTING = "secret-config"
MAX_SECRET_FILE = 10 * 1024 * 1024
SNIFF_BYTES = 8192
# Files that are never text worth scanning: compiled objects, media, fonts, compressed data.
BINARY_SUFFIXES = (
    ".so", ".a", ".o", ".pyc", ".pyo", ".class", ".mo", ".png", ".jpg", ".jpeg", ".gif", ".ico", ".bmp",
    ".webp", ".svgz", ".ttf", ".otf", ".woff", ".woff2", ".eot", ".pdf", ".gz", ".tgz", ".xz", ".bz2", ".zst",
    ".lz4", ".zip", ".jar", ".war", ".whl", ".egg", ".deb", ".rpm", ".apk", ".7z", ".tar", ".mp3", ".mp4",
    ".wav", ".ogg", ".db", ".sqlite", ".node", ".wasm", ".bin", ".dat", ".cache",
)  # fmt: skip

_ENGINES: dict[str, tuple[SecretEngine, str]] = {}


def engine_for(settings: Mapping[str, str]) -> tuple[SecretEngine, str]:
    """The compiled engine and its fingerprint for these settings, built once per process."""
    key = settings.get(SETTING, "")
    cached = _ENGINES.get(key)
    if cached is None:
        config = load_secret_config(Path(key) if key else None)
        cached = _ENGINES[key] = (SecretEngine(config.rules, config.allow_rules), config.fingerprint)
    return cached


def looks_binary(data: bytes) -> bool:
    """A NUL byte near the start means binary (as git and grep decide)."""
    return b"\x00" in data[:SNIFF_BYTES]


def _facts(path: str, text: str, engine: SecretEngine) -> list[ContentFinding]:
    return [
        ContentFinding(
            kind="secret",
            rule_id=m.rule_id,
            severity=m.severity,
            title=m.title,
            path=path,
            category=m.category,
            start_line=m.start_line,
            end_line=m.end_line,
            match=m.match,
            context=m.context,
        )
        for m in engine.scan(path, text)
    ]


class SecretAnalyzer(Analyzer):
    """Scan text files for secrets."""

    name = "secret"
    version = 1
    scanners = frozenset({"secret"})
    max_size = MAX_SECRET_FILE

    def __init__(self) -> None:
        self._engine, self._fingerprint = engine_for({})

    def configure(self, settings: Mapping[str, str]) -> None:
        self._engine, self._fingerprint = engine_for(settings)

    def cache_token(self) -> str:
        return f"{self.name}:{self.version}:{self._fingerprint}"

    def claims(self, path: str, mode: int, size: int) -> bool:
        if size == 0 or size > self.max_size or not stat.S_ISREG(mode):
            return False
        if path.lower().endswith(BINARY_SUFFIXES):
            return False
        return not self._engine.path_allowed(path)

    def analyze(self, path: str, data: bytes) -> FileFacts | None:
        if looks_binary(data):
            return None
        findings = _facts(path, data.decode("utf-8", "replace"), self._engine)
        return FileFacts(path=path, findings=tuple(findings)) if findings else None


class SecretArchiveAnalyzer(SecretAnalyzer):
    """In source trees, open zip/tar/gzip archives and scan their members."""

    name = "secret-archive"
    targets = frozenset({"fs"})
    max_size = archives.MAX_TOTAL_BYTES

    def claims(self, path: str, mode: int, size: int) -> bool:
        return 0 < size <= self.max_size and archives.is_archive(path) and not self._engine.path_allowed(path)

    def analyze(self, path: str, data: bytes) -> FileFacts | None:
        budget = archives.Budget()
        findings: list[ContentFinding] = []
        for inner, content in archives.members(path, data, MAX_SECRET_FILE, budget):
            if inner.lower().endswith(BINARY_SUFFIXES) or looks_binary(content):
                continue
            if self._engine.path_allowed(inner):
                continue
            findings.extend(_facts(inner, content.decode("utf-8", "replace"), self._engine))
        if not findings and not budget.warnings:
            return None
        return FileFacts(path=path, findings=tuple(findings), warnings=tuple(budget.warnings))
