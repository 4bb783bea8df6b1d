"""The analyzer contract and registry.

An analyzer declares which files it wants and turns the bytes of each claimed file into
:class:`~seawall.model.FileFacts`. The walker opens a file only when an analyzer claims it, so adding an
ecosystem means adding one module to :mod:`seawall.analyze.analyzers` and listing it in ``ANALYZERS``.
"""

from __future__ import annotations

import hashlib
import stat
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

from seawall.model import Application, FileFacts


class Analyzer:
    """Base class: declare ``name``, ``version`` and what to claim; implement :meth:`analyze`.

    Claims are declared as exact paths (``paths``), file names (``basenames``) or name endings
    (``suffixes``); override :meth:`claims` for anything else (it must stay cheap: it runs for every
    tar entry). Paths are relative to the image root, without a leading slash.
    """

    name: ClassVar[str] = ""
    version: ClassVar[int] = 1  # bump when the output changes, so cached layer results are redone
    paths: ClassVar[frozenset[str]] = frozenset()
    basenames: ClassVar[frozenset[str]] = frozenset()
    suffixes: ClassVar[tuple[str, ...]] = ()
    max_size: ClassVar[int] = 64 * 1024 * 1024  # larger files are skipped with a warning
    # Which artifact kinds the analyzer runs on, as in Trivy: lockfiles only in "fs" (source trees),
    # installed-package databases everywhere.
    targets: ClassVar[frozenset[str]] = frozenset({"image", "rootfs", "fs"})
    # An analyzer that judges entries by metadata alone (mode, owner, size: setuid files, world-writable
    # directories) sets this and implements analyze_metadata(); its claims() then also sees
    # directories, and the walker never reads bytes for it.
    metadata_only: ClassVar[bool] = False
    # The scanners that need this analyzer: empty for inventory (always on); e.g. {"secret"} for
    # analyzers that run only when one of those scanners is chosen (--scanners).
    scanners: ClassVar[frozenset[str]] = frozenset()

    def configure(self, settings: Mapping[str, str]) -> None:
        """Take scanner settings (a custom rule file, a rule directory); the default ignores them."""

    def cache_token(self) -> str:
        """What names this analyzer's output in the layer cache key: name, version and settings."""
        return f"{self.name}:{self.version}"

    def claims(self, path: str, mode: int, size: int) -> bool:
        """True when this analyzer wants the regular file at ``path``."""
        if path in self.paths:
            return True
        base = path.rpartition("/")[2]
        if base in self.basenames:
            return True
        return bool(self.suffixes) and path.endswith(self.suffixes)

    def analyze(self, path: str, data: bytes) -> FileFacts | None:
        """Return what the file says, or None when it says nothing this analyzer understands."""
        raise NotImplementedError

    def analyze_metadata(self, path: str, meta: FileMeta) -> FileFacts | None:
        """For ``metadata_only`` analyzers: judge an entry by its metadata."""
        raise NotImplementedError

    def end_entries(self) -> list[FileFacts]:
        """After the last entry of a layer or directory: facts aggregated across entries (keyed by
        their own path), for ``metadata_only`` analyzers that total things up. Must reset its state."""
        return []

    def finish(self, applications: list[Application]) -> list[Application]:
        """After the merge: adjust the merged applications (e.g. fold go.sum into go.mod). Default: none."""
        return applications


@dataclass(frozen=True, slots=True)
class FileMeta:
    """Metadata of a tar entry or directory entry."""

    mode: int  # st_mode-style: file type bits and permissions
    size: int
    uid: int = 0
    gid: int = 0


def is_executable(mode: int) -> bool:
    """True for a regular file with any execute bit set."""
    return stat.S_ISREG(mode) and bool(mode & 0o111) if stat.S_IFMT(mode) else bool(mode & 0o111)


def analyzer_key(analyzers: Sequence[Analyzer]) -> str:
    """A short hash naming the analyzer set and versions, used in the layer cache key."""
    text = ",".join(sorted(a.cache_token() for a in analyzers))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def default_analyzers(
    target: str = "image",
    names: Iterable[str] | None = None,
    scanners: Iterable[str] = (),
    settings: Iterable[tuple[str, str]] = (),
) -> list[Analyzer]:
    """Instantiate the registered analyzers for a target kind (image, rootfs, fs), or only those named.

    Scanner-specific analyzers (``scanners`` set) are included only when one of them is chosen.
    """
    from seawall.analyze.analyzers import ANALYZERS

    wanted = set(names) if names is not None else None
    chosen = set(scanners)
    out = [
        cls()
        for cls in ANALYZERS
        if target in cls.targets
        and (not cls.scanners or bool(cls.scanners & chosen))
        and (wanted is None or cls.name in wanted)
    ]
    config = dict(settings)
    for analyzer in out:
        analyzer.configure(config)
    return out
