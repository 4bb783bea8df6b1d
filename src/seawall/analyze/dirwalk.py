"""Walk a directory (a root filesystem or a source tree) as if it were one layer.

Symlinks are never followed (neither to directories nor to files), special files are ignored, and
claimed files are opened with ``O_NOFOLLOW`` and read up to the size cap.
"""

from __future__ import annotations

import functools
import logging
import os
import stat
from collections.abc import Sequence
from pathlib import Path

from seawall.analyze.analyzer import Analyzer, FileMeta
from seawall.analyze.streams import Limits
from seawall.analyze.walker import add_aggregates, combine_facts, run_analyzers, run_metadata
from seawall.errors import ArtifactError, LimitExceededError
from seawall.model import FileFacts, LayerFacts

log = logging.getLogger(__name__)

# Pseudo and volatile filesystems of a live root that hold nothing to inventory.
ROOTFS_SKIP = frozenset({"proc", "sys", "dev", "run", "tmp/.X11-unix"})
FS_SKIP_NAMES = frozenset({".git", ".hg", ".svn"})


def analyze_directory(
    root: Path, analyzers: Sequence[Analyzer], limits: Limits, kind: str = "rootfs"
) -> LayerFacts:
    """Run the analyzers over every regular file below ``root``."""
    try:
        st = root.lstat()
    except OSError as exc:
        raise ArtifactError(f"cannot read {root}: {exc.strerror}") from exc
    if not stat.S_ISDIR(st.st_mode):
        raise ArtifactError(f"{root} is not a directory")
    files: dict[str, FileFacts] = {}
    content = [a for a in analyzers if not a.metadata_only]
    by_metadata = [a for a in analyzers if a.metadata_only]
    entries = 0
    size = 0
    stack: list[tuple[str, str]] = [(str(root), "")]
    while stack:
        dir_path, rel_dir = stack.pop()
        try:
            it = os.scandir(dir_path)
        except OSError as exc:
            log.warning("skipping %s: %s", rel_dir or ".", exc.strerror)
            continue
        with it:
            for de in it:
                entries += 1
                if entries > limits.max_entries:
                    raise LimitExceededError(f"{root} has more than {limits.max_entries} entries")
                rel = f"{rel_dir}/{de.name}" if rel_dir else de.name
                if len(rel) > limits.max_path_length:
                    log.warning("skipping %s...: path longer than %d", rel[:80], limits.max_path_length)
                    continue
                try:
                    st = de.stat(follow_symlinks=False)
                except OSError:
                    continue
                is_dir = stat.S_ISDIR(st.st_mode)
                if is_dir:
                    if kind == "rootfs" and rel in ROOTFS_SKIP:
                        continue
                    if kind == "fs" and de.name in FS_SKIP_NAMES:
                        continue
                    stack.append((de.path, rel))
                elif not stat.S_ISREG(st.st_mode):
                    continue
                meta = FileMeta(st.st_mode, st.st_size, st.st_uid, st.st_gid)
                facts = run_metadata(rel, meta, by_metadata) if by_metadata else None
                if not is_dir:
                    size += st.st_size
                    wanted = [a for a in content if a.claims(rel, st.st_mode, st.st_size)]
                    if wanted:
                        found = run_analyzers(
                            rel,
                            st.st_size,
                            functools.partial(_read, de.path, st.st_size),
                            wanted,
                            limits,
                            str(root),
                        )
                        facts = found if facts is None else combine_facts(found, facts)
                if facts is not None:
                    files[rel] = facts
    add_aggregates(files, by_metadata)
    return LayerFacts(diff_id="", files=files, entries=entries, size=size)


def _read(path: str, size: int) -> bytes:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ArtifactError(f"{path} changed while scanning")
        chunks: list[bytes] = []
        left = size
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)
