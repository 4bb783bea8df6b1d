"""The layer walker: one streaming pass over a layer tar, feeding claimed files to analyzers."""

from __future__ import annotations

import logging
import posixpath
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass

from seawall.analyze.analyzer import Analyzer
from seawall.analyze.streams import BlobRef, LayerStream, Limits
from seawall.errors import ArtifactError, HostileInputError, LimitExceededError, SeawallError
from seawall.model import FileFacts, LayerFacts

log = logging.getLogger(__name__)

WHITEOUT_PREFIX = ".wh."
OPAQUE_MARKER = ".wh..wh..opq"


@dataclass(frozen=True, slots=True)
class LayerSource:
    """Where a layer's bytes are and what they must hash to (picklable, for worker processes)."""

    blob: BlobRef
    diff_id: str = ""  # sha256 of the uncompressed tar, when known
    digest: str = ""  # digest of the stored (possibly compressed) blob, when known
    label: str = ""  # for messages


def normalize_member_path(name: str) -> str:
    """Turn a tar member name into a clean image-relative path; refuse traversal.

    Leading ``/`` and ``./`` are dropped (as GNU tar does); a ``..`` component is hostile.
    """
    parts: list[str] = []
    for part in name.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            raise HostileInputError(f"tar entry {name!r} climbs out of the image root ('..')")
        parts.append(part)
    return "/".join(parts)


def _resolve_hardlink(path: str, linkname: str) -> str:
    target = normalize_member_path(linkname)
    if not target:
        raise HostileInputError(f"hardlink {path!r} points at the image root")
    return target


def analyze_layer(source: LayerSource, analyzers: Sequence[Analyzer], limits: Limits) -> LayerFacts:
    """Read one layer front to back and return what the analyzers found in it."""
    label = source.label or source.diff_id or str(source.blob.path)
    stream = LayerStream(source.blob, source.digest, source.diff_id, limits, label)
    files: dict[str, FileFacts] = {}
    whiteouts: list[str] = []
    opaque: list[str] = []
    entries = 0
    try:
        try:
            tar = tarfile.open(fileobj=stream.tar, mode="r|")  # type: ignore[call-overload]
        except tarfile.ReadError as exc:
            raise ArtifactError(f"layer {label} is not a tar archive: {exc}") from exc
        with tar:
            for member in tar:
                entries += 1
                if entries > limits.max_entries:
                    raise LimitExceededError(f"layer {label} has more than {limits.max_entries} entries")
                if len(member.name) > limits.max_path_length:
                    raise LimitExceededError(
                        f"layer {label} has a path longer than {limits.max_path_length} characters"
                    )
                path = normalize_member_path(member.name)
                if not path:
                    continue
                directory, _, base = path.rpartition("/")
                if base.startswith(WHITEOUT_PREFIX):
                    if base == OPAQUE_MARKER:
                        opaque.append(directory)
                    else:
                        whiteouts.append(posixpath.join(directory, base[len(WHITEOUT_PREFIX) :]))
                    continue
                if member.islnk():
                    _resolve_hardlink(path, member.linkname)
                    continue
                if not member.isreg():
                    continue
                wanted = [a for a in analyzers if a.claims(path, member.mode, member.size)]
                if not wanted:
                    continue
                facts = _run_analyzers(tar, member, path, wanted, limits, label)
                if facts is not None:
                    files[path] = facts
        stream.finish()
    except (tarfile.TarError, EOFError) as exc:
        raise ArtifactError(f"layer {label} is a broken tar archive: {exc}") from exc
    finally:
        stream.close()
    return LayerFacts(
        diff_id=source.diff_id,
        files=files,
        whiteouts=tuple(whiteouts),
        opaque_dirs=tuple(opaque),
        entries=entries,
        size=stream.uncompressed_size,
    )


def _run_analyzers(
    tar: tarfile.TarFile,
    member: tarfile.TarInfo,
    path: str,
    wanted: Sequence[Analyzer],
    limits: Limits,
    label: str,
) -> FileFacts | None:
    cap = min(limits.max_file_read, max(a.max_size for a in wanted))
    if member.size > cap:
        msg = f"{path}: {member.size} bytes is over the {cap}-byte read limit, skipped"
        log.warning("layer %s: %s", label[:19], msg)
        return FileFacts(path=path, warnings=(msg,))
    handle = tar.extractfile(member)
    if handle is None:
        return None
    data = handle.read(member.size)
    if len(data) != member.size:
        raise ArtifactError(f"layer {label} is truncated inside {path}")
    merged: FileFacts | None = None
    for analyzer in wanted:
        if member.size > analyzer.max_size:
            continue
        try:
            facts = analyzer.analyze(path, data)
        except SeawallError:
            raise
        except Exception as exc:  # an analyzer bug or hostile content must not stop the scan
            log.warning("%s analyzer failed on %s: %s", analyzer.name, path, exc)
            facts = FileFacts(path=path, warnings=(f"{analyzer.name}: {exc}",))
        merged = facts if merged is None else _combine(merged, facts) if facts else merged
    # A claimed file always leaves an entry, so that it replaces a lower layer's facts for that path.
    return merged if merged is not None else FileFacts(path=path)


def _combine(a: FileFacts, b: FileFacts) -> FileFacts:
    return FileFacts(
        path=a.path,
        os=a.os or b.os,
        os_packages=a.os_packages + b.os_packages,
        os_package_type=a.os_package_type or b.os_package_type,
        package_files=a.package_files + b.package_files,
        applications=a.applications + b.applications,
        warnings=a.warnings + b.warnings,
    )
