"""The layer walker: one streaming pass over a layer tar, feeding claimed files to analyzers."""

from __future__ import annotations

import dataclasses
import logging
import posixpath
import stat
import tarfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from seawall.analyze.analyzer import Analyzer, FileMeta
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
    end_of_data = 0  # where the last member's data ends; beyond what the stream held = truncated
    content = [a for a in analyzers if not a.metadata_only]
    by_metadata = [a for a in analyzers if a.metadata_only]
    try:
        try:
            tar = tarfile.open(fileobj=stream.tar, mode="r|")
        except tarfile.ReadError as exc:
            raise ArtifactError(f"layer {label} is not a tar archive: {exc}") from exc
        with tar:
            for member in tar:
                entries += 1
                end_of_data = member.offset_data + member.size
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
                is_dir = member.isdir()
                if not (is_dir or member.isreg()):
                    continue
                mode = (stat.S_IFDIR if is_dir else stat.S_IFREG) | (member.mode & 0o7777)
                facts = (
                    run_metadata(path, FileMeta(mode, member.size, member.uid, member.gid), by_metadata)
                    if by_metadata
                    else None
                )
                if not is_dir:
                    wanted = [a for a in content if a.claims(path, mode, member.size)]
                    if wanted:
                        found = run_analyzers(
                            path,
                            member.size,
                            lambda m=member, p=path: _read_member(tar, m, label, p),  # type: ignore[misc]
                            wanted,
                            limits,
                            label,
                        )
                        facts = found if facts is None else combine_facts(found, facts)
                if facts is not None:
                    files[path] = facts
        add_aggregates(files, by_metadata)
        stream.finish()
        if end_of_data > stream.uncompressed_size:
            raise ArtifactError(f"layer {label} is a broken tar archive: truncated (data ends early)")
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


def _read_member(tar: tarfile.TarFile, member: tarfile.TarInfo, label: str, path: str) -> bytes:
    handle = tar.extractfile(member)
    data = handle.read(member.size) if handle is not None else b""
    if len(data) != member.size:
        raise ArtifactError(f"layer {label} is truncated inside {path}")
    return data


def run_analyzers(
    path: str,
    size: int,
    read: Callable[[], bytes],
    wanted: Sequence[Analyzer],
    limits: Limits,
    label: str,
) -> FileFacts:
    """Read a claimed file once (within the size cap) and give it to every analyzer that claimed it."""
    cap = min(limits.max_file_read, max(a.max_size for a in wanted))
    if size > cap:
        msg = f"{path}: {size} bytes is over the {cap}-byte read limit, skipped"
        log.debug("%s: %s", label[:71], msg)
        return FileFacts(path=path, warnings=(msg,))
    data = read()
    merged: FileFacts | None = None
    for analyzer in wanted:
        if size > analyzer.max_size:
            continue
        try:
            facts = analyzer.analyze(path, data)
        except SeawallError:
            raise
        except Exception as exc:  # an analyzer bug or hostile content must not stop the scan
            log.debug("%s analyzer failed on %s: %s", analyzer.name, path, exc)
            facts = FileFacts(path=path, warnings=(f"{analyzer.name}: {type(exc).__name__}: {exc}",))
        if facts is not None:
            merged = facts if merged is None else combine_facts(merged, facts)
    # A claimed file always leaves an entry, so that it replaces a lower layer's facts for that path.
    return merged if merged is not None else FileFacts(path=path)


def run_metadata(path: str, meta: FileMeta, analyzers: Sequence[Analyzer]) -> FileFacts | None:
    """Give an entry's metadata to the metadata-only analyzers that claim it."""
    merged: FileFacts | None = None
    for analyzer in analyzers:
        if not analyzer.claims(path, meta.mode, meta.size):
            continue
        try:
            facts = analyzer.analyze_metadata(path, meta)
        except Exception as exc:  # an analyzer bug must not stop the scan
            log.warning("%s analyzer failed on %s: %s", analyzer.name, path, exc)
            continue
        if facts is not None:
            merged = facts if merged is None else combine_facts(merged, facts)
    return merged


def add_aggregates(files: dict[str, FileFacts], analyzers: Sequence[Analyzer]) -> None:
    """Collect what metadata-only analyzers totalled over the whole layer (one fact per directory)."""
    for analyzer in analyzers:
        for facts in analyzer.end_entries():
            prev = files.get(facts.path)
            files[facts.path] = facts if prev is None else combine_facts(prev, facts)


def combine_facts(a: FileFacts, b: FileFacts) -> FileFacts:
    """Merge two analyzers' facts about one file: tuples concatenate, single values keep the first set."""
    values: dict[str, object] = {}
    for f in dataclasses.fields(FileFacts):
        x, y = getattr(a, f.name), getattr(b, f.name)
        values[f.name] = x + y if isinstance(x, tuple) else (x or y)
    return FileFacts(**values)  # type: ignore[arg-type]
