"""Read the audited host's files: the live ``/`` or a mounted host filesystem (``--root DIR``).

Paths are always the host's own (``/etc/docker/daemon.json``); under ``--root`` symbolic links are
resolved inside the root, so an absolute link (``/var/run -> /run``) never escapes to the auditing
machine's files.
"""

from __future__ import annotations

import errno
import glob
import os
import stat
from dataclasses import dataclass
from pathlib import Path

MAX_READ = 4 << 20  # configuration files are small; a larger one is refused, not read
MAX_LINKS = 40


@dataclass(frozen=True, slots=True)
class FileStat:
    """Owner and mode of one host path, or why they are unknown."""

    path: str
    exists: bool
    uid: int = -1
    gid: int = -1
    mode: int = 0  # permission bits only
    kind: str = ""  # file, dir, socket, link, other
    error: str = ""  # permission denied, ...
    ident: tuple[int, int] = (0, 0)  # (device, inode): the same file reached through two paths

    @property
    def evidence(self) -> str:
        """``/etc/docker 0755 root(0):root(0) dir``-style text for reports."""
        if self.error:
            return f"{self.path}: {self.error}"
        if not self.exists:
            return f"{self.path}: not present"
        return f"{self.path} mode {self.mode:04o} owner {self.uid}:{self.gid} ({self.kind})"


class HostReadError(Exception):
    """A host file exists but cannot be read (permission denied, too large, not a file)."""


class HostFS:
    """Path resolution, ``stat`` and bounded reads confined to the audited root."""

    def __init__(self, root: Path | str = "/") -> None:
        self.root = Path(root)
        self.live = str(self.root) == "/"

    def resolve(self, path: str) -> Path:
        """The local path of host path ``path``, following links inside the root only."""
        if self.live:
            return Path(path)
        parts = [p for p in path.split("/") if p and p != "."]
        done: list[str] = []
        hops = 0
        while parts:
            part = parts.pop(0)
            if part == "..":
                if done:
                    done.pop()
                continue
            local = self.root.joinpath(*done, part)
            try:
                is_link = stat.S_ISLNK(os.lstat(local).st_mode)
            except OSError:
                is_link = False
            if not is_link:
                done.append(part)
                continue
            hops += 1
            if hops > MAX_LINKS:
                raise HostReadError(f"{path}: too many levels of symbolic links")
            target = os.readlink(local)
            if target.startswith("/"):
                done = []
            parts = [p for p in target.split("/") if p and p != "."] + parts
        return self.root.joinpath(*done)

    def stat(self, path: str) -> FileStat:
        """Owner, mode and kind of ``path`` (following links), or ``exists=False``."""
        try:
            st = os.stat(self.resolve(path))
        except FileNotFoundError:
            return FileStat(path, exists=False)
        except (OSError, HostReadError) as exc:
            if isinstance(exc, OSError) and exc.errno in (errno.ENOTDIR, errno.ELOOP):
                return FileStat(path, exists=False)
            return FileStat(path, exists=False, error=_reason(exc))
        mode = stat.S_IMODE(st.st_mode)
        return FileStat(
            path, True, st.st_uid, st.st_gid, mode, _kind(st.st_mode), ident=(st.st_dev, st.st_ino)
        )

    def exists(self, path: str) -> bool:
        """True if ``path`` exists on the host (a dangling link does not)."""
        return self.stat(path).exists

    def read_text(self, path: str, limit: int = MAX_READ) -> str | None:
        """The text of a host file; None when it does not exist; HostReadError when it cannot be read."""
        try:
            data = read_bounded(self.resolve(path), limit)
        except HostReadError as exc:
            raise HostReadError(f"{path}: {exc}") from None
        except FileNotFoundError:
            return None
        except NotADirectoryError:
            return None
        except OSError as exc:
            raise HostReadError(f"{path}: {_reason(exc)}") from exc
        if len(data) > limit:
            raise HostReadError(f"{path}: larger than {limit} bytes")
        return data.decode("utf-8", errors="replace")

    def glob(self, pattern: str) -> list[str]:
        """Host paths matching a glob (directories in it resolved inside the root), sorted."""
        directory, _, name = pattern.rpartition("/")
        try:
            local_dir = self.resolve(directory or "/")
        except HostReadError:
            return []
        found = glob.glob(glob.escape(str(local_dir)) + "/" + name)
        prefix = len(str(local_dir).rstrip("/")) + 1
        return sorted(f"{directory}/{p[prefix:]}" for p in found)


def read_bounded(local: Path, limit: int) -> bytes:
    """Up to ``limit + 1`` bytes of a regular file; a FIFO or device is refused without blocking on it."""
    fd = os.open(local, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise HostReadError("not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read(limit + 1)
    finally:
        os.close(fd)


def unique(stats: list[FileStat]) -> list[FileStat]:
    """Drop paths that reach a file already listed (``/lib/...`` and ``/usr/lib/...`` on merged-usr hosts)."""
    seen: set[tuple[int, int]] = set()
    out = []
    for st in stats:
        if st.exists and st.ident in seen:
            continue
        seen.add(st.ident)
        out.append(st)
    return out


def _kind(mode: int) -> str:
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "other"


def _reason(exc: BaseException) -> str:
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return str(exc)
