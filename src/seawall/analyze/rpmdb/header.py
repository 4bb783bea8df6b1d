"""Parse one rpm header blob (the form rpm stores in its database) into the fields Seawall uses.

A stored header is ``il`` (index entry count) and ``dl`` (data length) as big-endian int32, then
``il`` 16-byte index entries (tag, type, offset, count), then ``dl`` bytes of data. Every offset and
count is checked against the blob before it is used, so a hostile blob raises
:class:`RpmHeaderError` instead of reading out of bounds or allocating without limit.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from seawall.errors import SeawallError

# Limits: rpm itself refuses more than 0xffff index entries and 256 MiB of data (hdrchkTags/hdrchkData).
MAX_INDEX_ENTRIES = 0xFFFF
MAX_DATA_LENGTH = 256 * 1024 * 1024
MAX_ARRAY_COUNT = 1024 * 1024  # files of one package; the largest real packages have ~100k

# Types (rpmTagType)
_CHAR, _INT8, _INT16, _INT32, _INT64, _STRING, _BIN, _STRING_ARRAY, _I18NSTRING = 1, 2, 3, 4, 5, 6, 7, 8, 9
_INT_SIZES = {_CHAR: 1, _INT8: 1, _INT16: 2, _INT32: 4, _INT64: 8}
_INT_FORMATS = {_CHAR: "B", _INT8: "B", _INT16: "H", _INT32: "I", _INT64: "Q"}

# Tags (rpmTag)
TAG_NAME = 1000
TAG_VERSION = 1001
TAG_RELEASE = 1002
TAG_EPOCH = 1003
TAG_SIZE = 1009
TAG_VENDOR = 1011
TAG_LICENSE = 1014
TAG_ARCH = 1022
TAG_OLDFILENAMES = 1027
TAG_SOURCERPM = 1044
TAG_PROVIDENAME = 1047
TAG_REQUIRENAME = 1049
TAG_DIRINDEXES = 1116
TAG_BASENAMES = 1117
TAG_DIRNAMES = 1118
TAG_LONGSIZE = 5009
TAG_MODULARITYLABEL = 5096

_WANTED = frozenset(
    {
        TAG_NAME,
        TAG_VERSION,
        TAG_RELEASE,
        TAG_EPOCH,
        TAG_SIZE,
        TAG_VENDOR,
        TAG_LICENSE,
        TAG_ARCH,
        TAG_OLDFILENAMES,
        TAG_SOURCERPM,
        TAG_PROVIDENAME,
        TAG_REQUIRENAME,
        TAG_DIRINDEXES,
        TAG_BASENAMES,
        TAG_DIRNAMES,
        TAG_LONGSIZE,
        TAG_MODULARITYLABEL,
    }
)


_Value = str | tuple[str, ...] | tuple[int, ...]


class RpmHeaderError(SeawallError):
    """An rpm header blob is malformed."""


@dataclass(frozen=True, slots=True)
class RpmHeader:
    """The fields of one installed rpm package that Seawall reads."""

    name: str
    version: str
    release: str
    epoch: int | None  # None when the package has no EPOCH tag (rpm prints "(none)")
    arch: str
    source_rpm: str
    license: str
    vendor: str
    size: int
    modularity_label: str
    files: tuple[str, ...]  # paths as rpm lists them, without the leading "/"
    provides: tuple[str, ...]
    requires: tuple[str, ...]


def parse_header(blob: bytes | memoryview) -> RpmHeader:
    """Parse a stored rpm header blob; raise RpmHeaderError when it is malformed."""
    view = memoryview(blob)
    if len(view) < 8:
        raise RpmHeaderError(f"header of {len(view)} bytes is too short")
    il, dl = struct.unpack_from(">II", view, 0)
    if il == 0 or il > MAX_INDEX_ENTRIES:
        raise RpmHeaderError(f"header claims {il} index entries (limit {MAX_INDEX_ENTRIES})")
    if dl > MAX_DATA_LENGTH:
        raise RpmHeaderError(f"header claims {dl} data bytes (limit {MAX_DATA_LENGTH})")
    data_start = 8 + 16 * il
    if data_start + dl > len(view):
        raise RpmHeaderError(
            f"header claims {il} entries and {dl} data bytes but the blob has {len(view)} bytes"
        )
    data = bytes(view[data_start : data_start + dl])
    values: dict[int, _Value] = {}
    for tag, typ, offset, count in struct.iter_unpack(">iIiI", view[8:data_start]):
        if tag not in _WANTED or tag in values:
            continue
        if offset < 0 or offset >= dl:
            raise RpmHeaderError(f"tag {tag} points outside the data store (offset {offset}, size {dl})")
        if count == 0 or count > MAX_ARRAY_COUNT:
            raise RpmHeaderError(f"tag {tag} has count {count}")
        values[tag] = _read_value(data, tag, typ, offset, count)
    return _to_header(values)


def _read_value(data: bytes, tag: int, typ: int, offset: int, count: int) -> _Value:
    if typ in (_STRING, _I18NSTRING):
        # I18NSTRING holds one string per locale; the first is the untranslated one.
        return _strings(data, tag, offset, 1)[0]
    if typ == _STRING_ARRAY:
        return _strings(data, tag, offset, count)
    size = _INT_SIZES.get(typ)
    if size is None:
        raise RpmHeaderError(f"tag {tag} has unexpected type {typ}")
    if offset + size * count > len(data):
        raise RpmHeaderError(f"tag {tag}: {count} values of {size} bytes run past the data store")
    fmt = _INT_FORMATS[typ]
    return struct.unpack_from(f">{count}{fmt}", data, offset)


def _strings(raw: bytes, tag: int, offset: int, count: int) -> tuple[str, ...]:
    if count > 8:
        # Many strings: one decode and one split of the rest of the data store beat a find() per
        # string (NUL is a whole character in UTF-8, so decoding first splits at the same places).
        parts = raw[offset:].decode("utf-8", "replace").split("\0", count)
        if len(parts) <= count:
            raise RpmHeaderError(f"tag {tag}: {count} strings run past the data store")
        del parts[count:]
        return tuple(parts)
    out: list[str] = []
    pos = offset
    for _ in range(count):
        end = raw.find(b"\0", pos)
        if end < 0:
            raise RpmHeaderError(f"tag {tag}: string at offset {pos} is not terminated")
        out.append(raw[pos:end].decode("utf-8", "replace"))
        pos = end + 1
    return tuple(out)


def _text(values: dict[int, _Value], tag: int) -> str:
    value = values.get(tag)
    if isinstance(value, str):
        return value
    if isinstance(value, tuple) and value and isinstance(value[0], str):
        return value[0]
    return ""


def _texts(values: dict[int, _Value], tag: int) -> tuple[str, ...]:
    value = values.get(tag)
    if isinstance(value, str):
        return (value,)
    # A tuple's element type follows from the tag type, so its first element speaks for all.
    if isinstance(value, tuple) and value and isinstance(value[0], str):
        return value
    return ()


def _ints(values: dict[int, _Value], tag: int) -> tuple[int, ...]:
    value = values.get(tag)
    if isinstance(value, tuple) and value and isinstance(value[0], int):
        return value
    return ()


def _file_paths(values: dict[int, _Value]) -> tuple[str, ...]:
    basenames = _texts(values, TAG_BASENAMES)
    if not basenames:  # rpm before 4.0 stored whole paths
        return tuple(f.lstrip("/") for f in _texts(values, TAG_OLDFILENAMES))
    dirnames = tuple(d.lstrip("/") for d in _texts(values, TAG_DIRNAMES))
    dirindexes = _ints(values, TAG_DIRINDEXES)
    if len(dirindexes) != len(basenames):
        raise RpmHeaderError(f"{len(basenames)} file names but {len(dirindexes)} directory indexes")
    try:
        return tuple(dirnames[i] + b for i, b in zip(dirindexes, basenames, strict=True))
    except IndexError:
        raise RpmHeaderError("a file's directory index is out of range") from None


def _to_header(values: dict[int, _Value]) -> RpmHeader:
    name = _text(values, TAG_NAME)
    if not name:
        raise RpmHeaderError("header has no NAME")
    epochs = _ints(values, TAG_EPOCH)
    sizes = _ints(values, TAG_LONGSIZE) or _ints(values, TAG_SIZE)
    return RpmHeader(
        name=name,
        version=_text(values, TAG_VERSION),
        release=_text(values, TAG_RELEASE),
        epoch=epochs[0] if epochs else None,
        arch=_text(values, TAG_ARCH),
        source_rpm=_text(values, TAG_SOURCERPM),
        license=_text(values, TAG_LICENSE),
        vendor=_text(values, TAG_VENDOR),
        size=sizes[0] if sizes else 0,
        modularity_label=_text(values, TAG_MODULARITYLABEL),
        files=_file_paths(values),
        provides=_texts(values, TAG_PROVIDENAME),
        requires=_texts(values, TAG_REQUIRENAME),
    )
