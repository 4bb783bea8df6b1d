"""Package-manager caches left in an image (Dockle CIS-DI-0009): totals per cache directory.

Judged by path and size alone. Files are not reported one by one: the analyzer adds up files and
bytes per cache directory as the entries stream by and emits one fact per directory at the end of the
layer (``end_entries``), so a pip cache of 50 000 files costs one small counter.
"""

from __future__ import annotations

import stat
from dataclasses import dataclass
from typing import ClassVar

from seawall.analyze.analyzer import Analyzer, FileMeta
from seawall.model import ContentFinding, FileFacts

CATEGORY = "package-cache"
RULE_ID = "package-cache"


@dataclass(frozen=True, slots=True)
class CacheRule:
    """A cache location: the manager that fills it and how to tell cache files from bookkeeping."""

    manager: str
    directory: str  # aggregation key, relative to the image root
    suffix: str = ""  # only files ending with this count ("" = every file)
    ignore: tuple[str, ...] = ()  # paths below ``directory`` that are bookkeeping, not cache


RULES: tuple[CacheRule, ...] = (
    CacheRule("apt", "var/cache/apt/archives", suffix=".deb"),
    CacheRule("apt", "var/lib/apt/lists", ignore=("lock", "partial/", "auxfiles/")),
    CacheRule("apt", "var/cache/apt", suffix=".bin"),
    CacheRule("apk", "var/cache/apk", ignore=("installed",)),
    CacheRule("yum", "var/cache/yum"),
    CacheRule("dnf", "var/cache/dnf"),
    CacheRule("zypper", "var/cache/zypp"),
    CacheRule("pip", "root/.cache/pip"),
    CacheRule("npm", "root/.npm/_cacache"),
    CacheRule("yarn", "usr/local/share/.cache/yarn"),
    CacheRule("yarn", "root/.cache/yarn"),
)
# Users' home caches: home/<user>/<rest>.
HOME_RULES: tuple[CacheRule, ...] = (
    CacheRule("pip", ".cache/pip"),
    CacheRule("npm", ".npm/_cacache"),
    CacheRule("yarn", ".cache/yarn"),
)
_PREFIXES = (*(r.directory + "/" for r in RULES), "home/")
MAX_DIRECTORIES = 256  # distinct cache directories tracked per layer (home caches are per user)


def match(path: str) -> CacheRule | None:
    """The cache rule a regular file at ``path`` falls under, or None."""
    candidates: tuple[tuple[CacheRule, str], ...] = ()
    if path.startswith("home/"):
        user, _, rest = path[5:].partition("/")
        if user and rest:
            candidates = tuple(
                (
                    CacheRule(r.manager, f"home/{user}/{r.directory}", r.suffix, r.ignore),
                    rest[len(r.directory) + 1 :],
                )
                for r in HOME_RULES
                if rest.startswith(r.directory + "/")
            )
    else:
        candidates = tuple(
            (r, path[len(r.directory) + 1 :]) for r in RULES if path.startswith(r.directory + "/")
        )
    for rule, below in candidates:
        if rule.suffix and ("/" in below or not below.endswith(rule.suffix)):
            continue  # e.g. var/cache/apt/archives/lock, var/cache/apt/archives/partial/x
        if any(below == i or (i.endswith("/") and below.startswith(i)) for i in rule.ignore):
            continue
        return rule
    return None


class PackageCacheAnalyzer(Analyzer):
    """Add up the files and bytes package managers left in their cache directories, per directory."""

    name = "package-cache"
    version = 1
    scanners = frozenset({"misconfig"})
    metadata_only = True
    # Only images: for a rootfs the misconfig scanner checks configuration files, not an image config.
    targets: ClassVar[frozenset[str]] = frozenset({"image"})

    def __init__(self) -> None:
        self._totals: dict[str, tuple[str, int, int]] = {}  # directory -> (manager, files, bytes)

    def claims(self, path: str, mode: int, size: int) -> bool:
        return path.startswith(_PREFIXES) and not stat.S_ISDIR(mode)

    def analyze_metadata(self, path: str, meta: FileMeta) -> FileFacts | None:
        rule = match(path)
        if rule is None:
            return None
        manager, files, size = self._totals.get(rule.directory, (rule.manager, 0, 0))
        if files == 0 and len(self._totals) >= MAX_DIRECTORIES:
            return None  # bounded: enough directories to make the point
        self._totals[rule.directory] = (manager, files + 1, size + meta.size)
        return None

    def end_entries(self) -> list[FileFacts]:
        totals, self._totals = self._totals, {}
        return [
            FileFacts(
                path=directory,
                findings=(
                    ContentFinding(
                        kind="config",
                        rule_id=RULE_ID,
                        severity="LOW",
                        title="Package-manager cache left in the image",
                        path=directory,
                        category=CATEGORY,
                        detail=(("manager", manager), ("files", str(files)), ("bytes", str(size))),
                    ),
                ),
            )
            for directory, (manager, files, size) in sorted(totals.items())
        ]
